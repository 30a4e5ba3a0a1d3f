//===- CPUTargets.h - The CPU targets of llama-compile ----------*- C++ -*-===//
//
// `llama-compile --target=NAME` for the named targets of the table in
// CPUTargets.cpp (docs/Targets.md), or `--target=TRIPLE[+feature...]`. A
// target fixes what LLVM may use (triple, CPU, features), what the pipeline
// does differently (vector width preference, register blocking of the
// prefill GEMM), which runtime build the program links against, and the
// CPU features the program checks for at start-up.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TARGET_CPUTARGETS_H
#define LLAMA_MLIR_TARGET_CPUTARGETS_H

#include <optional>
#include <string>
#include <vector>

namespace mlir::llama {

struct CPUTarget {
  std::string name;         // as given to --target
  std::string triple;       // LLVM target triple
  std::string cpu;          // LLVM CPU name
  std::string llvmFeatures; // "+f1,+f2" for the TargetMachine
  /// Runtime-checked features (CPUFeatures.h names) the code may use.
  std::vector<std::string> cpuFeatures;
  /// Preferred vector register width in bits: LLVM's prefer-vector-width
  /// for the generated functions (AVX-512: 512, so that ZMM registers are
  /// used; the default tuning of x86-64-v4 prefers 256).
  unsigned vectorBits = 256;
  /// Tokens per register block of the prefill GEMM (more vector registers
  /// allow more: 16 YMM on AVX2, 32 ZMM on AVX-512, 32 Q on NEON).
  int64_t tokenBlock = 4;
  /// "x86_64" or "aarch64".
  std::string arch;
  std::string description;
  /// How Q8_0/Q4_0 weights are multiplied (llama-lower-to-loops{int-dot}):
  /// generic, avx2, avx512vnni or neon-dotprod (derived from cpuFeatures).
  std::string intDot = "generic";
  /// Unquantized rows in scalable vectors (the target has SVE).
  bool scalable = false;
  /// Prefill matmuls of integer-dot weights in packed tiles of this many
  /// rows (llama-lower-to-loops{packed-rows}): 16 with AVX-512 VNNI (one
  /// ZMM vpdpbusd serves 16 rows), 0 elsewhere.
  int64_t packedRows = 0;
};

/// The named targets, in --list-targets order.
std::vector<CPUTarget> namedCPUTargets();

/// Resolves a --target value: a name of namedCPUTargets(), `host`, or
/// `TRIPLE[+feature...]`. On failure `error` says why.
std::optional<CPUTarget> resolveCPUTarget(const std::string &spec,
                                          std::string &error);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TARGET_CPUTARGETS_H
