//===- Program.h - The pieces of every produced program's main -*- C++ -*-===//
//
// Private to runtime/program: the command line (ProgramOptions.cpp), the
// compiled model bound to a GGUF file with its KV cache (ProgramSession.cpp)
// and --bench (ProgramBench.cpp), which Program.cpp's main() puts together. The
// generated entry points are declared here with MLIR's memref descriptors
// (docs/Pipeline.md: the runtime ABI).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_RUNTIME_PROGRAM_H
#define LLAMA_MLIR_LIB_RUNTIME_PROGRAM_H

#include "llama-mlir/ABI/llama_abi.h"
#include "runtime/core/Manifest.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/WeightsFile.h"
#include "runtime/gguf/GGUF.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

/// MLIR's memref descriptor of rank 1, 2 or 4 (the C interface of the
/// generated code; llama_abi.h).
template <int Rank> struct MemRefOfRank;
template <> struct MemRefOfRank<1> { using type = llama_abi_memref1; };
template <> struct MemRefOfRank<2> { using type = llama_abi_memref2; };
template <> struct MemRefOfRank<4> { using type = llama_abi_memref4; };
template <int Rank> using MemRef = typename MemRefOfRank<Rank>::type;

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
// The manifest and the entry points are declared in llama_abi.h.
// GPU programs (llama-compile --target=sm_90) link libLlamaCUDA.a, whose
// definitions (runtime/cuda/CUDARuntime.h) these weak
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

namespace llamart {

/// The entry points' arguments (llama_abi.h) that the manifest's
/// `gpu_device_only_args` and `gpu_host_only_args` may name.
constexpr int64_t kArgFile = LLAMA_ABI_ARG_FILE,
                  kArgTokens = LLAMA_ABI_ARG_TOKENS,
                  kArgPositions = LLAMA_ABI_ARG_POSITIONS,
                  kArgKCache = LLAMA_ABI_ARG_K_CACHE,
                  kArgVCache = LLAMA_ABI_ARG_V_CACHE,
                  kArgLogits = LLAMA_ABI_ARG_LOGITS;

/// The program's command line (ProgramOptions.cpp; --help lists it).
struct Options {
  std::string model, prompt, promptFile, tokens, logitsOut, kvType, system,
      weights;
  bool hasPrompt = false, chat = false, printIds = false, ignoreEos = false;
  bool bench = false;
  long long benchPP = 512, benchTG = 128, benchReps = 5;
  std::string benchFormat = "md";
  long long nPredict = 128, ctx = 0, threads = 0; // 0: one per core
  long long seed = -1;
  SamplerParams sampling;
};

/// Parses argv; usage errors exit 2 with one line naming the problem.
Options parseArgs(int argc, char **argv);

/// Prints "PROG: MSG" to stderr (after flushing stdout) and exits `code`.
[[noreturn]] void die(const char *prog, const std::string &msg, int code);

inline double seconds(std::chrono::steady_clock::time_point a,
                      std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

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
  void *alloc(size_t bytes, bool zeroed, bool device = false) const;
  void free(void *p) const;
};
Buffers &buffers();

/// The compiled model bound to a GGUF file, with its KV cache.
class Session {
public:
  /// The weights are `packed`'s where the program has a weights file,
  /// otherwise the GGUF file's at `offsets`.
  Session(const Manifest &m, const GGUFView &view, const WeightsFile *packed,
          std::vector<int64_t> offsets, int64_t ctx);

  int64_t pos() const { return pos_; }
  int64_t ctx() const { return ctx_; }
  int64_t vocab() const { return nVocab_; }

  /// Evaluates `tokens` at the next positions; returns the logits of every
  /// token (rows of n_vocab), or with `allLogits` false of the last one
  /// only (the generated code then skips the others' output matmul). One
  /// prefill call for several tokens, one decode call for one.
  const std::vector<float> &eval(const std::vector<int32_t> &tokens,
                                 bool allLogits = true);

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

/// --bench: pp and tg like llama-bench, against the measured roofline.
int runBench(const Options &o, const Manifest &m, const GGUFView &view,
             const WeightsFile *packed, const std::vector<int64_t> &offsets,
             int64_t ctx, int threads);

} // namespace llamart

#endif // LLAMA_MLIR_LIB_RUNTIME_PROGRAM_H
