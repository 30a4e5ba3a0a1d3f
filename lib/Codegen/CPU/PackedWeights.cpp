//===- PackedWeights.cpp - Weight layouts packed at compile time ----------===//
//
// Implements PackedWeights.h.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/PackedWeights.h"

#include "llama-mlir/ABI/llama_abi.h"
#include "runtime/gguf/Quant.h"

#include <cstring>

namespace llama_mlir::packed {

namespace {

bool isKQuant(uint32_t type) {
  return type == LLAMA_GGML_TYPE_Q4_K || type == LLAMA_GGML_TYPE_Q5_K ||
         type == LLAMA_GGML_TYPE_Q6_K;
}

/// The GGUF bytes of one row's unit: a 32-element block, a super-block of
/// 256, or 32 f16/bf16 elements.
int64_t rowUnitBytes(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return 34;
  case LLAMA_GGML_TYPE_Q4_0:
    return 18;
  case LLAMA_GGML_TYPE_Q4_1:
    return 20;
  case LLAMA_GGML_TYPE_Q5_0:
    return 22;
  case LLAMA_GGML_TYPE_Q5_1:
    return 24;
  case LLAMA_GGML_TYPE_Q4_K:
    return 144;
  case LLAMA_GGML_TYPE_Q5_K:
    return 176;
  case LLAMA_GGML_TYPE_Q6_K:
    return 210;
  default:
    return 2 * kGroup;
  }
}

/// The stored (unsigned, biased) 4- or 5-bit quants of group s (elements
/// 32 s .. 32 s + 31) of a row's unit `blk` of a nibble format: Q4_0, Q4_1,
/// Q5_0, Q5_1 (element e in the low nibble of qs[e] for e < 16, else the
/// high nibble of qs[e - 16]; the fifth bit at bit e of the uint32 qh),
/// Q4_K, Q5_K (element 32 j + l in nibble j % 2 of qs[32 (j / 2) + l], the
/// fifth bit at bit j of qh[l]).
void groupQuants(uint32_t type, const uint8_t *blk, int64_t s, uint8_t *q) {
  if (type == LLAMA_GGML_TYPE_Q4_K || type == LLAMA_GGML_TYPE_Q5_K) {
    bool five = type == LLAMA_GGML_TYPE_Q5_K;
    const uint8_t *qs = blk + (five ? 48 : 16) + 32 * (s / 2);
    int shift = static_cast<int>(4 * (s % 2));
    for (int64_t l = 0; l < kGroup; ++l)
      q[l] = static_cast<uint8_t>((qs[l] >> shift) & 0xF);
    if (five)
      for (int64_t l = 0; l < kGroup; ++l)
        q[l] = static_cast<uint8_t>(q[l] | ((blk[16 + l] >> s) & 1) << 4);
    return;
  }
  int64_t qsAt = type == LLAMA_GGML_TYPE_Q4_0   ? 2
                 : type == LLAMA_GGML_TYPE_Q4_1 ? 4
                 : type == LLAMA_GGML_TYPE_Q5_0 ? 6
                                                : 8;
  for (int64_t e = 0; e < kGroup / 2; ++e) {
    q[e] = blk[qsAt + e] & 0xF;
    q[e + kGroup / 2] = blk[qsAt + e] >> 4;
  }
  if (type != LLAMA_GGML_TYPE_Q5_0 && type != LLAMA_GGML_TYPE_Q5_1)
    return;
  const uint8_t *h = blk + qsAt - 4;
  uint32_t qh =
      h[0] | h[1] << 8 | h[2] << 16 | static_cast<uint32_t>(h[3]) << 24;
  for (int64_t e = 0; e < kGroup; ++e)
    q[e] = static_cast<uint8_t>(q[e] | ((qh >> e) & 1) << 4);
}

/// One (tile, unit) of a nibble format: `rows` points at row 0's unit,
/// `stride` bytes between rows. Step j of a group (4 quants of each row)
/// is elements 4 j + i (j < 4) or 16 + 4 (j - 4) + i: steps j and j + 4
/// share bytes 64 j + 4 r + i, low and high nibble.
void packNibbleUnit(uint32_t type, const uint8_t *rows, int64_t stride,
                    uint8_t *out) {
  int64_t groups = rows16UnitGroups(type);
  for (int64_t r = 0; r < kTileRows; ++r) {
    const uint8_t *blk = rows + r * stride;
    for (int64_t s = 0; s < groups; ++s) {
      uint8_t q[kGroup];
      groupQuants(type, blk, s, q);
      uint8_t *qo = out + rows16QuantsAt(type, s) + 4 * r;
      for (int64_t j = 0; j < 4; ++j)
        for (int64_t i = 0; i < 4; ++i)
          qo[64 * j + i] = static_cast<uint8_t>((q[4 * j + i] & 0xF) |
                                                (q[16 + 4 * j + i] & 0xF) << 4);
      int64_t at = rows16FifthBitsAt(type, s);
      if (at < 0)
        continue;
      for (int64_t i = 0; i < 4; ++i) {
        uint8_t plane = 0;
        for (int64_t j = 0; j < 8; ++j) {
          int64_t e = (j < 4 ? 4 * j : 16 + 4 * (j - 4)) + i;
          plane = static_cast<uint8_t>(plane | (q[e] >> 4) << j);
        }
        out[at + 4 * r + i] = plane;
      }
    }
    // d (and m or dmin) are the block's first f16s.
    std::memcpy(out + rows16ScalesAt(type) + 2 * r, blk, 2);
    if (int64_t at = rows16MinsAt(type); at >= 0)
      std::memcpy(out + at + 2 * r, blk + 2, 2);
    if (groups == 1)
      continue;
    uint32_t high = 0;
    for (int64_t s = 0; s < 8; ++s) {
      uint8_t sc, m;
      llamart::kScaleMin(blk + 4, static_cast<int>(s), &sc, &m);
      out[kKScaleLowAt + 16 * s + r] =
          static_cast<uint8_t>((sc & 15) | (m & 15) << 4);
      high |= static_cast<uint32_t>((sc >> 4) | (m >> 4) << 2) << (4 * s);
    }
    for (int64_t i = 0; i < 4; ++i)
      out[kKScaleHighAt + 4 * r + i] = static_cast<uint8_t>(high >> (8 * i));
  }
}

/// One Q6_K (tile, super-block), as packNibbleUnit. A GGUF block: ql[128],
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

/// One Q8_0 (tile, block): byte 64 j + 4 r + i = q[r, 4 j + i] + 128.
void packQ8_0Unit(const uint8_t *rows, int64_t stride, uint8_t *out) {
  for (int64_t r = 0; r < kTileRows; ++r) {
    const uint8_t *blk = rows + r * stride;
    std::memcpy(out + rows16ScalesAt(LLAMA_GGML_TYPE_Q8_0) + 2 * r, blk, 2);
    for (int64_t j = 0; j < 8; ++j)
      for (int64_t i = 0; i < 4; ++i)
        out[64 * j + 4 * r + i] =
            static_cast<uint8_t>(blk[2 + 4 * j + i] ^ 0x80);
  }
}

} // namespace

