//===- ABITest.cpp - The compiler/runtime ABI header ----------------------===//
//
// llama_abi.h compiles as C (ABIHeaderC.c) with the layout C++ gives it,
// its memref descriptors are MLIR's, and the GGML ids agree with the
// runtime's type table and the dialect's enum.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <gtest/gtest.h>

#include <cstddef>

extern "C" size_t llama_abi_test_c_memref_size(int rank);
extern "C" size_t llama_abi_test_c_strides_offset(void);
extern "C" int llama_abi_test_c_num_args(void);

namespace {

TEST(ABIHeader, CompilesAsCWithTheSameLayout) {
  EXPECT_EQ(llama_abi_test_c_memref_size(1), sizeof(llama_abi_memref1));
  EXPECT_EQ(llama_abi_test_c_memref_size(2), sizeof(llama_abi_memref2));
  EXPECT_EQ(llama_abi_test_c_memref_size(4), sizeof(llama_abi_memref4));
  EXPECT_EQ(llama_abi_test_c_strides_offset(),
            offsetof(llama_abi_memref4, strides));
  EXPECT_EQ(llama_abi_test_c_num_args(), 7);
}

TEST(ABIHeader, MemRefDescriptorsAreMLIRs) {
  // The generated code's C interface passes StridedMemRefType (MLIR's
  // CRunnerUtils.h) by pointer.
  EXPECT_EQ(sizeof(llama_abi_memref1), sizeof(StridedMemRefType<float, 1>));
  EXPECT_EQ(sizeof(llama_abi_memref2), sizeof(StridedMemRefType<float, 2>));
  EXPECT_EQ(sizeof(llama_abi_memref4), sizeof(StridedMemRefType<float, 4>));
  using Ref4 = StridedMemRefType<float, 4>;
  using Ref2 = StridedMemRefType<float, 2>;
  EXPECT_EQ(offsetof(llama_abi_memref4, strides), offsetof(Ref4, strides));
  EXPECT_EQ(offsetof(llama_abi_memref2, offset), offsetof(Ref2, offset));
}

TEST(ABIHeader, GGMLIdsAgreeWithTheRuntimeAndTheDialect) {
  for (const llamart::GGMLTypeTraits &t : llamart::kGGMLTypes) {
    uint32_t id = static_cast<uint32_t>(t.type);
    std::optional<mlir::llama::GGMLType> d =
        mlir::llama::symbolizeGGMLType(t.name);
    ASSERT_TRUE(d.has_value()) << t.name;
    EXPECT_EQ(static_cast<uint32_t>(*d), id) << t.name;
  }
  EXPECT_EQ(llamart::lookupGGMLType(LLAMA_GGML_TYPE_Q4_K)->blockSize, 256u);
  EXPECT_EQ(llamart::lookupGGMLType(LLAMA_GGML_TYPE_Q8_0)->bytesPerBlock, 34u);
}

} // namespace
