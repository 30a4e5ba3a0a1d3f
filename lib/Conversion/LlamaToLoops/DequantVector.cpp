//===- DequantVector.cpp - Vector decoders of GGML blocks -------*- C++ -*-===//
//
// The vector forms of the format decoders (Dequant.h): a block dot product
// with f32 activations, a block's weights in vector pieces or 8-element
// parts, f16/bf16 pieces; the same values as the element decoder.
//
//===----------------------------------------------------------------------===//

#include "BlockBytes.h"

#include "runtime/gguf/GGMLType.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

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
