//===- Decoders.h - One decoder per GGML block format -----------*- C++ -*-===//
//
// Each quantized GGML format is described once, by its BlockDecoder: where a
// block keeps its integer quants and its scales, and how to unpack them. A
// block of B elements in sub-blocks of S elements holds
//
//   w[e] = scale[e / S] * q[e] - min[e / S]
//
// with q small integers (int8). Every way the lowering reads weights (one
// element, 8-element parts, 16-element pieces, block dot products with f32
// activations, 32-element int8 groups: Dequant.h) is built from a decoder's
// two functions, scales() and quants(), in Dequant*.cpp; a format is added
// or corrected here and nowhere else. The formulas are those of
// shared/docs/GGUF.md and the references (runtime/gguf/Quant.cpp,
// python/llama_ref/quant.py).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DECODERS_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DECODERS_H

#include "BlockBytes.h"

namespace mlir::llama::dequant {

class BlockDecoder {
public:
  BlockDecoder(int64_t subBlock, int64_t run, bool hasMin)
      : subBlock(subBlock), run(run), hasMin(hasMin) {}
  virtual ~BlockDecoder() = default;

  /// S: the elements that share one scale (and min).
  const int64_t subBlock;
  /// The longest run of consecutive elements quants() reads at once.
  const int64_t run;
  /// Whether the format has mins. Its quants are then unsigned (0..31);
  /// without mins they are signed, their offset (8, 16, 32) removed.
  const bool hasMin;

  /// The scale and the min of every sub-block of the block at `k.base`, as
  /// two vector<B/S x f32>; the min (the amount subtracted) is null without
  /// mins.
  virtual std::pair<Value, Value> scales(BlockBytes &k) const = 0;

  /// The integer quants of elements first .. first + n - 1 of the block at
  /// `k.base`, as vector<n x lane> (i8 for int8 dot products, i32 where
  /// they become f32: the bytes are widened first, which converts with
  /// fewer instructions than widening the result). `first` is an index,
  /// constant or not; n divides run and first is a multiple of n (Q5_0 and
  /// Q5_1: n is 1 or a multiple of 8).
  virtual Value quants(BlockBytes &k, Value first, int64_t n,
                       IntegerType lane) const = 0;
};

/// The decoder of a quantized type (not F32/F16/BF16).
const BlockDecoder &getBlockDecoder(GGMLType type);

/// quants() of any n: runs of the decoder's run length concatenated when
/// n is longer (then `first` must be a multiple of run).
Value emitQuants(BlockBytes &k, const BlockDecoder &d, Value first, int64_t n,
                 IntegerType lane);

/// The scale and min (null without mins) of the sub-block holding element
/// `e` (an index, constant or not), picked from `scales`.
std::pair<Value, Value> scaleOf(BlockBytes &k, const BlockDecoder &d,
                                std::pair<Value, Value> scales, Value e);

} // namespace mlir::llama::dequant

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_DECODERS_H
