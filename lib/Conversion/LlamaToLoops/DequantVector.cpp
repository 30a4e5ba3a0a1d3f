//===- DequantVector.cpp - Vector decoders of GGML blocks -------*- C++ -*-===//
//
// The vector ways of reading weights (Dequant.h), built on the format's
// decoder (Decoders.h): a block dot product with f32 activations, a block's
// weights in 16-element pieces or 8-element parts, f16/bf16 pieces; the
// same values as the element form.
//
//===----------------------------------------------------------------------===//

#include "Decoders.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

Value mlir::llama::emitBlockDot(OpBuilder &b, Location loc, const WeightView &w,
                                Value row, Value blk,
                                function_ref<Value(Value, int64_t)> loadX,
                                Value acc) {
  Value k0 = arith::MulIOp::create(
      b, loc, blk, arith::ConstantIndexOp::create(b, loc, dotBlockElements(w)));
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
  // Quantized, per sub-block u of S elements in 16-element pieces:
  //   acc += scale_u * sum(q x) - min_u * sum(x)
  const BlockDecoder &d = getBlockDecoder(w.type);
  BlockBytes k = BlockBytes::at(b, loc, w, row, blk);
  auto f32v = VectorType::get({kDotLanes}, b.getF32Type());
  auto scales = d.scales(k);
  for (int64_t u = 0; u < dotBlockElements(w); u += d.subBlock) {
    SmallVector<Value> xs, qs;
    for (int64_t e = u; e < u + d.subBlock; e += kDotLanes) {
      xs.push_back(loadX(k.addc(k0, e), kDotLanes));
      qs.push_back(arith::SIToFPOp::create(
          b, loc, f32v, emitQuants(k, d, k.idx(e), kDotLanes, b.getI32Type())));
    }
    // The products summed last piece first: x0 q0 + (x1 q1 + 0).
    Value qx;
    if (xs.size() == 1) {
      qx = arith::MulFOp::create(b, loc, xs[0], qs[0]);
    } else {
      qx = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(f32v, b.getF32FloatAttr(0)));
      for (size_t i = xs.size(); i-- > 0;)
        qx = vector::FMAOp::create(b, loc, f32v, xs[i], qs[i], qx);
    }
    auto [scale, min] = scaleOf(k, d, scales, k.idx(u));
    acc = vector::FMAOp::create(
        b, loc, f32v, qx, vector::BroadcastOp::create(b, loc, f32v, scale),
        acc);
    if (min) {
      Value sumX = xs.front();
      for (size_t i = 1; i < xs.size(); ++i)
        sumX = arith::AddFOp::create(b, loc, sumX, xs[i]);
      acc = vector::FMAOp::create(
          b, loc, f32v, sumX,
          vector::BroadcastOp::create(b, loc, f32v,
                                      arith::NegFOp::create(b, loc, min)),
          acc);
    }
  }
  return acc;
}

Value mlir::llama::emitBlockPartWeights(OpBuilder &b, Location loc,
                                        const WeightView &w, Value row,
                                        Value blk, Value part) {
  // Part p is elements 8p .. 8p + 7 of the block: scale q - min as one
  // multiply-add.
  const BlockDecoder &d = getBlockDecoder(w.type);
  BlockBytes k = BlockBytes::at(b, loc, w, row, blk);
  auto f32v = VectorType::get({8}, b.getF32Type());
  Value e = k.mulc(part, 8);
  Value q = arith::SIToFPOp::create(b, loc, f32v,
                                    emitQuants(k, d, e, 8, b.getI32Type()));
  auto [scale, min] = scaleOf(k, d, d.scales(k), e);
  Value s = vector::BroadcastOp::create(b, loc, f32v, scale);
  if (!min)
    return arith::MulFOp::create(b, loc, q, s);
  return vector::FMAOp::create(
      b, loc, f32v, q, s,
      vector::BroadcastOp::create(b, loc, f32v,
                                  arith::NegFOp::create(b, loc, min)));
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
  switch (w.type) {
  case GGMLType::F32:
  case GGMLType::F16:
  case GGMLType::BF16: {
    Value k0 = arith::MulIOp::create(
        b, loc, blk, arith::ConstantIndexOp::create(b, loc, kDotLanes));
    pieces.push_back({0, emitUnquantizedPiece(b, loc, w, row, k0, kDotLanes)});
    return pieces;
  }
  default:
    break;
  }
  // scale q - min, a piece at a time.
  const BlockDecoder &d = getBlockDecoder(w.type);
  BlockBytes k = BlockBytes::at(b, loc, w, row, blk);
  auto f32v = VectorType::get({kDotLanes}, b.getF32Type());
  auto scales = d.scales(k);
  for (int64_t e = 0; e < dotBlockElements(w); e += kDotLanes) {
    Value q = arith::SIToFPOp::create(
        b, loc, f32v, emitQuants(k, d, k.idx(e), kDotLanes, b.getI32Type()));
    auto [scale, min] = scaleOf(k, d, scales, k.idx(e));
    Value x = arith::MulFOp::create(
        b, loc, q, vector::BroadcastOp::create(b, loc, f32v, scale));
    if (min)
      x = arith::SubFOp::create(b, loc, x,
                                vector::BroadcastOp::create(b, loc, f32v, min));
    pieces.push_back({e, x});
  }
  return pieces;
}
