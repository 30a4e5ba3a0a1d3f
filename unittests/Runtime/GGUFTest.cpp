//===- GGUFTest.cpp - The GGUF reader on good and malformed files -------===//
//
// Round trips through the writer, typed accessors, and a table of malformed
// files generated here, each asserting the error category and that the
// message names the culprit (key, tensor, or field).
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/GGUF.h"
#include "llama-mlir/GGUFTools/ModelGen.h"
#include "runtime/gguf/GGUFWriter.h"
#include "runtime/gguf/LlamaHParams.h"

#include "../SharedModels.h"

#include "gtest/gtest.h"

#include <cstring>
#include <functional>

using namespace llamart;

namespace {

using V = GGUFOwnedValue;

/// A small valid Llama model (1 layer) as a writer.
GGUFWriter smallModel(const std::string &type = "f32") {
  ModelGenOptions o;
  o.dim = 32;
  o.hiddenDim = 64;
  o.nLayers = 1;
  o.nHeads = 4;
  o.nKVHeads = 2;
  o.nVocab = 262;
  o.nCtx = 16;
  o.type = type;
  Expected<GGUFWriter> w = makeModelWriter(o);
  EXPECT_TRUE(w.ok()) << w.error().message();
  return std::move(*w);
}

Expected<GGUFView> parse(const std::vector<uint8_t> &bytes) {
  return GGUFView::parse(bytes.data(), bytes.size(), "test.gguf");
}

/// Hand-built bytes for header-level cases.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T> Bytes &put(T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  Bytes &str(const std::string &s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes &header(uint64_t nTensors, uint64_t nKV, uint32_t version = 3) {
    return put<uint32_t>(0x46554747u).put<uint32_t>(version).put(nTensors).put(
        nKV);
  }
};

/// The byte offset of tensor `name`'s info fields in `bytes`.
struct InfoFields {
  size_t nDims, ne0, type, offset;
};
InfoFields locate(const std::vector<uint8_t> &bytes, const std::string &name) {
  Expected<GGUFView> v = parse(bytes);
  EXPECT_TRUE(v.ok());
  const GGUFTensor *t = v->findTensor(name);
  EXPECT_NE(t, nullptr);
  size_t p = t->infoOffset + 8 + name.size();
  return {p, p + 4, p + 4 + 8 * t->nDims, p + 4 + 8 * t->nDims + 4};
}
template <typename T> void patch(std::vector<uint8_t> &b, size_t at, T v) {
  std::memcpy(b.data() + at, &v, sizeof(T));
}

//===----------------------------------------------------------------------===//
// Good files
//===----------------------------------------------------------------------===//

TEST(GGUF, WriterReaderRoundTripOfEveryValueType) {
  GGUFWriter w;
  GGUFOwnedValue nested = V::array(
      GGUFType::Array, {V::array(GGUFType::U32, {V::u32(1), V::u32(2)}),
                        V::array(GGUFType::U32, {V::u32(3)})});
  GGUFOwnedValue u8;
  u8.type = GGUFType::U8;
  u8.u = 200;
  GGUFOwnedValue i16;
  i16.type = GGUFType::I16;
  i16.i = -300;
  GGUFOwnedValue f64;
  f64.type = GGUFType::F64;
  f64.f = 0.125;
  GGUFOwnedValue i64;
  i64.type = GGUFType::I64;
  i64.i = -(1ll << 40);
  w.set("a.u8", u8);
  w.set("a.i16", i16);
  w.set("a.u32", V::u32(7));
  w.set("a.i32", V::i32(-7));
  w.set("a.u64", V::u64(1ull << 40));
  w.set("a.i64", i64);
  w.set("a.f32", V::f32(1.5f));
  w.set("a.f64", f64);
  w.set("a.bool", V::boolean(true));
  w.set("a.str", V::string("h\xC3\xA9llo"));
  w.set("a.nested", nested);
  w.addTensorBytes("t", {4, 2}, GGMLType::F32, std::vector<uint8_t>(32, 1));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->version(), 3u);
  EXPECT_EQ(*v->getInt("a.u8", 0), 200);
  EXPECT_EQ(*v->getInt("a.i16", 0), -300);
  EXPECT_EQ(*v->getInt("a.u64", 0), 1ll << 40);
  EXPECT_EQ(*v->getInt("a.i64", 0), -(1ll << 40));
  EXPECT_EQ(*v->getInt("a.i32", 0), -7);
  EXPECT_EQ(*v->getFloat("a.f32", 0), 1.5);
  EXPECT_EQ(*v->getFloat("a.f64", 0), 0.125);
  EXPECT_TRUE(*v->getBool("a.bool", false));
  EXPECT_EQ(*v->getString("a.str", ""), "h\xC3\xA9llo");
  EXPECT_EQ(*v->getInt("absent", 42), 42); // default
  const GGUFValue *n = v->find("a.nested");
  ASSERT_NE(n, nullptr);
  ASSERT_EQ(n->elems.size(), 2u);
  EXPECT_EQ(n->elems[0].elems[1].u, 2u);
  EXPECT_EQ(n->elems[1].elems[0].u, 3u);
  const GGUFTensor *t = v->findTensor("t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->nbytes, 32u);
  EXPECT_EQ(t->data, bytes.data() + v->dataOffset());
  EXPECT_EQ(t->shapeString(), "[4, 2]");
}

