//===- QuantTest.cpp - Reference quantizers and dequantizers ------------===//
//
// Half/bfloat16 conversions checked exhaustively against their definitions,
// and every block type's quantize -> dequantize round trip checked against an
// error bound derived from its format (stated per type below).
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/Quant.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace llamart;

namespace {

TEST(Quant, Fp16RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = fp16ToFloat(static_cast<uint16_t>(h));
    bool isNan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF);
    if (isNan) {
      EXPECT_TRUE(std::isnan(f)) << h;
      continue;
    }
    EXPECT_EQ(floatToFp16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Quant, Fp16ValuesFromTheDefinition) {
  EXPECT_EQ(fp16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(fp16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(fp16ToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16ToFloat(0x0001), std::ldexp(1.0f, -24)); // smallest subnormal
  EXPECT_EQ(fp16ToFloat(0x0400), std::ldexp(1.0f, -14)); // smallest normal
  EXPECT_TRUE(std::isinf(fp16ToFloat(0x7C00)));
  // Round to nearest even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(floatToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  EXPECT_EQ(floatToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  EXPECT_EQ(floatToFp16(65520.0f), 0x7C00); // rounds past the largest half
  EXPECT_EQ(floatToFp16(65519.0f), 0x7BFF);
  EXPECT_EQ(floatToFp16(std::ldexp(1.0f, -25)), 0x0000); // ties to even (0)
  EXPECT_EQ(floatToFp16(std::ldexp(3.0f, -25)), 0x0002);
}

TEST(Quant, Bf16) {
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties to even.
  EXPECT_EQ(floatToBf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(NAN))));
  for (uint32_t h = 0; h < 65536; h += 7)
    if ((h & 0x7F80) != 0x7F80)
      EXPECT_EQ(floatToBf16(bf16ToFloat(static_cast<uint16_t>(h))), h);
}

struct Bound {
  GGMLType type;
  /// Max |error| per element as a fraction of the block's max |x|. From the
  /// formats: q8_0 half a step of amax/127; q4_0/q5_0 one step of amax/8 and
  /// amax/16 at the clamped end; q4_1/q5_1 half a step of range/15 and
  /// range/31 (range <= 2 amax); K-quants add the 6-bit quantization of the
  /// sub-block scale and min; q6_k one step of amax/32 at the clamped end;
  /// q3_k one step of amax/4 at the clamped end plus |q| <= 4 times half a
  /// step of the 6-bit scales (amax/4/31); q2_k half a step of range/3
  /// (range <= 2 amax), the scale rounded up by at most d = 2 amax/3/15 and
  /// the min off by half a step of dmin = amax/15.
  double maxErr;
  double rmsErr; ///< RMS error / RMS of the data, for N(0,1) data
};

class RoundTrip : public ::testing::TestWithParam<Bound> {};

TEST_P(RoundTrip, StaysWithinTheFormatsBound) {
  const Bound &b = GetParam();
  const GGMLTypeTraits &t = getGGMLTypeTraits(b.type);
  const int64_t n = 256 * 64;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i)
    x[i] = dist(rng) * (1.0f + static_cast<float>(i / 256 % 5)); // varied scales
  std::vector<uint8_t> q(*ggmlRowBytes(b.type, n));
  quantizeRow(b.type, x.data(), q.data(), n);
  dequantizeRow(b.type, q.data(), y.data(), n);
  double se = 0, sx = 0;
  int64_t block = std::max<int64_t>(t.blockSize, 1);
  for (int64_t s = 0; s < n; s += block) {
    float amax = 0;
    for (int64_t i = s; i < s + block; ++i)
      amax = std::max(amax, std::fabs(x[i]));
    for (int64_t i = s; i < s + block; ++i) {
      double e = std::fabs(static_cast<double>(x[i]) - y[i]);
      ASSERT_LE(e, b.maxErr * amax + 1e-30)
          << t.name << " element " << i << ": x " << x[i] << " y " << y[i];
      se += e * e;
      sx += static_cast<double>(x[i]) * x[i];
    }
  }
  EXPECT_LE(std::sqrt(se / sx), b.rmsErr) << t.name;
}

INSTANTIATE_TEST_SUITE_P(
    Types, RoundTrip,
    ::testing::Values(
        Bound{GGMLType::F32, 0.0, 0.0},
        Bound{GGMLType::F16, 1.0 / 2048, 1.0 / 2048},
        Bound{GGMLType::BF16, 1.0 / 256, 1.0 / 256},
        Bound{GGMLType::Q8_0, 0.5 / 127 + 1.0 / 2048, 0.01},
        Bound{GGMLType::Q4_0, 1.0 / 8 + 1.0 / 1024, 0.12},
        Bound{GGMLType::Q5_0, 1.0 / 16 + 1.0 / 1024, 0.06},
        Bound{GGMLType::Q4_1, 1.0 / 15 + 1.0 / 512, 0.09},
        Bound{GGMLType::Q5_1, 1.0 / 31 + 1.0 / 512, 0.045},
        Bound{GGMLType::Q2_K, 1.0 / 3 + 1.0 / 45 + 1.0 / 30 + 1.0 / 1024, 0.4},
        Bound{GGMLType::Q3_K, 1.0 / 4 + 1.0 / 62 + 1.0 / 1024, 0.2},
        Bound{GGMLType::Q4_K, 0.12, 0.12}, Bound{GGMLType::Q5_K, 0.06, 0.06},
        Bound{GGMLType::Q6_K, 1.0 / 32 + 1.0 / 127, 0.03}),
    [](const auto &info) {
      return std::string(getGGMLTypeTraits(info.param.type).name);
    });

TEST(Quant, ZeroBlocksStayZero) {
  for (const GGMLTypeTraits &t : kGGMLTypes) {
    std::vector<float> x(256, 0.0f), y(256, 1.0f);
    std::vector<uint8_t> q(*ggmlRowBytes(t.type, 256));
    quantizeRow(t.type, x.data(), q.data(), 256);
    dequantizeRow(t.type, q.data(), y.data(), 256);
    for (float v : y)
      EXPECT_EQ(v, 0.0f) << t.name;
  }
}

TEST(Quant, Q4_0DecodesAHandMadeBlock) {
  // d = 0.5 (half 0x3800); qs[j] = low nibble j, high nibble 15 - j.
  uint8_t block[18] = {0x00, 0x38};
  for (int j = 0; j < 16; ++j)
    block[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float y[32];
  dequantizeRow(GGMLType::Q4_0, block, y, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[j + 16], (15 - j - 8) * 0.5f);
  }
}

TEST(Quant, Q6_KDecodesAHandMadeBlock) {
  // All q = 33 (value 1 after -32), scales[i] = i + 1, d = 1.
  uint8_t block[210] = {};
  for (int i = 0; i < 128; ++i)
    block[i] = 0x11; // low nibbles 1 for both halves
  for (int i = 0; i < 64; ++i)
    block[128 + i] = 0xAA; // high 2 bits = 2 for every element -> q = 33
  for (int i = 0; i < 16; ++i)
    block[192 + i] = static_cast<uint8_t>(i + 1);
  block[208] = 0x00, block[209] = 0x3C; // d = 1.0
  float y[256];
  dequantizeRow(GGMLType::Q6_K, block, y, 256);
  for (int i = 0; i < 256; ++i)
    EXPECT_EQ(y[i], static_cast<float>(i / 16 + 1)) << i;
}

} // namespace
