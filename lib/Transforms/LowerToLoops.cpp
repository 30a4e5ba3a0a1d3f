//===- LowerToLoops.cpp - llama ops to loops over buffers -------*- C++ -*-===//
//
// Implements the `llama-lower-to-loops` pass (see Passes.td): rewrites each
// function that uses llama ops to the runtime ABI (file bytes, weight offsets,
// KV cache and outputs as memrefs) and lowers llama.weight, llama.embedding,
// llama.rms_norm, llama.matmul and llama.attention to scf loops that
// dequantize weights element by element.
//
// The rewrite is a walk over each function in program order rather than a
// pattern set: every op needs the function-level bindings (file, offsets,
// cache buffers) created when the signature is rewritten.
//
//===----------------------------------------------------------------------===//

#include "PackedRowTiles.h"

#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Codegen/PackedWeights.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Dequant.h"
#include "llama-mlir/Transforms/Passes.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERTOLOOPSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// GPU threads that share a weight row's dot product (one warp).
constexpr int64_t kWarp = 32;

/// Builder helpers for the loop nests.
struct Emitter {
  OpBuilder &b;
  Location loc;
  /// GPU code inside a warp-cooperative loop (see parallelRows): this
  /// thread's lane in [0, kWarp); null elsewhere.
  Value lane = {};

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
  }
  /// A vector<kDotLanes x f32> of zeros (a dot product's partial sums).
  Value zeroAcc() {
    auto t = VectorType::get({kDotLanes}, b.getF32Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(t, b.getF32FloatAttr(0)));
  }
  /// Replaces `op` by its result buffer `out`, seen as a tensor of type `t`.
  void replaceWithBuffer(Operation *op, Value out, RankedTensorType t) {
    op->getResult(0).replaceAllUsesWith(toTensor(out, t));
    op->erase();
  }
  /// A read-only buffer view of a tensor value.
  Value buffer(Value tensor) {
    auto t = cast<RankedTensorType>(tensor.getType());
    auto m = MemRefType::get(t.getShape(), t.getElementType());
    return bufferization::ToBufferOp::create(b, loc, m, tensor,
                                             /*read_only=*/true);
  }
  /// The operand `input` as a buffer, its row count, and a new buffer for
  /// the result of type `t` (whose only dynamic dimension is the first).
  std::tuple<Value, Value, Value> rowsInOut(Value input, RankedTensorType t) {
    Value in = buffer(input);
    Value seq = dim(in, 0);
    Value out = alloc(t, t.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
    return {in, seq, out};
  }
  /// A new buffer for a result of type `t`, dynamic sizes from `dynSizes`.
  Value alloc(RankedTensorType t, ValueRange dynSizes) {
    auto m = MemRefType::get(t.getShape(), t.getElementType());
    return memref::AllocOp::create(b, loc, m, dynSizes);
  }
  Value toTensor(Value buf, RankedTensorType t) {
    return bufferization::ToTensorOp::create(b, loc, t, buf,
                                             /*restrict=*/true,
                                             /*writable=*/true);
  }
  Value dim(Value memref, int64_t d) {
    return memref::DimOp::create(b, loc, memref, d);
  }
  /// for i in [lo, hi) by `step`: body(i)
  void loop(Value lo, Value hi, function_ref<void(Value)> body,
            int64_t step = 1) {
    scf::ForOp::create(b, loc, lo, hi, idx(step), ValueRange{},
                       [&](OpBuilder &nb, Location, Value i, ValueRange) {
                         OpBuilder::InsertionGuard g(b);
                         b.setInsertionPoint(nb.getInsertionBlock(),
                                             nb.getInsertionPoint());
                         body(i);
                         scf::YieldOp::create(b, loc);
                       });
  }
  /// if (cond) thenBody() else elseBody()
  void ifElse(Value cond, function_ref<void()> thenBody,
              function_ref<void()> elseBody) {
    auto op = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPoint(op.thenYield());
    thenBody();
    b.setInsertionPoint(op.elseYield());
    elseBody();
  }
  /// acc = init; for i in [lo, hi): acc = body(i, acc); returns acc.
  Value reduce(Value lo, Value hi, Value init,
               function_ref<Value(Value, Value)> body, int64_t step = 1) {
    auto op = scf::ForOp::create(
        b, loc, lo, hi, idx(step), ValueRange{init},
        [&](OpBuilder &nb, Location, Value i, ValueRange acc) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, loc, body(i, acc[0]));
        });
    return op.getResult(0);
  }
  /// Sum over k in [0, K) of f(k) * w(row, k), looping over weight blocks.
  /// In a warp-cooperative loop lane l takes blocks l, l + kWarp, ... (the
  /// warp reads each stretch of the row together) and the partial sums are
  /// added across the warp: every lane gets the whole dot product.
  Value dot(const WeightView &w, Value row, int64_t K,
            function_ref<Value(Value)> x) {
    int64_t bs = w.blockSize;
    if (lane) {
      // (Rows whose length is a multiple of the block take warpRowDots;
      // this is the fallback.) Unquantized rows: 8 elements a step, so that
      // a thread has several loads in flight and the warp reads 32 x 8
      // consecutive elements. Quantized blocks stay a loop: unrolled,
      // 32-element blocks made the 22-layer TinyLlama Q4_0 program take
      // minutes in LLVM.
      int64_t step = bs == 1 && K % 8 == 0 ? 8 : 1;
      Value partial = reduce(
          lane, idx(K / bs / step), f32(0),
          [&](Value c, Value a) {
            if (step == 1)
              return blockDot(w, row, c, a, x, /*unrolled=*/false);
            Value k0 = arith::MulIOp::create(b, loc, c, idx(step));
            for (int64_t j = 0; j < step; ++j)
              a = blockDot(w, row, arith::AddIOp::create(b, loc, k0, idx(j)), a,
                           x, /*unrolled=*/true);
            return a;
          },
          kWarp);
      return warpSum(partial);
    }
    return reduce(idx(0), idx(K / bs), f32(0), [&](Value blk, Value acc) {
      return blockDot(w, row, blk, acc, x, /*unrolled=*/false);
    });
  }
  /// acc + the dot product of block `blk` of `row` with x, element by
  /// element (`unrolled`: without a loop, for GPU threads).
  Value blockDot(const WeightView &w, Value row, Value blk, Value acc,
                 function_ref<Value(Value)> x, bool unrolled) {
    int64_t bs = w.blockSize;
    auto term = [&](Value j, Value a) -> Value {
      Value k =
          bs == 1 ? blk
                  : arith::AddIOp::create(
                        b, loc, arith::MulIOp::create(b, loc, blk, idx(bs)), j);
      Value wv = emitLoadWeightElement(b, loc, w, row, blk, j);
      return arith::AddFOp::create(b, loc, a,
                                   arith::MulFOp::create(b, loc, x(k), wv));
    };
    if (!unrolled)
      return reduce(idx(0), idx(bs), acc, term);
    for (int64_t j = 0; j < bs; ++j)
      acc = term(idx(j), acc);
    return acc;
  }
  /// The sum of v over the warp, in every lane: xor-shuffle butterfly.
  Value warpSum(Value v) {
    for (int64_t off = kWarp / 2; off >= 1; off /= 2) {
      auto sh =
          gpu::ShuffleOp::create(b, loc, v, off, kWarp, gpu::ShuffleMode::XOR);
      v = arith::AddFOp::create(b, loc, v, sh.getShuffleResult());
    }
    return v;
  }
  /// The f32 weight element at logical column `k` of `row`.
  Value weightAt(const WeightView &w, Value row, Value k) {
    if (w.blockSize == 1)
      return emitLoadWeightElement(b, loc, w, row, k, idx(0));
    Value blk = arith::DivUIOp::create(b, loc, k, idx(w.blockSize));
    Value j = arith::RemUIOp::create(b, loc, k, idx(w.blockSize));
    return emitLoadWeightElement(b, loc, w, row, blk, j);
  }
};

/// The input rows `x : [seq, K]` of a matmul-like op, with its optional
/// RMSNorm prologue: then `gamma : [K]` (the norm weight as f32) is
/// multiplied into the activations as they are loaded and `scales : [seq]`
/// (1/sqrt(mean(x^2) + eps) per token) into each finished dot product.
struct Activation {
  Value x, gamma, scales;
  /// GPU decode steps whose rows are all f32/f16/bf16, or quantized with
  /// gpu-quantized-row-norms (see FunctionLowering::normPrologue): the
  /// RMSNorm scale is not in `scales`
  /// but computed by each warp from the x it loads anyway (warpUnitDots),
  /// over `normDim` elements with `normEps`; no kernel normalizes the row
  /// first. load, loadScalar and finish do not apply then.
  int64_t normDim = 0;
  FloatAttr normEps;
  /// With integer dot products: the activations (times gamma) quantized per
  /// block of 32 to int8, `xq : [seq, K] x i8` with scales `xd : [seq, K/32]`
  /// (round(v * 127 / max|v|), as llama.cpp's Q8_0), and the sum of each
  /// block's quants `xs : [seq, K/32] x f32` (for the K-quants' mins).
  Value xq, xd, xs;

  /// x[s, k0 : k0 + lanes] (times gamma).
  Value load(Emitter &e, Value s, Value k0, int64_t lanes) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    auto t = VectorType::get({lanes}, e.b.getF32Type());
    Value v = vector::LoadOp::create(e.b, e.loc, t, x, ValueRange{s, k0});
    if (!gamma)
      return v;
    Value g = vector::LoadOp::create(e.b, e.loc, t, gamma, ValueRange{k0});
    return arith::MulFOp::create(e.b, e.loc, v, g);
  }
  /// x[s, k] (times gamma).
  Value loadScalar(Emitter &e, Value s, Value k) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    Value v = memref::LoadOp::create(e.b, e.loc, x, ValueRange{s, k});
    if (!gamma)
      return v;
    Value g = memref::LoadOp::create(e.b, e.loc, gamma, ValueRange{k});
    return arith::MulFOp::create(e.b, e.loc, v, g);
  }
  /// A dot product of token `s`, times its row scale when normalized.
  Value finish(Emitter &e, Value s, Value dot) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    if (!scales)
      return dot;
    Value r = memref::LoadOp::create(e.b, e.loc, scales, ValueRange{s});
    return arith::MulFOp::create(e.b, e.loc, dot, r);
  }
};

