//===- LlamaHParams.cpp - Llama hyperparameters from GGUF -------*- C++ -*-===//
//
// Implements LlamaHParams.h: key extraction with defaults, then model-level
// validation of keys, vocabulary and tensors, collecting every error.
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/LlamaHParams.h"

#include <cmath>

namespace llamart {

namespace {

class Collector {
public:
  Collector(const GGUFView &f, std::vector<Error> *out) : f(f), out(out) {}

  void add(ErrorCode code, const std::string &msg) {
    errors.emplace_back(code, f.name() + ": " + msg);
  }
  void add(const Error &e) { errors.push_back(e); }
  bool failed() const { return !errors.empty(); }
  Error first() {
    if (out)
      *out = errors;
    return errors.front();
  }

  /// An integer key (any width), possibly a per-layer array whose entries
  /// must all be equal. `required` keys missing are reported.
  int64_t intKey(const std::string &key, bool required, int64_t dflt) {
    const GGUFValue *v = f.find(key);
    if (!v) {
      if (required)
        add(ErrorCode::MissingKey,
            "required key '" + key + "' is missing (expected an integer)");
      return dflt;
    }
    if (v->type == GGUFType::Array && !v->elems.empty() &&
        v->elems[0].isInteger()) {
      std::optional<int64_t> first = v->elems[0].asInt();
      for (const GGUFValue &e : v->elems)
        if (e.asInt() != first) {
          add(ErrorCode::Unsupported,
              "key '" + key +
                  "': per-layer values that differ are not supported");
          return dflt;
        }
      return first.value_or(dflt);
    }
    Expected<int64_t> r = f.getInt(key, dflt);
    if (!r) {
      add(r.error());
      return dflt;
    }
    return *r;
  }
  double floatKey(const std::string &key, bool required, double dflt) {
    if (required && !f.find(key)) {
      add(ErrorCode::MissingKey,
          "required key '" + key + "' is missing (expected f32)");
      return dflt;
    }
    Expected<double> r = f.getFloat(key, dflt);
    if (!r) {
      add(r.error());
      return dflt;
    }
    return *r;
  }
  std::string stringKey(const std::string &key, bool required,
                        std::string dflt) {
    if (required && !f.find(key)) {
      add(ErrorCode::MissingKey,
          "required key '" + key + "' is missing (expected a string)");
      return dflt;
    }
    Expected<std::string> r = f.getString(key, dflt);
    if (!r) {
      add(r.error());
      return dflt;
    }
    return *r;
  }
  bool boolKey(const std::string &key, bool dflt) {
    Expected<bool> r = f.getBool(key, dflt);
    if (!r) {
      add(r.error());
      return dflt;
    }
    return *r;
  }
  /// A token id key: 0xFFFFFFFF (or absent) means none.
  int64_t tokenKey(const std::string &key) {
    int64_t v = intKey(key, false, kNoToken);
    return v == 0xFFFFFFFFll ? kNoToken : v;
  }

