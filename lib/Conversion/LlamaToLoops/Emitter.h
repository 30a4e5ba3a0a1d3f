//===- Emitter.h - Builders of llama-lower-to-loops -------------*- C++ -*-===//
//
// The builder helpers shared by the files of llama-lower-to-loops: scalar
// and loop builders (Emitter), parallel loops for the runtime's thread pool
// and GPU threads, warps and blocks, and the loops of thread-strided units
// whose vector accesses are marked with their alignment (Loops.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_EMITTER_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_EMITTER_H

#include "Dequant.h"

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

#include <tuple>

namespace mlir::llama::loops {

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
  /// The tensor a buffer holds: the tensor a bufferization.to_buffer
  /// reads, else the buffer seen as a tensor. Null for null.
  Value tensorOf(Value buffer) {
    if (!buffer)
      return {};
    if (auto tb = buffer.getDefiningOp<bufferization::ToBufferOp>())
      return tb.getTensor();
    auto m = cast<MemRefType>(buffer.getType());
    return toTensor(buffer,
                    RankedTensorType::get(m.getShape(), m.getElementType()));
  }
  /// (d0, d1) -> (d0): the row of a [seq, k] iteration, the indexing map of
  /// per-row operands (norm scales, token ids) in the structured row ops.
  AffineMap rowsMap() {
    return AffineMap::get(2, 0, {getAffineDimExpr(0, b.getContext())},
                          b.getContext());
  }
  /// A new f32 tensor with the rows of `like` (a [seq, ...] tensor) and the
  /// shape `[seq] + inner`.
  Value emptyRows(Value like, ArrayRef<int64_t> inner) {
    SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, like, 0)};
    for (int64_t d : inner)
      sizes.push_back(b.getIndexAttr(d));
    return tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
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
  /// The sum of v over the warp, in every lane (all lanes take part;
  /// llama-expand-subgroup-reduce makes it shuffles).
  Value warpSum(Value v) {
    return gpu::SubgroupReduceOp::create(b, loc, v,
                                         gpu::AllReduceOperation::ADD,
                                         /*uniform=*/true);
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

/// Records the operations a builder creates (to annotate them after).
struct CreatedOps : OpBuilder::Listener {
  SmallVector<Operation *> ops;
  void notifyOperationInserted(Operation *op, OpBuilder::InsertPoint) override {
    ops.push_back(op);
  }
};

using UnitLoad = function_ref<SmallVector<Value>(Value unit)>;
using UnitUse = function_ref<SmallVector<Value>(
    Value unit, ArrayRef<Value> loaded, ValueRange accs)>;

//===----------------------------------------------------------------------===//
// Loops.cpp
//===----------------------------------------------------------------------===//

/// for i in [0, n) in parallel (the runtime's thread pool splits the range).
void parallelFor(Emitter &e, Value n, function_ref<void(Value)> body);

/// f32 lanes of the vectors of the structured ops (configureStructured), as
/// many as the matmuls' vector<16xf32> partial sums.
constexpr int64_t kStructuredLanes = 16;

/// Configures the linalg op `op`, whose first loop runs over tokens:
/// * where `distribute` and the token count is dynamic (a prefill), one
///   token per parallel task (`distribute = [1, 0, ...]`, which
///   llama-tile-kernels reads); a decode step's single token stays in the
///   calling thread;
/// * where `vectorize` (the kernels are vector ones and the body has no
///   memory access: the vectorizer takes only tensor operands), vector tiles
///   of kStructuredLanes f32 lanes along the innermost loop, or the largest
///   power of two below that divides its extent, and 1 along the others
///   (`vector_sizes`, which llama-vectorize-structured reads); none where
///   that is 1 lane.
/// An op given neither keeps no configuration.
void configureStructured(Operation *op, bool vectorize, bool distribute = true);

/// A buffer of `blocks` blocks of `tokens` tokens, each block laid out as
/// `inner` (its elements: `tokens` times a token's), viewed as
/// [blocks, inner...]. It is allocated as [blocks * tokens, elements of a
/// token], so that the memory plan, which bounds every dynamic size by
/// the context length, sizes it for the context's tokens (not for as many
/// blocks).
Value tokenBlocksBuffer(Emitter &e, Value blocks, int64_t tokens,
                        ArrayRef<int64_t> inner, Type element);

/// for task in [0, n) in parallel on GPUs, a block of `threads` threads per
/// task: body(task, thread) with the thread's lane in e.lane (the thread
/// itself when the block is one warp). The GPU pipeline tiles the loop of
/// n * threads iterations by Kernels::blockThreads, so that with that many
/// threads the tasks' threads are the blocks'.
void parallelBlocks(Emitter &e, Value n, int64_t threads,
                    function_ref<void(Value task, Value thread)> body);

/// for row in [0, n) in parallel; on GPUs (`warp`) kWarp consecutive
/// threads per row, their lane in e.lane for the dot products inside
/// (Emitter::dot), which then end with the same sum in every lane.
void parallelRows(Emitter &e, bool warp, Value n,
                  function_ref<void(Value)> body);

void parallelRows(Emitter &e, bool warp, int64_t n,
                  function_ref<void(Value)> body);

/// for (i0, i1, ...) in [0, n0) x [0, n1) x ...: nested serial loops on
/// CPUs (the elementwise work between the parallel matmuls), one parallel
/// loop on GPUs (a kernel, flattened by llama-flatten-parallel-loops; the
/// host never touches the buffers).
void forAll(Emitter &e, bool parallel, ArrayRef<Value> extents,
            function_ref<void(ArrayRef<Value>)> body);

/// Marks every vector load and store `created` holds with the alignment its
/// indices give (vectorAccessAlignment).
void markAlignments(const CreatedOps &created);

/// A loop of `stride` threads over units 0 .. n-1 of a row, the thread
/// `first` taking units first, first + stride, ...: accs = use(unit,
/// load(unit), accs) for each unit, in that order. A step takes `batch`
/// units of the thread and issues all their loads before the first use, so
/// that `batch` units are in flight per thread; the loop is marked
/// kBatchedLoadsAttrName (llama-gpu-launch-bounds: without an occupancy
/// ptxas sinks the loads to their uses). The units left over (fewer than
/// stride * batch) follow one per step. Vector loads and stores are marked
/// with their alignment (markAlignments).
SmallVector<Value> strideUnits(Emitter &e, Value first, int64_t stride,
                               int64_t n, int64_t batch, ValueRange inits,
                               UnitLoad load, UnitUse use);

/// strideUnits for a warp: lane l takes units l, l + kWarp, ...
SmallVector<Value> warpUnits(Emitter &e, int64_t n, int64_t batch,
                             ValueRange inits, UnitLoad load, UnitUse use);

/// Every token of the batch: with `blocked`, T at a time through
/// `blockBody(s0)` and the remainder one by one through `body(s)`.
void forTokens(Emitter &e, Value seq, bool blocked, int64_t T,
               function_ref<void(Value s0)> blockBody,
               function_ref<void(Value s)> body);

/// Rows in parallel, every token of the batch inside, so that a weight row is
/// read from memory once (see forTokens for `blocked`).
void forRowsAndTokens(Emitter &e, bool warp, int64_t rows, Value seq,
                      bool blocked, int64_t T,
                      function_ref<void(Value row, Value s0)> blockBody,
                      function_ref<void(Value row, Value s)> body);

} // namespace mlir::llama::loops

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_EMITTER_H
