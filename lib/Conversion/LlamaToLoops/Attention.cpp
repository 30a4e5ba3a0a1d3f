//===- Attention.cpp - llama.attention and llama.gqa_attention -*- C++ -*-===//
//
// The attention kernels: the unfused attention (a score row per head), and
// causal GQA attention with an online softmax over the KV cache, a task per
// token and KV head: on CPUs and in GPU thread kernels the structured
// llama.kernel_attention (tiled by llama-tile-kernels, each task written by
// llama-lower-kernel-attention with attendKVHead), in GPU warp kernels a
// warp per task.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

LogicalResult FunctionLowering::lowerAttention(AttentionOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  Location loc = op.getLoc();
  if (failed(appendToCache(op, op.getKey(), op.getValue(), op.getPositions(),
                           op.getCache(), op.getLayerAttr().getInt())))
    return failure();
  int64_t layer = op.getLayerAttr().getInt();
  Value kc = cacheLayer(b, loc, caches.lookup(op.getCache()).first, layer),
        vc = cacheLayer(b, loc, caches.lookup(op.getCache()).second, layer);
  auto cacheType = cast<MemRefType>(kc.getType());
  bool f16 = cacheType.getElementType().isF16();
  int64_t nCtx = cacheType.getDimSize(0);
  int64_t nh = op.getNumHeads(), hd = op.getHeadDim(), kvMul = op.getKVMul();
  Value q = e.buffer(op.getQuery()), pos = e.buffer(op.getPositions());
  Value seq = e.dim(q, 0);
  auto rt = cast<RankedTensorType>(op.getType());
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  Value zero = e.idx(0), one = e.idx(1);
  auto fromCache = [&](Value x) -> Value {
    return f16 ? Value(arith::ExtFOp::create(b, loc, b.getF32Type(), x)) : x;
  };
  auto posAt = [&](Value s) -> Value {
    Value p = memref::LoadOp::create(b, loc, pos, ValueRange{s});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), p);
  };
  // Causal attention of every query head over cache rows 0..pos.
  // One row of scores per query head, so that heads run in parallel.
  auto scoresType = MemRefType::get({nh, nCtx}, b.getF32Type());
  Value scores = memref::AllocOp::create(b, loc, scoresType);
  Value scale = e.f32(op.getScaleOrDefault());
  float negInf = -std::numeric_limits<float>::infinity();
  e.loop(zero, seq, [&](Value s) {
    Value p = posAt(s);
    Value end = arith::AddIOp::create(b, loc, p, one);
    auto heads = scf::ParallelOp::create(
        b, loc, ValueRange{zero}, ValueRange{e.idx(nh)}, ValueRange{one});
    {
      OpBuilder::InsertionGuard headGuard(b);
      b.setInsertionPointToStart(heads.getBody());
      Value h = heads.getInductionVars()[0];
      Value g = arith::DivUIOp::create(b, loc, h, e.idx(kvMul));
      Value mx = e.reduce(zero, end, e.f32(negInf), [&](Value t, Value m) {
        Value dot = e.reduce(zero, e.idx(hd), e.f32(0), [&](Value d, Value a) {
          Value qv = memref::LoadOp::create(b, loc, q, ValueRange{s, h, d});
          Value kv = fromCache(
              memref::LoadOp::create(b, loc, kc, ValueRange{t, g, d}));
          return arith::AddFOp::create(b, loc, a,
                                       arith::MulFOp::create(b, loc, qv, kv));
        });
        Value sc = arith::MulFOp::create(b, loc, dot, scale);
        memref::StoreOp::create(b, loc, sc, scores, ValueRange{h, t});
        return arith::MaximumFOp::create(b, loc, m, sc);
      });
      Value sum = e.reduce(zero, end, e.f32(0), [&](Value t, Value a) {
        Value sc = memref::LoadOp::create(b, loc, scores, ValueRange{h, t});
        Value ex =
            math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, sc, mx));
        memref::StoreOp::create(b, loc, ex, scores, ValueRange{h, t});
        return arith::AddFOp::create(b, loc, a, ex);
      });
      Value inv = arith::DivFOp::create(b, loc, e.f32(1.0), sum);
      e.loop(zero, e.idx(hd), [&](Value d) {
        Value acc = e.reduce(zero, end, e.f32(0), [&](Value t, Value a) {
          Value pr = memref::LoadOp::create(b, loc, scores, ValueRange{h, t});
          Value vv = fromCache(
              memref::LoadOp::create(b, loc, vc, ValueRange{t, g, d}));
          return arith::AddFOp::create(b, loc, a,
                                       arith::MulFOp::create(b, loc, pr, vv));
        });
        memref::StoreOp::create(b, loc, arith::MulFOp::create(b, loc, acc, inv),
                                out, ValueRange{s, h, d});
      });
    }
  });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

