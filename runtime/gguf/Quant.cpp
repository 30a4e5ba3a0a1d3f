//===- Quant.cpp - GGML block formats: dequantize and quantize --*- C++ -*-===//
//
// Implements Quant.h. Block layouts are those of shared/docs/GGUF.md; the
// quantizers are simple round-to-nearest schemes (per-block absmax, or
// min/max for the types with an offset; K-quants with 6-bit sub-block scales
// and mins relative to the super-block's d/dmin). They are written for
// clarity; their error bounds are tested in unittests/Runtime/QuantTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/Quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace llamart {

//===----------------------------------------------------------------------===//
// Half and bfloat16
//===----------------------------------------------------------------------===//

static float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
static uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float fp16ToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
  if (exp == 0x1F) // inf / nan
    return bitsToFloat(sign | 0x7F800000u | (man << 13));
  if (exp == 0) {
    if (man == 0)
      return bitsToFloat(sign);
    // Subnormal: value = man * 2^-24, exact in float32.
    float v = static_cast<float>(man) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  return bitsToFloat(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t floatToFp16(float f) {
  uint32_t x = floatToBits(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t absx = x & 0x7FFFFFFFu;
  if (absx >= 0x7F800000u) // inf / nan
    return sign | 0x7C00 | (absx > 0x7F800000u ? 0x200 : 0);
  if (absx >= 0x477FF000u) // rounds to >= 65520: overflow to inf
    return sign | 0x7C00;
  if (absx < 0x38800000u) { // below the smallest normal half: subnormal
    // Round absx * 2^24 to the nearest even integer.
    float v = bitsToFloat(absx) * 16777216.0f;
    float r = std::nearbyint(v); // default rounding: nearest even
    return sign | static_cast<uint16_t>(r);
  }
  uint32_t man = absx & 0x7FFFFF, exp = (absx >> 23) - 112;
  uint32_t h = (exp << 10) | (man >> 13);
  uint32_t rest = man & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // may carry into the exponent, which is correct
  return sign | static_cast<uint16_t>(h);
}

float bf16ToFloat(uint16_t h) {
  return bitsToFloat(static_cast<uint32_t>(h) << 16);
}

uint16_t floatToBf16(float f) {
  uint32_t x = floatToBits(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) // nan: keep it a quiet nan
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7FFF + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}

//===----------------------------------------------------------------------===//
// Block helpers
//===----------------------------------------------------------------------===//

void kScaleMin(const uint8_t *s, int j, uint8_t *sc, uint8_t *m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

namespace {
float loadF16(const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16ToFloat(h);
}
void storeF16(uint8_t *p, float f) {
  uint16_t h = floatToFp16(f);
  std::memcpy(p, &h, 2);
}

void kPackScales(const uint8_t sc[8], const uint8_t mn[8], uint8_t s[12]) {
  for (int j = 0; j < 4; ++j) {
    s[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);
    s[j + 4] = (mn[j] & 63) | ((mn[j + 4] >> 4) << 6);
    s[j + 8] = (sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4);
  }
}

int clampInt(int v, int lo, int hi) { return std::min(hi, std::max(lo, v)); }
int roundInt(float v) { return static_cast<int>(std::lround(v)); }

/// The element of largest magnitude, with its sign.
float signedAbsMax(const float *x, int n) {
  float best = 0, amax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      best = x[i];
    }
  return best;
}
} // namespace

//===----------------------------------------------------------------------===//
// Dequantization
//===----------------------------------------------------------------------===//

int q3kScale(const uint8_t *s, int i) {
  int low = i < 8 ? s[i] & 0xF : s[i - 8] >> 4;
  int high = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
  return low | high << 4;
}

void dequantizeRow(GGMLType type, const uint8_t *src, float *dst, int64_t n) {
  switch (type) {
  case GGMLType::F32:
    std::memcpy(dst, src, static_cast<size_t>(n) * 4);
    return;
  case GGMLType::F16:
    for (int64_t i = 0; i < n; ++i)
      dst[i] = loadF16(src + 2 * i);
    return;
  case GGMLType::BF16:
    for (int64_t i = 0; i < n; ++i) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      dst[i] = bf16ToFloat(h);
    }
    return;
  case GGMLType::Q8_0:
    for (int64_t b = 0; b < n / 32; ++b, src += 34, dst += 32) {
      float d = loadF16(src);
      for (int j = 0; j < 32; ++j)
        dst[j] = static_cast<float>(static_cast<int8_t>(src[2 + j])) * d;
    }
    return;
  case GGMLType::Q4_0:
    for (int64_t b = 0; b < n / 32; ++b, src += 18, dst += 32) {
      float d = loadF16(src);
      for (int j = 0; j < 16; ++j) {
        dst[j] = static_cast<float>((src[2 + j] & 0xF) - 8) * d;
        dst[j + 16] = static_cast<float>((src[2 + j] >> 4) - 8) * d;
      }
    }
    return;
  case GGMLType::Q4_1:
    for (int64_t b = 0; b < n / 32; ++b, src += 20, dst += 32) {
      float d = loadF16(src), m = loadF16(src + 2);
      for (int j = 0; j < 16; ++j) {
        dst[j] = static_cast<float>(src[4 + j] & 0xF) * d + m;
        dst[j + 16] = static_cast<float>(src[4 + j] >> 4) * d + m;
      }
    }
    return;
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    bool hasMin = type == GGMLType::Q5_1;
    int bytes = hasMin ? 24 : 22, qhOff = hasMin ? 4 : 2;
    for (int64_t b = 0; b < n / 32; ++b, src += bytes, dst += 32) {
      float d = loadF16(src), m = hasMin ? loadF16(src + 2) : 0.0f;
      uint32_t qh;
      std::memcpy(&qh, src + qhOff, 4);
      const uint8_t *qs = src + qhOff + 4;
      for (int j = 0; j < 16; ++j) {
        int q0 = (qs[j] & 0xF) | (((qh >> j) & 1) << 4);
        int q1 = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
        if (hasMin) {
          dst[j] = static_cast<float>(q0) * d + m;
          dst[j + 16] = static_cast<float>(q1) * d + m;
        } else {
          dst[j] = static_cast<float>(q0 - 16) * d;
          dst[j + 16] = static_cast<float>(q1 - 16) * d;
        }
      }
    }
    return;
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    bool five = type == GGMLType::Q5_K;
    int bytes = five ? 176 : 144;
    for (int64_t b = 0; b < n / 256; ++b, src += bytes, dst += 256) {
      float d = loadF16(src), dmin = loadF16(src + 2);
      const uint8_t *scales = src + 4;
      const uint8_t *qh = src + 16;
      const uint8_t *qs = src + (five ? 48 : 16);
      for (int c = 0; c < 4; ++c) {
        for (int half = 0; half < 2; ++half) {
          int j = 2 * c + half;
          uint8_t sc, m;
          kScaleMin(scales, j, &sc, &m);
          float d1 = d * static_cast<float>(sc);
          float m1 = dmin * static_cast<float>(m);
          for (int l = 0; l < 32; ++l) {
            int q = half ? (qs[32 * c + l] >> 4) : (qs[32 * c + l] & 0xF);
            if (five)
              q |= ((qh[l] >> j) & 1) << 4;
            dst[32 * j + l] = d1 * static_cast<float>(q) - m1;
          }
        }
      }
    }
    return;
  }
  case GGMLType::Q6_K:
    for (int64_t b = 0; b < n / 256; ++b, src += 210, dst += 256) {
      const uint8_t *ql = src, *qh = src + 128;
      const int8_t *sc = reinterpret_cast<const int8_t *>(src + 192);
      float d = loadF16(src + 208);
      for (int half = 0; half < 2; ++half) {
        float *y = dst + 128 * half;
        const uint8_t *L = ql + 64 * half, *H = qh + 32 * half;
        const int8_t *s = sc + 8 * half;
        for (int l = 0; l < 32; ++l) {
          int g = l / 16;
          int q1 = ((L[l] & 0xF) | (((H[l] >> 0) & 3) << 4)) - 32;
          int q2 = ((L[l + 32] & 0xF) | (((H[l] >> 2) & 3) << 4)) - 32;
          int q3 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32;
          int q4 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32;
          y[l] = d * static_cast<float>(s[g + 0]) * static_cast<float>(q1);
          y[l + 32] = d * static_cast<float>(s[g + 2]) * static_cast<float>(q2);
          y[l + 64] = d * static_cast<float>(s[g + 4]) * static_cast<float>(q3);
          y[l + 96] = d * static_cast<float>(s[g + 6]) * static_cast<float>(q4);
        }
      }
    }
    return;
  case GGMLType::Q2_K:
    // scales[16] (scale | min << 4), qs[64], d, dmin (f16). Element
    // e = 128 h + 32 j + l: bits 2j of qs[32 h + l]; sub-block e / 16.
    for (int64_t b = 0; b < n / 256; ++b, src += 84, dst += 256) {
      float d = loadF16(src + 80), dmin = loadF16(src + 82);
      for (int e = 0; e < 256; ++e) {
        int h = e / 128, j = (e % 128) / 32, l = e % 32;
        int q = (src[16 + 32 * h + l] >> (2 * j)) & 3;
        uint8_t sc = src[e / 16];
        float dl = d * static_cast<float>(sc & 0xF);
        float ml = dmin * static_cast<float>(sc >> 4);
        dst[e] = dl * static_cast<float>(q) - ml;
      }
    }
    return;
  case GGMLType::Q3_K:
    // hmask[32], qs[64], scales[12], d (f16). Element e = 128 h + 32 j + l:
    // bits 2j of qs[32 h + l], minus 4 where bit 4h + j of hmask[l] is
    // clear; sub-block e / 16 has the 6-bit scale q3kScale - 32.
    for (int64_t b = 0; b < n / 256; ++b, src += 110, dst += 256) {
      float d = loadF16(src + 108);
      for (int e = 0; e < 256; ++e) {
        int h = e / 128, j = (e % 128) / 32, l = e % 32;
        int q = (src[32 + 32 * h + l] >> (2 * j)) & 3;
        if (!((src[l] >> (4 * h + j)) & 1))
          q -= 4;
        float dl = d * static_cast<float>(q3kScale(src + 96, e / 16) - 32);
        dst[e] = dl * static_cast<float>(q);
      }
    }
    return;
  default:
    // Not a decoded type: the contract (Quant.h) rules it out; NaN rather
    // than unwritten floats if a caller misses it.
    std::fill(dst, dst + n, std::numeric_limits<float>::quiet_NaN());
    return;
  }
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

static void quantizeQ8_0(const float *x, uint8_t *y) {
  float amax = std::fabs(signedAbsMax(x, 32));
  float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
  storeF16(y, d);
  for (int j = 0; j < 32; ++j)
    y[2 + j] = static_cast<uint8_t>(
        static_cast<int8_t>(clampInt(roundInt(x[j] * id), -127, 127)));
}

/// The 32-element layouts: element j < 16 in the low nibble of qs[j], element
/// j + 16 in its high nibble; for 5 bits, bit 4 of element j is bit j of the
/// little-endian u32 at `qh`.
static void packLowNibblesAndHighBits(const int q[32], int bits, uint8_t *qs,
                                      uint8_t *qhOut) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
    qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((q[j + 16] >> 4) & 1) << (j + 16);
  }
  if (bits == 5)
    std::memcpy(qhOut, &qh, 4);
}

