//===- TileKernels.cpp - configured kernel ops to scf.forall ----*- C++ -*-===//
//
// Implements `llama-tile-kernels`: the configured kernel ops are tiled
// into their parallel tasks (a matmul's row step, an attention's token and
// KV head) with the upstream tiling of TilingInterface ops, into an
// scf.forall whose iterations are the tasks. See Passes.td for the
// contract.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMATILEKERNELSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// The tile sizes of a configured kernel op, one per dimension of its
/// iteration space (0: untiled), or none for other ops: all tokens and the
/// row step of llama.kernel_matmul (its tile_rows, or 1 or 2 rows for row
/// kernels); one token and one KV head of llama.kernel_attention.
SmallVector<int64_t> tileSizesOf(Operation *op) {
  if (auto m = dyn_cast<KernelMatmulOp>(op))
    return {0, m.getRowStep()};
  if (isa<KernelAttentionOp>(op))
    return {1, 1};
  return {};
}

struct LlamaTileKernelsPass
    : llama::impl::LlamaTileKernelsPassBase<LlamaTileKernelsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<TilingInterface, SmallVector<int64_t>>> ops;
    getOperation()->walk([&](TilingInterface op) {
      SmallVector<int64_t> sizes = tileSizesOf(op);
      if (sizes.empty() || op->getParentOfType<scf::ForallOp>() ||
          op->getNumResults() == 0)
        return;
      ops.push_back({op, sizes});
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, sizes] : ops) {
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, op, options);
      if (failed(tiled)) {
        op->emitOpError("llama-tile-kernels: cannot tile by [")
            << llvm::make_range(sizes.begin(), sizes.end()) << "]";
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
      // Iterations numbered 0, 1, ... (the tile index; the outlined
      // parallel loops of the thread pool take unit steps).
      for (LoopLikeOpInterface loop : tiled->loops)
        if (auto forall = dyn_cast<scf::ForallOp>(loop.getOperation()))
          if (failed(normalizeForallOp(rewriter, forall))) {
            forall->emitOpError("llama-tile-kernels: cannot normalize");
            return signalPassFailure();
          }
    }
  }
};

} // namespace
