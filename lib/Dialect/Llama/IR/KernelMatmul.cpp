//===- KernelMatmul.cpp - llama.kernel_matmul -------------------*- C++ -*-===//
//
// The verifier of llama.kernel_matmul and its interfaces: destination
// style, memory effects on buffers, tiling over (tokens, rows) and
// bufferization (the tensor operands become their buffers, `init` is
// written in place).
//
//===----------------------------------------------------------------------===//

#include "KernelSlices.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::bufferization;

static constexpr int64_t kTileRows = 16;

LogicalResult KernelMatmulOp::verify() {
  // (C1)
  size_t expected = getEpilogue() == TileEpilogue::SwiGLU ? 2 : 1;
  if (getWeights().size() != expected)
    return emitOpError("epilogue ")
           << stringifyTileEpilogue(getEpilogue()) << " takes " << expected
           << " weight(s), got " << getWeights().size();
  if (getWeightTypes().size() != getWeights().size())
    return emitOpError("weight_types must name one GGML type per weight");
  for (Attribute a : getWeightTypes())
    if (!symbolizeGGMLType(cast<StringAttr>(a).getValue()))
      return emitOpError("unknown GGML type '")
             << cast<StringAttr>(a).getValue() << "' in weight_types";
  if (getAccumulate() && getEpilogue() != TileEpilogue::None)
    return emitOpError("accumulate needs epilogue none");
  // (C4): tile_rows is 16 or 0 (the attribute's own C1).
  int64_t tileRows = getKernelConfig().getTileRows();
  if (getKernelConfig().getBlockThreads() != 0 &&
      (getKernelConfig().getDispatch() != KernelDispatch::Threads ||
       tileRows != 0))
    return emitOpError("kernel_config must be a CPU configuration "
                       "(block_threads = 0) or a GPU one of row kernels "
                       "(dispatch = threads, tile_rows = 0)");
  int64_t step = getRowStep();
  // (C2)
  if (tileRows == 0) {
    if (!getX())
      return emitOpError("row kernels need x");
    if (bool(getXq()) != bool(getXd()) || bool(getXq()) != bool(getXs()))
      return emitOpError("row kernels take xq, xd and xs together or none");
    if (getXt() || getXf())
      return emitOpError("xt and xf belong to packed row tiles");
    if (getXl() && !getXq())
      return emitOpError("row kernels take xl only with xq");
    // Q2_K's groups have a min per 16 elements: their correction needs the
    // sum of each block's first 16 activation quants.
    bool twoMins = llvm::any_of(getWeightTypes(), [](Attribute a) {
      auto s = dyn_cast<StringAttr>(a);
      return s && s.getValue() == stringifyGGMLType(GGMLType::Q2_K);
    });
    if (getXq() && twoMins && !getXl())
      return emitOpError("row kernels of q2_k weights with xq need xl (the "
                         "sums of each block's first 16 quants)");
  } else if (getXq()) {
    if (!getXd() || !getXs())
      return emitOpError("integer tiles (xq) need xd and xs");
    if (getX() || getXf() || getGamma())
      return emitOpError("integer tiles (xq) take no x, xf or gamma");
  } else {
    if (!getX())
      return emitOpError("float tiles need x");
    if (getXd() || getXs() || getXl() || getXt())
      return emitOpError("xd, xs, xl and xt belong to integer tiles (xq)");
  }
  // (C3)
  auto init = cast<ShapedType>(getInit().getType());
  if (!init.hasRank() || init.getRank() != 2 ||
      !init.getElementType().isF32() || init.isDynamicDim(1) ||
      init.getDimSize(1) % step != 0)
    return emitOpError("init must be f32 [tokens, N] with N a static "
                       "multiple of the row step ")
           << step << ", got " << init;
  // (C6)
  if (Value x = getX()) {
    auto xt = cast<ShapedType>(x.getType());
    if (!xt.hasRank() || xt.getRank() != 2 || !xt.getElementType().isF32() ||
        xt.isDynamicDim(1))
      return emitOpError("x must be f32 [tokens, K] with a static K, got ")
             << xt;
  }
  if (Value xq = getXq()) {
    auto qt = cast<ShapedType>(xq.getType());
    if (!qt.hasRank() || qt.getRank() != 2 ||
        !qt.getElementType().isInteger(8) || qt.isDynamicDim(1) ||
        (getX() &&
         qt.getDimSize(1) != cast<ShapedType>(getX().getType()).getDimSize(1)))
      return emitOpError("xq must be i8 [tokens, K] with the K of x, got ")
             << qt;
  }
  // (C7) xf holds the full blocks of the configuration's token block, the
  // blocks the float tiles read from it (any other block size would send
  // every token down the unblocked path, quietly slower).
  if (Value xf = getXf()) {
    auto ft = cast<ShapedType>(xf.getType());
    int64_t k = cast<ShapedType>(getX().getType()).getDimSize(1);
    int64_t block = std::max<int64_t>(1, getKernelConfig().getTokenBlock());
    if (!ft.hasRank() || ft.getRank() != 3 || !ft.getElementType().isF32() ||
        ft.getDimSize(1) != k || ft.getDimSize(2) != block)
      return emitOpError("xf must be f32 [blocks, K, token_block] = [?, ")
             << k << ", " << block << "], got " << ft;
  }
  for (Value v : {getX(), getXq(), getXd(), getXs(), getXl(), getXt(), getXf(),
                  getScales()})
    if (v && isa<MemRefType>(v.getType()) != isa<MemRefType>(init))
      return emitOpError("the activations must be buffers exactly when init "
                         "is one");
  if (isa<RankedTensorType>(init)) {
    if (getResult().size() != 1 || getResult()[0].getType() != init)
      return emitOpError("a tensor init needs one result of its type");
  } else if (!getResult().empty()) {
    return emitOpError("a buffer init takes no result");
  }
  // (C8)
  if (DenseI64ArrayAttr distribute = getKernelConfig().getDistribute()) {
    ArrayRef<int64_t> sizes = distribute.asArrayRef();
    if (sizes.size() != 2 || sizes[1] <= 0 || sizes[1] % step != 0 ||
        init.getDimSize(1) % sizes[1] != 0 || sizes[0] > 1 ||
        (sizes[0] == 1 && (getXt() || getXf())))
      return emitOpError("distribute must be [tokens, rows] with rows a "
                         "multiple of the row step ")
             << step << " that divides N = " << init.getDimSize(1)
             << " and tokens 0, or 1 without xt and xf; got [" << sizes << "]";
  }
  // (C5)
  bool rope = getEpilogue() == TileEpilogue::RoPE;
  if (rope != bool(getRotation()))
    return emitOpError(rope ? "epilogue rope needs a rotation table"
                            : "a rotation table needs epilogue rope");
  if (rope) {
    auto rt = cast<ShapedType>(getRotation().getType());
    if (!rt.hasRank() || rt.getRank() != 3 || !rt.getElementType().isF32() ||
        rt.isDynamicDim(1) || rt.getDimSize(1) != 2 || rt.isDynamicDim(2) ||
        rt.getDimSize(2) <= 0 || rt.getDimSize(2) % step != 0 ||
        init.getDimSize(1) % rt.getDimSize(2) != 0)
      return emitOpError("rotation must be f32 [tokens, 2, W] with W a static "
                         "multiple of the row step ")
             << step << " that divides N = " << init.getDimSize(1) << ", got "
             << rt;
    if (isa<MemRefType>(rt) != isa<MemRefType>(init))
      return emitOpError("rotation must be a buffer exactly when init is one");
    if (!rt.isDynamicDim(0) && !init.isDynamicDim(0) &&
        rt.getDimSize(0) != init.getDimSize(0))
      return emitOpError("rotation has ")
             << rt.getDimSize(0) << " tokens, init " << init.getDimSize(0);
  }
  return success();
}

