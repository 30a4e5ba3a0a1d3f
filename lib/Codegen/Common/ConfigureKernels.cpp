//===- ConfigureKernels.cpp - Choose each op's kernel -----------*- C++ -*-===//
//
// Implements the `llama-configure-kernels` pass (see Passes.td): every
// model-level op llama-lower-to-loops lowers gets a #llama.kernel_config
// from the table of its target family (CPU/KernelConfig.cpp,
// GPU/KernelConfig.cpp); configurations already on ops are kept.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Transforms/Passes.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMACONFIGUREKERNELSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

bool mlir::llama::takesKernelConfig(Operation *op) {
  return isa<EmbeddingOp, RMSNormOp, MatmulOp, MatmulSwiGLUOp, QKVRoPEOp,
             AttentionOp, GQAAttentionOp>(op);
}

SmallVector<Value> mlir::llama::matmulWeights(Operation *op) {
  if (auto m = dyn_cast<MatmulOp>(op))
    return {m.getWeight()};
  if (auto m = dyn_cast<MatmulSwiGLUOp>(op))
    return {m.getGate(), m.getUp()};
  if (auto m = dyn_cast<QKVRoPEOp>(op))
    return {m.getWq(), m.getWk(), m.getWv()};
  return {};
}

namespace {

struct LlamaConfigureKernelsPass
    : llama::impl::LlamaConfigureKernelsPassBase<LlamaConfigureKernelsPass> {
  using LlamaConfigureKernelsPassBase::LlamaConfigureKernelsPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (tokenBlock < 0 || tokenBlock > 32) {
      module.emitError("llama-configure-kernels: token-block must be in "
                       "0..32, got ")
          << static_cast<int64_t>(tokenBlock);
      return signalPassFailure();
    }
    if (kvBlock < 0 || kvBlock > 64) {
      module.emitError("llama-configure-kernels: kv-block must be in "
                       "0..64, got ")
          << static_cast<int64_t>(kvBlock);
      return signalPassFailure();
    }
    if (prefetch < -1 || prefetch > (1 << 20) ||
        (prefetch > 0 && prefetch % 64 != 0)) {
      module.emitError("llama-configure-kernels: prefetch must be -1 or a "
                       "multiple of 64 in 0..1048576, got ")
          << static_cast<int64_t>(prefetch);
      return signalPassFailure();
    }
    if (target == "nvptx") {
      if (intDot || packedWeights || kvBlock || prefetch >= 0) {
        module.emitError("llama-configure-kernels: int-dot, kv-block, "
                         "prefetch and packed-weights are CPU options "
                         "(target=nvptx)");
        return signalPassFailure();
      }
      GPUKernelOptions o;
      o.warps = gpuWarps;
      o.blockThreads = blockThreads;
      o.tensorCores = tensorCores;
      o.rowNorms = quantizedRowNorms;
      if (tokenBlock)
        o.tokenBlock = tokenBlock;
      if (failed(configureGPUKernels(module, o)))
        return signalPassFailure();
      return;
    }
    const CPUKernelTarget *t = findCPUKernelTarget(target);
    if (!t) {
      std::string known;
      for (const CPUKernelTarget &row : cpuKernelTable())
        known += std::string(row.name) + ", ";
      module.emitError("llama-configure-kernels: unknown target '")
          << target << "' (known: " << known << "nvptx)";
      return signalPassFailure();
    }
    if (gpuWarps || tensorCores || quantizedRowNorms) {
      module.emitError("llama-configure-kernels: gpu-warps, tensor-cores "
                       "and quantized-row-norms need target=nvptx");
      return signalPassFailure();
    }
    CPUKernelOptions o;
    o.intDot = intDot;
    o.tokenBlock = tokenBlock;
    o.kvBlock = kvBlock;
    o.prefetch = prefetch;
    o.packedWeights = packedWeights;
    if (failed(configureCPUKernels(module, *t, o)))
      return signalPassFailure();
  }
};

} // namespace
