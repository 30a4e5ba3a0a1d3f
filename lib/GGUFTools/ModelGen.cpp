//===- ModelGen.cpp - Synthetic Llama models as GGUF ------------*- C++ -*-===//
//
// Implements ModelGen.h. Weights: each tensor draws from its own
// deterministic generator (splitmix64 seeded by the seed and the tensor's
// index), a triangular distribution scaled to the standard deviation the
// tensor needs: 1/sqrt(K) for a K-column matrix, 1 for the embedding, and
// 1 +- 0.1 for norm weights. Rows are quantized as they are produced.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/ModelGen.h"
#include "runtime/gguf/LlamaHParams.h"
#include "runtime/gguf/Quant.h"

#include <cmath>
#include <memory>
#include <set>

namespace llamart {

namespace {

struct SplitMix64 {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Triangular on (-1, 1): variance 1/6.
  float triangular() {
    uint64_t r = next();
    float a = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);
    float b = static_cast<float>((r >> 16) & 0xFFFFFF) * (1.0f / 16777216.0f);
    return a - b;
  }
};

const float kTriangularStd = 0.40824829f; // sqrt(1/6)

struct Preset {
  const char *name;
  int64_t dim, hidden, layers, heads, kvHeads, vocab, ctx;
};
const Preset kPresets[] = {
    {"tiny", 256, 512, 2, 8, 4, 512, 128},
    {"stories260k", 64, 172, 5, 8, 4, 512, 128},
    {"tinyllama", 2048, 5632, 22, 32, 4, 32000, 2048},
    {"llama2-7b", 4096, 11008, 32, 32, 32, 32000, 4096},
};

/// llama.cpp's "use more bits" rule for attn_v / ffn_down under Q4_K_M.
bool useMoreBits(int64_t layer, int64_t nLayers) {
  return layer < nLayers / 8 || layer >= 7 * nLayers / 8 ||
         (layer - nLayers / 8) % 3 == 2;
}

GGMLType fallback(GGMLType t, uint64_t rowLength) {
  if (rowLength % getGGMLTypeTraits(t).blockSize == 0)
    return t;
  switch (t) {
  case GGMLType::Q2_K:
  case GGMLType::Q3_K:
    t = GGMLType::Q4_0;
    break;
  case GGMLType::Q4_K:
    t = GGMLType::Q5_0;
    break;
  case GGMLType::Q5_K:
    t = GGMLType::Q5_1;
    break;
  case GGMLType::Q6_K:
    t = GGMLType::Q8_0;
    break;
  default:
    break;
  }
  if (rowLength % getGGMLTypeTraits(t).blockSize == 0)
    return t;
  return GGMLType::F16;
}

/// The synthetic vocabulary: <unk>, <s>, </s>, 256 byte tokens, then
/// SentencePiece-style pieces ("▁" + letters, letters, pairs, ...).
void syntheticVocab(int64_t n, std::vector<std::string> &tokens,
                    std::vector<float> &scores, std::vector<int32_t> &types) {
  tokens = {"<unk>", "<s>", "</s>"};
  types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    tokens.push_back(buf);
    types.push_back(6);
  }
  scores.assign(tokens.size(), 0.0f);
  const std::string sp = "\xE2\x96\x81"; // U+2581
  const std::string letters =
      "etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789.,!?'";
  std::vector<std::string> pieces = {sp};
  for (char ch : letters)
    pieces.push_back(sp + ch);
  for (char ch : letters)
    pieces.push_back(std::string(1, ch));
  for (char a : letters)
    for (char b : letters) {
      pieces.push_back(sp + a + b);
      pieces.push_back(std::string(1, a) + b);
    }
  std::set<std::string> seen(tokens.begin(), tokens.end());
  float score = -1.0f;
  for (const std::string &p : pieces) {
    if (static_cast<int64_t>(tokens.size()) >= n)
      break;
    if (!seen.insert(p).second)
      continue;
    tokens.push_back(p);
    scores.push_back(score);
    types.push_back(1);
    score -= 1.0f;
  }
  // Beyond the generated pieces (huge vocabularies): numbered pieces.
  for (int64_t k = 0; static_cast<int64_t>(tokens.size()) < n; ++k) {
    tokens.push_back(sp + "w" + std::to_string(k));
    scores.push_back(score);
    types.push_back(1);
    score -= 1.0f;
  }
}

} // namespace

