//===- RowDots.cpp - Weight-row dot products --------------------*- C++ -*-===//
//
// The dot products of weight rows with activation rows: f32 vectors by
// weight block (every format's decoder), integer dots of quantized
// activations, scalable vectors, warp-cooperative rows on GPUs, and token
// blocks that decode each weight block once for several tokens.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

/// The dot product of token `s` of `x` with row `row` of `w`: vectorized
/// block by block when the row allows it, element by element otherwise.
static SmallVector<Value> intRowDots(Emitter &e, IntDotISA isa,
                                     const WeightView &w, int64_t k,
                                     const Activation &x, ArrayRef<Value> toks,
                                     Value row);

/// The dot product of token `s` of `x` with an f32/f16/bf16 row in
/// scalable vectors (SVE): vector<[4]xf32> steps of 4 x vscale elements,
/// the remainder under a mask, so that the same code uses all of any vector
/// length.
static Value scalableRowDot(Emitter &e, const WeightView &w, int64_t k,
                            const Activation &x, Value s, Value row) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Type f32 = b.getF32Type();
  auto vt = VectorType::get({4}, f32, /*scalableDims=*/{true});
  auto vt16 = VectorType::get({4}, b.getI16Type(), {true});
  auto zerosOf = [&](VectorType t) -> Value {
    Attribute z = isa<FloatType>(t.getElementType())
                      ? Attribute(b.getFloatAttr(t.getElementType(), 0))
                      : Attribute(b.getIntegerAttr(t.getElementType(), 0));
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, z));
  };
  // A (masked) vector load of `t` from `mem` at `idx`.
  auto load = [&](VectorType t, Value mem, ValueRange idx,
                  Value mask) -> Value {
    if (!mask)
      return vector::LoadOp::create(b, loc, t, mem, idx);
    return vector::MaskedLoadOp::create(b, loc, t, mem, idx, mask, zerosOf(t));
  };
  auto weights = [&](Value k0, Value mask) -> Value {
    if (w.type == GGMLType::F32)
      return load(vt, w.view, {row, k0}, mask);
    return emitHalfToF32(b, loc, w.type, load(vt16, w.view, {row, k0}, mask));
  };
  auto acts = [&](Value k0, Value mask) -> Value {
    Value v = load(vt, x.x, {s, k0}, mask);
    if (!x.gamma)
      return v;
    return arith::MulFOp::create(b, loc, v, load(vt, x.gamma, {k0}, mask));
  };
  Value vl = arith::MulIOp::create(
      b, loc, vector::VectorScaleOp::create(b, loc), e.idx(4));
  Value kv = e.idx(k);
  Value full =
      arith::SubIOp::create(b, loc, kv, arith::RemUIOp::create(b, loc, kv, vl));
  auto loop = scf::ForOp::create(
      b, loc, e.idx(0), full, vl, ValueRange{zerosOf(vt)},
      [&](OpBuilder &nb, Location, Value k0, ValueRange acc) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        scf::YieldOp::create(
            b, loc,
            ValueRange{vector::FMAOp::create(b, loc, vt, acts(k0, nullptr),
                                             weights(k0, nullptr), acc[0])});
      });
  // The remaining k - full (< vl) elements under a mask (none: all-false).
  Value mask = vector::CreateMaskOp::create(
      b, loc, VectorType::get({4}, b.getI1Type(), {true}),
      ValueRange{arith::SubIOp::create(b, loc, kv, full)});
  Value acc = vector::FMAOp::create(b, loc, vt, acts(full, mask),
                                    weights(full, mask), loop.getResult(0));
  return x.finish(
      e, s,
      vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc));
}

/// Units (pieces or block parts) of each row a lane loads per step
/// of warpRowDots' loop. A GPU keeps a warp's loads in flight until their
/// first use, so this is how much of the row a warp has in flight: with one
/// unit, a 7B decode matmul (2048 warps of 2 f16 rows, 16 warps per SM) had
/// ~16 KB in flight per SM, under the ~25 KB that HBM's bandwidth times its
/// latency asks for: 4 units.
///
/// Only decode steps (one token, a static row count) take more than one:
/// ptxas sinks the loads to their uses unless the kernel states an
/// occupancy, so the loop is marked (kBatchedLoadsAttrName) for
/// llama-gpu-launch-bounds, and the prefill kernels, whose token blocks
/// need more registers, are left without that cap.
static int64_t warpUnroll(const Activation &x) {
  return cast<MemRefType>(x.x.getType()).isDynamicDim(0) ? 1 : 4;
}

