//===- Dequant.cpp - Generated dequantization of GGML blocks ----*- C++ -*-===//
//
// Implements Dequant.h. Byte offsets inside a block are computed from the
// block index and the element index with index arithmetic; LLVM folds the
// constant divisions and hoists the per-block scale loads out of the element
// loop.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Dequant.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::llama;

MemRefType mlir::llama::weightViewType(MLIRContext *ctx, GGMLType type,
                                       int64_t rows, int64_t cols) {
  Builder b(ctx);
  switch (type) {
  case GGMLType::F32:
    return MemRefType::get({rows, cols}, b.getF32Type());
  case GGMLType::F16:
  case GGMLType::BF16:
    return MemRefType::get({rows, cols}, b.getI16Type());
  default: {
    const llamart::GGMLTypeTraits &t = llamart::getGGMLTypeTraits(
        static_cast<llamart::GGMLType>(static_cast<uint32_t>(type)));
    return MemRefType::get({rows, cols / t.blockSize * t.bytesPerBlock},
                           b.getI8Type());
  }
  }
}

namespace {

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

/// Q4_K / Q5_K: the six-bit (scale, min) of sub-block `sub` (an index 0..7).
std::pair<Value, Value> kScaleMin(BlockBytes &k, Value sub) {
  // j < 4: sc = s[j] & 63, m = s[j+4] & 63
  // j >= 4: sc = (s[j+4] & 0xF) | ((s[j-4] >> 6) << 4),
  //         m = (s[j+4] >> 4) | ((s[j] >> 6) << 4)
  // The scales start at byte 4 of the block; indices are clamped so that
  // both arms of the select read inside the 12 bytes.
  Value lowJ = k.ult(sub, 4);
  Value jm4 = k.remc(sub, 4); // j - 4 when j >= 4, j otherwise
  Value sJ = k.byteAt(k.addc(sub, 4));
  Value sJp4 = k.byteAt(k.addc(sub, 8));
  Value sJm4 = k.byteAt(k.addc(jm4, 4));
  Value scLo = k.andc(sJ, 63), mLo = k.andc(sJp4, 63);
  Value scHi = k.orr(k.andc(sJp4, 0xF), k.shl(k.shr(sJm4, 6), 4));
  Value mHi = k.orr(k.shr(sJp4, 4), k.shl(k.shr(sJ, 6), 4));
  return {k.select(lowJ, scLo, scHi), k.select(lowJ, mLo, mHi)};
}

/// All eight (d * sc_j, dmin * m_j) of a Q4_K/Q5_K block at once, from its
/// 12 scale bytes (at byte 4), as two vector<8xf32>: the rule of kScaleMin
/// applied lane-wise, the j < 4 and j >= 4 halves picked with shuffles
/// instead of per-group scalar byte loads. The same values as kScaleMin's.
std::pair<Value, Value> kScalesMinsVector(BlockBytes &k) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  Value s =
      vector::LoadOp::create(b, loc, VectorType::get({12}, b.getI8Type()),
                             k.view, ValueRange{k.row, k.addc(k.base, 4)});
  auto i8v8 = VectorType::get({8}, b.getI8Type());
  auto f32v8 = VectorType::get({8}, b.getF32Type());
  auto pick = [&](ArrayRef<int64_t> idx) -> Value {
    return vector::ShuffleOp::create(b, loc, s, s, idx);
  };
  auto c8 = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i8v8, b.getI8IntegerAttr(v)));
  };
  auto andc = [&](Value x, int64_t m) -> Value {
    return arith::AndIOp::create(b, loc, x, c8(m));
  };
  auto shr = [&](Value x, int64_t n) -> Value {
    return arith::ShRUIOp::create(b, loc, x, c8(n));
  };
  auto shl = [&](Value x, int64_t n) -> Value {
    return arith::ShLIOp::create(b, loc, x, c8(n));
  };
  auto orr = [&](Value x, Value y) -> Value {
    return arith::OrIOp::create(b, loc, x, y);
  };
  // Lane j: s[j] for j < 4 | s[j + 4] for j >= 4, and so on.
  Value a = pick({0, 1, 2, 3, 8, 9, 10, 11});
  Value c = pick({4, 5, 6, 7, 8, 9, 10, 11});
  Value hiSc = pick({0, 1, 2, 3, 0, 1, 2, 3}); // s[j - 4] for j >= 4
  Value hiM = pick({0, 1, 2, 3, 4, 5, 6, 7});  // s[j] for j >= 4
  SmallVector<bool> low = {true, true, true, true, false, false, false, false};
  Value lowMask = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get({8}, b.getI1Type()),
                             ArrayRef<bool>(low)));
  Value sc = arith::SelectOp::create(b, loc, lowMask, andc(a, 63),
                                     orr(andc(a, 0xF), shl(shr(hiSc, 6), 4)));
  Value m = arith::SelectOp::create(b, loc, lowMask, andc(c, 63),
                                    orr(shr(c, 4), shl(shr(hiM, 6), 4)));
  auto scaled = [&](Value v, Value f) -> Value {
    return arith::MulFOp::create(b, loc,
                                 arith::UIToFPOp::create(b, loc, f32v8, v),
                                 vector::BroadcastOp::create(b, loc, f32v8, f));
  };
  return {scaled(sc, k.f16At(0)), scaled(m, k.f16At(2))};
}