/// Task `i` of GQA attention: its token s = i / n_kv_heads, KV head
/// g = i % n_kv_heads, and the cache rows it attends to, [0, pos[s] + 1).
struct AttentionTask {
  Value s, g, end;
};

static AttentionTask attentionTask(Emitter &e, Value i, int64_t nkv,
                                   Value pos) {
  OpBuilder &b = e.b;
  Value s = arith::DivUIOp::create(b, e.loc, i, e.idx(nkv));
  Value g = arith::RemUIOp::create(b, e.loc, i, e.idx(nkv));
  Value p = arith::IndexCastOp::create(
      b, e.loc, b.getIndexType(),
      memref::LoadOp::create(b, e.loc, pos, ValueRange{s}));
  return {s, g, arith::AddIOp::create(b, e.loc, p, e.idx(1))};
}

SoftmaxStep softmaxRescale(Emitter &e, Value m, Value x) {
  OpBuilder &b = e.b;
  Value mNew = arith::MaximumFOp::create(b, e.loc, m, x);
  Value corr =
      math::ExpOp::create(b, e.loc, arith::SubFOp::create(b, e.loc, m, mNew));
  Value p =
      math::ExpOp::create(b, e.loc, arith::SubFOp::create(b, e.loc, x, mNew));
  return {mNew, corr, p, Value()};
}

SoftmaxStep softmaxStep(Emitter &e, Value m, Value l, Value x) {
  SoftmaxStep st = softmaxRescale(e, m, x);
  st.sum = arith::AddFOp::create(
      e.b, e.loc, arith::MulFOp::create(e.b, e.loc, l, st.corr), st.p);
  return st;
}

/// GQA attention on GPUs: a warp per (token, KV head) task, the head
/// dimension over the lanes (lane l holds dims l, l + 32, ...: coalesced
/// loads of the query, cache and output rows). For each cache row the
/// kv_mul heads' scores are warp sums; every lane keeps the same running
/// max and sum and its dims of the output (online softmax, as on CPUs),
/// which the vector<head_dim> state of one thread per task spilled to
/// memory for TinyLlama's 8 heads per KV head.
///
/// With `chunks` > 1 (decode: a handful of tasks, one per KV head, would
/// each walk the whole cache, one dependent step per row) a task's rows
/// 0 .. pos are split into `chunks` consecutive runs of ceil((pos+1) /
/// chunks) rows (at least kMinRunRows), a warp per (task, run), each
/// writing its run's unnormalized output, max and sum to `partial`; a
/// second parallel loop (a thread per (task, head, dim)) merges the runs as
/// the online softmax merges rows (softmaxRescale), and normalizes.
static constexpr int64_t kMinRunRows = 4;

