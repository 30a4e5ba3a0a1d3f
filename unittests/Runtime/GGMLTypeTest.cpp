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
      {GGMLType::Q8_0, 32, f16 + 32},                  // d, qs[32]
      {GGMLType::Q4_0, 32, f16 + 16},                  // d, qs[16]
      {GGMLType::Q4_1, 32, 2 * f16 + 16},              // d, m, qs[16]
      {GGMLType::Q5_0, 32, f16 + 4 + 16},              // d, qh[4], qs[16]
      {GGMLType::Q5_1, 32, 2 * f16 + 4 + 16},          // d, m, qh, qs
      {GGMLType::Q4_K, 256, 2 * f16 + 12 + 128},       // d, dmin, sc, qs
      {GGMLType::Q5_K, 256, 2 * f16 + 12 + 32 + 128},  // + qh[32]
      {GGMLType::Q6_K, 256, 128 + 64 + 16 + f16},      // ql, qh, sc, d
  };
  ASSERT_EQ(sizeof(table) / sizeof(table[0]), kNumGGMLTypes);
  for (const Expected &e : table) {
    const GGMLTypeTraits &t = getGGMLTypeTraits(e.type);
    EXPECT_EQ(t.blockSize, e.block) << t.name;
    EXPECT_EQ(t.bytesPerBlock, e.bytes) << t.name;
    EXPECT_EQ(t.isQuantized, e.block > 1) << t.name;
  }
}

TEST(GGMLType, LookupByIdAndName) {
  EXPECT_EQ(lookupGGMLType(12)->type, GGMLType::Q4_K);
  EXPECT_EQ(lookupGGMLType(4), nullptr); // retired Q4_2
  EXPECT_EQ(lookupGGMLType(10), nullptr); // Q2_K: not supported
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