  const GGUFView &f;
  std::vector<Error> *out;
  std::vector<Error> errors;
};

std::string neString(const std::vector<uint64_t> &ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i)
    s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

} // namespace

std::vector<ExpectedTensor> llamaTensorLayout(const LlamaHParams &hp) {
  using U = uint64_t;
  U dim = U(hp.dim), hid = U(hp.hiddenDim), vocab = U(hp.nVocab);
  U qDim = U(hp.nHeads * hp.headDim), kvDim = U(hp.nKVHeads * hp.headDim);
  std::vector<ExpectedTensor> t;
  t.push_back({"token_embd.weight", {dim, vocab}, false});
  t.push_back({"output_norm.weight", {dim}, true});
  if (!hp.tiedOutput)
    t.push_back({"output.weight", {dim, vocab}, false});
  for (int64_t l = 0; l < hp.nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    t.push_back({p + "attn_norm.weight", {dim}, true});
    t.push_back({p + "attn_q.weight", {dim, qDim}, false});
    t.push_back({p + "attn_k.weight", {dim, kvDim}, false});
    t.push_back({p + "attn_v.weight", {dim, kvDim}, false});
    t.push_back({p + "attn_output.weight", {qDim, dim}, false});
    t.push_back({p + "ffn_norm.weight", {dim}, true});
    t.push_back({p + "ffn_gate.weight", {dim, hid}, false});
    t.push_back({p + "ffn_up.weight", {dim, hid}, false});
    t.push_back({p + "ffn_down.weight", {hid, dim}, false});
  }
  return t;
}

Expected<LlamaHParams> readLlamaHParams(const GGUFView &f,
                                        std::vector<Error> *errors) {
  Collector c(f, errors);
  LlamaHParams hp;

  hp.architecture = c.stringKey("general.architecture", true, "");
  if (!hp.architecture.empty() && hp.architecture != "llama")
    c.add(ErrorCode::Unsupported, "key 'general.architecture': expected "
                                  "'llama', found '" +
                                      printable(hp.architecture) + "'");
  if (c.failed())
    return c.first(); // nothing else is meaningful for another architecture

  hp.name = c.stringKey("general.name", false, "");
  hp.fileType = c.intKey("general.file_type", false, -1);
  hp.quantizationVersion = c.intKey("general.quantization_version", false, -1);
  hp.nCtxTrain = c.intKey("llama.context_length", true, 0);
  hp.dim = c.intKey("llama.embedding_length", true, 0);
  hp.nLayers = c.intKey("llama.block_count", true, 0);
  hp.hiddenDim = c.intKey("llama.feed_forward_length", true, 0);
  hp.nHeads = c.intKey("llama.attention.head_count", true, 0);
  hp.nKVHeads = c.intKey("llama.attention.head_count_kv", false, hp.nHeads);
  hp.rmsEps = c.floatKey("llama.attention.layer_norm_rms_epsilon", true, 0);
  int64_t defHead = hp.nHeads > 0 ? hp.dim / hp.nHeads : 0;
  hp.headDim = c.intKey("llama.attention.key_length", false, defHead);
  int64_t vLen = c.intKey("llama.attention.value_length", false, hp.headDim);
  hp.nRot = c.intKey("llama.rope.dimension_count", false, hp.headDim);
  hp.ropeTheta = c.floatKey("llama.rope.freq_base", false, 10000.0);
  hp.ropeScaling = c.stringKey("llama.rope.scaling.type", false, "none");
  hp.ropeScaleFactor = c.floatKey("llama.rope.scaling.factor", false, 1.0);

  // Positive sizes, within sane bounds (no allocation is sized from them
  // here, but every later consumer multiplies them).
  auto positive = [&](const char *key, int64_t v, int64_t max) {
    if (v <= 0 || v > max)
      c.add(ErrorCode::BadHParams, std::string("key '") + key +
                                       "': expected 1.." + std::to_string(max) +
                                       ", found " + std::to_string(v));
  };
  positive("llama.context_length", hp.nCtxTrain, 1 << 24);
  positive("llama.embedding_length", hp.dim, 1 << 20);
  positive("llama.block_count", hp.nLayers, 4096);
  positive("llama.feed_forward_length", hp.hiddenDim, 1 << 22);
  positive("llama.attention.head_count", hp.nHeads, 4096);
  positive("llama.attention.head_count_kv", hp.nKVHeads, 4096);
  positive("llama.attention.key_length", hp.headDim, 1 << 16);
  if (hp.nHeads > 0 && hp.nKVHeads > 0 && hp.nHeads % hp.nKVHeads != 0)
    c.add(ErrorCode::BadHParams,
          "key 'llama.attention.head_count' (" + std::to_string(hp.nHeads) +
              ") must be a multiple of 'llama.attention.head_count_kv' (" +
              std::to_string(hp.nKVHeads) + ")");
  if (vLen != hp.headDim)
    c.add(ErrorCode::Unsupported,
          "key 'llama.attention.value_length' (" + std::to_string(vLen) +
              ") differs from key_length (" + std::to_string(hp.headDim) +
              ")");
  if (hp.nRot <= 0 || hp.nRot % 2 != 0 || hp.nRot > hp.headDim)
    c.add(ErrorCode::BadHParams,
          "key 'llama.rope.dimension_count': expected an even value in 2.." +
              std::to_string(hp.headDim) + ", found " +
              std::to_string(hp.nRot));
  if (!(hp.rmsEps > 0) || !std::isfinite(hp.rmsEps))
    c.add(ErrorCode::BadHParams,
          "key 'llama.attention.layer_norm_rms_epsilon': expected a positive "
          "finite value");
  if (!(hp.ropeTheta > 0) || !std::isfinite(hp.ropeTheta))
    c.add(ErrorCode::BadHParams,
          "key 'llama.rope.freq_base': expected a positive finite value");
  if (hp.ropeScaling != "none" && hp.ropeScaling != "linear")
    c.add(ErrorCode::Unsupported, "key 'llama.rope.scaling.type': '" +
                                      printable(hp.ropeScaling) +
                                      "' is not supported (none, linear)");

  // Tokenizer.
  hp.tokenizerModel = c.stringKey("tokenizer.ggml.model", true, "");
  Expected<const GGUFValue *> tokens =
      f.getArray("tokenizer.ggml.tokens", GGUFType::String);
  Expected<const GGUFValue *> scores =
      f.getArray("tokenizer.ggml.scores", GGUFType::F32);
  Expected<const GGUFValue *> types =
      f.getArray("tokenizer.ggml.token_type", GGUFType::I32);
  int64_t nTokens = -1;
  if (!tokens)
    c.add(tokens.error());
  else if (!*tokens)
    c.add(ErrorCode::MissingKey, "required key 'tokenizer.ggml.tokens' is "
                                 "missing (expected an array of string)");
  else
    nTokens = static_cast<int64_t>((*tokens)->elems.size());
  for (auto [key, arr] : {std::pair{"tokenizer.ggml.scores", &scores},
                          std::pair{"tokenizer.ggml.token_type", &types}}) {
    if (!*arr)
      c.add(arr->error());
    else if (**arr && nTokens >= 0 &&
             static_cast<int64_t>((**arr)->elems.size()) != nTokens)
      c.add(ErrorCode::BadHParams,
            std::string("key '") + key + "' has " +
                std::to_string((**arr)->elems.size()) +
                " entries but tokenizer.ggml.tokens has " +
                std::to_string(nTokens));
  }
  hp.nVocab = c.intKey("llama.vocab_size", false, nTokens);
  if (nTokens >= 0 && hp.nVocab != nTokens)
    c.add(ErrorCode::BadHParams,
          "key 'llama.vocab_size' (" + std::to_string(hp.nVocab) +
              ") differs from the " + std::to_string(nTokens) +
              " entries of tokenizer.ggml.tokens");
  hp.bosId = c.tokenKey("tokenizer.ggml.bos_token_id");
  hp.eosId = c.tokenKey("tokenizer.ggml.eos_token_id");
  hp.unkId = c.tokenKey("tokenizer.ggml.unknown_token_id");
  hp.padId = c.tokenKey("tokenizer.ggml.padding_token_id");
  for (auto [key, id] :
       {std::pair{"tokenizer.ggml.bos_token_id", hp.bosId},
        std::pair{"tokenizer.ggml.eos_token_id", hp.eosId},
        std::pair{"tokenizer.ggml.unknown_token_id", hp.unkId},
        std::pair{"tokenizer.ggml.padding_token_id", hp.padId}})
    if (id != kNoToken && (id < 0 || id >= hp.nVocab))
      c.add(ErrorCode::BadHParams,
            std::string("key '") + key + "': token id " + std::to_string(id) +
                " is outside the vocabulary [0, " +
                std::to_string(hp.nVocab) + ")");
  hp.addBos = c.boolKey("tokenizer.ggml.add_bos_token", true);
  hp.addEos = c.boolKey("tokenizer.ggml.add_eos_token", false);
  hp.addSpacePrefix = c.boolKey("tokenizer.ggml.add_space_prefix", true);
  hp.chatTemplate = c.stringKey("tokenizer.chat_template", false, "");

  if (c.failed())
    return c.first(); // shapes depend on the keys above

  // Tensors.
  hp.tiedOutput = f.findTensor("output.weight") == nullptr;
  for (const ExpectedTensor &e : llamaTensorLayout(hp)) {
    const GGUFTensor *t = f.findTensor(e.name);
    if (!t) {
      c.add(ErrorCode::MissingTensor, "tensor '" + e.name +
                                          "' is missing (expected shape " +
                                          neString(e.ne) + ")");
      continue;
    }
    std::vector<uint64_t> ne(t->ne, t->ne + t->nDims);
    if (ne != e.ne)
      c.add(ErrorCode::ShapeMismatch,
            "tensor '" + e.name + "': expected shape " + neString(e.ne) +
                ", found " + neString(ne));
    if (e.isNorm && getGGMLTypeTraits(t->type).isQuantized)
      c.add(ErrorCode::ShapeMismatch,
            "tensor '" + e.name + "': norm weights must be f32, f16 or bf16, "
                                  "found " +
                getGGMLTypeTraits(t->type).name);
  }
  if (c.failed())
    return c.first();
  if (errors)
    errors->clear();
  return hp;
}

} // namespace llamart