/// Q6_K: the sixteen d * sc_i of a block (int8 scales at byte 192, d at
/// 208) as one vector<16xf32>. The same values as converting each scale.
Value q6ScalesVector(BlockBytes &k) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  auto f32v16 = VectorType::get({16}, b.getF32Type());
  Value sc =
      vector::LoadOp::create(b, loc, VectorType::get({16}, b.getI8Type()),
                             k.view, ValueRange{k.row, k.addc(k.base, 192)});
  return arith::MulFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, f32v16, sc),
      vector::BroadcastOp::create(b, loc, f32v16, k.f16At(208)));
}

} // namespace

Value mlir::llama::emitLoadWeightElement(OpBuilder &b, Location loc,
                                         const WeightView &w, Value row,
                                         Value blk, Value j) {
  switch (w.type) {
  case GGMLType::F32:
    return memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
  case GGMLType::F16: {
    Value h = memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
    Value f = arith::BitcastOp::create(b, loc, b.getF16Type(), h);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), f);
  }
  case GGMLType::BF16: {
    Value h = memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
    Value x = arith::ExtUIOp::create(b, loc, b.getI32Type(), h);
    Value s = arith::ShLIOp::create(
        b, loc, x, arith::ConstantIntOp::create(b, loc, b.getI32Type(), 16));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), s);
  }
  default:
    break;
  }
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  switch (w.type) {
  case GGMLType::Q8_0: {
    Value d = k.f16At(0);
    Value q = k.sbyteAt(k.addc(j, 2));
    return k.mulf(k.toF32(q), d);
  }
  case GGMLType::Q4_0:
  case GGMLType::Q4_1: {
    bool hasMin = w.type == GGMLType::Q4_1;
    Value d = k.f16At(0);
    // Element j < 16: low nibble of qs[j]; j >= 16: high nibble of qs[j-16].
    Value byte = k.byteAt(k.addc(k.remc(j, 16), hasMin ? 4 : 2));
    Value shift = k.select(k.ult(j, 16), k.i32(0), k.i32(4));
    Value q = k.andc(k.shr(byte, shift), 0xF);
    if (hasMin)
      return k.addf(k.mulf(k.toF32(q), d), k.f16At(2));
    return k.mulf(k.toF32(k.subc(q, 8)), d);
  }
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    bool hasMin = w.type == GGMLType::Q5_1;
    int64_t qhOff = hasMin ? 4 : 2;
    Value d = k.f16At(0);
    Value byte = k.byteAt(k.addc(k.remc(j, 16), qhOff + 4));
    Value shift = k.select(k.ult(j, 16), k.i32(0), k.i32(4));
    Value lo = k.andc(k.shr(byte, shift), 0xF);
    // Bit j of the little-endian u32 qh: byte j/8, bit j%8.
    Value qhByte = k.byteAt(k.addc(k.divc(j, 8), qhOff));
    Value bit = k.andc(k.shr(qhByte, k.indexToI32(k.remc(j, 8))), 1);
    Value q = k.orr(lo, k.shl(bit, 4));
    if (hasMin)
      return k.addf(k.mulf(k.toF32(q), d), k.f16At(2));
    return k.mulf(k.toF32(k.subc(q, 16)), d);
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    bool five = w.type == GGMLType::Q5_K;
    Value d = k.f16At(0), dmin = k.f16At(2);
    // Element j: chunk c = j/64, half = (j%64)/32, l = j%32, sub = j/32.
    Value c = k.divc(j, 64), l = k.remc(j, 32), sub = k.divc(j, 32);
    Value half = k.remc(sub, 2);
    auto [sc, m] = kScaleMin(k, sub);
    Value byte = k.byteAt(k.addc(k.add(k.mulc(c, 32), l), five ? 48 : 16));
    Value shift = k.shl(k.indexToI32(half), 2);
    Value q = k.andc(k.shr(byte, shift), 0xF);
    if (five) {
      Value qh = k.byteAt(k.addc(l, 16));
      Value bit = k.andc(k.shr(qh, k.indexToI32(sub)), 1);
      q = k.orr(q, k.shl(bit, 4));
    }
    Value d1 = k.mulf(d, k.toF32(sc));
    Value m1 = k.mulf(dmin, k.toF32(m));
    return k.subf(k.mulf(d1, k.toF32(q)), m1);
  }
  case GGMLType::Q6_K: {
    // half = j/128, r = j%128, p = r/32, l = r%32.
    Value half = k.divc(j, 128), r = k.remc(j, 128);
    Value p = k.divc(r, 32), l = k.remc(r, 32);
    // ql byte: 64*half + 32*(p%2) + l, nibble: p/2 (low for p<2).
    Value qlIdx = k.add(k.add(k.mulc(half, 64), k.mulc(k.remc(p, 2), 32)), l);
    Value ql = k.byteAt(qlIdx);
    Value nib = k.andc(k.shr(ql, k.shl(k.indexToI32(k.divc(p, 2)), 2)), 0xF);
    // qh byte: 128 + 32*half + l, bits 2p..2p+1.
    Value qh = k.byteAt(k.addc(k.add(k.mulc(half, 32), l), 128));
    Value hi = k.andc(k.shr(qh, k.shl(k.indexToI32(p), 1)), 3);
    Value q = k.subc(k.orr(nib, k.shl(hi, 4)), 32);
    // scale: sc[8*half + l/16 + 2p], signed, at byte 192.
    Value scIdx = k.add(k.add(k.mulc(half, 8), k.divc(l, 16)), k.mulc(p, 2));
    Value sc = k.sbyteAt(k.addc(scIdx, 192));
    Value d = k.f16At(208);
    return k.mulf(k.mulf(d, k.toF32(sc)), k.toF32(q));
  }
  default:
    llvm_unreachable("unquantized types handled above");
  }
}

