//===- PackedRowTiles.cpp - Matmuls in packed tiles of 16 rows --*- C++ -*-===//
//
// The packed row-tile kernel of llama-lower-to-loops (PackedRowTiles.h).
//
// Why: a kernel that reduces along K inside one weight row pays, per
// 32-element group and token, a horizontal int8 dot product and a scalar
// scale epilogue (convert, two scale multiplies, an FMA). With 16 rows side
// by side in the lanes of one vector, a group costs 8 llama.dot4_acc (512
// multiply-adds: 16 rows x 32 elements) and the epilogue is one vector
// convert, multiply and FMA for all 16 rows.
//
// The packed tile of a weight, for groups g = 0 .. K/32 - 1:
//   quants[g][j][r] : i32 = the 4 bytes q[r, 32 g + 4 j .. + 3]
//                           (+ the format's offset as unsigned bytes for
//                           signed quants: 8 for Q4_0, ..., 128 for Q8_0)
//   scales[g][h][r] : f32 = the group's scale     (w = scale * q - min),
//                           h < 2 for Q6_K's two 16-element sub-blocks
//   mins[g][r]      : f32 = the group's min       (Q4_K, Q5_K)
// so that, with activations x = dx * xq per group,
//   sum_i w[r, i] x[i] = dx * (scale[r] * (dot4(quants, xq) - bias sum(xq))
//                              - min[r] * sum(xq))
// (for Q6_K, per half: steps 0..3 and 4..7, with the half's sum of xq)
// in which the int32 sums are exact and so is their f32 difference
// (|sum| < 2^24). A weight prepacked at compile time (rows16,
// PackedWeights.h) holds the same quants tile by tile in the file (Q4_0 and
// Q4_K as nibbles; scales as f16, Q4_K's sub-block scales and mins as their
// 6 bits), and the same loops read it in place.
//
//===----------------------------------------------------------------------===//

#include "PackedRowTiles.h"
#include "TileBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::tiles;

/// The results of a tile loop, one vector<16xf32> per (tile, token),
/// tile-major, each times its token's norm scale where there is one.
SmallVector<Value> tiles::finishTileDots(TileBuilder &e, ValueRange results,
                                         int64_t ntiles,
                                         const PackedActivations &x,
                                         ArrayRef<Value> toks) {
  OpBuilder &b = e.b;
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  SmallVector<Value> ys;
  for (int64_t i = 0; i < ntiles; ++i)
    for (auto [t, s] : llvm::enumerate(toks)) {
      Value y = results[i * toks.size() + t];
      if (x.scales)
        y = arith::MulFOp::create(
            b, e.loc, y,
            vector::BroadcastOp::create(
                b, e.loc, f32x16,
                memref::LoadOp::create(b, e.loc, x.scales, ValueRange{s})));
      ys.push_back(y);
    }
  return ys;
}

/// Software prefetch, at group g of `groups`, of the unit e.prefetch bytes
/// ahead of g's in each prepacked tile (`views`: memref<tiles x units x
/// bytes x i8> and the tile's index), past the tile's end in the next tile
/// (a chunk's tiles are consecutive; clamped to the last tile): every
/// 64-byte line of it, or, where a unit has several groups (Q4_K), the
/// group's share of its lines. The hardware prefetchers alone leave the
/// tile loops of 7B-sized weights waiting on their loads; stopping at each
/// tile's end would leave the next tile's first loads to them.
void tiles::prefetchAhead(TileBuilder &e,
                          ArrayRef<std::pair<Value, Value>> views, Value g,
                          int64_t groups) {
  if (!e.prefetch)
    return;
  OpBuilder &b = e.b;
  for (auto [view, index] : views) {
    auto mt = cast<MemRefType>(view.getType());
    int64_t units = mt.getDimSize(1), bytes = mt.getDimSize(2);
    int64_t per = groups / units, lines = (bytes + 63) / 64;
    int64_t share = (lines + per - 1) / per;
    Value unit =
        per == 1 ? g : Value(arith::DivUIOp::create(b, e.loc, g, e.idx(per)));
    Value ahead = e.add(unit, (e.prefetch + bytes - 1) / bytes);
    // Past the tile's last unit: the next tile's first units (a chunk's
    // tiles are consecutive), clamped to the last tile.
    Value last =
        mt.isDynamicDim(0)
            ? arith::SubIOp::create(
                  b, e.loc, memref::DimOp::create(b, e.loc, view, 0), e.idx(1))
                  .getResult()
            : e.idx(mt.getDimSize(0) - 1);
    Value tile = arith::MinUIOp::create(
        b, e.loc,
        arith::AddIOp::create(
            b, e.loc, index,
            arith::DivUIOp::create(b, e.loc, ahead, e.idx(units))),
        last);
    ahead = arith::RemUIOp::create(b, e.loc, ahead, e.idx(units));
    Value first = per == 1
                      ? e.idx(0)
                      : e.mul(arith::RemUIOp::create(b, e.loc, g, e.idx(per)),
                              64 * share);
    for (int64_t i = 0; i < share; ++i) {
      Value off = e.add(first, 64 * i);
      if (per != 1)
        off = arith::MinUIOp::create(b, e.loc, off, e.idx(bytes - 64));
      // Into L2 (prefetcht1), not L1: a decode step streams the weights,
      // and prefetches into L1 held the L1 fill buffers that its loads
      // wait on (perf put most of a decode's samples on prefetcht0).
      memref::PrefetchOp::create(b, e.loc, view, ValueRange{tile, ahead, off},
                                 /*isWrite=*/false, /*localityHint=*/2,
                                 /*isDataCache=*/true);
    }
  }
}

