//===- FunctionDedupe.h - Identical functions found once --------*- C++ -*-===//
//
// Every layer of a model lowers to the same code on other views of the
// weights, the KV cache and the arena: the outlined bodies of its parallel
// loops (CPU) and its kernels (GPU) differ in their names, their locations
// and the static offsets of the views they take. These helpers make such
// functions textually equal, so that llama-outline-parallel-loops and
// llama-merge-gpu-modules keep one of each.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_TRANSFORMS_FUNCTIONDEDUPE_H
#define LLAMA_MLIR_LIB_TRANSFORMS_FUNCTIONDEDUPE_H

#include "mlir/Interfaces/FunctionInterfaces.h"

#include <string>

namespace mlir::llama {

/// The function's text in generic form, without locations and under a fixed
/// name: equal for functions that differ in name and locations only.
std::string textUnderFixedName(FunctionOpInterface fn);

/// Memref views among the arguments of `fn` with a static offset (one layer
/// of the KV cache, each at its own offset) take it at run time instead,
/// where the function only loads, stores and asks the sizes of them: then
/// functions on views of different parts of a buffer become the same code.
/// Callers must pass the arguments through memref.cast.
void generalizeViewOffsets(FunctionOpInterface fn);

} // namespace mlir::llama

#endif // LLAMA_MLIR_LIB_TRANSFORMS_FUNCTIONDEDUPE_H