//===----------------------------------------------------------------------===//
// Vectorized block dot products
//===----------------------------------------------------------------------===//

namespace {

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

/// Q4_0/Q4_1/Q5_0/Q5_1: the integer quants of elements 0..15 (low nibbles)
/// and 16..31 (high nibbles), with bit 4 from qh for the 5-bit types and the
/// offset (8 or 16) removed for the types without a min.
std::pair<Value, Value> smallBlockQuants(BlockBytes &k, VecBlock &v,
                                         GGMLType type) {
  OpBuilder &b = v.b;
  Location loc = v.loc;
  bool hasMin = type == GGMLType::Q4_1 || type == GGMLType::Q5_1;
  bool five = type == GGMLType::Q5_0 || type == GGMLType::Q5_1;
  int64_t qsOff = (hasMin ? 4 : 2) + (five ? 4 : 0);
  Value raw = v.bytes(qsOff, 16);
  Value lo = v.andv(raw, 0xF, 16), hi = v.shrv(raw, 4, 16);
  if (five) {
    // Bit j of the little-endian u32 qh: element j (low) and j + 16 (high).
    Value b0 = k.byteAt(hasMin ? 4 : 2), b1 = k.byteAt(hasMin ? 5 : 3);
    Value b2 = k.byteAt(hasMin ? 6 : 4), b3 = k.byteAt(hasMin ? 7 : 5);
    Value word =
        k.orr(k.orr(b0, k.shl(b1, 8)), k.orr(k.shl(b2, 16), k.shl(b3, 24)));
    auto i32v = VectorType::get({16}, b.getI32Type());
    Value qh = vector::BroadcastOp::create(b, loc, i32v, word);
    SmallVector<int32_t> iota(16);
    for (int i = 0; i < 16; ++i)
      iota[i] = i;
    Value lanes = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i32v, ArrayRef<int32_t>(iota)));
    Value bitLo = v.andv(arith::ShRUIOp::create(b, loc, qh, lanes), 1, 16);
    Value bitHi = v.andv(
        arith::ShRUIOp::create(
            b, loc, qh, arith::AddIOp::create(b, loc, lanes, v.splatI(16, 16))),
        1, 16);
    lo = arith::OrIOp::create(b, loc, lo, v.shlv(bitLo, 4, 16));
    hi = arith::OrIOp::create(b, loc, hi, v.shlv(bitHi, 4, 16));
  }
  if (!hasMin) {
    lo = v.subv(lo, five ? 16 : 8, 16);
    hi = v.subv(hi, five ? 16 : 8, 16);
  }
  return {lo, hi};
}

