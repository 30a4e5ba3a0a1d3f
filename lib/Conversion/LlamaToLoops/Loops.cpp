//===- Loops.cpp - Parallel and unit loops ----------------------*- C++ -*-===//
//
// Parallel loops (CPU thread pool, GPU threads, warps and blocks), the token
// loops of the matmuls, and thread-strided unit loops whose vector accesses
// carry their alignment (Emitter.h).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

void parallelFor(Emitter &e, Value n, function_ref<void(Value)> body) {
  OpBuilder &b = e.b;
  auto par = scf::ParallelOp::create(b, e.loc, ValueRange{e.idx(0)},
                                     ValueRange{n}, ValueRange{e.idx(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(par.getBody());
  body(par.getInductionVars()[0]);
}

void configureStructured(Operation *op, bool vectorize, bool distribute) {
  auto linalgOp = cast<linalg::LinalgOp>(op);
  SmallVector<int64_t> extents = linalgOp.getStaticLoopRanges();
  MLIRContext *ctx = op->getContext();
  DenseI64ArrayAttr tasks, vectors;
  if (distribute && ShapedType::isDynamic(extents.front())) {
    SmallVector<int64_t> sizes(extents.size(), 0);
    sizes[0] = 1;
    tasks = DenseI64ArrayAttr::get(ctx, sizes);
  }
  int64_t inner = extents.back();
  int64_t lanes = kStructuredLanes;
  while (lanes > 1 && (ShapedType::isDynamic(inner) || inner % lanes != 0))
    lanes /= 2;
  if (vectorize && lanes > 1) {
    SmallVector<int64_t> sizes(extents.size(), 1);
    sizes.back() = lanes;
    vectors = DenseI64ArrayAttr::get(ctx, sizes);
  }
  if (!tasks && !vectors)
    return;
  op->setAttr(
      KernelConfigAttr::kAttrName,
      KernelConfigAttr::get(ctx, KernelDispatch::Threads, KernelDot::Vector,
                            IntDotISA::None, /*tokenBlock=*/1, /*tileRows=*/0,
                            WeightLayout::GGUF, /*prefetch=*/0, /*kvBlock=*/1,
                            /*blockThreads=*/0, /*tensorCores=*/false,
                            /*rowNorms=*/false, tasks, vectors));
}

void parallelBlocks(Emitter &e, Value n, int64_t threads,
                    function_ref<void(Value task, Value thread)> body) {
  OpBuilder &b = e.b;
  Value all = arith::MulIOp::create(b, e.loc, n, e.idx(threads));
  parallelFor(e, all, [&](Value i) {
    Value t = arith::RemUIOp::create(b, e.loc, i, e.idx(threads));
    e.lane = threads == kWarp
                 ? t
                 : Value(arith::RemUIOp::create(b, e.loc, t, e.idx(kWarp)));
    body(arith::DivUIOp::create(b, e.loc, i, e.idx(threads)), t);
    e.lane = {};
  });
}

void parallelRows(Emitter &e, bool warp, Value n,
                  function_ref<void(Value)> body) {
  if (!warp)
    return parallelFor(e, n, body);
  parallelBlocks(e, n, kWarp, [&](Value row, Value) { body(row); });
}

void parallelRows(Emitter &e, bool warp, int64_t n,
                  function_ref<void(Value)> body) {
  parallelRows(e, warp, e.idx(n), body);
}

void forAll(Emitter &e, bool parallel, ArrayRef<Value> extents,
            function_ref<void(ArrayRef<Value>)> body) {
  OpBuilder &b = e.b;
  if (!parallel) {
    SmallVector<Value> ivs;
    std::function<void(size_t)> nest = [&](size_t d) {
      if (d == extents.size())
        return body(ivs);
      e.loop(e.idx(0), extents[d], [&](Value i) {
        ivs.push_back(i);
        nest(d + 1);
        ivs.pop_back();
      });
    };
    return nest(0);
  }
  SmallVector<Value> zeros(extents.size(), e.idx(0)),
      ones(extents.size(), e.idx(1));
  auto par = scf::ParallelOp::create(b, e.loc, zeros, extents, ones);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(par.getBody());
  body(SmallVector<Value>(par.getInductionVars()));
}

/// The largest power of two (at most 2^20) known to divide every value of
/// the index `v`: constants, products, sums and remainders of such; 0 for
/// the constant 0 (divisible by anything); 1 for anything else.
static int64_t knownDivisor(Value v) {
  constexpr int64_t kCap = int64_t(1) << 20;
  APInt c;
  if (matchPattern(v, m_ConstantInt(&c))) {
    int64_t x = c.getSExtValue();
    return x == 0 ? 0 : std::min(x & -x, kCap);
  }
  auto both = [](Operation *op) {
    return std::make_pair(knownDivisor(op->getOperand(0)),
                          knownDivisor(op->getOperand(1)));
  };
  if (auto mul = v.getDefiningOp<arith::MulIOp>()) {
    auto [a, b] = both(mul);
    return a == 0 || b == 0 ? 0 : std::min(a * b, kCap);
  }
  if (auto add = v.getDefiningOp<arith::AddIOp>()) {
    auto [a, b] = both(add);
    return a == 0 ? b : b == 0 ? a : std::min(a, b);
  }
  // x % m = x - m * (x / m): what divides both divides it.
  if (auto rem = v.getDefiningOp<arith::RemUIOp>()) {
    auto [a, b] = both(rem);
    return a == 0 ? 0 : b == 0 ? a : std::min(a, b);
  }
  // A loop's induction variable: lb + i * step (a loop being built has no
  // parent op yet).
  if (auto arg = dyn_cast<BlockArgument>(v))
    if (auto loop =
            dyn_cast_if_present<scf::ForOp>(arg.getOwner()->getParentOp());
        loop && arg == loop.getInductionVar()) {
      int64_t lo = knownDivisor(loop.getLowerBound()),
              step = knownDivisor(loop.getStep());
      return lo == 0 ? step : step == 0 ? lo : std::min(lo, step);
    }
  return 1;
}

/// The byte alignment (at most 16) of a vector load or store at `indices`
/// of a buffer of type `mt` with the identity layout and static trailing sizes
/// whose base is 16-byte aligned (GPU buffers: 256-byte aligned allocations,
/// and weight views of a file whose tensors are at multiples of 16, which GPU
/// programs check): from what is known to divide each index. 0 where that
/// cannot be told.
static int64_t vectorAccessAlignment(MemRefType mt, ValueRange indices) {
  if (!mt.getLayout().isIdentity() || !mt.getElementType().isIntOrFloat())
    return 0;
  int64_t elemBytes = mt.getElementTypeBitWidth() / 8;
  if (elemBytes == 0)
    return 0;
  int64_t align = 16, strideBytes = elemBytes;
  for (int64_t d = mt.getRank() - 1; d >= 0; --d) {
    int64_t div = knownDivisor(indices[d]);
    if (div != 0)
      align = std::min(align, (strideBytes & -strideBytes) * div);
    if (d > 0) {
      if (mt.isDynamicDim(d))
        return 0;
      strideBytes *= mt.getDimSize(d);
    }
  }
  return align;
}

void markAlignments(const CreatedOps &created) {
  for (Operation *op : created.ops) {
    if (auto load = dyn_cast<vector::LoadOp>(op))
      if (int64_t align =
              vectorAccessAlignment(load.getMemRefType(), load.getIndices()))
        load.setAlignment(align);
    if (auto store = dyn_cast<vector::StoreOp>(op))
      if (int64_t align =
              vectorAccessAlignment(store.getMemRefType(), store.getIndices()))
        store.setAlignment(align);
  }
}

SmallVector<Value> strideUnits(Emitter &e, Value first, int64_t stride,
                               int64_t n, int64_t batch, ValueRange inits,
                               UnitLoad load, UnitUse use) {
  OpBuilder &b = e.b;
  CreatedOps created;
  OpBuilder::Listener *outer = b.getListener();
  b.setListener(&created);
  // for unit in [lo, hi) by stride * k: k units a step
  auto unitLoop = [&](Value lo, int64_t hi, int64_t k, ValueRange accs) {
    return scf::ForOp::create(
        b, e.loc, lo, e.idx(hi), e.idx(stride * k), accs,
        [&](OpBuilder &nb, Location, Value unit0, ValueRange carried) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SmallVector<Value> units;
          SmallVector<SmallVector<Value>> loaded;
          for (int64_t j = 0; j < k; ++j) {
            units.push_back(j ? Value(arith::AddIOp::create(b, e.loc, unit0,
                                                            e.idx(j * stride)))
                              : unit0);
            loaded.push_back(load(units.back()));
          }
          SmallVector<Value> next(carried.begin(), carried.end());
          for (int64_t j = 0; j < k; ++j)
            next = use(units[j], loaded[j], next);
          scf::YieldOp::create(b, e.loc, next);
        });
  };
  int64_t full = batch > 1 ? n - n % (stride * batch) : 0;
  SmallVector<Value> accs(inits.begin(), inits.end());
  if (full > 0) {
    scf::ForOp main = unitLoop(first, full, batch, accs);
    main->setAttr(kBatchedLoadsAttrName, b.getUnitAttr());
    accs = main.getResults();
  }
  if (full < n)
    accs = unitLoop(
               full ? Value(arith::AddIOp::create(b, e.loc, first, e.idx(full)))
                    : first,
               n, 1, accs)
               .getResults();
  b.setListener(outer);
  markAlignments(created);
  return accs;
}

SmallVector<Value> warpUnits(Emitter &e, int64_t n, int64_t batch,
                             ValueRange inits, UnitLoad load, UnitUse use) {
  return strideUnits(e, e.lane, kWarp, n, batch, inits, load, use);
}

void forTokens(Emitter &e, Value seq, bool blocked, int64_t T,
               function_ref<void(Value s0)> blockBody,
               function_ref<void(Value s)> body) {
  OpBuilder &b = e.b;
  Value start = e.idx(0);
  if (blocked) {
    // full = seq - seq % T
    Value full = arith::SubIOp::create(
        b, e.loc, seq, arith::RemUIOp::create(b, e.loc, seq, e.idx(T)));
    scf::ForOp::create(b, e.loc, e.idx(0), full, e.idx(T), ValueRange{},
                       [&](OpBuilder &nb, Location, Value s0, ValueRange) {
                         OpBuilder::InsertionGuard g(b);
                         b.setInsertionPoint(nb.getInsertionBlock(),
                                             nb.getInsertionPoint());
                         blockBody(s0);
                         scf::YieldOp::create(b, e.loc);
                       });
    start = full;
  }
  e.loop(start, seq, body);
}

void forRowsAndTokens(Emitter &e, bool warp, int64_t rows, Value seq,
                      bool blocked, int64_t T,
                      function_ref<void(Value row, Value s0)> blockBody,
                      function_ref<void(Value row, Value s)> body) {
  parallelRows(e, warp, rows, [&](Value row) {
    forTokens(
        e, seq, blocked, T, [&](Value s0) { blockBody(row, s0); },
        [&](Value s) { body(row, s); });
  });
}

Value tokenBlocksBuffer(Emitter &e, Value blocks, int64_t tokens,
                        ArrayRef<int64_t> inner, Type element) {
  OpBuilder &b = e.b;
  int64_t perBlock = 1;
  for (int64_t d : inner)
    perBlock *= d;
  assert(perBlock % tokens == 0 && "a block holds whole tokens");
  Value rows = arith::MulIOp::create(b, e.loc, blocks, e.idx(tokens));
  Value buf = memref::AllocOp::create(
      b, e.loc,
      MemRefType::get({ShapedType::kDynamic, perBlock / tokens}, element),
      ValueRange{rows});
  Value flat = memref::CollapseShapeOp::create(
      b, e.loc, buf, ArrayRef<ReassociationIndices>{{0, 1}});
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  shape.append(inner.begin(), inner.end());
  ReassociationIndices all;
  for (size_t i = 0; i < shape.size(); ++i)
    all.push_back(i);
  SmallVector<OpFoldResult> sizes{blocks};
  for (int64_t d : inner)
    sizes.push_back(b.getIndexAttr(d));
  return memref::ExpandShapeOp::create(
      b, e.loc, MemRefType::get(shape, element), flat,
      ArrayRef<ReassociationIndices>{all}, sizes);
}

} // namespace mlir::llama::loops
