//===- Passes.h - Passes of llama-mlir --------------------------*- C++ -*-===//
//
// Declarations and registration of every llama-mlir pass (generated from
// Passes.td), and the populate functions behind them.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_PASSES_H
#define LLAMA_MLIR_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
namespace llama {

#define GEN_PASS_DECL
#include "llama-mlir/Transforms/Passes.h.inc"

/// Patterns lowering llama.swiglu and llama.rope to linalg.generic.
void populateLlamaElementwiseToLinalgPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "llama-mlir/Transforms/Passes.h.inc"

} // namespace llama
} // namespace mlir

#endif // LLAMA_MLIR_TRANSFORMS_PASSES_H