TEST(GGUF, Version2FilesParse) {
  // GGUF v2 has v3's layout (64-bit counts and lengths); only the number
  // differs.
  std::vector<uint8_t> bytes = smallModel("q4_0").toBytes();
  patch<uint32_t>(bytes, 4, 2);
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->version(), 2u);
  EXPECT_TRUE(readLlamaHParams(*v).ok());
}

TEST(GGUF, AccessorsNameTheKeyOnWrongType) {
  GGUFWriter w;
  w.set("k", V::string("x"));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok());
  Expected<int64_t> i = v->getInt("k", 0);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().code(), ErrorCode::WrongKeyType);
  EXPECT_NE(i.error().message().find("key 'k': expected an integer, found "
                                     "string"),
            std::string::npos)
      << i.error().message();
}

TEST(GGUF, CustomAlignmentIsHonoured) {
  GGUFWriter w(64);
  w.addTensorBytes("a", {3}, GGMLType::F32, std::vector<uint8_t>(12, 1));
  w.addTensorBytes("b", {3}, GGMLType::F32, std::vector<uint8_t>(12, 2));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->alignment(), 64u);
  EXPECT_EQ(v->dataOffset() % 64, 0u);
  EXPECT_EQ(v->findTensor("b")->offset, 64u);
  EXPECT_EQ(v->findTensor("b")->data[0], 2);
}

TEST(GGUF, ValidModelsOfEveryTypeValidate) {
  for (const char *type : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_1",
                           "q5_0", "q5_1", "q4_k", "q5_k", "q6_k", "q4_k_m"}) {
    std::vector<uint8_t> bytes = smallModel(type).toBytes();
    Expected<GGUFView> v = parse(bytes);
    ASSERT_TRUE(v.ok()) << type << ": " << v.error().message();
    std::vector<Error> errors;
    Expected<LlamaHParams> hp = readLlamaHParams(*v, &errors);
    ASSERT_TRUE(hp.ok()) << type << ": " << hp.error().message();
    EXPECT_EQ(hp->dim, 32);
    EXPECT_EQ(hp->kvMul(), 2);
    EXPECT_EQ(hp->nVocab, 262);
    EXPECT_FALSE(hp->tiedOutput);
    EXPECT_TRUE(errors.empty());
  }
}

