//===- MergeGPUModules.cpp - All kernels in one gpu.module ------*- C++ -*-===//
//
// Implements the `llama-merge-gpu-modules` pass (see GPUPasses.td):
// gpu-kernel-outlining puts each kernel in a gpu.module of its own; this
// pass moves them all into one, so that the model's device code is one
// PTX module (one cuModuleLoadData at start-up, one file for --emit=ptx),
// and with dedupe-kernels keeps one of each set of identical kernels (every
// layer's projections are the same code on other views of the weights).
//
//===----------------------------------------------------------------------===//

#include "FunctionDedupe.h"

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
    // Each source's symbols that clash with one already merged are renamed
    // inside the source first (with every use there: kernels calling a
    // helper of their module), then everything moves over; launches are
    // retargeted in one walk at the end.
    llvm::StringMap<llvm::StringMap<StringAttr>> kernelNames;
    for (gpu::GPUModuleOp src : sources) {
      SymbolTable srcSymbols(src);
      llvm::StringMap<StringAttr> &names = kernelNames[src.getName()];
      SmallVector<Operation *> ops;
      for (Operation &op : src.getBody()->without_terminator())
        ops.push_back(&op);
      for (Operation *op : ops) {
        auto sym = dyn_cast<SymbolOpInterface>(op);
        if (!sym)
          continue;
        StringAttr name = sym.getNameAttr();
        if (mergedSymbols.lookup(name)) {
          FailureOr<StringAttr> fresh =
              srcSymbols.renameToUnique(op, {&mergedSymbols});
          if (failed(fresh)) {
            op->emitOpError("llama-merge-gpu-modules could not rename it");
            return signalPassFailure();
          }
          names[name.getValue()] = *fresh;
        } else {
          names[name.getValue()] = name;
        }
      }
      for (Operation *op : ops) {
        op->moveBefore(merged.getBody(), merged.getBody()->end());
        if (isa<SymbolOpInterface>(op))
          mergedSymbols.insert(op);
      }
      src.erase();
    }
    // Identical kernels: the first of each stays, the others' launches
    // go to it.
    llvm::StringMap<StringAttr> firstWithText;
    llvm::DenseMap<StringAttr, StringAttr> sameAs;
    if (dedupeKernels) {
      for (auto fn :
           llvm::make_early_inc_range(merged.getOps<gpu::GPUFuncOp>())) {
        if (!fn.isKernel())
          continue;
        llama::generalizeViewOffsets(fn);
        auto [it, first] = firstWithText.try_emplace(
            llama::textUnderFixedName(fn), fn.getNameAttr());
        if (!first) {
          sameAs[fn.getNameAttr()] = it->second;
          fn.erase();
        }
      }
    }
    WalkResult r = module.walk([&](gpu::LaunchFuncOp launch) {
      auto mod = kernelNames.find(launch.getKernelModuleName().getValue());
      if (mod == kernelNames.end())
        return WalkResult::advance();
      auto it = mod->second.find(launch.getKernelName().getValue());
      if (it == mod->second.end()) {
        launch.emitOpError("launches a kernel its gpu.module lacks");
        return WalkResult::interrupt();
      }
      StringAttr name = it->second;
      if (StringAttr kept = sameAs.lookup(name))
        name = kept;
      launch.setKernelAttr(SymbolRefAttr::get(merged.getNameAttr(),
                                              {FlatSymbolRefAttr::get(name)}));
      // Arguments whose offset the kernel takes at run time
      // (generalizeViewOffsets): the launch casts its static view.
      auto kernel = merged.lookupSymbol<gpu::GPUFuncOp>(name);
      if (!kernel)
        return WalkResult::advance();
      OpBuilder cb(launch);
      for (auto [operand, type] : llvm::zip(launch.getKernelOperandsMutable(),
                                            kernel.getArgumentTypes())) {
        if (operand.get().getType() == type)
          continue;
        if (!memref::CastOp::areCastCompatible(operand.get().getType(), type)) {
          launch.emitOpError("passes ")
              << operand.get().getType() << " for a kernel argument of type "
              << type;
          return WalkResult::interrupt();
        }
        operand.set(
            memref::CastOp::create(cb, launch.getLoc(), type, operand.get()));
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
