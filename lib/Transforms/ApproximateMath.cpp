//===- ApproximateMath.cpp - Polynomial transcendental math -----*- C++ -*-===//
//
// Implements the `llama-approximate-math` pass: MLIR's polynomial
// approximations of exp, log, tanh, sin, cos, erf, ... (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAAPPROXIMATEMATHPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {
struct LlamaApproximateMathPass
    : llama::impl::LlamaApproximateMathPassBase<LlamaApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
