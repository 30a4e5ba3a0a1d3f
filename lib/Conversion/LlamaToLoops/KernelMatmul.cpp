//===- KernelMatmul.cpp - llama.kernel_matmul to the tiles ------*- C++ -*-===//
//
// Implements `llama-lower-kernel-matmul`: after bufferization, each
// llama.kernel_matmul (a tile of rows, or all of them) becomes its kernel,
// writing into its `init` buffer: the packed row-tile kernel, 16 rows at a
// time, or the row kernel, a row (a RoPE pair) at a time. See Passes.td
// for the contract and docs/Tiles.md for the kernels.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "TileBuilder.h"

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/AMX/AMXDialect.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERKERNELMATMULPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::loops;

namespace {

/// The weight views of the op: its buffers, with their formats.
SmallVector<WeightView> weightViews(KernelMatmulOp op) {
  bool packed = op.getKernelConfig().getLayout() == WeightLayout::Rows16;
  SmallVector<WeightView> ws;
  for (auto [w, name] : llvm::zip(op.getWeights(), op.getWeightTypes()))
    ws.push_back(weightView(
        w, *symbolizeGGMLType(cast<StringAttr>(name).getValue()), packed));
  return ws;
}

/// body(r0) for the first rows r0 = 0, step, ... of each step of n rows:
/// once where the rows are one step (a tile of the forall).
void forEachStep(Emitter &e, int64_t n, int64_t step,
                 function_ref<void(Value)> body) {
  if (n == step)
    body(e.idx(0));
  else
    e.loop(e.idx(0), e.idx(n), body, step);
}

/// The row kernels (tile_rows = 0): for each row (each RoPE pair) of
/// `init`, its dot products with every token, token_block tokens at a time
/// in a prefill, then the epilogue on the f32 scalars.
LogicalResult lowerRowKernels(KernelMatmulOp op) {
  OpBuilder b(op);
  Emitter e{b, op.getLoc()};
  Location loc = op.getLoc();
  Kernels kernels = Kernels::of(op.getKernelConfig());
  Value out = op.getInit();
  auto outType = cast<MemRefType>(out.getType());
  int64_t n = outType.getDimSize(1);
  int64_t k = cast<MemRefType>(op.getX().getType()).getDimSize(1);
  Value seq = e.dim(out, 0);
  SmallVector<WeightView> ws = weightViews(op);
  for (const WeightView &w : ws) {
    // GGUF rows of K elements, at least N of them.
    auto vt = cast<MemRefType>(w.view.getType());
    MemRefType rowType =
        weightViewType(op.getContext(), w.type, ShapedType::kDynamic, k);
    if (vt.getRank() != 2 || vt.getElementType() != rowType.getElementType() ||
        vt.getDimSize(1) != rowType.getDimSize(1) ||
        (!vt.isDynamicDim(0) && vt.getDimSize(0) < n) || k % w.blockSize != 0)
      return op.emitOpError("llama-lower-kernel-matmul: the row kernels need ")
             << stringifyGGMLType(w.type) << " weights of " << n
             << " GGUF rows of " << k << " elements, got " << vt;
  }
  Activation x;
  x.x = op.getX();
  x.gamma = op.getGamma();
  x.scales = op.getScales();
  x.xq = op.getXq();
  x.xd = op.getXd();
  x.xs = op.getXs();
  x.xl = op.getXl();
  bool blocked =
      outType.isDynamicDim(0) && llvm::all_of(ws, [&](const WeightView &w) {
        return kernels.blocksTokens(w, k);
      });
  TileEpilogue epilogue = op.getEpilogue();
  Value rot = op.getRotation();
  int64_t width = rot ? cast<MemRefType>(rot.getType()).getDimSize(2) : 0;
  int64_t step = op.getRowStep();
  tiles::TileBuilder t{b, loc};
  // Token s's results of the step's rows `at` (r0 .. r0 + step - 1; `ys`,
  // per weight a value per row: [weight * step + row]), stored into init.
  auto store = [&](Value s, ArrayRef<Value> at, ArrayRef<Value> ys) {
    Value r0 = at[0];
    if (epilogue == TileEpilogue::SwiGLU) {
      memref::StoreOp::create(b, loc, siluTimes(e, ys[0], ys[1]), out,
                              ValueRange{s, r0});
      return;
    }
    if (epilogue == TileEpilogue::RoPE) {
      // (a, b) -> (a cos + b (-sin), b cos + a sin) from the table's
      // columns of the pair: exactly a cos - b sin, a sin + b cos.
      Value col =
          width == n ? r0 : arith::RemUIOp::create(b, loc, r0, e.idx(width));
      for (int64_t i = 0; i < 2; ++i) {
        Value c = t.add(col, i);
        auto table = [&](int64_t row) -> Value {
          return memref::LoadOp::create(b, loc, rot,
                                        ValueRange{s, e.idx(row), c});
        };
        Value y = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, ys[i], table(0)),
            arith::MulFOp::create(b, loc, ys[1 - i], table(1)));
        memref::StoreOp::create(b, loc, y, out, ValueRange{s, at[i]});
      }
      return;
    }
    Value y = ys[0];
    if (op.getAccumulate())
      y = arith::AddFOp::create(
          b, loc, memref::LoadOp::create(b, loc, out, ValueRange{s, r0}), y);
    memref::StoreOp::create(b, loc, y, out, ValueRange{s, r0});
  };
  auto rowStep = [&](Value r0) {
    // The step's rows, once for all its tokens.
    SmallVector<Value> at;
    for (int64_t i = 0; i < step; ++i)
      at.push_back(t.add(r0, i));
    SmallVector<WeightRow> rows;
    for (const WeightView &w : ws)
      for (Value row : at)
        rows.push_back({&w, row});
    forTokens(
        e, seq, blocked, kernels.tokenBlock,
        [&](Value s0) {
          SmallVector<SmallVector<Value>> y =
              blockedRowsDots(e, kernels, rows, k, x, s0, kernels.tokenBlock);
          for (int64_t i = 0; i < kernels.tokenBlock; ++i) {
            SmallVector<Value> ys;
            for (SmallVector<Value> &r : y)
              ys.push_back(r[i]);
            store(arith::AddIOp::create(b, loc, s0, e.idx(i)), at, ys);
          }
        },
        [&](Value s) { store(s, at, rowDots(e, kernels, rows, k, x, s)); });
  };
  forEachStep(e, n, step, rowStep);
  op->erase();
  return success();
}

