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
static Value addGroupsOf4(OpBuilder &rewriter, Location loc, Value products,
                          Value init) {
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

static VectorType vec(int64_t n, Type t) { return VectorType::get({n}, t); }

/// A vector constant of integer type `t`, every lane `v`.
static Value splatInt(OpBuilder &rewriter, Location loc, VectorType t,
                      int64_t v) {
  return arith::ConstantOp::create(
      rewriter, loc,
      DenseElementsAttr::get(t,
                             rewriter.getIntegerAttr(t.getElementType(), v)));
}

/// A call of the LLVM intrinsic `name`.
static Value intrinsic(OpBuilder &rewriter, Location loc, StringRef name,
                       Type result, ValueRange args) {
  return LLVM::CallIntrinsicOp::create(rewriter, loc, result,
                                       rewriter.getStringAttr(name), args)
      .getResult(0);
}

/// v[off .. off + m), or v itself where that is all of it.
static Value slice(OpBuilder &rewriter, Location loc, Value v, int64_t off,
                   int64_t m) {
  if (off == 0 && m == cast<VectorType>(v.getType()).getDimSize(0))
    return v;
  return vector::ExtractStridedSliceOp::create(
      rewriter, loc, v, ArrayRef<int64_t>{off}, ArrayRef<int64_t>{m},
      ArrayRef<int64_t>{1});
}

/// `part` inserted into `into` at `off` (or `part` itself when `whole`).
static Value join(OpBuilder &rewriter, Location loc, Value part, Value into,
                  int64_t off, bool whole) {
  if (whole)
    return part;
  return vector::InsertStridedSliceOp::create(rewriter, loc, part, into,
                                              ArrayRef<int64_t>{off},
                                              ArrayRef<int64_t>{1})
      .getResult();
}

struct LowerInt8Dot : OpRewritePattern<Int8DotOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Int8DotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value w = op.getLhs(), x = op.getRhs();
    Type i8 = rewriter.getI8Type(), i16 = rewriter.getI16Type(),
         i32 = rewriter.getI32Type();
    auto splat = [&](VectorType t, int64_t v) {
      return splatInt(rewriter, loc, t, v);
    };
    auto call = [&](StringRef name, Type result, ValueRange args) {
      return intrinsic(rewriter, loc, name, result, args);
    };
    auto half = [&](Value v, int64_t off) {
      return slice(rewriter, loc, v, off, 16);
    };
    Value result;
    IntDotKind kind = op.getKind();
    if (kind == IntDotKind::AVX2 || kind == IntDotKind::AVX512VNNI ||
        kind == IntDotKind::AVXVNNI) {
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
      if (kind != IntDotKind::AVX2) {
        // One intrinsic for both encodings: LLVM emits the VEX form
        // (AVX-VNNI) or the EVEX one (AVX512-VNNI + VL), as the target has.
        result = call("llvm.x86.avx512.vpdpbusd.256", vec(8, i32),
                      {splat(vec(8, i32), 0), absW, sgnX});
      } else {
        Value pairs =
            call("llvm.x86.avx2.pmadd.ub.sw", vec(16, i16), {absW, sgnX});
        result = call("llvm.x86.avx2.pmadd.wd", vec(8, i32),
                      {pairs, splat(vec(16, i16), 1)});
      }
    } else if (kind == IntDotKind::NEONDot) {
      Value lo = call("llvm.aarch64.neon.sdot.v4i32.v16i8", vec(4, i32),
                      {splat(vec(4, i32), 0), half(w, 0), half(x, 0)});
      Value hi = call("llvm.aarch64.neon.sdot.v4i32.v16i8", vec(4, i32),
                      {splat(vec(4, i32), 0), half(w, 16), half(x, 16)});
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

  /// The lanes of one part of an accumulator of `n` lanes: 8 (256 bits),
  /// or the whole of a 4-lane one.
  static int64_t partLanes(int64_t n) { return std::min<int64_t>(n, 8); }

  /// The operands of one 256-bit (or 128-bit) part, unsigned by signed:
  /// with lhs_signed, |lhs| and rhs carrying lhs's sign (vpsignb; |lhs| <=
  /// 128 and |rhs| <= 127, so vpmaddubsw's pair sums do not saturate).
  static std::pair<Value, Value> partOperands(OpBuilder &rewriter, Location loc,
                                              Dot4AccOp op, int64_t p0,
                                              int64_t part) {
    Value u = slice(rewriter, loc, op.getLhs(), 4 * p0, 4 * part);
    Value s = slice(rewriter, loc, op.getRhs(), 4 * p0, 4 * part);
    if (!op.getLhsSigned())
      return {u, s};
    StringRef psign =
        part == 4 ? "llvm.x86.ssse3.psign.b.128" : "llvm.x86.avx2.psign.b";
    return {intrinsic(rewriter, loc, psign, u.getType(), {u, u}),
            intrinsic(rewriter, loc, psign, s.getType(), {s, u})};
  }

  /// One vpdpbusd (VEX: AVX-VNNI has no 512-bit form) per 256-bit part, or
  /// the one 128-bit part.
  static Value lowerVNNIParts(PatternRewriter &rewriter, Location loc,
                              Dot4AccOp op) {
    auto accType = cast<VectorType>(op.getAcc().getType());
    int64_t n = accType.getDimSize(0), part = partLanes(n);
    std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * part);
    Value result = op.getAcc();
    for (int64_t p0 = 0; p0 < n; p0 += part) {
      Value acc = slice(rewriter, loc, op.getAcc(), p0, part);
      auto [u, s] = partOperands(rewriter, loc, op, p0, part);
      Value sum = intrinsic(rewriter, loc, name, acc.getType(), {acc, u, s});
      result = join(rewriter, loc, sum, result, p0, part == n);
    }
    return result;
  }

  /// vpmaddubsw of one part's unsigned and signed bytes (`u`, `s`: 16 or 32
  /// bytes): the 16-bit sums of neighbouring products.
  static Value maddubs(OpBuilder &b, Location loc, Value u, Value s) {
    int64_t bytes = cast<VectorType>(u.getType()).getDimSize(0);
    return intrinsic(b, loc,
                     bytes == 16 ? "llvm.x86.ssse3.pmadd.ub.sw.128"
                                 : "llvm.x86.avx2.pmadd.ub.sw",
                     vec(bytes / 2, b.getI16Type()), {u, s});
  }

  /// acc + the sums of each two neighbouring 16-bit pair sums (vpmaddwd
  /// against ones: the groups of 4) of one part.
  static Value addPairs(OpBuilder &b, Location loc, Value acc, Value pairs,
                        int64_t part) {
    Value ones = splatInt(b, loc, vec(2 * part, b.getI16Type()), 1);
    Value groups = intrinsic(
        b, loc, part == 4 ? "llvm.x86.sse2.pmadd.wd" : "llvm.x86.avx2.pmadd.wd",
        vec(part, b.getI32Type()), {pairs, ones});
    return arith::AddIOp::create(b, loc, acc, groups);
  }

  /// vpmaddubsw, then vpmaddwd against ones (pairs of pairs: the groups of
  /// 4), added to the accumulator, on each 256-bit (or the one 128-bit)
  /// part. vpmaddubsw saturates a pair sum beyond 16 bits; two products of
  /// a byte below 128 (or of 128 itself) with a signed byte never do. So
  /// without lhs_small (or lhs_signed, which makes lhs at most 128), lhs &
  /// 0x7f and lhs & 0x80 are multiplied apart and their int32 group sums
  /// added: exact for every operand.
  static Value lowerAVX2(OpBuilder &rewriter, Location loc, Dot4AccOp op) {
    auto accType = cast<VectorType>(op.getAcc().getType());
    int64_t n = accType.getDimSize(0), part = partLanes(n);
    Type i8 = rewriter.getI8Type();
    Value result = op.getAcc();
    for (int64_t p0 = 0; p0 < n; p0 += part) {
      auto [u, s] = partOperands(rewriter, loc, op, p0, part);
      Value acc = slice(rewriter, loc, op.getAcc(), p0, part);
      auto multiply = [&](Value lhs) {
        acc =
            addPairs(rewriter, loc, acc, maddubs(rewriter, loc, lhs, s), part);
      };
      if (op.getLhsSmall() || op.getLhsSigned()) {
        multiply(u);
      } else {
        Value low = arith::AndIOp::create(
            rewriter, loc, u, splatInt(rewriter, loc, vec(4 * part, i8), 0x7f));
        Value top = arith::AndIOp::create(
            rewriter, loc, u, splatInt(rewriter, loc, vec(4 * part, i8), -128));
        multiply(low);
        multiply(top);
      }
      result = join(rewriter, loc, acc, result, p0, part == n);
    }
    return result;
  }

  /// One sdot per 128-bit part (4 lanes): signed by signed, so exact for
  /// lhs_signed and for lhs_small (bytes of at most 127 read as signed are
  /// the same numbers).
  static Value lowerSDot(PatternRewriter &rewriter, Location loc,
                         Dot4AccOp op) {
    auto accType = cast<VectorType>(op.getAcc().getType());
    int64_t n = accType.getDimSize(0);
    Value result = op.getAcc();
    for (int64_t p0 = 0; p0 < n; p0 += 4) {
      Value acc = slice(rewriter, loc, op.getAcc(), p0, 4);
      Value sum = intrinsic(rewriter, loc, "llvm.aarch64.neon.sdot.v4i32.v16i8",
                            acc.getType(),
                            {acc, slice(rewriter, loc, op.getLhs(), 4 * p0, 16),
                             slice(rewriter, loc, op.getRhs(), 4 * p0, 16)});
      result = join(rewriter, loc, sum, result, p0, n == 4);
    }
    return result;
  }

  LogicalResult matchAndRewrite(Dot4AccOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto accType = cast<VectorType>(op.getAcc().getType());
    int64_t n = accType.getDimSize(0);
    if (op.getKind() == IntDotKind::AVX512VNNI && !op.getLhsSigned()) {
      std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(32 * n);
      rewriter.replaceOp(op,
                         intrinsic(rewriter, loc, name, accType,
                                   {op.getAcc(), op.getLhs(), op.getRhs()}));
      return success();
    }
    if (op.getKind() == IntDotKind::AVX2) {
      rewriter.replaceOp(op, lowerAVX2(rewriter, loc, op));
      return success();
    }
    if (op.getKind() == IntDotKind::NEONDot) {
      rewriter.replaceOp(op, lowerSDot(rewriter, loc, op));
      return success();
    }
    if (op.getKind() == IntDotKind::AVXVNNI ||
        op.getKind() == IntDotKind::AVX512VNNI) {
      // (AVX-512 has no vpsignb on ZMM: signed lhs goes by halves.)
      rewriter.replaceOp(op, lowerVNNIParts(rewriter, loc, op));
      return success();
    }
    // generic: widen, multiply, add each group of 4 consecutive products.
    auto wide = VectorType::get({4 * n}, rewriter.getI32Type());
    Value lhs =
        op.getLhsSigned()
            ? Value(arith::ExtSIOp::create(rewriter, loc, wide, op.getLhs()))
            : Value(arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs()));
    Value p = arith::MulIOp::create(
        rewriter, loc, lhs,
        arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs()));
    rewriter.replaceOp(op, addGroupsOf4(rewriter, loc, p, op.getAcc()));
    return success();
  }
};

