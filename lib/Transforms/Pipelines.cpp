//===- Pipelines.cpp - The llama-mlir compilation pipelines -----*- C++ -*-===//
//
// The pipeline from the llama dialect to the LLVM dialect on CPUs, as a C++
// function (llama-compile runs it; llama-opt exposes it as
// `--llama-cpu-pipeline`). Every step says why it is there.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::llama::buildLlamaCPUPipeline(OpPassManager &pm,
                                        const LlamaCPUPipelineOptions &opts) {
  // 0. Fusions at the model level (llama-fuse-*), each of which can be
  //    disabled by name.
  auto enabled = [&](StringRef name) {
    return !llvm::is_contained(opts.disabledFusions, name.str());
  };
  //    rope and swiglu first, so that each RMSNorm then feeds one fused op
  //    (qkv_rope, matmul_swiglu, the output matmul) and folds into it.
  if (enabled("rope"))
    pm.addPass(createLlamaFuseRoPEPass());
  if (enabled("swiglu"))
    pm.addPass(createLlamaFuseSwiGLUPass());
  if (enabled("rmsnorm"))
    pm.addPass(createLlamaFuseRMSNormPass());
  if (enabled("gqa"))
    pm.addPass(createLlamaFuseGQAPass());
  // 1. RoPE and the remaining SwiGLU become linalg.generic on tensors.
  pm.addPass(createLlamaLowerToLinalgPass());
  // 2. Weights, embedding, norms, matmuls and attention become loops over the
  //    runtime's buffers (file bytes, offsets, KV cache); entry points get the
  //    runtime ABI.
  LlamaLowerToLoopsPassOptions loopOpts;
  loopOpts.tokenBlock = opts.tokenBlock;
  loopOpts.intDotName = opts.intDot;
  loopOpts.scalableVectors = opts.scalableVectors;
  pm.addPass(createLlamaLowerToLoopsPass(loopOpts));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (opts.stopAfterLlamaLowering)
    return;
  // 3. Residual adds (arith.addf on tensors) become linalg.generic, the form
  //    bufferization understands.
  pm.addPass(createConvertElementwiseToLinalgPass());
  // 4. Tensors become buffers; the reshapes become views of them.
  bufferization::OneShotBufferizePassOptions bufOpts;
  bufOpts.bufferizeFunctionBoundaries = false;
  pm.addPass(bufferization::createOneShotBufferizePass(bufOpts));
  pm.addPass(createCanonicalizerPass());
  // 5. Free every buffer allocated for an intermediate once it is dead.
  bufferization::BufferDeallocationPipelineOptions deallocOpts;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOpts);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // 5b. Integer dot products become the target's instructions (intrinsic
  //     calls, which buffer deallocation could not reason about).
  pm.addPass(createLlamaLowerInt8DotPass());
  // 6. The remaining linalg.generic ops become loops.
  pm.addPass(createConvertLinalgToLoopsPass());
  // 7. exp/sin/cos become polynomials, not scalar libm calls.
  pm.addPass(createLlamaApproximateMathPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  // 7b. Parallel loops (the rows of every matmul) either go to the runtime's
  //     thread pool (outlined here, dispatched after LLVM conversion) or
  //     become plain loops.
  if (opts.threads)
    pm.addPass(createLlamaOutlineParallelLoopsPass());
  else
    pm.addPass(createParallelForToNestedForsPass());
  // 8. Down to the LLVM dialect.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  //    Horizontal sums (vector.reduction) may reassociate: a tree of adds
  //    instead of a serial chain.
  ConvertVectorToLLVMPassOptions vecOpts;
  vecOpts.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vecOpts));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  if (opts.threads)
    pm.addPass(createLlamaMaterializeParallelPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::llama::registerLlamaPipelines() {
  PassPipelineRegistration<>(
      "llama-cpu-pipeline",
      "The whole CPU pipeline: llama dialect to the LLVM dialect",
      [](OpPassManager &pm) { buildLlamaCPUPipeline(pm); });
  PassPipelineRegistration<>(
      "llama-cpu-pipeline-serial",
      "The CPU pipeline without the thread pool (for JIT tests)",
      [](OpPassManager &pm) {
        LlamaCPUPipelineOptions o;
        o.threads = false;
        buildLlamaCPUPipeline(pm, o);
      });
  PassPipelineRegistration<>(
      "llama-to-loops-pipeline",
      "The first stage: llama ops to loops over runtime buffers",
      [](OpPassManager &pm) {
        LlamaCPUPipelineOptions o;
        o.stopAfterLlamaLowering = true;
        buildLlamaCPUPipeline(pm, o);
      });
}
