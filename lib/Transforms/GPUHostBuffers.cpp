//===- GPUHostBuffers.cpp - Host buffers kernels can reach ------*- C++ -*-===//
//
// Implements the `llama-gpu-host-buffers` pass (see Passes.td): in the host
// functions of a GPU module, every memref.alloc becomes a `gpu.alloc
// host_shared` (CUDA managed memory through the runtime's mgpuMemAlloc) and
// every memref.dealloc a call of the runtime's `llama_rt_gpu_free`, so that
// both the kernels and the host code between launches can use them.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAGPUHOSTBUFFERSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

constexpr StringLiteral kFree = "llama_rt_gpu_free";
constexpr uint64_t kManagedAlignment = 256;

struct LlamaGPUHostBuffersPass
    : llama::impl::LlamaGPUHostBuffersPassBase<LlamaGPUHostBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<memref::AllocOp> allocs;
    SmallVector<memref::DeallocOp> deallocs;
    for (auto fn : module.getOps<func::FuncOp>()) {
      fn.walk([&](memref::AllocOp op) { allocs.push_back(op); });
      fn.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    }
    IRRewriter rewriter(&getContext());
    for (memref::AllocOp op : allocs) {
      // CUDA aligns managed allocations to at least 256 bytes.
      if (op.getAlignment().value_or(0) > kManagedAlignment ||
          op.getSymbolOperands().size()) {
        op.emitOpError("llama-gpu-host-buffers: alignment above 256 bytes and "
                       "symbol operands are not supported");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      auto alloc = gpu::AllocOp::create(
          rewriter, op.getLoc(), op.getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange{}, op.getDynamicSizes(),
          /*symbolOperands=*/ValueRange{}, /*hostShared=*/true);
      rewriter.replaceOp(op, alloc.getMemref());
    }
    if (deallocs.empty())
      return;
    auto i64 = rewriter.getI64Type();
    if (!module.lookupSymbol<func::FuncOp>(kFree)) {
      rewriter.setInsertionPointToEnd(module.getBody());
      auto decl = func::FuncOp::create(rewriter, module.getLoc(), kFree,
                                       rewriter.getFunctionType({i64}, {}));
      decl.setPrivate();
    }
    for (memref::DeallocOp op : deallocs) {
      rewriter.setInsertionPoint(op);
      Value p = memref::ExtractAlignedPointerAsIndexOp::create(
          rewriter, op.getLoc(), op.getMemref());
      Value i = arith::IndexCastOp::create(rewriter, op.getLoc(), i64, p);
      func::CallOp::create(rewriter, op.getLoc(), kFree, TypeRange{},
                           ValueRange{i});
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