/// Q4_K/Q5_K: the 32 integer quants of sub-block j (nibble `half` of the
/// 32 bytes `raw` of its chunk, plus bit j of qh for Q5_K).
Value kBlockQuants(VecBlock &v, Value raw, Value qh, int64_t half, int64_t j) {
  Value q = v.andv(v.shrv(raw, 4 * half, 32), 0xF, 32);
  if (qh)
    q = arith::OrIOp::create(v.b, v.loc, q,
                             v.shlv(v.andv(v.shrv(qh, j, 32), 1, 32), 4, 32));
  return q;
}

/// Q6_K: the 32 integer quants (minus 32) of group p of 128-element half
/// `half`; `qh` is that half's 32 high-bit bytes.
Value q6BlockQuants(VecBlock &v, Value qh, int64_t half, int64_t p) {
  Value ql = v.bytes(64 * half + 32 * (p % 2), 32);
  Value nib = v.andv(v.shrv(ql, 4 * (p / 2), 32), 0xF, 32);
  Value hi = v.andv(v.shrv(qh, 2 * p, 32), 3, 32);
  return v.subv(arith::OrIOp::create(v.b, v.loc, nib, v.shlv(hi, 4, 32)), 32,
                32);
}

} // namespace

Value mlir::llama::emitBlockDot(OpBuilder &b, Location loc, const WeightView &w,
                                Value row, Value blk,
                                function_ref<Value(Value, int64_t)> loadX,
                                Value acc) {
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto mulIdx = [&](Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, idx(c));
  };
  auto addIdx = [&](Value x, int64_t c) {
    return c ? Value(arith::AddIOp::create(b, loc, x, idx(c))) : x;
  };
  Value k0 = mulIdx(blk, dotBlockElements(w));
  switch (w.type) {
  case GGMLType::F32:
  case GGMLType::F16:
  case GGMLType::BF16: {
    // One 16-element piece, converted to f32: the GEMM path's loads.
    Value wv = emitBlockWeights(b, loc, w, row, blk).front().second;
    return vector::FMAOp::create(b, loc, acc.getType(), loadX(k0, 16), wv, acc);
  }
  default:
    break;
  }
  // Quantized: scalar scales from the scalar helpers, vector quants.
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  VecBlock v{b, loc, w.view, row, k.base};
  switch (w.type) {
  case GGMLType::Q8_0: {
    Value d = v.splatF(k.f16At(0), 16);
    auto [q0, q1] = v.halves(v.sbytesF(2, 32));
    // acc += d * (x0·q0 + x1·q1)
    Value s = v.fma(loadX(k0, 16), q0,
                    v.fma(loadX(addIdx(k0, 16), 16), q1, v.zeros(16)));
    return v.fma(s, d, acc);
  }
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    bool hasMin = w.type == GGMLType::Q4_1 || w.type == GGMLType::Q5_1;
    auto [lo, hi] = smallBlockQuants(k, v, w.type);
    Value x0 = loadX(k0, 16), x1 = loadX(addIdx(k0, 16), 16);
    // d * sum(q x) (+ m * sum(x))
    Value qx = v.fma(x0, v.toF(lo, 16), v.fma(x1, v.toF(hi, 16), v.zeros(16)));
    acc = v.fma(qx, v.splatF(k.f16At(0), 16), acc);
    if (hasMin)
      acc = v.fma(arith::AddFOp::create(b, loc, x0, x1),
                  v.splatF(k.f16At(2), 16), acc);
    return acc;
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    bool five = w.type == GGMLType::Q5_K;
    auto [scales, mins] = kScalesMinsVector(k);
    Value qh = five ? v.bytes(16, 32) : Value();
    for (int64_t c = 0; c < 4; ++c) {
      Value raw = v.bytes((five ? 48 : 16) + 32 * c, 32);
      for (int64_t half = 0; half < 2; ++half) {
        int64_t j = 2 * c + half;
        Value q = kBlockQuants(v, raw, qh, half, j);
        auto [q0, q1] = v.halves(v.toF(q, 32));
        Value xk = addIdx(k0, 32 * j);
        Value x0 = loadX(xk, 16), x1 = loadX(addIdx(xk, 16), 16);
        Value qx = v.fma(x0, q0, v.fma(x1, q1, v.zeros(16)));
        // acc += d*sc * sum(q x) - dmin*m * sum(x)
        Value d1 = vector::ExtractOp::create(b, loc, scales, j);
        Value m1 = vector::ExtractOp::create(b, loc, mins, j);
        acc = v.fma(qx, v.splatF(d1, 16), acc);
        Value negM = arith::NegFOp::create(b, loc, m1);
        acc = v.fma(arith::AddFOp::create(b, loc, x0, x1), v.splatF(negM, 16),
                    acc);
      }
    }
    return acc;
  }
  case GGMLType::Q6_K: {
    Value scales = q6ScalesVector(k);
    for (int64_t half = 0; half < 2; ++half) {
      Value qh = v.bytes(128 + 32 * half, 32);
      for (int64_t p = 0; p < 4; ++p) {
        auto [q0, q1] = v.halves(v.toF(q6BlockQuants(v, qh, half, p), 32));
        Value xk = addIdx(k0, 128 * half + 32 * p);
        for (int64_t g = 0; g < 2; ++g) {
          Value scale =
              vector::ExtractOp::create(b, loc, scales, 8 * half + 2 * p + g);
          Value prod = v.mul(loadX(addIdx(xk, 16 * g), 16), g ? q1 : q0);
          acc = v.fma(prod, v.splatF(scale, 16), acc);
        }
      }
    }
    return acc;
  }
  default:
    llvm_unreachable("handled above");
  }
}

