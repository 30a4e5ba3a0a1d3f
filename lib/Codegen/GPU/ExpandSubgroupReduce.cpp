//===- ExpandSubgroupReduce.cpp - warp sums to shuffles ---------*- C++ -*-===//
//
// Implements `llama-expand-subgroup-reduce` (see GPUPasses.td): the warp
// sums the GPU kernels state as gpu.subgroup_reduce become the upstream
// butterfly of gpu.shuffle xor, before buffer deallocation (which rejects
// an op without memory effects) and before the NVVM lowering and the GPU
// emulator, which then add in the same order.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAEXPANDSUBGROUPREDUCEPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

/// The lanes of an NVIDIA warp.
constexpr unsigned kWarpLanes = 32;

struct LlamaExpandSubgroupReducePass
    : llama::impl::LlamaExpandSubgroupReducePassBase<
          LlamaExpandSubgroupReducePass> {
  void runOnOperation() override {
    // Clustered reductions have patterns of their own (none are written).
    WalkResult clustered = getOperation()->walk([](gpu::SubgroupReduceOp op) {
      if (!op.getClusterSize())
        return WalkResult::advance();
      op.emitOpError("llama-expand-subgroup-reduce: clustered reductions are "
                     "not expanded");
      return WalkResult::interrupt();
    });
    if (clustered.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateGpuLowerSubgroupReduceToShufflePatterns(patterns, kWarpLanes,
                                                    /*shuffleBitwidth=*/32);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    WalkResult left = getOperation()->walk([](gpu::SubgroupReduceOp op) {
      op.emitOpError("llama-expand-subgroup-reduce: cannot expand a "
                     "reduction of ")
          << op.getValue().getType();
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