Value unitWeights(Emitter &e, const WeightRow &r, Value unit, Value k0) {
  OpBuilder &b = e.b;
  if (isUnquantized(*r.w))
    return emitUnquantizedPiece(b, e.loc, *r.w, r.row, k0, kWarpPiece);
  Value parts = e.idx(dotBlockParts(*r.w));
  return emitBlockPartWeights(b, e.loc, *r.w, r.row,
                              arith::DivUIOp::create(b, e.loc, unit, parts),
                              arith::RemUIOp::create(b, e.loc, unit, parts));
}

/// A warp's dot products ([r][t]) of rows taken in 8-element units
/// (hasEightElementUnits) with tokens `toks` of `x`, in one loop: lane l
/// takes units l, l + 32, ... — a load instruction of the warp reads 32
/// consecutive units of a row and of the activations (16-element pieces had
/// the lanes' f16 32 bytes apart; a lane per quantized block had the 32
/// lanes of an activation load on 32 cache lines) — `batch` units per step
/// (warpUnits). Each unit's weights are loaded and dequantized once for the
/// tokens, each token's activation piece once for the rows, then the warp
/// adds each (row, token)'s lane sums.
///
/// Each vector load is marked with the alignment its indices give
/// (vectorAccessAlignment: 16 for f32/f16/bf16 pieces, 8 for the Q4_K/Q5_K
/// quants, 2 for the 2-byte aligned blocks), so that NVPTX makes the widest
/// loads it can: with scalar loads a step of a warp read 8 x 2 bytes per
/// lane in 8 instructions, each touching 4 to 8 cache wavefronts, and a
/// quantized block was read one byte (and one scale) per element.
static SmallVector<SmallVector<Value>>
warpUnitDots(Emitter &e, ArrayRef<WeightRow> rows, int64_t k,
             const Activation &x, ArrayRef<Value> toks, int64_t batch) {
  OpBuilder &b = e.b;
  int64_t R = rows.size(), T = toks.size();
  auto accType = VectorType::get({kWarpPiece}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, e.loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0)));
  // Accumulator (r, t) at r * T + t; with an in-warp norm (x.normDim),
  // then token t's sum of squares at R * T + t. A unit loads T activation
  // pieces (raw x with an in-warp norm: gamma is multiplied in where they
  // are used, its piece the same for every warp, from L1) and the
  // f32/f16/bf16 rows' pieces; a quantized row's part is dequantized where
  // it is used (ptxas still issues its loads with the others; 8 dequantized
  // floats per row and unit kept live until then spilled Q6_K's decode
  // rows).
  bool inWarpNorm = x.normDim != 0;
  auto rawPiece = [&](Value m, ValueRange at) -> Value {
    return vector::LoadOp::create(b, e.loc, accType, m, at);
  };
  SmallVector<Value> accs = warpUnits(
      e, k / kWarpPiece, batch,
      SmallVector<Value>(R * T + (inWarpNorm ? T : 0), zero),
      [&](Value unit) {
        Value k0 = arith::MulIOp::create(b, e.loc, unit, e.idx(kWarpPiece));
        SmallVector<Value> v;
        for (Value s : toks)
          v.push_back(inWarpNorm ? rawPiece(x.x, {s, k0})
                                 : x.load(e, s, k0, kWarpPiece));
        for (const WeightRow &r : rows)
          v.push_back(isUnquantized(*r.w) ? unitWeights(e, r, unit, k0)
                                          : Value());
        return v;
      },
      [&](Value unit, ArrayRef<Value> v, ValueRange carried) {
        SmallVector<Value> next(carried.begin(), carried.end());
        Value k0 = arith::MulIOp::create(b, e.loc, unit, e.idx(kWarpPiece));
        SmallVector<Value> xs(v.begin(), v.begin() + T);
        if (inWarpNorm) {
          Value g = rawPiece(x.gamma, {k0});
          for (int64_t t = 0; t < T; ++t) {
            next[R * T + t] = vector::FMAOp::create(b, e.loc, accType, xs[t],
                                                    xs[t], next[R * T + t]);
            xs[t] = arith::MulFOp::create(b, e.loc, xs[t], g);
          }
        }
        for (int64_t r = 0; r < R; ++r) {
          Value wv = v[T + r];
          if (!wv)
            wv = unitWeights(e, rows[r], unit, k0);
          for (int64_t t = 0; t < T; ++t)
            next[r * T + t] = vector::FMAOp::create(b, e.loc, accType, xs[t],
                                                    wv, next[r * T + t]);
        }
        return next;
      });
  auto warpTotal = [&](Value acc) {
    return e.warpSum(
        vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, acc));
  };
  SmallVector<Value> scales;
  if (inWarpNorm)
    for (int64_t t = 0; t < T; ++t)
      scales.push_back(scaleOfSumSquares(e, warpTotal(accs[R * T + t]),
                                         x.normDim, x.normEps));
  SmallVector<SmallVector<Value>> sums(R);
  for (int64_t r = 0; r < R; ++r)
    for (int64_t t = 0; t < T; ++t) {
      Value dot = warpTotal(accs[r * T + t]);
      sums[r].push_back(
          inWarpNorm ? Value(arith::MulFOp::create(b, e.loc, dot, scales[t]))
                     : x.finish(e, toks[t], dot));
    }
  return sums;
}

