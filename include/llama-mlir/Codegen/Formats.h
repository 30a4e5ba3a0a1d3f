//===- Formats.h - What each GGML format allows a kernel --------*- C++ -*-===//
//
// The facts about weight formats that both the kernel tables
// (llama-configure-kernels) and the lowering (llama-lower-to-loops) decide
// with: which types have an integer dot product, vectorized block dots,
// 8-element units for GPU warps, packed 16-row tiles. One definition, so
// that a configuration the table chooses is one the lowering can emit.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_CODEGEN_FORMATS_H
#define LLAMA_MLIR_CODEGEN_FORMATS_H

#include "llama-mlir/Dialect/Llama/IR/Llama.h"

namespace mlir::llama {

/// Width of the accumulator of the vectorized dot products.
constexpr int64_t kDotLanes = 16;
/// Elements per activation quantization block (= Q8_0 / Q4_0 block size).
constexpr int64_t kIntDotBlock = 32;
/// Rows per packed tile: one int32 (or f32) lane of a 512-bit vector each.
constexpr int64_t kPackedRows = 16;
/// The float tiles' token blocks from which two tiles go side by side, each
/// with half of the block (AVX-512's 24 tokens: 2 x 12 sums, two tiles'
/// weights and a broadcast in 32 registers; AVX2's and NEON's 6 would
/// spill): SwiGLU's gate and up, and the two row tiles of a task of 32
/// rows (`distribute = [0, 32]`, the CPU table's choice for such blocks).
constexpr int64_t kSideBySideTokens = 16;
/// Elements of the units a GPU warp's lane takes (a piece of an f32/f16/bf16
/// row, a part of a quantized block).
constexpr int64_t kWarpPiece = 8;

/// Elements per quantization block of `type` (1 for f32/f16/bf16).
int64_t blockElements(GGMLType type);

/// f32, f16 or bf16.
bool isUnquantized(GGMLType type);

/// Elements per step of the vectorized block dot: the block size of
/// quantized types, kDotLanes for f32/f16/bf16.
int64_t dotBlockElements(GGMLType type);

/// Whether rows of `k` elements have vectorized block dots (f32/f16/bf16
/// rows must be a multiple of 16 elements).
bool canVectorizeDot(GGMLType type, int64_t k);

/// Parts of kWarpPiece elements a block splits into: 32 for the
/// 256-element K-quant blocks, 4 for the 32-element blocks (Q4_0, Q4_1,
/// Q5_0, Q5_1, Q8_0); 1 (no parts) for f32/f16/bf16.
int64_t dotBlockParts(GGMLType type);

/// Whether a GPU warp can take rows of `type` in kWarpPiece-element units.
bool hasEightElementUnits(GGMLType type);

/// Whether a GPU warp's prefill can take a block of tokens per weight block
/// it loads, for rows of `k` elements: vectorized block dots whose blocks
/// have at most 32 elements or come in kWarpPiece-element units (the
/// dequantized pieces of a whole K-quant block are too many registers).
bool warpBlocksTokens(GGMLType type, int64_t k);

/// Whether weights of `type` have an integer dot product: every quantized
/// type (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K), whose 32-element
/// groups are small integers with one scale per 16 or 32 elements (and a
/// min for Q4_1, Q5_1, Q4_K and Q5_K).
bool hasIntDot(GGMLType type);

/// The largest quant a packed integer tile of `type` stores (the quants
/// offset to unsigned): 15 for the 4-bit formats (Q4_0, Q4_1, Q4_K), 31
/// for the 5-bit ones (Q5_0, Q5_1, Q5_K), 63 for Q6_K, 255 for Q8_0; 0 for
/// types without an integer dot.
int64_t maxStoredQuant(GGMLType type);

/// Whether rows of `k` elements have an integer dot product: the type has
/// one and `k` is a whole number of its blocks and of 32.
bool canIntDot(GGMLType type, int64_t k);

/// Whether rows of `k` elements can be multiplied in packed 16-row integer
/// tiles: canIntDot (Q6_K's groups have two scales, one per 16-element
/// sub-block).
bool canPackRows(GGMLType type, int64_t k);

/// Whether f16/bf16 rows of `k` elements (a multiple of 16) can be packed as
/// f32 tiles, 16 rows per vector, for activations that are not quantized.
bool canPackFloatRows(GGMLType type, int64_t k);

} // namespace mlir::llama

#endif // LLAMA_MLIR_CODEGEN_FORMATS_H
