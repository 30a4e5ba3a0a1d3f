//===- CPUTargets.h - The CPU targets of llama-compile ----------*- C++ -*-===//
//
// `llama-compile --target=NAME` for the named targets of the table in
// CPUTargets.cpp (docs/Targets.md), or `--target=TRIPLE[+feature...]`. A
// target fixes what LLVM may use (triple, CPU, features), what the pipeline
// does differently (vector width preference, the row of the CPU kernel
// table), which runtime build the program links against, and the
// CPU features the program checks for at start-up.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TARGET_CPUTARGETS_H
#define LLAMA_MLIR_TARGET_CPUTARGETS_H

#include <optional>
#include <string>
#include <vector>

namespace mlir::llama {

struct CPUKernelTarget;

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
  /// "x86_64" or "aarch64".
  std::string arch;
  std::string description;
  /// The row of the CPU kernel table the features select
  /// (selectCPUKernelTarget; its name is llama-configure-kernels{target}).
  const CPUKernelTarget *kernels = nullptr;
};

/// The named targets, in --list-targets order.
std::vector<CPUTarget> namedCPUTargets();

/// Resolves a --target value: a name of namedCPUTargets(), `host`, or
/// `TRIPLE[+feature...]`. On failure `error` says why.
std::optional<CPUTarget> resolveCPUTarget(const std::string &spec,
                                          std::string &error);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TARGET_CPUTARGETS_H
