//===- FuseRMSNorm.cpp - RMSNorm as the prologue of its matmuls -*- C++ -*-===//
//
// Implements the `llama-fuse-rmsnorm` pass (see Passes.td):
//
//   y = rms_norm(x, g, eps); ... matmul(y, W) ...
//     -> ... matmul(x, W) norm(g) {epsilon = eps} ...
//
// for every consumer of y, when all of them (llama.matmul,
// llama.matmul_swiglu, llama.qkv_rope) can take the prologue.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/TypeSwitch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAFUSERMSNORMPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// Whether `user` reads `v` only as its (row-major [seq, K]) input and has no
/// prologue yet.
static bool canTakePrologue(Operation *user, Value v) {
  auto check = [&](auto op) {
    return op.getInput() == v && !op.getNorm() &&
           llvm::count(op->getOperands(), v) == 1;
  };
  return llvm::TypeSwitch<Operation *, bool>(user)
      .Case<MatmulOp, MatmulSwiGLUOp, QKVRoPEOp>(check)
      .Default([](Operation *) { return false; });
}

struct FuseRMSNorm : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    if (cast<RankedTensorType>(op.getType()).getRank() != 2)
      return rewriter.notifyMatchFailure(op, "input is not [seq, dim]");
    if (op->use_empty())
      return rewriter.notifyMatchFailure(op, "no users");
    for (Operation *user : op->getUsers())
      if (!canTakePrologue(user, op.getResult()))
        return rewriter.notifyMatchFailure(
            op, "a user cannot normalize its input on the fly");
    for (Operation *user : llvm::to_vector(op->getUsers())) {
      rewriter.modifyOpInPlace(user, [&] {
        llvm::TypeSwitch<Operation *>(user)
            .Case<MatmulOp, MatmulSwiGLUOp, QKVRoPEOp>([&](auto u) {
              u.getInputMutable().assign(op.getInput());
              u.getNormMutable().assign(op.getWeight());
              u.setEpsilonAttr(op.getEpsilonAttr());
            });
      });
    }
    rewriter.eraseOp(op);
    return success();
  }
};

struct LlamaFuseRMSNormPass
    : llama::impl::LlamaFuseRMSNormPassBase<LlamaFuseRMSNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRMSNorm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
