//===- TileBuilder.h - Shared pieces of the packed row tiles ----*- C++ -*-===//
//
// What the integer tiles (PackedRowTiles.cpp) and the float tiles
// (PackedFloatTiles.cpp) of the packed row-tile kernel share: a small
// builder, the tile index, the prefetch of prepacked tiles and the loop
// results, and the float tiles' entry points. Private to LlamaToLoops.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_TILEBUILDER_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_TILEBUILDER_H

#include "PackedRowTiles.h"

#include "llama-mlir/Codegen/Formats.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <optional>

namespace mlir::llama::tiles {

struct TileBuilder {
  OpBuilder &b;
  Location loc;
  /// The configuration's `prefetch`: bytes ahead of its loads that a loop
  /// over prepacked tiles prefetches (prefetchAhead); 0: none.
  int64_t prefetch = 0;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value a, int64_t c) {
    return c ? Value(arith::AddIOp::create(b, loc, a, idx(c))) : a;
  }
  Value mul(Value a, int64_t c) {
    return arith::MulIOp::create(b, loc, a, idx(c));
  }
  Value splat(VectorType t, Attribute v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, v));
  }
  /// A 64-byte aligned stack buffer (memref.alloca) of `shape` x `et`.
  Value stackBuffer(ArrayRef<int64_t> shape, Type et) {
    return memref::AllocaOp::create(b, loc, MemRefType::get(shape, et),
                                    b.getI64IntegerAttr(64));
  }
  /// for i in [lo, hi) step `step`, carrying `inits`; body returns the next
  /// values.
  scf::ForOp loop(Value lo, Value hi, int64_t step, ValueRange inits,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(
        b, loc, lo, hi, idx(step), inits,
        [&](OpBuilder &nb, Location, Value i, ValueRange iters) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, loc, body(i, iters));
        });
  }
};

/// The index of the tile of rows [r0, r0 + 16) in a prepacked weight's view.
Value tileIndex(TileBuilder &e, Value r0);

/// One weight's integer tile (PackedRowTiles.cpp): stack buffers packed per
/// call, or a tile of a weight prepacked at compile time.
struct PackedTile {
  Value quants, scales, mins;
  /// Prepacked: the weight's view memref<n/16 x units x bytes x i8> and
  /// the tile's index in it.
  Value packed, index;
  GGMLType type = GGMLType::F32;
  /// What the stored unsigned quants carry over the signed ones: the dot
  /// products carry bias * sum(xq) (0 for the K-quants' unsigned quants).
  int64_t bias = 0;
  /// Whether every stored quant is below 128 (all formats but Q8_0: the
  /// unsigned K-quants and offsets of 8 to 32), as llama.dot4_acc's
  /// lhs_small promises.
  bool smallQuants() const { return maxQuant() <= 127; }
  /// The largest stored quant (llama.dot4_acc's lhs_max); every type with
  /// integer tiles has one.
  int64_t maxQuant() const {
    int64_t max = maxStoredQuant(type);
    assert(max > 0 && "an integer tile's type without a largest quant");
    return max;
  }
  /// Two scales per group (Q6_K): the dot products of steps 0..3 and 4..7
  /// are scaled apart.
  bool halves = false;
};

/// Rows [r0, r0 + 16) of `w` packed per call into stack buffers (the
/// layout of PackedRowTiles.cpp).
PackedTile packTile(TileBuilder &e, const WeightView &w, int64_t k, Value r0);

/// Rows [r0, r0 + 16) of a weight prepacked in the rows16 layout.
PackedTile prepackedTile(TileBuilder &e, const WeightView &w, Value r0);

/// A tile's scales for one group: vector<16xf32> each; `high` the second
/// half's (Q6_K), `min` for formats with mins.
struct GroupScales {
  Value scale, high, min;
};

/// Where group g of a prepacked tile is: its unit (dimension 1 of the view)
/// and, in units of several groups (Q4_K), the group's index in the unit.
struct GroupAt {
  Value unit, sub;
};
GroupAt groupAt(TileBuilder &e, const PackedTile &t, Value g);

