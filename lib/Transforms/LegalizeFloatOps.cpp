//===- LegalizeFloatOps.cpp - f16 conversions and FMAs without F16C/FMA ---===//
//
// Implements the `llama-legalize-float-ops` pass (see Passes.td): on CPUs
// without F16C or FMA, f16 -> f32 conversions as exact integer code and
// FMAs as a multiply and an add, instead of a libcall per element.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALEGALIZEFLOATOPSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

/// `elem`, or a vector of it shaped like `like` when `like` is a vector.
Type shapedLike(Type like, Type elem) {
  if (auto v = dyn_cast<VectorType>(like))
    return v.clone(elem);
  return elem;
}

/// f16 -> f32 in integer operations (bit patterns as in Passes.td).
struct ExpandExtF16 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &b) const override {
    Type in = op.getIn().getType(), out = op.getType();
    if (!isa<FloatType, VectorType>(in) || !getElementTypeOrSelf(in).isF16() ||
        !getElementTypeOrSelf(out).isF32())
      return b.notifyMatchFailure(op, "not an f16 -> f32 scalar or vector "
                                      "conversion");
    Location loc = op.getLoc();
    Type i16 = shapedLike(in, b.getI16Type());
    Type i32 = shapedLike(in, b.getI32Type());
    Type f32 = shapedLike(in, b.getF32Type());
    // One op per statement: the order of the ops is the order written
    // (C++ leaves the order of evaluating call arguments open).
    auto c = [&](uint32_t v) -> Value {
      TypedAttr a = b.getI32IntegerAttr(static_cast<int32_t>(v));
      if (auto vt = dyn_cast<VectorType>(i32))
        a = DenseElementsAttr::get(vt, a);
      return arith::ConstantOp::create(b, loc, i32, a);
    };
    auto andi = [&](Value x, uint32_t v) -> Value {
      Value k = c(v);
      return arith::AndIOp::create(b, loc, x, k);
    };
    auto shli = [&](Value x, uint32_t v) -> Value {
      Value k = c(v);
      return arith::ShLIOp::create(b, loc, x, k);
    };
    auto addi = [&](Value x, uint32_t v) -> Value {
      Value k = c(v);
      return arith::AddIOp::create(b, loc, x, k);
    };
    auto eq = [&](Value x, uint32_t v) -> Value {
      Value k = c(v);
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x, k);
    };
    Value h = arith::BitcastOp::create(b, loc, i16, op.getIn());
    Value x = arith::ExtUIOp::create(b, loc, i32, h);
    Value sign = shli(andi(x, 0x8000), 16);
    // Exponent and mantissa in their f32 places, the exponent rebiased
    // from 15 to 127.
    Value shifted = shli(andi(x, 0x7fff), 13);
    Value exp = andi(shifted, 0x0f800000);
    Value normal = addi(shifted, 0x38000000);
    // Inf and NaN: the exponent 255 (112 << 23 added once more); a NaN
    // (a nonzero mantissa) quiet.
    Value mantissaIsZero = eq(andi(x, 0x3ff), 0);
    Value zero = c(0), quietBit = c(0x00400000);
    Value quiet =
        arith::SelectOp::create(b, loc, mantissaIsZero, zero, quietBit);
    Value special =
        arith::OrIOp::create(b, loc, addi(normal, 0x38000000), quiet);
    // Zero and subnormals: (1 + m/1024) 2^-14 - 2^-14 = m 2^-24, exactly.
    Value biased =
        arith::BitcastOp::create(b, loc, f32, addi(normal, 0x00800000));
    Value minNormal = arith::BitcastOp::create(b, loc, f32, c(0x38800000));
    Value difference = arith::SubFOp::create(b, loc, biased, minNormal);
    Value tiny = arith::BitcastOp::create(b, loc, i32, difference);
    Value isInfOrNaN = eq(exp, 0x0f800000);
    Value isTiny = eq(exp, 0);
    Value finite = arith::SelectOp::create(b, loc, isTiny, tiny, normal);
    Value bits = arith::SelectOp::create(b, loc, isInfOrNaN, special, finite);
    Value withSign = arith::OrIOp::create(b, loc, bits, sign);
    b.replaceOpWithNewOp<arith::BitcastOp>(op, out, withSign);
    return success();
  }
};

/// a * b + c as a multiply and an add.
void splitFma(PatternRewriter &b, Operation *op, Value x, Value y, Value acc) {
  Value product = arith::MulFOp::create(b, op->getLoc(), x, y);
  b.replaceOpWithNewOp<arith::AddFOp>(op, product, acc);
}

struct SplitMathFma : OpRewritePattern<math::FmaOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(math::FmaOp op,
                                PatternRewriter &b) const override {
    splitFma(b, op, op.getA(), op.getB(), op.getC());
    return success();
  }
};

struct SplitVectorFma : OpRewritePattern<vector::FMAOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::FMAOp op,
                                PatternRewriter &b) const override {
    splitFma(b, op, op.getLhs(), op.getRhs(), op.getAcc());
    return success();
  }
};

struct LlamaLegalizeFloatOpsPass
    : llama::impl::LlamaLegalizeFloatOpsPassBase<LlamaLegalizeFloatOpsPass> {
  using LlamaLegalizeFloatOpsPassBase::LlamaLegalizeFloatOpsPassBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (!f16c)
      patterns.add<ExpandExtF16>(&getContext());
    if (!fma)
      patterns.add<SplitMathFma, SplitVectorFma>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
