//===- Manifest.h - What a produced program was compiled for ----*- C++ -*-===//
//
// llama-compile embeds a text manifest (`llama_manifest`) in every produced
// program: the hyperparameters, the KV cache type, and every weight in the
// order the generated code binds them (name, ggml type, GGUF shape). The
// runtime parses it and checks the GGUF file given with -m against it, so a
// program never runs on weights it was not compiled for.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_MANIFEST_H
#define LLAMA_MLIR_RUNTIME_MANIFEST_H

#include "llama-mlir/ABI/llama_abi.h"
#include "runtime/gguf/GGUF.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace llamart {

struct ManifestWeight {
  std::string name;
  uint32_t type = 0;
  std::vector<uint64_t> ne;
};

struct Manifest {
  std::map<std::string, double> hparams;
  std::string kvType = "f32";
  /// The target the program was compiled for (`llama-compile --target`) and
  /// the CPU features its code uses (CPUFeatures.h names).
  std::string target, triple;
  std::vector<std::string> cpuFeatures;
  std::vector<ManifestWeight> weights;
  /// CPU programs with integer dot products: the llama.int8_dot kind and
  /// the GGML type ids whose matmuls use it ("none" and empty otherwise).
  std::string intDot = "none";
  std::vector<uint32_t> intDotTypes;
  /// Programs with weights packed at compile time: the PROGRAM.weights
  /// file's content hash and size (0: the weights come from the GGUF).
  uint64_t weightsHash = 0, weightsBytes = 0;
  /// GPU programs: the entry points' arguments (by number, in the runtime
  /// ABI) that only kernels use, which the runtime may put in device memory.
  std::vector<int64_t> gpuDeviceOnlyArgs;
  /// GPU programs: the arguments no kernel uses (the host code copies into
  /// them), for which the runtime passes plain host memory.
  std::vector<int64_t> gpuHostOnlyArgs;

  bool deviceOnly(int64_t arg) const { return listed(gpuDeviceOnlyArgs, arg); }
  bool hostOnly(int64_t arg) const { return listed(gpuHostOnlyArgs, arg); }

  static bool listed(const std::vector<int64_t> &args, int64_t arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
  }

  int64_t hparam(const std::string &key) const {
    auto it = hparams.find(key);
    return it == hparams.end() ? 0 : static_cast<int64_t>(it->second);
  }
};

Expected<Manifest> parseManifest(const char *text);

/// Checks that `file` has every weight of the manifest with exactly its type
/// and shape, and the same hyperparameters; fills `offsets` with each
/// weight's absolute byte offset in the file. The error names the first
/// difference.
Error bindWeights(const Manifest &m, const GGUFView &file,
                  std::vector<int64_t> &offsets);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_MANIFEST_H
