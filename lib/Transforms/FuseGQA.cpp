//===- FuseGQA.cpp - Attention as one kernel per KV head --------*- C++ -*-===//
//
// Implements the `llama-fuse-gqa` pass (see Passes.td): llama.attention
// becomes llama.gqa_attention (same math, online-softmax schedule that reads
// each K/V row once for the query heads sharing it) when its accumulators
// fit the budget.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAFUSEGQAPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

struct FuseGQA : OpRewritePattern<AttentionOp> {
  FuseGQA(MLIRContext *ctx, int64_t maxAccumulatorFloats)
      : OpRewritePattern(ctx), maxAccumulatorFloats(maxAccumulatorFloats) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    // One task keeps kv_mul output rows of head_dim floats live.
    if (op.getKVMul() * op.getHeadDim() > maxAccumulatorFloats)
      return rewriter.notifyMatchFailure(
          op, "kv_mul x head_dim accumulators exceed the budget");
    rewriter.replaceOpWithNewOp<GQAAttentionOp>(
        op, op.getType(), op.getQuery(), op.getKey(), op.getValue(),
        op.getPositions(), op.getCache(), op.getLayerAttr(), op.getScaleAttr());
    return success();
  }

  int64_t maxAccumulatorFloats;
};

struct LlamaFuseGQAPass : llama::impl::LlamaFuseGQAPassBase<LlamaFuseGQAPass> {
  using LlamaFuseGQAPassBase::LlamaFuseGQAPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseGQA>(&getContext(), maxAccumulatorFloats);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