Value mlir::llama::emitBlockPartWeights(OpBuilder &b, Location loc,
                                        const WeightView &w, Value row,
                                        Value blk, Value part) {
  // Part p is elements 8p .. 8p + 7 of the block. Its quants come from 8
  // consecutive bytes (and 8 qh bytes); its scales are scalars.
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  VecBlock v{b, loc, w.view, row, k.base};
  auto i8v = VectorType::get({8}, b.getI8Type());
  auto i32v = VectorType::get({8}, b.getI32Type());
  auto f32v = VectorType::get({8}, b.getF32Type());
  // 8 bytes at base + off.
  auto bytes8 = [&](Value off) -> Value {
    return vector::LoadOp::create(b, loc, i8v, w.view,
                                  ValueRange{row, k.add(k.base, off)});
  };
  auto zext = [&](Value x) -> Value {
    return arith::ExtUIOp::create(b, loc, i32v, x);
  };
  // x >> s lane-wise, s an index value.
  auto shrBy = [&](Value x, Value s) -> Value {
    return arith::ShRUIOp::create(
        b, loc, x, vector::BroadcastOp::create(b, loc, i32v, k.indexToI32(s)));
  };
  switch (w.type) {
  case GGMLType::Q4_0:
  case GGMLType::Q8_0: {
    // Q8_0: the int8 quants at byte 2 + 8p; Q4_0: the low (p < 2) or high
    // nibbles of quant bytes 8 (p % 2) .. 8 (p % 2) + 7, minus 8; times d.
    Value q;
    if (w.type == GGMLType::Q8_0) {
      q = arith::SIToFPOp::create(b, loc, f32v,
                                  bytes8(k.addc(k.mulc(part, 8), 2)));
    } else {
      Value raw = zext(bytes8(k.addc(k.mulc(k.remc(part, 2), 8), 2)));
      Value nib = v.andv(shrBy(raw, k.mulc(k.divc(part, 2), 4)), 0xF, 8);
      q = v.toF(v.subv(nib, 8, 8), 8);
    }
    return v.mul(q, v.splatF(k.f16At(0), 8));
  }
  case GGMLType::Q4_1:
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    // As Q4_0, the low (p < 2) or high nibbles of quant bytes 8 (p % 2) ..
    // 8 (p % 2) + 7, at byte qsOff. Q5_x: element e's bit 4 is bit e of
    // the little-endian u32 qh (at byte 2, or 4 after a min), so part p's
    // are the bits of qh byte p, lane i bit i. Q5_0: d (q - 16);
    // Q4_1/Q5_1: d q + m (m, f16 at byte 2).
    bool hasMin = w.type != GGMLType::Q5_0;
    bool five = w.type != GGMLType::Q4_1;
    int64_t qhOff = hasMin ? 4 : 2, qsOff = qhOff + (five ? 4 : 0);
    Value raw = zext(bytes8(k.addc(k.mulc(k.remc(part, 2), 8), qsOff)));
    Value q = v.andv(shrBy(raw, k.mulc(k.divc(part, 2), 4)), 0xF, 8);
    if (five) {
      Value bits = vector::BroadcastOp::create(b, loc, i32v,
                                               k.byteAt(k.addc(part, qhOff)));
      SmallVector<int32_t> iota = {0, 1, 2, 3, 4, 5, 6, 7};
      Value lanes = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i32v, ArrayRef<int32_t>(iota)));
      Value hi = v.andv(arith::ShRUIOp::create(b, loc, bits, lanes), 1, 8);
      q = arith::OrIOp::create(b, loc, q, v.shlv(hi, 4, 8));
    }
    Value d = v.splatF(k.f16At(0), 8);
    if (!hasMin)
      return v.mul(v.toF(v.subv(q, 16, 8), 8), d);
    return v.fma(v.toF(q, 8), d, v.splatF(k.f16At(2), 8));
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    // Sub-block j = p / 4 (32 elements), bytes i0 = 8 (p % 4) .. i0 + 7 of
    // it: the low (j even) or high nibbles of the quant bytes 32 (j / 2) +
    // i0 .. (at byte 16; Q5_K: 48), Q5_K's bit 4 bit j of qh bytes i0 ..
    // (at byte 16); d * sc_j * q - dmin * m_j.
    bool five = w.type == GGMLType::Q5_K;
    Value j = k.divc(part, 4), i0 = k.mulc(k.remc(part, 4), 8);
    Value raw = zext(
        bytes8(k.addc(k.add(k.mulc(k.divc(j, 2), 32), i0), five ? 48 : 16)));
    Value q = v.andv(shrBy(raw, k.mulc(k.remc(j, 2), 4)), 0xF, 8);
    if (five)
      q = arith::OrIOp::create(
          b, loc, q,
          v.shlv(v.andv(shrBy(zext(bytes8(k.addc(i0, 16))), j), 1, 8), 4, 8));
    auto [sc, m] = kScaleMin(k, j);
    Value d1 = k.mulf(k.f16At(0), k.toF32(sc));
    Value m1 = k.mulf(k.f16At(2), k.toF32(m));
    return v.fma(v.toF(q, 8), v.splatF(d1, 8),
                 v.splatF(arith::NegFOp::create(b, loc, m1), 8));
  }
  case GGMLType::Q6_K: {
    // Half h = p / 16 (128 elements), its 32-element group g = (p % 16) /
    // 4, bytes l0 = 8 (p % 4) .. l0 + 7 of it: the low (g < 2) or high
    // nibbles of ql bytes 64 h + 32 (g % 2) + l0 .., bits 2g of qh bytes
    // 32 h + l0 .. (at byte 128) as bits 4-5, minus 32; scale 8 h + 2 g +
    // l0 / 16 (int8 at byte 192) times d (f16 at byte 208).
    Value h = k.divc(part, 16), g = k.divc(k.remc(part, 16), 4);
    Value l0 = k.mulc(k.remc(part, 4), 8);
    Value ql =
        zext(bytes8(k.add(k.add(k.mulc(h, 64), k.mulc(k.remc(g, 2), 32)), l0)));
    Value qh = zext(bytes8(k.addc(k.add(k.mulc(h, 32), l0), 128)));
    Value nib = v.andv(shrBy(ql, k.mulc(k.divc(g, 2), 4)), 0xF, 8);
    Value hi = v.andv(shrBy(qh, k.mulc(g, 2)), 3, 8);
    Value q =
        v.subv(arith::OrIOp::create(b, loc, nib, v.shlv(hi, 4, 8)), 32, 8);
    Value si =
        k.add(k.add(k.mulc(h, 8), k.mulc(g, 2)), k.divc(k.remc(part, 4), 2));
    Value scale = k.mulf(k.toF32(k.sbyteAt(k.addc(si, 192))), k.f16At(208));
    return v.mul(v.toF(q, 8), v.splatF(scale, 8));
  }
  default:
    llvm_unreachable("dotBlockParts is 1 for the other types");
  }
}

