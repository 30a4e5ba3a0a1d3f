//===- Norms.cpp - RMSNorm kernels ------------------------------*- C++ -*-===//
//
// llama.rms_norm, and the RMSNorm row scales and normalized rows that the
// matmul prologues use: on CPUs structured ops on tensors (linalg.generic,
// a prefill's tokens distributed over the thread pool), on GPUs a block of
// threads per token.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

Value scaleOfSumSquares(Emitter &e, Value ss, int64_t dim, FloatAttr eps) {
  OpBuilder &b = e.b;
  Value mean = arith::DivFOp::create(b, e.loc, ss, e.f32(double(dim)));
  Value epsV = arith::ConstantOp::create(b, e.loc, eps);
  return arith::DivFOp::create(
      b, e.loc, e.f32(1.0),
      math::SqrtOp::create(b, e.loc,
                           arith::AddFOp::create(b, e.loc, mean, epsV)));
}

/// The sum of x[s, k]^2 over k = lo, lo + step, ... < dim.
static Value sumOfSquares(Emitter &e, Value x, Value s, Value lo, int64_t dim,
                          int64_t step) {
  OpBuilder &b = e.b;
  return e.reduce(
      lo, e.idx(dim), e.f32(0),
      [&](Value i, Value acc) {
        Value v = memref::LoadOp::create(b, e.loc, x, ValueRange{s, i});
        return arith::AddFOp::create(b, e.loc, acc,
                                     arith::MulFOp::create(b, e.loc, v, v));
      },
      step);
}

/// 1/sqrt(mean_k(xt[s, k]^2) + eps) for every row s of the [seq, dim] f32
/// tensor `xt`, as two linalg.generic ops: the sum of squares (tokens
/// parallel; k reduced into a zero-filled tensor: in vector tiles where
/// `vectorize`, one partial sum per lane, else in order from 0) and
/// scaleOfSumSquares element-wise in place of the sums (so that a task of
/// llama-tile-kernels writes all three into its token's element of one
/// buffer), distributed over a prefill's tokens. Returns the scale op.
static linalg::GenericOp rowScaleOps(Emitter &e, Value xt, int64_t dim,
                                     FloatAttr eps, bool vectorize) {
  OpBuilder &b = e.b;
  Value zero = linalg::FillOp::create(b, e.loc, ValueRange{e.f32(0)},
                                      ValueRange{e.emptyRows(xt, {})})
                   .getResult(0);
  AffineMap rowsK = b.getMultiDimIdentityMap(2);
  AffineMap rows = e.rowsMap();
  auto sum = linalg::GenericOp::create(
      b, e.loc, TypeRange{zero.getType()}, ValueRange{xt}, ValueRange{zero},
      ArrayRef<AffineMap>{rowsK, rows},
      {utils::IteratorType::parallel, utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange a) {
        Value sq = arith::MulFOp::create(nb, l, a[0], a[0]);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, a[1], sq)});
      });
  configureStructured(sum, vectorize, /*distribute=*/false);
  auto scale = linalg::GenericOp::create(
      b, e.loc, TypeRange{zero.getType()}, ValueRange{}, sum.getResult(0),
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
      {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Emitter be{nb, l};
        linalg::YieldOp::create(
            nb, l, ValueRange{scaleOfSumSquares(be, a[0], dim, eps)});
      });
  configureStructured(scale, vectorize);
  return scale;
}

/// f32 elements a thread of a norm's block takes per unit (one 16-byte
/// load), and at most this many units per step (strideUnits): a
/// 4096-element row is one step of 8 loads for each of 128 threads. The
/// decode norm was one warp on the whole GPU: 4 dependent steps of 8 loads
/// per pass, and before that 16 of 8 scalar loads.
constexpr int64_t kNormPiece = 4;

constexpr int64_t kNormBatch = 8;

