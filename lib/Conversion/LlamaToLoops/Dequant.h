//===- Dequant.h - Generated dequantization of GGML blocks ------*- C++ -*-===//
//
// The ways the lowering reads a weight from a view of the GGUF bytes: one
// element as f32, 8-element parts, 16-element pieces, a block dot product
// with f32 activations, 32-element int8 groups. Each is written once for
// every quantized type, on top of the format's one decoder (Decoders.h);
// the values are those of shared/docs/GGUF.md, rounded once per operation
// like the references (runtime/gguf/Quant.cpp, python/llama_ref/quant.py).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DEQUANT_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DEQUANT_H

#include "llama-mlir/Codegen/Formats.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/IR/Builders.h"

#include <optional>

namespace mlir::llama {

/// A weight bound to its bytes: `view` is `[rows, K] x f32`,
/// `[rows, K] x i16` (f16/bf16) or `[rows, row_bytes] x i8` (quantized).
struct WeightView {
  Value view;
  GGMLType type;
  int64_t blockSize;
  int64_t bytesPerBlock;
  /// The bytes are in the `rows16` layout packed at compile time
  /// (PackedWeights.h): `view` is memref<n/16 x k/32 x group bytes x i8>,
  /// which only the packed row-tile kernels read.
  bool prepacked = false;
};

/// The memref type of the view of a weight of type `type` with `rows` rows of
/// `cols` elements.
MemRefType weightViewType(MLIRContext *ctx, GGMLType type, int64_t rows,
                          int64_t cols);

/// Emits the f32 value of element `j` (0 <= j < blockSize) of block `blk` of
/// row `row`. For unquantized types blockSize is 1 and j must be 0.
Value emitLoadWeightElement(OpBuilder &b, Location loc, const WeightView &w,
                            Value row, Value blk, Value j);

/// The format facts of Formats.h for a weight view.
inline int64_t dotBlockElements(const WeightView &w) {
  return dotBlockElements(w.type);
}
inline bool canVectorizeDot(const WeightView &w, int64_t k) {
  return canVectorizeDot(w.type, k);
}
inline int64_t dotBlockParts(const WeightView &w) {
  return dotBlockParts(w.type);
}
inline bool canIntDot(const WeightView &w, int64_t k) {
  return canIntDot(w.type, k);
}
inline bool isUnquantized(const WeightView &w) { return isUnquantized(w.type); }
/// Pieces of f32/f16/bf16 rows (kWarpPiece), parts of the quantized blocks
/// (emitBlockPartWeights); every GGML type the importer takes has them.
inline bool hasEightElementUnits(const WeightView &w) {
  return hasEightElementUnits(w.type);
}

/// acc + the products of weight block `blk` of `row` with the matching
/// activations, as a vector<16xf32> partial sum. `loadX(k0, n)` returns the
/// activations k0..k0+n-1 as vector<n x f32>. The block's scales are applied
/// per block (sum of q·x times d), not per element: the result differs from
/// the element-wise reference by rounding only.
Value emitBlockDot(OpBuilder &b, Location loc, const WeightView &w, Value row,
                   Value blk, function_ref<Value(Value, int64_t)> loadX,
                   Value acc);

/// The 8 weights of part `part` (an index in [0, dotBlockParts(w)), not
/// necessarily constant; dotBlockParts(w) > 1) of block `blk` of `row`,
/// dequantized: vector<8xf32>. For GPU warps: with a lane per 8 elements
/// the lanes read consecutive activations (a lane per block or per 64
/// elements had the 32 lanes of each 16-byte activation load touch 32
/// cache lines), and a row of 16 K-quant blocks (4096 elements) keeps all
/// lanes busy.
Value emitBlockPartWeights(OpBuilder &b, Location loc, const WeightView &w,
                           Value row, Value blk, Value part);

/// Elements k0 .. k0+n-1 of `row` of an f32/f16/bf16 weight, as
/// vector<n x f32> (one vector load).
Value emitUnquantizedPiece(OpBuilder &b, Location loc, const WeightView &w,
                           Value row, Value k0, int64_t n);

/// A vector of f16 (`type` F16) or bf16 (BF16) bit patterns, as i16 lanes
/// (scalable or not), converted to f32 lanes.
Value emitHalfToF32(OpBuilder &b, Location loc, GGMLType type, Value bits);

/// The f32 weights of block `blk` of `row`, dequantized in registers as
/// vector<16xf32> pieces with their element offset inside the block. Each
/// element is computed with the reference formula (same values as
/// emitLoadWeightElement), so a caller can reuse the pieces for several
/// tokens (the GEMM of prompt processing).
SmallVector<std::pair<int64_t, Value>> emitBlockWeights(OpBuilder &b,
                                                        Location loc,
                                                        const WeightView &w,
                                                        Value row, Value blk);

//===----------------------------------------------------------------------===//
// Integer dot products (quantized weights times int8 activations)
//===----------------------------------------------------------------------===//

// The instruction family of the int8 dot products is the IntDotISA of the
// op's #llama.kernel_config. Every choice gives the same exact int32 sums;
// they differ in the instructions: `Generic` sign-extends and multiplies in
// vector ops (any target), `AVX2` uses vpsignb + vpmaddubsw + vpmaddwd,
// `AVX512VNNI` and `AVXVNNI` vpsignb + vpdpbusd (EVEX or VEX encoded),
// `NEONDot` two sdot.

/// The llama.int8_dot kind of an IntDotISA (Generic for None).
IntDotKind int8DotKind(IntDotISA isa);

/// One 32-element group of a weight block in integer form:
///   w[offset + i] = laneScale[lane(i)] * q[i] - minCoef
/// with lane(i) = i / 4 (the lanes of llama.int8_dot), so that
///   sum_i w[i] x[i] = sum_lanes(laneScale * int8_dot(q, xq)) * dx
///                     - minCoef * sum_i xq[i] * dx
/// for activations x = dx * xq. A group with a min per 16-element
/// sub-block (Q2_K) has minCoef for elements 0..15 and minCoefHigh for
/// 16..31: the min term is (minCoef * xl + minCoefHigh * (xs - xl)) * dx,
/// xl the sum of the group's first 16 activation quants.
struct Int8Group {
  int64_t offset;      // first element of the group in the block
  Value q;             // vector<32xi8>
  Value laneScale;     // vector<8xf32>
  Value minCoef;       // f32, or null when the type has no min
  Value minCoefHigh;   // f32, or null unless two mins per group
  bool nonneg = false; // q in [0, 127] (llama.int8_dot lhs_nonneg)
};

/// Whether the groups of `type` have a min (minCoef): Q4_1, Q5_1, Q2_K,
/// Q4_K, Q5_K; false for the unquantized types.
bool int8GroupsHaveMin(GGMLType type);

/// Whether a 32-element group of `type` has two mins, one per 16-element
/// sub-block (Q2_K: minCoefHigh); false for the unquantized types.
bool int8GroupsHaveTwoMins(GGMLType type);

/// Whether a 32-element group of `type` has two scales, one per 16-element
/// sub-block (Q6_K: laneScale lanes 0..3 and 4..7 differ); false for the
/// unquantized types.
bool int8GroupsHaveTwoScales(GGMLType type);

/// The 32-element groups of block `blk` of `row` (1 for the 32-element
/// formats, 8 for the K-quants).
SmallVector<Int8Group> emitBlockInt8Groups(OpBuilder &b, Location loc,
                                           const WeightView &w, Value row,
                                           Value blk);

/// The int8 dot product of two vector<32xi8> folded into vector<8xi32>
/// partial sums (the sum of the 8 lanes is the dot product).
Value emitInt8Dot(OpBuilder &b, Location loc, IntDotISA isa, Value w, Value x,
                  bool wNonneg = false);

} // namespace mlir::llama

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DEQUANT_H
