//===- FlattenParallelLoops.cpp - scf.parallel to one dimension -*- C++ -*-===//
//
// Implements the `llama-flatten-parallel-loops` pass (see KernelPasses.td):
// every multi-dimensional scf.parallel becomes a one-dimensional one over the
// product of its extents: the form the CPU thread pool takes (the attention
// tiles), and on GPUs one whose tiling by the block size gives every
// thread of a block work.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAFLATTENPARALLELLOOPSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

struct LlamaFlattenParallelLoopsPass
    : llama::impl::LlamaFlattenParallelLoopsPassBase<
          LlamaFlattenParallelLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    // Outermost loops only: a nested scf.parallel is serial code of the
    // thread that runs its parent (the GPU mapping uses the outer one).
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp op) {
      if (op.getNumLoops() > 1)
        loops.push_back(op);
      return WalkResult::skip();
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp op : loops) {
      std::vector<unsigned> all(op.getNumLoops());
      for (unsigned i = 0; i < all.size(); ++i)
        all[i] = i;
      rewriter.setInsertionPoint(op);
      collapseParallelLoops(rewriter, op, {all});
    }
  }
};

} // namespace