Value mlir::llama::emitUnquantizedPiece(OpBuilder &b, Location loc,
                                        const WeightView &w, Value row,
                                        Value k0, int64_t n) {
  auto f32v = VectorType::get({n}, b.getF32Type());
  if (w.type == GGMLType::F32)
    return vector::LoadOp::create(b, loc, f32v, w.view, ValueRange{row, k0});
  auto i16v = VectorType::get({n}, b.getI16Type());
  return emitHalfToF32(
      b, loc, w.type,
      vector::LoadOp::create(b, loc, i16v, w.view, ValueRange{row, k0}));
}

Value mlir::llama::emitHalfToF32(OpBuilder &b, Location loc, GGMLType type,
                                 Value bits) {
  auto it = cast<VectorType>(bits.getType());
  auto with = [&](Type elt) { return it.cloneWith(std::nullopt, elt); };
  if (type == GGMLType::F16)
    return arith::ExtFOp::create(
        b, loc, with(b.getF32Type()),
        Value(arith::BitcastOp::create(b, loc, with(b.getF16Type()), bits)));
  // bf16: the upper half of an f32.
  auto i32v = cast<VectorType>(with(b.getI32Type()));
  Value x = arith::ExtUIOp::create(b, loc, i32v, bits);
  Value sh = arith::ShLIOp::create(
      b, loc, x,
      arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i32v, b.getI32IntegerAttr(16))));
  return arith::BitcastOp::create(b, loc, with(b.getF32Type()), sh);
}

