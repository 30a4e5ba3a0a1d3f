//===- GPUTargets.h - The GPU targets of llama-compile ----------*- C++ -*-===//
//
// The NVIDIA GPU architectures `llama-compile --target=` accepts: the chip
// and PTX ISA version the NVVM backend is given. Their pipeline is
// buildLlamaGPUPipeline (docs/GPU.md).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TARGET_GPUTARGETS_H
#define LLAMA_MLIR_TARGET_GPUTARGETS_H

#include <optional>
#include <string>
#include <vector>

namespace mlir::llama {

/// The LLVM triple of all GPU targets (the device code's; the manifest
/// names it so that the program knows it needs a GPU).
inline constexpr const char *kNVPTXTriple = "nvptx64-nvidia-cuda";

struct GPUTarget {
  std::string name;        // --target= spelling
  std::string chip;        // sm_80, sm_90
  std::string ptxFeatures; // PTX ISA version as an LLVM feature (+ptx80)
  std::string description;
};

/// The named GPU targets, in --list-targets order.
std::vector<GPUTarget> namedGPUTargets();

/// The GPU target named `spec` (sm_80, sm_90, cuda), or nullopt when `spec`
/// names no GPU (it may then name a CPU target).
std::optional<GPUTarget> resolveGPUTarget(const std::string &spec);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TARGET_GPUTARGETS_H