int64_t KernelMatmulOp::getRowStep() {
  if (int64_t tileRows = getKernelConfig().getTileRows())
    return tileRows;
  return getEpilogue() == TileEpilogue::RoPE ? 2 : 1;
}

SmallVector<OpOperand *> KernelMatmulOp::getTokenOperands() {
  SmallVector<OpOperand *> ops;
  for (MutableOperandRange r :
       {getXMutable(), getXqMutable(), getXdMutable(), getXsMutable(),
        getXlMutable(), getScalesMutable()})
    for (OpOperand &o : r)
      ops.push_back(&o);
  return ops;
}

//===----------------------------------------------------------------------===//
// Memory effects (buffer form)
//===----------------------------------------------------------------------===//

void KernelMatmulOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand &o : getOperation()->getOpOperands()) {
    if (!isa<MemRefType>(o.get().getType()))
      continue;
    bool isInit = &o == &getInitMutable();
    if (!isInit || getAccumulate())
      effects.emplace_back(MemoryEffects::Read::get(), &o,
                           SideEffects::DefaultResource::get());
    if (isInit)
      effects.emplace_back(MemoryEffects::Write::get(), &o,
                           SideEffects::DefaultResource::get());
  }
}

//===----------------------------------------------------------------------===//
// Tiling
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> KernelMatmulOp::getLoopIteratorTypes() {
  return {utils::IteratorType::parallel, utils::IteratorType::parallel};
}

