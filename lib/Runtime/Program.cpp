//===- Program.cpp - main() of every produced program -----------*- C++ -*-===//
//
// The command line of a program made by llama-compile, modelled on
// llama.cpp's llama-cli:
//
//   ./model -m MODEL.gguf -p "Once upon a time" -n 128
//   ./model -m MODEL.gguf --chat [--system TEXT]
//   ./model -m MODEL.gguf --tokens 1,403,407 --print-ids [--logits-out F]
//
// It maps the GGUF file, checks it against the compiled manifest, binds each
// weight's bytes to the generated code, tokenizes the prompt, evaluates it in
// one batched prefill call, then samples one token per decode call, streaming
// text to stdout. All math runs in the generated entry points; this file moves
// buffers and text around.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Runtime/Bench.h"
#include "llama-mlir/Runtime/CPUFeatures.h"
#include "llama-mlir/Runtime/GGUF.h"
#include "llama-mlir/Runtime/Manifest.h"
#include "llama-mlir/Runtime/Sampler.h"
#include "llama-mlir/Runtime/ThreadPool.h"
#include "llama-mlir/Runtime/Tokenizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
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
                                MemRef<1> *tokens, MemRef<1> *pos, MemRef<4> *k,
                                MemRef<4> *v, MemRef<2> *logits);
void _mlir_ciface_llama_decode(MemRef<1> *file, MemRef<1> *offsets,
                               MemRef<1> *tokens, MemRef<1> *pos, MemRef<4> *k,
                               MemRef<4> *v, MemRef<2> *logits);
// GPU programs (llama-compile --target=sm_90) link libLlamaCUDA.a, whose
// definitions (include/llama-mlir/Runtime/CUDARuntime.h) these weak
// declarations then resolve to; in CPU programs they stay null.
int llama_rt_gpu_init(char *err, size_t errSize) __attribute__((weak));
void llama_rt_gpu_describe(char *out, size_t outSize) __attribute__((weak));
void *llama_rt_gpu_alloc(size_t bytes) __attribute__((weak));
void *llama_rt_gpu_alloc_device(size_t bytes) __attribute__((weak));
void llama_rt_gpu_upload(void *dst, const void *src, size_t bytes)
    __attribute__((weak));
void llama_rt_gpu_zero(void *dst, size_t bytes) __attribute__((weak));
void llama_rt_gpu_free(int64_t ptr) __attribute__((weak));
void llama_rt_gpu_place_on_device(void *p, size_t bytes, int readMostly)
    __attribute__((weak));
uint64_t llama_rt_gpu_launch_count() __attribute__((weak));
void llama_rt_gpu_sync() __attribute__((weak));
}

namespace {

/// The arguments of the entry points (docs/Pipeline.md: the runtime ABI)
/// that the manifest's `gpu_device_only_args` and `gpu_host_only_args` may
/// name.
constexpr int64_t kArgFile = 0, kArgTokens = 2, kArgPositions = 3,
                  kArgKCache = 4, kArgVCache = 5, kArgLogits = 6;

/// Where the buffers the generated code reads and writes live: host memory
/// for CPU programs; for GPU programs, whose kernels read the weights, KV
/// cache, tokens and positions and write the logits, CUDA managed memory
/// (host- and device-visible), device memory for the buffers that only
/// kernels touch (the manifest's `gpu_device_only_args`), or host memory
/// for those no kernel touches (`gpu_host_only_args`).
struct Buffers {
  bool gpu = false;

