//===- QKVRoPE.cpp - llama.qkv_rope -----------------------------*- C++ -*-===//
//
// llama.qkv_rope: the fused Q/K/V projections with RoPE (on CPUs three
// llama.kernel_matmul whose epilogue rotates; on GPUs kernels whose keys
// and values go straight into the KV cache), and the KV cache buffers
// shared with the attention kernels.
//
//===----------------------------------------------------------------------===//

#include "../Rotation.h"
#include "Lowering.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <numeric>

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

Value cacheLayer(OpBuilder &b, Location loc, Value cache, int64_t layer,
                 bool keepLayerDim) {
  auto t = cast<MemRefType>(cache.getType());
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
      sizes = memref::getMixedSizes(b, loc, cache),
      strides(4, b.getIndexAttr(1));
  offsets[0] = b.getIndexAttr(layer);
  sizes[0] = b.getIndexAttr(1);
  SmallVector<int64_t> shape(t.getShape());
  shape[0] = 1;
  auto viewType = memref::SubViewOp::inferRankReducedResultType(
      keepLayerDim ? ArrayRef(shape) : t.getShape().drop_front(), t, offsets,
      sizes, strides);
  return memref::SubViewOp::create(b, loc, viewType, cache, offsets, sizes,
                                   strides);
}

void storeToCache(OpBuilder &b, Location loc, Value x, Value cache,
                  ValueRange indices) {
  Type elt = cast<MemRefType>(cache.getType()).getElementType();
  if (elt.isF16())
    x = arith::TruncFOp::create(b, loc, elt, x);
  memref::StoreOp::create(b, loc, x, cache, indices);
}

/// The attention op (llama.attention or llama.gqa_attention) that is the
/// only user of `op`'s keys and values, appending them to its cache at
/// `op`'s positions; null if there is none.
static Operation *soleAttentionUser(QKVRoPEOp op) {
  Value k = op.getKey(), v = op.getValue();
  if (!k.hasOneUse() || !v.hasOneUse() || *k.user_begin() != *v.user_begin())
    return nullptr;
  Operation *user = *k.user_begin();
  auto matches = [&](auto attn) {
    return attn.getKey() == k && attn.getValue() == v &&
           attn.getPositions() == op.getPositions();
  };
  if (auto a = dyn_cast<AttentionOp>(user))
    return matches(a) ? user : nullptr;
  if (auto a = dyn_cast<GQAAttentionOp>(user))
    return matches(a) ? user : nullptr;
  return nullptr;
}

/// The rotation table of llama.kernel_matmul's rope epilogue for tokens at
/// `positions`: [tokens, 2, W] (W a multiple of head_dim), column j the
/// feature d = j mod head_dim of pair i = d / 2, at angle
/// t = pos * exp(i * freqScale): (cos t, -sin t) for even d, (cos t, sin t)
/// for odd d, (1, 0) where d >= n_rot. The angle is rounded as the GPU
/// kernels' (storePair below) and llama.rope's. In a prefill the tokens
/// are distributed, one per task, and where `vectorize` each row is
/// computed in vectors (configureStructured).
static Value rotationTable(Emitter &e, Value positions, Value seq,
                           int64_t width, int64_t hd, int64_t nRot,
                           double freqScale, bool vectorize) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type f32 = b.getF32Type();
  auto pt = cast<RankedTensorType>(positions.getType());
  auto type = RankedTensorType::get({pt.getDimSize(0), 2, width}, f32);
  bool dynamic = pt.isDynamicDim(0);
  Value empty = tensor::EmptyOp::create(
      b, loc, type, dynamic ? ValueRange{seq} : ValueRange{});
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {
      AffineMap::get(3, 0, {getAffineDimExpr(0, ctx)}, ctx),
      AffineMap::getMultiDimIdentityMap(3, ctx)};
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  auto table = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{positions}, ValueRange{empty}, maps,
      iters, [&](OpBuilder &nb, Location l, ValueRange args) {
        Emitter n{nb, l};
        Value c = linalg::IndexOp::create(nb, l, 1);
        Value d = arith::RemUIOp::create(
            nb, l, linalg::IndexOp::create(nb, l, 2), n.idx(hd));
        Value freq = emitRopeFreq(
            nb, l, arith::DivUIOp::create(nb, l, d, n.idx(2)), freqScale);
        Value angle = arith::MulFOp::create(
            nb, l, arith::SIToFPOp::create(nb, l, f32, args[0]), freq);
        Value sin = math::SinOp::create(nb, l, angle);
        Value odd = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::ne,
            arith::RemUIOp::create(nb, l, d, n.idx(2)), n.idx(0));
        Value inRot = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, d,
                                            n.idx(nRot));
        Value cosOr1 = arith::SelectOp::create(
            nb, l, inRot, math::CosOp::create(nb, l, angle), n.f32(1.0));
        Value sinOr0 = arith::SelectOp::create(
            nb, l, inRot,
            arith::SelectOp::create(nb, l, odd, sin,
                                    arith::NegFOp::create(nb, l, sin)),
            n.f32(0.0));
        Value first =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, c, n.idx(0));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, first, cosOr1, sinOr0)});
      });
  // A prefill's tokens' rows on every thread.
  configureStructured(table, vectorize);
  return table.getResult(0);
}

