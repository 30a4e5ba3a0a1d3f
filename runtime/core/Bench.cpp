//===- Bench.cpp - Machine limits for the roofline --------------*- C++ -*-===//
//
// Implements Bench.h. These loops measure the machine; they are not model
// math (which the compiler generates).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Bench.h"
#include "runtime/core/CPUFeatures.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <string>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace llamart {

namespace {

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename F> double timeThreads(int threads, F &&body) {
  std::vector<std::thread> ts;
  double t0 = now();
  for (int i = 1; i < threads; ++i)
    ts.emplace_back(body, i);
  body(0);
  for (std::thread &t : ts)
    t.join();
  return now() - t0;
}

volatile float gSink; // keeps the results alive
volatile int64_t gSinkInt;

/// Independent accumulator chains: enough to cover the FMA and vpdpbusd
/// latencies on two pipes.
constexpr int kChains = 12;

int64_t sumRangeGeneric(const int64_t *p, size_t n) {
  int64_t s = 0;
  for (size_t i = 0; i < n; ++i)
    s += p[i];
  return s;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) int64_t sumRangeAVX512(const int64_t *p,
                                                          size_t n) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = _mm512_add_epi64(a, _mm512_load_si512(p + i));
    b = _mm512_add_epi64(b, _mm512_load_si512(p + i + 8));
    c = _mm512_add_epi64(c, _mm512_load_si512(p + i + 16));
    d = _mm512_add_epi64(d, _mm512_load_si512(p + i + 24));
  }
  a = _mm512_add_epi64(_mm512_add_epi64(a, b), _mm512_add_epi64(c, d));
  return _mm512_reduce_add_epi64(a) + sumRangeGeneric(p + i, n - i);
}

__attribute__((target("avx2"))) int64_t sumRangeAVX2(const int64_t *p,
                                                     size_t n) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm256_add_epi64(a, _mm256_load_si256((const __m256i *)(p + i)));
    b = _mm256_add_epi64(b, _mm256_load_si256((const __m256i *)(p + i + 4)));
    c = _mm256_add_epi64(c, _mm256_load_si256((const __m256i *)(p + i + 8)));
    d = _mm256_add_epi64(d, _mm256_load_si256((const __m256i *)(p + i + 12)));
  }
  a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  int64_t lanes[4];
  _mm256_storeu_si256((__m256i *)lanes, a);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] +
         sumRangeGeneric(p + i, n - i);
}

__attribute__((target("avx512f"))) float fmaLoopAVX512(long iters) {
  __m512 a[kChains], x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
  for (int k = 0; k < kChains; ++k)
    a[k] = _mm512_set1_ps(static_cast<float>(k));
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kChains; ++k)
      a[k] = _mm512_fmadd_ps(a[k], x, y);
  __m512 s = a[0];
  for (int k = 1; k < kChains; ++k)
    s = _mm512_add_ps(s, a[k]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fmaLoopAVX2(long iters) {
  __m256 a[kChains], x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int k = 0; k < kChains; ++k)
    a[k] = _mm256_set1_ps(static_cast<float>(k));
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kChains; ++k)
      a[k] = _mm256_fmadd_ps(a[k], x, y);
  __m256 s = a[0];
  for (int k = 1; k < kChains; ++k)
    s = _mm256_add_ps(s, a[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

/// The sum of every int32 lane of the `n` accumulators (the loops'
/// results, kept alive through gSinkInt).
__attribute__((target("avx512f"))) int64_t sumChains512(const __m512i *a,
                                                        int n = kChains) {
  int64_t s = 0;
  for (int k = 0; k < n; ++k)
    s += _mm512_reduce_add_epi32(a[k]);
  return s;
}

__attribute__((target("avx2"))) int64_t sumChains256(const __m256i *a,
                                                     int n = kChains) {
  __m256i s = a[0];
  for (int k = 1; k < n; ++k)
    s = _mm256_add_epi32(s, a[k]);
  int32_t out[8];
  _mm256_storeu_si256((__m256i *)out, s);
  return int64_t(out[0]) + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] +
         out[7];
}

__attribute__((target("avx512f,avx512vnni"))) int64_t
dotLoopVNNI512(long iters) {
  __m512i a[kChains], x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(5);
  for (int k = 0; k < kChains; ++k)
    a[k] = _mm512_set1_epi32(k);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kChains; ++k)
      a[k] = _mm512_dpbusd_epi32(a[k], x, y);
  return sumChains512(a);
}

