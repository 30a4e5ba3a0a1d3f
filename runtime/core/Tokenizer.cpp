//===- Tokenizer.cpp - SentencePiece (Llama 1/2) tokenizer ------*- C++ -*-===//
//
// Implements Tokenizer.h. encode() follows SentencePiece's BPE: the text is
// split into UTF-8 characters, a max-heap holds every adjacent pair whose
// concatenation is a vocabulary token (by score, then leftmost first), pairs
// are merged until none is left, and each final symbol is its token or, if
// the vocabulary lacks it, one byte token per byte.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Tokenizer.h"
#include "runtime/gguf/LlamaHParams.h"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace llamart {

Expected<Tokenizer> Tokenizer::fromGGUF(const GGUFView &f) {
  Expected<std::string> model = f.getString("tokenizer.ggml.model", "");
  if (!model)
    return model.error();
  if (*model != "llama")
    return Error(ErrorCode::Unsupported,
                 f.name() + ": key 'tokenizer.ggml.model' is '" +
                     printable(*model) +
                     "'; only SentencePiece ('llama') vocabularies are "
                     "supported (gpt2/BPE, as in Llama 3, is not yet)");
  Expected<const GGUFValue *> toks =
      f.getArray("tokenizer.ggml.tokens", GGUFType::String);
  if (!toks)
    return toks.error();
  if (!*toks)
    return Error(ErrorCode::MissingKey,
                 f.name() + ": key 'tokenizer.ggml.tokens' is missing");
  Expected<const GGUFValue *> scores =
      f.getArray("tokenizer.ggml.scores", GGUFType::F32);
  if (!scores)
    return scores.error();
  Expected<const GGUFValue *> types =
      f.getArray("tokenizer.ggml.token_type", GGUFType::I32);
  if (!types)
    return types.error();
  size_t n = (*toks)->elems.size();
  if ((*scores && (*scores)->elems.size() != n) ||
      (*types && (*types)->elems.size() != n))
    return Error(ErrorCode::BadHParams,
                 f.name() + ": tokenizer.ggml.scores/token_type lengths differ "
                            "from tokenizer.ggml.tokens");
  if (n == 0 || n > (1u << 24))
    return Error(ErrorCode::BadHParams,
                 f.name() + ": tokenizer.ggml.tokens has " +
                     std::to_string(n) + " entries");
  Tokenizer t;
  t.tokens_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    t.tokens_.emplace_back((*toks)->elems[i].str);
    t.scores_.push_back(*scores ? static_cast<float>((*scores)->elems[i].f) : 0.0f);
    t.types_.push_back(*types ? static_cast<TokenType>((*types)->elems[i].i)
                              : TokenType::Normal);
    t.index_.emplace(t.tokens_.back(), static_cast<int32_t>(i));
    t.maxTokenBytes_ = std::max(t.maxTokenBytes_, t.tokens_.back().size());
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = t.index_.find(name);
    t.byteToken_[b] = it == t.index_.end() ? -1 : it->second;
  }
  auto id = [&](const char *key) -> int32_t {
    Expected<int64_t> v = f.getInt(key, -1);
    if (!v || *v < 0 || *v >= static_cast<int64_t>(n))
      return -1;
    return static_cast<int32_t>(*v);
  };
  t.bos_ = id("tokenizer.ggml.bos_token_id");
  t.eos_ = id("tokenizer.ggml.eos_token_id");
  t.unk_ = id("tokenizer.ggml.unknown_token_id");
  Expected<bool> addBos = f.getBool("tokenizer.ggml.add_bos_token", true);
  Expected<bool> addSpace = f.getBool("tokenizer.ggml.add_space_prefix", true);
  if (!addBos)
    return addBos.error();
  if (!addSpace)
    return addSpace.error();
  t.addBos_ = *addBos;
  t.addSpacePrefix_ = *addSpace;
  return t;
}

