//===- TileKernels.cpp - configured kernel ops to scf.forall ----*- C++ -*-===//
//
// Implements `llama-tile-kernels`: the configured kernel ops are tiled by
// their row step with the upstream tiling of
// TilingInterface ops, into an scf.forall whose iterations are the
// parallel tasks. See Passes.td for the contract.
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
#include "mlir/IR/PatternMatch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMATILEKERNELSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// The rows of one tile of a configured kernel op: the row step of
/// llama.kernel_matmul (its tile_rows, or 1 or 2 rows for row kernels);
/// for the model-level ops, their configuration's tile_rows (0: untiled).
int64_t rowTileOf(Operation *op) {
  if (auto pm = dyn_cast<KernelMatmulOp>(op))
    return pm.getRowStep();
  auto config =
      op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
  return config ? config.getTileRows() : 0;
}

struct LlamaTileKernelsPass
    : llama::impl::LlamaTileKernelsPassBase<LlamaTileKernelsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<TilingInterface, int64_t>> ops;
    getOperation()->walk([&](TilingInterface op) {
      int64_t rows = rowTileOf(op);
      if (rows == 0 || op->getParentOfType<scf::ForallOp>() ||
          op->getNumResults() == 0)
        return;
      ops.push_back({op, rows});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, rows] : ops) {
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(
          {rewriter.getIndexAttr(0), rewriter.getIndexAttr(rows)});
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, op, options);
      if (failed(tiled)) {
        op->emitOpError("llama-tile-kernels: cannot tile the rows by ") << rows;
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
