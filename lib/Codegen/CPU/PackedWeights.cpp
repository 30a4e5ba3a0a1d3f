//===- PackedWeights.cpp - Weight layouts packed at compile time ----------===//
//
// Implements PackedWeights.h.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/PackedWeights.h"

#include "llama-mlir/ABI/llama_abi.h"

#include <cstring>

namespace llama_mlir::packed {

namespace {

/// The GGUF bytes of one row's unit: a Q8_0/Q4_0 block, a Q4_K super-block,
/// 32 f16/bf16 elements.
int64_t rowUnitBytes(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return 34;
  case LLAMA_GGML_TYPE_Q4_0:
    return 18;
  case LLAMA_GGML_TYPE_Q4_K:
    return 144;
  case LLAMA_GGML_TYPE_Q6_K:
    return 210;
  default:
    return 2 * kGroup;
  }
}

/// Q4_K's 6-bit scale and min of sub-block s from its 12 scale bytes.
void q4kScaleMin(const uint8_t *s, int64_t j, uint8_t &sc, uint8_t &m) {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

/// One Q4_K (tile, super-block): `rows` points at row 0's super-block,
/// `stride` bytes between rows.
void packQ4KUnit(const uint8_t *rows, int64_t stride, uint8_t *out) {
  for (int64_t r = 0; r < kTileRows; ++r) {
    const uint8_t *blk = rows + r * stride;
    const uint8_t *qs = blk + 16;
    uint32_t high = 0;
    for (int64_t s = 0; s < 8; ++s) {
      // Sub-block s: the nibble s % 2 of the 32 bytes at 32 (s / 2).
      for (int64_t c = 0; c < 4; ++c)
        for (int64_t i = 0; i < 4; ++i) {
          auto q = [&](int64_t x) {
            return (qs[32 * (s / 2) + x] >> (4 * (s % 2))) & 0xF;
          };
          out[256 * s + 64 * c + 4 * r + i] =
              static_cast<uint8_t>(q(4 * c + i) | q(16 + 4 * c + i) << 4);
        }
      uint8_t sc, m;
      q4kScaleMin(blk + 4, s, sc, m);
      out[kQ4KScaleLowAt + 16 * s + r] =
          static_cast<uint8_t>((sc & 15) | (m & 15) << 4);
      high |= static_cast<uint32_t>((sc >> 4) | (m >> 4) << 2) << (4 * s);
    }
    for (int64_t i = 0; i < 4; ++i)
      out[kQ4KScaleHighAt + 4 * r + i] = static_cast<uint8_t>(high >> (8 * i));
    std::memcpy(out + rows16ScalesAt(LLAMA_GGML_TYPE_Q4_K) + 2 * r, blk, 2);
    std::memcpy(out + rows16ScalesAt(LLAMA_GGML_TYPE_Q4_K) + 32 + 2 * r,
                blk + 2, 2);
  }
}

/// One Q6_K (tile, super-block), as packQ4KUnit. A GGUF block: ql[128],
/// qh[64], int8 scales[16], f16 d; element e = 128 h + 32 p + l has the low
/// 4 bits in nibble p / 2 of ql[64 h + 32 (p % 2) + l] and the high 2 bits
/// at bit 2 p of qh[32 h + l].
void packQ6KUnit(const uint8_t *rows, int64_t stride, uint8_t *out) {
  for (int64_t r = 0; r < kTileRows; ++r) {
    const uint8_t *blk = rows + r * stride;
    auto low = [&](int64_t e) {
      int64_t h = e / 128, p = (e % 128) / 32, l = e % 32;
      return (blk[64 * h + 32 * (p % 2) + l] >> (4 * (p / 2))) & 0xF;
    };
    auto high = [&](int64_t e) {
      int64_t h = e / 128, p = (e % 128) / 32, l = e % 32;
      return (blk[128 + 32 * h + l] >> (2 * p)) & 3;
    };
    for (int64_t s = 0; s < 8; ++s)
      for (int64_t i = 0; i < 4; ++i) {
        uint8_t hb[2] = {0, 0};
        for (int64_t c = 0; c < 4; ++c) {
          int64_t e = 32 * s + 4 * c + i;
          out[256 * s + 64 * c + 4 * r + i] =
              static_cast<uint8_t>(low(e) | low(e + 16) << 4);
          for (int64_t h = 0; h < 2; ++h)
            hb[h] = static_cast<uint8_t>(hb[h] | high(e + 16 * h) << (2 * c));
        }
        for (int64_t h = 0; h < 2; ++h)
          out[kQ6KHighAt + 128 * s + 64 * h + 4 * r + i] = hb[h];
      }
    for (int64_t t = 0; t < 16; ++t)
      out[kQ6KScalesAt + 16 * t + r] = blk[192 + t];
    std::memcpy(out + rows16ScalesAt(LLAMA_GGML_TYPE_Q6_K) + 2 * r, blk + 208,
                2);
  }
}

} // namespace

bool hasRows16(uint32_t type, int64_t n, int64_t k) {
  bool known = type == LLAMA_GGML_TYPE_Q8_0 || type == LLAMA_GGML_TYPE_Q4_0 ||
               type == LLAMA_GGML_TYPE_Q4_K || type == LLAMA_GGML_TYPE_Q6_K ||
               type == LLAMA_GGML_TYPE_F16 || type == LLAMA_GGML_TYPE_BF16;
  return known && n > 0 && n % kTileRows == 0 && k > 0 &&
         k % (kGroup * rows16UnitGroups(type)) == 0;
}

bool rows16IsQuantized(uint32_t type) {
  return type == LLAMA_GGML_TYPE_Q8_0 || type == LLAMA_GGML_TYPE_Q4_0 ||
         type == LLAMA_GGML_TYPE_Q4_K || type == LLAMA_GGML_TYPE_Q6_K;
}

int64_t rows16UnitGroups(uint32_t type) {
  return type == LLAMA_GGML_TYPE_Q4_K || type == LLAMA_GGML_TYPE_Q6_K ? 8 : 1;
}

int64_t rows16UnitBytes(uint32_t type) {
  return kTileRows * rowUnitBytes(type);
}

int64_t rows16QuantsAt(uint32_t type, int64_t s) {
  return rows16UnitGroups(type) == 8 ? 256 * s : 0;
}

int64_t rows16ScalesAt(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return kTileRows * kGroup;
  case LLAMA_GGML_TYPE_Q4_0:
    return kTileRows * kGroup / 2;
  case LLAMA_GGML_TYPE_Q6_K:
    return kQ6KScalesAt + 16 * kTileRows;
  default: // Q4_K: after the quants and the sub-block scales
    return kQ4KScaleHighAt + 4 * kTileRows;
  }
}

