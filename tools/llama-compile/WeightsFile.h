//===- WeightsFile.h - Writes PROGRAM.weights -------------------*- C++ -*-===//
//
// The packed weights file of a program whose kernels read weights in a
// layout packed at compile time (llama_abi.h, PackedWeights.h).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_WEIGHTSFILE_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_WEIGHTSFILE_H

#include "runtime/core/Status.h"
#include "runtime/gguf/GGUF.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::llama {

/// What the manifest's weights_file line records.
struct WeightsFileInfo {
  uint64_t hash = 0, bytes = 0;
};

/// Whether any entry of the module's llama.weight_table has a `layout`.
bool needsWeightsFile(ModuleOp module);

/// Packs every weight of the module's llama.weight_table, in table order,
/// from `gguf` (in its `layout`, or as in the file) and writes the result
/// to `path` (replacing it only once complete); with an empty `path` only
/// computes what the manifest records.
llamart::Expected<WeightsFileInfo>
writeWeightsFile(ModuleOp module, const llamart::GGUFView &gguf,
                 const std::string &path);

/// llama-compile's step: writes OUT.weights for output `out` (only hashes
/// for "-"), refusing a path that is the input model, and appends the
/// weights_file line to `manifest`.
llamart::Error packWeightsFile(ModuleOp module, const llamart::GGUFView &gguf,
                               const std::string &out, const std::string &input,
                               std::string &manifest);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_WEIGHTSFILE_H
