//===- KernelConfig.cpp - The GPU kernel table ------------------*- C++ -*-===//
//
// The kernel choices of the NVPTX pipeline: scalar code per thread (a GPU
// thread's vectors would only be unrolled into scalar registers), a thread
// or a warp per weight row, the block size, tensor cores for the warps'
// prefill GEMMs; per op refined by weight format.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Codegen/Formats.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::llama;

/// The table's choice for `op`.
static KernelConfigAttr gpuConfig(Operation *op, const GPUKernelOptions &o) {
  SmallVector<Value> ws = matmulWeights(op);
  int64_t k = ws.empty() ? 0 : cast<WeightType>(ws[0].getType()).getShape()[1];
  bool blocked =
      o.warps && !ws.empty() && llvm::all_of(ws, [&](Value w) {
        return warpBlocksTokens(cast<WeightType>(w.getType()).getGgmlType(), k);
      });
  return KernelConfigAttr::get(
      op->getContext(),
      o.warps ? KernelDispatch::Warps : KernelDispatch::Threads,
      KernelDot::Scalar, IntDotISA::None, blocked ? o.tokenBlock : 1,
      /*tileRows=*/0, WeightLayout::GGUF, /*prefetch=*/0, /*kvBlock=*/1,
      o.blockThreads, o.warps && o.tensorCores && !ws.empty(),
      o.warps && o.rowNorms && !ws.empty(), /*distribute=*/nullptr,
      /*vectorSizes=*/nullptr);
}

LogicalResult mlir::llama::configureGPUKernels(ModuleOp module,
                                               const GPUKernelOptions &o) {
  if (o.blockThreads < 32 || o.blockThreads > 1024 || o.blockThreads % 32)
    return module.emitError("llama-configure-kernels: block-threads must be "
                            "a multiple of 32 in 32..1024, got ")
           << o.blockThreads;
  if ((o.tensorCores || o.rowNorms) && !o.warps)
    return module.emitError("llama-configure-kernels: tensor-cores and "
                            "quantized-row-norms need gpu-warps");
  module.walk([&](Operation *op) {
    if (takesKernelConfig(op) && !op->hasAttr(KernelConfigAttr::kAttrName))
      op->setAttr(KernelConfigAttr::kAttrName, gpuConfig(op, o));
  });
  return success();
}