LogicalResult lowerKernelMatmul(KernelMatmulOp op) {
  if (!op.getResult().empty())
    return op.emitOpError(
        "llama-lower-kernel-matmul: bufferize the op first (init is a tensor)");
  if (op.getKernelConfig().getTileRows() == 0)
    return lowerRowKernels(op);
  OpBuilder b(op);
  Emitter e{b, op.getLoc()};
  Location loc = op.getLoc();
  KernelConfigAttr config = op.getKernelConfig();
  Value out = op.getInit();
  auto outType = cast<MemRefType>(out.getType());
  int64_t n = outType.getDimSize(1);
  Value act = op.getXq() ? op.getXq() : op.getX();
  int64_t k = cast<MemRefType>(act.getType()).getDimSize(1);
  Value seq = e.dim(out, 0);

  SmallVector<WeightView> views = weightViews(op);
  SmallVector<const WeightView *> ws;
  for (const WeightView &w : views) {
    if (!(op.getXq() ? canPackRows(w, k) : canPackFloatRows(w, k)))
      return op.emitOpError("llama-lower-kernel-matmul: ")
             << stringifyGGMLType(w.type) << " rows of " << k
             << " elements cannot be packed in 16-row tiles";
    ws.push_back(&w);
  }
  PackedActivations x{op.getXq(), op.getXd(), op.getXs(), op.getScales(),
                      op.getX(),  op.getXl(), op.getXt()};
  if (Value xf = op.getXf()) {
    x.xf = xf;
    x.xfTokens = cast<MemRefType>(xf.getType()).getDimSize(2);
    x.gamma = op.getGamma();
  } else if (op.getGamma()) {
    return op.emitOpError(
        "llama-lower-kernel-matmul: gamma applies with xf only");
  }

  auto vt = VectorType::get({kPackedRows}, b.getF32Type());
  TileEpilogue epilogue = op.getEpilogue();
  bool accumulate = op.getAccumulate();
  // rope: the rotation table's columns of rows r0 .. r0 + 15, and the
  // shuffle that swaps the lanes of each pair.
  Value rot = op.getRotation();
  int64_t width = rot ? cast<MemRefType>(rot.getType()).getDimSize(2) : 0;
  SmallVector<int64_t> swapPairs;
  for (int64_t i = 0; i < kPackedRows; ++i)
    swapPairs.push_back(i ^ 1);
  // A task of whole pairs of row tiles of one float weight (the CPU table's
  // `distribute = [0, 32]`) with token blocks of kSideBySideTokens or more
  // multiplies each pair side by side (emitPackedRowTile): the block's
  // broadcasts serve both tiles.
  bool pairs = ws.size() == 1 && !x.xq && epilogue == TileEpilogue::None &&
               n % (2 * kPackedRows) == 0 &&
               config.getTokenBlock() >= kSideBySideTokens;
  auto tile = [&](Value r0) {
    Value col;
    if (rot)
      col = width == n ? r0 : arith::RemUIOp::create(b, loc, r0, e.idx(width));
    SmallVector<const WeightView *> tws(ws);
    SmallVector<Value> r0s(ws.size(), r0);
    if (pairs) {
      tws.push_back(ws.front());
      r0s.push_back(arith::AddIOp::create(b, loc, r0, e.idx(kPackedRows)));
    }
    emitPackedRowTile(
        b, loc, packedDotKind(config.getIntDot()),
        config.getDot() == KernelDot::AMX, tws, k, x, r0s, seq,
        config.getTokenBlock(), config.getPrefetch(),
        [&](Value s, ArrayRef<Value> ys) {
          if (epilogue == TileEpilogue::RoPE) {
            // y * cos + swap(y) * (-sin | sin), lane by lane: exactly
            // (a cos - b sin, b cos + a sin) of the pair (a, b).
            auto table = [&](int64_t c) -> Value {
              return vector::LoadOp::create(b, loc, vt, rot,
                                            ValueRange{s, e.idx(c), col});
            };
            Value y = ys[0];
            Value swapped = vector::ShuffleOp::create(b, loc, y, y, swapPairs);
            Value r = arith::AddFOp::create(
                b, loc, arith::MulFOp::create(b, loc, y, table(0)),
                arith::MulFOp::create(b, loc, swapped, table(1)));
            vector::StoreOp::create(b, loc, r, out, ValueRange{s, r0});
            return;
          }
          if (epilogue == TileEpilogue::None) {
            for (auto [tileY, at] : llvm::zip_equal(ys, r0s)) {
              Value y = tileY;
              if (accumulate)
                y = arith::AddFOp::create(
                    b, loc,
                    vector::LoadOp::create(b, loc, vt, out, ValueRange{s, at}),
                    y);
              vector::StoreOp::create(b, loc, y, out, ValueRange{s, at});
            }
            return;
          }
          // silu(g) * u on the 16 lanes.
          vector::StoreOp::create(b, loc, siluTimes(e, ys[0], ys[1]), out,
                                  ValueRange{s, r0});
        });
  };
  forEachStep(e, n, pairs ? 2 * kPackedRows : kPackedRows, tile);
  op->erase();
  return success();
}

struct LlamaLowerKernelMatmulPass
    : llama::impl::LlamaLowerKernelMatmulPassBase<LlamaLowerKernelMatmulPass> {
  void runOnOperation() override {
    SmallVector<KernelMatmulOp> ops;
    getOperation()->walk([&](KernelMatmulOp op) { ops.push_back(op); });
    for (KernelMatmulOp op : ops)
      if (failed(lowerKernelMatmul(op)))
        return signalPassFailure();
  }
};

} // namespace
