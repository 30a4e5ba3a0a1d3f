//===- GPUTargets.cpp - The GPU targets of llama-compile --------*- C++ -*-===//
//
// PTX ISA 8.0 for both chips: the lowest version that supports sm_90
// (LLVM refuses sm_90 with the default 6.0), accepted by CUDA 12.0+
// drivers, and valid for sm_80 too, so one ISA serves every target.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Target/GPUTargets.h"

using namespace mlir::llama;

std::vector<GPUTarget> mlir::llama::namedGPUTargets() {
  return {
      {"sm_80", "sm_80", "+ptx80",
       "NVIDIA Ampere (A100): PTX for sm_80 (--emit=ptx)"},
      {"sm_90", "sm_90", "+ptx80",
       "NVIDIA Hopper (H100, H200): PTX for sm_90 (--emit=ptx)"},
      {"cuda", "sm_90", "+ptx80", "the same as sm_90"},
  };
}

std::optional<GPUTarget>
mlir::llama::resolveGPUTarget(const std::string &spec) {
  for (GPUTarget &t : namedGPUTargets())
    if (t.name == spec)
      return t;
  return std::nullopt;
}