/// A warp's dot products of token `s` with rows of the same block size, in
/// one loop (warpUnitDots: every type's rows come in 8-element units). The
/// rows share the loop's activation loads, and more weight loads are in
/// flight per lane.
static SmallVector<Value> warpRowDots(Emitter &e, ArrayRef<WeightRow> rows,
                                      int64_t k, const Activation &x, Value s) {
  assert(llvm::all_of(
             rows,
             [](const WeightRow &r) { return hasEightElementUnits(*r.w); }) &&
         "a weight type without 8-element units");
  SmallVector<Value> sums;
  for (const SmallVector<Value> &rowSums :
       warpUnitDots(e, rows, k, x, {s}, warpUnroll(x)))
    sums.push_back(rowSums.front());
  return sums;
}

Value rowDot(Emitter &e, const Kernels &kc, const WeightView &w, int64_t k,
             const Activation &x, Value s, Value row) {
  OpBuilder &b = e.b;
  if (x.xq && canIntDot(w, k))
    return intRowDots(e, kc.intDot, w, k, x, {s}, row)[0];
  if (kc.scalable && isUnquantized(w))
    return scalableRowDot(e, w, k, x, s, row);
  if (e.lane && canVectorizeDot(w, k))
    return warpRowDots(e, {{&w, row}}, k, x, s)[0];
  if (!kc.vectorizes(w, k))
    return x.finish(e, s, e.dot(w, row, k, [&](Value kk) {
      return x.loadScalar(e, s, kk);
    }));
  // 16 partial sums, one block of the row per step, dequantized in
  // registers; then one horizontal add.
  Value vacc = e.reduce(e.idx(0), e.idx(k / dotBlockElements(w)), e.zeroAcc(),
                        [&](Value blk, Value a) {
                          return emitBlockDot(
                              b, e.loc, w, row, blk,
                              [&](Value k0, int64_t lanes) -> Value {
                                return x.load(e, s, k0, lanes);
                              },
                              a);
                        });
  return x.finish(
      e, s,
      vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, vacc));
}

SmallVector<Value> rowDots(Emitter &e, const Kernels &kc,
                           ArrayRef<WeightRow> rows, int64_t k,
                           const Activation &x, Value s) {
  bool together =
      e.lane && !x.xq && llvm::all_of(rows, [&](WeightRow r) {
        return canVectorizeDot(*r.w, k) &&
               dotBlockElements(*r.w) == dotBlockElements(*rows.front().w) &&
               dotBlockParts(*r.w) == dotBlockParts(*rows.front().w);
      });
  if (together)
    return warpRowDots(e, rows, k, x, s);
  SmallVector<Value> sums;
  for (WeightRow r : rows)
    sums.push_back(rowDot(e, kc, *r.w, k, x, s, r.row));
  return sums;
}

/// The integer dot products of row `row` of `w` (see canIntDot) with tokens
/// `toks` of the quantized activations: each weight block is unpacked once
/// into 32-element int8 groups, each group multiplied with every token's
/// int8 block exactly in int32 (llama.int8_dot) and added to an f32
/// accumulator with the scales; the K-quants' mins are subtracted through
/// the activation block sums.
///
/// Each group ends in a fused multiply-add into the token's accumulator, so
/// one accumulator per token is a chain of dependent FMAs: with one token
/// (decode) the chain's latency, not memory, bounded the row. Groups are
/// therefore dealt round-robin to kIntChains / #tokens independent
/// accumulators per token (blocks unrolled when a block has fewer groups),
/// summed once at the end of the row.
static constexpr int64_t kIntChains = 4;