TokenGroup tiles::tokenGroup(TileBuilder &e, const PackedActivations &x,
                             Value s, Value g, bool halves) {
  OpBuilder &b = e.b;
  TokenGroup tg;
  tg.dx = memref::LoadOp::create(b, e.loc, x.xd, ValueRange{s, g});
  tg.sum = memref::LoadOp::create(b, e.loc, x.xs, ValueRange{s, g});
  if (halves) {
    tg.low = memref::LoadOp::create(b, e.loc, x.xl, ValueRange{s, g});
    tg.high = arith::SubFOp::create(b, e.loc, tg.sum, tg.low);
  }
  return tg;
}

Value tiles::accumulateGroup(TileBuilder &e, const PackedTile &tile,
                             const GroupScales &sc, Value dot, Value high,
                             const TokenGroup &tg, Value acc) {
  OpBuilder &b = e.b;
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  auto bcast = [&](Value f) {
    return vector::BroadcastOp::create(b, e.loc, f32x16, f);
  };
  // acc += (dot - bias * sum) * scale * dx
  auto scaled = [&](Value dot, Value sum, Value scale) {
    Value f = arith::SIToFPOp::create(b, e.loc, f32x16, dot);
    if (tile.bias)
      f = arith::SubFOp::create(
          b, e.loc, f,
          bcast(arith::MulFOp::create(
              b, e.loc, sum,
              arith::ConstantOp::create(
                  b, e.loc,
                  b.getF32FloatAttr(static_cast<float>(tile.bias))))));
    acc = vector::FMAOp::create(
        b, e.loc, f, arith::MulFOp::create(b, e.loc, scale, bcast(tg.dx)), acc);
  };
  if (tile.halves) {
    scaled(dot, tg.low, sc.scale);
    scaled(high, tg.high, sc.high);
  } else {
    scaled(dot, tg.sum, sc.scale);
  }
  if (sc.min) {
    Value dxs = arith::NegFOp::create(
        b, e.loc, arith::MulFOp::create(b, e.loc, tg.dx, tg.sum));
    acc = vector::FMAOp::create(b, e.loc, sc.min, bcast(dxs), acc);
  }
  return acc;
}

