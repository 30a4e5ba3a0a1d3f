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

/// Element k0 + u of the tile's 16 rows as vector<16xf32>; prepacked tiles
/// step k0 by whole groups of 32 (g = k0 / 32).
static Value floatTileColumn(TileBuilder &e, const FloatTile &t, Value k0,
                             Value g, int64_t u) {
  OpBuilder &b = e.b;
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  if (!t.packed)
    return vector::LoadOp::create(b, e.loc, f32x16, t.buffer,
                                  ValueRange{e.add(k0, u), e.idx(0)});
  Value raw = vector::LoadOp::create(
      b, e.loc, VectorType::get({2 * kPackedRows}, b.getI8Type()), t.packed,
      ValueRange{t.index, g, e.idx(2 * kPackedRows * u)});
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
                                        ArrayRef<Value> toks) {
  OpBuilder &b = e.b;
  // Prepacked tiles: a group of 32 elements per iteration.
  bool packed = tiles.front().packed != nullptr;
  int64_t unroll = packed ? llama_mlir::packed::kGroup : 4;
  int64_t nt = toks.size();
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  SmallVector<Value> inits(tiles.size() * nt,
                           e.splat(f32x16, b.getF32FloatAttr(0)));
  SmallVector<std::pair<Value, Value>> views; // the prepacked tiles'
  for (const FloatTile &t : tiles)
    if (t.packed)
      views.push_back({t.packed, t.index});
  auto loop =
      e.loop(e.idx(0), e.idx(k), unroll, inits, [&](Value k0, ValueRange accs) {
        SmallVector<Value> next(accs.begin(), accs.end());
        Value g =
            packed ? Value(arith::DivUIOp::create(b, e.loc, k0, e.idx(unroll)))
                   : Value();
        if (packed)
          prefetchAhead(e, views, g, k / unroll);
        for (int64_t u = 0; u < unroll; ++u) {
          Value kk = e.add(k0, u);
          SmallVector<Value> wv;
          for (const FloatTile &tile : tiles)
            wv.push_back(floatTileColumn(e, tile, k0, g, u));
          for (auto [t, s] : llvm::enumerate(toks)) {
            Value xb = vector::BroadcastOp::create(
                b, e.loc, f32x16,
                memref::LoadOp::create(b, e.loc, x.x, ValueRange{s, kk}));
            for (auto [i, w] : llvm::enumerate(wv))
              next[i * nt + t] =
                  vector::FMAOp::create(b, e.loc, xb, w, next[i * nt + t]);
          }
        }
        return next;
      });
  return finishTileDots(e, loop.getResults(), tiles.size(), x, toks);
}