static SmallVector<Value> intRowDots(Emitter &e, IntDotISA isa,
                                     const WeightView &w, int64_t k,
                                     const Activation &x, ArrayRef<Value> toks,
                                     Value row) {
  OpBuilder &b = e.b;
  auto accType = VectorType::get({8}, b.getF32Type());
  bool hasMin = int8GroupsHaveMin(w.type);
  Value zero = arith::ConstantOp::create(
      b, e.loc, DenseElementsAttr::get(accType, b.getF32FloatAttr(0)));
  int64_t nt = toks.size();
  int64_t nblocks = k / w.blockSize;
  int64_t groupsPerBlock = w.blockSize / kIntDotBlock;
  int64_t chains = std::max<int64_t>(1, kIntChains / nt);
  int64_t unroll = 1;
  while (unroll * groupsPerBlock < chains && nblocks % (2 * unroll) == 0)
    unroll *= 2;
  chains = std::min(chains, unroll * groupsPerBlock);
  // Accumulator (token t, chain c) is at t * chains + c; the mins follow.
  int64_t nacc = nt * chains;
  SmallVector<Value> inits(nacc, zero);
  if (hasMin)
    inits.append(nacc, e.f32(0));
  auto loop = scf::ForOp::create(
      b, e.loc, e.idx(0), e.idx(nblocks), e.idx(unroll), inits,
      [&](OpBuilder &nb, Location, Value blk0, ValueRange accs) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> next(accs.begin(), accs.end());
        int64_t groupIndex = 0;
        for (int64_t u = 0; u < unroll; ++u) {
          Value blk =
              u ? Value(arith::AddIOp::create(b, e.loc, blk0, e.idx(u))) : blk0;
          SmallVector<Int8Group> groups =
              emitBlockInt8Groups(b, e.loc, w, row, blk);
          Value k0 = arith::MulIOp::create(b, e.loc, blk, e.idx(w.blockSize));
          Value g0 = arith::MulIOp::create(b, e.loc, blk,
                                           e.idx(w.blockSize / kIntDotBlock));
          for (const Int8Group &grp : groups) {
            int64_t c = groupIndex++ % chains;
            Value kk = arith::AddIOp::create(b, e.loc, k0, e.idx(grp.offset));
            Value gi = arith::AddIOp::create(b, e.loc, g0,
                                             e.idx(grp.offset / kIntDotBlock));
            for (auto [t, s] : llvm::enumerate(toks)) {
              int64_t a = t * chains + c;
              Value xv = vector::LoadOp::create(
                  b, e.loc, VectorType::get({kIntDotBlock}, b.getI8Type()),
                  x.xq, ValueRange{s, kk});
              Value isum = emitInt8Dot(b, e.loc, isa, grp.q, xv, grp.nonneg);
              Value dx =
                  memref::LoadOp::create(b, e.loc, x.xd, ValueRange{s, gi});
              Value scale = arith::MulFOp::create(
                  b, e.loc, grp.laneScale,
                  vector::BroadcastOp::create(b, e.loc, accType, dx));
              Value f = arith::SIToFPOp::create(b, e.loc, accType, isum);
              next[a] =
                  vector::FMAOp::create(b, e.loc, accType, f, scale, next[a]);
              if (grp.minCoef) {
                // minCoef * dx * sum(xq); with two mins (minCoef * xl +
                // minCoefHigh * (xs - xl)) * dx.
                Value xs =
                    memref::LoadOp::create(b, e.loc, x.xs, ValueRange{s, gi});
                Value term;
                if (grp.minCoefHigh) {
                  Value xl =
                      memref::LoadOp::create(b, e.loc, x.xl, ValueRange{s, gi});
                  Value both = arith::AddFOp::create(
                      b, e.loc,
                      arith::MulFOp::create(b, e.loc, grp.minCoef, xl),
                      arith::MulFOp::create(
                          b, e.loc, grp.minCoefHigh,
                          arith::SubFOp::create(b, e.loc, xs, xl)));
                  term = arith::MulFOp::create(b, e.loc, both, dx);
                } else {
                  term = arith::MulFOp::create(
                      b, e.loc, grp.minCoef,
                      arith::MulFOp::create(b, e.loc, dx, xs));
                }
                next[nacc + a] =
                    arith::AddFOp::create(b, e.loc, next[nacc + a], term);
              }
            }
          }
        }
        scf::YieldOp::create(b, e.loc, next);
      });
  SmallVector<Value> sums;
  for (auto [t, s] : llvm::enumerate(toks)) {
    Value acc = loop.getResult(t * chains);
    Value mins = hasMin ? loop.getResult(nacc + t * chains) : Value();
    for (int64_t c = 1; c < chains; ++c) {
      acc =
          arith::AddFOp::create(b, e.loc, acc, loop.getResult(t * chains + c));
      if (hasMin)
        mins = arith::AddFOp::create(b, e.loc, mins,
                                     loop.getResult(nacc + t * chains + c));
    }
    Value sum =
        vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, acc);
    if (hasMin)
      sum = arith::SubFOp::create(b, e.loc, sum, mins);
    sums.push_back(x.finish(e, s, sum));
  }
  return sums;
}

