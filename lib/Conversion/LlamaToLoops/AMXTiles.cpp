//===- AMXTiles.cpp - Integer row tiles times 16 tokens in AMX -*- C++ -*-===//
//
// The AMX form of the integer packed row tiles (PackedRowTiles.h,
// `#llama.kernel_config<dot = amx>`).
//
// Why: the vector tile kernel spends, per group of 32 and token, 8
// llama.dot4_acc (vpdpbusd: 512 multiply-adds for 16 rows) before the
// epilogue that scales them. One AMX tdpbssd multiplies 16 tokens x 32
// quants by 32 quants x 16 rows (8192 multiply-adds) on the tile unit, so
// the vector units are left with the same epilogue as before (the tile's
// quants are decoded once per call, decodeAMXTile, not per token block).
//
// Per group g of 32 (for Q6_K, per half of 16 with its own scale):
//   A = the 16 tokens' int8 quants, xt[s0 / 16][g]            (tile 16x32 i8)
//   B = the tile's 8 steps of 16 rows x 4 quants, q - bias    (tile 8x64 i8)
//       -- exactly the vector<64xi8> steps of tileQuants, whose byte
//       order (row r's 4 quants at 4r) is AMX's "4 bytes packed into dwords
//       in the columns" layout of the right operand
//   C = A . B (tdpbssd)                                       (tile 16x16 i32)
// C's row t is token t's vector<16xi32> of the 16 rows' exact int32 dot
// products of the signed quants: the vector kernel's vpdpbusd sums minus
// bias * sum(xq), which it subtracts in f32 (exact: |sums| < 2^24). Both
// scale through accumulateGroup, so the two kernels give identical f32
// results.
//
//===----------------------------------------------------------------------===//

#include "TileBuilder.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::tiles;

namespace {
/// The shapes of a tile's AMX products.
struct AMXShapes {
  int64_t groups, parts, partK, unroll, chunks;
  AMXShapes(const PackedTile &tile, int64_t k) {
    groups = k / kIntDotBlock;
    // Dot products per group: Q6_K's halves are scaled apart.
    parts = tile.halves ? 2 : 1;
    partK = kIntDotBlock / parts;
    // Groups per chunk: two products, whose four operands are loaded
    // before either multiplies (into different tile registers: they are
    // not renamed, and a load into the register a product still reads
    // waits for it), then both stored; with the zero tile, 7 of the 8
    // registers.
    unroll = parts == 1 && groups % 2 == 0 ? 2 : 1;
    chunks = groups / unroll;
  }
};
} // namespace

AMXTile tiles::decodeAMXTile(TileBuilder &e, const PackedTile &tile,
                             int64_t k) {
  OpBuilder &b = e.b;
  AMXShapes sh(tile, k);
  Type i8 = b.getI8Type(), f32 = b.getF32Type();
  auto i8x64 = VectorType::get({4 * kPackedRows}, i8);
  AMXTile t;
  t.tile = tile;
  t.quants = e.stackBuffer({sh.groups, 8, 4 * kPackedRows}, i8);
  t.scales = e.stackBuffer({sh.groups, sh.parts, kPackedRows}, f32);
  bool mins = int8GroupsHaveMin(tile.type);
  if (mins)
    t.mins = e.stackBuffer({sh.groups, kPackedRows}, f32);
  e.loop(e.idx(0), e.idx(sh.groups), 1, {}, [&](Value g, ValueRange) {
    GroupAt at;
    if (tile.packed) {
      prefetchAhead(e, {{tile.packed, tile.index}}, g, sh.groups);
      at = groupAt(e, tile, g);
    }
    for (int64_t j = 0; j < 8; ++j) {
      Value q = tileQuants(e, tile, g, at, j);
      if (tile.bias)
        q = arith::SubIOp::create(
            b, e.loc, q,
            e.splat(i8x64, b.getI8IntegerAttr(static_cast<int8_t>(tile.bias))));
      vector::StoreOp::create(b, e.loc, q, t.quants,
                              ValueRange{g, e.idx(j), e.idx(0)});
    }
    GroupScales sc = tileScales(e, tile, g, at);
    vector::StoreOp::create(b, e.loc, sc.scale, t.scales,
                            ValueRange{g, e.idx(0), e.idx(0)});
    if (sc.high)
      vector::StoreOp::create(b, e.loc, sc.high, t.scales,
                              ValueRange{g, e.idx(1), e.idx(0)});
    if (mins)
      vector::StoreOp::create(b, e.loc, sc.min, t.mins,
                              ValueRange{g, e.idx(0)});
    return SmallVector<Value>{};
  });
  return t;
}