/// The 16-row dot products of every tile with tokens `toks`: one
/// vector<16xf32> per (tile, token), tile-major.
static SmallVector<Value> tileDots(TileBuilder &e, IntDotKind kind,
                                   ArrayRef<PackedTile> tiles, int64_t k,
                                   const PackedActivations &x,
                                   ArrayRef<Value> toks) {
  OpBuilder &b = e.b;
  int64_t nt = toks.size();
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  auto i32x16 = VectorType::get({kPackedRows}, b.getI32Type());
  auto i8x64 = VectorType::get({4 * kPackedRows}, b.getI8Type());
  auto i8x4 = VectorType::get({4}, b.getI8Type());
  auto i32x1 = VectorType::get({1}, b.getI32Type());
  Value fzero = e.splat(f32x16, b.getF32FloatAttr(0));
  Value izero = e.splat(i32x16, b.getI32IntegerAttr(0));
  auto kindAttr = IntDotKindAttr::get(b.getContext(), kind);
  SmallVector<Value> inits(tiles.size() * nt, fzero);
  // AVX2 and NEON multiply 8-bit stored quants (Q8_0's, + 128) as the
  // signed quants they were: the flip is one xor per step for all tokens,
  // the signed step on AVX2 one vpsignb per token instead of a second
  // multiply, NEON's sdot is signed by signed anyway (see llama.dot4_acc);
  // those tiles' dots then carry no bias.
  SmallVector<bool> signedSteps;
  SmallVector<PackedTile> scaled(tiles.begin(), tiles.end());
  for (PackedTile &t : scaled) {
    signedSteps.push_back(
        (kind == IntDotKind::AVX2 || kind == IntDotKind::NEONDot) &&
        !t.smallQuants());
    if (signedSteps.back())
      t.bias = 0;
  }
  SmallVector<std::pair<Value, Value>> views; // the prepacked tiles'
  for (const PackedTile &t : tiles)
    if (t.packed)
      views.push_back({t.packed, t.index});
  auto loop = e.loop(
      e.idx(0), e.idx(k / kIntDotBlock), 1, inits,
      [&](Value g, ValueRange accs) {
        Value k0 = e.mul(g, kIntDotBlock);
        prefetchAhead(e, views, g, k / kIntDotBlock);
        SmallVector<GroupAt> at;
        for (const PackedTile &tile : tiles)
          at.push_back(tile.packed ? groupAt(e, tile, g) : GroupAt{});
        // Q6_K tiles: steps 4..7 (the second sub-block) sum apart.
        SmallVector<Value> dots(tiles.size() * nt, izero), high(dots);
        for (int64_t j = 0; j < 8; ++j) {
          Value kk = e.add(k0, 4 * j);
          // Token t's 4 quants as one int32 in every lane.
          SmallVector<Value> xs;
          for (Value s : toks) {
            Value v =
                vector::LoadOp::create(b, e.loc, i8x4, x.xq, ValueRange{s, kk});
            Value w = vector::ExtractOp::create(
                b, e.loc, vector::BitCastOp::create(b, e.loc, i32x1, v), 0);
            xs.push_back(vector::BitCastOp::create(
                b, e.loc, i8x64,
                vector::BroadcastOp::create(b, e.loc, i32x16, w)));
          }
          for (auto [i, tile] : llvm::enumerate(tiles)) {
            Value wv = tileQuants(e, tile, g, at[i], j);
            if (signedSteps[i])
              wv = arith::XOrIOp::create(
                  b, e.loc, wv, e.splat(i8x64, b.getI8IntegerAttr(-128)));
            SmallVector<Value> &sums = tile.halves && j >= 4 ? high : dots;
            for (int64_t t = 0; t < nt; ++t)
              sums[i * nt + t] = Dot4AccOp::create(
                  b, e.loc, i32x16, sums[i * nt + t], wv, xs[t], kindAttr,
                  tile.smallQuants() ? b.getUnitAttr() : UnitAttr(),
                  signedSteps[i] ? b.getUnitAttr() : UnitAttr(),
                  tile.smallQuants() ? b.getI64IntegerAttr(tile.maxQuant())
                                     : IntegerAttr());
          }
        }
        SmallVector<GroupScales> scales;
        for (auto [i, tile] : llvm::enumerate(tiles))
          scales.push_back(tileScales(e, tile, g, at[i]));
        bool anyHalves =
            llvm::any_of(tiles, [](const PackedTile &t) { return t.halves; });
        SmallVector<Value> next(accs.begin(), accs.end());
        for (auto [t, s] : llvm::enumerate(toks)) {
          TokenGroup tg = tokenGroup(e, x, s, g, anyHalves);
          for (auto [i, tile] : llvm::enumerate(scaled))
            next[i * nt + t] =
                accumulateGroup(e, tile, scales[i], dots[i * nt + t],
                                high[i * nt + t], tg, next[i * nt + t]);
        }
        return next;
      });
  return finishTileDots(e, loop.getResults(), tiles.size(), x, toks);
}

/// The token count `seq` where it is known at compile time (a constant, or
/// the static size of a memref.dim).
static std::optional<int64_t> staticCount(Value seq) {
  if (std::optional<int64_t> c = getConstantIntValue(seq))
    return c;
  if (auto d = seq.getDefiningOp<memref::DimOp>())
    if (std::optional<int64_t> i = d.getConstantIndex())
      if (auto mt = dyn_cast<MemRefType>(d.getSource().getType()))
        if (!mt.isDynamicDim(*i))
          return mt.getDimSize(*i);
  return std::nullopt;
}

