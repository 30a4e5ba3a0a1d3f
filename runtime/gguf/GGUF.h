//===- GGUF.h - A hardened GGUF reader ---------------------------*- C++ -*-===//
//
// Parses GGUF v2/v3 files (shared/docs/GGUF.md): header, metadata of every
// value type including nested arrays, tensor infos and the aligned data
// section. The file is untrusted: every count, length, dimension and offset is
// bounds- and overflow-checked before use, no allocation is sized by an
// unchecked count, and errors name the file, the byte offset, the key or
// tensor, what was expected and what was found. Strings and tensor bytes are
// zero-copy views into the mapped file. Plain C++17, no LLVM/MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_GGUF_H
#define LLAMA_MLIR_RUNTIME_GGUF_H

#include "runtime/gguf/GGMLType.h"
#include "runtime/core/Status.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llamart {

/// Metadata value types, numbered as in the file.
enum class GGUFType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char *ggufTypeName(GGUFType type);

/// `s` fit for a one-line message: control bytes, DEL and a backslash as
/// \xNN, so that a key, name or string read from a file cannot break the
/// line.
std::string printable(std::string_view s);

/// One metadata value. Scalars are widened (integers to int64/uint64, floats
/// to double) but keep their file type; strings view the mapped file.
struct GGUFValue {
  GGUFType type = GGUFType::U8;
  uint64_t u = 0;          ///< unsigned integers and bool
  int64_t i = 0;           ///< signed integers
  double f = 0;            ///< f32 / f64
  std::string_view str;    ///< String
  GGUFType elemType = GGUFType::U8; ///< Array element type
  std::vector<GGUFValue> elems;     ///< Array elements

  bool isInteger() const;
  bool isFloat() const { return type == GGUFType::F32 || type == GGUFType::F64; }
  /// The integer value if this is an integer of any width and it fits.
  std::optional<int64_t> asInt() const;
};

struct GGUFKeyValue {
  std::string_view key;
  GGUFValue value;
  uint64_t offset; ///< byte offset of the key in the file
};

struct GGUFTensor {
  std::string_view name;
  uint32_t nDims = 0;
  uint64_t ne[4] = {1, 1, 1, 1}; ///< ne[0] is the contiguous dimension
  GGMLType type = GGMLType::F32;
  uint64_t offset = 0;      ///< relative to the data section
  uint64_t nbytes = 0;
  uint64_t numElements = 0;
  uint64_t infoOffset = 0;  ///< byte offset of the tensor info in the file
  const uint8_t *data = nullptr; ///< into the mapped file

  uint64_t rows() const { return numElements / ne[0]; }
  std::string shapeString() const; ///< "[64, 172]" (ne order)
};

/// A parsed GGUF file over a byte range it does not own (see GGUFFile).
class GGUFView {
public:
  /// Parses `size` bytes at `data`; `name` is used in messages.
  static Expected<GGUFView> parse(const uint8_t *data, size_t size,
                                  std::string name);

  const std::string &name() const { return name_; }
  /// The first byte of the parsed buffer (the mapped file).
  const uint8_t *data() const { return base_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t dataOffset() const { return dataOffset_; }
  uint64_t fileSize() const { return size_; }
  const std::vector<GGUFKeyValue> &metadata() const { return kvs_; }
  const std::vector<GGUFTensor> &tensors() const { return tensors_; }

  const GGUFValue *find(std::string_view key) const;
  const GGUFTensor *findTensor(std::string_view name) const;

  // Typed accessors: the default when the key is absent, an error naming the
  // key when it is present with another type (any integer width is accepted
  // for integers, f32/f64 for floats).
  Expected<int64_t> getInt(std::string_view key, int64_t dflt) const;
  Expected<double> getFloat(std::string_view key, double dflt) const;
  Expected<bool> getBool(std::string_view key, bool dflt) const;
  Expected<std::string> getString(std::string_view key,
                                  std::string dflt) const;
  /// An array with elements of `elemType` (nullptr if absent).
  Expected<const GGUFValue *> getArray(std::string_view key,
                                       GGUFType elemType) const;

private:
  std::string name_;
  const uint8_t *base_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t dataOffset_ = 0;
  std::vector<GGUFKeyValue> kvs_;
  std::vector<GGUFTensor> tensors_;
  std::map<std::string_view, size_t> kvIndex_, tensorIndex_;
  friend class GGUFParser;
};

/// The tensors of `f` whose types llama-mlir does not decode (only those
/// named in `names`, where given), in one line per type group:
/// "q3_k (11) x40 (first 'blk.0.attn_q.weight'), q2_k (10) x17 (first ...)";
/// empty when there are none.
std::string
undecodedTensorSummary(const GGUFView &f,
                       const std::vector<std::string> *names = nullptr);

/// A GGUF file mapped read-only into memory, and its parsed view.
class GGUFFile {
public:
  static Expected<std::unique_ptr<GGUFFile>> open(const std::string &path);
  ~GGUFFile();
  GGUFFile(const GGUFFile &) = delete;
  GGUFFile &operator=(const GGUFFile &) = delete;

  const GGUFView &view() const { return view_; }
  const std::string &path() const { return view_.name(); }

private:
  GGUFFile() = default;
  void *map_ = nullptr;
  size_t mapSize_ = 0;
  GGUFView view_;
};

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_GGUF_H