SmallVector<Value> tiles::amxTileDots(TileBuilder &e, const AMXTile &decoded,
                                      int64_t k, const PackedActivations &x,
                                      Value s0) {
  OpBuilder &b = e.b;
  const PackedTile &tile = decoded.tile;
  AMXShapes sh(tile, k);
  int64_t unroll = sh.unroll, parts = sh.parts, partK = sh.partK;
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  auto aType = amx::TileType::get({kAMXTokens, partK}, i8);
  auto bType = amx::TileType::get({partK / 4, 4 * kPackedRows}, i8);
  auto cType = amx::TileType::get({kAMXTokens, kPackedRows}, i32);
  auto i32x16 = VectorType::get({kPackedRows}, i32);
  auto f32x16 = VectorType::get({kPackedRows}, b.getF32Type());
  // Two chunks' sums: one being multiplied, one being scaled.
  Value sums = e.stackBuffer({2, unroll, parts, kAMXTokens, kPackedRows}, i32);
  Value block = arith::DivUIOp::create(b, e.loc, s0, e.idx(kAMXTokens));
  SmallVector<Value> toks;
  for (int64_t t = 0; t < kAMXTokens; ++t)
    toks.push_back(e.add(s0, t));
  auto groupOf = [&](Value c, int64_t u) { return e.add(e.mul(c, unroll), u); };
  auto slotOf = [&](Value c) {
    return arith::RemUIOp::create(b, e.loc, c, e.idx(2));
  };

  // Chunk c's products into its slot of `sums`.
  auto multiply = [&](Value c) {
    Value slot = slotOf(c);
    SmallVector<std::pair<Value, Value>> operands;
    for (int64_t u = 0; u < unroll; ++u)
      for (int64_t p = 0; p < parts; ++p) {
        Value g = groupOf(c, u);
        operands.push_back(
            {amx::TileLoadOp::create(
                 b, e.loc, aType, x.xt,
                 ValueRange{block, g, e.idx(0), e.idx(p * partK)}),
             amx::TileLoadOp::create(
                 b, e.loc, bType, decoded.quants,
                 ValueRange{g, e.idx(p * partK / 4), e.idx(0)})});
      }
    SmallVector<Value> cs;
    for (auto [a, w] : operands)
      cs.push_back(amx::TileMulIOp::create(
          b, e.loc, cType, a, w, amx::TileZeroOp::create(b, e.loc, cType)));
    for (int64_t u = 0; u < unroll; ++u)
      for (int64_t p = 0; p < parts; ++p)
        amx::TileStoreOp::create(
            b, e.loc, sums,
            ValueRange{slot, e.idx(u), e.idx(p), e.idx(0), e.idx(0)},
            cs[u * parts + p]);
  };

  // Chunk c's sums scaled into the accumulators, group by group. The sums
  // hold the bias's share already: they are scaled as unbiased quants.
  PackedTile unbiased = tile;
  unbiased.bias = 0;
  auto scale = [&](Value c, ValueRange accs) {
    Value slot = slotOf(c);
    SmallVector<Value> next(accs.begin(), accs.end());
    for (int64_t u = 0; u < unroll; ++u) {
      Value g = groupOf(c, u);
      auto load = [&](Value buf, ValueRange at) -> Value {
        return vector::LoadOp::create(b, e.loc, f32x16, buf, at);
      };
      GroupScales sc;
      sc.scale = load(decoded.scales, {g, e.idx(0), e.idx(0)});
      if (tile.halves)
        sc.high = load(decoded.scales, {g, e.idx(1), e.idx(0)});
      if (decoded.mins)
        sc.min = load(decoded.mins, {g, e.idx(0)});
      for (int64_t t = 0; t < kAMXTokens; ++t) {
        auto dot = [&](int64_t p) -> Value {
          return vector::LoadOp::create(
              b, e.loc, i32x16, sums,
              ValueRange{slot, e.idx(u), e.idx(p), e.idx(t), e.idx(0)});
        };
        TokenGroup tg = tokenGroup(e, x, toks[t], g, tile.halves);
        next[t] = accumulateGroup(e, unbiased, sc, dot(0),
                                  tile.halves ? dot(1) : Value(), tg, next[t]);
      }
    }
    return next;
  };

  // A two-stage software pipeline, in program order per iteration: chunk
  // c's sums scaled (vector units), then chunk c + 1 multiplied (tile
  // unit). The tile registers are not renamed, vector loads read tile
  // stores only through L1, and a product takes tens of cycles: scaling a
  // chunk right after its products would wait for them. The loads of chunk
  // c's sums come before the stores of the next chunk's, which would
  // otherwise alias them modulo 4 KiB and hold them back.
  // The last iteration has no next chunk: a branch, rather than a peeled
  // copy of the scaling (the largest part of the kernel's code).
  multiply(e.idx(0));
  SmallVector<Value> inits(kAMXTokens, e.splat(f32x16, b.getF32FloatAttr(0)));
  Value lastChunk = e.idx(sh.chunks - 1);
  auto loop = e.loop(
      e.idx(0), e.idx(sh.chunks), 1, inits, [&](Value c, ValueRange accs) {
        SmallVector<Value> next = scale(c, accs);
        Value more = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult,
                                           c, lastChunk);
        scf::IfOp::create(b, e.loc, more, [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          multiply(e.add(c, 1));
          scf::YieldOp::create(b, e.loc);
        });
        return next;
      });
  return finishTileDots(e, loop.getResults(), 1, x, toks);
}