/// Q4_0 (bits = 4) and Q5_0 (bits = 5): symmetric, d = max / -2^(bits-1).
static void quantizeSym(const float *x, uint8_t *y, int bits) {
  int levels = 1 << bits, half = levels / 2;
  float max = signedAbsMax(x, 32);
  float d = max / static_cast<float>(-half), id = d != 0 ? 1.0f / d : 0.0f;
  storeF16(y, d);
  int q[32];
  for (int j = 0; j < 32; ++j)
    q[j] = clampInt(roundInt(x[j] * id) + half, 0, levels - 1);
  packLowNibblesAndHighBits(q, bits, y + (bits == 5 ? 6 : 2), y + 2);
}

/// Q4_1 (bits = 4) and Q5_1 (bits = 5): x = q * d + min.
static void quantizeAsym(const float *x, uint8_t *y, int bits) {
  int levels = 1 << bits;
  float mn = x[0], mx = x[0];
  for (int j = 1; j < 32; ++j) {
    mn = std::min(mn, x[j]);
    mx = std::max(mx, x[j]);
  }
  float d = (mx - mn) / static_cast<float>(levels - 1);
  float id = d != 0 ? 1.0f / d : 0.0f;
  storeF16(y, d);
  storeF16(y + 2, mn);
  float m = fp16ToFloat(floatToFp16(mn));
  int q[32];
  for (int j = 0; j < 32; ++j)
    q[j] = clampInt(roundInt((x[j] - m) * id), 0, levels - 1);
  packLowNibblesAndHighBits(q, bits, y + (bits == 5 ? 8 : 4), y + 4);
}

