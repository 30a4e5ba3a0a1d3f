//===- TileKernels.cpp - configured kernel ops to scf.forall ----*- C++ -*-===//
//
// Implements `llama-tile-kernels`: the configured kernel ops are tiled
// into their parallel tasks (a matmul's row step, an attention's token and
// KV head), and the structured ops whose configuration has `distribute`
// by those sizes with their unconfigured structured producers fused in,
// with the upstream tiling of TilingInterface ops, into an scf.forall
// whose iterations are the tasks. See Passes.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// The tile sizes of a configured op, one per dimension of its iteration
/// space (0: untiled), or none for other ops: llama.kernel_matmul's
/// `distribute`, else all tokens and its row step (its tile_rows, or 1 or 2
/// rows for row kernels); one token and one KV head of
/// llama.kernel_attention; the configuration's `distribute` of a
/// structured op.
SmallVector<int64_t> tileSizesOf(Operation *op) {
  if (auto m = dyn_cast<KernelMatmulOp>(op)) {
    if (DenseI64ArrayAttr sizes = m.getKernelConfig().getDistribute())
      return llvm::to_vector(sizes.asArrayRef());
    return {0, m.getRowStep()};
  }
  if (isa<KernelAttentionOp>(op))
    return {1, 1};
  if (auto c = op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName))
    if (DenseI64ArrayAttr sizes = c.getDistribute())
      return llvm::to_vector(sizes.asArrayRef());
  return {};
}

/// Whether a tiled op takes its producer `op` into each task: a structured
/// op not distributed by a configuration of its own (a fill, a sum that the
/// configured op finishes) that nothing reads but the ops of `chain` (the
/// tiled op and the producers already taken) and the slices, sizes and
/// loop destination (shared_outs) the tiling took of it.
bool fusesIn(Operation *op, const llvm::SmallPtrSetImpl<Operation *> &chain) {
  auto config =
      op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
  return isa<linalg::LinalgOp>(op) && !(config && config.getDistribute()) &&
         llvm::all_of(op->getUsers(), [&](Operation *user) {
           return chain.contains(user) ||
                  isa<tensor::ExtractSliceOp, tensor::DimOp, scf::ForallOp>(
                      user);
         });
}

/// Erases the structured producer `op`, now computed in each task, unless
/// something still reads it whole: the sizes the tiling took from its
/// results (tensor.dim) are taken from its destinations instead, and the
/// slices of it that nothing reads go first.
void eraseIfUnread(RewriterBase &rewriter, Operation *op) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (Operation *user : llvm::make_early_inc_range(op->getUsers())) {
    if (auto dim = dyn_cast<tensor::DimOp>(user)) {
      rewriter.setInsertionPoint(dim);
      Value init = dps.getTiedOpOperand(cast<OpResult>(dim.getSource()))->get();
      rewriter.replaceOpWithNewOp<tensor::DimOp>(dim, init, dim.getIndex());
    } else if (isOpTriviallyDead(user)) {
      rewriter.eraseOp(user);
    }
  }
  if (op->use_empty())
    rewriter.eraseOp(op);
}

/// Tiles `op` by `sizes` into an scf.forall: a kernel op alone, a
/// structured op with the producers fusesIn takes. Returns the loops.
FailureOr<SmallVector<LoopLikeOpInterface>>
tile(RewriterBase &rewriter, TilingInterface op, ArrayRef<int64_t> sizes) {
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  if (isa<LlamaDialect>(op->getDialect())) {
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, op, options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    return tiled->loops;
  }
  scf::SCFTileAndFuseOptions fuse;
  fuse.setTilingOptions(options);
  llvm::SmallPtrSet<Operation *, 4> chain{op};
  fuse.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!fusesIn(producer.getOwner(), chain))
          return std::nullopt;
        chain.insert(producer.getOwner());
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  FailureOr<scf::SCFTileAndFuseResult> tiled =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, op, fuse);
  if (failed(tiled))
    return failure();
  for (OpResult r : op->getResults())
    rewriter.replaceAllUsesWith(r, tiled->replacements.lookup(r));
  rewriter.eraseOp(op);
  for (Operation *p : tiled->fusedProducers)
    eraseIfUnread(rewriter, p);
  return tiled->loops;
}

/// A structured op's `distribute` takes tasks of one iteration along a
/// dimension whose extent is dynamic (a prefill's tokens): the
/// normalization of the loop to unit steps, which the thread pool's
/// outlined loops need, is only built for larger tasks of static extents.
LogicalResult checkDistribution(Operation *op, ArrayRef<int64_t> sizes) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return success();
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  for (auto [d, size] : llvm::enumerate(sizes))
    if (size > 1 && ShapedType::isDynamic(ranges[d]))
      return op->emitOpError("llama-tile-kernels: distribute size ")
             << size << " of loop " << d
             << ", whose extent is dynamic: only 0 or 1 there";
  return success();
}

struct LlamaTileKernelsPass
    : llama::impl::LlamaTileKernelsPassBase<LlamaTileKernelsPass> {
  /// One fill on tensors per use: CSE merges the identical fills of two
  /// norms' sums into one, which neither tiled sum could then take into its
  /// tasks (fusesIn), and bufferization would copy for the second.
  void unshareFills(RewriterBase &rewriter) {
    SmallVector<linalg::FillOp> shared;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() && !fill->getResult(0).hasOneUse())
        shared.push_back(fill);
    });
    for (linalg::FillOp fill : shared) {
      rewriter.setInsertionPointAfter(fill);
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          fill->getResult(0).getUses(), [](OpOperand &u) { return &u; });
      for (OpOperand *use : llvm::drop_begin(uses))
        rewriter.modifyOpInPlace(use->getOwner(), [&] {
          use->set(rewriter.clone(*fill)->getResult(0));
        });
    }
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    unshareFills(rewriter);
    SmallVector<std::pair<TilingInterface, SmallVector<int64_t>>> ops;
    getOperation()->walk([&](TilingInterface op) {
      SmallVector<int64_t> sizes = tileSizesOf(op);
      if (sizes.empty() || op->getParentOfType<scf::ForallOp>() ||
          op->getNumResults() == 0)
        return;
      ops.push_back({op, sizes});
    });
    for (auto &[op, sizes] : ops) {
      if (failed(checkDistribution(op, sizes)))
        return signalPassFailure();
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<LoopLikeOpInterface>> loops =
          tile(rewriter, op, sizes);
      if (failed(loops)) {
        op->emitOpError("llama-tile-kernels: cannot tile by [")
            << llvm::make_range(sizes.begin(), sizes.end()) << "]";
        return signalPassFailure();
      }
      // Iterations numbered 0, 1, ... (the tile index; the outlined
      // parallel loops of the thread pool take unit steps).
      for (LoopLikeOpInterface loop : *loops)
        if (auto forall = dyn_cast<scf::ForallOp>(loop.getOperation()))
          if (failed(normalizeForallOp(rewriter, forall))) {
            forall->emitOpError("llama-tile-kernels: cannot normalize");
            return signalPassFailure();
          }
    }
  }
};

} // namespace
