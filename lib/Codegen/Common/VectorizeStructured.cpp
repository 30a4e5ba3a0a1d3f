//===- VectorizeStructured.cpp - vector tiles of structured ops -*- C++ -*-===//
//
// Implements `llama-vectorize-structured`: the linalg ops whose kernel
// configuration has `vector_sizes` are tiled to those sizes with the
// upstream tiling (parallel loops, then reduction loops into one partial
// sum per lane) and each tile is vectorized with the upstream linalg
// vectorizer. See KernelPasses.td for the contract.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAVECTORIZESTRUCTUREDPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// The tile sizes of `op` for its configuration's vector sizes `sizes`: a
/// loop whose static extent is its size is not tiled (0). Fails, with an
/// error on `op`, where a size does not divide its loop's extent.
FailureOr<SmallVector<int64_t>> tileSizes(linalg::LinalgOp op,
                                          ArrayRef<int64_t> sizes) {
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  SmallVector<int64_t> tiles;
  for (auto [d, size] : llvm::enumerate(sizes)) {
    int64_t extent = extents[d];
    if (ShapedType::isDynamic(extent) && size != 1)
      return op->emitOpError("llama-vectorize-structured: vector size ")
             << size << " of loop " << d
             << ", whose extent is dynamic: only 1 there";
    if (!ShapedType::isDynamic(extent) && extent % size != 0)
      return op->emitOpError("llama-vectorize-structured: vector size ")
             << size << " does not divide the extent " << extent << " of loop "
             << d;
    tiles.push_back(extent == size ? 0 : size);
  }
  return tiles;
}

/// Tiles `op` by those of `sizes` that are loops of kind `kind` (the others
/// 0) into scf.for loops, reduction loops into partial sums per element of
/// the tile; replaces it. Returns the ops that compute on the tiles: the
/// tiled op, the partial sums' initial values and the final reduction
/// (only `op` where no loop of that kind is tiled).
FailureOr<SmallVector<Operation *>> tileLoops(RewriterBase &rewriter,
                                              linalg::LinalgOp op,
                                              ArrayRef<int64_t> sizes,
                                              utils::IteratorType kind) {
  SmallVector<int64_t> these(sizes.size(), 0);
  SmallVector<unsigned> dims;
  for (auto [d, it] : llvm::enumerate(op.getIteratorTypesArray()))
    if (it == kind && sizes[d] != 0) {
      these[d] = sizes[d];
      dims.push_back(d);
    }
  if (dims.empty())
    return SmallVector<Operation *>{op};
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), these));
  if (kind == utils::IteratorType::reduction) {
    options.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterReduction);
    options.setReductionDims(dims);
  }
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(*op), options);
  if (failed(tiled))
    return op->emitOpError("llama-vectorize-structured: cannot tile by [")
           << llvm::make_range(these.begin(), these.end()) << "]";
  rewriter.replaceOp(op, tiled->replacements);
  SmallVector<Operation *> computed(tiled->tiledOps);
  for (Value init : tiled->initialValues)
    if (Operation *def = init.getDefiningOp();
        def && isa<linalg::LinalgOp>(def))
      computed.push_back(def);
  llvm::append_range(computed, tiled->mergeOps);
  // The partial sums stay in vectors across the loop: their reads and
  // writes leave it once vectorized (vectorizeStructured).
  return computed;
}

/// Tiles and vectorizes `op` (see the pass description).
LogicalResult vectorizeStructured(RewriterBase &rewriter, linalg::LinalgOp op,
                                  ArrayRef<int64_t> sizes) {
  if (!op.hasPureTensorSemantics())
    return op->emitOpError("llama-vectorize-structured: vector_sizes on an op "
                           "on buffers (vectorize before bufferization)");
  FailureOr<SmallVector<int64_t>> tiles = tileSizes(op, sizes);
  if (failed(tiles))
    return failure();
  FailureOr<SmallVector<Operation *>> parallel =
      tileLoops(rewriter, op, *tiles, utils::IteratorType::parallel);
  if (failed(parallel))
    return failure();
  auto tiled = cast<linalg::LinalgOp>(parallel->front());
  FailureOr<SmallVector<Operation *>> computed =
      tileLoops(rewriter, tiled, *tiles, utils::IteratorType::reduction);
  if (failed(computed))
    return failure();
  for (Operation *c : *computed) {
    rewriter.setInsertionPoint(c);
    FailureOr<linalg::VectorizationResult> v = linalg::vectorize(rewriter, c);
    if (failed(v))
      return c->emitOpError("llama-vectorize-structured: the linalg "
                            "vectorizer does not take this op");
    rewriter.replaceOp(c, v->replacements);
  }
  return success();
}

struct LlamaVectorizeStructuredPass
    : llama::impl::LlamaVectorizeStructuredPassBase<
          LlamaVectorizeStructuredPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<int64_t>>> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (auto c =
              op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName))
        if (DenseI64ArrayAttr sizes = c.getVectorSizes())
          ops.push_back({op, llvm::to_vector(sizes.asArrayRef())});
    });
    if (ops.empty())
      return;
    IRRewriter rewriter(&getContext());
    for (auto &[op, sizes] : ops)
      if (failed(vectorizeStructured(rewriter, op, sizes)))
        return signalPassFailure();
    // Reads and writes of slices folded into the slices' tensors, then
    // vectors without their unit dimensions, and the partial sums carried
    // in vectors across their loops.
    MLIRContext *ctx = &getContext();
    RewritePatternSet subsets(ctx);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(subsets);
    if (failed(applyPatternsGreedily(getOperation(), std::move(subsets))))
      return signalPassFailure();
    if (failed(cleanUp()))
      return signalPassFailure();
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      hoistLoopInvariantSubsets(rewriter, loop);
    if (failed(cleanUp()))
      return signalPassFailure();
  }

  LogicalResult cleanUp() {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    vector::populateVectorTransferDropUnitDimsPatterns(patterns);
    vector::populateDropUnitDimWithShapeCastPatterns(patterns);
    // Each row's reduction one vector.reduction (with the accumulator).
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
    return applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};

} // namespace