static void warpGQAAttention(Emitter &e, GQAAttentionOp op, Value q, Value pos,
                             Value kc, Value vc, Value out, int64_t chunks) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t nkv = op.getNumKVHeads(), hd = op.getHeadDim(), kvMul = op.getKVMul();
  int64_t perLane = (hd + kWarp - 1) / kWarp;
  bool ragged = hd % kWarp != 0;
  Type f32 = b.getF32Type();
  Value scale = e.f32(op.getScaleOrDefault());
  auto fromCache = [&](Value x) -> Value {
    return x.getType().isF32() ? x
                               : Value(arith::ExtFOp::create(b, loc, f32, x));
  };
  auto ceilDiv = [&](Value x, int64_t d) {
    return arith::DivUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, x, e.idx(d - 1)), e.idx(d));
  };
  // Rows per run: at least kMinRunRows (each run loads its queries and
  // writes a partial result), else spread over all `chunks` runs.
  auto runLength = [&](Value end) {
    return arith::MaxUIOp::create(b, loc, ceilDiv(end, chunks),
                                  e.idx(kMinRunRows));
  };
  Value tasks = arith::MulIOp::create(b, loc, e.dim(q, 0), e.idx(nkv));
  // partial[task, run, head, 0 .. hd) = output, [hd] = max, [hd + 1] = sum.
  Value partial;
  if (chunks > 1) {
    int64_t staticTasks = cast<MemRefType>(q.getType()).getDimSize(0) * nkv;
    partial = memref::AllocOp::create(
        b, loc, MemRefType::get({staticTasks, chunks, kvMul, hd + 2}, f32));
  }
  Value warps = arith::MulIOp::create(b, loc, tasks, e.idx(chunks));
  parallelRows(e, /*warp=*/true, warps, [&](Value w) {
    Value taskIndex = arith::DivUIOp::create(b, loc, w, e.idx(chunks));
    Value run = arith::RemUIOp::create(b, loc, w, e.idx(chunks));
    AttentionTask task = attentionTask(e, taskIndex, nkv, pos);
    Value s = task.s, g = task.g;
    // This warp's rows [first, last).
    Value first = e.idx(0), last = task.end;
    if (chunks > 1) {
      Value len = runLength(task.end);
      first = arith::MulIOp::create(b, loc, run, len);
      last = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, first, len), task.end);
    }
    // This lane's dims; where head_dim is not a multiple of 32 the lanes
    // past its end read the last dim and count as zero.
    SmallVector<Value> dims, valid;
    for (int64_t j = 0; j < perLane; ++j) {
      Value d = arith::AddIOp::create(b, loc, e.lane, e.idx(j * kWarp));
      if (ragged) {
        valid.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              d, e.idx(hd)));
        d = arith::MinUIOp::create(b, loc, d, e.idx(hd - 1));
      }
      dims.push_back(d);
    }
    auto masked = [&](int64_t j, Value x) -> Value {
      return ragged
                 ? Value(arith::SelectOp::create(b, loc, valid[j], x, e.f32(0)))
                 : x;
    };
    auto guarded = [&](int64_t j, function_ref<void()> store) {
      if (!ragged)
        return store();
      auto guard = scf::IfOp::create(b, loc, valid[j]);
      OpBuilder::InsertionGuard g3(b);
      b.setInsertionPoint(guard.thenYield());
      store();
    };
    SmallVector<Value> heads;
    for (int64_t h = 0; h < kvMul; ++h)
      heads.push_back(arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, g, e.idx(kvMul)), e.idx(h)));
    // The online softmax over rows [first, last) (first < last), then the
    // stores of each head's result.
    auto attend = [&] {
      SmallVector<SmallVector<Value>> qs(kvMul);
      for (int64_t h = 0; h < kvMul; ++h)
        for (int64_t j = 0; j < perLane; ++j)
          qs[h].push_back(
              masked(j, memref::LoadOp::create(
                            b, loc, q, ValueRange{s, heads[h], dims[j]})));
      auto cacheRow = [&](Value c, Value t) {
        SmallVector<Value> row;
        for (int64_t j = 0; j < perLane; ++j)
          row.push_back(masked(j, fromCache(memref::LoadOp::create(
                                      b, loc, c, ValueRange{t, g, dims[j]}))));
        return row;
      };
      auto score = [&](int64_t h, ArrayRef<Value> krow) {
        Value dot = e.f32(0);
        for (int64_t j = 0; j < perLane; ++j)
          dot = math::FmaOp::create(b, loc, qs[h][j], krow[j], dot);
        return arith::MulFOp::create(b, loc, e.warpSum(dot), scale).getResult();
      };
      // State per head: m, l, then the lane's perLane output dims. The
      // first row starts every head: m = its score, l = 1, o = V[first].
      int64_t per = 2 + perLane;
      SmallVector<Value> init;
      SmallVector<Value> k0 = cacheRow(kc, first), v0 = cacheRow(vc, first);
      for (int64_t h = 0; h < kvMul; ++h) {
        init.push_back(score(h, k0));
        init.push_back(e.f32(1.0));
        init.append(v0.begin(), v0.end());
      }
      auto loop = scf::ForOp::create(
          b, loc, arith::AddIOp::create(b, loc, first, e.idx(1)), last,
          e.idx(1), init, [&](OpBuilder &nb, Location, Value t, ValueRange st) {
            OpBuilder::InsertionGuard g2(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            SmallVector<Value> krow = cacheRow(kc, t), vrow = cacheRow(vc, t);
            SmallVector<Value> next;
            for (int64_t h = 0; h < kvMul; ++h) {
              SoftmaxStep st1 =
                  softmaxStep(e, st[h * per], st[h * per + 1], score(h, krow));
              next.push_back(st1.max);
              next.push_back(st1.sum);
              for (int64_t j = 0; j < perLane; ++j)
                next.push_back(math::FmaOp::create(
                    b, loc, st1.p, vrow[j],
                    arith::MulFOp::create(b, loc, st[h * per + 2 + j],
                                          st1.corr)));
            }
            scf::YieldOp::create(b, loc, next);
          });
      for (int64_t h = 0; h < kvMul; ++h) {
        Value m = loop.getResult(h * per), l = loop.getResult(h * per + 1);
        if (chunks > 1) {
          memref::StoreOp::create(
              b, loc, m, partial,
              ValueRange{taskIndex, run, e.idx(h), e.idx(hd)});
          memref::StoreOp::create(
              b, loc, l, partial,
              ValueRange{taskIndex, run, e.idx(h), e.idx(hd + 1)});
          for (int64_t j = 0; j < perLane; ++j)
            guarded(j, [&] {
              memref::StoreOp::create(
                  b, loc, loop.getResult(h * per + 2 + j), partial,
                  ValueRange{taskIndex, run, e.idx(h), dims[j]});
            });
          continue;
        }
        Value inv = arith::DivFOp::create(b, loc, e.f32(1.0), l);
        for (int64_t j = 0; j < perLane; ++j) {
          Value o = arith::MulFOp::create(b, loc,
                                          loop.getResult(h * per + 2 + j), inv);
          guarded(j, [&] {
            memref::StoreOp::create(b, loc, o, out,
                                    ValueRange{s, heads[h], dims[j]});
          });
        }
      }
    };
    if (chunks == 1)
      return attend();
    // Runs past the last row are empty (the whole warp takes one branch).
    auto nonEmpty = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, first, last));
    OpBuilder::InsertionGuard g4(b);
    b.setInsertionPoint(nonEmpty.thenYield());
    attend();
  });
  if (chunks == 1)
    return;
  // out = the runs merged: with M the largest max, sum over the non-empty
  // runs r of exp(m_r - M) * o_r, divided by the same sum of l_r.
  forAll(e, true, {tasks, e.idx(kvMul), e.idx(hd)}, [&](ArrayRef<Value> iv) {
    Value taskIndex = iv[0], h = iv[1], d = iv[2];
    AttentionTask task = attentionTask(e, taskIndex, nkv, pos);
    // The non-empty runs: ceil(end / run length).
    Value len = runLength(task.end);
    Value used = arith::DivUIOp::create(
        b, loc,
        arith::SubIOp::create(
            b, loc, arith::AddIOp::create(b, loc, task.end, len), e.idx(1)),
        len);
    auto at = [&](Value r, Value k) {
      return memref::LoadOp::create(b, loc, partial,
                                    ValueRange{taskIndex, r, h, k})
          .getResult();
    };
    Value hdI = e.idx(hd), hd1 = e.idx(hd + 1);
    SmallVector<Value> init = {at(e.idx(0), hdI), at(e.idx(0), hd1),
                               at(e.idx(0), d)};
    auto loop = scf::ForOp::create(
        b, loc, e.idx(1), used, e.idx(1), init,
        [&](OpBuilder &nb, Location, Value r, ValueRange st) {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          SoftmaxStep f = softmaxRescale(e, st[0], at(r, hdI));
          auto merge = [&](Value acc, Value x) {
            return math::FmaOp::create(
                b, loc, x, f.p, arith::MulFOp::create(b, loc, acc, f.corr));
          };
          scf::YieldOp::create(b, loc,
                               ValueRange{f.max, merge(st[1], at(r, hd1)),
                                          merge(st[2], at(r, d))});
        });
    Value head = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, task.g, e.idx(kvMul)), h);
    memref::StoreOp::create(
        b, loc,
        arith::DivFOp::create(b, loc, loop.getResult(2), loop.getResult(1)),
        out, ValueRange{task.s, head, d});
  });
}