namespace {

/// Length of the UTF-8 sequence starting with `c`, or 1 for an invalid byte.
size_t utf8Len(const std::string &s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3
               : (c >> 3) == 0x1E ? 4 : 1;
  if (i + len > s.size())
    return 1;
  for (size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 1;
  return len;
}

struct Symbol {
  int prev, next;
  size_t start, len; // into the normalized text; len 0 = merged away
};

struct Bigram {
  int left, right;
  float score;
  size_t len;
  bool operator<(const Bigram &o) const {
    // Max-heap on score; on ties the leftmost pair first.
    return score < o.score || (score == o.score && left > o.left);
  }
};

} // namespace

std::vector<int32_t> Tokenizer::encode(std::string_view input,
                                       bool addBos) const {
  std::vector<int32_t> out;
  if (addBos && bos_ >= 0)
    out.push_back(bos_);
  if (input.empty())
    return out;
  // Normalize: prefix a space, spaces become U+2581.
  std::string text;
  std::string raw = (addSpacePrefix_ ? " " : "") + std::string(input);
  for (char c : raw) {
    if (c == ' ')
      text += "\xE2\x96\x81";
    else
      text += c;
  }
  std::vector<Symbol> sym;
  for (size_t i = 0; i < text.size();) {
    size_t len = utf8Len(text, i);
    int idx = static_cast<int>(sym.size());
    sym.push_back({idx - 1, idx + 1, i, len});
    i += len;
  }
  sym.back().next = -1;

  std::priority_queue<Bigram> queue;
  auto tryAdd = [&](int left, int right) {
    if (left < 0 || right < 0)
      return;
    std::string s = text.substr(sym[left].start, sym[left].len + sym[right].len);
    auto it = index_.find(s);
    if (it == index_.end())
      return;
    queue.push({left, right, scores_[it->second], s.size()});
  };
  for (size_t i = 1; i < sym.size(); ++i)
    tryAdd(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!queue.empty()) {
    Bigram b = queue.top();
    queue.pop();
    Symbol &l = sym[b.left], &r = sym[b.right];
    // Stale: a side was merged since this pair was queued.
    if (l.len == 0 || r.len == 0 || l.len + r.len != b.len)
      continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0)
      sym[r.next].prev = b.left;
    tryAdd(l.prev, b.left);
    tryAdd(b.left, l.next);
  }
  for (int i = 0; i >= 0 && i < static_cast<int>(sym.size()); i = sym[i].next) {
    std::string s = text.substr(sym[i].start, sym[i].len);
    auto it = index_.find(s);
    if (it != index_.end()) {
      out.push_back(it->second);
      continue;
    }
    for (unsigned char c : s) {
      int32_t t = byteToken_[c];
      if (t >= 0)
        out.push_back(t);
      else if (unk_ >= 0)
        out.push_back(unk_);
    }
  }
  return out;
}

std::string Tokenizer::piece(int32_t id) const {
  if (id < 0 || id >= size())
    return "";
  switch (types_[id]) {
  case TokenType::Control:
  case TokenType::Unused:
    return "";
  case TokenType::Unknown:
    return "\xE2\x96\x85"; // ▅, as llama.cpp prints an unknown token
  case TokenType::Byte: {
    const std::string &t = tokens_[id];
    unsigned v = 0;
    if (t.size() == 6 && std::sscanf(t.c_str(), "<0x%02X>", &v) == 1)
      return std::string(1, static_cast<char>(v));
    return t;
  }
  default: {
    std::string s;
    const std::string &t = tokens_[id];
    for (size_t i = 0; i < t.size();) {
      if (t.compare(i, 3, "\xE2\x96\x81") == 0) {
        s += ' ';
        i += 3;
      } else {
        s += t[i++];
      }
    }
    return s;
  }
  }
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids) const {
  std::string s;
  for (int32_t id : ids)
    s += piece(id);
  return s;
}

} // namespace llamart