TEST(GGUF, Stories260KFromSharedModels) {
  std::string path = std::string(LLAMA_MLIR_SHARED_DIR) +
                     "/models/stories260K/stories260K.gguf";
  Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open(path);
  if (!f.ok() && f.error().code() == ErrorCode::Io)
    SKIP_WITHOUT_SHARED_MODELS(
        "shared models not found: " << f.error().message());
  ASSERT_TRUE(f.ok()) << f.error().message();
  Expected<LlamaHParams> hp = readLlamaHParams((*f)->view());
  ASSERT_TRUE(hp.ok()) << hp.error().message();
  EXPECT_EQ(hp->dim, 64);
  EXPECT_EQ(hp->hiddenDim, 172);
  EXPECT_EQ(hp->nLayers, 5);
  EXPECT_EQ(hp->nHeads, 8);
  EXPECT_EQ(hp->nKVHeads, 4);
  EXPECT_EQ(hp->headDim, 8);
  EXPECT_EQ(hp->nVocab, 512);
  EXPECT_EQ(hp->nCtxTrain, 128);
  EXPECT_EQ(hp->ropeTheta, 10000.0);
  EXPECT_EQ(hp->bosId, 1);
  EXPECT_EQ(hp->padId, kNoToken); // 0xFFFFFFFF in the file
  EXPECT_EQ((*f)->view().tensors().size(), 48u);
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

struct BadCase {
  const char *name;
  std::function<std::vector<uint8_t>()> make;
  ErrorCode code;
  const char *culprit; ///< must appear in the message
  bool modelLevel = false; ///< fails readLlamaHParams, not the parser
};

std::vector<uint8_t> withKey(const std::string &key, GGUFOwnedValue v) {
  GGUFWriter w = smallModel();
  w.set(key, std::move(v));
  return w.toBytes();
}
std::vector<uint8_t> withoutKey(const std::string &key) {
  GGUFWriter w = smallModel();
  w.erase(key);
  return w.toBytes();
}

std::vector<BadCase> badCases() {
  std::vector<BadCase> c;
  // Header.
  c.push_back({"empty", [] { return std::vector<uint8_t>(); },
               ErrorCode::Truncated, "magic"});
  c.push_back({"three_bytes", [] { return std::vector<uint8_t>{'G', 'G', 'U'}; },
               ErrorCode::Truncated, "magic"});
  c.push_back({"wrong_magic",
               [] { return Bytes().put<uint32_t>(0x46554746).put<uint32_t>(3).b; },
               ErrorCode::BadMagic, "magic"});
  c.push_back({"version_1", [] { return Bytes().header(0, 0, 1).b; },
               ErrorCode::UnsupportedVersion, "version 1"});
  c.push_back({"version_4", [] { return Bytes().header(0, 0, 4).b; },
               ErrorCode::UnsupportedVersion, "version 4"});
  c.push_back({"header_cut_in_counts",
               [] { return Bytes().put<uint32_t>(0x46554747u).put<uint32_t>(3).put<uint32_t>(0).b; },
               ErrorCode::Truncated, "tensor count"});
  c.push_back({"absurd_tensor_count",
               [] { return Bytes().header(1ull << 62, 0).b; },
               ErrorCode::TooLarge, "tensor count"});
  c.push_back({"absurd_metadata_count",
               [] { return Bytes().header(0, ~0ull).b; },
               ErrorCode::TooLarge, "metadata count"});
  c.push_back({"overflowing_metadata_count",
               [] { return Bytes().header(0, (1ull << 63) / 13 * 2).b; },
               ErrorCode::TooLarge, "metadata count"});
  // Metadata.
  c.push_back({"absurd_key_length",
               [] { return Bytes().header(0, 1).put<uint64_t>(1ull << 60).put<uint64_t>(0).b; },
               ErrorCode::TooLarge, "metadata key length"});
  c.push_back({"absurd_string_value_length",
               [] {
                 return Bytes().header(0, 1).str("general.name").put<uint32_t>(8)
                     .put<uint64_t>(~0ull).b;
               },
               ErrorCode::TooLarge, "general.name"});
  c.push_back({"absurd_array_length",
               [] {
                 return Bytes().header(0, 1).str("tokenizer.ggml.tokens")
                     .put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 61).b;
               },
               ErrorCode::TooLarge, "tokenizer.ggml.tokens"});
  c.push_back({"unknown_value_type",
               [] { return Bytes().header(0, 1).str("x.y").put<uint32_t>(13).put<uint32_t>(0).b; },
               ErrorCode::BadValueType, "x.y"});
  c.push_back({"unknown_array_element_type",
               [] {
                 return Bytes().header(0, 1).str("x.arr").put<uint32_t>(9)
                     .put<uint32_t>(77).put<uint64_t>(1).b;
               },
               ErrorCode::BadValueType, "x.arr"});
  c.push_back({"arrays_nested_too_deep",
               [] {
                 Bytes b;
                 b.header(0, 1).str("x.deep").put<uint32_t>(9);
                 for (int k = 0; k < 9; ++k)
                   b.put<uint32_t>(9).put<uint64_t>(1);
                 b.put<uint32_t>(4).put<uint64_t>(0);
                 return b.b;
               },
               ErrorCode::BadValueType, "x.deep"});
  c.push_back({"bool_not_0_or_1",
               [] { return Bytes().header(0, 1).str("x.b").put<uint32_t>(7).put<uint8_t>(2).b; },
               ErrorCode::BadValueType, "x.b"});
  c.push_back({"duplicate_key",
               [] {
                 return Bytes().header(0, 2).str("dup.key").put<uint32_t>(4).put<uint32_t>(1)
                     .str("dup.key").put<uint32_t>(4).put<uint32_t>(2).b;
               },
               ErrorCode::DuplicateName, "dup.key"});
  c.push_back({"alignment_not_power_of_two",
               [] { return withKey("general.alignment", V::u32(24)); },
               ErrorCode::BadTensorData, "general.alignment"});
  c.push_back({"alignment_of_wrong_type",
               [] { return withKey("general.alignment", V::string("32")); },
               ErrorCode::WrongKeyType, "general.alignment"});
  // Tensor infos.
  auto tensorCase = [](const char *tensor,
                       std::function<void(std::vector<uint8_t> &, InfoFields)> f) {
    return [tensor, f] {
      std::vector<uint8_t> b = smallModel().toBytes();
      f(b, locate(b, tensor));
      return b;
    };
  };
  c.push_back({"n_dims_5", tensorCase("blk.0.attn_q.weight",
                                      [](auto &b, InfoFields i) { patch<uint32_t>(b, i.nDims, 5); }),
               ErrorCode::BadTensorInfo, "blk.0.attn_q.weight"});
  c.push_back({"n_dims_0", tensorCase("output_norm.weight",
                                      [](auto &b, InfoFields i) { patch<uint32_t>(b, i.nDims, 0); }),
               ErrorCode::BadTensorInfo, "output_norm.weight"});
  c.push_back({"zero_dimension", tensorCase("blk.0.ffn_up.weight",
                                            [](auto &b, InfoFields i) { patch<uint64_t>(b, i.ne0, 0); }),
               ErrorCode::BadTensorInfo, "blk.0.ffn_up.weight"});
  c.push_back({"unknown_ggml_type", tensorCase("blk.0.attn_k.weight",
                                               [](auto &b, InfoFields i) { patch<uint32_t>(b, i.type, 99); }),
               ErrorCode::BadTensorInfo, "blk.0.attn_k.weight"});
  c.push_back({"retired_ggml_type", tensorCase("blk.0.attn_v.weight",
                                               [](auto &b, InfoFields i) { patch<uint32_t>(b, i.type, 4); }),
               ErrorCode::BadTensorInfo, "blk.0.attn_v.weight"});
  c.push_back({"row_not_whole_blocks",
               [] {
                 GGUFWriter w;
                 w.addTensorBytes("odd.weight", {48, 2}, GGMLType::Q4_0, {});
                 return w.toBytes();
               },
               ErrorCode::BadTensorInfo, "odd.weight"});
  c.push_back({"element_count_overflow",
               [] {
                 return Bytes().header(1, 0).str("huge").put<uint32_t>(4)
                     .put<uint64_t>(1ull << 32).put<uint64_t>(1ull << 32)
                     .put<uint64_t>(1).put<uint64_t>(1).put<uint32_t>(0).put<uint64_t>(0).b;
               },
               ErrorCode::Overflow, "huge"});
  c.push_back({"byte_size_overflow",
               [] {
                 // 2^62 f32 elements: the count fits in 63 bits, the bytes do not.
                 return Bytes().header(1, 0).str("big").put<uint32_t>(2)
                     .put<uint64_t>(1ull << 31).put<uint64_t>(1ull << 31)
                     .put<uint32_t>(0).put<uint64_t>(0).b;
               },
               ErrorCode::Overflow, "big"});
  c.push_back({"offset_plus_size_overflow",
               tensorCase("token_embd.weight",
                          [](auto &b, InfoFields i) { patch<uint64_t>(b, i.offset, ~0ull - 31); }),
               ErrorCode::Overflow, "token_embd.weight"});
  c.push_back({"misaligned_offset",
               tensorCase("blk.0.ffn_down.weight",
                          [](auto &b, InfoFields i) {
                            uint64_t off;
                            std::memcpy(&off, b.data() + i.offset, 8);
                            patch<uint64_t>(b, i.offset, off + 4);
                          }),
               ErrorCode::BadTensorData, "blk.0.ffn_down.weight"});
  c.push_back({"data_past_end_of_file",
               tensorCase("output.weight",
                          [](auto &b, InfoFields i) { patch<uint64_t>(b, i.offset, 1ull << 40); }),
               ErrorCode::BadTensorData, "output.weight"});
  c.push_back({"overlapping_tensors",
               tensorCase("blk.0.attn_k.weight",
                          [](auto &b, InfoFields i) { patch<uint64_t>(b, i.offset, 0); }),
               ErrorCode::BadTensorData, "overlaps"});
  c.push_back({"duplicate_tensor_name",
               [] {
                 GGUFWriter w;
                 w.addTensorBytes("same", {4}, GGMLType::F32, {});
                 w.addTensorBytes("same", {4}, GGMLType::F32, {});
                 return w.toBytes();
               },
               ErrorCode::DuplicateName, "same"});
  // Model level.
  c.push_back({"architecture_gpt2", [] { return withKey("general.architecture", V::string("gpt2")); },
               ErrorCode::Unsupported, "general.architecture", true});
  c.push_back({"missing_architecture", [] { return withoutKey("general.architecture"); },
               ErrorCode::MissingKey, "general.architecture", true});
  c.push_back({"missing_embedding_length", [] { return withoutKey("llama.embedding_length"); },
               ErrorCode::MissingKey, "llama.embedding_length", true});
  c.push_back({"missing_rms_epsilon", [] { return withoutKey("llama.attention.layer_norm_rms_epsilon"); },
               ErrorCode::MissingKey, "layer_norm_rms_epsilon", true});
  c.push_back({"block_count_is_a_string", [] { return withKey("llama.block_count", V::string("1")); },
               ErrorCode::WrongKeyType, "llama.block_count", true});
  c.push_back({"epsilon_is_an_integer", [] { return withKey("llama.attention.layer_norm_rms_epsilon", V::u32(1)); },
               ErrorCode::WrongKeyType, "layer_norm_rms_epsilon", true});
  c.push_back({"gqa_not_divisible", [] { return withKey("llama.attention.head_count_kv", V::u32(3)); },
               ErrorCode::BadHParams, "head_count_kv", true});
  c.push_back({"odd_rope_dimension", [] { return withKey("llama.rope.dimension_count", V::u32(7)); },
               ErrorCode::BadHParams, "llama.rope.dimension_count", true});
  c.push_back({"zero_block_count", [] { return withKey("llama.block_count", V::u32(0)); },
               ErrorCode::BadHParams, "llama.block_count", true});
  c.push_back({"scores_shorter_than_tokens",
               [] { return withKey("tokenizer.ggml.scores", V::array(GGUFType::F32, {V::f32(0)})); },
               ErrorCode::BadHParams, "tokenizer.ggml.scores", true});
  c.push_back({"tokens_of_wrong_type",
               [] { return withKey("tokenizer.ggml.tokens", V::array(GGUFType::U32, {V::u32(0)})); },
               ErrorCode::WrongKeyType, "tokenizer.ggml.tokens", true});
  c.push_back({"vocab_size_disagrees", [] { return withKey("llama.vocab_size", V::u32(300)); },
               ErrorCode::BadHParams, "llama.vocab_size", true});
  c.push_back({"bos_outside_vocabulary", [] { return withKey("tokenizer.ggml.bos_token_id", V::u32(262)); },
               ErrorCode::BadHParams, "tokenizer.ggml.bos_token_id", true});
  c.push_back({"missing_tensor",
               [] {
                 GGUFWriter w = smallModel();
                 w.removeTensor("blk.0.ffn_up.weight");
                 return w.toBytes();
               },
               ErrorCode::MissingTensor, "blk.0.ffn_up.weight", true});
  c.push_back({"inconsistent_q_shape",
               [] {
                 GGUFWriter w = smallModel();
                 w.removeTensor("blk.0.attn_q.weight");
                 w.addTensorBytes("blk.0.attn_q.weight", {32, 16}, GGMLType::F32, {});
                 return w.toBytes();
               },
               ErrorCode::ShapeMismatch, "blk.0.attn_q.weight", true});
  c.push_back({"embedding_rows_differ_from_vocab",
               [] {
                 GGUFWriter w = smallModel();
                 w.removeTensor("token_embd.weight");
                 w.addTensorBytes("token_embd.weight", {32, 200}, GGMLType::F32, {});
                 return w.toBytes();
               },
               ErrorCode::ShapeMismatch, "token_embd.weight", true});
  c.push_back({"quantized_norm",
               [] {
                 GGUFWriter w = smallModel();
                 w.removeTensor("blk.0.attn_norm.weight");
                 w.addTensorBytes("blk.0.attn_norm.weight", {32}, GGMLType::Q8_0, {});
                 return w.toBytes();
               },
               ErrorCode::ShapeMismatch, "blk.0.attn_norm.weight", true});
  return c;
}

