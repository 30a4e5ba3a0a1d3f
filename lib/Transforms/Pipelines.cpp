//===- Pipelines.cpp - The llama-mlir compilation pipelines -----*- C++ -*-===//
//
// The pipelines from the llama dialect to the LLVM dialect on CPUs and to
// PTX on NVIDIA GPUs, as C++ functions (llama-compile runs them; llama-opt
// exposes them as `--llama-cpu-pipeline` and `--llama-gpu-pipeline`). They
// share the stages down to loops over buffers. Every step says why it is
// there.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::llama;

/// Canonicalization, CSE (and loop-invariant code motion) function by
/// function: the pass manager runs them on the functions in parallel.
static void addCleanupPasses(OpPassManager &pm, bool licm) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  if (licm)
    fn.addPass(createLoopInvariantCodeMotionPass());
}

/// Loops over buffers to the LLVM dialect's vector and math ops, for CPU
/// code, device code and GPU host code alike: strided metadata, affine and
/// scf to cf, then vector and math ops. Horizontal sums (vector.reduction)
/// may reassociate: a tree of adds instead of a serial chain.
static void addLoopsToLLVMPasses(OpPassManager &pm) {
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  ConvertVectorToLLVMPassOptions vecOpts;
  vecOpts.reassociateFPReductions = true;
  pm.addPass(createConvertVectorToLLVMPass(vecOpts));
  pm.addPass(createConvertMathToLLVMPass());
}

/// What the CPU and GPU pipelines share down to loops.
struct LoopsStages {
  std::vector<std::string> disabledFusions;
  LlamaConfigureKernelsPassOptions kernels;
  bool stopAfterKernelConfig = false;
  bool stopAfterLlamaLowering = false;
  /// The remaining linalg ops become parallel loops (GPU warp kernels).
  bool parallelLinalg = false;
  /// Layers outlined into shared functions (CPU).
  bool shareLayers = false;
  /// CPU code: the kernel tiles' loops are flattened for the thread pool.
  bool cpu = false;
};

