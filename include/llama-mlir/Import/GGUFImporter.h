//===- GGUFImporter.h - GGUF model to llama dialect -------------*- C++ -*-===//
//
// Builds the `llama` dialect module of a Llama-architecture GGUF file: the
// hyperparameters as module attributes, every weight referenced by name with
// its exact GGUF type and shape, per-layer named locations (`blk.3.attn_norm`),
// and two entry points that share the KV cache:
//
//   func.func @llama_prefill(%tokens: tensor<?xi32>, %pos: tensor<?xi32>,
//                            %cache: !llama.kv_cache<...>) -> tensor<?xVxf32>
//   func.func @llama_decode (%tokens: tensor<1xi32>, %pos: tensor<1xi32>,
//                            %cache: !llama.kv_cache<...>) -> tensor<1xVxf32>
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_IMPORT_GGUFIMPORTER_H
#define LLAMA_MLIR_IMPORT_GGUFIMPORTER_H

#include "runtime/gguf/GGUF.h"
#include "runtime/gguf/LlamaHParams.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::llama {

/// The KV cache length when none is asked for: the model's training context,
/// at most this many tokens (llama.cpp's default context). A file may claim
/// 2^24 tokens, whose cache no machine could hold.
constexpr int64_t kDefaultContextCap = 4096;

struct ImportOptions {
  /// KV cache length (0: the model's training context, at most
  /// kDefaultContextCap).
  int64_t contextLength = 0;
  /// KV cache element type: f32 or f16.
  bool kvF16 = false;
};

/// Imports `file`; on error, returns null and sets `error` to a message that
/// names the key or tensor.
OwningOpRef<ModuleOp> importGGUF(MLIRContext *ctx,
                                 const llamart::GGUFView &file,
                                 const ImportOptions &options,
                                 std::string &error);

} // namespace mlir::llama

#endif // LLAMA_MLIR_IMPORT_GGUFIMPORTER_H
