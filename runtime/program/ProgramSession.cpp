//===- ProgramSession.cpp - The compiled model and its buffers -*- C++ -*-===//
//
// Session binds the generated entry points to a mapped GGUF file and owns
// the KV cache and the per-call buffers; for GPU programs it places each
// buffer in host, managed or device memory as the manifest says and copies
// the weights to the GPU once per process.
//
//===----------------------------------------------------------------------===//

#include "runtime/program/Program.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace llamart {

void *Buffers::alloc(size_t bytes, bool zeroed, bool device) const {
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

void Buffers::free(void *p) const {
  if (gpu)
    llama_rt_gpu_free(static_cast<int64_t>(reinterpret_cast<intptr_t>(p)));
  else
    std::free(p);
}

Buffers &buffers() {
  static Buffers b;
  return b;
}

namespace {

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
  // The GPU warp kernels (dispatch = warps) read f32/f16/bf16 weights with
  // 16-byte loads: every tensor must start at a multiple of 16 bytes, which
  // an alignment of 16 or more gives.
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

Session::Session(const Manifest &m, const GGUFView &view,
                 const WeightsFile *packed, std::vector<int64_t> offsets,
                 int64_t ctx)
    : offsets_(packed ? packed->offsets() : std::move(offsets)), ctx_(ctx) {
  nVocab_ = m.hparam(LLAMA_ABI_HPARAM_N_VOCAB);
  int64_t nCtx = m.hparam(LLAMA_ABI_HPARAM_N_CTX);
  int64_t shape[4] = {m.hparam(LLAMA_ABI_HPARAM_N_LAYERS), nCtx,
                      m.hparam(LLAMA_ABI_HPARAM_N_KV_HEADS),
                      m.hparam(LLAMA_ABI_HPARAM_HEAD_DIM)};
  size_t elems = static_cast<size_t>(shape[0] * shape[1] * shape[2] * shape[3]);
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
  int64_t fileBytes = static_cast<int64_t>(view.fileSize());
  if (packed) { // CPU programs only (llama-compile packs for CPU targets)
    bytes = packed->data();
    fileBytes = static_cast<int64_t>(packed->size());
  }
  file_ = memref(const_cast<uint8_t *>(bytes), {fileBytes});
  off_ = memref(offsets_.data(), {static_cast<int64_t>(offsets_.size())});
}

const std::vector<float> &Session::eval(const std::vector<int32_t> &tokens,
                                        bool allLogits) {
  int64_t n = static_cast<int64_t>(tokens.size());
  std::vector<int32_t> tok(tokens), ps(tokens.size());
  for (int64_t i = 0; i < n; ++i)
    ps[i] = static_cast<int32_t>(pos_ + i);
  // The logits buffer's rows: the entry points compute the last that many
  // tokens' logits (llama_abi.h).
  int64_t rows = allLogits ? n : 1;
  logits_.assign(static_cast<size_t>(rows * nVocab_), 0.0f);
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
  MemRef<2> l = memref(lp, {rows, nVocab_});
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

} // namespace llamart
