//===- TokenizerTest.cpp - The SentencePiece tokenizer ------------------===//
//
// Reproduces llama.cpp's tokenizer test vectors for the real Llama-2
// vocabulary (shared/models/llama2-vocab) and the prompt ids of the
// stories260K goldens; round-trips text through encode/decode, including
// invalid UTF-8; refuses BPE vocabularies.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Tokenizer.h"
#include "runtime/gguf/GGUFWriter.h"

#include "../SharedModels.h"

#include "gtest/gtest.h"

#include <fstream>
#include <sstream>

using namespace llamart;

namespace {

std::string shared(const std::string &rel) {
  return std::string(LLAMA_MLIR_SHARED_DIR) + "/models/" + rel;
}

std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Loaded {
  std::unique_ptr<GGUFFile> file;
  std::optional<Tokenizer> tok;
};

Loaded load(const std::string &path) {
  Loaded l;
  Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open(path);
  if (!f)
    return l;
  l.file = std::move(*f);
  Expected<Tokenizer> t = Tokenizer::fromGGUF(l.file->view());
  EXPECT_TRUE(t.ok()) << t.error().message();
  if (t)
    l.tok = std::move(*t);
  return l;
}

TEST(Tokenizer, Llama2VocabularyTestVectors) {
  Loaded l = load(shared("llama2-vocab/llama2-vocab.gguf"));
  if (!l.file)
    SKIP_WITHOUT_SHARED_MODELS("shared models not found");
  ASSERT_TRUE(l.tok);
  std::string inp = slurp(shared("llama2-vocab/tokenizer-tests.inp"));
  std::string out = slurp(shared("llama2-vocab/tokenizer-tests.out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (size_t pos = 0;;) {
    size_t next = inp.find(sep, pos);
    if (next == std::string::npos)
      break;
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<std::string> lines;
  std::istringstream os(out);
  for (std::string line; std::getline(os, line);)
    lines.push_back(line);
  ASSERT_EQ(texts.size(), lines.size());
  ASSERT_GE(texts.size(), 40u);
  for (size_t i = 0; i < texts.size(); ++i) {
    std::vector<int32_t> want;
    std::istringstream ls(lines[i]);
    for (int32_t v; ls >> v;)
      want.push_back(v);
    EXPECT_EQ(l.tok->encode(texts[i], /*addBos=*/false), want)
        << "test string " << i << ": '" << texts[i] << "'";
    // Decoding restores the text with the prefixed space.
    if (!texts[i].empty())
      EXPECT_EQ(l.tok->decode(want), " " + texts[i]) << "test string " << i;
  }
}

TEST(Tokenizer, StoriesGoldenPromptIds) {
  Loaded l = load(shared("stories260K/stories260K.gguf"));
  if (!l.file)
    SKIP_WITHOUT_SHARED_MODELS("shared models not found");
  ASSERT_TRUE(l.tok);
  // golden_1..3 prompt / prompt_ids (BOS included).
  EXPECT_EQ(l.tok->encode("Once upon a time", true),
            (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(l.tok->bos(), 1);
  EXPECT_EQ(l.tok->eos(), 2);
}

TEST(Tokenizer, InvalidUtf8BecomesByteTokensAndRoundTrips) {
  Loaded l = load(shared("llama2-vocab/llama2-vocab.gguf"));
  if (!l.file)
    SKIP_WITHOUT_SHARED_MODELS("shared models not found");
  for (std::string text : {std::string("a\xFF" "b"), std::string("\xC3"),
                           std::string("\xE2\x82"), std::string("x\x80\x80y"),
                           std::string("caf\xC3\xA9 \xF0\x9F\x98\x80")}) {
    std::vector<int32_t> ids = l.tok->encode(text, false);
    EXPECT_EQ(l.tok->decode(ids), " " + text);
  }
  // 0xFF has no token of its own: it is the byte token <0xFF>.
  std::vector<int32_t> ids = l.tok->encode("\xFF", false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(l.tok->text(ids.back()), "<0xFF>");
}

TEST(Tokenizer, PiecesOfSpecialTokens) {
  Loaded l = load(shared("llama2-vocab/llama2-vocab.gguf"));
  if (!l.file)
    SKIP_WITHOUT_SHARED_MODELS("shared models not found");
  EXPECT_EQ(l.tok->piece(1), "");  // <s> is a control token
  EXPECT_EQ(l.tok->piece(13), "\n"); // <0x0A>
  EXPECT_EQ(l.tok->piece(15043), " Hello");
  EXPECT_EQ(l.tok->encode("", true), (std::vector<int32_t>{1}));
}

TEST(Tokenizer, RefusesBPEVocabularies) {
  GGUFWriter w;
  w.set("tokenizer.ggml.model", GGUFOwnedValue::string("gpt2"));
  std::vector<uint8_t> bytes = w.toBytes();
  Expected<GGUFView> v = GGUFView::parse(bytes.data(), bytes.size(), "bpe.gguf");
  ASSERT_TRUE(v.ok());
  Expected<Tokenizer> t = Tokenizer::fromGGUF(*v);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code(), ErrorCode::Unsupported);
  EXPECT_NE(t.error().message().find("tokenizer.ggml.model"), std::string::npos);
}

} // namespace