class MalformedGGUF : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedGGUF, IsRejectedWithCategoryAndCulprit) {
  const BadCase &bc = GetParam();
  std::vector<uint8_t> bytes = bc.make();
  Expected<GGUFView> v = parse(bytes);
  Error err;
  if (bc.modelLevel) {
    ASSERT_TRUE(v.ok()) << "parse should succeed: " << v.error().message();
    Expected<LlamaHParams> hp = readLlamaHParams(*v);
    ASSERT_FALSE(hp.ok()) << "validation should fail";
    err = hp.error();
  } else {
    ASSERT_FALSE(v.ok()) << "parse should fail";
    err = v.error();
  }
  EXPECT_EQ(errorCodeName(err.code()), std::string(errorCodeName(bc.code)))
      << err.message();
  EXPECT_NE(err.message().find(bc.culprit), std::string::npos)
      << "message does not name '" << bc.culprit << "': " << err.message();
  EXPECT_EQ(err.message().rfind("test.gguf", 0), 0u)
      << "message does not start with the file name: " << err.message();
}

INSTANTIATE_TEST_SUITE_P(Table, MalformedGGUF, ::testing::ValuesIn(badCases()),
                         [](const auto &info) { return info.param.name; });

TEST(GGUF, TruncationAtEverySectionBoundaryIsReported) {
  std::vector<uint8_t> full = smallModel("q8_0").toBytes();
  Expected<GGUFView> v = parse(full);
  ASSERT_TRUE(v.ok());
  std::vector<size_t> cuts = {0, 4, 8, 16, 24};
  for (const GGUFKeyValue &kv : v->metadata())
    cuts.insert(cuts.end(), {size_t(kv.offset), size_t(kv.offset + 4),
                             size_t(kv.offset + 8 + kv.key.size() + 2)});
  for (const GGUFTensor &t : v->tensors())
    cuts.insert(cuts.end(), {size_t(t.infoOffset), size_t(t.infoOffset + 9),
                             size_t(t.infoOffset + 8 + t.name.size() + 6),
                             size_t(v->dataOffset() + t.offset + 1)});
  cuts.push_back(v->dataOffset() - 1);
  cuts.push_back(full.size() - 1);
  for (size_t cut : cuts) {
    std::vector<uint8_t> b(full.begin(), full.begin() + cut);
    Expected<GGUFView> r = parse(b);
    ASSERT_FALSE(r.ok()) << "cut at " << cut << " of " << full.size();
    ErrorCode code = r.error().code();
    EXPECT_TRUE(code == ErrorCode::Truncated || code == ErrorCode::BadTensorData)
        << "cut at " << cut << ": " << r.error().message();
    if (cut < v->dataOffset())
      EXPECT_EQ(code, ErrorCode::Truncated) << r.error().message();
  }
}

