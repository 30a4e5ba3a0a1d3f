//===- PackedFloatTiles.cpp - F16/BF16 rows in packed 16-row tiles --------===//
//
// The float tiles of the packed row-tile kernel (PackedRowTiles.h): f16 and
// bf16 rows meet f32 activations 16 rows at a time, per element of K one
// vector of the 16 rows' weights and a broadcast FMA per token, from a
// tile converted per call into a stack buffer or read in place from the
// rows16 layout packed at compile time.
//
//===----------------------------------------------------------------------===//

#include "TileBuilder.h"

#include "llama-mlir/Codegen/PackedWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::tiles;

/// Elements of K per unrolled step of the float tiles' loop.
static constexpr int64_t kFloatStep = 4;

/// Rows [r0, r0 + 16) of an f16/bf16 weight as f32, transposed:
/// tile[k][r] (memref<K x 16 x f32>).
Value tiles::packFloatTile(TileBuilder &e, const WeightView &w, int64_t k,
                           Value r0) {
  OpBuilder &b = e.b;
  Value tile = e.stackBuffer({k, kPackedRows}, b.getF32Type());
  e.loop(e.idx(0), e.idx(kPackedRows), 1, {}, [&](Value r, ValueRange) {
    Value row = arith::AddIOp::create(b, e.loc, r0, r);
    e.loop(e.idx(0), e.idx(k / kDotLanes), 1, {}, [&](Value blk, ValueRange) {
      Value k0 = e.mul(blk, kDotLanes);
      for (auto [off, v] : emitBlockWeights(b, e.loc, w, row, blk)) {
        int64_t lanes = cast<VectorType>(v.getType()).getDimSize(0);
        for (int64_t i = 0; i < lanes; ++i)
          memref::StoreOp::create(b, e.loc,
                                  vector::ExtractOp::create(b, e.loc, v, i),
                                  tile, ValueRange{e.add(k0, off + i), r});
      }
      return SmallVector<Value>{};
    });
    return SmallVector<Value>{};
  });
  return tile;
}

/// Element kk of the tile's 16 rows as vector<16xf32>; prepacked tiles
/// read it as element `u` of group g (kk = 32 g + u).
static Value floatTileColumn(TileBuilder &e, const FloatTile &t, Value kk,
                             Value g, Value u) {
  OpBuilder &b = e.b;
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  if (!t.packed)
    return vector::LoadOp::create(b, e.loc, f32x16, t.buffer,
                                  ValueRange{kk, e.idx(0)});
  Value raw = vector::LoadOp::create(
      b, e.loc, VectorType::get({2 * kPackedRows}, b.getI8Type()), t.packed,
      ValueRange{t.index, g, e.mul(u, 2 * kPackedRows)});
  if (t.type == GGMLType::F16)
    return arith::ExtFOp::create(
        b, e.loc, f32x16,
        Value(vector::BitCastOp::create(
            b, e.loc, VectorType::get({kPackedRows}, b.getF16Type()), raw)));
  // bf16: the high half of an f32.
  auto i32x16 = VectorType::get({kPackedRows}, b.getI32Type());
  Value wide = arith::ExtUIOp::create(
      b, e.loc, i32x16,
      vector::BitCastOp::create(
          b, e.loc, VectorType::get({kPackedRows}, b.getI16Type()), raw));
  return vector::BitCastOp::create(
      b, e.loc, f32x16,
      arith::ShLIOp::create(b, e.loc, wide,
                            e.splat(i32x16, b.getI32IntegerAttr(16))));
}

/// The 16-row dot products of every float tile with tokens `toks`, one
/// vector<16xf32> per (tile, token), tile-major: per element k one vector
/// load of the tile's 16 weights and, per token, a broadcast FMA.
SmallVector<Value> tiles::floatTileDots(TileBuilder &e,
                                        ArrayRef<FloatTile> tiles, int64_t k,
                                        const PackedActivations &x,
                                        ArrayRef<Value> toks,
                                        std::optional<int64_t> inBlock) {
  OpBuilder &b = e.b;
  // Prepacked tiles: a group of 32 elements per iteration, in steps of 4
  // (an unrolled group outgrows the decoded-instruction cache).
  bool packed = tiles.front().packed != nullptr;
  int64_t group = packed ? llama_mlir::packed::kGroup : kFloatStep;
  int64_t nt = toks.size();
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  SmallVector<Value> inits(tiles.size() * nt,
                           e.splat(f32x16, b.getF32FloatAttr(0)));
  // Tokens of a full block read them from xf (element-major), others x.
  bool blocked = x.xf && inBlock;
  Value sb = blocked ? Value(arith::DivUIOp::create(b, e.loc, toks.front(),
                                                    e.idx(x.xfTokens)))
                     : Value();
  int64_t t0 = blocked ? *inBlock : 0;
  SmallVector<std::pair<Value, Value>> views; // the prepacked tiles'
  for (const FloatTile &t : tiles)
    if (t.packed)
      views.push_back({t.packed, t.index});
  // Elements k0 + j .. k0 + j + kFloatStep - 1 (j within group g).
  auto step = [&](Value k0, Value g, Value j, ValueRange accs) {
    SmallVector<Value> next(accs.begin(), accs.end());
    for (int64_t u = 0; u < kFloatStep; ++u) {
      Value ju = e.add(j, u);
      Value kk = arith::AddIOp::create(b, e.loc, k0, ju);
      SmallVector<Value> wv;
      for (const FloatTile &tile : tiles)
        wv.push_back(floatTileColumn(e, tile, kk, g, ju));
      for (auto [t, s] : llvm::enumerate(toks)) {
        Value xs =
            blocked ? memref::LoadOp::create(
                          b, e.loc, x.xf,
                          ValueRange{sb, kk, e.idx(t0 + int64_t(t))})
                    : memref::LoadOp::create(b, e.loc, x.x, ValueRange{s, kk});
        if (!blocked && x.gamma)
          xs = arith::MulFOp::create(
              b, e.loc, xs,
              memref::LoadOp::create(b, e.loc, x.gamma, ValueRange{kk}));
        Value xb = vector::BroadcastOp::create(b, e.loc, f32x16, xs);
        for (auto [i, w] : llvm::enumerate(wv))
          next[i * nt + t] =
              vector::FMAOp::create(b, e.loc, xb, w, next[i * nt + t]);
      }
    }
    return next;
  };
  auto loop =
      e.loop(e.idx(0), e.idx(k), group, inits,
             [&](Value k0, ValueRange accs) -> SmallVector<Value> {
               if (!packed)
                 return step(k0, Value(), e.idx(0), accs);
               Value g = arith::DivUIOp::create(b, e.loc, k0, e.idx(group));
               prefetchAhead(e, views, g, k / group);
               return SmallVector<Value>(e.loop(e.idx(0), e.idx(group),
                                                kFloatStep, accs,
                                                [&](Value j, ValueRange inner) {
                                                  return step(k0, g, j, inner);
                                                })
                                             .getResults());
             });
  return finishTileDots(e, loop.getResults(), tiles.size(), x, toks);
}
