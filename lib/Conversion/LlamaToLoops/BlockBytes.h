//===- BlockBytes.h - Byte and vector helpers of the decoders ---*- C++ -*-===//
//
// What the GGML format decoders (Dequant*.cpp) share: builders over one
// block's bytes, scalar (BlockBytes) and vector (VecBlock), and the
// K-quants' scale and quant unpacking used by more than one decoder form.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H

#include "Dequant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::llama::dequant {

/// Helpers over one block's bytes.
struct BlockBytes {
  OpBuilder &b;
  Location loc;
  Value view, row, base; // base: byte index of the block in the row

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value addc(Value x, int64_t c) { return c ? add(x, idx(c)) : x; }
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
  /// Signed byte at `base + off` as i32.
  Value sbyteAt(Value off) {
    Value v =
        memref::LoadOp::create(b, loc, view, ValueRange{row, add(base, off)});
    return arith::ExtSIOp::create(b, loc, b.getI32Type(), v);
  }
  /// Little-endian f16 at `base + off`, as f32.
  Value f16At(int64_t off) {
    Value lo = byteAt(off), hi = byteAt(off + 1);
    Value bits = arith::OrIOp::create(
        b, loc, lo, arith::ShLIOp::create(b, loc, hi, i32(8)));
    Value h = arith::TruncIOp::create(b, loc, b.getI16Type(), bits);
    Value f = arith::BitcastOp::create(b, loc, b.getF16Type(), h);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), f);
  }
  Value shr(Value x, Value s) { return arith::ShRUIOp::create(b, loc, x, s); }
  Value shr(Value x, int64_t s) { return s ? shr(x, i32(s)) : x; }
  Value andc(Value x, int64_t m) {
    return arith::AndIOp::create(b, loc, x, i32(m));
  }
  Value orr(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, int64_t s) {
    return arith::ShLIOp::create(b, loc, x, i32(s));
  }
  Value subc(Value x, int64_t c) {
    return arith::SubIOp::create(b, loc, x, i32(c));
  }
  Value toF32(Value x) {
    return arith::SIToFPOp::create(b, loc, b.getF32Type(), x);
  }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value addf(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value subf(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value indexToI32(Value i) {
    return arith::IndexCastOp::create(b, loc, b.getI32Type(), i);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value ult(Value x, int64_t c) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, idx(c));
  }
  Value divc(Value x, int64_t c) {
    return arith::DivUIOp::create(b, loc, x, idx(c));
  }
  Value remc(Value x, int64_t c) {
    return arith::RemUIOp::create(b, loc, x, idx(c));
  }
  Value mulc(Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, idx(c));
  }
};

/// Vector helpers over one block's bytes.
struct VecBlock {
  OpBuilder &b;
  Location loc;
  Value view, row, base;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value off(int64_t c) {
    return c ? Value(arith::AddIOp::create(b, loc, base, idx(c))) : base;
  }
  VectorType vt(int64_t n, Type t) { return VectorType::get({n}, t); }
  /// n bytes at base + c, zero-extended to i32 lanes.
  Value bytes(int64_t c, int64_t n) {
    Value v = vector::LoadOp::create(b, loc, vt(n, b.getI8Type()), view,
                                     ValueRange{row, off(c)});
    return arith::ExtUIOp::create(b, loc, vt(n, b.getI32Type()), v);
  }
  /// n signed bytes at base + c as f32 lanes.
  Value sbytesF(int64_t c, int64_t n) {
    Value v = vector::LoadOp::create(b, loc, vt(n, b.getI8Type()), view,
                                     ValueRange{row, off(c)});
    return arith::SIToFPOp::create(b, loc, vt(n, b.getF32Type()), v);
  }
  Value splatI(int64_t v, int64_t n) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(vt(n, b.getI32Type()),
                               b.getI32IntegerAttr(static_cast<int32_t>(v))));
  }
  Value zeros(int64_t n) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(vt(n, b.getF32Type()), b.getF32FloatAttr(0)));
  }
  Value splatF(Value scalar, int64_t n) {
    return vector::BroadcastOp::create(b, loc, vt(n, b.getF32Type()), scalar);
  }
  Value andv(Value x, int64_t m, int64_t n) {
    return arith::AndIOp::create(b, loc, x, splatI(m, n));
  }
  Value shrv(Value x, int64_t s, int64_t n) {
    return s ? Value(arith::ShRUIOp::create(b, loc, x, splatI(s, n))) : x;
  }
  Value shlv(Value x, int64_t s, int64_t n) {
    return s ? Value(arith::ShLIOp::create(b, loc, x, splatI(s, n))) : x;
  }
  Value subv(Value x, int64_t c, int64_t n) {
    return arith::SubIOp::create(b, loc, x, splatI(c, n));
  }
  Value toF(Value x, int64_t n) {
    return arith::SIToFPOp::create(b, loc, vt(n, b.getF32Type()), x);
  }
  Value fma(Value x, Value y, Value acc) {
    return vector::FMAOp::create(b, loc, acc.getType(), x, y, acc);
  }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  /// Splits a 32-lane vector into its two 16-lane halves.
  std::pair<Value, Value> halves(Value v32) {
    Value lo = vector::ExtractStridedSliceOp::create(
        b, loc, v32, ArrayRef<int64_t>{0}, ArrayRef<int64_t>{16},
        ArrayRef<int64_t>{1});
    Value hi = vector::ExtractStridedSliceOp::create(
        b, loc, v32, ArrayRef<int64_t>{16}, ArrayRef<int64_t>{16},
        ArrayRef<int64_t>{1});
    return {lo, hi};
  }
};

/// Q4_K / Q5_K: the six-bit (scale, min) of sub-block `sub` (an index 0..7).
std::pair<Value, Value> kScaleMin(BlockBytes &k, Value sub);

/// All eight (d * sc_j, dmin * m_j) of a Q4_K/Q5_K block at once, from its
/// 12 scale bytes (at byte 4), as two vector<8xf32>: the rule of kScaleMin
/// applied lane-wise, the j < 4 and j >= 4 halves picked with shuffles
/// instead of per-group scalar byte loads. The same values as kScaleMin's.
std::pair<Value, Value> kScalesMinsVector(BlockBytes &k);

/// Q6_K: the sixteen d * sc_i of a block (int8 scales at byte 192, d at
/// 208) as one vector<16xf32>. The same values as converting each scale.
Value q6ScalesVector(BlockBytes &k);

/// Q4_0/Q4_1/Q5_0/Q5_1: the integer quants of elements 0..15 (low nibbles)
/// and 16..31 (high nibbles), with bit 4 from qh for the 5-bit types and the
/// offset (8 or 16) removed for the types without a min.
std::pair<Value, Value> smallBlockQuants(BlockBytes &k, VecBlock &v,
                                         GGMLType type);

/// Q4_K/Q5_K: the 32 integer quants of sub-block j (nibble `half` of the
/// 32 bytes `raw` of its chunk, plus bit j of qh for Q5_K).
Value kBlockQuants(VecBlock &v, Value raw, Value qh, int64_t half, int64_t j);

/// Q6_K: the 32 integer quants (minus 32) of group p of 128-element half
/// `half`; `qh` is that half's 32 high-bit bytes.
Value q6BlockQuants(VecBlock &v, Value qh, int64_t half, int64_t p);

} // namespace mlir::llama::dequant

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_BLOCKBYTES_H