/// Q4_K (bits = 4) and Q5_K (bits = 5): 8 sub-blocks of 32 with 6-bit
/// scales and mins relative to the super-block's d and dmin.
static void quantizeK(const float *x, uint8_t *y, int bits) {
  int levels = (1 << bits) - 1;
  float scale[8], minv[8];
  float maxScale = 0, maxMin = 0;
  for (int j = 0; j < 8; ++j) {
    float mn = 0, mx = 0; // include 0 so that mins stay >= 0
    for (int l = 0; l < 32; ++l) {
      mn = std::min(mn, x[32 * j + l]);
      mx = std::max(mx, x[32 * j + l]);
    }
    scale[j] = (mx - mn) / static_cast<float>(levels);
    minv[j] = -mn;
    maxScale = std::max(maxScale, scale[j]);
    maxMin = std::max(maxMin, minv[j]);
  }
  float d = maxScale / 63.0f, dmin = maxMin / 63.0f;
  storeF16(y, d);
  storeF16(y + 2, dmin);
  d = fp16ToFloat(floatToFp16(d));
  dmin = fp16ToFloat(floatToFp16(dmin));
  uint8_t sc[8], mq[8];
  for (int j = 0; j < 8; ++j) {
    // Round the scale up so that the sub-block's range stays representable.
    sc[j] = static_cast<uint8_t>(
        d > 0 ? clampInt(static_cast<int>(std::ceil(scale[j] / d)), 0, 63) : 0);
    mq[j] = static_cast<uint8_t>(
        dmin > 0 ? clampInt(roundInt(minv[j] / dmin), 0, 63) : 0);
  }
  kPackScales(sc, mq, y + 4);
  uint8_t *qh = y + 16;
  uint8_t *qs = y + (bits == 5 ? 48 : 16);
  if (bits == 5)
    std::memset(qh, 0, 32);
  for (int c = 0; c < 4; ++c)
    for (int half = 0; half < 2; ++half) {
      int j = 2 * c + half;
      float d1 = d * sc[j], m1 = dmin * mq[j];
      float id = d1 > 0 ? 1.0f / d1 : 0.0f;
      for (int l = 0; l < 32; ++l) {
        int q = clampInt(roundInt((x[32 * j + l] + m1) * id), 0, levels);
        if (half == 0)
          qs[32 * c + l] = static_cast<uint8_t>(q & 0xF);
        else
          qs[32 * c + l] |= static_cast<uint8_t>((q & 0xF) << 4);
        if (bits == 5)
          qh[l] |= static_cast<uint8_t>(((q >> 4) & 1) << j);
      }
    }
}

