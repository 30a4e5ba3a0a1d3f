//===- KernelAttention.cpp - llama.kernel_attention -------------*- C++ -*-===//
//
// The verifier of llama.kernel_attention and its interfaces: destination
// style, memory effects on buffers, tiling over (tokens, KV heads) and
// bufferization (the tensor operands become their buffers, `init` is
// written in place).
//
//===----------------------------------------------------------------------===//

#include "KernelSlices.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::bufferization;

LogicalResult KernelAttentionOp::verify() {
  // (C1)
  for (Value v : {getQuery(), getPositions(), getInit()})
    if (!isa<RankedTensorType, MemRefType>(v.getType()))
      return emitOpError("query, positions and init must be ranked tensors "
                         "or buffers, got ")
             << v.getType();
  auto q = cast<ShapedType>(getQuery().getType());
  if (q.getRank() != 3 || !q.getElementType().isF32() || q.isDynamicDim(1) ||
      q.isDynamicDim(2) || q.getDimSize(1) <= 0 || q.getDimSize(2) <= 0)
    return emitOpError("query must be f32 [tokens, n_heads, head_dim] with "
                       "static heads and head_dim, got ")
           << q;
  auto init = cast<ShapedType>(getInit().getType());
  if (failed(verifyCompatibleShape(init.getShape(), q.getShape())) ||
      init.getElementType() != q.getElementType())
    return emitOpError("init must have the shape of query ")
           << q << ", got " << init;
  // (C2)
  auto k = cast<MemRefType>(getKeys().getType());
  if (getValues().getType() != k)
    return emitOpError("keys and values must have one type, got ")
           << k << " and " << getValues().getType();
  if (k.getRank() != 3 ||
      !(k.getElementType().isF32() || k.getElementType().isF16()))
    return emitOpError("the cache must be f32 or f16 "
                       "[n_ctx, n_kv_heads, head_dim], got ")
           << k;
  if (k.getDimSize(0) == 0)
    return emitOpError("the cache must have rows, got ") << k;
  if (k.isDynamicDim(1) || k.getDimSize(1) <= 0 ||
      q.getDimSize(1) % k.getDimSize(1) != 0)
    return emitOpError("the cache's KV heads must be a static divisor of the ")
           << q.getDimSize(1) << " query heads, got " << k;
  if (k.getDimSize(2) != q.getDimSize(2))
    return emitOpError("the cache's head_dim must be the query's ")
           << q.getDimSize(2) << ", got " << k;
  // (C3)
  auto p = cast<ShapedType>(getPositions().getType());
  if (p.getRank() != 1 ||
      !(p.getElementType().isInteger(32) || p.getElementType().isInteger(64)) ||
      (!p.isDynamicDim(0) && !q.isDynamicDim(0) &&
       p.getDimSize(0) != q.getDimSize(0)))
    return emitOpError("positions must be i32 or i64 [tokens] with the "
                       "query's tokens, got ")
           << p;
  // (C4)
  if (getKernelConfig().getBlockThreads() != 0 &&
      getKernelConfig().getDispatch() != KernelDispatch::Threads)
    return emitOpError("kernel_config must be a CPU configuration "
                       "(block_threads = 0) or a GPU one of thread kernels "
                       "(dispatch = threads)");
  // (C5)
  bool buffers = isa<MemRefType>(init);
  if (isa<MemRefType>(q) != buffers || isa<MemRefType>(p) != buffers)
    return emitOpError("query and positions must be buffers exactly when "
                       "init is one");
  if (!buffers) {
    if (getResult().size() != 1 || getResult()[0].getType() != init)
      return emitOpError("a tensor init needs one result of its type");
  } else if (!getResult().empty()) {
    return emitOpError("a buffer init takes no result");
  }
  // (C6)
  float scale = getScale().convertToFloat();
  if (!std::isfinite(scale) || scale <= 0)
    return emitOpError("scale must be finite and positive, got ") << scale;
  return success();
}

