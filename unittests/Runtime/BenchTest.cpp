//===- BenchTest.cpp - The --bench roofline's machine peaks -------------===//
//
// The peaks --bench divides by exist on every CPU the integer kernels run
// on: an x86 CPU with AVX2 but no VNNI (AMD Zen 3, older Intel) has an int8
// dot peak (vpmaddubsw + vpmaddwd), so its prefill is not measured against
// the fp32 FMA peak.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/Bench.h"
#include "runtime/core/CPUFeatures.h"

#include "gtest/gtest.h"

namespace {

TEST(Bench, FmaPeakIsPositive) {
  EXPECT_GT(llamart::measureFmaPeak(1, 1), 0.0);
}

TEST(Bench, Int8DotPeakOnEveryAVX2CPU) {
#if defined(__x86_64__)
  if (!llamart::missingCPUFeatures({"avx2"}).empty())
    GTEST_SKIP() << "this CPU has no AVX2";
  double ops = llamart::measureInt8DotPeak(1, 1);
  EXPECT_GT(ops, 0.0);
  // One 32-byte dot (64 operations) takes a few cycles at most: far above
  // 1 GOP/s on one thread.
  EXPECT_GT(ops, 1e9);
#else
  GTEST_SKIP() << "the int8 dot peak is measured on x86 only";
#endif
}

} // namespace