/// 1/sqrt(ss / dim + eps): the RMSNorm scale of a row whose squares sum
/// to `ss`.
static Value scaleOfSumSquares(Emitter &e, Value ss, int64_t dim,
                               FloatAttr eps) {
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

/// 1/sqrt(mean_k(x[s, k]^2) + eps) for the row `s` of `x : [seq, dim]`.
static Value rowScale(Emitter &e, Value x, Value s, int64_t dim,
                      FloatAttr eps) {
  return scaleOfSumSquares(e, sumOfSquares(e, x, s, e.idx(0), dim, 1), dim,
                           eps);
}

/// An op's #llama.kernel_config (llama-configure-kernels), decoded for the
/// emitters below.
struct Kernels {
  /// The int8 dot instructions of the weights that have integer dots (their
  /// activations quantized per block of 32); None: f32 dot products.
  IntDotISA intDot = IntDotISA::None;
  /// f32/f16/bf16 rows in scalable vectors (SVE).
  bool scalable = false;
  /// Dot products vectorized by weight block (off for GPUs, where each
  /// thread computes its row with scalar code and vectors would only be
  /// unrolled).
  bool vectorize = true;
  /// GPU code: a warp per weight row (parallelRows), parallel elementwise
  /// loops (forAll), block sums for the norms' row scales.
  bool gpu = false;
  /// GPU decode steps: quantized rows' warps compute the RMSNorm scale too
  /// (FunctionLowering::normPrologue).
  bool quantizedRowNorms = false;
  /// GPU code: the threads of a block (the pipeline's tiling of parallel
  /// loops), for the kernels that take a block per task (parallelBlocks).
  int64_t blockThreads = 0;
  /// GPU prefill GEMMs on tensor cores (mmaMatmul).
  bool tensorCores = false;
  /// Matmuls in packed tiles of this many rows (PackedRowTiles.h; 0: row
  /// by row).
  int64_t tileRows = 0;
  /// Tokens per register block of the prefill GEMM (1: none).
  int64_t tokenBlock = 1;

  static Kernels of(KernelConfigAttr c) {
    Kernels k;
    k.intDot = c.getIntDot();
    k.scalable = c.getDot() == KernelDot::Scalable;
    k.vectorize = c.getDot() != KernelDot::Scalar;
    k.gpu = c.getDispatch() == KernelDispatch::Warps;
    k.quantizedRowNorms = c.getRowNorms();
    k.blockThreads = c.getBlockThreads();
    k.tensorCores = c.getTensorCores();
    k.tileRows = c.getTileRows();
    k.tokenBlock = c.getTokenBlock();
    return k;
  }

  /// Whether `ws` (n rows of k) can be multiplied in packed row tiles with
  /// activations `x` (quantized: integer tiles; else f16/bf16 float tiles).
  static bool packable(ArrayRef<const WeightView *> ws, int64_t n, int64_t k,
                       const Activation &x) {
    return n % kPackedRows == 0 && llvm::all_of(ws, [&](const WeightView *w) {
             return x.xq ? canPackRows(*w, k) : canPackFloatRows(*w, k);
           });
  }

  bool vectorizes(const WeightView &w, int64_t k) const {
    return vectorize && canVectorizeDot(w, k);
  }
  /// Whether a prefill computes a row's dot products tokenBlock tokens at a
  /// time (blockedRowDots: each weight block loaded and dequantized once
  /// for them); on GPUs where warpBlocksTokens (blockedRowsDots).
  bool blocksTokens(const WeightView &w, int64_t k) const {
    return tokenBlock > 1 &&
           (vectorizes(w, k) || (gpu && warpBlocksTokens(w.type, k)));
  }
};

/// for i in [0, n) in parallel (the runtime's thread pool splits the range).
static void parallelFor(Emitter &e, Value n, function_ref<void(Value)> body) {
  OpBuilder &b = e.b;
  auto par = scf::ParallelOp::create(b, e.loc, ValueRange{e.idx(0)},
                                     ValueRange{n}, ValueRange{e.idx(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(par.getBody());
  body(par.getInductionVars()[0]);
}

/// for task in [0, n) in parallel on GPUs, a block of `threads` threads per
/// task: body(task, thread) with the thread's lane in e.lane (the thread
/// itself when the block is one warp). The GPU pipeline tiles the loop of
/// n * threads iterations by Kernels::blockThreads, so that with that many
/// threads the tasks' threads are the blocks'.
static void parallelBlocks(Emitter &e, Value n, int64_t threads,
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

/// for row in [0, n) in parallel; on GPUs (`warp`) kWarp consecutive
/// threads per row, their lane in e.lane for the dot products inside
/// (Emitter::dot), which then end with the same sum in every lane.
static void parallelRows(Emitter &e, bool warp, Value n,
                         function_ref<void(Value)> body) {
  if (!warp)
    return parallelFor(e, n, body);
  parallelBlocks(e, n, kWarp, [&](Value row, Value) { body(row); });
}
static void parallelRows(Emitter &e, bool warp, int64_t n,
                         function_ref<void(Value)> body) {
  parallelRows(e, warp, e.idx(n), body);
}

/// Whether `op` runs in packed row tiles (`tiles`: its configuration says
/// tile_rows = 16; `packable`: its weights can be): in a prefill
/// (`prefill`: a dynamic token count), and in any step where its weights
/// are prepacked at compile time, which only the tiles can read. An error
/// where the weights cannot be packed, or only some of the op's weights are
/// prepacked (llama-configure-kernels rules both out).
static FailureOr<bool> takesTiles(Operation *op,
                                  ArrayRef<const WeightView *> ws, bool tiles,
                                  bool packable, bool prefill) {
  if (tiles && !packable)
    return op->emitOpError("llama-lower-to-loops: kernel_config tile_rows = "
                           "16, but the op's weights cannot be packed in "
                           "16-row tiles");
  bool any = llvm::any_of(ws, [](const WeightView *w) { return w->prepacked; });
  bool all = llvm::all_of(ws, [](const WeightView *w) { return w->prepacked; });
  if (any && !all)
    return op->emitOpError("llama-lower-to-loops: weights prepacked in the "
                           "rows16 layout need the packed row tiles of all "
                           "of the op's weights");
  return tiles && (prefill || all);
}

/// The llama.dot4_acc kind of the packed tiles: vpdpbusd where the target
/// has it, otherwise the generic form (same sums).
static IntDotKind packedDotKind(IntDotISA isa) {
  return isa == IntDotISA::AVX512VNNI ? IntDotKind::AVX512VNNI
                                      : IntDotKind::Generic;
}

/// for tile in [0, n / 16) in parallel: body(first row of the tile). The
/// loop body is an allocation scope: each tile's stack buffers are its own
/// (llama-hoist-loop-allocas later gives each thread one set).
static void parallelRowTiles(Emitter &e, int64_t n,
                             function_ref<void(Value r0)> body) {
  parallelFor(e, e.idx(n / kPackedRows), [&](Value tile) {
    body(arith::MulIOp::create(e.b, e.loc, tile, e.idx(kPackedRows)));
  });
}

/// The activations of packed tiles, emitted before their parallel loop:
/// for float tiles x times the RMSNorm weight, computed once here rather
/// than per tile and token.
static PackedActivations packedActivations(Emitter &e, const Activation &x) {
  PackedActivations p{x.xq, x.xd, x.xs, x.scales, x.x};
  if (x.xq || !x.gamma)
    return p;
  auto mt = cast<MemRefType>(x.x.getType());
  int64_t dim = mt.getDimSize(1);
  Value seq = e.dim(x.x, 0);
  p.x = memref::AllocOp::create(
      e.b, e.loc, mt, mt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  e.loop(e.idx(0), seq, [&](Value s) {
    e.loop(e.idx(0), e.idx(dim / kDotLanes), [&](Value blk) {
      Value k0 = arith::MulIOp::create(e.b, e.loc, blk, e.idx(kDotLanes));
      vector::StoreOp::create(e.b, e.loc, x.load(e, s, k0, kDotLanes), p.x,
                              ValueRange{s, k0});
    });
  });
  return p;
}

/// for (i0, i1, ...) in [0, n0) x [0, n1) x ...: nested serial loops on
/// CPUs (the elementwise work between the parallel matmuls), one parallel
/// loop on GPUs (a kernel, flattened by llama-flatten-parallel-loops; the
/// host never touches the buffers).
static void forAll(Emitter &e, bool parallel, ArrayRef<Value> extents,
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

/// Records the operations a builder creates (to annotate them after).
struct CreatedOps : OpBuilder::Listener {
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    ops.push_back(op);
  }
};

/// The largest power of two (at most 2^20) known to divide every value of
/// the index `v`: constants, products and sums of such; 0 for the constant
/// 0 (divisible by anything); 1 for anything else.
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

/// Marks every vector load and store `created` holds with the alignment its
/// indices give (vectorAccessAlignment).
static void markAlignments(const CreatedOps &created) {
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

using UnitLoad = function_ref<SmallVector<Value>(Value unit)>;
using UnitUse = function_ref<SmallVector<Value>(
    Value unit, ArrayRef<Value> loaded, ValueRange accs)>;

/// A loop of `stride` threads over units 0 .. n-1 of a row, the thread
/// `first` taking units first, first + stride, ...: accs = use(unit,
/// load(unit), accs) for each unit, in that order. A step takes `batch`
/// units of the thread and issues all their loads before the first use, so
/// that `batch` units are in flight per thread; the loop is marked
/// kBatchedLoadsAttrName (llama-gpu-launch-bounds: without an occupancy
/// ptxas sinks the loads to their uses). The units left over (fewer than
/// stride * batch) follow one per step. Vector loads and stores are marked
/// with their alignment (markAlignments).
static SmallVector<Value> strideUnits(Emitter &e, Value first, int64_t stride,
                                      int64_t n, int64_t batch,
                                      ValueRange inits, UnitLoad load,
                                      UnitUse use) {
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

/// strideUnits for a warp: lane l takes units l, l + kWarp, ...
static SmallVector<Value> warpUnits(Emitter &e, int64_t n, int64_t batch,
                                    ValueRange inits, UnitLoad load,
                                    UnitUse use) {
  return strideUnits(e, e.lane, kWarp, n, batch, inits, load, use);
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

/// rowScale(x, s) computed by a block (parallelBlocks): thread t sums the
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

/// scales[s] = rowScale(x, s) for every token: on GPUs a block per token
/// (blockRowScale; thread 0 stores it).
static Value rowScales(Emitter &e, const Kernels &kernels, Value x, Value seq,
                       int64_t dim, FloatAttr eps) {
  OpBuilder &b = e.b;
  Value scales = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic}, b.getF32Type()),
      ValueRange{seq});
  if (!kernels.gpu) {
    e.loop(e.idx(0), seq, [&](Value s) {
      memref::StoreOp::create(b, e.loc, rowScale(e, x, s, dim, eps), scales,
                              ValueRange{s});
    });
    return scales;
  }
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

/// On GPUs: x[s, k] * scale[s] * gamma[k] for every token s, a block per
/// token (parallelBlocks) that first computes the token's RMSNorm scale
/// (blockRowScale) and then writes the normalized row (thread t pieces t,
/// t + threads, ... of kNormPiece elements, as blockRowScale; elements
/// where the row is not a whole number of pieces).
static Value normalizedRows(Emitter &e, int64_t threads, Value x, Value gamma,
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

class FunctionLowering {
public:
  FunctionLowering(func::FuncOp fn, llvm::StringMap<int64_t> &weightIndex,
                   SmallVectorImpl<Attribute> &weightTable,
                   const llvm::StringSet<> &prepacked)
      : fn(fn), b(fn.getContext()), weightIndex(weightIndex),
        weightTable(weightTable), prepacked(prepacked) {}

  LogicalResult run();

private:
  func::FuncOp fn;
  OpBuilder b;
  llvm::StringMap<int64_t> &weightIndex;
  SmallVectorImpl<Attribute> &weightTable;
  /// The weights read in the rows16 layout packed at compile time.
  const llvm::StringSet<> &prepacked;
  /// The kernel configuration of the op being lowered.
  Kernels kernels;
  Value file, offsets;
  DenseMap<Value, std::pair<Value, Value>> caches; // kv_cache -> (K, V)
  DenseMap<Value, WeightView> weights;
  /// Attention ops whose keys and values the Q/K/V projection stored into
  /// the cache (their appendToCache is done).
  DenseSet<Operation *> appended;

  LogicalResult rewriteSignature();
  LogicalResult lowerWeight(WeightOp op);
  LogicalResult lowerEmbedding(EmbeddingOp op);
  LogicalResult lowerRMSNorm(RMSNormOp op);
  LogicalResult lowerMatmul(MatmulOp op);
  LogicalResult lowerMatmulSwiGLU(MatmulSwiGLUOp op);
  LogicalResult lowerQKVRoPE(QKVRoPEOp op);
  LogicalResult appendToCache(Operation *op, Value key, Value value,
                              Value positions, Value cache, int64_t layer);
  LogicalResult lowerAttention(AttentionOp op);
  LogicalResult lowerGQAAttention(GQAAttentionOp op);
  Activation activation(Emitter &e, Value input, Value norm,
                        std::optional<APFloat> eps, bool quantize,
                        ArrayRef<const WeightView *> rows);
  void normPrologue(Emitter &e, Activation &a, Value norm,
                    std::optional<APFloat> eps,
                    ArrayRef<const WeightView *> rows);
  void quantizeActivations(Emitter &e, Activation &a, int64_t dim);
};

/// A result with a dynamic row count made by a llama.matmul used only by the
/// return (the logits): the matmul takes only the last rows of its input,
/// as many as the caller's out-buffer has (all tokens, or fewer: a prompt's
/// last token is all that generation needs, and its output matmul is a
/// large share of a prefill).
static void lastRowsOnly(Value result, Value out) {
  auto mm = result.getDefiningOp<MatmulOp>();
  auto rt = dyn_cast<RankedTensorType>(result.getType());
  if (!mm || !result.hasOneUse() || !rt || !rt.isDynamicDim(0))
    return;
  OpBuilder b(mm);
  Location loc = mm.getLoc();
  Value x = mm.getInput();
  auto xt = cast<RankedTensorType>(x.getType());
  Value seq = tensor::DimOp::create(b, loc, x, 0);
  Value want = memref::DimOp::create(b, loc, out, 0);
  Value rows = arith::MinUIOp::create(b, loc, want, seq);
  Value first = arith::SubIOp::create(b, loc, seq, rows);
  SmallVector<OpFoldResult> offsets = {first, b.getIndexAttr(0)},
                            sizes = {rows, b.getIndexAttr(xt.getDimSize(1))},
                            strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value last =
      tensor::ExtractSliceOp::create(b, loc, xt, x, offsets, sizes, strides);
  // Copied into a tensor of its own: the kernels take identity-layout
  // buffers (the copy becomes loops, no memref.copy runtime call).
  Value empty = tensor::EmptyOp::create(b, loc, xt, ValueRange{rows});
  mm.getInputMutable().assign(
      linalg::CopyOp::create(b, loc, last, empty).getResult(0));
}

LogicalResult FunctionLowering::rewriteSignature() {
  Block &entry = fn.front();
  Location loc = fn.getLoc();
  SmallVector<Type> newInputs = {
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
      MemRefType::get({ShapedType::kDynamic}, b.getI64Type())};
  unsigned nOld = entry.getNumArguments();
  for (Type t : fn.getArgumentTypes()) {
    if (auto tt = dyn_cast<RankedTensorType>(t)) {
      newInputs.push_back(MemRefType::get(tt.getShape(), tt.getElementType()));
    } else if (auto ct = dyn_cast<KVCacheType>(t)) {
      auto m = MemRefType::get(ct.getShape(), ct.getElementType());
      newInputs.append({m, m});
    } else {
      return fn.emitOpError("llama-lower-to-loops: unsupported argument type ")
             << t;
    }
  }
  for (Type t : fn.getResultTypes()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt)
      return fn.emitOpError("llama-lower-to-loops: results must be tensors");
    newInputs.push_back(MemRefType::get(tt.getShape(), tt.getElementType()));
  }
  for (Type t : newInputs)
    entry.addArgument(t, loc);
  b.setInsertionPointToStart(&entry);
  file = entry.getArgument(nOld);
  offsets = entry.getArgument(nOld + 1);
  unsigned next = nOld + 2;
  for (unsigned i = 0; i < nOld; ++i) {
    BlockArgument old = entry.getArgument(i);
    if (auto tt = dyn_cast<RankedTensorType>(old.getType())) {
      Value t = bufferization::ToTensorOp::create(b, loc, tt,
                                                  entry.getArgument(next++),
                                                  /*restrict=*/true);
      old.replaceAllUsesWith(t);
    } else {
      caches[old] = {entry.getArgument(next), entry.getArgument(next + 1)};
      next += 2;
    }
  }
  // Results go to the out-buffers.
  SmallVector<Value> outs;
  for (unsigned r = 0; r < fn.getNumResults(); ++r)
    outs.push_back(entry.getArgument(next++));
  for (Block &blk : fn.getBody()) {
    auto ret = dyn_cast<func::ReturnOp>(blk.getTerminator());
    if (!ret)
      continue;
    OpBuilder rb(ret);
    for (auto [v, out] : llvm::zip(ret.getOperands(), outs))
      lastRowsOnly(v, out);
    for (auto [v, out] : llvm::zip(ret.getOperands(), outs))
      bufferization::MaterializeInDestinationOp::create(
          rb, ret.getLoc(), TypeRange{}, v, out, /*restrict=*/true,
          /*writable=*/true);
    func::ReturnOp::create(rb, ret.getLoc());
    ret.erase();
  }
  return success();
}

LogicalResult FunctionLowering::lowerWeight(WeightOp op) {
  WeightType wt = op.getType();
  bool packed = prepacked.contains(op.getName());
  int64_t index;
  auto it = weightIndex.find(op.getName());
  if (it != weightIndex.end()) {
    index = it->second;
  } else {
    index = static_cast<int64_t>(weightTable.size());
    weightIndex[op.getName()] = index;
    SmallVector<int64_t> ne(wt.getShape().rbegin(), wt.getShape().rend());
    SmallVector<NamedAttribute> entry = {
        b.getNamedAttr("name", op.getNameAttr()),
        b.getNamedAttr("type", b.getI64IntegerAttr(
                                   static_cast<int64_t>(wt.getGgmlType()))),
        b.getNamedAttr("ne", b.getI64ArrayAttr(ne))};
    if (packed)
      entry.push_back(b.getNamedAttr(
          "layout", b.getStringAttr(llama_mlir::packed::kRows16)));
    weightTable.push_back(b.getDictionaryAttr(entry));
  }
  // Views are created at the top of the function, after the ABI setup.
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Value off = memref::LoadOp::create(b, loc, offsets, ValueRange{e.idx(index)});
  Value offIdx = arith::IndexCastOp::create(b, loc, b.getIndexType(), off);
  MemRefType vt = weightViewType(fn.getContext(), wt.getGgmlType(),
                                 wt.getNumRows(), wt.getShape().back());
  if (packed) // tiles x groups x bytes (PackedWeights.h)
    vt = MemRefType::get({wt.getShape()[0] / kPackedRows,
                          wt.getShape()[1] / kIntDotBlock,
                          llama_mlir::packed::rows16GroupBytes(
                              static_cast<uint32_t>(wt.getGgmlType()))},
                         b.getI8Type());
  Value view = memref::ViewOp::create(b, loc, vt, file, offIdx, ValueRange{});
  const llamart::GGMLTypeTraits &tr = llamart::getGGMLTypeTraits(
      static_cast<llamart::GGMLType>(static_cast<uint32_t>(wt.getGgmlType())));
  weights[op.getResult()] = {view, wt.getGgmlType(),
                             static_cast<int64_t>(tr.blockSize),
                             static_cast<int64_t>(tr.bytesPerBlock), packed};
  return success();
}

LogicalResult FunctionLowering::lowerEmbedding(EmbeddingOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  const WeightView &w = weights.lookup(op.getTable());
  auto rt = cast<RankedTensorType>(op.getType());
  Value tokens, seq, out;
  std::tie(tokens, seq, out) = e.rowsInOut(op.getTokens(), rt);
  int64_t dim = rt.getDimSize(1);
  forAll(e, kernels.gpu, {seq, e.idx(dim)}, [&](ArrayRef<Value> iv) {
    Value tok = memref::LoadOp::create(b, e.loc, tokens, ValueRange{iv[0]});
    Value row = arith::IndexCastOp::create(b, e.loc, b.getIndexType(), tok);
    memref::StoreOp::create(b, e.loc, e.weightAt(w, row, iv[1]), out,
                            ValueRange{iv[0], iv[1]});
  });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

LogicalResult FunctionLowering::lowerRMSNorm(RMSNormOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  if (rt.getRank() != 2)
    return op.emitOpError("llama-lower-to-loops supports rank-2 inputs only");
  const WeightView &w = weights.lookup(op.getWeight());
  Value x, seq, out;
  std::tie(x, seq, out) = e.rowsInOut(op.getInput(), rt);
  int64_t dim = rt.getDimSize(1);
  // out = x * scale * w, the scales first (on GPUs a block per token).
  Value scales = rowScales(e, kernels, x, seq, dim, op.getEpsilonAttr());
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

/// A weight row: which weight, which row.
struct WeightRow {
  const WeightView *w;
  Value row;
};

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

/// The 8 f32 weights of unit `unit` (elements k0 .. k0 + 7) of a row taken
/// in 8-element units (hasEightElementUnits): a piece of an f32/f16/bf16
/// row or a part of a quantized block, dequantized.
static Value unitWeights(Emitter &e, const WeightRow &r, Value unit, Value k0) {
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

static Value rowDot(Emitter &e, const Kernels &kc, const WeightView &w,
                    int64_t k, const Activation &x, Value s, Value row) {
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

/// The dot products of token `s` with several rows: on GPUs, rows of one
/// block size in one warp loop (warpRowDots), else one rowDot each.
static SmallVector<Value> rowDots(Emitter &e, const Kernels &kc,
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
                // minCoef * dx * sum(xq)
                Value xs =
                    memref::LoadOp::create(b, e.loc, x.xs, ValueRange{s, gi});
                Value term = arith::MulFOp::create(
                    b, e.loc, grp.minCoef,
                    arith::MulFOp::create(b, e.loc, dx, xs));
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

/// The dot products of row `row` of `w` with tokens s0 .. s0+T-1 of `x`,
/// dequantizing each weight block once for the T tokens. In a warp
/// (e.lane) lane l takes blocks l, l + 32, ... and the warp adds the lanes'
/// sums, the loads marked with their alignment as in warpRowDots.
static SmallVector<Value> blockedRowDots(Emitter &e, const Kernels &kc,
                                         const WeightView &w, int64_t k,
                                         const Activation &x, Value s0,
                                         int64_t T, Value row) {
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

/// The dot products of rows `rows` with tokens s0 .. s0+T-1 of `x`, as
/// blockedRowDots, row by row ([r][t]); on GPUs, rows taken in 8-element
/// units (hasEightElementUnits) in one warp loop (warpUnitDots): each
/// unit's weights loaded and dequantized once for the T tokens, each
/// token's activation piece once for the rows. Per multiply-add a warp then
/// reads (2R + 4T) / (R T) bytes (f16 weights, f32 activations), 2.5 for
/// two rows of 4 tokens where one row read 4.5 — a prefill's row kernels
/// read their activations from L2 again for every row — and consecutive
/// lanes read consecutive activations (a lane per quantized block read 32
/// cache lines per load instruction).
static SmallVector<SmallVector<Value>>
blockedRowsDots(Emitter &e, const Kernels &kc, ArrayRef<WeightRow> rows,
                int64_t k, const Activation &x, Value s0, int64_t T) {
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

/// Every token of the batch: with `blocked`, T at a time through
/// `blockBody(s0)` and the remainder one by one through `body(s)`.
static void forTokens(Emitter &e, Value seq, bool blocked, int64_t T,
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

/// Rows in parallel, every token of the batch inside, so that a weight row is
/// read from memory once (see forTokens for `blocked`).
static void forRowsAndTokens(Emitter &e, bool warp, int64_t rows, Value seq,
                             bool blocked, int64_t T,
                             function_ref<void(Value row, Value s0)> blockBody,
                             function_ref<void(Value row, Value s)> body) {
  parallelRows(e, warp, rows, [&](Value row) {
    forTokens(
        e, seq, blocked, T, [&](Value s0) { blockBody(row, s0); },
        [&](Value s) { body(row, s); });
  });
}

/// The tiled GEMM of GPU prefills (tiledMatmul): a block of 128 threads
/// computes kTileSlots weight rows (slots) for kTileTokens tokens, over K
/// in steps of kTileK.
constexpr int64_t kTileThreads = 128;
constexpr int64_t kTileSlots = 64;
constexpr int64_t kTileTokens = 32;
constexpr int64_t kTileK = 32;

/// The rows of a weight that tiledMatmul's j-th value of group g is the
/// dot product with: row g * stride + offset of `w`.
struct TileRows {
  const WeightView *w;
  int64_t stride = 1, offset = 0;
};

/// Whether tiledMatmul computes the prefill of `rows` (one weight; gate
/// and up; or the rows 2g, 2g+1 of a RoPE pair) for `groups` groups (n
/// rows of k each): GPU code with the block size it is made for, groups
/// and K in whole tiles, weights in 8-element units, activations in f32
/// (normalized already, as on GPUs).
static bool tiledMatmulApplies(const Kernels &kc, ArrayRef<TileRows> rows,
                               int64_t groups, int64_t k, const Activation &x) {
  int64_t m = static_cast<int64_t>(rows.size());
  return kc.gpu && kc.blockThreads == kTileThreads && (m == 1 || m == 2) &&
         groups % (kTileSlots / m) == 0 && k % kTileK == 0 && !x.xq &&
         !x.normDim && llvm::all_of(rows, [&](const TileRows &r) {
           return hasEightElementUnits(*r.w) && canVectorizeDot(*r.w, k);
         });
}

/// Row of source `r` for group `g`: g * stride + offset.
static Value tileRowOf(Emitter &e, const TileRows &r, Value g) {
  OpBuilder &b = e.b;
  Value row = r.stride == 1
                  ? g
                  : Value(arith::MulIOp::create(b, e.loc, g, e.idx(r.stride)));
  return r.offset ? Value(arith::AddIOp::create(b, e.loc, row, e.idx(r.offset)))
                  : row;
}

/// The frame of the prefill GEMMs (tiledMatmul): a block of kTileThreads
/// threads per (row tile, token tile), the row tiles' blocks each going over
/// all token tiles (the activations, read by every row tile, stay in L2;
/// each weight is read from memory once). body(g0, s0, t): the tile's first
/// group and token, the thread. Its vector loads and stores are marked with
/// the alignment their indices give (markAlignments).
static void forTileTasks(Emitter &e, int64_t rowTiles, int64_t groups,
                         Value seq,
                         function_ref<void(Value g0, Value s0, Value t)> body) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  // token tiles = ceil(seq / kTileTokens)
  Value tokTiles = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, seq, e.idx(kTileTokens - 1)),
      e.idx(kTileTokens));
  Value tasks = arith::MulIOp::create(b, loc, tokTiles, e.idx(rowTiles));
  CreatedOps created;
  OpBuilder::Listener *outer = b.getListener();
  b.setListener(&created);
  parallelBlocks(e, tasks, kTileThreads, [&](Value task, Value t) {
    Value rowTile = arith::DivUIOp::create(b, loc, task, tokTiles);
    Value s0 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, task, tokTiles),
        e.idx(kTileTokens));
    body(arith::MulIOp::create(b, loc, rowTile, e.idx(groups)), s0, t);
  });
  b.setListener(outer);
  markAlignments(created);
}

/// One of the 2 x kTileThreads units of 8 weights a block stages per K step
/// (tiledMatmul): unit u's lane l = u % 32 of warp w = u / 32 takes, with
/// one source, group (w % 2) * 32 + l of the tile, with two, source w % 2
/// of group l; elements part * 8 .. + 7 of the step, part = w / 2 (a warp
/// stages one source). `group` is the group in the tile, `source` its
/// source (0 with one), `partK` part * 8, `weights` the 8 values as f32.
struct StagedUnit {
  Value group, source, partK, weights;
};
static StagedUnit stageWeightUnit(Emitter &e, ArrayRef<TileRows> rows, Value g0,
                                  Value u, Value kc) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value lane = arith::RemUIOp::create(b, loc, u, e.idx(kWarp));
  Value wi = arith::DivUIOp::create(b, loc, u, e.idx(kWarp));
  Value h = arith::RemUIOp::create(b, loc, wi, e.idx(2));
  Value part = arith::DivUIOp::create(b, loc, wi, e.idx(2));
  Value partK = arith::MulIOp::create(b, loc, part, e.idx(kWarpPiece));
  Value k0 = arith::AddIOp::create(b, loc, kc, partK);
  Value unit = arith::DivUIOp::create(b, loc, k0, e.idx(kWarpPiece));
  if (rows.size() == 1) {
    Value group = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, h, e.idx(kWarp)), lane);
    Value g = arith::AddIOp::create(b, loc, g0, group);
    return {group, e.idx(0), partK,
            unitWeights(e, {rows[0].w, tileRowOf(e, rows[0], g)}, unit, k0)};
  }
  Value g = arith::AddIOp::create(b, loc, g0, lane);
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, h, e.idx(0));
  auto pick = scf::IfOp::create(
      b, loc, TypeRange{VectorType::get({kWarpPiece}, b.getF32Type())}, first,
      /*withElseRegion=*/true);
  for (int64_t j = 0; j < 2; ++j) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(j ? pick.elseBlock() : pick.thenBlock());
    scf::YieldOp::create(
        b, loc,
        unitWeights(e, {rows[j].w, tileRowOf(e, rows[j], g)}, unit, k0));
  }
  return {lane, h, partK, pick.getResult(0)};
}

static void mmaMatmul(
    Emitter &e, ArrayRef<TileRows> rows, int64_t n, int64_t k,
    const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store);

/// A prefill's y_j[s, g] = sum_k x[s, k] * w_j[g * stride_j + offset_j, k]
/// for the row sources `rows` (m = rows.size() values per group g: one
/// weight, gate and up, or a RoPE pair) on GPUs, as a GEMM tiled in shared
/// memory (tiledMatmulApplies). A block of kTileThreads threads takes
/// kTileSlots slots (kTileSlots / m groups of m, slot g * m + j being
/// group g's row of source j) times kTileTokens tokens (forTileTasks).
/// For each kTileK-wide step of K the block
/// stages its slots' weights, dequantized (each thread 2 units of 8,
/// stageWeightUnit), and
/// its tokens' activations (each thread 2 pieces of 4) into workgroup
/// memory, transposed ([k][slot], [k][token]: a warp's stores go to
/// consecutive words), waits at a barrier, and each thread adds the
/// products of 4 slots x 4 tokens for every k (two 16-byte shared loads per
/// 16 multiply-adds), then waits again before the next step. The GEMV-like
/// kernels before (a warp per 2 rows, 4 tokens at a time) read every
/// token's activations again for every row pair: 2.5 bytes of L2 per
/// multiply-add, here (4 bytes of activations + 2 of f16 weights) / 64 slots
/// and 32 tokens, about 0.1. Tokens past `seq` in the last token tile load
/// the last token's activations and are not stored.
/// With kc.tensorCores, mmaMatmul computes the same.
/// store(s, g, values): token s, group g, the m values (source j's in
/// [j]).
static void tiledMatmul(
    Emitter &e, const Kernels &kc, ArrayRef<TileRows> rows, int64_t n,
    int64_t k, const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store) {
  if (kc.tensorCores)
    return mmaMatmul(e, rows, n, k, x, seq, store);
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t m = static_cast<int64_t>(rows.size());
  int64_t groups = kTileSlots / m; // groups per tile
  Type f32 = b.getF32Type();
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t cols) {
    return MemRefType::get({kTileK, cols}, f32, MemRefLayoutAttrInterface{},
                           space);
  };
  auto v4 = VectorType::get({4}, f32);
  Value last = arith::SubIOp::create(b, loc, seq, e.idx(1));
  forTileTasks(e, n / groups, groups, seq, [&](Value g0, Value s0, Value t) {
    Value wTile = memref::AllocaOp::create(b, loc, shared(kTileSlots));
    Value xTile = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    // The compute layout: slots ty*4 .. ty*4+3, tokens tx*4 .. tx*4+3.
    Value ty = arith::DivUIOp::create(b, loc, t, e.idx(8));
    Value tx = arith::RemUIOp::create(b, loc, t, e.idx(8));
    Value slot0 = arith::MulIOp::create(b, loc, ty, e.idx(4));
    Value tok0 = arith::MulIOp::create(b, loc, tx, e.idx(4));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v4, b.getF32FloatAttr(0)));
    auto steps = scf::ForOp::create(
        b, loc, e.idx(0), e.idx(k), e.idx(kTileK), SmallVector<Value>(4, zero),
        [&](OpBuilder &nb, Location, Value kc, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Operation *lastStore = nullptr;
          for (int64_t i = 0; i < 2; ++i) {
            Value u = arith::AddIOp::create(b, loc, t, e.idx(kTileThreads * i));
            StagedUnit su = stageWeightUnit(e, rows, g0, u, kc);
            // Slot group * m + source.
            Value slot =
                m == 1 ? su.group
                       : Value(arith::AddIOp::create(
                             b, loc,
                             arith::MulIOp::create(b, loc, su.group, e.idx(m)),
                             su.source));
            for (int64_t j = 0; j < kWarpPiece; ++j) {
              Value kk = arith::AddIOp::create(b, loc, su.partK, e.idx(j));
              Value v = vector::ExtractOp::create(b, loc, su.weights, j);
              memref::StoreOp::create(b, loc, v, wTile, ValueRange{kk, slot});
            }
            // Activations: piece v = t + 128 i of the tile's 256: token
            // v % 32, elements (v / 32) * 4 .. +3 of this step.
            Value tok = arith::RemUIOp::create(b, loc, u, e.idx(kTileTokens));
            Value q = arith::DivUIOp::create(b, loc, u, e.idx(kTileTokens));
            Value s = arith::MinUIOp::create(
                b, loc, arith::AddIOp::create(b, loc, s0, tok), last);
            Value kq = arith::MulIOp::create(b, loc, q, e.idx(4));
            Value xv = x.load(e, s, arith::AddIOp::create(b, loc, kc, kq), 4);
            for (int64_t j = 0; j < 4; ++j) {
              Value kk = arith::AddIOp::create(b, loc, kq, e.idx(j));
              Value v = vector::ExtractOp::create(b, loc, xv, j);
              lastStore = memref::StoreOp::create(b, loc, v, xTile,
                                                  ValueRange{kk, tok});
            }
          }
          lastStore->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          auto dots = scf::ForOp::create(
              b, loc, e.idx(0), e.idx(kTileK), e.idx(1), accs,
              [&](OpBuilder &ib, Location, Value kk, ValueRange acc) {
                OpBuilder::InsertionGuard g(b);
                b.setInsertionPoint(ib.getInsertionBlock(),
                                    ib.getInsertionPoint());
                auto wLoad = vector::LoadOp::create(b, loc, v4, wTile,
                                                    ValueRange{kk, slot0});
                auto xLoad = vector::LoadOp::create(b, loc, v4, xTile,
                                                    ValueRange{kk, tok0});
                wLoad.setAlignment(16);
                xLoad.setAlignment(16);
                SmallVector<Value> next;
                for (int64_t i = 0; i < 4; ++i) {
                  Value wi = vector::BroadcastOp::create(
                      b, loc, v4, vector::ExtractOp::create(b, loc, wLoad, i));
                  next.push_back(
                      vector::FMAOp::create(b, loc, v4, wi, xLoad, acc[i]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          dots->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          scf::YieldOp::create(b, loc, dots.getResults());
        });
    // acc[i][j]: slot slot0 + i, token tok0 + j; slots slot0 + i .. + m - 1
    // are group (slot0 + i) / m.
    SmallVector<Value> groupOf;
    for (int64_t i = 0; i < 4; i += m)
      groupOf.push_back(arith::AddIOp::create(
          b, loc, g0,
          arith::DivUIOp::create(b, loc,
                                 arith::AddIOp::create(b, loc, slot0, e.idx(i)),
                                 e.idx(m))));
    for (int64_t j = 0; j < 4; ++j) {
      Value s = arith::AddIOp::create(
          b, loc, s0, arith::AddIOp::create(b, loc, tok0, e.idx(j)));
      Value valid =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, s, seq);
      scf::IfOp::create(b, loc, valid, [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        for (int64_t i = 0; i < 4; i += m) {
          SmallVector<Value> values;
          for (int64_t jw = 0; jw < m; ++jw)
            values.push_back(x.finish(
                e, s,
                vector::ExtractOp::create(b, loc, steps.getResult(i + jw), j)));
          store(s, groupOf[i / m], values);
        }
        scf::YieldOp::create(b, loc);
      });
    }
  });
}

/// Halves per row of mmaMatmul's tiles: a K step and 8 of padding, so that
/// the 8 rows a fragment load reads start in 8 different groups of 4 banks
/// (rows 80 bytes apart).
constexpr int64_t kMmaRowHalves = kTileK + 8;

/// tiledMatmul on tensor cores (kc.tensorCores; the kernel configuration's
/// tensor_cores): the same tiles and staging, but the block keeps its
/// tiles as f16 rows ([slot][k], [token][k], kMmaRowHalves apart) and warp
/// w computes slots 16w .. 16w + 15 of the tile times its 32 tokens as 4
/// nvgpu.mma.sync m16n8k16 (f16 products, f32 sums) per 16 of K. Each value
/// v is staged as hi = f16(v) and lo = f16(v - hi), and a product is
/// hi_w * hi_x + hi_w * lo_x + lo_w * hi_x (F16 weights are exact: no lo_w),
/// about 22 bits of each operand: the results stay within the f32 GEMM's
/// tolerance, where f16 activations alone moved the tiny model's logits by
/// 6.5e-3.
///
/// The fragments (PTX ISA, mma.m16n8k16 .f16; lane = 4 * group + index):
/// A (16 x 16, slots x k) register r holds row group + 8 (r % 2), columns
/// 2 index + 8 (r / 2) + {0, 1}; B (16 x 8, k x tokens) register r holds
/// token group, k = 2 index + 8 r + {0, 1}; C/D row r holds row group + 8 r,
/// tokens 2 index + {0, 1}. With two sources the 16 slots of warp w are
/// groups 8w .. 8w + 7 of source 0, then the same groups of source 1, so
/// that a lane holds both values of its group.
static void mmaMatmul(
    Emitter &e, ArrayRef<TileRows> rows, int64_t n, int64_t k,
    const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t m = static_cast<int64_t>(rows.size());
  int64_t groups = kTileSlots / m; // groups per tile
  // Weights already in f16 need no low part.
  bool weightLo = !llvm::all_of(
      rows, [](const TileRows &r) { return r.w->type == GGMLType::F16; });
  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t rowsOfTile) {
    return MemRefType::get({rowsOfTile, kMmaRowHalves}, f16,
                           MemRefLayoutAttrInterface{}, space);
  };
  auto h2 = VectorType::get({2}, f16);
  auto aType = VectorType::get({4, 2}, f16);
  auto bType = VectorType::get({2, 2}, f16);
  auto cType = VectorType::get({2, 2}, f32);
  Value last = arith::SubIOp::create(b, loc, seq, e.idx(1));
  // hi and (where `withLo`) lo halves of an f32 vector.
  auto split = [&](Value v, bool withLo) -> std::pair<Value, Value> {
    auto vt = cast<VectorType>(v.getType());
    auto ht = VectorType::get(vt.getShape(), f16);
    Value hi = arith::TruncFOp::create(b, loc, ht, v);
    if (!withLo)
      return {hi, Value()};
    Value rest =
        arith::SubFOp::create(b, loc, v, arith::ExtFOp::create(b, loc, vt, hi));
    return {hi, arith::TruncFOp::create(b, loc, ht, rest)};
  };
  // A 16-byte store of 8 halves.
  auto store8 = [&](Value v, Value tile, Value row, Value col) {
    return vector::StoreOp::create(b, loc, v, tile, ValueRange{row, col},
                                   /*nontemporal=*/false, llvm::MaybeAlign(16));
  };
  forTileTasks(e, n / groups, groups, seq, [&](Value g0, Value s0, Value t) {
    Value wHi = memref::AllocaOp::create(b, loc, shared(kTileSlots));
    Value wLo =
        weightLo ? Value(memref::AllocaOp::create(b, loc, shared(kTileSlots)))
                 : Value();
    Value xHi = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    Value xLo = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    Value warp = arith::DivUIOp::create(b, loc, t, e.idx(kWarp));
    Value lane = arith::RemUIOp::create(b, loc, t, e.idx(kWarp));
    Value grp = arith::DivUIOp::create(b, loc, lane, e.idx(4));
    Value idx2 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, lane, e.idx(4)), e.idx(2));
    Value rowA = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, warp, e.idx(16)), grp);
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(cType, b.getF32FloatAttr(0)));
    auto steps = scf::ForOp::create(
        b, loc, e.idx(0), e.idx(k), e.idx(kTileK),
        SmallVector<Value>(kTileTokens / 8, zero),
        [&](OpBuilder &nb, Location, Value kc, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          for (int64_t i = 0; i < 2; ++i) {
            Value u = arith::AddIOp::create(b, loc, t, e.idx(kTileThreads * i));
            StagedUnit su = stageWeightUnit(e, rows, g0, u, kc);
            // Row (group / 8) * 16 + group % 8 + 8 * source with two
            // sources, the group with one.
            Value row = su.group;
            if (m == 2)
              row = arith::AddIOp::create(
                  b, loc,
                  arith::AddIOp::create(
                      b, loc,
                      arith::MulIOp::create(
                          b, loc,
                          arith::DivUIOp::create(b, loc, su.group, e.idx(8)),
                          e.idx(16)),
                      arith::RemUIOp::create(b, loc, su.group, e.idx(8))),
                  arith::MulIOp::create(b, loc, su.source, e.idx(8)));
            auto [hi, lo] = split(su.weights, weightLo);
            store8(hi, wHi, row, su.partK);
            if (weightLo)
              store8(lo, wLo, row, su.partK);
          }
          // Activations: thread t stages token t % 32, elements
          // (t / 32) * 8 .. + 7 of this step.
          Value tok = arith::RemUIOp::create(b, loc, t, e.idx(kTileTokens));
          Value q = arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, t, e.idx(kTileTokens)),
              e.idx(8));
          Value s = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, s0, tok), last);
          auto [xh, xl] =
              split(x.load(e, s, arith::AddIOp::create(b, loc, kc, q), 8),
                    /*withLo=*/true);
          store8(xh, xHi, tok, q);
          store8(xl, xLo, tok, q)
              ->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          // A fragment register: the 2 halves at (row0 + dr, col0 + dc).
          auto pair = [&](Value tile, Value row0, Value col0, int64_t dr,
                          int64_t dc) {
            auto l = vector::LoadOp::create(
                b, loc, h2, tile,
                ValueRange{arith::AddIOp::create(b, loc, row0, e.idx(dr)),
                           arith::AddIOp::create(b, loc, col0, e.idx(dc))});
            l.setAlignment(4);
            return l.getResult();
          };
          SmallVector<Value> acc(accs.begin(), accs.end());
          Operation *lastMma = nullptr;
          auto mma = [&](Value a, Value bf, Value c) {
            auto op = nvgpu::MmaSyncOp::create(b, loc, a, bf, c,
                                               ArrayRef<int64_t>{16, 8, 16});
            lastMma = op;
            return op.getResult();
          };
          // The 8 (4) halves of an A (B) fragment from its registers.
          auto assemble = [&](VectorType type, ArrayRef<Value> regs) {
            SmallVector<Value> halves;
            for (Value r : regs)
              for (int64_t j = 0; j < 2; ++j)
                halves.push_back(vector::ExtractOp::create(b, loc, r, j));
            return vector::FromElementsOp::create(b, loc, type, halves)
                .getResult();
          };
          for (int64_t kk = 0; kk < kTileK; kk += 16) {
            Value colA = arith::AddIOp::create(b, loc, idx2, e.idx(kk));
            auto aOf = [&](Value tile) {
              SmallVector<Value> regs;
              for (int64_t r = 0; r < 4; ++r)
                regs.push_back(
                    pair(tile, rowA, colA, 8 * (r % 2), 8 * (r / 2)));
              return assemble(aType, regs);
            };
            Value aHi = aOf(wHi);
            Value aLo = weightLo ? aOf(wLo) : Value();
            for (int64_t j = 0; j < kTileTokens / 8; ++j) {
              Value tokB = arith::AddIOp::create(b, loc, grp, e.idx(8 * j));
              auto bOf = [&](Value tile) {
                return assemble(bType, {pair(tile, tokB, colA, 0, 0),
                                        pair(tile, tokB, colA, 0, 8)});
              };
              Value bHi = bOf(xHi), bLo = bOf(xLo);
              acc[j] = mma(aHi, bLo, acc[j]);
              if (weightLo)
                acc[j] = mma(aLo, bHi, acc[j]);
              acc[j] = mma(aHi, bHi, acc[j]);
            }
          }
          lastMma->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          scf::YieldOp::create(b, loc, acc);
        });
    // acc[j][r][v]: tile row rowA + 8 r, token s0 + 8 j + idx2 + v.
    Value groupA =
        m == 1
            ? rowA
            : Value(arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, warp, e.idx(8)), grp));
    groupA = arith::AddIOp::create(b, loc, g0, groupA);
    for (int64_t j = 0; j < kTileTokens / 8; ++j)
      for (int64_t v = 0; v < 2; ++v) {
        Value s = arith::AddIOp::create(
            b, loc, s0, arith::AddIOp::create(b, loc, idx2, e.idx(8 * j + v)));
        Value valid =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, s, seq);
        scf::IfOp::create(b, loc, valid, [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          auto value = [&](int64_t r) {
            return x.finish(e, s,
                            vector::ExtractOp::create(b, loc,
                                                      steps.getResult(j),
                                                      ArrayRef<int64_t>{r, v}));
          };
          if (m == 2) {
            store(s, groupA, {value(0), value(1)});
          } else {
            store(s, groupA, {value(0)});
            store(s, arith::AddIOp::create(b, loc, groupA, e.idx(8)),
                  {value(1)});
          }
          scf::YieldOp::create(b, loc);
        });
      }
  });
}