Value KernelAttentionOp::outsideInToken(OpBuilder &b, Location loc, Value i,
                                        Value n) {
  auto idx = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value half = arith::DivUIOp::create(b, loc, i, idx(2));
  Value odd =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                            arith::RemUIOp::create(b, loc, i, idx(2)), idx(0));
  Value fromEnd = arith::SubIOp::create(
      b, loc, arith::SubIOp::create(b, loc, n, idx(1)), half);
  return arith::SelectOp::create(b, loc, odd, fromEnd, half);
}

int64_t KernelAttentionOp::getKVMul() {
  return cast<ShapedType>(getQuery().getType()).getDimSize(1) /
         cast<ShapedType>(getKeys().getType()).getDimSize(1);
}

//===----------------------------------------------------------------------===//
// Memory effects (buffer form)
//===----------------------------------------------------------------------===//

void KernelAttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &o : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(o.get().getType()))
      continue;
    effects.emplace_back(
        &o == &getInitMutable()
            ? static_cast<MemoryEffects::Effect *>(MemoryEffects::Write::get())
            : MemoryEffects::Read::get(),
        &o, SideEffects::DefaultResource::get());
  }
}

//===----------------------------------------------------------------------===//
// Tiling
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> KernelAttentionOp::getLoopIteratorTypes() {
  return {utils::IteratorType::parallel, utils::IteratorType::parallel};
}

SmallVector<Range> KernelAttentionOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return {Range{zero, mixedDimSize(b, loc, getQuery(), 0), one},
          Range{zero, mixedDimSize(b, loc, getKeys(), 1), one}};
}

namespace {

/// Where a tile of the iteration space (tokens, KV heads) reads the query
/// and writes `init`: the [tokens, heads, head_dim] slice's offsets and
/// sizes, and whether its tokens are all of the op's (then an outside-in
/// order stays the tile's own).
struct AttentionSlice {
  SmallVector<OpFoldResult> offsets, sizes;
  bool allTokens = false;
};

} // namespace

/// `v * c`, folded where `v` is a constant.
static OpFoldResult times(OpBuilder &b, Location loc, OpFoldResult v,
                          int64_t c) {
  if (std::optional<int64_t> k = getConstantIntValue(v))
    return b.getIndexAttr(*k * c);
  if (c == 1)
    return v;
  return arith::MulIOp::create(b, loc,
                               getValueOrCreateConstantIndexOp(b, loc, v),
                               arith::ConstantIndexOp::create(b, loc, c))
      .getResult();
}

static FailureOr<AttentionSlice> sliceOf(KernelAttentionOp op, OpBuilder &b,
                                         ArrayRef<OpFoldResult> offsets,
                                         ArrayRef<OpFoldResult> sizes) {
  Location loc = op.getLoc();
  Value q = op.getQuery();
  auto qt = cast<ShapedType>(q.getType());
  // All tokens: a tile size of 0, whose size the tiling driver takes from
  // the iteration domain (the query's first dimension).
  auto whole = [&](OpFoldResult size) {
    if (std::optional<int64_t> c = getConstantIntValue(size))
      return !qt.isDynamicDim(0) && *c == qt.getDimSize(0);
    auto v = dyn_cast<Value>(size);
    if (auto d = v ? v.getDefiningOp<tensor::DimOp>() : tensor::DimOp())
      return d.getSource() == q && getConstantIntValue(d.getIndex()) == 0;
    if (auto d = v ? v.getDefiningOp<memref::DimOp>() : memref::DimOp())
      return d.getSource() == q && getConstantIntValue(d.getIndex()) == 0;
    return false;
  };
  AttentionSlice s;
  s.allTokens = isZeroInteger(offsets[0]) && whole(sizes[0]);
  OpFoldResult token = offsets[0];
  if (op.getOutsideIn() && !s.allTokens) {
    if (getConstantIntValue(sizes[0]) != 1)
      return op.emitOpError("tokens in outside-in order can only be tiled "
                            "by 1 or taken whole");
    token = KernelAttentionOp::outsideInToken(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, offsets[0]),
        getValueOrCreateConstantIndexOp(b, loc, mixedDimSize(b, loc, q, 0)));
  }
  int64_t nkv = cast<MemRefType>(op.getKeys().getType()).getDimSize(1);
  std::optional<int64_t> heads = getConstantIntValue(sizes[1]);
  if (!heads || *heads <= 0 || nkv % *heads != 0)
    return op.emitOpError("KV heads can only be tiled by static sizes that "
                          "divide the ")
           << nkv << " KV heads";
  int64_t kvMul = op.getKVMul();
  s.offsets = {token, times(b, loc, offsets[1], kvMul), b.getIndexAttr(0)};
  s.sizes = {sizes[0], times(b, loc, sizes[1], kvMul),
             b.getIndexAttr(qt.getDimSize(2))};
  return s;
}