void mlir::llama::emitPackedRowTile(
    OpBuilder &b, Location loc, IntDotKind kind, bool amx,
    ArrayRef<const WeightView *> ws, int64_t k, const PackedActivations &x,
    ArrayRef<Value> r0s, Value seq, int64_t tokenBlock, int64_t prefetch,
    function_ref<void(Value s, ArrayRef<Value> ys)> store) {
  TileBuilder e{b, loc, prefetch};
  // Integer tiles with quantized activations, otherwise f16/bf16 tiles.
  SmallVector<PackedTile> tiles;
  SmallVector<FloatTile> floatTiles;
  for (auto [w, r0] : llvm::zip_equal(ws, r0s)) {
    if (x.xq)
      tiles.push_back(w->prepacked ? prepackedTile(e, *w, r0)
                                   : packTile(e, *w, k, r0));
    else if (w->prepacked)
      floatTiles.push_back({Value(), w->view, tileIndex(e, r0), w->type});
    else
      floatTiles.push_back(
          {packFloatTile(e, *w, k, r0), Value(), Value(), w->type});
  }
  int64_t nw = ws.size();
  auto emit = [&](ArrayRef<Value> toks) {
    // A decode step (one token) takes the weights' tiles side by side. A
    // block of integer tiles' tokens takes them one after the other, each
    // with the whole block: its sums fill the registers for one tile, and
    // two tiles side by side with half the block each would also keep both
    // tiles' operands (and spilled on AVX2). Two float tiles (SwiGLU's, or
    // two row tiles of one weight) go side by side with each half of a
    // block of kSideBySideTokens or more: as many sums, and one broadcast
    // of a token's element serves both tiles' FMAs (one per FMA bound the
    // float tiles by the loads, not the FMAs).
    int64_t nt = toks.size();
    SmallVector<Value> ys(nw * nt);
    auto dots = [&](ArrayRef<PackedTile> its, ArrayRef<FloatTile> fts,
                    int64_t first, int64_t count, int64_t w0) {
      ArrayRef<Value> some = toks.slice(first, count);
      SmallVector<Value> part =
          x.xq ? tileDots(e, kind, its, k, x, some)
               : floatTileDots(e, fts, k, x, some,
                               nt == x.xfTokens ? std::optional(first)
                                                : std::nullopt);
      for (int64_t i = 0; i < int64_t(its.size() + fts.size()); ++i)
        for (int64_t t = 0; t < count; ++t)
          ys[(w0 + i) * nt + first + t] = part[i * count + t];
    };
    if (nt == 1)
      dots(tiles, floatTiles, 0, 1, 0);
    else if (x.xq)
      for (auto [i, t] : llvm::enumerate(tiles))
        dots({t}, {}, 0, nt, i);
    else if (floatTiles.size() == 2 && nt % 2 == 0 && nt >= kSideBySideTokens)
      for (int64_t half : {int64_t(0), nt / 2})
        dots({}, floatTiles, half, nt / 2, 0);
    else
      for (auto [i, t] : llvm::enumerate(floatTiles))
        dots({}, {t}, 0, nt, i);
    for (auto [t, s] : llvm::enumerate(toks)) {
      SmallVector<Value> per;
      for (int64_t i = 0; i < nw; ++i)
        per.push_back(ys[i * nt + t]);
      store(s, per);
    }
  };
  // for s0 in [lo, hi) by `step`: body(s0).
  auto blocks = [&](Value lo, Value hi, int64_t step,
                    function_ref<void(Value)> body) {
    e.loop(lo, hi, step, {}, [&](Value s0, ValueRange) {
      body(s0);
      return SmallVector<Value>{};
    });
  };
  // The multiple of `step` tokens from `lo` up to seq.
  auto fullTo = [&](Value lo, int64_t step) -> Value {
    Value n = arith::SubIOp::create(b, loc, seq, lo);
    return arith::SubIOp::create(
        b, loc, seq, arith::RemUIOp::create(b, loc, n, e.idx(step)));
  };
  std::optional<int64_t> n = staticCount(seq);
  Value start = e.idx(0);
  // AMX: blocks of 16 tokens, one weight at a time (each block's 16
  // accumulators per weight fill half the vector registers).
  // The tiles are decoded for AMX only where a prompt has a block of 16.
  if (amx && x.xt && (!n || *n >= kAMXTokens)) {
    start = fullTo(start, kAMXTokens);
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, start,
                                      e.idx(0));
    scf::IfOp::create(b, loc, any, [&](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
      SmallVector<AMXTile> decoded;
      for (const PackedTile &tile : tiles)
        decoded.push_back(decodeAMXTile(e, tile, k));
      blocks(e.idx(0), start, kAMXTokens, [&](Value s0) {
        SmallVector<SmallVector<Value>> ys;
        for (const AMXTile &tile : decoded)
          ys.push_back(amxTileDots(e, tile, k, x, s0));
        for (int64_t t = 0; t < kAMXTokens; ++t) {
          SmallVector<Value> per;
          for (int64_t i = 0; i < nw; ++i)
            per.push_back(ys[i][t]);
          store(e.add(s0, t), per);
        }
      });
      scf::YieldOp::create(b, loc);
    });
  }
  // Blocks of T tokens, then the rest one by one (a decode step: one).
  int64_t T = tileTokens(tokenBlock);
  if (n && *n < T) {
    blocks(start, seq, 1, [&](Value s) { emit({s}); });
    return;
  }
  Value full = fullTo(start, T);
  blocks(start, full, T, [&](Value s0) {
    SmallVector<Value> toks;
    for (int64_t t = 0; t < T; ++t)
      toks.push_back(e.add(s0, t));
    emit(toks);
  });
  blocks(full, seq, 1, [&](Value s) { emit({s}); });
}