SmallVector<Range> KernelMatmulOp::getIterationDomain(OpBuilder &b) {
  Location loc = getLoc();
  Value init = getInit();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  return {Range{zero, mixedDimSize(b, loc, init, 0), one},
          Range{zero, mixedDimSize(b, loc, init, 1), one}};
}

/// The first index of a weight view's first dimension that rows
/// [offset, ...) start at: a GGUF view holds one row per index, a rows16
/// view one tile of 16.
static OpFoldResult firstWeightIndex(OpBuilder &b, Location loc,
                                     OpFoldResult offset, bool packed) {
  if (!packed)
    return offset;
  if (std::optional<int64_t> c = getConstantIntValue(offset))
    return b.getIndexAttr(*c / kTileRows);
  return arith::DivUIOp::create(
             b, loc, getValueOrCreateConstantIndexOp(b, loc, offset),
             arith::ConstantIndexOp::create(b, loc, kTileRows))
      .getResult();
}

/// A weight view's rows from index `first` of its first dimension
/// (firstWeightIndex) to its end, with all of its other dimensions. The
/// tile reads its first rows; the rest are there for its software
/// prefetch, which reaches into the next tile (a thread's tiles are
/// consecutive) rather than stop at its own end.
static Value weightRows(OpBuilder &b, Location loc, Value w,
                        OpFoldResult first) {
  auto t = cast<MemRefType>(w.getType());
  OpFoldResult rest;
  std::optional<int64_t> c = getConstantIntValue(first);
  if (c && !t.isDynamicDim(0))
    rest = b.getIndexAttr(t.getDimSize(0) - *c);
  else
    rest =
        arith::SubIOp::create(b, loc,
                              getValueOrCreateConstantIndexOp(
                                  b, loc, memref::getMixedSize(b, loc, w, 0)),
                              getValueOrCreateConstantIndexOp(b, loc, first))
            .getResult();
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0)),
      sizes = {rest}, strides(t.getRank(), b.getIndexAttr(1));
  offsets[0] = first;
  for (int64_t d = 1; d < t.getRank(); ++d)
    sizes.push_back(memref::getMixedSize(b, loc, w, d));
  return memref::SubViewOp::create(b, loc, w, offsets, sizes, strides);
}

/// Tokens [offset, offset + size) of a per-token operand (all of its other
/// dimensions).
static Value tokenRows(OpBuilder &b, Location loc, Value v, OpFoldResult offset,
                       OpFoldResult size) {
  auto t = cast<ShapedType>(v.getType());
  SmallVector<OpFoldResult> offsets(t.getRank(), b.getIndexAttr(0)),
      sizes = {size};
  offsets[0] = offset;
  for (int64_t d = 1; d < t.getRank(); ++d)
    sizes.push_back(mixedDimSize(b, loc, v, d));
  return unitStrideSlice(b, loc, v, offsets, sizes);
}

