//===- Bench.h - Machine limits for the roofline ----------------*- C++ -*-===//
//
// Measurements of the machine a produced program runs on, for `--bench`:
// memory read bandwidth (a streaming sum over a buffer far larger than the
// caches) and fp32 FMA peak (independent FMA chains), each with a given
// number of threads. Decode is bounded by bandwidth / weight bytes, prefill by
// FMA peak / (2 * matmul parameters).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_BENCH_H
#define LLAMA_MLIR_RUNTIME_BENCH_H

#include <vector>

namespace llamart {

/// Bytes per second read by `threads` threads streaming 512 MiB (best of
/// `reps`).
double measureReadBandwidth(int threads, int reps = 5);

/// fp32 multiply-adds per second × 2 (FLOP/s) of `threads` threads, with AVX2
/// FMA when the CPU has it, scalar otherwise (best of `reps`).
double measureFmaPeak(int threads, int reps = 5);

/// Median, minimum and maximum of `v`.
struct Summary {
  double median, min, max;
};
Summary summarize(std::vector<double> v);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_BENCH_H
