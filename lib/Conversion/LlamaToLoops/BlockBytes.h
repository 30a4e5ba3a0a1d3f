//===- BlockBytes.h - Byte and lane helpers of the decoders -----*- C++ -*-===//
//
// What the GGML format decoders (Decoders.cpp) and the ways of reading
// weights built on them (Dequant*.cpp) share: index arithmetic and loads
// over one block's bytes (BlockBytes), lane-wise integer ops (Lanes).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H

#include "Dequant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::llama::dequant {

/// Helpers over one block's bytes. Index arithmetic on constants folds as
/// it is built, so that a decoder called with a constant element index
/// emits constant offsets and shifts (indices are never negative: the
/// folds' signed C++ arithmetic agrees with the unsigned ops).
struct BlockBytes {
  OpBuilder &b;
  Location loc;
  Value view, row, base; // base: byte index of the block in the row

  /// Block `blk` of `row` of `w`.
  static BlockBytes at(OpBuilder &b, Location loc, const WeightView &w,
                       Value row, Value blk) {
    BlockBytes k{b, loc, w.view, row, nullptr};
    k.base = k.mulc(blk, w.bytesPerBlock);
    return k;
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  static std::optional<int64_t> constant(Value v) {
    return getConstantIntValue(v);
  }
  Value add(Value x, Value y) {
    auto cx = constant(x), cy = constant(y);
    if (cx && cy)
      return idx(*cx + *cy);
    if (cy && *cy == 0)
      return x;
    if (cx && *cx == 0)
      return y;
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value addc(Value x, int64_t c) { return add(x, idx(c)); }
  Value mulc(Value x, int64_t c) {
    if (auto cx = constant(x))
      return idx(*cx * c);
    return c == 1 ? x : Value(arith::MulIOp::create(b, loc, x, idx(c)));
  }
  Value divc(Value x, int64_t c) {
    if (auto cx = constant(x))
      return idx(*cx / c);
    return c == 1 ? x : Value(arith::DivUIOp::create(b, loc, x, idx(c)));
  }
  Value remc(Value x, int64_t c) {
    if (auto cx = constant(x))
      return idx(*cx % c);
    return arith::RemUIOp::create(b, loc, x, idx(c));
  }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  }

  /// Byte at `base + off` as i32 (zero-extended).
  Value byteAt(Value off) {
    Value v =
        memref::LoadOp::create(b, loc, view, ValueRange{row, add(base, off)});
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), v);
  }
  Value byteAt(int64_t off) { return byteAt(idx(off)); }
  /// Little-endian f16 at `base + off`, as f32.
  Value f16At(int64_t off) {
    Value lo = byteAt(off), hi = byteAt(off + 1);
    Value bits = arith::OrIOp::create(
        b, loc, lo, arith::ShLIOp::create(b, loc, hi, i32(8)));
    Value h = arith::TruncIOp::create(b, loc, b.getI16Type(), bits);
    Value f = arith::BitcastOp::create(b, loc, b.getF16Type(), h);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), f);
  }
  /// n bytes at `base + off`: vector<n x i8>, or extended to `lane` lanes
  /// (sign-extended if `isSigned`).
  Value bytes(Value off, int64_t n, Type lane = {}, bool isSigned = false) {
    Value v =
        vector::LoadOp::create(b, loc, VectorType::get({n}, b.getI8Type()),
                               view, ValueRange{row, add(base, off)});
    if (!lane || lane.isInteger(8))
      return v;
    auto t = VectorType::get({n}, lane);
    return isSigned ? Value(arith::ExtSIOp::create(b, loc, t, v))
                    : Value(arith::ExtUIOp::create(b, loc, t, v));
  }
  Value bytes(int64_t off, int64_t n) { return bytes(idx(off), n); }
};

/// Lane-wise integer helpers on vector<n x i8> (and i32) values.
struct Lanes {
  OpBuilder &b;
  Location loc;

  static int64_t width(Value v) {
    return cast<VectorType>(v.getType()).getDimSize(0);
  }
  /// A splat of `v` shaped and typed as `like`.
  Value splat(Value like, int64_t v) {
    auto t = cast<VectorType>(like.getType());
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(t, IntegerAttr::get(t.getElementType(), v)));
  }
  /// A splat of the index `s` (constant or not) shaped and typed as `like`.
  Value splat(Value like, Value s) {
    if (auto c = getConstantIntValue(s))
      return splat(like, *c);
    auto t = cast<VectorType>(like.getType());
    Value e = arith::IndexCastUIOp::create(b, loc, t.getElementType(), s);
    return vector::BroadcastOp::create(b, loc, t, e);
  }
  Value andc(Value x, int64_t m) {
    return arith::AndIOp::create(b, loc, x, splat(x, m));
  }
  Value orr(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value subc(Value x, int64_t c) {
    return arith::SubIOp::create(b, loc, x, splat(x, c));
  }
  Value shl(Value x, int64_t s) {
    return s ? Value(arith::ShLIOp::create(b, loc, x, splat(x, s))) : x;
  }
  /// x >> s (logical), s an index, constant or not.
  Value shr(Value x, Value s) {
    auto c = getConstantIntValue(s);
    if (c && *c == 0)
      return x;
    return arith::ShRUIOp::create(b, loc, x, splat(x, s));
  }
};

} // namespace mlir::llama::dequant

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H
