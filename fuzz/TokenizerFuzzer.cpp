//===- TokenizerFuzzer.cpp - libFuzzer target: prompt bytes -------*- C++
//-*-===//
//
// Tokenizes arbitrary bytes as a prompt (-p, -f, a --chat line) with a fixed
// vocabulary: the real Llama-2 one when LLAMA_MLIR_FUZZ_VOCAB names its GGUF
// (scripts/fuzz.sh passes ../shared/models/llama2-vocab/llama2-vocab.gguf),
// else the synthetic one of llama-gguf gen. Asserts that every id is in the
// vocabulary and that detokenizing gives back exactly the bytes (after the
// space SentencePiece prefixes), for texts without U+2581, which the
// tokenizer itself uses for spaces.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/ModelGen.h"
#include "runtime/core/Tokenizer.h"
#include "runtime/gguf/GGUF.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace llamart;

namespace {

const Tokenizer &tokenizer() {
  static std::unique_ptr<GGUFFile> file;
  static std::vector<uint8_t> bytes;
  static Tokenizer *tok = [] {
    Expected<Tokenizer> t = Error(ErrorCode::Io, "no vocabulary");
    if (const char *path = std::getenv("LLAMA_MLIR_FUZZ_VOCAB")) {
      Expected<std::unique_ptr<GGUFFile>> f = GGUFFile::open(path);
      if (!f) {
        std::fprintf(stderr, "fuzzer setup: %s\n", f.error().message().c_str());
        std::abort();
      }
      file = std::move(*f);
      t = Tokenizer::fromGGUF(file->view());
    } else {
      ModelGenOptions o;
      o.dim = 32, o.hiddenDim = 64, o.nLayers = 1, o.nHeads = 4;
      o.nKVHeads = 2, o.nVocab = 512, o.nCtx = 16;
      Expected<GGUFWriter> w = makeModelWriter(o, nullptr);
      if (!w)
        std::abort();
      bytes = w->toBytes();
      Expected<GGUFView> v = GGUFView::parse(bytes.data(), bytes.size(), "v");
      if (!v)
        std::abort();
      static GGUFView view = std::move(*v);
      t = Tokenizer::fromGGUF(view);
    }
    if (!t) {
      std::fprintf(stderr, "fuzzer setup: %s\n", t.error().message().c_str());
      std::abort();
    }
    return new Tokenizer(std::move(*t));
  }();
  return *tok;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const Tokenizer &tok = tokenizer();
  std::string text(reinterpret_cast<const char *>(data), size);
  std::vector<int32_t> ids = tok.encode(text, /*addBos=*/false);
  for (int32_t id : ids)
    if (id < 0 || id >= tok.size())
      __builtin_trap();
  if (text.empty() || text.find("\xE2\x96\x81") != std::string::npos)
    return 0;
  std::string back = tok.decode(ids);
  if (back != " " + text && back != text) {
    std::fprintf(stderr, "round trip: %zu bytes in, %zu out\n", text.size(),
                 back.size());
    __builtin_trap();
  }
  return 0;
}
