//===- WeightsFile.h - The packed weights a program maps --------*- C++ -*-===//
//
// A program whose manifest has a `weights_file` line reads its weights from
// the file llama-compile wrote next to it (PROGRAM.weights, llama_abi.h),
// mapped read-only: no copy, no repacking at load. The file is checked
// against the manifest cheaply (magic, size, the recorded content hash,
// every table entry inside the file with the size its weight needs); the
// weights' bytes are not rehashed.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_WEIGHTSFILE_H
#define LLAMA_MLIR_RUNTIME_WEIGHTSFILE_H

#include "runtime/core/Manifest.h"
#include "runtime/core/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llamart {

class WeightsFile {
public:
  /// Maps `path` and checks it belongs to the program of manifest `m`.
  static Expected<std::unique_ptr<WeightsFile>> open(const std::string &path,
                                                     const Manifest &m);
  ~WeightsFile();
  WeightsFile(const WeightsFile &) = delete;
  WeightsFile &operator=(const WeightsFile &) = delete;

  const uint8_t *data() const { return static_cast<const uint8_t *>(map_); }
  size_t size() const { return size_; }
  /// Each weight's byte offset in the file, in the manifest's order.
  const std::vector<int64_t> &offsets() const { return offsets_; }

private:
  WeightsFile() = default;
  void *map_ = nullptr;
  size_t size_ = 0;
  std::vector<int64_t> offsets_;
};

/// PROGRAM.weights for the running executable (/proc/self/exe), or "" when
/// it cannot be found.
std::string defaultWeightsPath();

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_WEIGHTSFILE_H