int64_t rows16QuantBias(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return 128;
  case LLAMA_GGML_TYPE_Q4_0:
    return 8;
  case LLAMA_GGML_TYPE_Q6_K:
    return 32;
  default:
    return 0;
  }
}

void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst) {
  int64_t units = k / (kGroup * rows16UnitGroups(type));
  int64_t rowBytes = units * rowUnitBytes(type);
  for (int64_t t = 0; t < n / kTileRows; ++t)
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t *rows =
          src + t * kTileRows * rowBytes + u * rowUnitBytes(type);
      uint8_t *out = dst + (t * units + u) * rows16UnitBytes(type);
      if (type == LLAMA_GGML_TYPE_Q4_K) {
        packQ4KUnit(rows, rowBytes, out);
        continue;
      }
      if (type == LLAMA_GGML_TYPE_Q6_K) {
        packQ6KUnit(rows, rowBytes, out);
        continue;
      }
      if (!rows16IsQuantized(type)) {
        // 2-byte elements, transposed: [e][r].
        for (int64_t e = 0; e < kGroup; ++e)
          for (int64_t r = 0; r < kTileRows; ++r)
            std::memcpy(out + 2 * (e * kTileRows + r),
                        rows + r * rowBytes + 2 * e, 2);
        continue;
      }
      // A Q8_0/Q4_0 block: f16 d, then 32 int8 quants (Q8_0) or 16 bytes
      // of nibbles (Q4_0: element i in byte i % 16, low nibble for i < 16).
      bool q8 = type == LLAMA_GGML_TYPE_Q8_0;
      for (int64_t r = 0; r < kTileRows; ++r) {
        const uint8_t *blk = rows + r * rowBytes;
        std::memcpy(out + rows16ScalesAt(type) + 2 * r, blk, 2);
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