__attribute__((target("avx2,avxvnni"))) int64_t dotLoopVNNI256(long iters) {
  __m256i a[kChains], x = _mm256_set1_epi8(3), y = _mm256_set1_epi8(5);
  for (int k = 0; k < kChains; ++k)
    a[k] = _mm256_set1_epi32(k);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kChains; ++k)
      a[k] = _mm256_dpbusd_avx_epi32(a[k], x, y);
  return sumChains256(a);
}

/// Chains of the int8 dot without VNNI, and the 32-byte steps each chain
/// takes per iteration.
constexpr int kMaddChains = 6, kMaddSteps = 8;

/// The int8 dot without VNNI, as the 4-bit tiles do it (llama.dot4_acc
/// chains, llama-lower-int8-dot): per chain and iteration, 8 vpmaddubsw
/// (u8 x s8 pair sums to s16) added with vpaddw, one vpmaddwd against ones
/// (to s32) and one vpaddd: 64 operations per 32 byte pairs, like one
/// 256-bit vpdpbusd, for 8 x 32 pairs. The fastest sequence any of our
/// kernels uses, so no prefill can beat the roofline it gives (Q8_0's
/// steps, one vpmaddwd each, reach less of it). Each chain multiplies its
/// own accumulator's bytes, so no product is loop-invariant.
__attribute__((target("avx2"))) int64_t dotLoopAVX2(long iters) {
  __m256i a[kMaddChains], y[kMaddSteps], ones = _mm256_set1_epi16(1);
  for (int j = 0; j < kMaddSteps; ++j)
    y[j] = _mm256_set1_epi8(static_cast<char>(j + 1));
  for (int k = 0; k < kMaddChains; ++k)
    a[k] = _mm256_set1_epi32(k);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kMaddChains; ++k) {
      __m256i p = _mm256_maddubs_epi16(a[k], y[0]);
      for (int j = 1; j < kMaddSteps; ++j)
        p = _mm256_add_epi16(p, _mm256_maddubs_epi16(a[k], y[j]));
      a[k] = _mm256_add_epi32(a[k], _mm256_madd_epi16(p, ones));
    }
  return sumChains256(a, kMaddChains);
}

/// dotLoopAVX2 on ZMM (AVX-512 BW without VNNI).
__attribute__((target("avx512f,avx512bw"))) int64_t
dotLoopAVX512BW(long iters) {
  __m512i a[kMaddChains], y[kMaddSteps], ones = _mm512_set1_epi16(1);
  for (int j = 0; j < kMaddSteps; ++j)
    y[j] = _mm512_set1_epi8(static_cast<char>(j + 1));
  for (int k = 0; k < kMaddChains; ++k)
    a[k] = _mm512_set1_epi32(k);
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kMaddChains; ++k) {
      __m512i p = _mm512_maddubs_epi16(a[k], y[0]);
      for (int j = 1; j < kMaddSteps; ++j)
        p = _mm512_add_epi16(p, _mm512_maddubs_epi16(a[k], y[j]));
      a[k] = _mm512_add_epi32(a[k], _mm512_madd_epi16(p, ones));
    }
  return sumChains512(a, kMaddChains);
}
#endif

#if defined(__x86_64__)
/// AMX tile configuration (palette 1): 8 tiles of 16 rows x 64 bytes.
struct alignas(64) AMXTileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

/// `iters` rounds of 4 independent tdpbssd (accumulators 0-3, operands 4-7).
__attribute__((target("amx-tile,amx-int8"))) int64_t dotLoopAMX(long iters) {
  AMXTileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  alignas(64) int8_t a[16 * 64], b[16 * 64];
  alignas(64) int32_t c[16 * 16];
  for (int i = 0; i < 16 * 64; ++i) {
    a[i] = static_cast<int8_t>(i % 7 - 3);
    b[i] = static_cast<int8_t>(i % 5 - 2);
  }
  _tile_loadconfig(&cfg);
  _tile_loadd(4, a, 64);
  _tile_loadd(5, b, 64);
  _tile_loadd(6, b, 64);
  _tile_loadd(7, a, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (long i = 0; i < iters; ++i) {
    _tile_dpbssd(0, 4, 5);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 6, 5);
    _tile_dpbssd(3, 6, 7);
  }
  int64_t sum = 0;
  auto add = [&] {
    for (int32_t v : c)
      sum += v;
  };
  _tile_stored(0, c, 64);
  add();
  _tile_stored(1, c, 64);
  add();
  _tile_stored(2, c, 64);
  add();
  _tile_stored(3, c, 64);
  add();
  _tile_release();
  return sum;
}
#endif

