//===- Info.h - Describe a GGUF file ----------------------------*- C++ -*-===//
//
// `llama-gguf info`: the header, metadata (long arrays abbreviated), tensor
// table, type histogram, parameter count and derived Llama hyperparameters of
// a GGUF file, as text or JSON, plus the model validation verdict.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_GGUFTOOLS_INFO_H
#define LLAMA_MLIR_GGUFTOOLS_INFO_H

#include "runtime/gguf/GGUF.h"

#include <ostream>

namespace llamart {

/// Prints the description of `file`; with `validate`, validates it as a
/// Llama model and prints every error. Returns false if validation failed.
bool printGGUFInfo(const GGUFView &file, bool json, bool validate,
                   std::ostream &out, std::ostream &err);

} // namespace llamart

#endif // LLAMA_MLIR_GGUFTOOLS_INFO_H
