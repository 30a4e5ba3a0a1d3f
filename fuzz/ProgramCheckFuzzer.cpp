//===- ProgramCheckFuzzer.cpp - libFuzzer target: a program's model check -===//
//
// What a produced program does with the file given to -m before any
// generated code runs: parse the GGUF, check it against the compiled
// manifest (bindWeights), build the tokenizer and tokenize a prompt. The
// manifest is that of a small synthetic model written in memory at start-up
// (llama-gguf gen's generator), so inputs near the seed corpus get past the
// parser into the checks. Beyond "no crash, no UB, no leak" it asserts what
// the program relies on: every bound weight lies inside the file, and every
// token id is inside the vocabulary.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/GGUFTools/ModelGen.h"
#include "runtime/core/Manifest.h"
#include "runtime/core/Tokenizer.h"
#include "runtime/gguf/GGMLType.h"
#include "runtime/gguf/GGUF.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace llamart;

namespace {

/// The manifest llama-compile would embed for the synthetic model
/// (Manifest.h: hparams and every tensor in file order).
Manifest makeManifest() {
  ModelGenOptions o;
  o.dim = 32, o.hiddenDim = 64, o.nLayers = 1, o.nHeads = 4, o.nKVHeads = 2;
  o.nVocab = 262, o.nCtx = 16;
  Expected<GGUFWriter> w = makeModelWriter(o, nullptr);
  if (!w) {
    std::fprintf(stderr, "fuzzer setup: %s\n", w.error().message().c_str());
    std::abort();
  }
  static std::vector<uint8_t> bytes = w->toBytes();
  Expected<GGUFView> view = GGUFView::parse(bytes.data(), bytes.size(), "seed");
  if (!view)
    std::abort();
  Manifest m;
  m.hparams = {{"dim", 32},       {"hidden_dim", 64},
               {"n_layers", 1},   {"n_heads", 4},
               {"n_kv_heads", 2}, {"head_dim", 8},
               {"n_rot", 8},      {"n_vocab", 262},
               {"n_ctx", 16},     {"rope_theta", 10000.0},
               {"rms_eps", 1e-5}};
  for (const GGUFTensor &t : view->tensors()) {
    ManifestWeight w;
    w.name = std::string(t.name);
    w.type = static_cast<uint32_t>(t.type);
    w.ne.assign(t.ne, t.ne + t.nDims);
    m.weights.push_back(std::move(w));
  }
  return m;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const Manifest manifest = makeManifest();
  Expected<GGUFView> view = GGUFView::parse(data, size, "fuzz.gguf");
  if (!view)
    return 0;
  std::vector<int64_t> offsets;
  if (!bindWeights(manifest, *view, offsets)) {
    // Accepted: the generated code will read each weight whole.
    for (size_t i = 0; i < offsets.size(); ++i) {
      const GGUFTensor *t = view->findTensor(manifest.weights[i].name);
      if (offsets[i] < 0 || t == nullptr ||
          static_cast<uint64_t>(offsets[i]) + t->nbytes > size)
        __builtin_trap();
    }
  }
  Expected<Tokenizer> tok = Tokenizer::fromGGUF(*view);
  if (!tok)
    return 0;
  // A prompt from the input's last bytes, tokenized as -p would be.
  std::string prompt(reinterpret_cast<const char *>(data) +
                         (size > 64 ? size - 64 : 0),
                     size > 64 ? 64 : size);
  for (int32_t id : tok->encode(prompt, tok->addBos()))
    if (id < 0 || id >= tok->size())
      __builtin_trap();
  return 0;
}
