//===- ModelGen.h - Synthetic Llama models as GGUF --------------*- C++ -*-===//
//
// Generates Llama-architecture GGUF files with random weights of a realistic
// scale (activations stay finite through many layers), in any supported
// weight type or the mixed q4_k_m policy, with a synthetic SentencePiece-style
// vocabulary or one copied from another GGUF. Used by `llama-gguf gen` and by
// tests. Plain C++17.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_GGUFTOOLS_MODELGEN_H
#define LLAMA_MLIR_GGUFTOOLS_MODELGEN_H

#include "runtime/core/Status.h"
#include "runtime/gguf/GGUFWriter.h"

#include <string>
#include <vector>

namespace llamart {

struct ModelGenOptions {
  int64_t dim = 256, hiddenDim = 512, nLayers = 2, nHeads = 8, nKVHeads = 4;
  int64_t nVocab = 512, nCtx = 128;
  double ropeTheta = 10000.0, rmsEps = 1e-5;
  /// llama.rope.dimension_count: the rotated dims of each head (0: all of
  /// head_dim; else even and at most head_dim: partial RoPE).
  int64_t nRot = 0;
  /// The end-of-sequence token's output row is multiplied by this, so that a
  /// value of 10 or more makes EOS the greedy choice within a few tokens
  /// (tests of stop rules); 1 leaves the row as drawn.
  double eosBias = 1.0;
  bool tied = false;
  std::string type = "f32"; ///< a ggml type name, or "q4_k_m"
  uint64_t seed = 42;
  std::string vocabFrom; ///< GGUF to copy the tokenizer from ("" = synthetic)
  std::string name = "llama-mlir synthetic";
  uint32_t alignment = 32; ///< general.alignment (a power of two)
};

/// Fills `opts` with a named preset (tiny, stories260k, tinyllama,
/// llama2-7b); an InvalidArgument error lists the names otherwise.
Error applyPreset(const std::string &preset, ModelGenOptions &opts);
std::vector<std::string> presetNames();

/// The ggml type each tensor gets under `opts.type` (q4_k_m: llama.cpp's
/// policy), falling back as llama.cpp does when a row length is not a
/// multiple of the block size (q4_k -> q5_0, q5_k -> q5_1, q6_k -> q8_0,
/// 32-element types -> f16). `note` (optional) receives the fallbacks.
Expected<GGMLType> tensorTypeFor(const ModelGenOptions &opts,
                                 const std::string &name, uint64_t rowLength,
                                 int64_t layer, std::string *note = nullptr);

/// Builds the writer for a model (tensor bytes are produced while writing).
Expected<GGUFWriter> makeModelWriter(const ModelGenOptions &opts,
                                     std::vector<std::string> *notes = nullptr);

} // namespace llamart

#endif // LLAMA_MLIR_GGUFTOOLS_MODELGEN_H
