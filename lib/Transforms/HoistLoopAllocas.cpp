//===- HoistLoopAllocas.cpp - Stack buffers out of serial loops -*- C++ -*-===//
//
// Implements the `llama-hoist-loop-allocas` pass (see Passes.td): every
// memref.alloca of static shape inside sequential loops moves to the entry
// block of its function.
//
// Why: scf.for is an automatic allocation scope (an alloca in its body is
// freed at the end of each iteration), but convert-scf-to-cf emits no stack
// save/restore for it, so LLVM would grow the stack by the buffer on every
// iteration. The iterations of an scf.for run one after another and each
// iteration's buffer is dead at its end, so one buffer at the function's
// entry serves them all.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAHOISTLOOPALLOCASPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

/// Whether `op` is nested in `fn` through scf.for and scf.if only, inside at
/// least one scf.for.
static bool inSerialLoops(Operation *op, func::FuncOp fn) {
  bool inLoop = false;
  for (Operation *p = op->getParentOp(); p != fn; p = p->getParentOp()) {
    if (isa<scf::ForOp>(p))
      inLoop = true;
    else if (!isa<scf::IfOp>(p))
      return false;
  }
  return inLoop;
}

struct LlamaHoistLoopAllocasPass
    : llama::impl::LlamaHoistLoopAllocasPassBase<LlamaHoistLoopAllocasPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal())
      return;
    SmallVector<memref::AllocaOp> hoist;
    fn.walk([&](memref::AllocaOp op) {
      if (op.getType().hasStaticShape() && op->getNumOperands() == 0 &&
          inSerialLoops(op, fn))
        hoist.push_back(op);
    });
    Block &entry = fn.front();
    for (memref::AllocaOp op : hoist)
      op->moveBefore(&entry, entry.begin());
  }
};

} // namespace