FailureOr<TilingResult>
KernelAttentionOp::getTiledImplementation(OpBuilder &b,
                                          ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  FailureOr<AttentionSlice> s = sliceOf(*this, b, offsets, sizes);
  if (failed(s))
    return failure();
  IRMapping map;
  SmallVector<Operation *> slices;
  auto add = [&](Value from, Value to) {
    slices.push_back(to.getDefiningOp());
    map.map(from, to);
  };
  add(getQuery(), unitStrideSlice(b, loc, getQuery(), s->offsets, s->sizes));
  if (!s->allTokens)
    add(getPositions(),
        unitStrideSlice(b, loc, getPositions(), s->offsets[0], s->sizes[0]));
  // The cache columns of the tile's KV heads, all rows.
  auto k = cast<MemRefType>(getKeys().getType());
  SmallVector<OpFoldResult> cacheOffsets = {b.getIndexAttr(0), offsets[1],
                                            b.getIndexAttr(0)},
                            cacheSizes = {mixedDimSize(b, loc, getKeys(), 0),
                                          sizes[1],
                                          b.getIndexAttr(k.getDimSize(2))};
  add(getKeys(), unitStrideSlice(b, loc, getKeys(), cacheOffsets, cacheSizes));
  add(getValues(),
      unitStrideSlice(b, loc, getValues(), cacheOffsets, cacheSizes));
  Value initTile = unitStrideSlice(b, loc, getInit(), s->offsets, s->sizes);
  add(getInit(), initTile);
  Operation *tiled = b.clone(*getOperation(), map);
  // One token has no order to keep.
  if (!s->allTokens)
    cast<KernelAttentionOp>(tiled).setOutsideIn(false);
  if (!tiled->getResults().empty())
    tiled->getResult(0).setType(initTile.getType());
  return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()), slices};
}

LogicalResult KernelAttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  FailureOr<AttentionSlice> s = sliceOf(*this, b, offsets, sizes);
  if (failed(s))
    return failure();
  resultOffsets = s->offsets;
  resultSizes = s->sizes;
  return success();
}

//===----------------------------------------------------------------------===//
// Bufferization
//===----------------------------------------------------------------------===//

bool KernelAttentionOp::bufferizesToMemoryRead(OpOperand &operand,
                                               const AnalysisState &) {
  return &operand != &getInitMutable();
}

bool KernelAttentionOp::bufferizesToMemoryWrite(OpOperand &operand,
                                                const AnalysisState &) {
  return &operand == &getInitMutable();
}

AliasingValueList KernelAttentionOp::getAliasingValues(OpOperand &operand,
                                                       const AnalysisState &) {
  if (&operand != &getInitMutable() || getResult().empty())
    return {};
  return {{getResult()[0], BufferRelation::Equivalent}};
}

LogicalResult KernelAttentionOp::bufferize(RewriterBase &rewriter,
                                           const BufferizationOptions &options,
                                           BufferizationState &state) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(*this);
  // The same op on buffers: tensors replaced by their buffers, no result.
  SmallVector<Value> buffers;
  for (Value v : {getQuery(), getPositions(), getInit()}) {
    if (!isa<RankedTensorType>(v.getType())) {
      buffers.push_back(v);
      continue;
    }
    FailureOr<Value> buf = getBuffer(rewriter, v, options, state);
    if (failed(buf))
      return failure();
    buffers.push_back(*buf);
  }
  KernelAttentionOp::create(rewriter, getLoc(), TypeRange{}, buffers[0],
                            buffers[1], getKeys(), getValues(), buffers[2],
                            getScaleAttr(), getOutsideInAttr(),
                            getKernelConfig());
  replaceOpWithBufferizedValues(rewriter, getOperation(), {buffers[2]});
  return success();
}