/// One online-softmax step over the B = `rows` cache rows [r0, r0 + B) for
/// the kv_mul heads whose state `st` is (m_1..m_k, l_1..l_k, o_1..o_k),
/// with `scores` a [kv_mul, B] f32 stack buffer: a loop over the rows loads
/// each K row once and stores every head's score x; per head, the B scores
/// as one vector, M = max(x), m' = max(m, M), c = exp(m - m'),
/// p = exp(x - m') (B lanes at once, stored back), l' = l c + sum(p),
/// o' = o c; a loop over the rows loads each V row once and adds p_i V_i
/// to every head's o'. Returns the new state.
static SmallVector<Value>
attentionBlock(Emitter &e, ValueRange st, Value r0, Value scores, Value kc,
               Value vc, function_ref<Value(Value, Value)> cacheRow,
               function_ref<Value(int64_t, Value)> score) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t kvMul = st.size() / 3;
  int64_t rows = cast<MemRefType>(scores.getType()).getDimSize(1);
  auto blockType = VectorType::get({rows}, b.getF32Type());
  auto rowType = cast<VectorType>(st[2 * kvMul].getType());
  auto row = [&](Value i) {
    return arith::AddIOp::create(b, loc, r0, i).getResult();
  };
  e.loop(e.idx(0), e.idx(rows), [&](Value i) {
    Value krow = cacheRow(kc, row(i));
    for (int64_t j = 0; j < kvMul; ++j)
      memref::StoreOp::create(b, loc, score(j, krow), scores,
                              ValueRange{e.idx(j), i});
  });
  SmallVector<Value> next(st.begin(), st.end());
  for (int64_t j = 0; j < kvMul; ++j) {
    Value x = vector::LoadOp::create(b, loc, blockType, scores,
                                     ValueRange{e.idx(j), e.idx(0)});
    Value blockMax =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF, x);
    Value mNew = arith::MaximumFOp::create(b, loc, st[j], blockMax);
    Value corr =
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, st[j], mNew));
    Value p = math::ExpOp::create(
        b, loc,
        arith::SubFOp::create(
            b, loc, x, vector::BroadcastOp::create(b, loc, blockType, mNew)));
    vector::StoreOp::create(b, loc, p, scores, ValueRange{e.idx(j), e.idx(0)});
    next[j] = mNew;
    next[kvMul + j] = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, st[kvMul + j], corr),
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, p));
    next[2 * kvMul + j] = arith::MulFOp::create(
        b, loc, st[2 * kvMul + j],
        vector::BroadcastOp::create(b, loc, rowType, corr));
  }
  SmallVector<Value> outs(next.begin() + 2 * kvMul, next.end());
  auto pv = scf::ForOp::create(
      b, loc, e.idx(0), e.idx(rows), e.idx(1), outs,
      [&](OpBuilder &nb, Location, Value i, ValueRange os) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value vrow = cacheRow(vc, row(i));
        SmallVector<Value> o;
        for (int64_t j = 0; j < kvMul; ++j) {
          Value pi =
              memref::LoadOp::create(b, loc, scores, ValueRange{e.idx(j), i});
          o.push_back(vector::FMAOp::create(
              b, loc, vector::BroadcastOp::create(b, loc, rowType, pi), vrow,
              os[j]));
        }
        scf::YieldOp::create(b, loc, o);
      });
  for (int64_t j = 0; j < kvMul; ++j)
    next[2 * kvMul + j] = pv.getResult(j);
  return next;
}