/// The sum of `v` over the `threads` threads of a block (`thread`, with its
/// lane in e.lane): a warp sum (shuffles), lane 0 of each warp writing it to
/// workgroup memory (a memref.alloca in the workgroup address space, which
/// llama-gpu-workgroup-buffers makes the kernel's workgroup buffer), a
/// barrier (that pass's gpu.barrier after the write, which is marked
/// kBarrierAfterAttrName), and every thread adding the warps' sums in the
/// same order (the same value in every thread).
static Value blockSum(Emitter &e, Value v, Value thread, int64_t threads) {
  OpBuilder &b = e.b;
  int64_t warps = threads / kWarp;
  Value warpSum = e.warpSum(v);
  if (warps == 1)
    return warpSum;
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value sums = memref::AllocaOp::create(
      b, e.loc,
      MemRefType::get({warps}, b.getF32Type(), MemRefLayoutAttrInterface{},
                      space));
  Value first = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::eq,
                                      e.lane, e.idx(0));
  auto write =
      scf::IfOp::create(b, e.loc, first, [&](OpBuilder &nb, Location l) {
        Value w = arith::DivUIOp::create(nb, l, thread, e.idx(kWarp));
        memref::StoreOp::create(nb, l, warpSum, sums, ValueRange{w});
        scf::YieldOp::create(nb, l);
      });
  // The barrier comes with the kernel (the buffer deallocation passes
  // reject gpu.barrier, whose memory effects are unknown).
  write->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
  Value total = memref::LoadOp::create(b, e.loc, sums, ValueRange{e.idx(0)});
  for (int64_t w = 1; w < warps; ++w)
    total = arith::AddFOp::create(
        b, e.loc, total,
        memref::LoadOp::create(b, e.loc, sums, ValueRange{e.idx(w)}));
  return total;
}

/// Units per step of a norm's threads over `pieces` units: up to
/// kNormBatch, as many as each thread has.
static int64_t normBatch(int64_t pieces, int64_t threads) {
  return std::clamp<int64_t>(pieces / threads, 1, kNormBatch);
}

/// The RMSNorm scale of row s of `x` computed by a block (parallelBlocks):
/// thread t sums the
/// squares of pieces t, t + threads, ... of kNormPiece elements (elements
/// where the row is not a whole number of pieces); blockSum adds the sums.
static Value blockRowScale(Emitter &e, Value x, Value s, Value thread,
                           int64_t threads, int64_t dim, FloatAttr eps) {
  OpBuilder &b = e.b;
  if (dim % kNormPiece != 0)
    return scaleOfSumSquares(
        e,
        blockSum(e, sumOfSquares(e, x, s, thread, dim, threads), thread,
                 threads),
        dim, eps);
  auto vt = VectorType::get({kNormPiece}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, e.loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(0)));
  int64_t pieces = dim / kNormPiece;
  SmallVector<Value> acc = strideUnits(
      e, thread, threads, pieces, normBatch(pieces, threads), {zero},
      [&](Value unit) -> SmallVector<Value> {
        Value k0 = arith::MulIOp::create(b, e.loc, unit, e.idx(kNormPiece));
        return {vector::LoadOp::create(b, e.loc, vt, x, ValueRange{s, k0})};
      },
      [&](Value, ArrayRef<Value> v, ValueRange accs) -> SmallVector<Value> {
        return {vector::FMAOp::create(b, e.loc, vt, v[0], v[0], accs[0])};
      });
  Value sum =
      vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, acc[0]);
  return scaleOfSumSquares(e, blockSum(e, sum, thread, threads), dim, eps);
}

Value rowScales(Emitter &e, const Kernels &kernels, Value x, Value seq,
                int64_t dim, FloatAttr eps) {
  OpBuilder &b = e.b;
  if (!kernels.gpu) {
    linalg::GenericOp scaleOp =
        rowScaleOps(e, e.tensorOf(x), dim, eps, kernels.vectorize);
    return e.buffer(scaleOp.getResult(0));
  }
  Value scales = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()),
      ValueRange{seq});
  int64_t threads = kernels.blockThreads;
  parallelBlocks(e, seq, threads, [&](Value s, Value t) {
    Value scale = blockRowScale(e, x, s, t, threads, dim, eps);
    Value first =
        arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::eq, t, e.idx(0));
    scf::IfOp::create(b, e.loc, first, [&](OpBuilder &nb, Location l) {
      memref::StoreOp::create(nb, l, scale, scales, ValueRange{s});
      scf::YieldOp::create(nb, l);
    });
  });
  return scales;
}