SmallVector<Value> blockedRowDots(Emitter &e, const Kernels &kc,
                                  const WeightView &w, int64_t k,
                                  const Activation &x, Value s0, int64_t T,
                                  Value row) {
  OpBuilder &b = e.b;
  auto accType = VectorType::get({kDotLanes}, b.getF32Type());
  SmallVector<Value> inits(T, e.zeroAcc());
  SmallVector<Value> toks;
  for (int64_t t = 0; t < T; ++t)
    toks.push_back(t ? Value(arith::AddIOp::create(b, e.loc, s0, e.idx(t)))
                     : s0);
  if (x.xq && canIntDot(w, k))
    return intRowDots(e, kc.intDot, w, k, x, toks, row);
  if (kc.scalable && isUnquantized(w)) {
    SmallVector<Value> sums;
    for (Value s : toks)
      sums.push_back(scalableRowDot(e, w, k, x, s, row));
    return sums;
  }
  bool warp = bool(e.lane);
  CreatedOps created;
  OpBuilder::Listener *outer = b.getListener();
  if (warp)
    b.setListener(&created);
  auto loop = scf::ForOp::create(
      b, e.loc, warp ? e.lane : e.idx(0), e.idx(k / dotBlockElements(w)),
      e.idx(warp ? kWarp : 1), inits,
      [&](OpBuilder &nb, Location, Value blk, ValueRange accs) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        Value k0 =
            arith::MulIOp::create(b, e.loc, blk, e.idx(dotBlockElements(w)));
        SmallVector<Value> acc(accs.begin(), accs.end());
        for (auto [off, wv] : emitBlockWeights(b, e.loc, w, row, blk)) {
          Value kk = arith::AddIOp::create(b, e.loc, k0, e.idx(off));
          for (int64_t t = 0; t < T; ++t) {
            Value xv = x.load(e, toks[t], kk, kDotLanes);
            acc[t] = vector::FMAOp::create(b, e.loc, accType, xv, wv, acc[t]);
          }
        }
        scf::YieldOp::create(b, e.loc, acc);
      });
  b.setListener(outer);
  if (warp)
    markAlignments(created);
  SmallVector<Value> sums;
  for (int64_t t = 0; t < T; ++t) {
    Value sum = vector::ReductionOp::create(
        b, e.loc, vector::CombiningKind::ADD, loop.getResult(t));
    sums.push_back(x.finish(e, toks[t], warp ? e.warpSum(sum) : sum));
  }
  return sums;
}

SmallVector<SmallVector<Value>> blockedRowsDots(Emitter &e, const Kernels &kc,
                                                ArrayRef<WeightRow> rows,
                                                int64_t k, const Activation &x,
                                                Value s0, int64_t T) {
  OpBuilder &b = e.b;
  SmallVector<SmallVector<Value>> sums;
  bool shared = e.lane && !x.xq && llvm::all_of(rows, [&](const WeightRow &r) {
                  return hasEightElementUnits(*r.w) && canVectorizeDot(*r.w, k);
                });
  if (!shared) {
    for (const WeightRow &r : rows)
      sums.push_back(blockedRowDots(e, kc, *r.w, k, x, s0, T, r.row));
    return sums;
  }
  SmallVector<Value> toks;
  for (int64_t t = 0; t < T; ++t)
    toks.push_back(t ? Value(arith::AddIOp::create(b, e.loc, s0, e.idx(t)))
                     : s0);
  return warpUnitDots(e, rows, k, x, toks, /*batch=*/1);
}

} // namespace mlir::llama::loops