/// The 4 quants at step j (elements 4j .. 4j+3) of group g of the tile's 16
/// rows: vector<64xi8>, row r in bytes 4r .. 4r+3, unsigned.
Value tileQuants(TileBuilder &e, const PackedTile &t, Value g,
                 const GroupAt &at, int64_t j);

/// The 16 rows' scales of group g.
GroupScales tileScales(TileBuilder &e, const PackedTile &t, Value g,
                       const GroupAt &at);

/// Token s's activations in group g: the scale dx, the sum of its int8
/// quants and, where a tile has two scales per group (`halves`), the sums
/// of its first and second 16 quants.
struct TokenGroup {
  Value dx, sum, low, high;
};
TokenGroup tokenGroup(TileBuilder &e, const PackedActivations &x, Value s,
                      Value g, bool halves);

/// acc + one group's share of the 16 rows' dot products with one token:
/// `dot` (and for halves `high`) the exact int32 dot products of the
/// stored quants, turned into
///   acc + (dot - bias * sum) * (scale * dx) [- min * (dx * sum)].
/// Every integer tile kernel scales through this one function, so they all
/// give the same f32 results.
Value accumulateGroup(TileBuilder &e, const PackedTile &tile,
                      const GroupScales &sc, Value dot, Value high,
                      const TokenGroup &tg, Value acc);

/// An integer tile decoded for AMX products (AMXTiles.cpp), once per
/// tile: its quants made signed (q - bias), `quants : [K/32, 8, 64] x i8`
/// (group g's step j: row r's 4 quants at bytes 4r .. 4r+3), and the
/// groups' scales `scales : [K/32, halves, 16] x f32` and mins
/// `mins : [K/32, 16] x f32` (or null), as tileScales computes them.
struct AMXTile {
  PackedTile tile;
  Value quants, scales, mins;
};
AMXTile decodeAMXTile(TileBuilder &e, const PackedTile &tile, int64_t k);

/// The 16-row dot products of one decoded tile with the 16 tokens
/// [s0, s0 + 16) of `x` (in AMX tiles): 16 vector<16xf32>, in token order,
/// each times its token's norm scale where there is one.
SmallVector<Value> amxTileDots(TileBuilder &e, const AMXTile &tile, int64_t k,
                               const PackedActivations &x, Value s0);

/// Software prefetch, at group g of `groups`, for each prepacked tile
/// (`views`: memref<tiles x units x bytes x i8> and the tile's index),
/// e.prefetch bytes ahead; nothing where that is 0.
void prefetchAhead(TileBuilder &e, ArrayRef<std::pair<Value, Value>> views,
                   Value g, int64_t groups);

/// The results of a tile loop, one vector<16xf32> per (tile, token),
/// tile-major, each times its token's norm scale where there is one.
SmallVector<Value> finishTileDots(TileBuilder &e, ValueRange results,
                                  int64_t ntiles, const PackedActivations &x,
                                  ArrayRef<Value> toks);

/// A float tile: the f32 stack buffer packed per call, or a tile of an
/// f16/bf16 weight prepacked at compile time (its view, the tile's index).
struct FloatTile {
  Value buffer, packed, index;
  GGMLType type = GGMLType::F32;
};

/// Rows [r0, r0 + 16) of an f16/bf16 weight as f32, transposed:
/// tile[k][r] (memref<K x 16 x f32>).
Value packFloatTile(TileBuilder &e, const WeightView &w, int64_t k, Value r0);

/// The 16-row dot products of every float tile with tokens `toks`, one
/// vector<16xf32> per (tile, token), tile-major. `inBlock`: toks are
/// consecutive tokens of one block of xf from its token `inBlock` on (read
/// from xf); none: tokens read from x.
SmallVector<Value> floatTileDots(TileBuilder &e, ArrayRef<FloatTile> tiles,
                                 int64_t k, const PackedActivations &x,
                                 ArrayRef<Value> toks,
                                 std::optional<int64_t> inBlock);

} // namespace mlir::llama::tiles

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_TILEBUILDER_H
