//===- MergeGPUModules.cpp - All kernels in one gpu.module ------*- C++ -*-===//
//
// Implements the `llama-merge-gpu-modules` pass (see Passes.td):
// gpu-kernel-outlining puts each kernel in a gpu.module of its own; this
// pass moves them all into one, so that the model's device code is one
// PTX module (one cuModuleLoadData at start-up, one file for --emit=ptx).
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAMERGEGPUMODULESPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

struct LlamaMergeGPUModulesPass
    : llama::impl::LlamaMergeGPUModulesPassBase<LlamaMergeGPUModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.empty())
      return;
    if (module.lookupSymbol(moduleName)) {
      module.emitError() << "llama-merge-gpu-modules: a symbol named '"
                         << moduleName << "' exists already";
      return signalPassFailure();
    }
    for (gpu::GPUModuleOp src : sources) {
      if (src.getTargetsAttr() || src.getOffloadingHandlerAttr()) {
        src.emitOpError(
            "has targets or an offloading handler; "
            "llama-merge-gpu-modules runs before nvvm-attach-target");
        return signalPassFailure();
      }
    }
    // After the host code, where a reader looks for the device code.
    auto b = OpBuilder::atBlockEnd(module.getBody());
    auto merged =
        gpu::GPUModuleOp::create(b, sources.front().getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    // Each source's symbols move over (renamed by the symbol table where
    // two modules used the same name); launches are retargeted per kernel.
    for (gpu::GPUModuleOp src : sources) {
      llvm::StringMap<StringAttr> newNames;
      for (Operation &op :
           llvm::make_early_inc_range(src.getBody()->without_terminator())) {
        auto sym = dyn_cast<SymbolOpInterface>(op);
        StringAttr oldName = sym ? sym.getNameAttr() : StringAttr();
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        if (sym) {
          // insert() renames on a clash and returns the name it kept.
          newNames[oldName.getValue()] = mergedSymbols.insert(&op);
          if (newNames[oldName.getValue()] != oldName &&
              failed(SymbolTable::replaceAllSymbolUses(
                  oldName, newNames[oldName.getValue()], &op)))
            return signalPassFailure();
        }
      }
      StringAttr srcName = src.getNameAttr();
      WalkResult r = module.walk([&](gpu::LaunchFuncOp launch) {
        if (launch.getKernelModuleName() != srcName)
          return WalkResult::advance();
        auto it = newNames.find(launch.getKernelName().getValue());
        if (it == newNames.end()) {
          launch.emitOpError("launches a kernel its gpu.module lacks");
          return WalkResult::interrupt();
        }
        launch.setKernelAttr(SymbolRefAttr::get(
            merged.getNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
        return WalkResult::advance();
      });
      if (r.wasInterrupted())
        return signalPassFailure();
      src.erase();
    }
  }
};

} // namespace
