//===- Bench.h - Machine limits for the roofline ----------------*- C++ -*-===//
//
// Measurements of the machine a produced program runs on, for `--bench`:
// memory read bandwidth (a streaming sum over a buffer far larger than the
// caches), fp32 FMA peak and int8 dot peak (independent chains of the
// widest instruction the CPU has: AVX-512 or AVX2 FMA, vpdpbusd on ZMM or
// YMM, without VNNI vpmaddubsw chains + vpmaddwd + vpaddd on ZMM or YMM, AMX
// tdpbssd), each with a given number of threads. Decode is bounded by
// bandwidth / weight bytes, prefill by the matmuls' operations at the peak
// of the instruction each weight type uses.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_BENCH_H
#define LLAMA_MLIR_RUNTIME_BENCH_H

#include <vector>

namespace llamart {

/// Bytes per second read by `threads` threads streaming 1 GiB, each its
/// contiguous share, with 512- or 256-bit loads (best of `reps`).
double measureReadBandwidth(int threads, int reps = 7);

/// fp32 multiply-adds per second × 2 (FLOP/s) of `threads` threads, with
/// AVX-512 or AVX2 FMA when the CPU has it, NEON fmla on AArch64, scalar
/// otherwise (best of `reps`).
double measureFmaPeak(int threads, int reps = 5);

/// int8 multiply-adds per second × 2 (OP/s) of `threads` threads with
/// vpdpbusd (AVX-512 VNNI on ZMM, else AVX-VNNI on YMM), else with
/// vpmaddubsw summed in 16 bits over 8 steps, then vpmaddwd + vpaddd (the
/// 4-bit tiles' sequence without VNNI; on ZMM with AVX-512 BW, else on YMM
/// with AVX2); 0 on other CPUs (best of `reps`).
double measureInt8DotPeak(int threads, int reps = 5);

/// int8 multiply-adds per second × 2 (OP/s) of `threads` threads with AMX
/// tdpbssd (independent accumulators in tile registers); 0 where the CPU
/// or the OS has no AMX (best of `reps`).
double measureAMXInt8Peak(int threads, int reps = 5);

/// Median, minimum and maximum of `v`.
struct Summary {
  double median, min, max;
};
Summary summarize(std::vector<double> v);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_BENCH_H