/// The attention of token `s` (cache rows [0, end)) for KV head `g`: row 0
/// starts each of the kv_mul query heads (m = its score, l = 1, o = V[0]), rows
/// 1 .. end - 1 update them with an online softmax, each K and V row loaded
/// once for all of them (with kvBlock > 1 the whole blocks of rows first,
/// attentionBlock, in a stack buffer that llama-hoist-loop-allocas moves to
/// the function's entry); then out[s, h, :] = o_h / l_h.
void attendKVHead(Emitter &e, Value q, Value kc, Value vc, Value out, Value s,
                  Value g, Value end, float scaleValue, int64_t kvMul,
                  int64_t kvBlock) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t hd = cast<MemRefType>(q.getType()).getDimSize(2);
  Type cacheElt = cast<MemRefType>(kc.getType()).getElementType();
  auto rowType = VectorType::get({hd}, b.getF32Type());
  Value scale = e.f32(scaleValue);
  auto bcast = [&](Value x) {
    return vector::BroadcastOp::create(b, loc, rowType, x);
  };
  SmallVector<Value> heads, qs;
  for (int64_t j = 0; j < kvMul; ++j) {
    heads.push_back(arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, g, e.idx(kvMul)), e.idx(j)));
    qs.push_back(vector::LoadOp::create(b, loc, rowType, q,
                                        ValueRange{s, heads[j], e.idx(0)}));
  }
  auto cacheRow = [&](Value c, Value t) -> Value {
    Value r = vector::LoadOp::create(b, loc, VectorType::get({hd}, cacheElt), c,
                                     ValueRange{t, g, e.idx(0)});
    return cacheElt.isF32() ? r
                            : Value(arith::ExtFOp::create(b, loc, rowType, r));
  };
  auto score = [&](int64_t j, Value krow) -> Value {
    Value dot =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                    arith::MulFOp::create(b, loc, qs[j], krow));
    return arith::MulFOp::create(b, loc, dot, scale);
  };
  SmallVector<Value> init;
  Value k0 = cacheRow(kc, e.idx(0)), v0 = cacheRow(vc, e.idx(0));
  for (int64_t j = 0; j < kvMul; ++j)
    init.push_back(score(j, k0));
  init.append(kvMul, e.f32(1.0));
  init.append(kvMul, v0);
  Value first = e.idx(1);
  if (kvBlock > 1) {
    // Rows [1, 1 + nb * B) in blocks of B = kvBlock, each block's scores
    // and weights in a [kv_mul, B] stack buffer (64-byte aligned: with
    // B = 16 each head's scores are one cache line). nb is a signed
    // quotient so that an invalid position of -1 gives no rows.
    Value scores = memref::AllocaOp::create(
        b, loc, MemRefType::get({kvMul, kvBlock}, b.getF32Type()),
        b.getI64IntegerAttr(64));
    Value nb = arith::DivSIOp::create(
        b, loc, arith::SubIOp::create(b, loc, end, e.idx(1)), e.idx(kvBlock));
    first = arith::AddIOp::create(
        b, loc, e.idx(1), arith::MulIOp::create(b, loc, nb, e.idx(kvBlock)));
    auto blocks = scf::ForOp::create(
        b, loc, e.idx(1), first, e.idx(kvBlock), init,
        [&](OpBuilder &nb2, Location, Value r0, ValueRange st) {
          OpBuilder::InsertionGuard g2(b);
          b.setInsertionPoint(nb2.getInsertionBlock(), nb2.getInsertionPoint());
          scf::YieldOp::create(
              b, loc,
              attentionBlock(e, st, r0, scores, kc, vc, cacheRow, score));
        });
    init.assign(blocks.getResults().begin(), blocks.getResults().end());
  }
  auto loop = scf::ForOp::create(
      b, loc, first, end, e.idx(1), init,
      [&](OpBuilder &nb, Location, Value t, ValueRange st) {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value krow = cacheRow(kc, t), vrow = cacheRow(vc, t);
        SmallVector<Value> next(st.begin(), st.end());
        for (int64_t j = 0; j < kvMul; ++j) {
          SoftmaxStep st1 =
              softmaxStep(e, st[j], st[kvMul + j], score(j, krow));
          next[j] = st1.max;
          next[kvMul + j] = st1.sum;
          next[2 * kvMul + j] = vector::FMAOp::create(
              b, loc, bcast(st1.p), vrow,
              arith::MulFOp::create(b, loc, st[2 * kvMul + j],
                                    bcast(st1.corr)));
        }
        scf::YieldOp::create(b, loc, next);
      });
  for (int64_t j = 0; j < kvMul; ++j) {
    Value inv =
        arith::DivFOp::create(b, loc, e.f32(1.0), loop.getResult(kvMul + j));
    Value o = arith::MulFOp::create(b, loc, loop.getResult(2 * kvMul + j),
                                    bcast(inv));
    vector::StoreOp::create(b, loc, o, out, ValueRange{s, heads[j], e.idx(0)});
  }
}