TEST(GGUF, ValidationReportsEveryProblem) {
  GGUFWriter w = smallModel();
  w.set("llama.attention.head_count_kv", V::u32(3));
  w.set("tokenizer.ggml.eos_token_id", V::u32(5000));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok());
  std::vector<Error> errors;
  ASSERT_FALSE(readLlamaHParams(*v, &errors).ok());
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].message().find("head_count_kv"), std::string::npos);
  EXPECT_NE(errors[1].message().find("eos_token_id"), std::string::npos);
}

TEST(GGUF, OpenReportsMissingFile) {
  Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open("/nonexistent/x.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code(), ErrorCode::Io);
  EXPECT_NE(f.error().message().find("/nonexistent/x.gguf"), std::string::npos);
}

TEST(GGUF, TiedOutputIsRecognised) {
  ModelGenOptions o;
  o.dim = 32, o.hiddenDim = 64, o.nLayers = 1, o.nHeads = 2, o.nKVHeads = 1;
  o.nVocab = 270, o.tied = true;
  Expected<GGUFWriter> w = makeModelWriter(o);
  ASSERT_TRUE(w.ok());
  std::vector<uint8_t> bytes = w->toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->findTensor("output.weight"), nullptr);
  Expected<LlamaHParams> hp = readLlamaHParams(*v);
  ASSERT_TRUE(hp.ok()) << hp.error().message();
  EXPECT_TRUE(hp->tiedOutput);
  EXPECT_EQ(hp->kvMul(), 2);
}

