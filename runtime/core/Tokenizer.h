//===- Tokenizer.h - SentencePiece (Llama 1/2) tokenizer --------*- C++ -*-===//
//
// The tokenizer of `tokenizer.ggml.model = "llama"` vocabularies, built from a
// GGUF file: SentencePiece BPE as in Llama 2 — spaces become U+2581 "▁", a
// space is prefixed (tokenizer.ggml.add_space_prefix, default true), adjacent
// symbols are merged highest score first, and what the vocabulary lacks falls
// back to byte tokens <0xNN>. Detokenization restores the exact bytes, byte
// tokens included. `gpt2` (BPE, Llama 3) vocabularies are refused.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_TOKENIZER_H
#define LLAMA_MLIR_RUNTIME_TOKENIZER_H

#include "runtime/gguf/GGUF.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llamart {

enum class TokenType : int32_t {
  Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4,
  Unused = 5, Byte = 6,
};

class Tokenizer {
public:
  /// Builds the tokenizer of `file`; errors name the key.
  static Expected<Tokenizer> fromGGUF(const GGUFView &file);

  /// Tokens of `text`, with BOS first when `addBos` (and the vocabulary has
  /// one). Invalid UTF-8 bytes become byte tokens.
  std::vector<int32_t> encode(std::string_view text, bool addBos) const;
  /// The bytes a token stands for: "▁" -> " ", <0xNN> -> the byte, control
  /// tokens -> "".
  std::string piece(int32_t id) const;
  /// Concatenated pieces.
  std::string decode(const std::vector<int32_t> &ids) const;

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  bool addBos() const { return addBos_; }
  /// The most input bytes one token can stand for: the longest vocabulary
  /// entry, or a whole UTF-8 character (4 bytes) mapped to the unknown
  /// token. A text of B bytes has at least B / maxTokenBytes() tokens, so a
  /// reader can stop long before tokenizing what cannot fit a context.
  size_t maxTokenBytes() const { return std::max<size_t>(maxTokenBytes_, 4); }
  const std::string &text(int32_t id) const { return tokens_[id]; }

private:
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string, int32_t> index_;
  int32_t byteToken_[256];
  int32_t bos_ = -1, eos_ = -1, unk_ = -1;
  bool addBos_ = true, addSpacePrefix_ = true;
  size_t maxTokenBytes_ = 0;
};

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_TOKENIZER_H
