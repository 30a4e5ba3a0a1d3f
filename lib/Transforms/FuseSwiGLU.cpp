//===- FuseSwiGLU.cpp - Gate/up projections + SwiGLU in one op --*- C++ -*-===//
//
// Implements the `llama-fuse-swiglu` pass (see Passes.td):
//
//   swiglu(matmul(x, Wg), matmul(x, Wu)) -> matmul_swiglu(x, Wg, Wu)
//
// valid when both matmuls read the same x and feed only the swiglu.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAFUSESWIGLUPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

struct FuseSwiGLU : OpRewritePattern<SwiGLUOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    auto gate = op.getGate().getDefiningOp<MatmulOp>();
    auto up = op.getUp().getDefiningOp<MatmulOp>();
    if (!gate || !up)
      return rewriter.notifyMatchFailure(op, "operands are not llama.matmul");
    if (gate.getInput() != up.getInput())
      return rewriter.notifyMatchFailure(
          op, "gate and up projections read different activations");
    if (!gate->hasOneUse() || !up->hasOneUse())
      return rewriter.notifyMatchFailure(
          op, "a projection is used outside the swiglu");
    if (gate.getWeight().getType().getShape() !=
        up.getWeight().getType().getShape())
      return rewriter.notifyMatchFailure(op, "weights of different shapes");
    rewriter.replaceOpWithNewOp<MatmulSwiGLUOp>(
        op, op.getType(), gate.getInput(), gate.getWeight(), up.getWeight());
    rewriter.eraseOp(gate);
    rewriter.eraseOp(up);
    return success();
  }
};

struct LlamaFuseSwiGLUPass
    : llama::impl::LlamaFuseSwiGLUPassBase<LlamaFuseSwiGLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSwiGLU>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