Value normalizedRows(Emitter &e, int64_t threads, Value x, Value gamma,
                     Value seq, int64_t dim, FloatAttr eps) {
  OpBuilder &b = e.b;
  auto xt = cast<MemRefType>(x.getType());
  Value out = memref::AllocOp::create(
      b, e.loc, MemRefType::get(xt.getShape(), b.getF32Type()),
      xt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  parallelBlocks(e, seq, threads, [&](Value s, Value t) {
    Value scale = blockRowScale(e, x, s, t, threads, dim, eps);
    if (dim % kNormPiece != 0) {
      e.loop(
          t, e.idx(dim),
          [&](Value k) {
            Value v = memref::LoadOp::create(b, e.loc, x, ValueRange{s, k});
            Value g = memref::LoadOp::create(b, e.loc, gamma, ValueRange{k});
            Value y = arith::MulFOp::create(
                b, e.loc, arith::MulFOp::create(b, e.loc, v, scale), g);
            memref::StoreOp::create(b, e.loc, y, out, ValueRange{s, k});
          },
          threads);
      return;
    }
    auto vt = VectorType::get({kNormPiece}, b.getF32Type());
    Value scaleV = vector::BroadcastOp::create(b, e.loc, vt, scale);
    auto k0Of = [&](Value unit) -> Value {
      return arith::MulIOp::create(b, e.loc, unit, e.idx(kNormPiece));
    };
    int64_t pieces = dim / kNormPiece;
    strideUnits(
        e, t, threads, pieces, normBatch(pieces, threads), {},
        [&](Value unit) -> SmallVector<Value> {
          Value k0 = k0Of(unit);
          return {vector::LoadOp::create(b, e.loc, vt, x, ValueRange{s, k0}),
                  vector::LoadOp::create(b, e.loc, vt, gamma, ValueRange{k0})};
        },
        [&](Value unit, ArrayRef<Value> v, ValueRange) -> SmallVector<Value> {
          Value y = arith::MulFOp::create(
              b, e.loc, arith::MulFOp::create(b, e.loc, v[0], scaleV), v[1]);
          vector::StoreOp::create(b, e.loc, y, out, ValueRange{s, k0Of(unit)});
          return {};
        });
  });
  return out;
}

LogicalResult FunctionLowering::lowerRMSNorm(RMSNormOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  if (rt.getRank() != 2)
    return op.emitOpError("llama-lower-to-loops supports rank-2 inputs only");
  const WeightView &w = weights.lookup(op.getWeight());
  int64_t dim = rt.getDimSize(1);
  FloatAttr eps = op.getEpsilonAttr();
  if (!kernels.gpu) {
    // out = x * scale * w: one structured op over (tokens, k) after the
    // scales'. Each is distributed on its own: a task of the second that
    // computed its token's scale would need a buffer of its own for it.
    Value xt = op.getInput();
    linalg::GenericOp scaleOp = rowScaleOps(e, xt, dim, eps, kernels.vectorize);
    AffineMap rowsK = b.getMultiDimIdentityMap(2);
    AffineMap rows = e.rowsMap();
    // An f32 weight (as norm weights are in the files llama.cpp writes) is
    // an operand, which the vectorizer takes; another format is decoded
    // element by element in the body.
    SmallVector<Value> ins{xt, scaleOp.getResult(0)};
    SmallVector<AffineMap> maps{rowsK, rows};
    bool gammaIn = w.type == GGMLType::F32 && !w.prepacked;
    if (gammaIn) {
      Value row = memref::CollapseShapeOp::create(
          b, e.loc, w.view, ArrayRef<ReassociationIndices>{{0, 1}});
      ins.push_back(bufferization::ToTensorOp::create(
          b, e.loc, RankedTensorType::get({dim}, b.getF32Type()), row,
          /*restrict=*/true, /*writable=*/false));
      maps.push_back(
          AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext()));
    }
    maps.push_back(rowsK);
    auto norm = linalg::GenericOp::create(
        b, e.loc, TypeRange{rt}, ins, ValueRange{e.emptyRows(xt, {dim})}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Emitter be{nb, l};
          Value g = gammaIn ? a[2]
                            : be.weightAt(w, be.idx(0),
                                          linalg::IndexOp::create(nb, l, 1));
          Value y = arith::MulFOp::create(
              nb, l, arith::MulFOp::create(nb, l, a[0], a[1]), g);
          linalg::YieldOp::create(nb, l, ValueRange{y});
        });
    configureStructured(norm, kernels.vectorize && gammaIn);
    op.getResult().replaceAllUsesWith(norm.getResult(0));
    op.erase();
    return success();
  }
  Value x, seq, out;
  std::tie(x, seq, out) = e.rowsInOut(op.getInput(), rt);
  // out = x * scale * w, the scales first (a block per token).
  Value scales = rowScales(e, kernels, x, seq, dim, eps);
  forAll(e, kernels.gpu, {seq, e.idx(dim)}, [&](ArrayRef<Value> iv) {
    Value v = memref::LoadOp::create(b, e.loc, x, iv);
    Value sc = memref::LoadOp::create(b, e.loc, scales, ValueRange{iv[0]});
    Value y =
        arith::MulFOp::create(b, e.loc, arith::MulFOp::create(b, e.loc, v, sc),
                              e.weightAt(w, e.idx(0), iv[1]));
    memref::StoreOp::create(b, e.loc, y, out, iv);
  });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

} // namespace mlir::llama::loops