  /// `bytes`, zero-filled when `zeroed` (the KV cache); the per-token
  /// buffers are overwritten whole and are not cleared first. `device`:
  /// in device memory, which the host must not touch.
  void *alloc(size_t bytes, bool zeroed, bool device = false) const {
    if (!gpu)
      return zeroed ? std::calloc(bytes, 1) : std::malloc(bytes);
    if (device) {
      void *p = llama_rt_gpu_alloc_device(bytes);
      if (p && zeroed)
        llama_rt_gpu_zero(p, bytes);
      return p;
    }
    void *p = llama_rt_gpu_alloc(bytes);
    if (p && zeroed)
      std::memset(p, 0, bytes);
    return p;
  }
  void free(void *p) const {
    if (gpu)
      llama_rt_gpu_free(static_cast<int64_t>(reinterpret_cast<intptr_t>(p)));
    else
      std::free(p);
  }
};

Buffers &buffers() {
  static Buffers b;
  return b;
}

/// GPU programs: the weights, copied once per process to the GPU and shared
/// by every Session: into device memory where only kernels read them
/// (`device`), else into managed memory moved to the device (read-mostly:
/// the host code's embedding gather reads copies of its rows).
const uint8_t *gpuWeights(const GGUFView &view, bool device) {
  static uint8_t *copy = nullptr;
  static const GGUFView *of = nullptr;
  if (copy && of == &view)
    return copy;
  if (copy)
    buffers().free(copy);
  // The kernels read f32/f16/bf16 weights with 16-byte loads
  // (llama-lower-to-loops{gpu}): every tensor must start at a multiple of
  // 16 bytes, which an alignment of 16 or more gives.
  if (view.alignment() % 16 != 0) {
    std::fprintf(stderr,
                 "%s: general.alignment is %llu; GPU programs need tensors "
                 "aligned to 16 bytes (GGUF's default is 32)\n",
                 view.name().c_str(),
                 static_cast<unsigned long long>(view.alignment()));
    std::exit(1);
  }
  copy =
      static_cast<uint8_t *>(buffers().alloc(view.fileSize(), false, device));
  if (!copy) {
    std::fprintf(stderr,
                 "cannot allocate %zu bytes of GPU memory for the weights\n",
                 static_cast<size_t>(view.fileSize()));
    std::exit(1);
  }
  if (device) {
    llama_rt_gpu_upload(copy, view.data(), view.fileSize());
  } else {
    std::memcpy(copy, view.data(), view.fileSize());
    llama_rt_gpu_place_on_device(copy, view.fileSize(), 1);
  }
  of = &view;
  return copy;
}

} // namespace

namespace {

const char *kUsage =
    "usage: %s -m MODEL.gguf [-p PROMPT | -f FILE | --tokens IDS | --chat] "
    "[options]\n"
    "\n"
    "input:\n"
    "  -m, --model FILE        the GGUF model (the one the program was "
    "compiled for)\n"
    "  -p, --prompt TEXT       prompt text (default: empty, generation starts "
    "at BOS)\n"
    "  -f, --file FILE         read the prompt from a file\n"
    "  --tokens IDS            prompt as comma-separated token ids (BOS "
    "included)\n"
    "  --chat                  interactive chat on stdin with the Llama-2 "
    "template\n"
    "  --system TEXT           system prompt for --chat (default: none)\n"
    "generation:\n"
    "  -n, --n-predict N       tokens to generate (default: 128; -1 = until "
    "the context is full)\n"
    "  -c, --ctx-size N        context length, at most the compiled one "
    "(default: the compiled one)\n"
    "  --ignore-eos            do not stop at the end-of-sequence token\n"
    "  -t, --threads N         threads (default: the number of cores)\n"
    "  --kv-type T             KV cache type; must be the compiled one (f32 or "
    "f16)\n"
    "sampling (llama.cpp's order: penalty, top-k, top-p, min-p, temperature):\n"
    "  -s, --seed N            random seed (default: -1, a random seed)\n"
    "  --temp T                temperature (default: 0.8; 0 = greedy)\n"
    "  --top-k N               top-k (default: 40; 0 = off)\n"
    "  --top-p P               top-p (default: 0.95; 1.0 = off)\n"
    "  --min-p P               min-p (default: 0.05; 0.0 = off)\n"
    "  --repeat-penalty X      repetition penalty (default: 1.0 = off)\n"
    "  --repeat-last-n N       tokens the penalty looks back at (default: 64; "
    "-1 = context)\n"
    "benchmark (like llama-bench):\n"
    "  --bench                 run pp and tg, print tokens/s against the "
    "machine's roofline\n"
    "  --bench-pp N            prompt tokens of the pp test (default: 512, "
    "capped at the context)\n"
    "  --bench-tg N            generated tokens of the tg test (default: 128)\n"
    "  --bench-reps N          repetitions; the median is reported (default: "
    "5)\n"
    "  --bench-format F        md or json (default: md)\n"
    "output:\n"
    "  --print-ids             print the generated token ids instead of text\n"
    "  --logits-out FILE       write the float32 logits of every evaluated "
    "position\n"
    "  -h, --help              this help\n";

struct Options {
  std::string model, prompt, promptFile, tokens, logitsOut, kvType, system;
  bool hasPrompt = false, chat = false, printIds = false, ignoreEos = false;
  bool bench = false;
  long long benchPP = 512, benchTG = 128, benchReps = 5;
  std::string benchFormat = "md";
  long long nPredict = 128, ctx = 0, threads = 0; // 0: one per core
  long long seed = -1;
  SamplerParams sampling;
};

[[noreturn]] void die(const char *prog, const std::string &msg, int code) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", prog, msg.c_str());
  std::exit(code);
}

