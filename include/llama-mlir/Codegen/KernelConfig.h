//===- KernelConfig.h - Per-target kernel configuration tables --*- C++ -*-===//
//
// The tables llama-configure-kernels chooses each op's #llama.kernel_config
// from: one per target family (lib/Codegen/CPU/KernelConfig.cpp,
// lib/Codegen/GPU/KernelConfig.cpp). A CPU row names the kernel choices of a
// family of CPUs (integer dot instructions, prefill register block, packed
// row tiles, vector form); the per-op functions refine them by the op's
// weight formats and shapes (Formats.h), so that the attribute on each op
// says what its kernel really is. See docs/Codegen.md.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_CODEGEN_KERNELCONFIG_H
#define LLAMA_MLIR_CODEGEN_KERNELCONFIG_H

#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::llama {

/// The tile loops' prefetch distance of most rows: 16 Q4_0 groups of a
/// tile (16 x 288 bytes), measured best on the Xeon with AMX (a 7B shape's
/// decode) and on the Zen 3 (AVX2).
inline constexpr int64_t kDefaultTilePrefetch = 16 * 288;

/// A row of the CPU kernel table.
struct CPUKernelTarget {
  /// llama-configure-kernels{target=NAME}.
  const char *name;
  /// The runtime-checked CPU features (runtime/core/CPUFeatures.h names) a
  /// CPU needs for this row; selectCPUKernelTarget takes the first row whose
  /// features a target has.
  std::vector<const char *> features;
  /// The int8 dot instructions (for the weights that have integer dots).
  IntDotISA intDot;
  /// Tokens per register block of the prefill GEMM: 4 for 16 vector
  /// registers, 8 for 32.
  int64_t tokenBlock;
  /// 16: prefills (and prepacked decode steps) in tiles of 16 rows, one per
  /// lane of a 512-bit vector (two 256-bit halves on AVX2); 0: row by row.
  int64_t tileRows;
  /// `vector`, `scalable` for f32/f16/bf16 rows on SVE, or `amx` for the
  /// integer 16-row tiles in AMX tile registers.
  KernelDot dot;
  /// With tiles: the token blocks of the integer tiles and of the f16/bf16
  /// (float) tiles, which keep 16 sums per token and weight in registers.
  int64_t intTileTokens = 0, floatTileTokens = 0;
  /// With weights packed at compile time: bytes ahead of its loads that a
  /// tile loop prefetches into L2 (the configuration's `prefetch`).
  int64_t prefetch = kDefaultTilePrefetch;
  /// Cache rows per online-softmax step of the GQA attention (kv_block).
  int64_t kvBlock = 16;
};

/// The CPU kernel table, most specific row first.
const std::vector<CPUKernelTarget> &cpuKernelTable();

/// The row named `name`, or null.
const CPUKernelTarget *findCPUKernelTarget(StringRef name);

/// The first row of cpuKernelTable() all of whose features `cpuFeatures`
/// has (the last row, `generic`, needs none).
const CPUKernelTarget &
selectCPUKernelTarget(const std::vector<std::string> &cpuFeatures);

/// The int_dot name the program's manifest records for `isa` ("none",
/// "generic", "avx2", "avx512vnni", "neon-dotprod").
StringRef manifestIntDotName(IntDotISA isa);

/// What a caller may change in a CPU row.
struct CPUKernelOptions {
  /// Off: f32 dot products and no packed tiles (llama-compile --int-dot=off:
  /// the float reference path).
  bool intDot = true;
  /// Nonzero: this prefill register block instead of the row's.
  int64_t tokenBlock = 0;
  /// Nonzero: this attention cache-row block instead of the row's.
  int64_t kvBlock = 0;
  /// At least 0: this tile prefetch distance (bytes; 0: none) instead of
  /// the row's.
  int64_t prefetch = -1;
  /// The weights of ops in 16-row tiles read in the rows16 layout packed at
  /// compile time, where all their uses can (selectPrepackedWeights).
  bool packedWeights = false;
};

/// The GPU kernel table's choices (the NVPTX pipeline's options).
struct GPUKernelOptions {
  /// A warp per weight row (dispatch = warps); off: a thread per row.
  bool warps = false;
  /// Threads per block of every kernel.
  int64_t blockThreads = 128;
  /// With warps: prefill GEMMs on tensor cores.
  bool tensorCores = false;
  /// With warps: quantized rows' warps compute their RMSNorm scale.
  bool rowNorms = false;
  /// Tokens per register block of the warps' prefill.
  int64_t tokenBlock = 4;
};

/// The model-level ops that take a #llama.kernel_config: every llama op
/// llama-lower-to-loops lowers but llama.weight.
bool takesKernelConfig(Operation *op);

/// The weight operands of a matmul-family op (llama.matmul,
/// llama.matmul_swiglu, llama.qkv_rope); empty for other ops.
SmallVector<Value> matmulWeights(Operation *op);

/// Gives every op of `module` that takes a configuration and has none the
/// CPU table's choice for `target`. Fails (with a diagnostic) where
/// packedWeights is asked of a row without tiles.
LogicalResult configureCPUKernels(ModuleOp module,
                                  const CPUKernelTarget &target,
                                  const CPUKernelOptions &options);

/// The same with the GPU table.
LogicalResult configureGPUKernels(ModuleOp module,
                                  const GPUKernelOptions &options);

} // namespace mlir::llama

#endif // LLAMA_MLIR_CODEGEN_KERNELCONFIG_H
