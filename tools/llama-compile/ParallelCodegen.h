//===- ParallelCodegen.h - Object code on several threads ------*- C++ -*-===//
//
// Machine code generation of a large module on several threads: the module
// is split into partitions by function (llvm::SplitModule), each partition
// is moved through bitcode into its own LLVMContext and compiled on its own
// thread into its own object file, and the program is linked from all of
// them. Each partition's code is the code the whole module would get (code
// generation works function by function); only the symbols the partitions
// share become visible between them.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PARALLELCODEGEN_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PARALLELCODEGEN_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::llama {

/// Writes `module` (optimized) as `parts` object files in temporary files,
/// whose paths are appended to `objects` (also when it fails part way, so
/// that the caller removes them). `makeTarget` makes one TargetMachine per
/// thread. The module is consumed (split).
llvm::Error emitObjectsInParallel(
    llvm::Module &module, unsigned parts,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeTarget,
    std::vector<std::string> &objects);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PARALLELCODEGEN_H