LogicalResult FunctionLowering::lowerQKVRoPE(QKVRoPEOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  Location loc = op.getLoc();
  auto qt = cast<RankedTensorType>(op.getQuery().getType());
  auto kt = cast<RankedTensorType>(op.getKey().getType());
  int64_t hd = qt.getDimSize(2), nRot = op.getNRot();
  int64_t nq = qt.getDimSize(1) * hd, nk = kt.getDimSize(1) * hd;
  int64_t k = cast<RankedTensorType>(op.getInput().getType()).getDimSize(1);
  const WeightView &wq = weights.lookup(op.getWq());
  const WeightView &wk = weights.lookup(op.getWk());
  const WeightView &wv = weights.lookup(op.getWv());
  Activation x =
      activation(e, op.getInput(), op.getNorm(), op.getEpsilon(),
                 canIntDot(wq, k) || canIntDot(wk, k) || canIntDot(wv, k),
                 {&wq, &wk, &wv});
  Value seq = e.dim(x.x, 0);
  double freqScale = ropeFreqScale(op.getTheta().convertToFloat(), nRot);

  // On CPUs and in GPU thread kernels three llama.kernel_matmul, Q and K
  // rotated in their epilogue by one table of the tokens' angles: in tiles
  // of 16 rows (the table's width lcm(head_dim, 16), so that a tile reads
  // 16 consecutive columns) or row by row (a head's width). The attention
  // appends the keys and values to its cache.
  FailureOr<bool> tiles =
      takesTiles(op, {&wq, &wk, &wv}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&wq}, nq, k, x) &&
                     Kernels::packable({&wk, &wv}, nk, k, x),
                 qt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  if (*tiles || !kernels.gpu) {
    PackedActivations px;
    if (*tiles)
      px = packedActivations(e, x, tileTokens(kernels.tokenBlock));
    Value table;
    if (nRot > 0)
      table = rotationTable(e, op.getPositions(), seq,
                            *tiles ? std::lcm(hd, kPackedRows) : hd, hd, nRot,
                            freqScale, kernels.vectorize);
    auto project = [&](const WeightView &w, RankedTensorType t, bool rope) {
      auto flat = RankedTensorType::get({t.getDimSize(0), t.getDimSize(1) * hd},
                                        t.getElementType());
      Value init = e.toTensor(
          e.alloc(flat, t.isDynamicDim(0) ? ValueRange{seq} : ValueRange{}),
          flat);
      TileEpilogue epilogue = rope ? TileEpilogue::RoPE : TileEpilogue::None;
      Value rotation = rope ? table : Value();
      Value y =
          *tiles
              ? packedMatmul(e, op, {&w}, px, init, epilogue, false, rotation)
              : rowMatmul(e, op, {&w}, x, init, epilogue, false, rotation);
      return tensor::ExpandShapeOp::create(
          b, loc, t, y, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    };
    Value q = project(wq, qt, nRot > 0), key = project(wk, kt, nRot > 0),
          v = project(wv, kt, false);
    op.getQuery().replaceAllUsesWith(q);
    op.getKey().replaceAllUsesWith(key);
    op.getValue().replaceAllUsesWith(v);
    op->erase();
    return success();
  }

  // GPU warp kernels: kernels whose keys and values go straight into the
  // KV cache.
  Value pos = e.buffer(op.getPositions());
  auto dyn = [&](RankedTensorType t) {
    return t.isDynamicDim(0) ? SmallVector<Value>{seq} : SmallVector<Value>{};
  };
  Value qOut = e.alloc(qt, dyn(qt)), kOut = e.alloc(kt, dyn(kt)),
        vOut = e.alloc(kt, dyn(kt));
  // Where the keys and values only go into the attention's cache, the
  // projection also stores them there, at the token's position, and the
  // attention skips its own copy: on GPUs a kernel launch per layer fewer.
  Value kCache, vCache;
  Operation *attn = soleAttentionUser(op);
  if (attn) {
    auto cacheIt = caches.find(attn->getOperand(4));
    int64_t layer = attn->getAttrOfType<IntegerAttr>("layer").getInt();
    if (cacheIt != caches.end()) {
      kCache = cacheLayer(b, loc, cacheIt->second.first, layer);
      vCache = cacheLayer(b, loc, cacheIt->second.second, layer);
      appended.insert(attn);
    }
  }
  bool blocked = qt.isDynamicDim(0) && kernels.blocksTokens(wq, k) &&
                 kernels.blocksTokens(wk, k) && kernels.blocksTokens(wv, k);
  Type f32 = b.getF32Type();

  // The head, dims and rotation of the pair of rows r, r+1 (an adjacent
  // pair of features of one head).
  struct Pair {
    Value h, d, d1, freq, inRot;
  };
  auto pairOf = [&](Value r, bool rope) {
    Pair p;
    p.h = arith::DivUIOp::create(b, loc, r, e.idx(hd));
    p.d = arith::RemUIOp::create(b, loc, r, e.idx(hd));
    p.d1 = arith::AddIOp::create(b, loc, p.d, e.idx(1));
    if (rope) {
      p.freq = emitRopeFreq(
          b, loc, arith::DivUIOp::create(b, loc, p.d, e.idx(2)), freqScale);
      p.inRot = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, p.d,
                                      e.idx(nRot));
    }
    return p;
  };
  // Token s's dot products a0, a1 with the pair, rotated when `rope` and
  // d < n_rot, stored into `out` (and into `cache` at the token's
  // position).
  auto storePair = [&](const Pair &pr, Value out, bool rope, Value cache,
                       Value s, Value a0, Value a1) {
    Value p;
    if (rope || cache)
      p = memref::LoadOp::create(b, loc, pos, ValueRange{s});
    if (rope) {
      Value angle = arith::MulFOp::create(
          b, loc, arith::SIToFPOp::create(b, loc, f32, p), pr.freq);
      auto [y0, y1] = emitRotation(b, loc, a0, a1, angle);
      a0 = arith::SelectOp::create(b, loc, pr.inRot, y0, a0);
      a1 = arith::SelectOp::create(b, loc, pr.inRot, y1, a1);
    }
    memref::StoreOp::create(b, loc, a0, out, ValueRange{s, pr.h, pr.d});
    memref::StoreOp::create(b, loc, a1, out, ValueRange{s, pr.h, pr.d1});
    if (cache) {
      Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), p);
      storeToCache(b, loc, a0, cache, {row, pr.h, pr.d});
      storeToCache(b, loc, a1, cache, {row, pr.h, pr.d1});
    }
  };

  // Rows r, r+1 of `w` for every token (storePair).
  auto pairRows = [&](const WeightView &w, Value r, Value out, bool rope,
                      Value cache) {
    Value r1 = arith::AddIOp::create(b, loc, r, e.idx(1));
    Pair pr = pairOf(r, rope);
    auto store = [&](Value s, Value a0, Value a1) {
      storePair(pr, out, rope, cache, s, a0, a1);
    };
    forTokens(
        e, seq, blocked, kernels.tokenBlock,
        [&](Value s0) {
          SmallVector<SmallVector<Value>> x01 = blockedRowsDots(
              e, kernels, {{&w, r}, {&w, r1}}, k, x, s0, kernels.tokenBlock);
          for (int64_t t = 0; t < kernels.tokenBlock; ++t)
            store(arith::AddIOp::create(b, loc, s0, e.idx(t)), x01[0][t],
                  x01[1][t]);
        },
        [&](Value s) {
          SmallVector<Value> pair =
              rowDots(e, kernels, {{&w, r}, {&w, r1}}, k, x, s);
          store(s, pair[0], pair[1]);
        });
  };

  // A GPU prefill: Q, K and V each a GEMM tiled in shared memory whose
  // groups are the pairs (tiledMatmul).
  auto pairsOf = [](const WeightView &w) {
    return SmallVector<TileRows>{{&w, 2, 0}, {&w, 2, 1}};
  };
  if (qt.isDynamicDim(0) &&
      tiledMatmulApplies(kernels, pairsOf(wq), nq / 2, k, x) &&
      tiledMatmulApplies(kernels, pairsOf(wk), nk / 2, k, x) &&
      tiledMatmulApplies(kernels, pairsOf(wv), nk / 2, k, x)) {
    auto gemm = [&](const WeightView &w, int64_t rows, Value out, bool rope,
                    Value cache) {
      tiledMatmul(e, kernels, pairsOf(w), rows / 2, k, x, seq,
                  [&](Value s, Value g, ArrayRef<Value> a) {
                    Value r = arith::MulIOp::create(b, loc, g, e.idx(2));
                    storePair(pairOf(r, rope), out, rope, cache, s, a[0], a[1]);
                  });
    };
    gemm(wq, nq, qOut, true, Value());
    gemm(wk, nk, kOut, true, kCache);
    gemm(wv, nk, vOut, false, vCache);
    op.getQuery().replaceAllUsesWith(e.toTensor(qOut, qt));
    op.getKey().replaceAllUsesWith(e.toTensor(kOut, kt));
    op.getValue().replaceAllUsesWith(e.toTensor(vOut, kt));
    op->erase();
    return success();
  }

  // Row `row` of [wq; wk; wv]: body(weight, its row, output, rope, cache)
  // in the branch of the weight it falls in.
  using ProjectionBody =
      function_ref<void(const WeightView &, Value, Value, bool, Value)>;
  auto forProjection = [&](Value row, ProjectionBody body) {
    auto below = [&](int64_t n) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                   e.idx(n));
    };
    auto minus = [&](int64_t n) {
      return arith::SubIOp::create(b, loc, row, e.idx(n));
    };
    e.ifElse(
        below(nq), [&] { body(wq, row, qOut, true, Value()); },
        [&] {
          e.ifElse(
              below(nq + nk), [&] { body(wk, minus(nq), kOut, true, kCache); },
              [&] { body(wv, minus(nq + nk), vOut, false, vCache); });
        });
  };

  // One parallel loop over the row pairs of [wq; wk; wv].
  parallelRows(e, kernels.gpu, (nq + 2 * nk) / 2, [&](Value pair) {
    forProjection(arith::MulIOp::create(b, loc, pair, e.idx(2)), pairRows);
  });
  op.getQuery().replaceAllUsesWith(e.toTensor(qOut, qt));
  op.getKey().replaceAllUsesWith(e.toTensor(kOut, kt));
  op.getValue().replaceAllUsesWith(e.toTensor(vOut, kt));
  op->erase();
  return success();
}

