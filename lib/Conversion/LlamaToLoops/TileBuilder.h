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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::llama::tiles {

struct TileBuilder {
  OpBuilder &b;
  Location loc;

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

/// Software prefetch, at group g of `groups`, for each prepacked tile
/// (`views`: memref<tiles x units x bytes x i8> and the tile's index).
void prefetchAhead(TileBuilder &e, ArrayRef<std::pair<Value, Value>> views,
                   Value g, int64_t groups);

/// The results of a tile loop carrying one vector<16xf32> per (tile, token),
/// tile-major, each times its token's norm scale where there is one.
SmallVector<Value> finishTileDots(TileBuilder &e, scf::ForOp loop,
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
/// vector<16xf32> per (tile, token), tile-major.
SmallVector<Value> floatTileDots(TileBuilder &e, ArrayRef<FloatTile> tiles,
                                 int64_t k, const PackedActivations &x,
                                 ArrayRef<Value> toks);

} // namespace mlir::llama::tiles

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_TILEBUILDER_H
