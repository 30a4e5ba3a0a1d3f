//===- CPUFeatures.h - What the processor can execute -----------*- C++ -*-===//
//
// The CPU features a produced program may require, by the names llama-compile
// writes into the program's manifest (`cpu_features ...`), and the check the
// program runs before any generated code: a program compiled for a feature
// the processor lacks exits with a message naming it instead of dying of
// SIGILL. x86-64 reads cpuid (and XCR0 for the OS's AVX/AVX-512 state);
// AArch64 reads the kernel's hwcaps.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_CPUFEATURES_H
#define LLAMA_MLIR_RUNTIME_CPUFEATURES_H

#include <string>
#include <vector>

namespace llamart {

/// A feature the runtime can detect: its manifest name, the architecture it
/// belongs to ("x86_64" or "aarch64") and the LLVM target feature that makes
/// the compiler use it.
struct CPUFeatureInfo {
  const char *name;
  const char *arch;
  const char *llvmFeature;
};

/// Every feature the runtime can detect.
const std::vector<CPUFeatureInfo> &knownCPUFeatures();

/// The feature called `name` (a manifest name or an LLVM feature name) for
/// `arch`, or null.
const CPUFeatureInfo *findCPUFeature(const std::string &arch,
                                     const std::string &name);

/// The features of `required` that this processor lacks (empty: all there).
/// Names for another architecture, or unknown names, count as missing.
std::vector<std::string>
missingCPUFeatures(const std::vector<std::string> &required);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_CPUFEATURES_H
