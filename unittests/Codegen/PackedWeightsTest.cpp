//===- PackedWeightsTest.cpp - rows16 packing over tile ranges ------------===//
//
// llama-compile packs a weight's 16-row tiles on several threads, each
// taking a range (packRows16Tiles): the weights file must not depend on
// the split. Every packable type, on random bytes (the packing moves bits
// and never interprets them).
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/PackedWeights.h"
#include "llama-mlir/ABI/llama_abi.h"
#include "runtime/gguf/GGMLType.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace llama_mlir::packed;

namespace {

TEST(PackedWeights, TileRangesPackLikeTheWhole) {
  const uint32_t types[] = {LLAMA_GGML_TYPE_Q4_0, LLAMA_GGML_TYPE_Q4_1,
                            LLAMA_GGML_TYPE_Q5_0, LLAMA_GGML_TYPE_Q5_1,
                            LLAMA_GGML_TYPE_Q8_0, LLAMA_GGML_TYPE_Q4_K,
                            LLAMA_GGML_TYPE_Q5_K, LLAMA_GGML_TYPE_Q6_K,
                            LLAMA_GGML_TYPE_F16,  LLAMA_GGML_TYPE_BF16};
  const int64_t n = 80, k = 512; // 5 tiles, 2 K-quant super-blocks a row
  std::mt19937 rng(7);
  for (uint32_t type : types) {
    SCOPED_TRACE(type);
    ASSERT_TRUE(hasRows16(type, n, k));
    const llamart::GGMLTypeTraits *info = llamart::lookupGGMLType(type);
    ASSERT_NE(info, nullptr);
    size_t bytes = n * (k / info->blockSize) * info->bytesPerBlock;
    std::vector<uint8_t> src(bytes), whole(bytes), split(bytes, 0xAB);
    for (uint8_t &b : src)
      b = static_cast<uint8_t>(rng());
    packRows16(type, n, k, src.data(), whole.data());
    packRows16Tiles(type, k, src.data(), split.data(), 3, 5);
    packRows16Tiles(type, k, src.data(), split.data(), 0, 1);
    packRows16Tiles(type, k, src.data(), split.data(), 1, 3);
    EXPECT_EQ(whole, split);
    // A range writes its own tiles only.
    std::vector<uint8_t> one(bytes, 0xCD);
    packRows16Tiles(type, k, src.data(), one.data(), 2, 3);
    size_t tile = bytes / 5;
    for (size_t i = 0; i < bytes; ++i)
      if (i < 2 * tile || i >= 3 * tile)
        ASSERT_EQ(one[i], 0xCD) << "byte " << i;
      else
        ASSERT_EQ(one[i], whole[i]) << "byte " << i;
  }
}

} // namespace