/// Steps 0-7, shared by the CPU and GPU pipelines: llama ops to loops over
/// buffers. Returns false when asked to stop after the llama lowering.
static bool buildLoopsStages(OpPassManager &pm, const LoopsStages &opts) {
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
  // 2. Every model-level op gets its kernel configuration from the target
  //    family's table (#llama.kernel_config: the choices, visible in the IR).
  pm.addPass(createLlamaConfigureKernelsPass(opts.kernels));
  if (opts.stopAfterKernelConfig)
    return false;
  //    Each distinct layer becomes one function that the entry points call
  //    once per layer, so that what follows compiles it once.
  if (opts.shareLayers)
    pm.addPass(createLlamaShareLayersPass());
  // 3. Weights, embedding, norms, matmuls and attention become loops over the
  //    runtime's buffers (file bytes, offsets, KV cache), each as its
  //    configuration says; entry points get the runtime ABI.
  pm.addPass(createLlamaLowerToLoopsPass());
  addCleanupPasses(pm, /*licm=*/false);
  //    The configured structured ops are tiled into scf.forall, one
  //    parallel task per tile: llama.kernel_matmul by its row step (16-row
  //    tiles, or a row or RoPE pair of the row kernels),
  //    llama.kernel_attention by token and KV head.
  pm.addPass(createLlamaTileKernelsPass());
  if (opts.stopAfterLlamaLowering)
    return false;
  //    The structured ops configured with vector sizes (CPU norms and RoPE
  //    tables) become vector code, tile by tile, with upstream tiling and
  //    the linalg vectorizer.
  if (opts.cpu)
    pm.addPass(createLlamaVectorizeStructuredPass());
  //    GPU warp sums (gpu.subgroup_reduce) become xor-shuffle butterflies:
  //    the buffer deallocation cannot reason about an op without memory
  //    effects, and the NVVM lowering and the emulator then add alike.
  if (!opts.cpu)
    pm.addPass(createLlamaExpandSubgroupReducePass());
  // 4. Residual adds (arith.addf on tensors) become linalg.generic, the form
  //    bufferization understands.
  pm.addPass(createConvertElementwiseToLinalgPass());
  // 5. Tensors become buffers; the reshapes become views of them.
  bufferization::OneShotBufferizePassOptions bufOpts;
  bufOpts.bufferizeFunctionBoundaries = false;
  pm.addPass(bufferization::createOneShotBufferizePass(bufOpts));
  pm.addPass(createCanonicalizerPass());
  //    The tiles' loops become one-dimensional scf.parallel (the form the
  //    thread pool and the GPU mapping take), and each tile its kernel: the
  //    packed row-tile or row kernel, the attention's online softmax.
  pm.addPass(createForallToParallelLoopPass());
  if (opts.cpu)
    pm.addPass(createLlamaFlattenParallelLoopsPass());
  pm.addPass(createLlamaLowerKernelMatmulPass());
  pm.addPass(createLlamaLowerKernelAttentionPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // 6. Free every buffer allocated for an intermediate once it is dead.
  bufferization::BufferDeallocationPipelineOptions deallocOpts;
  bufferization::buildBufferDeallocationPipeline(pm, deallocOpts);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // 7. The remaining linalg.generic ops become loops (parallel ones for GPU
  //    warp kernels).
  if (opts.parallelLinalg)
    pm.addPass(createConvertLinalgToParallelLoopsPass());
  else
    pm.addPass(createConvertLinalgToLoopsPass());
  addCleanupPasses(pm, /*licm=*/true);
  return true;
}

/// The kernel ops that expand into many instructions, once the code is in
/// its final functions (on CPUs after the parallel loops' identical bodies
/// are merged, so that each is expanded once, not once per layer).
static void addKernelExpansionPasses(OpPassManager &pm) {
  // Integer dot products become the target's instructions (intrinsic calls,
  // which buffer deallocation could not reason about); exp/sin/cos become
  // polynomials, not scalar libm calls.
  pm.addPass(createLlamaLowerInt8DotPass());
  pm.addPass(createLlamaApproximateMathPass());
  addCleanupPasses(pm, /*licm=*/true);
}

void mlir::llama::buildLlamaCPUPipeline(OpPassManager &pm,
                                        const LlamaCPUPipelineOptions &opts) {
  LoopsStages loops;
  loops.disabledFusions = opts.disabledFusions;
  loops.stopAfterKernelConfig = opts.stopAfterKernelConfig;
  loops.stopAfterLlamaLowering = opts.stopAfterLlamaLowering;
  loops.kernels.target = opts.kernelTarget;
  loops.kernels.intDot = opts.intDot;
  loops.kernels.tokenBlock = opts.tokenBlock;
  loops.kernels.packedWeights = opts.packedWeights;
  loops.shareLayers = opts.shareLayers;
  loops.cpu = true;
  if (!buildLoopsStages(pm, loops))
    return;
  // 8. The entry points' intermediates become views of one static arena,
  //     dead buffers' bytes reused (sized for the context length).
  if (opts.planMemory)
    pm.addPass(createLlamaPlanMemoryPass());
  // 9. Parallel loops (the rows of every matmul) either go to the runtime's
  //     thread pool (outlined here, dispatched after LLVM conversion) or
  //     become plain loops.
  if (opts.threads)
    pm.addPass(createLlamaOutlineParallelLoopsPass());
  else
    pm.addPass(createParallelForToNestedForsPass());
  // 10. Integer dot products and polynomial math expanded; on CPUs
  //     without F16C or FMA (baseline x86-64) f16 conversions and FMAs as
  //     plain arithmetic, not a libcall per element.
  addKernelExpansionPasses(pm);
  if (!opts.f16c || !opts.fma) {
    LlamaLegalizeFloatOpsPassOptions legal;
    legal.f16c = opts.f16c;
    legal.fma = opts.fma;
    pm.addPass(createLlamaLegalizeFloatOpsPass(legal));
  }
  //    Stack buffers of loop bodies (packed row tiles) then sit in serial
  //    loops: one per function, not one per iteration.
  pm.addNestedPass<func::FuncOp>(createLlamaHoistLoopAllocasPass());
  // 11. Down to the LLVM dialect.
  addLoopsToLLVMPasses(pm);
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertToLLVMPass());
  if (opts.threads)
    pm.addPass(createLlamaMaterializeParallelPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::llama::buildLlamaGPUPipeline(OpPassManager &pm,
                                        const LlamaGPUPipelineOptions &opts) {
  // 0-7 as on CPUs, and the kernel expansion (step 10 there), with float dot
  // products (no llama.int8_dot on NVPTX) and scalar code per row: a thread's
  // vectors would only be unrolled into scalar registers (8.6 MB of PTX for a
  // 2-layer Q6_K model).
  LoopsStages loops;
  loops.kernels.target = "nvptx";
  loops.kernels.gpuWarps = opts.warpKernels;
  loops.kernels.quantizedRowNorms = opts.quantizedRowNorms;
  loops.kernels.blockThreads = opts.threadsPerBlock;
  loops.kernels.tensorCores = opts.tensorCores;
  loops.parallelLinalg = opts.warpKernels;
  loops.stopAfterKernelConfig = opts.stopAfterKernelConfig;
  loops.stopAfterLlamaLowering = opts.stopAfterLlamaLowering;
  loops.disabledFusions = opts.disabledFusions;
  if (!buildLoopsStages(pm, loops))
    return;
  addKernelExpansionPasses(pm);
  // 9. Every parallel loop becomes a kernel: flattened to one dimension,
  //    tiled by the block size, the tile loop mapped to blocks and the loop
  //    inside to threads, then outlined; all kernels go into one gpu.module.
  pm.addNestedPass<func::FuncOp>(createLlamaFlattenParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createParallelLoopTilingPass(
      {opts.threadsPerBlock}, /*noMinMaxBounds=*/true));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  //    Constants and index arithmetic move into the launch body, so that
  //    kernels do not take them as parameters.
  pm.addNestedPass<func::FuncOp>(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  LlamaMergeGPUModulesPassOptions merge;
  merge.dedupeKernels = true;
  pm.addPass(createLlamaMergeGPUModulesPass(merge));
  //    The blocks' workgroup buffers (the norms' cross-warp sums, the
  //    prefill GEMM's tiles) become the kernels' shared memory, and their
  //    barriers are placed.
  pm.addNestedPass<gpu::GPUModuleOp>(createLlamaGPUWorkgroupBuffersPass());
  if (opts.afterKernelOutlining)
    opts.afterKernelOutlining(pm);
  if (opts.stopAfterOutlining)
    return;
  // 10. Device code to NVVM: the target (chip, PTX ISA) on the module, launch
  //    bounds, math to NVVM intrinsics (no libdevice), then the
  //    gpu/memref/scf/vector ops to the NVVM and LLVM dialects.
  GpuNVVMAttachTargetOptions target;
  target.chip = opts.chip;
  target.features = opts.ptxFeatures;
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &dev = pm.nest<gpu::GPUModuleOp>();
  //    The decode row kernels, whose loops load several pieces of a row
  //    before using them, state an occupancy, without which ptxas sinks the
  //    loads to their uses.
  dev.addPass(createLlamaGPULaunchBoundsPass());
  dev.addPass(createLlamaLowerGPUMathPass());
  //    The prefill GEMMs' nvgpu.mma.sync (gpu-tensor-cores) to nvvm.mma.sync.
  dev.addPass(createConvertNVGPUToNVVMPass());
  //    Vector ops (strided slices, shuffles, reductions) go to LLVM before
  //    convert-gpu-to-nvvm, which does not lower all of them.
  addLoopsToLLVMPasses(dev);
  dev.addPass(createConvertGpuOpsToNVVMOps());
  dev.addPass(createCanonicalizerPass());
  dev.addPass(createCSEPass());
  dev.addPass(createReconcileUnrealizedCastsPass());
  // 11. The gpu.module becomes PTX text (in-process NVPTX backend; no CUDA
  //     toolkit), held by a gpu.binary.
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = "isa";
  pm.addPass(createGpuModuleToBinaryPass(binary));
  // 12. Host code: its buffers in managed memory where the host loops
  //     between launches use them too, else in device memory (the logits
  //     copied out), then the LLVM dialect. The launches and the binary
  //     keep their gpu ops with LLVM operands; the
  //     translation to LLVM IR turns them into calls of the runtime's
  //     mgpu* functions (runtime/cuda/CUDARuntime.cpp) and a constructor
  //     that registers the PTX.
  pm.addPass(createLlamaGPUHostBuffersPass());
  addLoopsToLLVMPasses(pm);
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::llama::registerLlamaPipelines() {
  PassPipelineRegistration<>(
      "llama-cpu-pipeline",
      "The whole CPU pipeline: llama dialect to the LLVM dialect",
      [](OpPassManager &pm) { buildLlamaCPUPipeline(pm); });
  PassPipelineRegistration<>(
      "llama-gpu-pipeline",
      "The NVPTX pipeline: llama dialect to kernels in one gpu.module "
      "serialized to PTX for sm_90, and host code in the LLVM dialect",
      [](OpPassManager &pm) { buildLlamaGPUPipeline(pm); });
  PassPipelineRegistration<>(
      "llama-to-gpu-kernels-pipeline",
      "The NVPTX pipeline up to outlined kernels (gpu dialect)",
      [](OpPassManager &pm) {
        LlamaGPUPipelineOptions o;
        o.stopAfterOutlining = true;
        buildLlamaGPUPipeline(pm, o);
      });
  PassPipelineRegistration<>(
      "llama-to-gpu-warp-kernels-pipeline",
      "The NVPTX pipeline with warp kernels (warpKernels) up to outlined "
      "kernels",
      [](OpPassManager &pm) {
        LlamaGPUPipelineOptions o;
        o.stopAfterOutlining = true;
        o.warpKernels = true;
        buildLlamaGPUPipeline(pm, o);
      });
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