/// Writes this step's keys and values into layer `layer` of the cache at
/// their positions (the first half of llama.attention / gqa_attention).
LogicalResult FunctionLowering::appendToCache(Operation *op, Value key,
                                              Value value, Value positions,
                                              Value cache, int64_t layer) {
  auto it = caches.find(cache);
  if (it == caches.end())
    return op->emitOpError("KV cache must be a function argument");
  if (appended.contains(op))
    return success();
  Emitter e{b, op->getLoc()};
  Location loc = op->getLoc();
  Value kc = cacheLayer(b, loc, it->second.first, layer),
        vc = cacheLayer(b, loc, it->second.second, layer);
  Value k = e.buffer(key), v = e.buffer(value), pos = e.buffer(positions);
  auto kt = cast<MemRefType>(k.getType());
  int64_t nkv = kt.getDimSize(1), hd = kt.getDimSize(2);
  // A parallel loop on GPUs (a kernel: the cache stays device memory), a
  // serial one on CPUs (a few KiB per token, less than a task's dispatch).
  forAll(e, !kernels.cpu(), {e.dim(k, 0), e.idx(nkv), e.idx(hd)},
         [&](ArrayRef<Value> iv) {
           Value s = iv[0], g = iv[1], d = iv[2];
           Value p = arith::IndexCastOp::create(
               b, loc, b.getIndexType(),
               memref::LoadOp::create(b, loc, pos, ValueRange{s}));
           Value kv = memref::LoadOp::create(b, loc, k, ValueRange{s, g, d});
           Value vv = memref::LoadOp::create(b, loc, v, ValueRange{s, g, d});
           storeToCache(b, loc, kv, kc, {p, g, d});
           storeToCache(b, loc, vv, vc, {p, g, d});
         });
  return success();
}

} // namespace mlir::llama::loops