bool parseInt(const std::string &s, long long *out) {
  char *end;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno || end == s.c_str() || *end)
    return false;
  *out = v;
  return true;
}
bool parseFloat(const std::string &s, float *out) {
  char *end;
  errno = 0;
  float v = std::strtof(s.c_str(), &end);
  if (errno || end == s.c_str() || *end || !std::isfinite(v))
    return false;
  *out = v;
  return true;
}

/// Parses argv; usage errors exit 2 with one line naming the problem.
Options parseArgs(int argc, char **argv) {
  Options o;
  const char *prog = argv[0];
  auto bad = [&](const std::string &msg) {
    die(prog, msg + " (see --help)", 2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(kUsage, prog);
      std::exit(0);
    }
    if (a == "--print-ids") {
      o.printIds = true;
      continue;
    }
    if (a == "--ignore-eos") {
      o.ignoreEos = true;
      continue;
    }
    if (a == "--bench") {
      o.bench = true;
      continue;
    }
    if (a == "--chat" || a == "-i" || a == "--interactive") {
      o.chat = true;
      continue;
    }
    if (i + 1 >= argc)
      bad("unknown option or missing value: '" + a + "'");
    std::string v = argv[i + 1];
    bool known = true;
    long long n;
    float x;
    if (a == "-m" || a == "--model")
      o.model = v;
    else if (a == "-p" || a == "--prompt") {
      o.prompt = v;
      o.hasPrompt = true;
    } else if (a == "-f" || a == "--file")
      o.promptFile = v;
    else if (a == "--tokens")
      o.tokens = v;
    else if (a == "--system")
      o.system = v;
    else if (a == "--logits-out")
      o.logitsOut = v;
    else if (a == "--kv-type")
      o.kvType = v;
    else if (a == "--bench-format") {
      if (v != "md" && v != "json")
        bad("--bench-format: expected md or json, got '" + v + "'");
      o.benchFormat = v;
    } else if (a == "--bench-pp" || a == "--bench-tg" || a == "--bench-reps") {
      if (!parseInt(v, &n) || n < (a == "--bench-reps" ? 1 : 0) ||
          n > (1 << 20))
        bad(a + ": expected a non-negative integer, got '" + v + "'");
      (a == "--bench-pp"   ? o.benchPP
       : a == "--bench-tg" ? o.benchTG
                           : o.benchReps) = n;
    } else if (a == "-n" || a == "--n-predict") {
      if (!parseInt(v, &n) || n < -1)
        bad("-n: expected an integer >= -1, got '" + v + "'");
      o.nPredict = n;
    } else if (a == "-c" || a == "--ctx-size") {
      if (!parseInt(v, &n) || n <= 0)
        bad("-c: expected a positive integer, got '" + v + "'");
      o.ctx = n;
    } else if (a == "-t" || a == "--threads") {
      if (!parseInt(v, &n) || n <= 0 || n > 1024)
        bad("-t: expected 1..1024, got '" + v + "'");
      o.threads = n;
    } else if (a == "-s" || a == "--seed") {
      if (!parseInt(v, &n) || n < -1 || n > 0xFFFFFFFFll)
        bad("--seed: expected -1..4294967295, got '" + v + "'");
      o.seed = n;
    } else if (a == "--temp") {
      if (!parseFloat(v, &x))
        bad("--temp: expected a number, got '" + v + "'");
      o.sampling.temp = x;
    } else if (a == "--top-k") {
      if (!parseInt(v, &n) || n < 0 || n > (1 << 30))
        bad("--top-k: expected an integer >= 0, got '" + v + "'");
      o.sampling.topK = static_cast<int32_t>(n);
    } else if (a == "--top-p") {
      if (!parseFloat(v, &x) || x < 0 || x > 1)
        bad("--top-p: expected 0..1, got '" + v + "'");
      o.sampling.topP = x;
    } else if (a == "--min-p") {
      if (!parseFloat(v, &x) || x < 0 || x > 1)
        bad("--min-p: expected 0..1, got '" + v + "'");
      o.sampling.minP = x;
    } else if (a == "--repeat-penalty") {
      if (!parseFloat(v, &x) || x <= 0)
        bad("--repeat-penalty: expected a positive number, got '" + v + "'");
      o.sampling.repeatPenalty = x;
    } else if (a == "--repeat-last-n") {
      if (!parseInt(v, &n) || n < -1 || n > (1 << 30))
        bad("--repeat-last-n: expected an integer >= -1, got '" + v + "'");
      o.sampling.repeatLastN = static_cast<int32_t>(n);
    } else
      known = false;
    if (!known)
      bad("unknown option '" + a + "'");
    ++i;
  }
  if (o.model.empty())
    bad("-m MODEL.gguf is required");
  int inputs = o.hasPrompt + !o.promptFile.empty() + !o.tokens.empty() + o.chat;
  if (inputs > 1)
    bad("give only one of -p, -f, --tokens and --chat");
  return o;
}

double seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// The compiled model bound to a GGUF file, with its KV cache.
class Session {
public:
  Session(const Manifest &m, const GGUFView &view, std::vector<int64_t> offsets,
          int64_t ctx)
      : offsets_(std::move(offsets)), ctx_(ctx) {
    nVocab_ = m.hparam("n_vocab");
    int64_t nCtx = m.hparam("n_ctx");
    int64_t shape[4] = {m.hparam("n_layers"), nCtx, m.hparam("n_kv_heads"),
                        m.hparam("head_dim")};
    size_t elems =
        static_cast<size_t>(shape[0] * shape[1] * shape[2] * shape[3]);
    size_t elem = m.kvType == "f16" ? 2 : 4;
    // calloc: the kernel hands out zero pages lazily, so a long context costs
    // nothing until it is used.
    bool gpu = buffers().gpu;
    bool deviceKV = gpu && m.deviceOnly(kArgKCache) && m.deviceOnly(kArgVCache);
    k_.reset(
        static_cast<uint8_t *>(buffers().alloc(elems * elem, true, deviceKV)));
    v_.reset(
        static_cast<uint8_t *>(buffers().alloc(elems * elem, true, deviceKV)));
    if (!k_ || !v_) {
      std::fprintf(stderr, "cannot allocate the KV cache (%zu bytes)\n",
                   2 * elems * elem);
      std::exit(1);
    }
    kc_ = memref(k_.get(), shape);
    vc_ = memref(v_.get(), shape);
    const uint8_t *bytes = view.data();
    if (gpu && !deviceKV) {
      llama_rt_gpu_place_on_device(k_.get(), elems * elem, 0);
      llama_rt_gpu_place_on_device(v_.get(), elems * elem, 0);
    }
    if (gpu)
      bytes = gpuWeights(view, m.deviceOnly(kArgFile));
    if (gpu && m.deviceOnly(kArgTokens) && m.deviceOnly(kArgPositions)) {
      // Room for the tokens, then the positions, of up to n_ctx tokens:
      // one upload a call, a decode step's at the same addresses every
      // time (CUDA graphs keep their arguments).
      ids_.reset(static_cast<uint8_t *>(buffers().alloc(
          2 * static_cast<size_t>(nCtx) * sizeof(int32_t), false, true)));
      idsCap_ = ids_ ? nCtx : 0;
    }
    hostIds_ = !gpu || (m.hostOnly(kArgTokens) && m.hostOnly(kArgPositions));
    hostLogits_ = !gpu || m.hostOnly(kArgLogits);
    file_ = memref(const_cast<uint8_t *>(bytes),
                   {static_cast<int64_t>(view.fileSize())});
    off_ = memref(offsets_.data(), {static_cast<int64_t>(offsets_.size())});
  }

  int64_t pos() const { return pos_; }
  int64_t ctx() const { return ctx_; }
  int64_t vocab() const { return nVocab_; }

