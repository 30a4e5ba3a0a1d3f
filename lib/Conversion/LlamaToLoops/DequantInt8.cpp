//===- DequantInt8.cpp - Int8 groups of GGML blocks -------------*- C++ -*-===//
//
// The integer way of reading weights (Dequant.h): a block unpacked by its
// format's decoder (Decoders.h) into 32-element int8 groups with their
// scales, and the int8 dot product of a group with quantized activations
// for each int-dot ISA.
//
//===----------------------------------------------------------------------===//

#include "Decoders.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

bool mlir::llama::int8GroupsHaveMin(GGMLType type) {
  return !isUnquantized(type) && dequant::getBlockDecoder(type).hasMin;
}

bool mlir::llama::int8GroupsHaveTwoMins(GGMLType type) {
  return int8GroupsHaveMin(type) && int8GroupsHaveTwoScales(type);
}

bool mlir::llama::int8GroupsHaveTwoScales(GGMLType type) {
  return !isUnquantized(type) &&
         dequant::getBlockDecoder(type).subBlock < kIntDotBlock;
}

SmallVector<Int8Group> mlir::llama::emitBlockInt8Groups(OpBuilder &b,
                                                        Location loc,
                                                        const WeightView &w,
                                                        Value row, Value blk) {
  const BlockDecoder &d = getBlockDecoder(w.type);
  BlockBytes k = BlockBytes::at(b, loc, w, row, blk);
  auto [scales, mins] = d.scales(k);
  int64_t subs = Lanes::width(scales);
  SmallVector<Int8Group> groups;
  for (int64_t e = 0; e < dotBlockElements(w); e += kIntDotBlock) {
    // Lane i of llama.int8_dot covers elements e + 4i .. e + 4i + 3: the
    // scale of their sub-block.
    Value laneScale;
    if (subs == 1) {
      laneScale = vector::BroadcastOp::create(
          b, loc, VectorType::get({8}, b.getF32Type()),
          vector::ExtractOp::create(b, loc, scales, 0));
    } else {
      SmallVector<int64_t> lanes(8);
      for (int64_t i = 0; i < 8; ++i)
        lanes[i] = (e + 4 * i) / d.subBlock;
      laneScale = vector::ShuffleOp::create(b, loc, scales, scales, lanes);
    }
    // With mins the quants are unsigned and the min carries the offset.
    Value minCoef =
        mins ? Value(vector::ExtractOp::create(b, loc, mins, e / d.subBlock))
             : Value();
    Value minCoefHigh =
        mins && d.subBlock < kIntDotBlock
            ? Value(vector::ExtractOp::create(b, loc, mins, e / d.subBlock + 1))
            : Value();
    groups.push_back({e,
                      emitQuants(k, d, k.idx(e), kIntDotBlock, b.getI8Type()),
                      laneScale, minCoef, minCoefHigh, /*nonneg=*/d.hasMin});
  }
  return groups;
}

IntDotKind mlir::llama::int8DotKind(IntDotISA isa) {
  switch (isa) {
  case IntDotISA::AVX2:
    return IntDotKind::AVX2;
  case IntDotISA::AVXVNNI:
    return IntDotKind::AVXVNNI;
  case IntDotISA::AVX512VNNI:
    return IntDotKind::AVX512VNNI;
  case IntDotISA::NEONDot:
    return IntDotKind::NEONDot;
  case IntDotISA::None:
  case IntDotISA::Generic:
    break;
  }
  return IntDotKind::Generic;
}

Value mlir::llama::emitInt8Dot(OpBuilder &b, Location loc, IntDotISA isa,
                               Value w, Value x, bool wNonneg) {
  IntDotKind kind = int8DotKind(isa);
  return Int8DotOp::create(b, loc, VectorType::get({8}, b.getI32Type()), w, x,
                           IntDotKindAttr::get(b.getContext(), kind),
                           wNonneg ? b.getUnitAttr() : UnitAttr());
}