/// The rotation table of rows [offsets[1], + sizes[1]) and the tile's
/// tokens: whole where the rows are whole multiples of its width W (row n
/// reads column n mod W), columns [offset mod W, + size) where the size
/// divides W (tiles start at multiples of their size; the caller checked
/// that one of the two holds).
static Value rotationTile(OpBuilder &b, Location loc, Value rot, bool allTokens,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) {
  auto t = cast<ShapedType>(rot.getType());
  int64_t width = t.getDimSize(2);
  bool wholeColumns = *getConstantIntValue(sizes[1]) % width == 0;
  if (allTokens && wholeColumns)
    return rot;
  SmallVector<OpFoldResult> offs = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(0)},
                            szs = {mixedDimSize(b, loc, rot, 0),
                                   b.getIndexAttr(2), b.getIndexAttr(width)};
  if (!allTokens) {
    offs[0] = offsets[0];
    szs[0] = sizes[0];
  }
  if (!wholeColumns) {
    szs[2] = sizes[1];
    if (std::optional<int64_t> c = getConstantIntValue(offsets[1]))
      offs[2] = b.getIndexAttr(*c % width);
    else
      offs[2] = arith::RemUIOp::create(
                    b, loc, getValueOrCreateConstantIndexOp(b, loc, offsets[1]),
                    arith::ConstantIndexOp::create(b, loc, width))
                    .getResult();
  }
  return unitStrideSlice(b, loc, rot, offs, szs);
}

FailureOr<TilingResult>
KernelMatmulOp::getTiledImplementation(OpBuilder &b,
                                       ArrayRef<OpFoldResult> offsets,
                                       ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  int64_t step = getRowStep();
  std::optional<int64_t> rows = getConstantIntValue(sizes[1]);
  if (!rows || *rows % step != 0)
    return emitOpError("rows can only be tiled by static multiples of the "
                       "row step ")
           << step;
  std::optional<int64_t> rowOffset = getConstantIntValue(offsets[1]);
  if (rowOffset && *rowOffset % step != 0)
    return emitOpError("row tiles must start at a multiple of the row step ")
           << step;
  // xt and xf hold blocks of tokens: only a tile from the first token keeps
  // its blocks where they were.
  if ((getXt() || getXf()) && !isZeroInteger(offsets[0]))
    return emitOpError("tokens in blocks (xt, xf) cannot be tiled");

  if (Value rot = getRotation()) {
    int64_t width = cast<ShapedType>(rot.getType()).getDimSize(2);
    if (*rows % width != 0 && width % *rows != 0)
      return emitOpError("row tiles of a rotation table of width ")
             << width << " must be multiples of its width or divide it";
    // A tile's columns [offset mod W, + size) stay inside the table.
    if (*rows % width != 0 && rowOffset && *rowOffset % *rows != 0)
      return emitOpError("row tiles of ")
             << *rows << " rows must start at a multiple of " << *rows;
  }
  bool packed = getKernelConfig().getLayout() == WeightLayout::Rows16;
  IRMapping map;
  SmallVector<Operation *> slices;
  OpFoldResult first = firstWeightIndex(b, loc, offsets[1], packed);
  for (Value w : getWeights()) {
    Value rowsOf = weightRows(b, loc, w, first);
    slices.push_back(rowsOf.getDefiningOp());
    map.map(w, rowsOf);
  }
  // All tokens (a tile size of 0): the per-token operands stay whole.
  // The tiling driver hands this op its destination as the loop's shared
  // output; the token count was taken from the destination outside.
  Value init = getInit();
  auto isInit = [&](Value v) {
    if (v == init)
      return true;
    auto arg = dyn_cast<BlockArgument>(init);
    auto forall = arg ? dyn_cast<scf::ForallOp>(arg.getOwner()->getParentOp())
                      : scf::ForallOp();
    OpOperand *tied = forall ? forall.getTiedOpOperand(arg) : nullptr;
    return tied && tied->get() == v;
  };
  auto whole = [&](OpFoldResult size) {
    if (std::optional<int64_t> c = getConstantIntValue(size))
      return !cast<ShapedType>(init.getType()).isDynamicDim(0) &&
             *c == cast<ShapedType>(init.getType()).getDimSize(0);
    auto v = dyn_cast<Value>(size);
    if (auto d = v ? v.getDefiningOp<tensor::DimOp>() : tensor::DimOp())
      return isInit(d.getSource()) && getConstantIntValue(d.getIndex()) == 0;
    if (auto d = v ? v.getDefiningOp<memref::DimOp>() : memref::DimOp())
      return isInit(d.getSource()) && getConstantIntValue(d.getIndex()) == 0;
    return false;
  };
  bool allTokens = isZeroInteger(offsets[0]) && whole(sizes[0]);
  for (OpOperand *o :
       allTokens ? SmallVector<OpOperand *>() : getTokenOperands()) {
    Value t = tokenRows(b, loc, o->get(), offsets[0], sizes[0]);
    slices.push_back(t.getDefiningOp());
    map.map(o->get(), t);
  }
  if (Value rot = getRotation()) {
    Value t = rotationTile(b, loc, rot, allTokens, offsets, sizes);
    if (t != rot) {
      slices.push_back(t.getDefiningOp());
      map.map(rot, t);
    }
  }
  Value initTile = unitStrideSlice(b, loc, init, offsets, sizes);
  slices.push_back(initTile.getDefiningOp());
  map.map(init, initTile);
  Operation *tiled = b.clone(*getOperation(), map);
  if (!tiled->getResults().empty())
    tiled->getResult(0).setType(initTile.getType());
  return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()), slices};
}

