//===- Passes.h - Passes of llama-mlir --------------------------*- C++ -*-===//
//
// Declarations and registration of every llama-mlir pass (generated from
// Passes.td), and the populate functions behind them.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_PASSES_H
#define LLAMA_MLIR_TRANSFORMS_PASSES_H

#include "llama-mlir/ABI/llama_abi.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

#include <functional>
#include <string>
#include <vector>

namespace mlir {
class RewritePatternSet;
namespace llama {

#define GEN_PASS_DECL
#include "llama-mlir/Transforms/Passes.h.inc"

/// Prints the plan llama-plan-memory recorded on `module` (its
/// `llama.memory_plan`): per entry point the planned buffers, what separate
/// allocations would take and the plan's bytes (or why there is none), then
/// the arena. Prints nothing for a module without a plan.
void printMemoryPlan(ModuleOp module, llvm::raw_ostream &os);

/// Patterns lowering llama.swiglu and llama.rope to linalg.generic.
void populateLlamaElementwiseToLinalgPatterns(RewritePatternSet &patterns);

/// llama-emulate-gpu-kernels: the host copy of kernel K is
/// `<kEmulatedKernelPrefix>K`; copies that call the shuffle, barrier or
/// mma function run in lockstep (llama-compile registers them with the
/// runtime's emulator, GPUEmulator.h).
inline constexpr llvm::StringLiteral kEmulatedKernelPrefix =
    LLAMA_ABI_EMULATED_KERNEL_PREFIX;
inline constexpr llvm::StringLiteral kEmulatorIndexFn = LLAMA_RT_EMU_INDEX;
inline constexpr llvm::StringLiteral kEmulatorShuffleFn = LLAMA_RT_EMU_SHUFFLE;
inline constexpr llvm::StringLiteral kEmulatorBarrierFn = LLAMA_RT_EMU_BARRIER;
inline constexpr llvm::StringLiteral kEmulatorMmaFn = LLAMA_RT_EMU_MMA;
inline constexpr llvm::StringLiteral kEmulatorSharedFn =
    LLAMA_RT_EMU_SHARED_ACCESS;
inline constexpr llvm::StringLiteral kEmulatorAlignedFn =
    LLAMA_RT_EMU_CHECK_ALIGNED;

/// llama-lower-to-loops marks a loop whose steps issue several loads of a
/// lane before their first use with this unit attribute;
/// llama-gpu-launch-bounds gives the kernels holding one an occupancy
/// (`nvvm.minctasm`), without which ptxas sinks the loads to their uses.
inline constexpr llvm::StringLiteral kBatchedLoadsAttrName =
    "llama.batched_loads";

/// llama-lower-to-loops marks an op of a block's code after which the
/// block's threads must wait for each other (they share a workgroup buffer
/// it writes) with this unit attribute; llama-gpu-workgroup-buffers puts a
/// gpu.barrier there in the kernel (the buffer deallocation passes, which
/// run in between, reject gpu.barrier: its memory effects are unknown).
inline constexpr llvm::StringLiteral kBarrierAfterAttrName =
    "llama.barrier_after";

/// llama-share-layers marks each layer function with, per result, the
/// argument its row count comes from (dense i64 array: the argument's
/// dimension 0 for a tensor, its value for an index; -1 for static rows);
/// llama-lower-to-loops sizes the callers' result buffers from it.
inline constexpr llvm::StringLiteral kResultRowsAttrName = "llama.result_rows";

/// llama-gpu-host-buffers records on the module, as a dense i64 array, the
/// memref arguments of the entry points that the host code only hands to
/// kernels (by argument number); llama-compile lists them in the program's
/// manifest, and the runtime then puts those buffers (the weights, the KV
/// cache) in device memory that the host cannot read.
inline constexpr llvm::StringLiteral kGPUDeviceOnlyArgsAttrName =
    "llama.gpu_device_only_args";

/// The module attribute (DenseI64ArrayAttr) of `llama-gpu-host-buffers`
/// listing the memref arguments that no entry point hands to a kernel (by
/// argument number): the runtime passes plain host memory for them (the
/// logits, which the host code copies from a device buffer).
inline constexpr llvm::StringLiteral kGPUHostOnlyArgsAttrName =
    "llama.gpu_host_only_args";

/// The fusions of the pipeline, by the name `--disable-fusion` takes: each
/// is the pass `llama-fuse-<name>`.
inline constexpr llvm::StringLiteral kLlamaFusionNames[] = {"rope", "swiglu",
                                                            "rmsnorm", "gqa"};

/// Options of the CPU compilation pipeline.
struct LlamaCPUPipelineOptions {
  /// Stop once every llama op has its kernel configuration.
  bool stopAfterKernelConfig = false;
  /// Stop after the llama ops are lowered (before bufferization).
  bool stopAfterLlamaLowering = false;
  /// Split the parallel loops across the runtime's thread pool (off: run
  /// them sequentially, for JIT tests without the runtime).
  bool threads = true;
  /// The entry points' intermediates in one arena planned at compile time
  /// (llama-plan-memory); off: one allocation per buffer and call.
  bool planMemory = true;
  /// The CPU kernel table row (llama-configure-kernels{target}):
  /// avx512vnni, avx512, avx2, sve-dotprod, sve, neon-dotprod or generic.
  std::string kernelTarget = "generic";
  /// The row's integer dot products and 16-row tiles
  /// (llama-configure-kernels{int-dot}); off: f32 dot products.
  bool intDot = false;
  /// Nonzero: this prefill token block instead of the row's.
  int64_t tokenBlock = 0;
  /// With tiles: weights read in the rows16 layout packed at compile time
  /// (llama-configure-kernels{packed-weights}); the caller must then
  /// provide the packed bytes (llama-compile's PROGRAM.weights).
  bool packedWeights = false;
  /// Each distinct decoder layer compiled once, called by every layer like
  /// it (llama-share-layers); off: every layer inline in the entry points.
  bool shareLayers = true;
  /// Fusions to leave out, by name (see kLlamaFusionNames).
  std::vector<std::string> disabledFusions;
  /// The CPU converts f16 to f32 and has fused multiply-adds; off (baseline
  /// x86-64): llama-legalize-float-ops writes them as plain arithmetic.
  bool f16c = true, fma = true;
};

/// The pipeline from the llama dialect to the LLVM dialect for CPUs; each
/// step is commented in lib/Transforms/Pipelines.cpp.
void buildLlamaCPUPipeline(OpPassManager &pm,
                           const LlamaCPUPipelineOptions &options = {});

/// Options of the NVPTX pipeline (see docs/GPU.md).
struct LlamaGPUPipelineOptions {
  /// Stop once every llama op has its kernel configuration.
  bool stopAfterKernelConfig = false;
  /// Stop after the llama ops are lowered (before bufferization).
  bool stopAfterLlamaLowering = false;
  /// Stop after the kernels are outlined (gpu dialect, host and device).
  bool stopAfterOutlining = false;
  /// The GPU architecture (sm_80, sm_90, ...) and PTX ISA feature.
  std::string chip = "sm_90";
  std::string ptxFeatures = "+ptx80";
  /// Threads per block of every kernel (each thread one row of a matmul,
  /// one head of attention, ...).
  int64_t threadsPerBlock = 128;
  /// A warp per weight row and every buffer loop a kernel
  /// (dispatch = warps, llama-flatten-parallel-loops, tiling
  /// without min/max bounds). Off by default: on an H200 it ran 7B F16
  /// decode at 26.6 tok/s but its logits differed from the CPU's, which
  /// the default (a thread per row, host loops between launches) matches;
  /// see docs/GPU.md.
  bool warpKernels = false;
  /// With warpKernels: quantized rows' warps compute the decode RMSNorm
  /// scale too (the kernel configuration's row_norms).
  bool quantizedRowNorms = false;
  /// With warpKernels: the prefill GEMMs on tensor cores
  /// (the kernel configuration's tensor_cores); not yet run on a GPU.
  bool tensorCores = false;
  /// Passes to run once the kernels are outlined with their workgroup
  /// buffers, before they are lowered to NVVM: llama-compile --gpu-emulate
  /// adds the test-only llama-emulate-gpu-kernels there (test/lib), which
  /// the compiler's libraries do not contain.
  std::function<void(OpPassManager &)> afterKernelOutlining;
  /// Fusions to leave out, by name (see kLlamaFusionNames).
  std::vector<std::string> disabledFusions;
};

/// The pipeline from the llama dialect for NVIDIA GPUs: the stages of the
/// CPU pipeline up to loops, then every parallel loop a kernel, all kernels
/// in one gpu.module lowered to NVVM and serialized to PTX (gpu.binary),
/// and the host code (launches, managed buffers) in the LLVM dialect.
void buildLlamaGPUPipeline(OpPassManager &pm,
                           const LlamaGPUPipelineOptions &options = {});

/// Registers `llama-cpu-pipeline` (and `llama-to-loops-pipeline`, the first
/// stage alone) with the pass registry.
void registerLlamaPipelines();

#define GEN_PASS_REGISTRATION
#include "llama-mlir/Transforms/Passes.h.inc"

} // namespace llama
} // namespace mlir

#endif // LLAMA_MLIR_TRANSFORMS_PASSES_H