/// How many AVX2 steps with lhs_max `m` can add their vpmaddubsw sums in
/// 16 bits: a lane adds 2 products of at most m x 128 per step, so L steps
/// stay within [-32768, 32767] while L x 256 x m <= 32767 (8 steps for the
/// 4-bit formats, 4 for the 5-bit ones, 2 for Q6_K, 1 for m = 127).
static int64_t avx2ChainLimit(int64_t m) { return 32767 / (256 * m); }

/// Whether `next` continues an AVX2 chain at `prev`: both promise the same
/// lhs_max, `next` accumulates onto `prev`'s result, the only use of it,
/// in the same block (so every operand of the chain dominates its last op).
static bool chained(Dot4AccOp prev, Dot4AccOp next) {
  auto fusable = [](Dot4AccOp op) {
    return op.getKind() == IntDotKind::AVX2 && op.getLhsMax().has_value();
  };
  return fusable(prev) && fusable(next) &&
         prev.getLhsMax() == next.getLhsMax() &&
         next.getAcc() == prev.getResult() && prev.getResult().hasOneUse() &&
         prev->getBlock() == next->getBlock();
}

/// Lowers each chain of AVX2 llama.dot4_acc steps with lhs_max (a packed
/// tile's 8 steps over a group of 32 quants) in runs of avx2ChainLimit
/// steps: one vpmaddwd and one add per run and 256-bit part, where each
/// step alone costs a vpmaddwd and an add. Single steps are left to the
/// patterns.
static void fuseAVX2Chains(Operation *root) {
  SmallVector<Dot4AccOp> heads;
  root->walk([&](Dot4AccOp op) {
    auto prev = op.getAcc().getDefiningOp<Dot4AccOp>();
    if (op.getLhsMax() && !(prev && chained(prev, op)))
      heads.push_back(op);
  });
  IRRewriter rewriter(root->getContext());
  for (Dot4AccOp head : heads) {
    SmallVector<Dot4AccOp> chain = {head};
    while (true) {
      Value r = chain.back().getResult();
      auto next = r.hasOneUse() ? dyn_cast<Dot4AccOp>(*r.getUsers().begin())
                                : Dot4AccOp();
      if (!next || !chained(chain.back(), next))
        break;
      chain.push_back(next);
    }
    int64_t limit = avx2ChainLimit(*head.getLhsMax());
    for (size_t i = 0; i < chain.size(); i += limit) {
      ArrayRef<Dot4AccOp> run =
          ArrayRef(chain).slice(i, std::min<size_t>(limit, chain.size() - i));
      if (run.size() < 2)
        continue;
      // Each step's vpmaddubsw where the step was (its operands' last
      // use), the vpmaddwd and add where the run ends.
      Dot4AccOp first = run.front(), last = run.back();
      int64_t n = cast<VectorType>(first.getAcc().getType()).getDimSize(0);
      int64_t part = LowerDot4Acc::partLanes(n);
      SmallVector<Value> pairs(n / part);
      for (Dot4AccOp op : run) {
        rewriter.setInsertionPoint(op);
        for (int64_t p = 0; p < n / part; ++p) {
          auto [u, s] = LowerDot4Acc::partOperands(rewriter, op.getLoc(), op,
                                                   p * part, part);
          Value sums = LowerDot4Acc::maddubs(rewriter, op.getLoc(), u, s);
          pairs[p] = pairs[p] ? arith::AddIOp::create(rewriter, op.getLoc(),
                                                      pairs[p], sums)
                              : sums;
        }
      }
      rewriter.setInsertionPoint(last);
      Location loc = last.getLoc();
      Value result = first.getAcc();
      for (int64_t p = 0; p < n / part; ++p) {
        Value acc = slice(rewriter, loc, first.getAcc(), p * part, part);
        acc = LowerDot4Acc::addPairs(rewriter, loc, acc, pairs[p], part);
        result = join(rewriter, loc, acc, result, p * part, part == n);
      }
      rewriter.replaceOp(last, result);
      for (Dot4AccOp op : llvm::reverse(run.drop_back()))
        rewriter.eraseOp(op);
    }
  }
}

struct LlamaLowerInt8DotPass
    : llama::impl::LlamaLowerInt8DotPassBase<LlamaLowerInt8DotPass> {
  void runOnOperation() override {
    fuseAVX2Chains(getOperation());
    RewritePatternSet patterns(&getContext());
    patterns.add<LowerInt8Dot, LowerDot4Acc>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