TEST(GGUF, TypesOfTheFormatItDoesNotDecodeAreReadAndNamed) {
  // A tensor of every undecoded type, sized by its block geometry.
  GGUFWriter w;
  for (const GGMLTypeTraits &t : kUndecodedGGMLTypes)
    w.addTensorBytes(
        std::string("t.") + t.name, {256, 2}, t.type,
        std::vector<uint8_t>(2 * 256 / t.blockSize * t.bytesPerBlock));
  w.addTensorBytes("t.f32", {4}, GGMLType::F32, std::vector<uint8_t>(16));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = parse(bytes);
  ASSERT_TRUE(v.ok()) << v.error().message();
  const GGUFTensor *iq = v->findTensor("t.iq4_xs");
  ASSERT_NE(iq, nullptr);
  EXPECT_EQ(iq->type, GGMLType::IQ4_XS);
  EXPECT_EQ(iq->nbytes, 2u * 136);
  EXPECT_FALSE(isDecodedGGMLType(iq->type));
  EXPECT_TRUE(isDecodedGGMLType(v->findTensor("t.f32")->type));
  std::string all = undecodedTensorSummary(*v);
  EXPECT_NE(all.find("iq4_xs (23) x1 (first 't.iq4_xs')"), std::string::npos)
      << all;
  EXPECT_NE(all.find("iq2_xxs (16) x1"), std::string::npos) << all;
  EXPECT_EQ(all.find("f32"), std::string::npos) << all;
  std::vector<std::string> some = {"t.f32", "t.iq4_xs", "absent"};
  EXPECT_EQ(undecodedTensorSummary(*v, &some),
            "iq4_xs (23) x1 (first 't.iq4_xs')");
  std::vector<std::string> none = {"t.f32"};
  EXPECT_EQ(undecodedTensorSummary(*v, &none), "");
}

} // namespace
