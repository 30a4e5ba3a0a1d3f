//===- BlockBytes.cpp - Scale and quant unpacking ---------------*- C++ -*-===//
//
// The K-quant scale and quant unpacking shared by the decoders
// (BlockBytes.h).
//
//===----------------------------------------------------------------------===//

#include "BlockBytes.h"

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::dequant {

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

Value kBlockQuants(VecBlock &v, Value raw, Value qh, int64_t half, int64_t j) {
  Value q = v.andv(v.shrv(raw, 4 * half, 32), 0xF, 32);
  if (qh)
    q = arith::OrIOp::create(v.b, v.loc, q,
                             v.shlv(v.andv(v.shrv(qh, j, 32), 1, 32), 4, 32));
  return q;
}

Value q6BlockQuants(VecBlock &v, Value qh, int64_t half, int64_t p) {
  Value ql = v.bytes(64 * half + 32 * (p % 2), 32);
  Value nib = v.andv(v.shrv(ql, 4 * (p / 2), 32), 0xF, 32);
  Value hi = v.andv(v.shrv(qh, 2 * p, 32), 3, 32);
  return v.subv(arith::OrIOp::create(v.b, v.loc, nib, v.shlv(hi, 4, 32)), 32,
                32);
}

} // namespace mlir::llama::dequant