#if defined(__aarch64__)
float fmaLoopNEON(long iters) {
  float32x4_t a[kChains], x = vdupq_n_f32(0.999f), y = vdupq_n_f32(0.001f);
  for (int k = 0; k < kChains; ++k)
    a[k] = vdupq_n_f32(static_cast<float>(k));
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < kChains; ++k)
      a[k] = vfmaq_f32(y, a[k], x);
  float32x4_t s = a[0];
  for (int k = 1; k < kChains; ++k)
    s = vaddq_f32(s, a[k]);
  return vaddvq_f32(s);
}
#endif

float fmaLoopScalar(long iters) {
  float a[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  for (long i = 0; i < iters; ++i)
    for (float &v : a)
      v = v * 0.999f + 0.001f;
  return a[0] + a[7];
}

/// Whether the processor has every one of `features` (CPUFeatures.h names:
/// cpuid and the OS's register state, as the program's own check reads).
bool cpuHas(std::initializer_list<std::string> features) {
  return missingCPUFeatures(features).empty();
}

} // namespace

double measureReadBandwidth(int threads, int reps) {
  const size_t bytes = size_t(1) << 30, n = bytes / sizeof(int64_t);
  void *mem = nullptr;
  if (posix_memalign(&mem, 64, bytes) != 0)
    return 0;
  auto *buf = static_cast<int64_t *>(mem);
  std::memset(buf, 1, bytes); // touch every page
  bool avx512 = cpuHas({"avx512f"}), avx2 = cpuHas({"avx2"});
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int i) {
      // Shares of whole 256-byte lines, so every load is aligned.
      size_t lines = n / 32, lo = lines * i / threads * 32,
             hi = lines * (i + 1) / threads * 32;
#if defined(__x86_64__)
      if (avx512) {
        gSinkInt = sumRangeAVX512(buf + lo, hi - lo);
        return;
      }
      if (avx2) {
        gSinkInt = sumRangeAVX2(buf + lo, hi - lo);
        return;
      }
#endif
      (void)avx512;
      (void)avx2;
      gSinkInt = sumRangeGeneric(buf + lo, hi - lo);
    });
    best = std::min(best, t);
  }
  std::free(buf);
  return bytes / best;
}

double measureFmaPeak(int threads, int reps) {
  const long iters = 20'000'000;
  double lanes = 1, chains = 8;
  float (*loop)(long) = fmaLoopScalar;
#if defined(__x86_64__)
  if (cpuHas({"avx512f"}))
    loop = fmaLoopAVX512, lanes = 16, chains = kChains;
  else if (cpuHas({"avx2", "fma"}))
    loop = fmaLoopAVX2, lanes = 8, chains = kChains;
#elif defined(__aarch64__)
  loop = fmaLoopNEON, lanes = 4, chains = kChains; // NEON is baseline
#endif
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int) { gSink = loop(iters); });
    best = std::min(best, t);
  }
  return 2.0 * chains * lanes * double(iters) * threads / best;
}

double measureInt8DotPeak(int threads, int reps) {
#if defined(__x86_64__)
  const long iters = 20'000'000;
  int64_t (*loop)(long) = nullptr;
  // Byte pairs multiplied per iteration, all chains.
  double bytes = 0;
  if (cpuHas({"avx512f", "avx512vnni"}))
    loop = dotLoopVNNI512, bytes = kChains * 64;
  else if (cpuHas({"avx512f", "avx512bw"}))
    loop = dotLoopAVX512BW, bytes = kMaddChains * kMaddSteps * 64;
  else if (cpuHas({"avx2", "avxvnni"}))
    loop = dotLoopVNNI256, bytes = kChains * 32;
  else if (cpuHas({"avx2"}))
    loop = dotLoopAVX2, bytes = kMaddChains * kMaddSteps * 32;
  if (!loop)
    return 0;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int) { gSinkInt = loop(iters); });
    best = std::min(best, t);
  }
  return 2.0 * bytes * double(iters) * threads / best;
#else
  (void)threads;
  (void)reps;
  return 0;
#endif
}

double measureAMXInt8Peak(int threads, int reps) {
#if defined(__x86_64__)
  // Asking for amx_int8 also asks Linux for the tile state (CPUFeatures).
  if (!cpuHas({"amx_tile", "amx_int8"}))
    return 0;
  const long iters = 1'000'000;
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int) { gSinkInt = dotLoopAMX(iters); });
    best = std::min(best, t);
  }
  // Each tdpbssd: 16 x 16 sums of 64 products.
  return 2.0 * 4 * 16 * 16 * 64 * double(iters) * threads / best;
#else
  (void)threads;
  (void)reps;
  return 0;
#endif
}

Summary summarize(std::vector<double> v) {
  if (v.empty())
    return {0, 0, 0};
  std::sort(v.begin(), v.end());
  size_t m = v.size() / 2;
  double median = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  return {median, v.front(), v.back()};
}

} // namespace llamart
