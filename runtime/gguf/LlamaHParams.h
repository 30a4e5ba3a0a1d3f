//===- LlamaHParams.h - Llama hyperparameters from GGUF ---------*- C++ -*-===//
//
// Extracts the hyperparameters and tokenizer metadata of a Llama-architecture
// GGUF file (every key of shared/docs/GGUF.md's table) and validates the file
// as a model: required keys present with the right types, tensor shapes and
// types consistent with the hyperparameters (tied output.weight allowed),
// GQA divisibility, vocabulary arrays of one length matching the embedding,
// special token ids inside the vocabulary. Validation reports every problem,
// not only the first.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_LLAMAHPARAMS_H
#define LLAMA_MLIR_RUNTIME_LLAMAHPARAMS_H

#include "runtime/gguf/GGUF.h"

#include <string>
#include <vector>

namespace llamart {

constexpr int64_t kNoToken = -1; ///< 0xFFFFFFFF in the file: no such token

struct LlamaHParams {
  std::string architecture; ///< general.architecture ("llama")
  std::string name;         ///< general.name (optional)
  int64_t fileType = -1;    ///< general.file_type (optional)
  int64_t quantizationVersion = -1;
  int64_t nCtxTrain = 0;    ///< llama.context_length
  int64_t dim = 0;          ///< llama.embedding_length
  int64_t nLayers = 0;      ///< llama.block_count
  int64_t hiddenDim = 0;    ///< llama.feed_forward_length
  int64_t nHeads = 0;       ///< llama.attention.head_count
  int64_t nKVHeads = 0;     ///< llama.attention.head_count_kv
  int64_t headDim = 0;      ///< llama.attention.key_length (= value_length)
  int64_t nRot = 0;         ///< llama.rope.dimension_count
  double ropeTheta = 10000; ///< llama.rope.freq_base
  std::string ropeScaling = "none";
  double ropeScaleFactor = 1;
  double rmsEps = 0;        ///< llama.attention.layer_norm_rms_epsilon
  int64_t nVocab = 0;       ///< llama.vocab_size, else the token count
  bool tiedOutput = false;  ///< output.weight absent: reuse token_embd

  // Tokenizer.
  std::string tokenizerModel; ///< tokenizer.ggml.model
  int64_t bosId = kNoToken, eosId = kNoToken, unkId = kNoToken,
          padId = kNoToken;
  bool addBos = true, addEos = false, addSpacePrefix = true;
  std::string chatTemplate;

  int64_t kvMul() const { return nKVHeads ? nHeads / nKVHeads : 0; }
};

/// Reads and validates. On failure, every problem found is returned in
/// `errors` (the first is also the returned Error).
Expected<LlamaHParams> readLlamaHParams(const GGUFView &file,
                                        std::vector<Error> *errors = nullptr);

/// The names and GGUF shapes (ne order) of every tensor a Llama model with
/// these hyperparameters has (output.weight omitted when tied).
struct ExpectedTensor {
  std::string name;
  std::vector<uint64_t> ne;
  bool isNorm; ///< 1-D norm weight (must be f32/f16/bf16)
};
std::vector<ExpectedTensor> llamaTensorLayout(const LlamaHParams &hp);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_LLAMAHPARAMS_H