bool hasRows16(uint32_t type, int64_t n, int64_t k) {
  bool known = rows16IsQuantized(type) || type == LLAMA_GGML_TYPE_F16 ||
               type == LLAMA_GGML_TYPE_BF16;
  return known && n > 0 && n % kTileRows == 0 && k > 0 &&
         k % (kGroup * rows16UnitGroups(type)) == 0;
}

bool rows16IsQuantized(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
  case LLAMA_GGML_TYPE_Q4_0:
  case LLAMA_GGML_TYPE_Q4_1:
  case LLAMA_GGML_TYPE_Q5_0:
  case LLAMA_GGML_TYPE_Q5_1:
  case LLAMA_GGML_TYPE_Q4_K:
  case LLAMA_GGML_TYPE_Q5_K:
  case LLAMA_GGML_TYPE_Q6_K:
    return true;
  default:
    return false;
  }
}

int64_t rows16UnitGroups(uint32_t type) { return isKQuant(type) ? 8 : 1; }

int64_t rows16UnitBytes(uint32_t type) {
  return kTileRows * rowUnitBytes(type);
}

int64_t rows16QuantsAt(uint32_t type, int64_t s) {
  return isKQuant(type) ? 256 * s : 0;
}

int64_t rows16ScalesAt(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return kTileRows * kGroup;
  case LLAMA_GGML_TYPE_Q4_K:
  case LLAMA_GGML_TYPE_Q5_K: // after the quants and the sub-block scales
    return kKScaleHighAt + 4 * kTileRows;
  case LLAMA_GGML_TYPE_Q6_K:
    return kQ6KScalesAt + 16 * kTileRows;
  default: // the 32-element nibble formats: after the quants
    return kTileRows * kGroup / 2;
  }
}

int64_t rows16MinsAt(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q4_1:
  case LLAMA_GGML_TYPE_Q5_1:
  case LLAMA_GGML_TYPE_Q4_K:
  case LLAMA_GGML_TYPE_Q5_K:
    return rows16ScalesAt(type) + 2 * kTileRows;
  default:
    return -1;
  }
}

int64_t rows16FifthBitsAt(uint32_t type, int64_t s) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q5_0:
    return rows16ScalesAt(type) + 2 * kTileRows;
  case LLAMA_GGML_TYPE_Q5_1:
  case LLAMA_GGML_TYPE_Q5_K:
    return rows16MinsAt(type) + 2 * kTileRows + 4 * kTileRows * s;
  default:
    return -1;
  }
}

int64_t rows16QuantBias(uint32_t type) {
  switch (type) {
  case LLAMA_GGML_TYPE_Q8_0:
    return 128;
  case LLAMA_GGML_TYPE_Q4_0:
    return 8;
  case LLAMA_GGML_TYPE_Q5_0:
    return 16;
  case LLAMA_GGML_TYPE_Q6_K:
    return 32;
  default:
    return 0;
  }
}

void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst) {
  packRows16Tiles(type, k, src, dst, 0, n / kTileRows);
}

void packRows16Tiles(uint32_t type, int64_t k, const uint8_t *src, uint8_t *dst,
                     int64_t firstTile, int64_t endTile) {
  int64_t units = k / (kGroup * rows16UnitGroups(type));
  int64_t rowBytes = units * rowUnitBytes(type);
  for (int64_t t = firstTile; t < endTile; ++t)
    for (int64_t u = 0; u < units; ++u) {
      const uint8_t *rows =
          src + t * kTileRows * rowBytes + u * rowUnitBytes(type);
      uint8_t *out = dst + (t * units + u) * rows16UnitBytes(type);
      if (type == LLAMA_GGML_TYPE_Q8_0) {
        packQ8_0Unit(rows, rowBytes, out);
      } else if (type == LLAMA_GGML_TYPE_Q6_K) {
        packQ6KUnit(rows, rowBytes, out);
      } else if (rows16IsQuantized(type)) {
        packNibbleUnit(type, rows, rowBytes, out);
      } else {
        // 2-byte elements, transposed: [e][r].
        for (int64_t e = 0; e < kGroup; ++e)
          for (int64_t r = 0; r < kTileRows; ++r)
            std::memcpy(out + 2 * (e * kTileRows + r),
                        rows + r * rowBytes + 2 * e, 2);
      }
    }
}

} // namespace llama_mlir::packed
