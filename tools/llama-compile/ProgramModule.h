//===- ProgramModule.h - What llama-compile adds to the LLVM module -*- C++
//-*-===//
//
// The manifest text embedded in every produced program, and the emulator's
// kernel registration of --gpu-emulate programs (ProgramModule.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PROGRAMMODULE_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PROGRAMMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/Module.h"

#include <string>
#include <vector>

namespace mlir::llama {

/// The manifest the runtime checks the GGUF file against (Manifest.h):
/// target, CPU features, hyperparameters, KV cache type, the GPU argument
/// placements, and every weight in binding order.
std::string makeManifest(ModuleOp module, const std::string &targetName,
                         const std::string &targetTriple,
                         const std::vector<std::string> &cpuFeatures,
                         const std::string &kvType,
                         const std::string &intDot = "none");

/// --gpu-emulate: registers each kernel's host copy with the runtime's
/// emulator from a global constructor (GPUEmulator.h).
void registerEmulatedKernels(llvm::Module &m);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_PROGRAMMODULE_H