/// The activation operand of a matmul-like op whose weights are `rows`,
/// with its optional RMSNorm prologue: the norm weight is converted to f32
/// once and the row scale of every token computed once, before the
/// parallel loop (on GPUs, see normPrologue).
Activation FunctionLowering::activation(Emitter &e, Value input, Value norm,
                                        std::optional<APFloat> eps,
                                        bool quantize,
                                        ArrayRef<const WeightView *> rows) {
  Activation a;
  a.x = e.buffer(input);
  int64_t dim = cast<MemRefType>(a.x.getType()).getDimSize(1);
  if (norm)
    normPrologue(e, a, norm, eps, rows);
  if (quantize && kernels.intDot != IntDotISA::None && dim % kIntDotBlock == 0)
    quantizeActivations(e, a, dim);
  return a;
}

/// gamma as f32 and the row scale of every token (see Activation).
void FunctionLowering::normPrologue(Emitter &e, Activation &a, Value norm,
                                    std::optional<APFloat> eps,
                                    ArrayRef<const WeightView *> rows) {
  int64_t dim = cast<MemRefType>(a.x.getType()).getDimSize(1);
  const WeightView &g = weights.lookup(norm);
  Value seq = e.dim(a.x, 0);
  if (g.type == GGMLType::F32) {
    // The weight itself (its [1, dim] view as [dim]): no copy, and on GPUs
    // no kernel launch per norm and token.
    a.gamma = memref::CollapseShapeOp::create(
        b, e.loc, g.view, ArrayRef<ReassociationIndices>{{0, 1}});
  } else {
    a.gamma = memref::AllocOp::create(b, e.loc,
                                      MemRefType::get({dim}, b.getF32Type()));
    forAll(e, kernels.gpu, {e.idx(dim)}, [&](ArrayRef<Value> iv) {
      memref::StoreOp::create(b, e.loc, e.weightAt(g, e.idx(0), iv[0]), a.gamma,
                              iv);
    });
  }
  FloatAttr epsAttr = b.getF32FloatAttr(eps->convertToFloat());
  // A decode step (one token, a static row count) of f32/f16/bf16 rows,
  // with the norm weight used in place: every warp of the row kernel
  // computes the scale from the x pieces it loads anyway (warpUnitDots),
  // so no kernel normalizes the row first. A decode norm was one warp on
  // the whole GPU, 2 passes over the row, and a kernel boundary, twice a
  // layer, ahead of the row kernels. What it costs them: one gamma piece
  // per unit from L1 (the same for every warp) and an FMA, under 16-byte
  // f16 loads from HBM; quantized rows, 9 bytes of Q4_0 per 8 elements,
  // would make the activations the larger read, so they keep the kernel
  // unless kernels.quantizedRowNorms (gpu-quantized-row-norms) says
  // otherwise.
  if (kernels.gpu && g.type == GGMLType::F32 &&
      !cast<MemRefType>(a.x.getType()).isDynamicDim(0) &&
      llvm::all_of(rows, [&](const WeightView *w) {
        return (isUnquantized(*w) || kernels.quantizedRowNorms) &&
               hasEightElementUnits(*w) && canVectorizeDot(*w, dim);
      })) {
    a.normDim = dim;
    a.normEps = epsAttr;
    return;
  }
  if (kernels.gpu) {
    // Normalized once per token by the kernel that computes the scales:
    // the row kernels then load one activation piece per step, not x and
    // gamma (on GPUs these loads, repeated by every row, cost L1
    // bandwidth; on CPUs the prologue stays fused: no extra pass over x).
    a.x = normalizedRows(e, kernels.blockThreads, a.x, a.gamma, seq, dim,
                         epsAttr);
    a.gamma = {};
    return;
  }
  a.scales = rowScales(e, kernels, a.x, seq, dim, epsAttr);
}

