//===- ParallelCodegen.h - Object code on several threads ------*- C++ -*-===//
//
// Optimization and machine code generation of a large module on several
// threads: the module is split into partitions by function
// (llvm::SplitModule), each partition is moved through bitcode into its own
// LLVMContext, optimized and compiled on its own thread into its own object
// file, and the program is linked from all of them. What the optimizer
// gives up is inlining across partitions; the symbols the partitions share
// become visible between them.
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

/// Appends the path of a new temporary object file to `objects`.
llvm::Error addTemporaryObject(std::vector<std::string> &objects);

/// Compiles `module` with `target` into the object file `path`.
llvm::Error writeObjectFile(llvm::Module &module, llvm::TargetMachine &target,
                            const std::string &path);

/// Writes `module` as `parts` object files in temporary files, whose paths
/// are appended to `objects` (also when it fails part way, so that the
/// caller removes them): `threads` threads take the partitions in turn,
/// each optimized by `optimize` and compiled with its own TargetMachine
/// from `makeTarget`. The module is consumed (split).
llvm::Error emitObjectsInParallel(
    llvm::Module &module, unsigned parts, unsigned threads,
    llvm::function_ref<std::unique_ptr<llvm::TargetMachine>()> makeTarget,
    llvm::function_ref<llvm::Error(llvm::Module &, llvm::TargetMachine *)>
        optimize,
    std::vector<std::string> &objects);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PARALLELCODEGEN_H