std::vector<std::string> presetNames() {
  std::vector<std::string> names;
  for (const Preset &p : kPresets)
    names.push_back(p.name);
  return names;
}

Error applyPreset(const std::string &preset, ModelGenOptions &o) {
  for (const Preset &p : kPresets)
    if (preset == p.name) {
      o.dim = p.dim;
      o.hiddenDim = p.hidden;
      o.nLayers = p.layers;
      o.nHeads = p.heads;
      o.nKVHeads = p.kvHeads;
      o.nVocab = p.vocab;
      o.nCtx = p.ctx;
      return Error::success();
    }
  std::string names;
  for (const std::string &n : presetNames())
    names += (names.empty() ? "" : ", ") + n;
  return Error(ErrorCode::InvalidArgument,
               "unknown preset '" + preset + "', expected one of " + names);
}

Expected<GGMLType> tensorTypeFor(const ModelGenOptions &o,
                                 const std::string &name, uint64_t rowLength,
                                 int64_t layer, std::string *note) {
  bool isNorm = name.find("norm") != std::string::npos;
  GGMLType want;
  if (isNorm) {
    want = GGMLType::F32;
  } else if (o.type == "q4_k_m") {
    want = GGMLType::Q4_K;
    // The output projection (or the tied embedding that serves as it).
    if (name == "output.weight" || (o.tied && name == "token_embd.weight"))
      want = GGMLType::Q6_K;
    else if ((name.find("attn_v") != std::string::npos ||
              name.find("ffn_down") != std::string::npos) &&
             useMoreBits(layer, o.nLayers))
      want = GGMLType::Q6_K;
  } else {
    std::optional<GGMLType> t = parseGGMLTypeName(o.type.c_str());
    if (!t)
      return Error(ErrorCode::InvalidArgument,
                   "--type: unknown type '" + o.type +
                       "', expected f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 "
                       "q4_k q5_k q6_k or q4_k_m");
    want = *t;
  }
  GGMLType got = fallback(want, rowLength);
  if (got != want && note)
    *note = name + ": row length " + std::to_string(rowLength) +
            " is not a multiple of the " +
            std::to_string(getGGMLTypeTraits(want).blockSize) +
            "-element block of " + getGGMLTypeTraits(want).name + ", using " +
            getGGMLTypeTraits(got).name;
  return got;
}