LogicalResult FunctionLowering::lowerGQAAttention(GQAAttentionOp op) {
  b.setInsertionPoint(op);
  if (failed(appendToCache(op, op.getKey(), op.getValue(), op.getPositions(),
                           op.getCache(), op.getLayerAttr().getInt())))
    return failure();
  Emitter e{b, op.getLoc()};
  Location loc = op.getLoc();
  int64_t layer = op.getLayerAttr().getInt();
  Value kc = cacheLayer(b, loc, caches.lookup(op.getCache()).first, layer),
        vc = cacheLayer(b, loc, caches.lookup(op.getCache()).second, layer);
  auto rt = cast<RankedTensorType>(op.getType());
  if (!kernels.gpu) {
    // On CPUs and in GPU thread kernels the structured op over the cache
    // layer, which llama-tile-kernels tiles into one task per (token, KV
    // head) and llama-lower-kernel-attention writes as the online softmax;
    // a prefill's tokens outside-in, the cache rows in blocks of the
    // configuration's kv_block.
    Value seq = tensor::DimOp::create(b, loc, op.getQuery(), 0);
    Value init = e.toTensor(
        e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{}), rt);
    auto config =
        op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
    auto kernel = KernelAttentionOp::create(
        b, loc, TypeRange{rt}, op.getQuery(), op.getPositions(), kc, vc, init,
        b.getF32FloatAttr(op.getScaleOrDefault()),
        rt.isDynamicDim(0) ? b.getUnitAttr() : UnitAttr(), config);
    op.getResult().replaceAllUsesWith(kernel.getResult()[0]);
    op->erase();
    return success();
  }
  int64_t nkv = op.getNumKVHeads();
  Value q = e.buffer(op.getQuery()), pos = e.buffer(op.getPositions());
  Value seq = e.dim(q, 0);
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  // GPU warp kernels. Decode (a static number of tokens): about 1024 warps
  // in all, no more runs per task than cache rows.
  auto qt = cast<MemRefType>(q.getType());
  int64_t ctx = cast<MemRefType>(kc.getType()).getDimSize(0);
  int64_t chunks = 1;
  if (!qt.isDynamicDim(0) && !ShapedType::isDynamic(ctx))
    chunks = std::clamp<int64_t>(1024 / (qt.getDimSize(0) * nkv), 1, ctx);
  warpGQAAttention(e, op, q, pos, kc, vc, out, chunks);
  e.replaceWithBuffer(op, out, rt);
  return success();
}

} // namespace mlir::llama::loops
