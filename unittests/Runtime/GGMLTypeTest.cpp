//===- GGMLTypeTest.cpp - The GGML type table ---------------------------===//
//
// Checks the runtime's GGML type table against the block layouts written out
// in the GGUF format (docs/GGUF.md): each type's byte count is recomputed
// from its struct fields, not read back from the table.
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/GGMLType.h"

#include "gtest/gtest.h"

using namespace llamart;

namespace {

TEST(GGMLType, BlockBytesMatchTheStructLayouts) {
  const unsigned f16 = 2;
  struct Expected {
    GGMLType type;
    uint32_t block, bytes;
  } table[] = {
      {GGMLType::F32, 1, 4},
      {GGMLType::F16, 1, 2},
      {GGMLType::BF16, 1, 2},
      {GGMLType::Q8_0, 32, f16 + 32},                 // d, qs[32]
      {GGMLType::Q4_0, 32, f16 + 16},                 // d, qs[16]
      {GGMLType::Q4_1, 32, 2 * f16 + 16},             // d, m, qs[16]
      {GGMLType::Q5_0, 32, f16 + 4 + 16},             // d, qh[4], qs[16]
      {GGMLType::Q5_1, 32, 2 * f16 + 4 + 16},         // d, m, qh, qs
      {GGMLType::Q2_K, 256, 16 + 64 + 2 * f16},       // sc, qs, d, dmin
      {GGMLType::Q3_K, 256, 32 + 64 + 12 + f16},      // hmask, qs, sc, d
      {GGMLType::Q4_K, 256, 2 * f16 + 12 + 128},      // d, dmin, sc, qs
      {GGMLType::Q5_K, 256, 2 * f16 + 12 + 32 + 128}, // + qh[32]
      {GGMLType::Q6_K, 256, 128 + 64 + 16 + f16},     // ql, qh, sc, d
  };
  ASSERT_EQ(sizeof(table) / sizeof(table[0]), kNumGGMLTypes);
  for (const Expected &e : table) {
    const GGMLTypeTraits &t = getGGMLTypeTraits(e.type);
    EXPECT_EQ(t.blockSize, e.block) << t.name;
    EXPECT_EQ(t.bytesPerBlock, e.bytes) << t.name;
    EXPECT_EQ(t.isQuantized, e.block > 1) << t.name;
  }
}

TEST(GGMLType, UndecodedTypesHaveTheFormatsGeometry) {
  // The GGUF format's blocks of the types llama-mlir does not decode, from
  // their struct fields (QK_K = 256).
  const unsigned f16 = 2, qk = 256;
  struct Expected {
    GGMLType type;
    uint32_t id, block, bytes;
  } table[] = {
      {GGMLType::Q8_1, 9, 32, 2 * f16 + 32},                   // d, s, qs
      {GGMLType::Q8_K, 15, qk, 4 + qk + qk / 16 * 2},          // d, qs, bsums
      {GGMLType::IQ2_XXS, 16, qk, f16 + qk / 8 * 2},           // d, qs
      {GGMLType::IQ2_XS, 17, qk, f16 + qk / 8 * 2 + qk / 32},  // + scales
      {GGMLType::IQ3_XXS, 18, qk, f16 + 3 * qk / 8},           // d, qs
      {GGMLType::IQ1_S, 19, qk, f16 + qk / 8 + qk / 16},       // d, qs, qh
      {GGMLType::IQ4_NL, 20, 32, f16 + 16},                    // d, qs
      {GGMLType::IQ3_S, 21, qk, f16 + 13 * qk / 32 + qk / 64}, // + scales
      {GGMLType::IQ2_S, 22, qk, f16 + qk / 4 + qk / 16},       // d, qs, qh, sc
      {GGMLType::IQ4_XS, 23, qk, f16 + 2 + qk / 64 + qk / 2},  // d, sh, sl, qs
      {GGMLType::I8, 24, 1, 1},
      {GGMLType::I16, 25, 1, 2},
      {GGMLType::I32, 26, 1, 4},
      {GGMLType::I64, 27, 1, 8},
      {GGMLType::F64, 28, 1, 8},
      {GGMLType::IQ1_M, 29, qk, qk / 8 + qk / 16 + qk / 32}, // qs, qh, sc
      {GGMLType::TQ1_0, 34, qk, (qk - 4 * qk / 64) / 5 + qk / 64 + f16},
      {GGMLType::TQ2_0, 35, qk, qk / 4 + f16}, // qs, d
  };
  ASSERT_EQ(sizeof(table) / sizeof(table[0]),
            sizeof(kUndecodedGGMLTypes) / sizeof(kUndecodedGGMLTypes[0]));
  for (const Expected &e : table) {
    EXPECT_EQ(static_cast<uint32_t>(e.type), e.id);
    const GGMLTypeTraits *t = lookupKnownGGMLType(e.id);
    ASSERT_NE(t, nullptr) << e.id;
    EXPECT_EQ(t->blockSize, e.block) << t->name;
    EXPECT_EQ(t->bytesPerBlock, e.bytes) << t->name;
    EXPECT_EQ(lookupGGMLType(e.id), nullptr) << t->name;
    EXPECT_FALSE(isDecodedGGMLType(e.type)) << t->name;
  }
  EXPECT_EQ(ggmlTypeLabel(GGMLType::IQ2_XXS), "iq2_xxs (16)");
  EXPECT_EQ(ggmlTypeLabel(GGMLType::Q4_K), "q4_k (12)");
  // Retired and undefined ids are no type at all.
  for (uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 39u, 0xFFFFFFFFu})
    EXPECT_EQ(lookupKnownGGMLType(id), nullptr) << id;
  // Names parse for the decoded types only (--type of llama-gguf gen).
  EXPECT_FALSE(parseGGMLTypeName("iq4_xs").has_value());
}

TEST(GGMLType, LookupByIdAndName) {
  EXPECT_EQ(lookupGGMLType(12)->type, GGMLType::Q4_K);
  EXPECT_EQ(lookupGGMLType(4), nullptr); // retired Q4_2
  EXPECT_EQ(lookupGGMLType(10)->type, GGMLType::Q2_K);
  EXPECT_EQ(lookupGGMLType(11)->type, GGMLType::Q3_K);
  EXPECT_EQ(lookupGGMLType(16), nullptr); // IQ2_XXS: not decoded
  EXPECT_EQ(lookupGGMLType(0xFFFFFFFFu), nullptr);
  EXPECT_EQ(parseGGMLTypeName("q6_k"), GGMLType::Q6_K);
  EXPECT_FALSE(parseGGMLTypeName("Q6_K").has_value());
  EXPECT_FALSE(parseGGMLTypeName("").has_value());
}

TEST(GGMLType, RowBytes) {
  EXPECT_EQ(ggmlRowBytes(GGMLType::Q4_0, 4096), 4096u / 32 * 18);
  EXPECT_EQ(ggmlRowBytes(GGMLType::F16, 7), 14u);
  EXPECT_FALSE(ggmlRowBytes(GGMLType::Q4_K, 4000).has_value());
  // Overflow of the byte count is reported, not wrapped.
  EXPECT_FALSE(ggmlRowBytes(GGMLType::F32, UINT64_MAX).has_value());
}

} // namespace