  /// Evaluates `tokens` at the next positions; returns the logits of every
  /// token (rows of n_vocab). One prefill call for several tokens, one decode
  /// call for one.
  const std::vector<float> &eval(const std::vector<int32_t> &tokens) {
    int64_t n = static_cast<int64_t>(tokens.size());
    std::vector<int32_t> tok(tokens), ps(tokens.size());
    for (int64_t i = 0; i < n; ++i)
      ps[i] = static_cast<int32_t>(pos_ + i);
    logits_.assign(static_cast<size_t>(n * nVocab_), 0.0f);
    size_t ids = static_cast<size_t>(n) * sizeof(int32_t);
    size_t out = logits_.size() * sizeof(float);
    // GPU programs: the tokens and positions in device, managed or host
    // memory, the logits in host memory or managed memory copied out.
    int32_t *tp = tok.data(), *pp = ps.data();
    float *lp = logits_.data();
    bool deviceIds = n <= idsCap_;
    if (deviceIds) {
      // Device memory (the manifest's gpu_device_only_args): one upload.
      std::vector<int32_t> both(tok);
      both.insert(both.end(), ps.begin(), ps.end());
      tp = reinterpret_cast<int32_t *>(ids_.get());
      pp = tp + n;
      llama_rt_gpu_upload(tp, both.data(), 2 * ids);
    } else if (!hostIds_) {
      tp = static_cast<int32_t *>(buffers().alloc(ids, false));
      pp = static_cast<int32_t *>(buffers().alloc(ids, false));
      std::memcpy(tp, tok.data(), ids);
      std::memcpy(pp, ps.data(), ids);
    }
    if (!hostLogits_)
      lp = static_cast<float *>(buffers().alloc(out, false));
    MemRef<1> t = memref(tp, {n}), p = memref(pp, {n});
    MemRef<2> l = memref(lp, {n, nVocab_});
    if (n == 1)
      _mlir_ciface_llama_decode(&file_, &off_, &t, &p, &kc_, &vc_, &l);
    else
      _mlir_ciface_llama_prefill(&file_, &off_, &t, &p, &kc_, &vc_, &l);
    if (buffers().gpu) {
      // With LLAMA_MLIR_GPU_ASYNC=1 the kernels run asynchronously
      // (CUDARuntime.cpp): wait for them.
      llama_rt_gpu_sync();
      if (!hostLogits_) {
        std::memcpy(logits_.data(), lp, out);
        buffers().free(lp);
      }
      if (!deviceIds && !hostIds_) {
        buffers().free(tp);
        buffers().free(pp);
      }
    }
    pos_ += n;
    return logits_;
  }

private:
  std::vector<int64_t> offsets_;
  int64_t ctx_, nVocab_ = 0, pos_ = 0;
  struct Free {
    void operator()(uint8_t *p) const { buffers().free(p); }
  };
  std::unique_ptr<uint8_t, Free> k_, v_, ids_;
  int64_t idsCap_ = 0; // tokens ids_ holds (0: none)
  // Whether the tokens and positions, and the logits, are host memory
  // (CPU programs; GPU programs' gpu_host_only_args).
  bool hostIds_ = true, hostLogits_ = true;
  std::vector<float> logits_;
  MemRef<4> kc_, vc_;
  MemRef<1> file_, off_;
};

struct Stats {
  double promptSec = 0, genSec = 0;
  long long promptTokens = 0, genTokens = 0;
};

