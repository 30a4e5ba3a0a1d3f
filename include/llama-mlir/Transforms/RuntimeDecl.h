//===- RuntimeDecl.h - Declarations of runtime functions --------*- C++ -*-===//
//
// The passes that make generated code call the runtime (runtime/) declare
// the functions they call with this one helper.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_RUNTIMEDECL_H
#define LLAMA_MLIR_TRANSFORMS_RUNTIMEDECL_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::llama {

/// The function `name` of `module`; where there is none, a private
/// declaration `name : type` at the end of the module.
inline func::FuncOp declareRuntimeFunction(ModuleOp module, StringRef name,
                                           FunctionType type) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(name))
    return fn;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), name, type);
  fn.setPrivate();
  return fn;
}

} // namespace mlir::llama

#endif // LLAMA_MLIR_TRANSFORMS_RUNTIMEDECL_H
