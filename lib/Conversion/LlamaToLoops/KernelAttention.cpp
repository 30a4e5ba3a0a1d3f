//===- KernelAttention.cpp - llama.kernel_attention to loops ----*- C++ -*-===//
//
// Implements `llama-lower-kernel-attention`: after bufferization, each
// llama.kernel_attention (a tile of tokens and KV heads, or all of them)
// becomes its kernel, writing into its `init` buffer: for each token and
// KV head an online softmax over the cache rows, the kv_mul query heads
// that share the KV head in vectors of head_dim. See Passes.td for the
// contract.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llama-mlir/Transforms/Passes.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERKERNELATTENTIONPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::loops;

namespace {

/// body(i) for i in [0, n) of a buffer dimension: once, with i = 0, where
/// the dimension is statically 1 (a tile of the forall).
void forEachIndex(Emitter &e, Value buffer, int64_t d,
                  function_ref<void(Value)> body) {
  auto t = cast<MemRefType>(buffer.getType());
  if (t.getDimSize(d) == 1)
    return body(e.idx(0));
  e.loop(e.idx(0),
         t.isDynamicDim(d) ? e.dim(buffer, d) : e.idx(t.getDimSize(d)), body);
}

LogicalResult lowerKernelAttention(KernelAttentionOp op) {
  if (!isa<MemRefType>(op.getInit().getType()))
    return op.emitOpError("llama-lower-kernel-attention: the op must be on "
                          "buffers (bufferize first)");
  for (Value v : {Value(op.getQuery()), Value(op.getKeys()),
                  Value(op.getValues()), Value(op.getInit())})
    if (!cast<MemRefType>(v.getType()).isLastDimUnitStride())
      return op.emitOpError("llama-lower-kernel-attention: rows of head_dim "
                            "must be contiguous (unit innermost stride), got ")
             << v.getType();
  OpBuilder b(op);
  Emitter e{b, op.getLoc()};
  Value q = op.getQuery();
  bool outside = op.getOutsideIn();
  forEachIndex(e, q, 0, [&](Value i) {
    Value s = outside
                  ? KernelAttentionOp::outsideInToken(b, e.loc, i, e.dim(q, 0))
                  : i;
    Value p = arith::IndexCastOp::create(
        b, e.loc, b.getIndexType(),
        memref::LoadOp::create(b, e.loc, op.getPositions(), ValueRange{s}));
    Value end = arith::AddIOp::create(b, e.loc, p, e.idx(1));
    forEachIndex(e, op.getKeys(), 1, [&](Value g) {
      attendKVHead(e, q, op.getKeys(), op.getValues(), op.getInit(), s, g, end,
                   op.getScale().convertToFloat(), op.getKVMul(),
                   op.getKernelConfig().getKvBlock());
    });
  });
  op->erase();
  return success();
}

struct LlamaLowerKernelAttentionPass
    : llama::impl::LlamaLowerKernelAttentionPassBase<
          LlamaLowerKernelAttentionPass> {
  void runOnOperation() override {
    SmallVector<KernelAttentionOp> ops;
    getOperation()->walk([&](KernelAttentionOp op) { ops.push_back(op); });
    for (KernelAttentionOp op : ops)
      if (failed(lowerKernelAttention(op)))
        return signalPassFailure();
  }
};

} // namespace
