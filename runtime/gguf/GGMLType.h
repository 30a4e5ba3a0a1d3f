//===- GGMLType.h - GGML element types and their block layouts --*- C++ -*-===//
//
// The table of GGUF tensor element types ("ggml_type") that llama-mlir
// supports: their names and block geometry (elements per block, bytes per
// block), over the ids of the ABI header (llama_abi.h). Shared by the `llama`
// dialect (weight types), the GGUF reader and the runtime. Plain C++17, no
// LLVM/MLIR dependency, header-only.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_GGMLTYPE_H
#define LLAMA_MLIR_RUNTIME_GGMLTYPE_H

#include "llama-mlir/ABI/llama_abi.h"

#include <cstdint>
#include <cstring>
#include <optional>

namespace llamart {

/// GGML element types, numbered as in the GGUF file format (`ggml_type`).
enum class GGMLType : uint32_t {
  F32 = LLAMA_GGML_TYPE_F32,
  F16 = LLAMA_GGML_TYPE_F16,
  Q4_0 = LLAMA_GGML_TYPE_Q4_0,
  Q4_1 = LLAMA_GGML_TYPE_Q4_1,
  Q5_0 = LLAMA_GGML_TYPE_Q5_0,
  Q5_1 = LLAMA_GGML_TYPE_Q5_1,
  Q8_0 = LLAMA_GGML_TYPE_Q8_0,
  Q4_K = LLAMA_GGML_TYPE_Q4_K,
  Q5_K = LLAMA_GGML_TYPE_Q5_K,
  Q6_K = LLAMA_GGML_TYPE_Q6_K,
  BF16 = LLAMA_GGML_TYPE_BF16,
};

/// Geometry and name of one supported element type.
struct GGMLTypeTraits {
  GGMLType type;
  const char *name;   ///< Lower-case name, as in `--type` and the dialect.
  uint32_t blockSize; ///< Elements per block (1 for plain floats).
  uint32_t bytesPerBlock;
  bool isQuantized;
};

/// All supported types, in a stable order.
inline constexpr GGMLTypeTraits kGGMLTypes[] = {
    {GGMLType::F32, "f32", 1, 4, false},
    {GGMLType::F16, "f16", 1, 2, false},
    {GGMLType::BF16, "bf16", 1, 2, false},
    {GGMLType::Q8_0, "q8_0", 32, 34, true},
    {GGMLType::Q4_0, "q4_0", 32, 18, true},
    {GGMLType::Q4_1, "q4_1", 32, 20, true},
    {GGMLType::Q5_0, "q5_0", 32, 22, true},
    {GGMLType::Q5_1, "q5_1", 32, 24, true},
    {GGMLType::Q4_K, "q4_k", 256, 144, true},
    {GGMLType::Q5_K, "q5_k", 256, 176, true},
    {GGMLType::Q6_K, "q6_k", 256, 210, true},
};

inline constexpr unsigned kNumGGMLTypes =
    sizeof(kGGMLTypes) / sizeof(kGGMLTypes[0]);

/// Traits of a raw `ggml_type` id, or nullptr if the id is not supported.
inline const GGMLTypeTraits *lookupGGMLType(uint32_t id) {
  for (const GGMLTypeTraits &t : kGGMLTypes)
    if (static_cast<uint32_t>(t.type) == id)
      return &t;
  return nullptr;
}

/// Traits of a supported type (never null for a valid enumerator).
inline const GGMLTypeTraits &getGGMLTypeTraits(GGMLType type) {
  const GGMLTypeTraits *t = lookupGGMLType(static_cast<uint32_t>(type));
  return t ? *t : kGGMLTypes[0];
}

/// Parse a lower-case type name ("q4_k"); nullopt if unknown.
inline std::optional<GGMLType> parseGGMLTypeName(const char *name) {
  for (const GGMLTypeTraits &t : kGGMLTypes)
    if (std::strcmp(t.name, name) == 0)
      return t.type;
  return std::nullopt;
}

/// Bytes taken by a row of `n` elements, or nullopt when `n` is not a
/// multiple of the block size or the byte count overflows 64 bits.
inline std::optional<uint64_t> ggmlRowBytes(GGMLType type, uint64_t n) {
  const GGMLTypeTraits &t = getGGMLTypeTraits(type);
  if (n % t.blockSize != 0)
    return std::nullopt;
  uint64_t blocks = n / t.blockSize;
  if (blocks > UINT64_MAX / t.bytesPerBlock)
    return std::nullopt;
  return blocks * t.bytesPerBlock;
}

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_GGMLTYPE_H