SmallVector<std::pair<int64_t, Value>>
mlir::llama::emitBlockWeights(OpBuilder &b, Location loc, const WeightView &w,
                              Value row, Value blk) {
  SmallVector<std::pair<int64_t, Value>> pieces;
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  switch (w.type) {
  case GGMLType::F32:
  case GGMLType::F16:
  case GGMLType::BF16: {
    Value k0 = arith::MulIOp::create(b, loc, blk, idx(kDotLanes));
    pieces.push_back({0, emitUnquantizedPiece(b, loc, w, row, k0, kDotLanes)});
    return pieces;
  }
  default:
    break;
  }
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  VecBlock v{b, loc, w.view, row, k.base};
  switch (w.type) {
  case GGMLType::Q8_0: {
    Value d = v.splatF(k.f16At(0), 16);
    auto [q0, q1] = v.halves(v.sbytesF(2, 32));
    pieces.push_back({0, v.mul(q0, d)});
    pieces.push_back({16, v.mul(q1, d)});
    return pieces;
  }
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    bool hasMin = w.type == GGMLType::Q4_1 || w.type == GGMLType::Q5_1;
    auto [lo, hi] = smallBlockQuants(k, v, w.type);
    Value d = v.splatF(k.f16At(0), 16);
    Value wlo = v.mul(v.toF(lo, 16), d), whi = v.mul(v.toF(hi, 16), d);
    if (hasMin) {
      Value m = v.splatF(k.f16At(2), 16);
      wlo = arith::AddFOp::create(b, loc, wlo, m);
      whi = arith::AddFOp::create(b, loc, whi, m);
    }
    pieces.push_back({0, wlo});
    pieces.push_back({16, whi});
    return pieces;
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    bool five = w.type == GGMLType::Q5_K;
    auto [scales, mins] = kScalesMinsVector(k);
    Value qh = five ? v.bytes(16, 32) : Value();
    for (int64_t c = 0; c < 4; ++c) {
      Value raw = v.bytes((five ? 48 : 16) + 32 * c, 32);
      for (int64_t half = 0; half < 2; ++half) {
        int64_t j = 2 * c + half;
        Value q = kBlockQuants(v, raw, qh, half, j);
        Value d1 = v.splatF(vector::ExtractOp::create(b, loc, scales, j), 32);
        Value m1 = v.splatF(vector::ExtractOp::create(b, loc, mins, j), 32);
        Value wv = arith::SubFOp::create(b, loc, v.mul(d1, v.toF(q, 32)), m1);
        auto [w0, w1] = v.halves(wv);
        pieces.push_back({32 * j, w0});
        pieces.push_back({32 * j + 16, w1});
      }
    }
    return pieces;
  }
  case GGMLType::Q6_K: {
    Value scales = q6ScalesVector(k);
    for (int64_t half = 0; half < 2; ++half) {
      Value qh = v.bytes(128 + 32 * half, 32);
      for (int64_t p = 0; p < 4; ++p) {
        auto [q0, q1] = v.halves(v.toF(q6BlockQuants(v, qh, half, p), 32));
        for (int64_t g = 0; g < 2; ++g) {
          Value scale = v.splatF(
              vector::ExtractOp::create(b, loc, scales, 8 * half + 2 * p + g),
              16);
          pieces.push_back(
              {128 * half + 32 * p + 16 * g, v.mul(scale, g ? q1 : q0)});
        }
      }
    }
    return pieces;
  }
  default:
    llvm_unreachable("handled above");
  }
}

//===----------------------------------------------------------------------===//
// Integer dot products
//===----------------------------------------------------------------------===//

bool mlir::llama::int8GroupsHaveMin(GGMLType type) {
  return type == GGMLType::Q4_K || type == GGMLType::Q5_K;
}