Expected<GGUFWriter> makeModelWriter(const ModelGenOptions &o,
                                     std::vector<std::string> *notes) {
  auto bad = [](const std::string &m) {
    return Error(ErrorCode::InvalidArgument, m);
  };
  if (o.dim <= 0 || o.hiddenDim <= 0 || o.nLayers <= 0 || o.nHeads <= 0 ||
      o.nKVHeads <= 0 || o.nCtx <= 0 || o.nVocab <= 0)
    return bad("every size (--dim --hidden-dim --layers --heads --kv-heads "
               "--vocab --ctx) must be positive");
  if (o.dim % o.nHeads != 0)
    return bad("--dim " + std::to_string(o.dim) +
               " must be a multiple of --heads " + std::to_string(o.nHeads));
  if (o.nHeads % o.nKVHeads != 0)
    return bad("--heads " + std::to_string(o.nHeads) +
               " must be a multiple of --kv-heads " +
               std::to_string(o.nKVHeads));
  if ((o.dim / o.nHeads) % 2 != 0)
    return bad("head_dim (dim / heads) must be even for RoPE");
  if (!(o.rmsEps > 0) || !(o.ropeTheta > 0))
    return bad("--eps and --rope-theta must be positive");
  int64_t headDim = o.dim / o.nHeads;
  if (o.nRot < 0 || o.nRot % 2 != 0 || o.nRot > headDim)
    return bad("--rope-dims " + std::to_string(o.nRot) +
               " must be even and at most head_dim " + std::to_string(headDim));
  if (!(o.eosBias > 0) || !std::isfinite(o.eosBias))
    return bad("--eos-bias must be a positive number");

  if (o.alignment == 0 || (o.alignment & (o.alignment - 1)) ||
      o.alignment > 4096)
    return bad("--alignment must be a power of two up to 4096");
  GGUFWriter w(o.alignment);
  w.set("general.architecture", GGUFOwnedValue::string("llama"));
  w.set("general.name", GGUFOwnedValue::string(o.name));
  w.set("llama.context_length", GGUFOwnedValue::u32(uint32_t(o.nCtx)));
  w.set("llama.embedding_length", GGUFOwnedValue::u32(uint32_t(o.dim)));
  w.set("llama.block_count", GGUFOwnedValue::u32(uint32_t(o.nLayers)));
  w.set("llama.feed_forward_length",
        GGUFOwnedValue::u32(uint32_t(o.hiddenDim)));
  w.set("llama.attention.head_count", GGUFOwnedValue::u32(uint32_t(o.nHeads)));
  w.set("llama.attention.head_count_kv",
        GGUFOwnedValue::u32(uint32_t(o.nKVHeads)));
  w.set("llama.attention.layer_norm_rms_epsilon",
        GGUFOwnedValue::f32(float(o.rmsEps)));
  w.set("llama.rope.dimension_count",
        GGUFOwnedValue::u32(uint32_t(o.nRot ? o.nRot : headDim)));
  w.set("llama.rope.freq_base", GGUFOwnedValue::f32(float(o.ropeTheta)));

  // Vocabulary.
  int64_t nVocab = o.nVocab;
  int64_t eosId = 2; // the synthetic vocabulary's; --vocab-from's below
  if (!o.vocabFrom.empty()) {
    Expected<std::unique_ptr<GGUFFile>> src = GGUFFile::open(o.vocabFrom);
    if (!src)
      return src.error();
    const GGUFView &v = (*src)->view();
    Expected<const GGUFValue *> toks =
        v.getArray("tokenizer.ggml.tokens", GGUFType::String);
    if (!toks)
      return toks.error();
    if (!*toks)
      return Error(ErrorCode::MissingKey,
                   o.vocabFrom + ": --vocab-from: key 'tokenizer.ggml.tokens' "
                                 "is missing");
    nVocab = static_cast<int64_t>((*toks)->elems.size());
    Expected<int64_t> eos = v.getInt("tokenizer.ggml.eos_token_id", 2);
    if (eos)
      eosId = *eos;
    for (const GGUFKeyValue &kv : v.metadata())
      if (kv.key.substr(0, 10) == "tokenizer.")
        w.set(std::string(kv.key), GGUFOwnedValue::copyOf(kv.value));
  } else {
    if (nVocab < 262)
      return bad("--vocab " + std::to_string(nVocab) +
                 " is too small for a synthetic vocabulary (3 special + 256 "
                 "byte tokens + pieces): at least 262");
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    syntheticVocab(nVocab, tokens, scores, types);
    std::vector<GGUFOwnedValue> t, s, ty;
    for (int64_t k = 0; k < nVocab; ++k) {
      t.push_back(GGUFOwnedValue::string(tokens[k]));
      s.push_back(GGUFOwnedValue::f32(scores[k]));
      ty.push_back(GGUFOwnedValue::i32(types[k]));
    }
    w.set("tokenizer.ggml.model", GGUFOwnedValue::string("llama"));
    w.set("tokenizer.ggml.tokens", GGUFOwnedValue::array(GGUFType::String, t));
    w.set("tokenizer.ggml.scores", GGUFOwnedValue::array(GGUFType::F32, s));
    w.set("tokenizer.ggml.token_type",
          GGUFOwnedValue::array(GGUFType::I32, ty));
    w.set("tokenizer.ggml.unknown_token_id", GGUFOwnedValue::u32(0));
    w.set("tokenizer.ggml.bos_token_id", GGUFOwnedValue::u32(1));
    w.set("tokenizer.ggml.eos_token_id", GGUFOwnedValue::u32(2));
    w.set("tokenizer.ggml.add_bos_token", GGUFOwnedValue::boolean(true));
    w.set("tokenizer.ggml.add_eos_token", GGUFOwnedValue::boolean(false));
  }
  w.set("llama.vocab_size", GGUFOwnedValue::u32(uint32_t(nVocab)));

  // Tensors, in llama.cpp's order.
  LlamaHParams hp;
  hp.dim = o.dim;
  hp.hiddenDim = o.hiddenDim;
  hp.nLayers = o.nLayers;
  hp.nHeads = o.nHeads;
  hp.nKVHeads = o.nKVHeads;
  hp.headDim = o.dim / o.nHeads;
  hp.nVocab = nVocab;
  hp.tiedOutput = o.tied;
  int fileType = -1;
  uint64_t index = 0;
  for (const ExpectedTensor &e : llamaTensorLayout(hp)) {
    int64_t layer = -1;
    if (e.name.rfind("blk.", 0) == 0)
      layer = std::stoll(e.name.substr(4));
    std::string note;
    Expected<GGMLType> type = tensorTypeFor(o, e.name, e.ne[0], layer, &note);
    if (!type)
      return type.error();
    if (!note.empty() && notes)
      notes->push_back(note);
    // Output logits get a standard deviation of about 4, so that greedy
    // decoding has clear winners; the tied embedding doubles as the output.
    float outStd = 4.0f / std::sqrt(static_cast<float>(o.dim));
    float stddev = e.isNorm                        ? 0.1f
                   : e.name == "token_embd.weight" ? (o.tied ? outStd : 1.0f)
                   : e.name == "output.weight"
                       ? outStd
                       : 1.0f / std::sqrt(static_cast<float>(e.ne[0]));
    float mean = e.isNorm ? 1.0f : 0.0f;
    uint64_t seed =
        o.seed * 0x100000001B3ull + (++index) * 0x9E3779B97F4A7C15ull;
    uint64_t rowLen = e.ne[0];
    GGMLType t = *type;
    // --eos-bias: the row of the matrix that makes EOS's logit.
    bool outputRows =
        e.name == (o.tied ? "token_embd.weight" : "output.weight");
    int64_t eosRow = outputRows && o.eosBias != 1.0 ? eosId : -1;
    float eosBias = static_cast<float>(o.eosBias);
    w.addTensor(e.name, e.ne, t, [=](uint8_t *out, uint64_t bytes) {
      SplitMix64 rng{seed};
      uint64_t rowBytes = *ggmlRowBytes(t, rowLen);
      std::vector<float> row(rowLen);
      float scale = stddev / kTriangularStd;
      for (uint64_t r = 0; r * rowBytes < bytes; ++r) {
        for (float &x : row)
          x = mean + scale * rng.triangular();
        if (static_cast<int64_t>(r) == eosRow)
          for (float &x : row)
            x *= eosBias;
        quantizeRow(t, row.data(), out + r * rowBytes,
                    static_cast<int64_t>(rowLen));
      }
    });
  }
  // llama.cpp's llama_ftype numbering (not the ggml_type ids).
  static const std::pair<const char *, int> kFileTypes[] = {
      {"f32", 0},     {"f16", 1},   {"q4_0", 2},  {"q4_1", 3},
      {"q8_0", 7},    {"q5_0", 8},  {"q5_1", 9},  {"q4_k", 14},
      {"q4_k_m", 15}, {"q5_k", 16}, {"q6_k", 18}, {"bf16", 32}};
  for (auto [n, ft] : kFileTypes)
    if (o.type == n)
      fileType = ft;
  w.set("general.file_type", GGUFOwnedValue::u32(uint32_t(fileType)));
  w.set("general.quantization_version", GGUFOwnedValue::u32(2));
  return w;
}

} // namespace llamart