/// xq, xd of the activations (times gamma), block by block:
///   d = max|v| / 127,  q = round(v * (d != 0 ? 1/d : 0))
/// with round-half-away-from-zero, in f32 (the numpy reference does the
/// same, python/llama_ref/ops.py quantize_q8_0).
void FunctionLowering::quantizeActivations(Emitter &e, Activation &a,
                                           int64_t dim) {
  Value seq = e.dim(a.x, 0);
  int64_t nb = dim / kIntDotBlock;
  a.xq = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, dim}, b.getI8Type()),
      ValueRange{seq});
  a.xd = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, nb}, b.getF32Type()),
      ValueRange{seq});
  a.xs = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, nb}, b.getF32Type()),
      ValueRange{seq});
  auto vt = VectorType::get({kIntDotBlock}, b.getF32Type());
  e.loop(e.idx(0), seq, [&](Value s) {
    e.loop(e.idx(0), e.idx(nb), [&](Value blk) {
      Value k0 = arith::MulIOp::create(b, e.loc, blk, e.idx(kIntDotBlock));
      Value v = a.load(e, s, k0, kIntDotBlock);
      Value amax =
          vector::ReductionOp::create(b, e.loc, vector::CombiningKind::MAXNUMF,
                                      math::AbsFOp::create(b, e.loc, v));
      Value d = arith::DivFOp::create(b, e.loc, amax, e.f32(127.0));
      Value nz = arith::CmpFOp::create(b, e.loc, arith::CmpFPredicate::UNE, d,
                                       e.f32(0.0));
      Value id = arith::SelectOp::create(
          b, e.loc, nz, arith::DivFOp::create(b, e.loc, e.f32(1.0), d),
          e.f32(0.0));
      Value q = math::RoundOp::create(
          b, e.loc,
          arith::MulFOp::create(b, e.loc, v,
                                vector::BroadcastOp::create(b, e.loc, vt, id)));
      Value qi = arith::FPToSIOp::create(
          b, e.loc, VectorType::get({kIntDotBlock}, b.getI8Type()), q);
      vector::StoreOp::create(b, e.loc, qi, a.xq, ValueRange{s, k0});
      memref::StoreOp::create(b, e.loc, d, a.xd, ValueRange{s, blk});
      // The quants are integers in [-127, 127]: their f32 sum is exact.
      memref::StoreOp::create(
          b, e.loc,
          vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, q),
          a.xs, ValueRange{s, blk});
    });
  });
}