LogicalResult KernelMatmulOp::getResultTilePosition(
    OpBuilder &, unsigned, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.end());
  resultSizes.assign(sizes.begin(), sizes.end());
  return success();
}

//===----------------------------------------------------------------------===//
// Bufferization
//===----------------------------------------------------------------------===//

bool KernelMatmulOp::bufferizesToMemoryRead(OpOperand &operand,
                                            const AnalysisState &) {
  return &operand != &getInitMutable() || getAccumulate();
}

bool KernelMatmulOp::bufferizesToMemoryWrite(OpOperand &operand,
                                             const AnalysisState &) {
  return &operand == &getInitMutable();
}

AliasingValueList KernelMatmulOp::getAliasingValues(OpOperand &operand,
                                                    const AnalysisState &) {
  if (&operand != &getInitMutable() || getResult().empty())
    return {};
  return {{getResult()[0], BufferRelation::Equivalent}};
}

LogicalResult KernelMatmulOp::bufferize(RewriterBase &rewriter,
                                        const BufferizationOptions &options,
                                        BufferizationState &state) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(*this);
  // The same op on buffers: tensors replaced by their buffers, no result.
  bool failedBuffer = false;
  auto buffer = [&](Value v) -> Value {
    if (!v || !isa<RankedTensorType>(v.getType()))
      return v;
    FailureOr<Value> buf = getBuffer(rewriter, v, options, state);
    if (failed(buf)) {
      failedBuffer = true;
      return v;
    }
    return *buf;
  };
  Value init = buffer(getInit());
  Value x = buffer(getX()), xq = buffer(getXq()), xd = buffer(getXd()),
        xs = buffer(getXs()), xl = buffer(getXl()), xt = buffer(getXt()),
        xf = buffer(getXf()), scales = buffer(getScales()),
        rotation = buffer(getRotation());
  if (failedBuffer)
    return failure();
  KernelMatmulOp::create(rewriter, getLoc(), TypeRange{}, getWeights(), x, xq,
                         xd, xs, xl, xt, xf, getGamma(), scales, rotation, init,
                         getWeightTypes(), getEpilogue(), getAccumulate(),
                         getKernelConfig());
  replaceOpWithBufferizedValues(rewriter, getOperation(), {init});
  return success();
}
