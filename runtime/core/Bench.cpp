//===- Bench.cpp - Machine limits for the roofline --------------*- C++ -*-===//
//
// Implements Bench.h. These loops measure the machine; they are not model
// math (which the compiler generates).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Bench.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
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

float sumRange(const float *p, size_t n) {
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
    a4 += p[i + 4];
    a5 += p[i + 5];
    a6 += p[i + 6];
    a7 += p[i + 7];
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float fmaLoopAVX2(long iters) {
  __m256 a[8], x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(0.001f);
  for (int k = 0; k < 8; ++k)
    a[k] = _mm256_set1_ps(static_cast<float>(k));
  for (long i = 0; i < iters; ++i)
    for (int k = 0; k < 8; ++k)
      a[k] = _mm256_fmadd_ps(a[k], x, y);
  __m256 s = a[0];
  for (int k = 1; k < 8; ++k)
    s = _mm256_add_ps(s, a[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}
#endif

float fmaLoopScalar(long iters) {
  float a[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  for (long i = 0; i < iters; ++i)
    for (float &v : a)
      v = v * 0.999f + 0.001f;
  return a[0] + a[7];
}

} // namespace

double measureReadBandwidth(int threads, int reps) {
  const size_t bytes = size_t(512) << 20, n = bytes / sizeof(float);
  float *buf = static_cast<float *>(std::malloc(bytes));
  if (!buf)
    return 0;
  std::memset(buf, 1, bytes); // touch every page
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int i) {
      size_t lo = n * i / threads, hi = n * (i + 1) / threads;
      gSink = sumRange(buf + lo, hi - lo);
    });
    best = std::min(best, t);
  }
  std::free(buf);
  return bytes / best;
}

double measureFmaPeak(int threads, int reps) {
  const long iters = 20'000'000;
  bool avx2 = false;
#if defined(__x86_64__)
  avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t = timeThreads(threads, [&](int) {
#if defined(__x86_64__)
      if (avx2) {
        gSink = fmaLoopAVX2(iters);
        return;
      }
#endif
      gSink = fmaLoopScalar(iters);
    });
    best = std::min(best, t);
  }
  double lanes = avx2 ? 8 : 1;
  return 2.0 * 8 * lanes * double(iters) * threads / best;
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