LogicalResult FunctionLowering::lowerMatmul(MatmulOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  const WeightView &w = weights.lookup(op.getWeight());
  WeightType wt = op.getWeight().getType();
  int64_t n = wt.getShape()[0], k = wt.getShape()[1];
  Activation x = activation(e, op.getInput(), op.getNorm(), op.getEpsilon(),
                            canIntDot(w, k), {&w});
  Value seq = e.dim(x.x, 0);
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  // The residual add of the result (its only use: `r + y` or `y + r`, `r`
  // defined before the matmul), folded into the stores: the same sums, one
  // pass over the activations fewer (on GPUs a kernel launch fewer).
  arith::AddFOp add;
  Value residual;
  if (op->hasOneUse())
    if ((add = dyn_cast<arith::AddFOp>(*op->user_begin()))) {
      Value r = add.getLhs() == op.getResult() ? add.getRhs() : add.getLhs();
      Operation *def = r.getDefiningOp();
      if (r != op.getResult() && r.getType() == rt &&
          (!def
               ? cast<BlockArgument>(r).getOwner() == op->getBlock()
               : def->getBlock() == op->getBlock() && def->isBeforeInBlock(op)))
        residual = e.buffer(r);
    }
  auto store = [&](Value y, Value s, Value row) {
    if (residual) {
      Value r = memref::LoadOp::create(b, e.loc, residual, ValueRange{s, row});
      y = add.getLhs() == op.getResult()
              ? arith::AddFOp::create(b, e.loc, y, r)
              : arith::AddFOp::create(b, e.loc, r, y);
    }
    memref::StoreOp::create(b, e.loc, y, out, ValueRange{s, row});
  };
  bool blocked = kernels.blocksTokens(w, k) && rt.isDynamicDim(0);
  FailureOr<bool> tiles =
      takesTiles(op, {&w}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&w}, n, k, x), rt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  if (*tiles) {
    // A CPU prefill in packed tiles of 16 rows: vector loads and stores of
    // the 16 results (and residuals) of a token.
    auto vt = VectorType::get({kPackedRows}, b.getF32Type());
    PackedActivations px = packedActivations(e, x);
    parallelRowTiles(e, n, [&](Value r0) {
      emitPackedRowTile(
          b, e.loc, packedDotKind(kernels.intDot), {&w}, k, px, r0, seq,
          kernels.tokenBlock, [&](Value s, ArrayRef<Value> ys) {
            Value y = ys[0];
            if (residual) {
              Value r = vector::LoadOp::create(b, e.loc, vt, residual,
                                               ValueRange{s, r0});
              y = add.getLhs() == op.getResult()
                      ? arith::AddFOp::create(b, e.loc, y, r)
                      : arith::AddFOp::create(b, e.loc, r, y);
            }
            vector::StoreOp::create(b, e.loc, y, out, ValueRange{s, r0});
          });
    });
  } else if (rt.isDynamicDim(0) &&
             tiledMatmulApplies(kernels, {{&w}}, n, k, x)) {
    // A GPU prefill: the GEMM tiled in shared memory.
    tiledMatmul(
        e, kernels, {{&w}}, n, k, x, seq,
        [&](Value s, Value row, ArrayRef<Value> y) { store(y[0], s, row); });
  } else if (kernels.gpu && n % 2 == 0 && canVectorizeDot(w, k) &&
             (!blocked || hasEightElementUnits(w))) {
    // On GPUs two rows per warp: they share the activation loads
    // (warpRowDots; in a prefill blockedRowsDots, T tokens at a time).
    parallelRows(e, /*warp=*/true, n / 2, [&](Value pair) {
      Value r0 = arith::MulIOp::create(b, e.loc, pair, e.idx(2));
      Value r1 = arith::AddIOp::create(b, e.loc, r0, e.idx(1));
      forTokens(
          e, seq, blocked, kernels.tokenBlock,
          [&](Value s0) {
            SmallVector<SmallVector<Value>> d = blockedRowsDots(
                e, kernels, {{&w, r0}, {&w, r1}}, k, x, s0, kernels.tokenBlock);
            for (int64_t t = 0; t < kernels.tokenBlock; ++t) {
              Value s = arith::AddIOp::create(b, e.loc, s0, e.idx(t));
              store(d[0][t], s, r0);
              store(d[1][t], s, r1);
            }
          },
          [&](Value s) {
            SmallVector<Value> d =
                rowDots(e, kernels, {{&w, r0}, {&w, r1}}, k, x, s);
            store(d[0], s, r0);
            store(d[1], s, r1);
          });
    });
  } else
    forRowsAndTokens(
        e, kernels.gpu, n, seq, blocked, kernels.tokenBlock,
        [&](Value row, Value s0) {
          SmallVector<Value> sums =
              blockedRowDots(e, kernels, w, k, x, s0, kernels.tokenBlock, row);
          for (int64_t t = 0; t < kernels.tokenBlock; ++t)
            store(sums[t], arith::AddIOp::create(b, e.loc, s0, e.idx(t)), row);
        },
        [&](Value row, Value s) {
          store(rowDot(e, kernels, w, k, x, s, row), s, row);
        });
  if (residual) {
    add.getResult().replaceAllUsesWith(e.toTensor(out, rt));
    add->erase();
    op->erase();
    return success();
  }
  e.replaceWithBuffer(op, out, rt);
  return success();
}

