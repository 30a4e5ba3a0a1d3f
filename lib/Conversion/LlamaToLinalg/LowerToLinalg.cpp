//===- LowerToLinalg.cpp - llama element-wise ops to linalg -----*- C++ -*-===//
//
// Implements the `llama-lower-to-linalg` pass: llama.swiglu and llama.rope
// become linalg.generic ops on tensors whose bodies hold the math in `arith`
// and `math`. See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "../Rotation.h"

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERTOLINALGPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

//===----------------------------------------------------------------------===//
// llama.swiglu
//===----------------------------------------------------------------------===//

/// silu(g) * u = g / (1 + exp(-g)) * u, one element-wise generic.
struct SwiGLUToLinalg : OpRewritePattern<SwiGLUOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, op.getGate()),
        type.getElementType());
    AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{op.getGate(), op.getUp()},
        ValueRange{init}, ArrayRef<AffineMap>{id, id, id}, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value g = args[0], u = args[1];
          Value one =
              arith::ConstantOp::create(b, l, b.getFloatAttr(g.getType(), 1.0));
          Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, g));
          Value silu = arith::DivFOp::create(
              b, l, g, arith::AddFOp::create(b, l, one, e));
          linalg::YieldOp::create(
              b, l, ValueRange{arith::MulFOp::create(b, l, silu, u)});
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// llama.rope
//===----------------------------------------------------------------------===//

/// Adjacent-pair rotation. The input [seq, heads, head_dim] is viewed as
/// [seq, heads, head_dim/2, 2] so that both members of pair i are read with
/// affine maps (s, h, i, c) -> (s, h, i, 0) and (s, h, i, 1):
///
///   angle   = p * theta^(-2i / n_rot)
///   out[c=0] = a cos - b sin,  out[c=1] = a sin + b cos     (i < n_rot/2)
///   out[c]   = x[c]                                         (otherwise)
struct RoPEToLinalg : OpRewritePattern<RoPEOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RoPEOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    int64_t headDim = type.getDimSize(2);
    if (ShapedType::isDynamic(headDim) || headDim % 2 != 0)
      return rewriter.notifyMatchFailure(
          op, "head_dim must be static and even to address pairs");
    if (ShapedType::isDynamic(type.getDimSize(1)))
      return rewriter.notifyMatchFailure(op, "heads must be static");

    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto pairType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(1), headDim / 2, 2}, f32);
    SmallVector<ReassociationIndices> reassoc = {{0}, {1}, {2, 3}};
    Value pairs = tensor::ExpandShapeOp::create(rewriter, loc, pairType,
                                                op.getInput(), reassoc);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, pairs), f32);

    MLIRContext *ctx = rewriter.getContext();
    AffineExpr s = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               i = getAffineDimExpr(2, ctx);
    AffineExpr c0 = getAffineConstantExpr(0, ctx),
               c1 = getAffineConstantExpr(1, ctx);
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {s, h, i, c0}, ctx),
                                   AffineMap::get(4, 0, {s, h, i, c1}, ctx),
                                   AffineMap::get(4, 0, {s}, ctx),
                                   rewriter.getMultiDimIdentityMap(4)};
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);

    int64_t halfRot = op.getNRot() / 2;
    double freqScale =
        ropeFreqScale(op.getTheta().convertToFloat(), op.getNRot());

    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{pairType},
        ValueRange{pairs, pairs, op.getPositions()}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value a = args[0], bv = args[1], pos = args[2];
          Value idxI = linalg::IndexOp::create(b, l, 2);
          Value idxC = linalg::IndexOp::create(b, l, 3);
          Value pF = arith::SIToFPOp::create(b, l, f32, pos);
          Value freq = emitRopeFreq(b, l, idxI, freqScale);
          Value angle = arith::MulFOp::create(b, l, pF, freq);
          auto [r0, r1] = emitRotation(b, l, a, bv, angle);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value isFirst =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, idxC, zero);
          Value rotated = arith::SelectOp::create(b, l, isFirst, r0, r1);
          Value kept = arith::SelectOp::create(b, l, isFirst, a, bv);
          Value limit = arith::ConstantIndexOp::create(b, l, halfRot);
          Value inRot = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                              idxI, limit);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, inRot, rotated, kept)});
        });
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, type, generic.getResult(0), reassoc);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct LlamaLowerToLinalgPass
    : llama::impl::LlamaLowerToLinalgPassBase<LlamaLowerToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLlamaElementwiseToLinalgPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::llama::populateLlamaElementwiseToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SwiGLUToLinalg, RoPEToLinalg>(patterns.getContext());
}
