//===- LowerInt8Dot.cpp - llama.int8_dot to target instructions -*- C++ -*-===//
//
// Implements the `llama-lower-int8-dot` pass (see Passes.td): each
// llama.int8_dot and llama.dot4_acc becomes the instruction sequence its
// `kind` names, as LLVM intrinsic calls (x86, AArch64) or plain vector ops
// (generic). Runs
// after bufferization: the intrinsic calls have no declared memory effects.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERINT8DOTPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// Lane j of the sums of each 4 consecutive elements of `products`
/// (vector<4N x i32>): products[4j] + ... + products[4j+3], added in that
/// order onto `init` (or starting from products[4j] when `init` is null).
static Value addGroupsOf4(PatternRewriter &rewriter, Location loc,
                          Value products, Value init) {
  int64_t n = cast<VectorType>(products.getType()).getDimSize(0) / 4;
  Value result = init;
  for (int64_t q = 0; q < 4; ++q) {
    SmallVector<int64_t> mask;
    for (int64_t j = 0; j < n; ++j)
      mask.push_back(4 * j + q);
    Value part =
        vector::ShuffleOp::create(rewriter, loc, products, products, mask);
    result = result ? Value(arith::AddIOp::create(rewriter, loc, result, part))
                    : part;
  }
  return result;
}

struct LowerInt8Dot : OpRewritePattern<Int8DotOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Int8DotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value w = op.getLhs(), x = op.getRhs();
    auto vec = [&](int64_t n, Type t) { return VectorType::get({n}, t); };
    Type i8 = rewriter.getI8Type(), i16 = rewriter.getI16Type(),
         i32 = rewriter.getI32Type();
    auto splat = [&](VectorType t, int64_t v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              t, rewriter.getIntegerAttr(t.getElementType(), v)));
    };
    auto call = [&](StringRef name, Type result, ValueRange args) -> Value {
      return LLVM::CallIntrinsicOp::create(rewriter, loc, result,
                                           rewriter.getStringAttr(name), args)
          .getResult(0);
    };
    auto slice = [&](Value v, int64_t off, int64_t n) -> Value {
      return vector::ExtractStridedSliceOp::create(
          rewriter, loc, v, ArrayRef<int64_t>{off}, ArrayRef<int64_t>{n},
          ArrayRef<int64_t>{1});
    };
    Value result;
    IntDotKind kind = op.getKind();
    if (kind == IntDotKind::AVX2 || kind == IntDotKind::AVX512VNNI) {
      // |w| as unsigned bytes times x carrying w's sign: the u8 x s8 form of
      // vpmaddubsw / vpdpbusd. |w| <= 128, |x| <= 127: vpmaddubsw's pair
      // sums stay below 2^15 (no saturation), so the sums are exact.
      // With lhs_nonneg, w is its own absolute value and x keeps its sign.
      Value absW = op.getLhsNonneg()
                       ? w
                       : call("llvm.x86.avx2.psign.b", vec(32, i8), {w, w});
      Value sgnX = op.getLhsNonneg()
                       ? x
                       : call("llvm.x86.avx2.psign.b", vec(32, i8), {x, w});
      if (kind == IntDotKind::AVX512VNNI) {
        result = call("llvm.x86.avx512.vpdpbusd.256", vec(8, i32),
                      {splat(vec(8, i32), 0), absW, sgnX});
      } else {
        Value pairs =
            call("llvm.x86.avx2.pmadd.ub.sw", vec(16, i16), {absW, sgnX});
        result = call("llvm.x86.avx2.pmadd.wd", vec(8, i32),
                      {pairs, splat(vec(16, i16), 1)});
      }
    } else if (kind == IntDotKind::NEONDot) {
      Value lo =
          call("llvm.aarch64.neon.sdot.v4i32.v16i8", vec(4, i32),
               {splat(vec(4, i32), 0), slice(w, 0, 16), slice(x, 0, 16)});
      Value hi =
          call("llvm.aarch64.neon.sdot.v4i32.v16i8", vec(4, i32),
               {splat(vec(4, i32), 0), slice(w, 16, 16), slice(x, 16, 16)});
      result = vector::ShuffleOp::create(
          rewriter, loc, lo, hi, ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
    } else {
      // generic: sign-extend, multiply, add each group of 4 consecutive
      // products (lane j = elements 4j .. 4j+3, as the target forms).
      Value p = arith::MulIOp::create(
          rewriter, loc, arith::ExtSIOp::create(rewriter, loc, vec(32, i16), w),
          arith::ExtSIOp::create(rewriter, loc, vec(32, i16), x));
      result = addGroupsOf4(
          rewriter, loc, arith::ExtSIOp::create(rewriter, loc, vec(32, i32), p),
          Value());
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// llama.dot4_acc: one vpdpbusd, or the same sums in generic vector ops.
struct LowerDot4Acc : OpRewritePattern<Dot4AccOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Dot4AccOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto accType = cast<VectorType>(op.getAcc().getType());
    int64_t n = accType.getDimSize(0);
    if (op.getKind() == IntDotKind::AVX512VNNI) {
      std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * n);
      rewriter.replaceOp(
          op, LLVM::CallIntrinsicOp::create(
                  rewriter, loc, accType, rewriter.getStringAttr(name),
                  ValueRange{op.getAcc(), op.getLhs(), op.getRhs()})
                  .getResult(0));
      return success();
    }
    // generic: widen, multiply, add each group of 4 consecutive products.
    auto wide = VectorType::get({4 * n}, rewriter.getI32Type());
    Value p = arith::MulIOp::create(
        rewriter, loc, arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs()),
        arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs()));
    rewriter.replaceOp(op, addGroupsOf4(rewriter, loc, p, op.getAcc()));
    return success();
  }
};

struct LlamaLowerInt8DotPass
    : llama::impl::LlamaLowerInt8DotPassBase<LlamaLowerInt8DotPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerInt8Dot, LowerDot4Acc>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