LogicalResult FunctionLowering::lowerMatmulSwiGLU(MatmulSwiGLUOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  const WeightView &wg = weights.lookup(op.getGate());
  const WeightView &wu = weights.lookup(op.getUp());
  WeightType wt = op.getGate().getType();
  int64_t n = wt.getShape()[0], k = wt.getShape()[1];
  Activation x = activation(e, op.getInput(), op.getNorm(), op.getEpsilon(),
                            canIntDot(wg, k) || canIntDot(wu, k), {&wg, &wu});
  Value seq = e.dim(x.x, 0);
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  // silu(g) * u = g / (1 + exp(-g)) * u, in the epilogue.
  auto epilogue = [&](Value g, Value u) -> Value {
    Value ex =
        math::ExpOp::create(b, e.loc, arith::NegFOp::create(b, e.loc, g));
    Value silu = arith::DivFOp::create(
        b, e.loc, g, arith::AddFOp::create(b, e.loc, e.f32(1.0), ex));
    return arith::MulFOp::create(b, e.loc, silu, u);
  };
  bool blocked = kernels.blocksTokens(wg, k) && kernels.blocksTokens(wu, k) &&
                 rt.isDynamicDim(0);
  FailureOr<bool> tiles =
      takesTiles(op, {&wg, &wu}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&wg, &wu}, n, k, x), rt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  if (*tiles) {
    // A CPU prefill in packed tiles: gate and up tiles side by side, the
    // epilogue per row.
    PackedActivations px = packedActivations(e, x);
    parallelRowTiles(e, n, [&](Value r0) {
      emitPackedRowTile(
          b, e.loc, packedDotKind(kernels.intDot), {&wg, &wu}, k, px, r0, seq,
          kernels.tokenBlock, [&](Value s, ArrayRef<Value> gu) {
            for (int64_t i = 0; i < kPackedRows; ++i)
              memref::StoreOp::create(
                  b, e.loc,
                  epilogue(vector::ExtractOp::create(b, e.loc, gu[0], i),
                           vector::ExtractOp::create(b, e.loc, gu[1], i)),
                  out,
                  ValueRange{s, arith::AddIOp::create(b, e.loc, r0, e.idx(i))});
          });
    });
    e.replaceWithBuffer(op, out, rt);
    return success();
  }
  if (rt.isDynamicDim(0) &&
      tiledMatmulApplies(kernels, {{&wg}, {&wu}}, n, k, x)) {
    // A GPU prefill: gate and up in one GEMM tiled in shared memory.
    tiledMatmul(e, kernels, {{&wg}, {&wu}}, n, k, x, seq,
                [&](Value s, Value row, ArrayRef<Value> gu) {
                  memref::StoreOp::create(b, e.loc, epilogue(gu[0], gu[1]), out,
                                          ValueRange{s, row});
                });
    e.replaceWithBuffer(op, out, rt);
    return success();
  }
  forRowsAndTokens(
      e, kernels.gpu, n, seq, blocked, kernels.tokenBlock,
      [&](Value row, Value s0) {
        SmallVector<SmallVector<Value>> gu = blockedRowsDots(
            e, kernels, {{&wg, row}, {&wu, row}}, k, x, s0, kernels.tokenBlock);
        for (int64_t t = 0; t < kernels.tokenBlock; ++t)
          memref::StoreOp::create(
              b, e.loc, epilogue(gu[0][t], gu[1][t]), out,
              ValueRange{arith::AddIOp::create(b, e.loc, s0, e.idx(t)), row});
      },
      [&](Value row, Value s) {
        SmallVector<Value> gu =
            rowDots(e, kernels, {{&wg, row}, {&wu, row}}, k, x, s);
        memref::StoreOp::create(b, e.loc, epilogue(gu[0], gu[1]), out,
                                ValueRange{s, row});
      });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

