//===- Program.cpp - main() of every produced program -----------*- C++ -*-===//
//
// The command line of a program made by llama-compile:
//
//   ./model -m MODEL.gguf --tokens 1,403,407 [-n N] [-c N] [--print-ids]
//           [--logits-out FILE] [--kv-type f32|f16]
//
// It maps the GGUF file, checks it against the compiled manifest, binds each
// weight's bytes to the generated code, evaluates the prompt in one batched
// prefill call, then decodes greedily one token per call. All math runs in
// the generated entry points; this file only moves buffers around.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Runtime/GGUF.h"
#include "llama-mlir/Runtime/Manifest.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace llamart;

/// MLIR's memref descriptor (the C interface of the generated code).
template <int Rank> struct MemRef {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

template <int Rank>
static MemRef<Rank> memref(void *p, const int64_t (&sizes)[Rank]) {
  MemRef<Rank> m;
  m.allocated = m.aligned = p;
  m.offset = 0;
  int64_t stride = 1;
  for (int d = Rank - 1; d >= 0; --d) {
    m.sizes[d] = sizes[d];
    m.strides[d] = stride;
    stride *= sizes[d];
  }
  return m;
}

extern "C" {
extern const char llama_manifest[];
void _mlir_ciface_llama_prefill(MemRef<1> *file, MemRef<1> *offsets,
                                MemRef<1> *tokens, MemRef<1> *pos,
                                MemRef<4> *k, MemRef<4> *v, MemRef<2> *logits);
void _mlir_ciface_llama_decode(MemRef<1> *file, MemRef<1> *offsets,
                               MemRef<1> *tokens, MemRef<1> *pos, MemRef<4> *k,
                               MemRef<4> *v, MemRef<2> *logits);
}

namespace {

const char *kUsage =
    "usage: %s -m MODEL.gguf --tokens ID,ID,... [options]\n"
    "  -m FILE            the GGUF model (must match the compiled one)\n"
    "  --tokens LIST      prompt token ids, comma-separated (BOS included)\n"
    "  -n N               tokens to generate greedily (default 16)\n"
    "  -c N               context length, at most the compiled one\n"
    "  --kv-type T        KV cache type; must be the compiled one\n"
    "  --print-ids        print the generated token ids on stdout\n"
    "  --logits-out FILE  write float32 logits of every evaluated position\n"
    "  -h, --help         this help\n";

int usageError(const char *prog, const std::string &msg) {
  std::fprintf(stderr, "%s: %s\n", prog, msg.c_str());
  std::fprintf(stderr, kUsage, prog);
  return 2;
}

bool parseInt(const char *s, long long *out) {
  char *end;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || end == s || *end)
    return false;
  *out = v;
  return true;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

} // namespace

int main(int argc, char **argv) {
  auto t0 = std::chrono::steady_clock::now();
  const char *prog = argv[0];
  std::string model, tokensArg, logitsOut, kvType;
  long long nPredict = 16, ctx = 0;
  bool printIds = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc)
        return nullptr;
      (void)flag;
      return argv[++i];
    };
    const char *v = nullptr;
    if (a == "-h" || a == "--help") {
      std::printf(kUsage, prog);
      return 0;
    } else if (a == "--print-ids") {
      printIds = true;
    } else if (a == "-m" || a == "--tokens" || a == "-n" || a == "-c" ||
               a == "--logits-out" || a == "--kv-type") {
      if (!(v = value(a.c_str())))
        return usageError(prog, "option " + a + " needs a value");
      if (a == "-m")
        model = v;
      else if (a == "--tokens")
        tokensArg = v;
      else if (a == "--logits-out")
        logitsOut = v;
      else if (a == "--kv-type")
        kvType = v;
      else if (!parseInt(v, a == "-n" ? &nPredict : &ctx) ||
               (a == "-n" ? nPredict < 0 : ctx <= 0))
        return usageError(prog, "option " + a + ": invalid value '" + v + "'");
    } else {
      return usageError(prog, "unknown option '" + a + "'");
    }
  }
  if (model.empty())
    return usageError(prog, "-m MODEL.gguf is required");
  if (tokensArg.empty())
    return usageError(prog, "--tokens is required");

  Expected<Manifest> manifest = parseManifest(llama_manifest);
  if (!manifest) {
    std::fprintf(stderr, "%s: %s\n", prog, manifest.error().message().c_str());
    return 1;
  }
  const Manifest &m = *manifest;
  int64_t nVocab = m.hparam("n_vocab"), nCtx = m.hparam("n_ctx");
  if (!kvType.empty() && kvType != m.kvType)
    return usageError(prog, "--kv-type " + kvType +
                                ": this program was compiled for " + m.kvType +
                                " (llama-compile --kv-type)");
  if (ctx > nCtx)
    return usageError(prog, "-c " + std::to_string(ctx) +
                                " exceeds the compiled context length " +
                                std::to_string(nCtx));
  if (ctx == 0)
    ctx = nCtx;

  std::vector<int32_t> tokens;
  for (const char *p = tokensArg.c_str(); *p;) {
    char *end;
    errno = 0;
    long long t = std::strtoll(p, &end, 10);
    if (end == p || errno || (*end && *end != ','))
      return usageError(prog, "--tokens: expected comma-separated integers, "
                              "got '" + tokensArg + "'");
    if (t < 0 || t >= nVocab)
      return usageError(prog, "--tokens: token id " + std::to_string(t) +
                                  " is outside the vocabulary [0, " +
                                  std::to_string(nVocab) + ")");
    tokens.push_back(static_cast<int32_t>(t));
    p = *end ? end + 1 : end;
  }
  if (tokens.empty())
    return usageError(prog, "--tokens: at least one token is needed");
  if (static_cast<long long>(tokens.size()) > ctx)
    return usageError(prog, std::to_string(tokens.size()) +
                                " prompt tokens exceed the context length " +
                                std::to_string(ctx));

  Expected<std::unique_ptr<GGUFFile>> file = GGUFFile::open(model);
  if (!file) {
    std::fprintf(stderr, "%s: %s\n", prog, file.error().message().c_str());
    return 1;
  }
  const GGUFView &view = (*file)->view();
  std::vector<int64_t> offsets;
  if (Error e = bindWeights(m, view, offsets)) {
    std::fprintf(stderr, "%s: %s\n", prog, e.message().c_str());
    return 1;
  }

  // KV cache: [n_layers, n_ctx(compiled), n_kv_heads, head_dim].
  int64_t cacheShape[4] = {m.hparam("n_layers"), nCtx, m.hparam("n_kv_heads"),
                           m.hparam("head_dim")};
  size_t elem = m.kvType == "f16" ? 2 : 4;
  size_t cacheElems = static_cast<size_t>(cacheShape[0] * cacheShape[1] *
                                          cacheShape[2] * cacheShape[3]);
  std::vector<uint8_t> kMem(cacheElems * elem), vMem(cacheElems * elem);
  MemRef<4> kc = memref(kMem.data(), cacheShape);
  MemRef<4> vc = memref(vMem.data(), cacheShape);
  MemRef<1> fileRef =
      memref(const_cast<uint8_t *>(view.data()),
             {static_cast<int64_t>(view.fileSize())});
  MemRef<1> offRef =
      memref(offsets.data(), {static_cast<int64_t>(offsets.size())});

  FILE *logitsFile = nullptr;
  if (!logitsOut.empty() && !(logitsFile = std::fopen(logitsOut.c_str(), "wb"))) {
    std::fprintf(stderr, "%s: %s: cannot create\n", prog, logitsOut.c_str());
    return 1;
  }
  auto writeRows = [&](const float *rows, int64_t n) {
    if (logitsFile)
      std::fwrite(rows, sizeof(float), static_cast<size_t>(n * nVocab),
                  logitsFile);
  };
  auto argmax = [&](const float *row) {
    int64_t best = 0;
    for (int64_t i = 1; i < nVocab; ++i)
      if (row[i] > row[best])
        best = i;
    return static_cast<int32_t>(best);
  };

  // Prefill: the whole prompt in one call.
  auto t1 = std::chrono::steady_clock::now();
  int64_t seq = static_cast<int64_t>(tokens.size());
  std::vector<int32_t> pos(tokens.size());
  for (size_t i = 0; i < pos.size(); ++i)
    pos[i] = static_cast<int32_t>(i);
  std::vector<float> logits(static_cast<size_t>(seq * nVocab));
  MemRef<1> tokRef = memref(tokens.data(), {seq});
  MemRef<1> posRef = memref(pos.data(), {seq});
  MemRef<2> logRef = memref(logits.data(), {seq, nVocab});
  _mlir_ciface_llama_prefill(&fileRef, &offRef, &tokRef, &posRef, &kc, &vc,
                             &logRef);
  writeRows(logits.data(), seq);
  auto t2 = std::chrono::steady_clock::now();

  // Decode: one token per call.
  std::vector<int32_t> generated;
  int32_t next = argmax(logits.data() + (seq - 1) * nVocab);
  std::vector<float> row(static_cast<size_t>(nVocab));
  int64_t p = seq;
  while (static_cast<long long>(generated.size()) < nPredict) {
    generated.push_back(next);
    if (static_cast<long long>(generated.size()) == nPredict || p >= ctx)
      break;
    int32_t tok = next, ps = static_cast<int32_t>(p);
    MemRef<1> t1Ref = memref(&tok, {1});
    MemRef<1> p1Ref = memref(&ps, {1});
    MemRef<2> rRef = memref(row.data(), {1, nVocab});
    _mlir_ciface_llama_decode(&fileRef, &offRef, &t1Ref, &p1Ref, &kc, &vc,
                              &rRef);
    writeRows(row.data(), 1);
    next = argmax(row.data());
    ++p;
  }
  auto t3 = std::chrono::steady_clock::now();
  if (logitsFile && std::fclose(logitsFile) != 0) {
    std::fprintf(stderr, "%s: %s: write failed\n", prog, logitsOut.c_str());
    return 1;
  }
  if (printIds) {
    for (size_t i = 0; i < generated.size(); ++i)
      std::printf("%s%d", i ? " " : "", generated[i]);
    std::printf("\n");
  }
  double pre = seconds(t1, t2), dec = seconds(t2, t3);
  size_t nDec = generated.empty() ? 0 : generated.size() - 1;
  std::fprintf(stderr,
               "%s: load %.3f s; prompt %lld tokens in %.3f s (%.1f tok/s); "
               "%zu decode steps in %.3f s (%.1f tok/s)\n",
               prog, seconds(t0, t1), static_cast<long long>(seq), pre,
               pre > 0 ? seq / pre : 0.0, nDec, dec,
               dec > 0 ? nDec / dec : 0.0);
  return 0;
}
