//===- GPUWorkgroupBuffers.cpp - Kernels' workgroup memory ---*- C++ -*-===//
//
// Implements the `llama-gpu-workgroup-buffers` pass (see GPUPasses.td): the
// memref.allocas in the workgroup address space that llama-lower-to-loops
// puts in a block's code (the RMSNorm kernels' cross-warp sums, the prefill
// GEMM's tiles) become the kernel's workgroup attributions, which
// convert-gpu-to-nvvm lowers to shared-memory globals (an alloca there would
// be an alloca in address space 3, which NVPTX cannot have), and a
// gpu.barrier follows each op marked llama.barrier_after.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <algorithm>

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAGPUWORKGROUPBUFFERSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

/// NVVM's address space of shared memory.
constexpr int64_t kSharedAddressSpace = 3;
/// The least alignment of a workgroup buffer: 16-byte vector accesses.
constexpr int64_t kMinAlignment = 16;

bool isWorkgroup(MemRefType t) {
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(t.getMemorySpace());
  return space && space.getValue() == gpu::AddressSpace::Workgroup;
}

/// The kernel `op` is in, or null after an error naming `what` (outside a
/// kernel).
gpu::GPUFuncOp kernelOf(Operation *op, StringRef what) {
  auto fn = op->getParentOfType<gpu::GPUFuncOp>();
  if (fn && fn.isKernel())
    return fn;
  op->emitOpError("llama-gpu-workgroup-buffers: ")
      << what << " outside a kernel";
  return {};
}

struct LlamaGPUWorkgroupBuffersPass
    : llama::impl::LlamaGPUWorkgroupBuffersPassBase<
          LlamaGPUWorkgroupBuffersPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk([&](memref::AllocaOp op) {
      MemRefType t = op.getType();
      if (!isWorkgroup(t))
        return;
      gpu::GPUFuncOp fn = kernelOf(op, "a workgroup buffer");
      if (!fn) {
        failed = true;
        return;
      }
      if (!t.hasStaticShape() || !t.getLayout().isIdentity()) {
        op.emitOpError("llama-gpu-workgroup-buffers: a workgroup buffer "
                       "needs a static shape and the identity layout, got ")
            << t;
        failed = true;
        return;
      }
      // NVVM's shared address space as a number: the vector ops that the
      // pipeline lowers to LLVM before convert-gpu-to-nvvm cannot convert
      // #gpu.address_space<workgroup>.
      auto shared = MemRefType::get(
          t.getShape(), t.getElementType(), t.getLayout(),
          IntegerAttr::get(IntegerType::get(op.getContext(), 64),
                           kSharedAddressSpace));
      BlockArgument buffer = fn.addWorkgroupAttribution(shared, op.getLoc());
      // Aligned for the 16-byte vector accesses (a global in shared memory
      // is otherwise aligned to its element).
      int64_t align =
          std::max<int64_t>(kMinAlignment, op.getAlignment().value_or(0));
      fn.setWorkgroupAttributionAttr(
          fn.getNumWorkgroupAttributions() - 1,
          StringAttr::get(op.getContext(), "llvm.align"),
          IntegerAttr::get(IntegerType::get(op.getContext(), 64), align));
      op.getResult().replaceAllUsesWith(buffer);
      op.erase();
    });
    getOperation().walk([&](Operation *op) {
      if (!op->removeAttr(llama::kBarrierAfterAttrName))
        return;
      if (!kernelOf(op, "a barrier marker")) {
        failed = true;
        return;
      }
      OpBuilder b(op->getContext());
      b.setInsertionPointAfter(op);
      gpu::BarrierOp::create(b, op->getLoc());
    });
    if (failed)
      signalPassFailure();
  }
};

} // namespace
