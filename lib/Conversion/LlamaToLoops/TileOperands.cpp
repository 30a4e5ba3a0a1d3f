//===- TileOperands.cpp - What the packed row tiles multiply ----*- C++ -*-===//
//
// The operands of the packed row-tile kernels (PackedRowTiles.cpp,
// AMXTiles.cpp): a weight's tile packed per call from its GGUF rows, or a
// tile of a weight prepacked at compile time (rows16, PackedWeights.h),
// and, at each group, its quants per step and its scales and mins as
// vectors of the tile's 16 rows. The layouts are PackedRowTiles.cpp's.
//
//===----------------------------------------------------------------------===//

#include "TileBuilder.h"

#include "llama-mlir/Codegen/PackedWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::tiles;

/// What a tile adds to the signed quants of `type` to store them unsigned:
/// the format's offset, as in the rows16 layout (Q4_0's quants then take 4
/// bits, not 8: see llama.dot4_acc's lhs_small), or 128.
static int64_t quantBias(GGMLType type) {
  int64_t bias =
      llama_mlir::packed::rows16QuantBias(static_cast<uint32_t>(type));
  return bias ? bias : 128;
}

/// Decodes rows [r0, r0 + 16) of `w` into a packed tile.
PackedTile tiles::packTile(TileBuilder &e, const WeightView &w, int64_t k,
                           Value r0) {
  OpBuilder &b = e.b;
  int64_t groups = k / kIntDotBlock, perBlock = w.blockSize / kIntDotBlock;
  PackedTile t;
  t.type = w.type;
  t.halves = int8GroupsHaveTwoScales(w.type);
  t.quants = e.stackBuffer({groups, 8, kPackedRows}, b.getI32Type());
  t.scales = t.halves ? e.stackBuffer({groups, 2, kPackedRows}, b.getF32Type())
                      : e.stackBuffer({groups, kPackedRows}, b.getF32Type());
  if (int8GroupsHaveMin(w.type))
    t.mins = e.stackBuffer({groups, kPackedRows}, b.getF32Type());
  auto i8x32 = VectorType::get({kIntDotBlock}, b.getI8Type());
  auto i32x8 = VectorType::get({8}, b.getI32Type());
  e.loop(e.idx(0), e.idx(kPackedRows), 1, {}, [&](Value r, ValueRange) {
    Value row = arith::AddIOp::create(b, e.loc, r0, r);
    e.loop(e.idx(0), e.idx(k / w.blockSize), 1, {}, [&](Value blk, ValueRange) {
      Value g0 = e.mul(blk, perBlock);
      SmallVector<Int8Group> grps = emitBlockInt8Groups(b, e.loc, w, row, blk);
      for (const Int8Group &grp : grps) {
        Value g = e.add(g0, grp.offset / kIntDotBlock);
        Value q = grp.q;
        t.bias = grp.nonneg ? 0 : quantBias(w.type);
        if (t.bias)
          q = arith::AddIOp::create(
              b, e.loc, q,
              e.splat(i8x32, b.getI8IntegerAttr(static_cast<int8_t>(t.bias))));
        Value q32 = vector::BitCastOp::create(b, e.loc, i32x8, q);
        for (int64_t j = 0; j < 8; ++j)
          memref::StoreOp::create(b, e.loc,
                                  vector::ExtractOp::create(b, e.loc, q32, j),
                                  t.quants, ValueRange{g, e.idx(j), r});
        // Lanes 0 and 4: elements 0 and 16 of the group.
        for (int64_t h = 0; h < (t.halves ? 2 : 1); ++h) {
          SmallVector<Value> at = {g, r};
          if (t.halves)
            at.insert(at.begin() + 1, e.idx(h));
          memref::StoreOp::create(
              b, e.loc,
              vector::ExtractOp::create(b, e.loc, grp.laneScale, 4 * h),
              t.scales, at);
        }
        if (grp.minCoef)
          memref::StoreOp::create(b, e.loc, grp.minCoef, t.mins,
                                  ValueRange{g, r});
      }
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  return t;
}

GroupAt tiles::groupAt(TileBuilder &e, const PackedTile &t, Value g) {
  int64_t per =
      llama_mlir::packed::rows16UnitGroups(static_cast<uint32_t>(t.type));
  if (per == 1)
    return {g, Value()};
  return {arith::DivUIOp::create(e.b, e.loc, g, e.idx(per)),
          arith::RemUIOp::create(e.b, e.loc, g, e.idx(per))};
}

/// The index of the tile of rows [r0, r0 + 16) in a prepacked weight's view.
Value tiles::tileIndex(TileBuilder &e, Value r0) {
  return arith::DivUIOp::create(e.b, e.loc, r0, e.idx(kPackedRows));
}

/// Rows [r0, r0 + 16) of a weight prepacked in the rows16 layout.
PackedTile tiles::prepackedTile(TileBuilder &e, const WeightView &w, Value r0) {
  PackedTile t;
  t.packed = w.view;
  t.index = tileIndex(e, r0);
  t.type = w.type;
  t.bias = llama_mlir::packed::rows16QuantBias(static_cast<uint32_t>(w.type));
  t.halves = int8GroupsHaveTwoScales(w.type);
  return t;
}

/// The 4 quants at step j (elements 4j .. 4j+3) of group g of the tile's 16
/// rows: vector<64xi8>, row r in bytes 4r .. 4r+3.
Value tiles::tileQuants(TileBuilder &e, const PackedTile &t, Value g,
                        const GroupAt &at, int64_t j) {
  OpBuilder &b = e.b;
  auto i8x64 = VectorType::get({4 * kPackedRows}, b.getI8Type());
  if (!t.packed)
    return vector::BitCastOp::create(
        b, e.loc, i8x64,
        vector::LoadOp::create(b, e.loc,
                               VectorType::get({kPackedRows}, b.getI32Type()),
                               t.quants, ValueRange{g, e.idx(j), e.idx(0)}));
  if (t.type == GGMLType::Q8_0)
    return vector::LoadOp::create(b, e.loc, i8x64, t.packed,
                                  ValueRange{t.index, at.unit, e.idx(64 * j)});
  // The nibble formats and Q6_K: steps j and j + 4 are the low and high
  // nibbles of one load.
  auto splat = [&](int64_t v) {
    return e.splat(i8x64, b.getI8IntegerAttr(static_cast<int8_t>(v)));
  };
  auto at64 = [&](int64_t perSub, int64_t off) -> Value {
    if (!at.sub)
      return e.idx(off);
    return e.add(e.mul(at.sub, perSub), off);
  };
  auto type = static_cast<uint32_t>(t.type);
  Value v = vector::LoadOp::create(
      b, e.loc, i8x64, t.packed,
      ValueRange{
          t.index, at.unit,
          at64(llama_mlir::packed::rows16QuantsAt(type, 1), 64 * (j % 4))});
  Value q = j < 4 ? Value(arith::AndIOp::create(b, e.loc, v, splat(0x0F)))
                  : Value(arith::ShRUIOp::create(b, e.loc, v, splat(4)));
  if (int64_t fifth = llama_mlir::packed::rows16FifthBitsAt(type, 0);
      fifth >= 0) {
    // Q5_x: step j's fifth bits are bit j of one load, moved to bit 4.
    Value p = vector::LoadOp::create(
        b, e.loc, i8x64, t.packed,
        ValueRange{t.index, at.unit, at64(4 * kPackedRows, fifth)});
    if (j < 4)
      p = arith::ShLIOp::create(b, e.loc, p, splat(4 - j));
    else if (j > 4)
      p = arith::ShRUIOp::create(b, e.loc, p, splat(j - 4));
    return arith::OrIOp::create(
        b, e.loc, q, arith::AndIOp::create(b, e.loc, p, splat(0x10)));
  }
  if (t.type != GGMLType::Q6_K)
    return q;
  // Q6_K: the high 2 bits of steps 4h .. 4h + 3 are bits 2c, 2c + 1 of one
  // load (c = j % 4), moved to bits 4 and 5.
  Value hv = vector::LoadOp::create(
      b, e.loc, i8x64, t.packed,
      ValueRange{t.index, at.unit,
                 at64(128, llama_mlir::packed::kQ6KHighAt + 64 * (j / 4))});
  int64_t shift = 4 - 2 * (j % 4);
  if (shift > 0)
    hv = arith::ShLIOp::create(b, e.loc, hv, splat(shift));
  else if (shift < 0)
    hv = arith::ShRUIOp::create(b, e.loc, hv, splat(-shift));
  return arith::OrIOp::create(b, e.loc, q,
                              arith::AndIOp::create(b, e.loc, hv, splat(0x30)));
}

/// The 16 rows' scales of group g (GroupScales).
GroupScales tiles::tileScales(TileBuilder &e, const PackedTile &t, Value g,
                              const GroupAt &at) {
  OpBuilder &b = e.b;
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  auto i32x16 = VectorType::get({kPackedRows}, b.getI32Type());
  if (!t.packed) {
    auto load = [&](Value buf, ValueRange at) -> Value {
      return vector::LoadOp::create(b, e.loc, f32x16, buf, at);
    };
    GroupScales s;
    if (t.halves) {
      s.scale = load(t.scales, {g, e.idx(0), e.idx(0)});
      s.high = load(t.scales, {g, e.idx(1), e.idx(0)});
    } else {
      s.scale = load(t.scales, {g, e.idx(0)});
    }
    if (t.mins)
      s.min = load(t.mins, {g, e.idx(0)});
    return s;
  }
  auto type = static_cast<uint32_t>(t.type);
  auto load = [&](int64_t n, Value first) -> Value {
    return vector::LoadOp::create(b, e.loc, VectorType::get({n}, b.getI8Type()),
                                  t.packed,
                                  ValueRange{t.index, at.unit, first});
  };
  // 16 f16 scales at byte `first`.
  auto halves = [&](int64_t first) -> Value {
    return arith::ExtFOp::create(
        b, e.loc, f32x16,
        Value(vector::BitCastOp::create(
            b, e.loc, VectorType::get({kPackedRows}, b.getF16Type()),
            load(2 * kPackedRows, e.idx(first)))));
  };
  Value d = halves(llama_mlir::packed::rows16ScalesAt(type));
  if (t.type == GGMLType::Q6_K) {
    // The int8 scales of the group's sub-blocks 2s and 2s + 1.
    auto sub = [&](int64_t h) -> Value {
      Value sc = load(kPackedRows, e.add(e.mul(at.sub, 2 * kPackedRows),
                                         llama_mlir::packed::kQ6KScalesAt +
                                             kPackedRows * h));
      return arith::MulFOp::create(
          b, e.loc, arith::SIToFPOp::create(b, e.loc, f32x16, sc), d);
    };
    return {sub(0), sub(1), Value()};
  }
  int64_t minsAt = llama_mlir::packed::rows16MinsAt(type);
  if (t.type != GGMLType::Q4_K && t.type != GGMLType::Q5_K) {
    // Q4_1, Q5_1: w = d q + m, the tile's min is -m.
    if (minsAt < 0)
      return {d, Value(), Value()};
    return {d, Value(), arith::NegFOp::create(b, e.loc, halves(minsAt))};
  }
  // Q4_K, Q5_K: the 6-bit sc and m of sub-block s, low 4 bits in one byte per
  // row, high 2 bits at bits 4s .. 4s+3 of one word per row.
  auto splat = [&](int64_t v) {
    return e.splat(i32x16, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  Value low = arith::ExtUIOp::create(
      b, e.loc, i32x16,
      load(kPackedRows, e.add(e.mul(at.sub, kPackedRows),
                              llama_mlir::packed::kKScaleLowAt)));
  Value words = vector::BitCastOp::create(
      b, e.loc, i32x16,
      load(4 * kPackedRows, e.idx(llama_mlir::packed::kKScaleHighAt)));
  Value shift = vector::BroadcastOp::create(
      b, e.loc, i32x16,
      arith::IndexCastUIOp::create(b, e.loc, b.getI32Type(), e.mul(at.sub, 4)));
  Value high = arith::ShRUIOp::create(b, e.loc, words, shift);
  auto sixBits = [&](Value lo4, int64_t highAt) -> Value {
    Value hi2 = arith::AndIOp::create(
        b, e.loc, arith::ShLIOp::create(b, e.loc, high, splat(4 - highAt)),
        splat(48));
    return arith::UIToFPOp::create(b, e.loc, f32x16,
                                   arith::OrIOp::create(b, e.loc, lo4, hi2));
  };
  Value sc = sixBits(arith::AndIOp::create(b, e.loc, low, splat(15)), 0);
  Value m = sixBits(arith::ShRUIOp::create(b, e.loc, low, splat(4)), 2);
  Value dmin = halves(minsAt);
  return {arith::MulFOp::create(b, e.loc, sc, d), Value(),
          arith::MulFOp::create(b, e.loc, m, dmin)};
}
