//===- GPULaunchBounds.cpp - occupancy of kernels with batched loads -----===//
//
// Implements the `llama-gpu-launch-bounds` pass (see GPUPasses.td): kernels
// whose loops issue several loads before their first use (marked by
// llama-lower-to-loops) state the blocks per multiprocessor they must fit,
// so that ptxas schedules their loads for latency rather than registers.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAGPULAUNCHBOUNDSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

struct LlamaGPULaunchBoundsPass
    : llama::impl::LlamaGPULaunchBoundsPassBase<LlamaGPULaunchBoundsPass> {
  using Base::Base;

  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();
    if (minBlocks < 1 || minBlocks > 64) {
      module.emitError() << "llama-gpu-launch-bounds: min-blocks must be in "
                            "[1, 64], got "
                         << static_cast<int64_t>(minBlocks);
      return signalPassFailure();
    }
    StringRef minctasm = NVVM::NVVMDialect::getMinctasmAttrName();
    for (auto func : module.getOps<gpu::GPUFuncOp>()) {
      bool marked = false;
      func.walk([&](Operation *op) {
        if (op->removeAttr(llama::kBatchedLoadsAttrName))
          marked = true;
      });
      if (marked && func.isKernel() && !func->hasAttr(minctasm))
        func->setAttr(minctasm, Builder(func).getI32IntegerAttr(
                                    static_cast<int32_t>(minBlocks)));
    }
  }
};

} // namespace
