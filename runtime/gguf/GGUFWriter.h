//===- GGUFWriter.h - Writes GGUF v3 files ----------------------*- C++ -*-===//
//
// Builds a GGUF v3 file: metadata of any value type (nested arrays included),
// tensor infos and aligned tensor data. Tensor bytes are produced on demand by
// a callback while the file is written, so multi-gigabyte models are streamed
// rather than held in memory. Used by `llama-gguf gen` and by the tests that
// make well-formed and malformed files.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_GGUFWRITER_H
#define LLAMA_MLIR_RUNTIME_GGUFWRITER_H

#include "runtime/gguf/GGUF.h"

#include <functional>
#include <string>
#include <vector>

namespace llamart {

/// An owned metadata value for writing (mirrors GGUFValue, owning strings).
struct GGUFOwnedValue {
  GGUFType type = GGUFType::U32;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string str;
  GGUFType elemType = GGUFType::U32;
  std::vector<GGUFOwnedValue> elems;

  static GGUFOwnedValue u32(uint32_t v);
  static GGUFOwnedValue i32(int32_t v);
  static GGUFOwnedValue u64(uint64_t v);
  static GGUFOwnedValue f32(float v);
  static GGUFOwnedValue boolean(bool v);
  static GGUFOwnedValue string(std::string v);
  static GGUFOwnedValue array(GGUFType elemType,
                              std::vector<GGUFOwnedValue> elems);
  /// A deep copy of a value read from a file.
  static GGUFOwnedValue copyOf(const GGUFValue &v);
};

class GGUFWriter {
public:
  /// Writes `bytes` bytes of tensor data into `out` (sized by the writer).
  using Producer = std::function<void(uint8_t *out, uint64_t bytes)>;

  /// `alignment` must be a power of two; other than 32 it is recorded as
  /// general.alignment.
  explicit GGUFWriter(uint32_t alignment = 32) : alignment_(alignment) {
    if (alignment != 32)
      set("general.alignment", GGUFOwnedValue::u32(alignment));
  }

  void set(std::string key, GGUFOwnedValue value);
  /// Removes a key or a tensor (no-op if absent); tests use these to make
  /// incomplete files.
  void erase(const std::string &key);
  void removeTensor(const std::string &name);
  /// Adds a tensor with GGUF dimensions `ne` (ne[0] contiguous).
  void addTensor(std::string name, std::vector<uint64_t> ne, GGMLType type,
                 Producer produce);
  /// Convenience: a tensor whose bytes are given.
  void addTensorBytes(std::string name, std::vector<uint64_t> ne,
                      GGMLType type, std::vector<uint8_t> bytes);

  /// Writes the file, beside its path first and renamed over it once
  /// complete. Refused before anything is written when it would not fit the
  /// free space of its file system or a tensor exceeds kMaxTensorBytes.
  /// Errors name the path.
  Error write(const std::string &path) const;
  /// The size write() would give the file.
  uint64_t fileSize() const;
  /// The largest tensor write() takes (each is built in memory).
  static constexpr uint64_t kMaxTensorBytes = uint64_t(16) << 30;
  /// The whole file in memory (for tests and the fuzzer's seed corpus).
  std::vector<uint8_t> toBytes() const;

private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> ne;
    GGMLType type;
    uint64_t nbytes;
    Producer produce;
  };
  uint32_t alignment_;
  std::vector<std::pair<std::string, GGUFOwnedValue>> kvs_;
  std::vector<Tensor> tensors_;

  template <typename Sink> void emitHeader(Sink &sink) const;
  template <typename Sink> void emit(Sink &sink) const;
};

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_GGUFWRITER_H
