//===- FuseRoPE.cpp - Q/K/V projections + RoPE in one op --------*- C++ -*-===//
//
// Implements the `llama-fuse-rope` pass (see Passes.td):
//
//   attention(rope(heads(matmul(x, Wq))), rope(heads(matmul(x, Wk))),
//             heads(matmul(x, Wv)), ...)
//     -> q, k, v = qkv_rope(x, Wq, Wk, Wv, pos); attention(q, k, v, ...)
//
// valid when the three projections read the same x, both ropes agree on
// positions, n_rot and theta, and every intermediate feeds only this chain.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAFUSEROPEPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// The projection `matmul(x, W)` split into heads by a single-use
/// `tensor.expand_shape` [seq, n*hd] -> [seq, n, hd], or null.
struct HeadsOfProjection {
  tensor::ExpandShapeOp heads;
  MatmulOp matmul;
};

static FailureOr<HeadsOfProjection> matchHeads(Value v) {
  auto heads = v.getDefiningOp<tensor::ExpandShapeOp>();
  if (!heads || !heads->hasOneUse() || heads.getSrcType().getRank() != 2 ||
      heads.getResultType().getRank() != 3)
    return failure();
  SmallVector<ReassociationIndices> re = heads.getReassociationIndices();
  if (re.size() != 2 || re[0] != ReassociationIndices{0} ||
      re[1] != ReassociationIndices{1, 2})
    return failure();
  auto mm = heads.getSrc().getDefiningOp<MatmulOp>();
  if (!mm || !mm->hasOneUse() || mm.getNorm())
    return failure();
  return HeadsOfProjection{heads, mm};
}

template <typename AttnOp> struct FuseQKVRoPE : OpRewritePattern<AttnOp> {
  using OpRewritePattern<AttnOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(AttnOp op,
                                PatternRewriter &rewriter) const override {
    auto ropeQ = op.getQuery().template getDefiningOp<RoPEOp>();
    auto ropeK = op.getKey().template getDefiningOp<RoPEOp>();
    if (!ropeQ || !ropeK)
      return rewriter.notifyMatchFailure(op, "query or key is not a rope");
    if (!ropeQ->hasOneUse() || !ropeK->hasOneUse())
      return rewriter.notifyMatchFailure(op, "a rope is used elsewhere");
    if (ropeQ.getPositions() != ropeK.getPositions() ||
        ropeQ.getNRot() != ropeK.getNRot() ||
        ropeQ.getTheta() != ropeK.getTheta())
      return rewriter.notifyMatchFailure(
          op, "the ropes of query and key differ in positions, n_rot or theta");
    FailureOr<HeadsOfProjection> q = matchHeads(ropeQ.getInput()),
                                 k = matchHeads(ropeK.getInput()),
                                 v = matchHeads(op.getValue());
    if (failed(q) || failed(k) || failed(v))
      return rewriter.notifyMatchFailure(
          op, "query, key or value is not a single-use projection split "
              "into heads");
    Value x = q->matmul.getInput();
    if (k->matmul.getInput() != x || v->matmul.getInput() != x)
      return rewriter.notifyMatchFailure(
          op, "the projections read different activations");
    if (cast<RankedTensorType>(ropeQ.getType()).getDimSize(2) % 2 != 0)
      return rewriter.notifyMatchFailure(op, "odd head_dim");

    rewriter.setInsertionPoint(op);
    Location loc = rewriter.getFusedLoc({q->matmul.getLoc(), k->matmul.getLoc(),
                                         v->matmul.getLoc(), ropeQ.getLoc(),
                                         ropeK.getLoc()});
    auto fused = QKVRoPEOp::create(
        rewriter, loc,
        TypeRange{ropeQ.getType(), ropeK.getType(), v->heads.getType()}, x,
        q->matmul.getWeight(), k->matmul.getWeight(), v->matmul.getWeight(),
        ropeQ.getPositions(), /*norm=*/Value(), ropeQ.getNRotAttr(),
        ropeQ.getThetaAttr(), /*epsilon=*/FloatAttr());
    rewriter.modifyOpInPlace(op, [&] {
      op.getQueryMutable().assign(fused.getQuery());
      op.getKeyMutable().assign(fused.getKey());
      op.getValueMutable().assign(fused.getValue());
    });
    for (Operation *dead : {ropeQ.getOperation(), ropeK.getOperation(),
                            v->heads.getOperation(), q->heads.getOperation(),
                            k->heads.getOperation(), q->matmul.getOperation(),
                            k->matmul.getOperation(), v->matmul.getOperation()})
      rewriter.eraseOp(dead);
    return success();
  }
};

struct LlamaFuseRoPEPass
    : llama::impl::LlamaFuseRoPEPassBase<LlamaFuseRoPEPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseQKVRoPE<AttentionOp>, FuseQKVRoPE<GQAAttentionOp>>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
