//===- GGMLType.h - GGML element types and their block layouts --*- C++ -*-===//
//
// The table of GGUF tensor element types ("ggml_type"): their names and
// block geometry (elements per block, bytes per block), over the ids of the
// ABI header (llama_abi.h). The types llama-mlir decodes (kGGMLTypes), and
// the others a GGUF file may hold (kUndecodedGGMLTypes): known by their
// geometry, so that such a file is read and its tensors can be described.
// Shared by the `llama` dialect (weight types), the GGUF reader and the
// runtime. Plain C++17, no LLVM/MLIR dependency, header-only.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_GGMLTYPE_H
#define LLAMA_MLIR_RUNTIME_GGMLTYPE_H

#include "llama-mlir/ABI/llama_abi.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

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
  Q8_1 = LLAMA_GGML_TYPE_Q8_1,
  Q2_K = LLAMA_GGML_TYPE_Q2_K,
  Q3_K = LLAMA_GGML_TYPE_Q3_K,
  Q8_K = LLAMA_GGML_TYPE_Q8_K,
  IQ2_XXS = LLAMA_GGML_TYPE_IQ2_XXS,
  IQ2_XS = LLAMA_GGML_TYPE_IQ2_XS,
  IQ3_XXS = LLAMA_GGML_TYPE_IQ3_XXS,
  IQ1_S = LLAMA_GGML_TYPE_IQ1_S,
  IQ4_NL = LLAMA_GGML_TYPE_IQ4_NL,
  IQ3_S = LLAMA_GGML_TYPE_IQ3_S,
  IQ2_S = LLAMA_GGML_TYPE_IQ2_S,
  IQ4_XS = LLAMA_GGML_TYPE_IQ4_XS,
  I8 = LLAMA_GGML_TYPE_I8,
  I16 = LLAMA_GGML_TYPE_I16,
  I32 = LLAMA_GGML_TYPE_I32,
  I64 = LLAMA_GGML_TYPE_I64,
  F64 = LLAMA_GGML_TYPE_F64,
  IQ1_M = LLAMA_GGML_TYPE_IQ1_M,
  TQ1_0 = LLAMA_GGML_TYPE_TQ1_0,
  TQ2_0 = LLAMA_GGML_TYPE_TQ2_0,
};

/// Geometry and name of one element type.
struct GGMLTypeTraits {
  GGMLType type;
  const char *name;   ///< Lower-case name, as in `--type` and the dialect.
  uint32_t blockSize; ///< Elements per block (1 for plain floats).
  uint32_t bytesPerBlock;
  bool isQuantized;
};

/// The types llama-mlir decodes, in a stable order.
inline constexpr GGMLTypeTraits kGGMLTypes[] = {
    {GGMLType::F32, "f32", 1, 4, false},
    {GGMLType::F16, "f16", 1, 2, false},
    {GGMLType::BF16, "bf16", 1, 2, false},
    {GGMLType::Q8_0, "q8_0", 32, 34, true},
    {GGMLType::Q4_0, "q4_0", 32, 18, true},
    {GGMLType::Q4_1, "q4_1", 32, 20, true},
    {GGMLType::Q5_0, "q5_0", 32, 22, true},
    {GGMLType::Q5_1, "q5_1", 32, 24, true},
    {GGMLType::Q2_K, "q2_k", 256, 84, true},
    {GGMLType::Q3_K, "q3_k", 256, 110, true},
    {GGMLType::Q4_K, "q4_k", 256, 144, true},
    {GGMLType::Q5_K, "q5_k", 256, 176, true},
    {GGMLType::Q6_K, "q6_k", 256, 210, true},
};

inline constexpr unsigned kNumGGMLTypes =
    sizeof(kGGMLTypes) / sizeof(kGGMLTypes[0]);

/// The other types of the GGUF format: a file may hold them (the i-quants, the
/// ternary TQ types, plain integers), llama-mlir does not decode them. Q8_1 and
/// Q8_K are llama.cpp's activation formats, valid in a file though not written.
inline constexpr GGMLTypeTraits kUndecodedGGMLTypes[] = {
    {GGMLType::Q8_1, "q8_1", 32, 36, true},
    {GGMLType::Q8_K, "q8_k", 256, 292, true},
    {GGMLType::IQ2_XXS, "iq2_xxs", 256, 66, true},
    {GGMLType::IQ2_XS, "iq2_xs", 256, 74, true},
    {GGMLType::IQ3_XXS, "iq3_xxs", 256, 98, true},
    {GGMLType::IQ1_S, "iq1_s", 256, 50, true},
    {GGMLType::IQ4_NL, "iq4_nl", 32, 18, true},
    {GGMLType::IQ3_S, "iq3_s", 256, 110, true},
    {GGMLType::IQ2_S, "iq2_s", 256, 82, true},
    {GGMLType::IQ4_XS, "iq4_xs", 256, 136, true},
    {GGMLType::I8, "i8", 1, 1, false},
    {GGMLType::I16, "i16", 1, 2, false},
    {GGMLType::I32, "i32", 1, 4, false},
    {GGMLType::I64, "i64", 1, 8, false},
    {GGMLType::F64, "f64", 1, 8, false},
    {GGMLType::IQ1_M, "iq1_m", 256, 56, true},
    {GGMLType::TQ1_0, "tq1_0", 256, 54, true},
    {GGMLType::TQ2_0, "tq2_0", 256, 66, true},
};

/// Traits of a raw `ggml_type` id that llama-mlir decodes, or nullptr.
inline const GGMLTypeTraits *lookupGGMLType(uint32_t id) {
  for (const GGMLTypeTraits &t : kGGMLTypes)
    if (static_cast<uint32_t>(t.type) == id)
      return &t;
  return nullptr;
}

/// Traits of any `ggml_type` id of the format, decoded or not; nullptr for
/// an id the format does not define (or has retired).
inline const GGMLTypeTraits *lookupKnownGGMLType(uint32_t id) {
  if (const GGMLTypeTraits *t = lookupGGMLType(id))
    return t;
  for (const GGMLTypeTraits &t : kUndecodedGGMLTypes)
    if (static_cast<uint32_t>(t.type) == id)
      return &t;
  return nullptr;
}

/// Whether llama-mlir decodes (and compiles) tensors of this type.
inline bool isDecodedGGMLType(GGMLType type) {
  return lookupGGMLType(static_cast<uint32_t>(type)) != nullptr;
}

/// Traits of a type (never null for a valid enumerator).
inline const GGMLTypeTraits &getGGMLTypeTraits(GGMLType type) {
  const GGMLTypeTraits *t = lookupKnownGGMLType(static_cast<uint32_t>(type));
  return t ? *t : kGGMLTypes[0];
}

/// "q2_k (10)": a type's name and id, as messages name it.
inline std::string ggmlTypeLabel(GGMLType type) {
  return std::string(getGGMLTypeTraits(type).name) + " (" +
         std::to_string(static_cast<uint32_t>(type)) + ")";
}

/// The decoded types' names, space-separated ("f32 f16 bf16 q8_0 ...").
inline std::string decodedGGMLTypeNames() {
  std::string s;
  for (const GGMLTypeTraits &t : kGGMLTypes)
    s += (s.empty() ? "" : " ") + std::string(t.name);
  return s;
}

/// Parse the lower-case name of a decoded type ("q4_k"); nullopt if unknown
/// or not decoded.
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
