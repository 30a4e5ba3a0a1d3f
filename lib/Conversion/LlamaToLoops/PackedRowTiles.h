//===- PackedRowTiles.h - Matmuls in packed tiles of 16 rows ----*- C++ -*-===//
//
// The kernel of llama-lower-to-loops for ops configured with
// tile_rows = 16, for weights with integer dot products (and f16/bf16
// weights, as f32 tiles): a tile of 16 weight rows is decoded once into
// a stack buffer in which each 4 consecutive quants of the 16 rows are one
// 64-byte vector (row r in int32 lane r), with the rows' scales as
// vector<16xf32>; every token then multiplies the whole tile with one
// llama.dot4_acc per 4 elements, and the scales apply as vectors. Weights
// prepacked at compile time in the rows16 layout (PackedWeights.h) are read
// in place instead, decode steps included. See docs/Tiles.md.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_PACKEDROWTILES_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_PACKEDROWTILES_H

#include "Dequant.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::llama {

/// The packed-tile predicates of the formats (Formats.h) for a weight view.
inline bool canPackRows(const WeightView &w, int64_t k) {
  return canPackRows(w.type, k);
}
inline bool canPackFloatRows(const WeightView &w, int64_t k) {
  return canPackFloatRows(w.type, k);
}

/// Tokens per AMX block: the rows of an activation tile.
constexpr int64_t kAMXTokens = 16;

/// The activations of a packed-tile matmul: for integer tiles quantized per
/// block of 32 as in llama-lower-to-loops, `xq : [seq, K] x i8`, `xd`,
/// `xs : [seq, K/32] x f32` (scales and quant sums); for f16/bf16 tiles
/// (xq null) `x : [seq, K] x f32`, already times the RMSNorm weight; and
/// the RMSNorm row scales `scales : [seq]` or null.
struct PackedActivations {
  Value xq, xd, xs, scales, x;
  /// The sums of each block's first 16 quants (Q6_K tiles), or null.
  Value xl;
  /// AMX: xq's full blocks of 16 tokens as [seq / 16, K/32, 16, 32] x i8
  /// (each activation tile 512 contiguous bytes).
  Value xt;
  /// Float tiles' prefill: the full blocks of xfTokens tokens of x (times
  /// gamma) as [seq / T, K, T] x f32, or null.
  Value xf = {};
  int64_t xfTokens = 0;
  /// With xf: the RMSNorm weight (f32 [K]) the other tokens' x is
  /// multiplied with as it is loaded, or null.
  Value gamma = {};
};

/// The tokens a packed row tile multiplies at a time, and the block of
/// the activations' element-major copy: the configuration's token block
/// (every weight takes the whole block, one after the other).
inline int64_t tileTokens(int64_t tokenBlock) {
  return std::max<int64_t>(1, tokenBlock);
}

/// Rows [r0s[i], r0s[i] + 16) of each weight ws[i] (all n x k; canPackRows with
/// quantized activations, canPackFloatRows without; read in place where
/// the weight is prepacked, otherwise packed first),
/// multiplied with every token s in [0, seq) of `x`, `tokenBlock` tokens at
/// a time (integer tiles one after the other, each with the whole block; two
/// float tiles side by side, each with half of a block of
/// kSideBySideTokens or more; a single token takes them all side by side):
/// calls store(s, ys) with ys[i] the
/// vector<16xf32> of the 16 dot products of ws[i] (times the token's norm
/// scale). Prepacked tiles are prefetched `prefetch` bytes ahead of their
/// loads (0: not at all). With `amx`, integer tiles multiply blocks of 16
/// tokens in AMX tile registers (AMXTiles.cpp) and the rest as above; both sum
/// the same exact int32 block dot products and scale them with the same f32
/// operations. The packed tile lives in stack buffers (memref.alloca) of the
/// enclosing allocation scope, per weight 16 K bytes of quants and 2 K of
/// scales (4 K with mins): 144 KiB for two weights of K = 4096; f16/bf16 tiles
/// hold f32, 64 K bytes.
void emitPackedRowTile(OpBuilder &b, Location loc, IntDotKind kind, bool amx,
                       ArrayRef<const WeightView *> ws, int64_t k,
                       const PackedActivations &x, ArrayRef<Value> r0s,
                       Value seq, int64_t tokenBlock, int64_t prefetch,
                       function_ref<void(Value s, ArrayRef<Value> ys)> store);

} // namespace mlir::llama

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_PACKEDROWTILES_H