/// The signed scale of each of the 16 sub-blocks of 16 elements that puts
/// its element of largest magnitude at the quant -`levels` (Q6_K: 32,
/// Q3_K: 4); returns the largest scale magnitude.
static float subBlockScales(const float *x, float levels, float scale[16]) {
  float amaxScale = 0;
  for (int j = 0; j < 16; ++j) {
    scale[j] = signedAbsMax(x + 16 * j, 16) / -levels;
    amaxScale = std::max(amaxScale, std::fabs(scale[j]));
  }
  return amaxScale;
}

/// Q6_K: 16 sub-blocks of 16 with signed 8-bit scales, x = d * sc * (q - 32).
static void quantizeQ6_K(const float *x, uint8_t *y) {
  float scale[16];
  float d = subBlockScales(x, 32.0f, scale) / 127.0f;
  storeF16(y + 208, d);
  d = fp16ToFloat(floatToFp16(d));
  int8_t *sc = reinterpret_cast<int8_t *>(y + 192);
  int q[256];
  for (int j = 0; j < 16; ++j) {
    sc[j] = static_cast<int8_t>(
        d > 0 ? clampInt(roundInt(scale[j] / d), -127, 127) : 0);
    float s = d * sc[j], is = s != 0 ? 1.0f / s : 0.0f;
    for (int l = 0; l < 16; ++l)
      q[16 * j + l] = clampInt(roundInt(x[16 * j + l] * is) + 32, 0, 63);
  }
  uint8_t *ql = y, *qh = y + 128;
  for (int half = 0; half < 2; ++half) {
    const int *Q = q + 128 * half;
    uint8_t *L = ql + 64 * half, *H = qh + 32 * half;
    for (int l = 0; l < 32; ++l) {
      int q1 = Q[l], q2 = Q[l + 32], q3 = Q[l + 64], q4 = Q[l + 96];
      L[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      L[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
      H[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) |
                                  ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
    }
  }
}

/// Q2_K: per sub-block of 16 the range [min(x, 0), max(x)] in 3 steps,
/// the 4-bit scales and mins as multiples of d and dmin (the scale rounded
/// up, so that the range stays representable).
static void quantizeQ2_K(const float *x, uint8_t *y) {
  float scale[16], minv[16], maxScale = 0, maxMin = 0;
  for (int j = 0; j < 16; ++j) {
    float mn = 0, mx = 0;
    for (int l = 0; l < 16; ++l) {
      mn = std::min(mn, x[16 * j + l]);
      mx = std::max(mx, x[16 * j + l]);
    }
    scale[j] = (mx - mn) / 3.0f;
    minv[j] = -mn;
    maxScale = std::max(maxScale, scale[j]);
    maxMin = std::max(maxMin, minv[j]);
  }
  float d = maxScale / 15.0f, dmin = maxMin / 15.0f;
  std::memset(y, 0, 80);
  storeF16(y + 80, d);
  storeF16(y + 82, dmin);
  d = fp16ToFloat(floatToFp16(d));
  dmin = fp16ToFloat(floatToFp16(dmin));
  for (int j = 0; j < 16; ++j) {
    int sc =
        d > 0 ? clampInt(static_cast<int>(std::ceil(scale[j] / d)), 0, 15) : 0;
    int mq = dmin > 0 ? clampInt(roundInt(minv[j] / dmin), 0, 15) : 0;
    y[j] = static_cast<uint8_t>(sc | mq << 4);
    float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mq);
    float id = d1 > 0 ? 1.0f / d1 : 0.0f;
    for (int l = 0; l < 16; ++l) {
      int e = 16 * j + l, h = e / 128, k = (e % 128) / 32, r = e % 32;
      int q = clampInt(roundInt((x[e] + m1) * id), 0, 3);
      y[16 + 32 * h + r] |= static_cast<uint8_t>(q << (2 * k));
    }
  }
}

/// Q3_K: per sub-block of 16 a signed scale with the largest magnitude at
/// -4 (as Q6_K does at -32), the scales as 6-bit multiples of d.
static void quantizeQ3_K(const float *x, uint8_t *y) {
  float scale[16];
  float d = subBlockScales(x, 4.0f, scale) / 31.0f;
  std::memset(y, 0, 108);
  storeF16(y + 108, d);
  d = fp16ToFloat(floatToFp16(d));
  for (int j = 0; j < 16; ++j) {
    int sc = d > 0 ? clampInt(roundInt(scale[j] / d), -32, 31) : 0;
    int v = sc + 32;
    y[96 + j % 8] |= static_cast<uint8_t>((v & 0xF) << (j < 8 ? 0 : 4));
    y[104 + j % 4] |= static_cast<uint8_t>((v >> 4) << (2 * (j / 4)));
    float s = d * static_cast<float>(sc), is = s != 0 ? 1.0f / s : 0.0f;
    for (int l = 0; l < 16; ++l) {
      int e = 16 * j + l, h = e / 128, k = (e % 128) / 32, r = e % 32;
      int u = clampInt(roundInt(x[e] * is), -4, 3) + 4;
      y[32 + 32 * h + r] |= static_cast<uint8_t>((u & 3) << (2 * k));
      y[r] |= static_cast<uint8_t>((u >> 2) << (4 * h + k));
    }
  }
}

void quantizeRow(GGMLType type, const float *src, uint8_t *dst, int64_t n) {
  const GGMLTypeTraits &t = getGGMLTypeTraits(type);
  for (int64_t b = 0; b < n / t.blockSize; ++b) {
    const float *x = src + b * t.blockSize;
    uint8_t *y = dst + b * t.bytesPerBlock;
    switch (type) {
    case GGMLType::F32:
      std::memcpy(y, x, 4);
      break;
    case GGMLType::F16:
      storeF16(y, *x);
      break;
    case GGMLType::BF16: {
      uint16_t h = floatToBf16(*x);
      std::memcpy(y, &h, 2);
      break;
    }
    case GGMLType::Q8_0:
      quantizeQ8_0(x, y);
      break;
    case GGMLType::Q4_0:
      quantizeSym(x, y, 4);
      break;
    case GGMLType::Q5_0:
      quantizeSym(x, y, 5);
      break;
    case GGMLType::Q4_1:
      quantizeAsym(x, y, 4);
      break;
    case GGMLType::Q5_1:
      quantizeAsym(x, y, 5);
      break;
    case GGMLType::Q4_K:
      quantizeK(x, y, 4);
      break;
    case GGMLType::Q5_K:
      quantizeK(x, y, 5);
      break;
    case GGMLType::Q6_K:
      quantizeQ6_K(x, y);
      break;
    case GGMLType::Q2_K:
      quantizeQ2_K(x, y);
      break;
    case GGMLType::Q3_K:
      quantizeQ3_K(x, y);
      break;
    default:
      // Not a decoded type: the contract (Quant.h) rules it out; zeros
      // rather than uninitialized bytes if a caller misses it.
      std::memset(y, 0, t.bytesPerBlock);
      break;
    }
  }
}

} // namespace llamart