/// Layer `layer` of a cache buffer [layers, ctx, kv heads, head dim] as a
/// [ctx, kv heads, head dim] view. Loops index the view rather than the
/// cache with the layer as a constant: on GPUs the view is a kernel
/// argument, so every layer's KV-write and attention kernels are the same
/// code (one kernel for all layers after llama-merge-gpu-modules).
static Value cacheLayer(OpBuilder &b, Location loc, Value cache,
                        int64_t layer) {
  auto t = cast<MemRefType>(cache.getType());
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)),
      sizes = memref::getMixedSizes(b, loc, cache),
      strides(4, b.getIndexAttr(1));
  offsets[0] = b.getIndexAttr(layer);
  sizes[0] = b.getIndexAttr(1);
  auto viewType = memref::SubViewOp::inferRankReducedResultType(
      t.getShape().drop_front(), t, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, viewType, cache, offsets, sizes,
                                   strides);
}

/// Stores the f32 `x` at `indices` of a cache (layer) buffer, rounded to
/// f16 where the cache holds f16.
static void storeToCache(OpBuilder &b, Location loc, Value x, Value cache,
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
  // theta^(-2i/n_rot) = exp(i * (-2 ln(theta) / n_rot)), as llama.rope.
  double freqScale =
      -2.0 * std::log(double(op.getTheta().convertToFloat())) / double(nRot);
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
      Value i = arith::DivUIOp::create(b, loc, p.d, e.idx(2));
      Value iF = arith::UIToFPOp::create(
          b, loc, f32, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), i));
      p.freq = math::ExpOp::create(
          b, loc, arith::MulFOp::create(b, loc, iF, e.f32(freqScale)));
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
      Value c = math::CosOp::create(b, loc, angle);
      Value sn = math::SinOp::create(b, loc, angle);
      Value y0 =
          arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, a0, c),
                                arith::MulFOp::create(b, loc, a1, sn));
      Value y1 =
          arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, a0, sn),
                                arith::MulFOp::create(b, loc, a1, c));
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

  // A CPU prefill in packed tiles of 16 rows (8 pairs) of [wq; wk; wv].
  FailureOr<bool> tiles =
      takesTiles(op, {&wq, &wk, &wv}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&wq}, nq, k, x) &&
                     Kernels::packable({&wk, &wv}, nk, k, x),
                 qt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  if (*tiles) {
    PackedActivations px = packedActivations(e, x);
    auto tileRows = [&](const WeightView &w, Value r0, Value out, bool rope,
                        Value cache) {
      SmallVector<Pair> pairs;
      for (int64_t p = 0; p < kPackedRows / 2; ++p)
        pairs.push_back(
            pairOf(arith::AddIOp::create(b, loc, r0, e.idx(2 * p)), rope));
      emitPackedRowTile(
          b, loc, packedDotKind(kernels.intDot), {&w}, k, px, r0, seq,
          kernels.tokenBlock, [&](Value s, ArrayRef<Value> ys) {
            for (auto [p, pr] : llvm::enumerate(pairs))
              storePair(
                  pr, out, rope, cache, s,
                  vector::ExtractOp::create(b, loc, ys[0], int64_t(2 * p)),
                  vector::ExtractOp::create(b, loc, ys[0], int64_t(2 * p + 1)));
          });
    };
    parallelRowTiles(e, nq + 2 * nk,
                     [&](Value r0) { forProjection(r0, tileRows); });
    op.getQuery().replaceAllUsesWith(e.toTensor(qOut, qt));
    op.getKey().replaceAllUsesWith(e.toTensor(kOut, kt));
    op.getValue().replaceAllUsesWith(e.toTensor(vOut, kt));
    op->erase();
    return success();
  }

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
  forAll(e, kernels.gpu, {e.dim(k, 0), e.idx(nkv), e.idx(hd)},
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

/// One online-softmax step for score x with running max m and sum l:
/// the new max, the factor `corr` = exp(m - new max) that rescales the
/// previous sum and output, the row's weight p = exp(x - new max), and the
/// new sum l * corr + p (unset by softmaxRescale, which merging partial
/// results uses: there x is a run's max and p rescales its sum and output).
struct SoftmaxStep {
  Value max, corr, p, sum;
};
static SoftmaxStep softmaxRescale(Emitter &e, Value m, Value x) {
  OpBuilder &b = e.b;
  Value mNew = arith::MaximumFOp::create(b, e.loc, m, x);
  Value corr =
      math::ExpOp::create(b, e.loc, arith::SubFOp::create(b, e.loc, m, mNew));
  Value p =
      math::ExpOp::create(b, e.loc, arith::SubFOp::create(b, e.loc, x, mNew));
  return {mNew, corr, p, Value()};
}
static SoftmaxStep softmaxStep(Emitter &e, Value m, Value l, Value x) {
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
  Type cacheElt = cast<MemRefType>(kc.getType()).getElementType();
  int64_t nkv = op.getNumKVHeads(), hd = op.getHeadDim(), kvMul = op.getKVMul();
  Value q = e.buffer(op.getQuery()), pos = e.buffer(op.getPositions());
  Value seq = e.dim(q, 0);
  auto rt = cast<RankedTensorType>(op.getType());
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  if (kernels.gpu) {
    // Decode (a static number of tokens): about 1024 warps in all, no
    // more runs per task than cache rows.
    auto qt = cast<MemRefType>(q.getType());
    int64_t ctx = cast<MemRefType>(kc.getType()).getDimSize(0);
    int64_t chunks = 1;
    if (!qt.isDynamicDim(0) && !ShapedType::isDynamic(ctx))
      chunks = std::clamp<int64_t>(1024 / (qt.getDimSize(0) * nkv), 1, ctx);
    warpGQAAttention(e, op, q, pos, kc, vc, out, chunks);
    e.replaceWithBuffer(op, out, rt);
    return success();
  }
  auto rowType = VectorType::get({hd}, b.getF32Type());
  Value scale = e.f32(op.getScaleOrDefault());
  auto bcast = [&](Value x) {
    return vector::BroadcastOp::create(b, loc, rowType, x);
  };
  // One task per (token, KV head): i = s * n_kv_heads + g.
  Value tasks = arith::MulIOp::create(b, loc, seq, e.idx(nkv));
  parallelFor(e, tasks, [&](Value i) {
    AttentionTask task = attentionTask(e, i, nkv, pos);
    Value s = task.s, g = task.g, end = task.end;
    // The query rows of the kv_mul heads sharing KV head g.
    SmallVector<Value> heads, qs;
    for (int64_t j = 0; j < kvMul; ++j) {
      heads.push_back(arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, g, e.idx(kvMul)), e.idx(j)));
      qs.push_back(vector::LoadOp::create(b, loc, rowType, q,
                                          ValueRange{s, heads[j], e.idx(0)}));
    }
    auto cacheRow = [&](Value c, Value t) -> Value {
      Value r = vector::LoadOp::create(b, loc, VectorType::get({hd}, cacheElt),
                                       c, ValueRange{t, g, e.idx(0)});
      return cacheElt.isF32()
                 ? r
                 : Value(arith::ExtFOp::create(b, loc, rowType, r));
    };
    auto score = [&](int64_t j, Value krow) -> Value {
      Value dot = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD,
          arith::MulFOp::create(b, loc, qs[j], krow));
      return arith::MulFOp::create(b, loc, dot, scale);
    };
    // Row t = 0 starts every head: m = score, l = 1, o = V[0].
    SmallVector<Value> init;
    Value k0 = cacheRow(kc, e.idx(0)), v0 = cacheRow(vc, e.idx(0));
    for (int64_t j = 0; j < kvMul; ++j)
      init.push_back(score(j, k0));
    init.append(kvMul, e.f32(1.0));
    init.append(kvMul, v0);
    // Rows 1 .. pos: each K and V row is loaded once for the kv_mul heads.
    auto loop = scf::ForOp::create(
        b, loc, e.idx(1), end, e.idx(1), init,
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
      vector::StoreOp::create(b, loc, o, out,
                              ValueRange{s, heads[j], e.idx(0)});
    }
  });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