/// Streams text to stdout as it is generated.
void emit(const std::string &s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

/// --bench: pp and tg like llama-bench, against the measured roofline.
int runBench(const Options &o, const Manifest &m, const GGUFView &view,
             const std::vector<int64_t> &offsets, int64_t ctx, int threads) {
  // What one token costs: every weight byte once for decode (one embedding
  // row), 2 FLOPs per matmul parameter for prefill.
  double bytes = 0, params = 0;
  for (const ManifestWeight &w : m.weights) {
    const GGUFTensor *t = view.findTensor(w.name);
    if (!t)
      continue;
    bool embd = w.name == "token_embd.weight";
    bool tied = m.hparam("tied_output") != 0;
    bytes += embd && !tied ? double(t->nbytes) / double(t->rows())
                           : double(t->nbytes);
    if (t->nDims == 2 && (!embd || tied))
      params += double(t->numElements);
  }
  double bw = measureReadBandwidth(threads), flops = measureFmaPeak(threads);
  int64_t pp = std::min<int64_t>(o.benchPP, ctx);
  int64_t tg = std::min<int64_t>(o.benchTG, ctx - 1);
  int64_t nVocab = m.hparam("n_vocab");
  std::vector<double> ppRate, tgRate;
  std::mt19937 rng(1);
  {
    // Warm-up, untimed (like llama-bench's): page-in of the weights, and on
    // a GPU the PTX's JIT and the weights' move to the device.
    Session s(m, view, offsets, ctx);
    if (pp > 1)
      s.eval({1, 2});
    s.eval({1});
  }
  bool gpu = llama_rt_gpu_launch_count && buffers().gpu;
  uint64_t launches = 0;
  for (long long r = 0; r < o.benchReps; ++r) {
    if (pp > 0) {
      Session s(m, view, offsets, ctx);
      std::vector<int32_t> toks(static_cast<size_t>(pp));
      for (int32_t &t : toks)
        t = static_cast<int32_t>(rng() % static_cast<uint32_t>(nVocab));
      auto a = std::chrono::steady_clock::now();
      s.eval(toks);
      ppRate.push_back(pp / seconds(a, std::chrono::steady_clock::now()));
    }
    if (tg > 0) {
      Session s(m, view, offsets, ctx);
      const std::vector<float> *last = &s.eval({1});
      uint64_t before = gpu ? llama_rt_gpu_launch_count() : 0;
      auto a = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < tg; ++i) {
        int32_t next = static_cast<int32_t>(
            std::max_element(last->begin(), last->begin() + nVocab) -
            last->begin());
        last = &s.eval({next});
      }
      tgRate.push_back(tg / seconds(a, std::chrono::steady_clock::now()));
      if (gpu)
        launches = (llama_rt_gpu_launch_count() - before) / tg;
    }
  }
  Summary pps = summarize(ppRate), tgs = summarize(tgRate);
  double tgRoof = bw / bytes, ppRoof = flops / (2 * params);
  std::string name = view.name().substr(view.name().find_last_of('/') + 1);
  if (o.benchFormat == "json") {
    std::printf("{\"model\": \"%s\", \"weight_bytes_per_token\": %.0f, "
                "\"matmul_params\": %.0f, \"threads\": %d, "
                "\"read_bandwidth_gb_s\": %.2f, \"fma_peak_gflop_s\": %.2f, "
                "\"repetitions\": %lld, \"gpu_launches_per_token\": %llu, "
                "\"tests\": [",
                name.c_str(), bytes, params, threads, bw / 1e9, flops / 1e9,
                o.benchReps, static_cast<unsigned long long>(launches));
    bool first = true;
    auto row = [&](const char *test, int64_t n, const Summary &s, double roof) {
      if (n <= 0)
        return;
      std::printf("%s{\"test\": \"%s%lld\", \"tokens_per_s\": %.3f, "
                  "\"min\": %.3f, \"max\": %.3f, \"roofline_tokens_per_s\": "
                  "%.3f, \"percent_of_roofline\": %.1f}",
                  first ? "" : ", ", test, static_cast<long long>(n), s.median,
                  s.min, s.max, roof, 100 * s.median / roof);
      first = false;
    };
    row("pp", pp, pps, ppRoof);
    row("tg", tg, tgs, tgRoof);
    std::printf("]}\n");
  } else {
    std::printf("| model | weights/token | threads | test | t/s (median) | min "
                "- max | roofline t/s | %% of roofline |\n"
                "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
    auto row = [&](const char *test, int64_t n, const Summary &s, double roof) {
      if (n <= 0)
        return;
      std::printf("| %s | %.1f MiB | %d | %s%lld | %.2f | %.2f - %.2f | %.2f | "
                  "%.1f%% |\n",
                  name.c_str(), bytes / (1 << 20), threads, test,
                  static_cast<long long>(n), s.median, s.min, s.max, roof,
                  100 * s.median / roof);
    };
    row("pp", pp, pps, ppRoof);
    row("tg", tg, tgs, tgRoof);
    std::printf(
        "\nmachine: read bandwidth %.2f GB/s, fp32 FMA peak %.1f GFLOP/s "
        "(%d threads); %lld repetitions; roofline: pp = FMA peak / "
        "(2 x %.0f matmul parameters), tg = bandwidth / weight bytes per "
        "token\n",
        bw / 1e9, flops / 1e9, threads, o.benchReps, params);
    if (gpu)
      std::printf("GPU: %llu kernel launches per generated token; the "
                  "roofline above is the host CPU's\n",
                  static_cast<unsigned long long>(launches));
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  auto t0 = std::chrono::steady_clock::now();
  const char *prog = argv[0];
  Options o = parseArgs(argc, argv);

  Expected<Manifest> manifest = parseManifest(llama_manifest);
  if (!manifest)
    die(prog, manifest.error().message(), 1);
  const Manifest &m = *manifest;
  // Before any generated code runs: refuse a CPU without the features the
  // code was compiled for (rather than die of SIGILL inside a kernel).
  std::vector<std::string> missing = missingCPUFeatures(m.cpuFeatures);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    die(prog,
        "this program was compiled for target '" + m.target + "' (" + m.triple +
            ") and this CPU lacks " + list +
            "; recompile with llama-compile --target=<one this CPU "
            "has> (llama-compile --list-targets)",
        3);
  }
  // GPU programs: a driver and a device, or a clear error.
  if (m.triple.rfind("nvptx", 0) == 0) {
    char err[512] = {0};
    if (!llama_rt_gpu_init || llama_rt_gpu_init(err, sizeof(err)) != 0)
      die(prog,
          "this program was compiled for target '" + m.target + "' (" +
              m.triple + ", an NVIDIA GPU): " +
              (llama_rt_gpu_init ? std::string(err)
                                 : std::string("it was linked without the "
                                               "CUDA runtime")),
          3);
    buffers().gpu = true;
    char dev[300] = {0};
    llama_rt_gpu_describe(dev, sizeof(dev));
    std::fprintf(stderr, "GPU: %s\n", dev);
  }
  int64_t nVocab = m.hparam("n_vocab"), nCtx = m.hparam("n_ctx");
  if (!o.kvType.empty() && o.kvType != m.kvType)
    die(prog,
        "--kv-type " + o.kvType + ": this program was compiled for " +
            m.kvType + " (llama-compile --kv-type)",
        2);
  if (o.ctx > nCtx)
    die(prog,
        "-c " + std::to_string(o.ctx) +
            " exceeds the compiled context length " + std::to_string(nCtx) +
            " (llama-compile -c)",
        2);
  int64_t ctx = o.ctx ? o.ctx : nCtx;

  Expected<std::unique_ptr<GGUFFile>> file = GGUFFile::open(o.model);
  if (!file)
    die(prog, file.error().message(), 1);
  const GGUFView &view = (*file)->view();
  std::vector<int64_t> offsets;
  if (Error e = bindWeights(m, view, offsets))
    die(prog, e.message(), 1);
  Expected<Tokenizer> tokenizer = Tokenizer::fromGGUF(view);
  bool needText = !o.printIds || o.chat || o.hasPrompt || !o.promptFile.empty();
  if (!tokenizer && needText)
    die(prog, tokenizer.error().message(), 1);

  int threads =
      o.threads > 0
          ? static_cast<int>(o.threads)
          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  llama_rt_set_threads(threads);
  if (o.bench)
    return runBench(o, m, view, offsets, ctx, threads);

  // The prompt.
  std::vector<int32_t> prompt;
  std::string promptText;
  if (!o.tokens.empty()) {
    for (const char *p = o.tokens.c_str(); *p;) {
      char *end;
      errno = 0;
      long long t = std::strtoll(p, &end, 10);
      if (end == p || errno || (*end && *end != ','))
        die(prog,
            "--tokens: expected comma-separated integers, got '" + o.tokens +
                "'",
            2);
      if (t < 0 || t >= nVocab)
        die(prog,
            "--tokens: token id " + std::to_string(t) +
                " is outside the vocabulary [0, " + std::to_string(nVocab) +
                ")",
            2);
      prompt.push_back(static_cast<int32_t>(t));
      p = *end ? end + 1 : end;
    }
    if (prompt.empty())
      die(prog, "--tokens: at least one token is needed", 2);
    if (tokenizer)
      promptText = tokenizer->decode(prompt);
  } else if (!o.chat) {
    promptText = o.prompt;
    if (!o.promptFile.empty()) {
      std::ifstream in(o.promptFile, std::ios::binary);
      if (!in)
        die(prog, "-f " + o.promptFile + ": cannot read", 1);
      std::stringstream ss;
      ss << in.rdbuf();
      promptText = ss.str();
    }
    prompt = tokenizer->encode(promptText, tokenizer->addBos());
    if (prompt.empty())
      die(prog, "the prompt is empty and the vocabulary has no BOS token", 2);
  }
  if (static_cast<int64_t>(prompt.size()) > ctx)
    die(prog,
        "the prompt has " + std::to_string(prompt.size()) +
            " tokens, more than the context length " + std::to_string(ctx),
        2);

  uint32_t seed =
      o.seed < 0 ? std::random_device{}() : static_cast<uint32_t>(o.seed);
  Sampler sampler(o.sampling, seed);
  Session session(m, view, offsets, ctx);
  int32_t eos = tokenizer ? tokenizer->eos() : -1;
  FILE *logitsFile = nullptr;
  if (!o.logitsOut.empty() &&
      !(logitsFile = std::fopen(o.logitsOut.c_str(), "wb")))
    die(prog, o.logitsOut + ": cannot create", 1);
  Stats stats;
  auto tLoaded = std::chrono::steady_clock::now();

  /// Evaluates `input`, then generates up to `limit` tokens; returns them.
  auto generate = [&](const std::vector<int32_t> &input, long long limit,
                      bool stream) {
    std::vector<int32_t> out;
    auto ta = std::chrono::steady_clock::now();
    for (int32_t t : input)
      sampler.accept(t);
    const std::vector<float> *logits = &session.eval(input);
    if (logitsFile)
      std::fwrite(logits->data(), 4, logits->size(), logitsFile);
    auto tb = std::chrono::steady_clock::now();
    stats.promptSec += seconds(ta, tb);
    stats.promptTokens += static_cast<long long>(input.size());
    const float *last = logits->data() + (input.size() - 1) * nVocab;
    while (limit < 0 || static_cast<long long>(out.size()) < limit) {
      int32_t next = sampler.sample(last, static_cast<int32_t>(nVocab));
      if (next == eos && !o.ignoreEos)
        break;
      out.push_back(next);
      if (stream && tokenizer)
        emit(tokenizer->piece(next));
      if (static_cast<long long>(out.size()) == limit)
        break;
      if (session.pos() >= session.ctx()) {
        std::fflush(stdout);
        std::fprintf(stderr, "\n%s: the context of %lld tokens is full\n", prog,
                     static_cast<long long>(session.ctx()));
        break;
      }
      logits = &session.eval({next});
      if (logitsFile)
        std::fwrite(logits->data(), 4, logits->size(), logitsFile);
      last = logits->data();
    }
    stats.genSec += seconds(tb, std::chrono::steady_clock::now());
    stats.genTokens += static_cast<long long>(out.size());
    return out;
  };

  if (o.chat) {
    // Llama-2 chat: <s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\nUSER [/INST] ANSWER
    // </s>
    std::string line;
    bool first = true;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      std::string turn = "[INST] ";
      if (first && !o.system.empty())
        turn += "<<SYS>>\n" + o.system + "\n<</SYS>>\n\n";
      turn += line + " [/INST]";
      std::vector<int32_t> input;
      if (!first && eos >= 0)
        input.push_back(eos); // close the previous answer
      if (tokenizer->bos() >= 0)
        input.push_back(tokenizer->bos());
      std::vector<int32_t> body = tokenizer->encode(turn, false);
      input.insert(input.end(), body.begin(), body.end());
      if (session.pos() + static_cast<int64_t>(input.size()) > session.ctx()) {
        std::fprintf(stderr,
                     "%s: the context of %lld tokens is full; ending "
                     "the chat\n",
                     prog, static_cast<long long>(session.ctx()));
        break;
      }
      long long room =
          session.ctx() - session.pos() - static_cast<long long>(input.size());
      long long limit = o.nPredict < 0 ? room : std::min(o.nPredict, room);
      generate(input, limit, true);
      emit("\n");
      first = false;
    }
  } else {
    if (!o.printIds)
      emit(promptText);
    long long room = ctx - static_cast<long long>(prompt.size());
    long long limit =
        o.nPredict < 0 ? room : std::min<long long>(o.nPredict, room + 1);
    std::vector<int32_t> out = generate(prompt, limit, !o.printIds);
    if (o.printIds) {
      std::string s;
      for (size_t i = 0; i < out.size(); ++i)
        s += (i ? " " : "") + std::to_string(out[i]);
      emit(s + "\n");
    } else {
      emit("\n");
    }
  }
  if (logitsFile && std::fclose(logitsFile) != 0)
    die(prog, o.logitsOut + ": write failed", 1);
  std::fprintf(stderr,
               "%s: load %.3f s; prompt %lld tokens in %.3f s (%.2f tok/s); "
               "generated %lld tokens in %.3f s (%.2f tok/s); %d threads; "
               "seed %u\n",
               prog, seconds(t0, tLoaded), stats.promptTokens, stats.promptSec,
               stats.promptSec > 0 ? stats.promptTokens / stats.promptSec : 0.0,
               stats.genTokens, stats.genSec,
               stats.genSec > 0 ? stats.genTokens / stats.genSec : 0.0, threads,
               seed);
  return 0;
}