SmallVector<Int8Group> mlir::llama::emitBlockInt8Groups(OpBuilder &b,
                                                        Location loc,
                                                        const WeightView &w,
                                                        Value row, Value blk) {
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  auto i8v = [&](int64_t n) { return VectorType::get({n}, b.getI8Type()); };
  auto f32v8 = VectorType::get({8}, b.getF32Type());
  auto bytes = [&](int64_t off, int64_t n) -> Value {
    return vector::LoadOp::create(b, loc, i8v(n), w.view,
                                  ValueRange{row, k.addc(k.base, off)});
  };
  auto splat8 = [&](int64_t v, int64_t n) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i8v(n), b.getI8IntegerAttr(v)));
  };
  auto andc = [&](Value x, int64_t m) -> Value {
    return arith::AndIOp::create(
        b, loc, x, splat8(m, cast<VectorType>(x.getType()).getDimSize(0)));
  };
  auto shr = [&](Value x, int64_t s) -> Value {
    return s ? Value(arith::ShRUIOp::create(
                   b, loc, x,
                   splat8(s, cast<VectorType>(x.getType()).getDimSize(0))))
             : x;
  };
  auto shl = [&](Value x, int64_t s) -> Value {
    return s ? Value(arith::ShLIOp::create(b, loc, x, splat8(s, 32))) : x;
  };
  auto lanes = [&](Value f) -> Value {
    return vector::BroadcastOp::create(b, loc, f32v8, f);
  };
  // vector<8xf32> whose lanes 0-3 are element `first` of `v` and lanes 4-7
  // element `second` (the lanes of llama.int8_dot cover 4 elements each).
  auto laneShuffle = [&](Value v, std::pair<int64_t, int64_t> ab) -> Value {
    auto [first, second] = ab;
    return vector::ShuffleOp::create(b, loc, v, v,
                                     ArrayRef<int64_t>{first, first, first,
                                                       first, second, second,
                                                       second, second});
  };
  SmallVector<Int8Group> groups;
  switch (w.type) {
  case GGMLType::Q8_0:
    groups.push_back({0, bytes(2, 32), lanes(k.f16At(0)), nullptr});
    return groups;
  case GGMLType::Q4_0: {
    // Byte j holds element j (low nibble) and j + 16 (high nibble).
    Value raw = bytes(2, 16);
    Value lo = arith::SubIOp::create(b, loc, andc(raw, 0xF), splat8(8, 16));
    Value hi = arith::SubIOp::create(b, loc, shr(raw, 4), splat8(8, 16));
    SmallVector<int64_t> iota(32);
    for (int64_t i = 0; i < 32; ++i)
      iota[i] = i;
    // Signed quants: taking q unsigned with a min of 8 d (as the K-quants)
    // measured slower (a scalar min term per 32 elements, per token).
    groups.push_back({0, vector::ShuffleOp::create(b, loc, lo, hi, iota),
                      lanes(k.f16At(0)), nullptr});
    return groups;
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    // Group j: nibble (j % 2) of bytes 32 (j / 2) ..; Q5_K adds bit j of
    // qh[i] as bit 4. w = d sc_j q - dmin m_j.
    bool five = w.type == GGMLType::Q5_K;
    Value qh = five ? bytes(16, 32) : Value();
    auto [scales, mins] = kScalesMinsVector(k);
    for (int64_t j = 0; j < 8; ++j) {
      Value q = andc(
          shr(bytes((five ? 48 : 16) + 32 * (j / 2), 32), 4 * (j % 2)), 0xF);
      if (five)
        q = arith::OrIOp::create(b, loc, q, shl(andc(shr(qh, j), 1), 4));
      // Unsigned quants (0..15, Q5_K 0..31): the min carries the offset.
      groups.push_back({32 * j, q, laneShuffle(scales, {j, j}),
                        vector::ExtractOp::create(b, loc, mins, j),
                        /*nonneg=*/true});
    }
    return groups;
  }
  case GGMLType::Q6_K: {
    // Group (half, p): elements 128 half + 32 p ..; its two 16-element
    // sub-blocks have the int8 scales sc[8 half + 2 p] and sc[.. + 1].
    Value scales = q6ScalesVector(k);
    for (int64_t half = 0; half < 2; ++half) {
      Value qh = bytes(128 + 32 * half, 32);
      for (int64_t p = 0; p < 4; ++p) {
        Value ql = bytes(64 * half + 32 * (p % 2), 32);
        Value nib = andc(shr(ql, 4 * (p / 2)), 0xF);
        Value hi = andc(shr(qh, 2 * p), 3);
        Value q = arith::SubIOp::create(
            b, loc, arith::OrIOp::create(b, loc, nib, shl(hi, 4)),
            splat8(32, 32));
        int64_t sc = 8 * half + 2 * p;
        groups.push_back({128 * half + 32 * p, q,
                          laneShuffle(scales, {sc, sc + 1}), nullptr});
      }
    }
    return groups;
  }
  default:
    llvm_unreachable("canIntDot is false for this type");
  }
}

Value mlir::llama::emitInt8Dot(OpBuilder &b, Location loc, IntDotISA isa,
                               Value w, Value x, bool wNonneg) {
  IntDotKind kind = isa == IntDotISA::AVX2         ? IntDotKind::AVX2
                    : isa == IntDotISA::AVX512VNNI ? IntDotKind::AVX512VNNI
                    : isa == IntDotISA::NEONDot    ? IntDotKind::NEONDot
                                                   : IntDotKind::Generic;
  return Int8DotOp::create(b, loc, VectorType::get({8}, b.getI32Type()), w, x,
                           IntDotKindAttr::get(b.getContext(), kind),
                           wNonneg ? b.getUnitAttr() : UnitAttr());
}