LogicalResult FunctionLowering::run() {
  // Model-level llama ops; llama.int8_dot and llama.dot4_acc are kernel ops
  // this pass emits.
  auto isModelOp = [](Operation *op) {
    return isa<LlamaDialect>(op->getDialect()) &&
           !isa<Int8DotOp, Dot4AccOp>(op);
  };
  bool usesLlama = false;
  fn.walk([&](Operation *op) {
    if (isModelOp(op))
      usesLlama = true;
  });
  for (Type t : fn.getArgumentTypes())
    usesLlama |= isa<KVCacheType>(t);
  if (!usesLlama || fn.isExternal())
    return success();
  if (!fn.getBody().hasOneBlock())
    return fn.emitOpError("llama-lower-to-loops expects a single block");
  if (failed(rewriteSignature()))
    return failure();

  SmallVector<Operation *> ops;
  SmallVector<WeightOp> weightOps; // erased last, once nothing uses them
  fn.walk([&](Operation *op) {
    if (isModelOp(op))
      ops.push_back(op);
    if (auto w = dyn_cast<WeightOp>(op))
      weightOps.push_back(w);
  });
  for (Operation *op : ops) {
    if (!isa<WeightOp>(op)) {
      auto config =
          op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
      if (!config && takesKernelConfig(op))
        return op->emitOpError("needs a llama.kernel_config (run "
                               "llama-configure-kernels first)");
      kernels = config ? Kernels::of(config) : Kernels();
    }
    LogicalResult r =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case<WeightOp>([&](auto o) { return lowerWeight(o); })
            .Case<EmbeddingOp>([&](auto o) { return lowerEmbedding(o); })
            .Case<RMSNormOp>([&](auto o) { return lowerRMSNorm(o); })
            .Case<MatmulOp>([&](auto o) { return lowerMatmul(o); })
            .Case<MatmulSwiGLUOp>([&](auto o) { return lowerMatmulSwiGLU(o); })
            .Case<QKVRoPEOp>([&](auto o) { return lowerQKVRoPE(o); })
            .Case<AttentionOp>([&](auto o) { return lowerAttention(o); })
            .Case<GQAAttentionOp>([&](auto o) { return lowerGQAAttention(o); })
            .Default([&](Operation *o) {
              return o->emitOpError(
                  "must be lowered before llama-lower-to-loops (run "
                  "llama-lower-to-linalg first)");
            });
    if (failed(r))
      return failure();
  }
  // The weight handles are dead now (the other ops were erased as lowered).
  for (WeightOp w : weightOps)
    w.erase();

  Block &entry = fn.front();
  unsigned nOld = 0;
  for (BlockArgument a : entry.getArguments())
    if (isa<RankedTensorType, KVCacheType>(a.getType()))
      ++nOld;
  for (unsigned i = 0; i < nOld; ++i)
    if (!entry.getArgument(i).use_empty())
      return fn.emitOpError("argument ") << i << " still has uses";
  entry.eraseArguments(0, nOld);
  fn.setFunctionType(
      FunctionType::get(fn.getContext(), entry.getArgumentTypes(), {}));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(fn.getContext()));
  return success();
}

/// The weights read in the rows16 layout, by name: those of the ops whose
/// kernel configuration says layout = rows16. An error where another use
/// of such a weight reads the GGUF layout, or the weight has no rows16
/// layout (PackedWeights.h).
static FailureOr<llvm::StringSet<>> prepackedWeights(ModuleOp module) {
  llvm::StringSet<> names;
  llvm::StringMap<Operation *> ggufUse;
  WalkResult r = module.walk([&](Operation *op) {
    auto config =
        op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
    bool rows16 = config && config.getLayout() == WeightLayout::Rows16;
    SmallVector<Value> ws = matmulWeights(op);
    if (rows16 && ws.empty()) {
      op->emitOpError("llama-lower-to-loops: layout = rows16 is for "
                      "llama.matmul, llama.matmul_swiglu and llama.qkv_rope");
      return WalkResult::interrupt();
    }
    for (OpOperand &use : op->getOpOperands()) {
      auto w = use.get().getDefiningOp<WeightOp>();
      if (!w)
        continue;
      if (!rows16 || !llvm::is_contained(ws, use.get())) {
        ggufUse.try_emplace(w.getName(), op);
        continue;
      }
      auto wt = cast<WeightType>(w.getType());
      if (wt.getShape().size() != 2 ||
          !llama_mlir::packed::hasRows16(
              static_cast<uint32_t>(wt.getGgmlType()), wt.getShape()[0],
              wt.getShape()[1])) {
        op->emitOpError("llama-lower-to-loops: layout = rows16, but weight '")
            << w.getName() << "' (" << wt << ") has no rows16 layout";
        return WalkResult::interrupt();
      }
      names.insert(w.getName());
    }
    return WalkResult::advance();
  });
  if (r.wasInterrupted())
    return failure();
  for (const auto &n : names)
    if (Operation *op = ggufUse.lookup(n.getKey())) {
      op->emitOpError("llama-lower-to-loops: weight '")
          << n.getKey()
          << "' is read in the rows16 layout by another op, but in the GGUF "
             "layout here";
      return failure();
    }
  return names;
}

struct LlamaLowerToLoopsPass
    : llama::impl::LlamaLowerToLoopsPassBase<LlamaLowerToLoopsPass> {
  using LlamaLowerToLoopsPassBase::LlamaLowerToLoopsPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<int64_t> weightIndex;
    SmallVector<Attribute> weightTable;
    FailureOr<llvm::StringSet<>> prepacked = prepackedWeights(module);
    if (failed(prepacked))
      return signalPassFailure();
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      FunctionLowering lowering(fn, weightIndex, weightTable, *prepacked);
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    if (!weightTable.empty())
      module->setAttr("llama.weight_table",
                      ArrayAttr::get(&getContext(), weightTable));
  }
};

} // namespace
