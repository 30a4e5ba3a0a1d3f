//===- LowerGPUMath.cpp - math ops to NVVM instructions ---------*- C++ -*-===//
//
// Implements the `llama-lower-gpu-math` pass (see GPUPasses.td): the math ops
// that reach device code become NVVM intrinsics, so that PTX needs no
// libdevice (`__nv_*` functions) and no CUDA toolkit at compile time.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERGPUMATHPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

/// The NVVM intrinsic computing `op` on one f32 (IEEE rounding where the
/// op has a rounding), or an empty name.
StringRef nvvmIntrinsicFor(Operation *op) {
  if (isa<math::FloorOp>(op))
    return "llvm.nvvm.floor.f";
  if (isa<math::CeilOp>(op))
    return "llvm.nvvm.ceil.f";
  if (isa<math::SqrtOp>(op))
    return "llvm.nvvm.sqrt.rn.f";
  if (isa<math::AbsFOp>(op))
    return "llvm.nvvm.fabs";
  if (isa<math::RoundOp>(op))
    return "llvm.nvvm.round.f";
  return {};
}

/// One f32 math op (or a vector of them, element by element) as a call of
/// its NVVM intrinsic.
struct MathToNVVMIntrinsic : RewritePattern {
  MathToNVVMIntrinsic(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    StringRef name = nvvmIntrinsicFor(op);
    if (name.empty())
      return failure();
    Type type = op->getResult(0).getType();
    Type f32 = rewriter.getF32Type();
    if (getElementTypeOrSelf(type) != f32)
      return rewriter.notifyMatchFailure(op, "only f32 has NVVM forms here");
    Location loc = op->getLoc();
    auto call = [&](Value x) -> Value {
      return LLVM::CallIntrinsicOp::create(rewriter, loc, f32,
                                           rewriter.getStringAttr(name), x)
          .getResult(0);
    };
    Value in = op->getOperand(0);
    auto vec = dyn_cast<VectorType>(type);
    if (!vec) {
      rewriter.replaceOp(op, call(in));
      return success();
    }
    if (vec.getRank() != 1 || vec.isScalable())
      return rewriter.notifyMatchFailure(op, "only fixed 1-D vectors");
    Value out = arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(vec, rewriter.getF32FloatAttr(0)));
    for (int64_t i = 0, e = vec.getDimSize(0); i < e; ++i)
      out = vector::InsertOp::create(
          rewriter, loc, call(vector::ExtractOp::create(rewriter, loc, in, i)),
          out, i);
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct LlamaLowerGPUMathPass
    : llama::impl::LlamaLowerGPUMathPassBase<LlamaLowerGPUMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MathToNVVMIntrinsic>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What is left must have a plain LLVM form on NVPTX (fma); anything
    // else would become a libdevice call that the PTX cannot resolve.
    WalkResult r = getOperation()->walk([&](Operation *op) {
      if (op->getDialect() && op->getDialect()->getNamespace() == "math" &&
          !isa<math::FmaOp>(op)) {
        op->emitOpError("has no NVVM lowering in llama-lower-gpu-math "
                        "(supported: floor, ceil, sqrt, absf, round on f32, "
                        "and fma)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
