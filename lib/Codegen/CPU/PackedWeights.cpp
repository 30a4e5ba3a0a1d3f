//===- PackedWeights.cpp - Weight layouts packed at compile time -*- C++
//-*-===//
//
// Implements PackedWeights.h.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/PackedWeights.h"

#include "llama-mlir/ABI/llama_abi.h"

#include <cstring>

namespace llama_mlir::packed {

bool hasRows16(uint32_t type, int64_t n, int64_t k) {
  return (type == LLAMA_GGML_TYPE_Q8_0 || type == LLAMA_GGML_TYPE_Q4_0 ||
          type == LLAMA_GGML_TYPE_F16 || type == LLAMA_GGML_TYPE_BF16) &&
         n > 0 && n % kTileRows == 0 && k > 0 && k % kGroup == 0;
}

bool rows16IsQuantized(uint32_t type) {
  return type == LLAMA_GGML_TYPE_Q8_0 || type == LLAMA_GGML_TYPE_Q4_0;
}

int64_t rows16QuantBytes(uint32_t type) {
  if (!rows16IsQuantized(type))
    return kTileRows * kGroup * 2;
  return type == LLAMA_GGML_TYPE_Q8_0 ? kTileRows * kGroup
                                      : kTileRows * kGroup / 2;
}

int64_t rows16GroupBytes(uint32_t type) {
  return rows16QuantBytes(type) + (rows16IsQuantized(type) ? 2 * kTileRows : 0);
}

int64_t rows16QuantBias(uint32_t type) {
  return type == LLAMA_GGML_TYPE_Q8_0 ? 128 : 8;
}

void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst) {
  if (!rows16IsQuantized(type)) {
    // 2-byte elements, transposed per tile and group: [e][r].
    // The output in order; the tile's 16 rows read side by side.
    uint8_t *out = dst;
    for (int64_t t = 0; t < n / kTileRows; ++t) {
      const uint8_t *tile = src + 2 * t * kTileRows * k;
      for (int64_t col = 0; col < k; ++col)
        for (int64_t r = 0; r < kTileRows; ++r, out += 2)
          std::memcpy(out, tile + 2 * (r * k + col), 2);
    }
    return;
  }
  bool q8 = type == LLAMA_GGML_TYPE_Q8_0;
  // A GGUF block: f16 d, then 32 int8 quants (Q8_0) or 16 bytes of nibbles
  // (Q4_0: element i in byte i % 16, low nibble for i < 16).
  int64_t blockBytes = q8 ? 34 : 18, groups = k / kGroup;
  int64_t quantBytes = rows16QuantBytes(type);
  for (int64_t t = 0; t < n / kTileRows; ++t)
    for (int64_t g = 0; g < groups; ++g) {
      uint8_t *out = dst + (t * groups + g) * rows16GroupBytes(type);
      for (int64_t r = 0; r < kTileRows; ++r) {
        const uint8_t *blk =
            src + ((t * kTileRows + r) * groups + g) * blockBytes;
        std::memcpy(out + quantBytes + 2 * r, blk, 2);
        // 4-byte steps: Q8_0 has 8 of its 32 quants, Q4_0 4 of its 16
        // bytes (each two quants, 16 apart).
        for (int64_t j = 0; j < (q8 ? 8 : 4); ++j)
          for (int64_t i = 0; i < 4; ++i) {
            uint8_t q = blk[2 + 4 * j + i];
            out[64 * j + 4 * r + i] = q8 ? static_cast<uint8_t>(q ^ 0x80) : q;
          }
      }
    }
}

} // namespace llama_mlir::packed
