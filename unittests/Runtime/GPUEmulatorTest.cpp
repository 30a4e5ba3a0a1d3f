//===- GPUEmulatorTest.cpp - The CPU emulator of the CUDA driver ----------===//
//
// Hand-written kernels (as the llama-emulate-gpu-kernels copies call the
// emulator) launched through the emulated driver's entry points: warp
// shuffles in lockstep, barriers, index codes, and the errors a GPU would
// turn into undefined values.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Runtime/GPUEmulator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

using Launch = int (*)(void *, unsigned, unsigned, unsigned, unsigned, unsigned,
                       unsigned, unsigned, void *, void **, void **);
using LoadData = int (*)(void **, const void *);
using GetFunction = int (*)(void **, void *, const char *);

int32_t asInt(float f) {
  int32_t i;
  std::memcpy(&i, &f, 4);
  return i;
}
float asFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
int64_t tid() { return llama_rt_emu_index(0); }
int64_t bid() { return llama_rt_emu_index(3); }
int64_t bdim() { return llama_rt_emu_index(6); }

/// out[global warp] = sum of the warp's in[] (xor butterfly).
void warpSum(void **params) {
  float *in = *static_cast<float **>(params[0]);
  float *out = *static_cast<float **>(params[1]);
  int64_t g = bid() * bdim() + tid();
  float v = in[g];
  for (int off = 16; off > 0; off /= 2)
    v += asFloat(llama_rt_emu_shuffle(asInt(v), off, 32, /*xor*/ 0));
  if (g % 32 == 0)
    out[g / 32] = v;
}

/// out[t] = in[t + 1] of the block, read after a barrier (without it the
/// threads, run one after another, would read the old value).
void rotate(void **params) {
  float *buf = *static_cast<float **>(params[0]);
  int64_t t = tid(), n = bdim();
  buf[t] = float(t * 10);
  llama_rt_emu_barrier();
  float next = buf[(t + 1) % n];
  llama_rt_emu_barrier();
  buf[t] = next;
}

/// down and up shuffles at the segment's edges keep the lane's own value.
void downUp(void **params) {
  int32_t *out = *static_cast<int32_t **>(params[0]);
  int64_t t = tid();
  out[t] = llama_rt_emu_shuffle(int32_t(t), 1, 32, /*down*/ 1);
  out[32 + t] = llama_rt_emu_shuffle(int32_t(t), 2, 32, /*up*/ 2);
  out[64 + t] = llama_rt_emu_shuffle(int32_t(t), 5, 32, /*idx*/ 3);
}

/// Plain kernel: every index code.
void indices(void **params) {
  int64_t *out = *static_cast<int64_t **>(params[0]);
  int64_t x = llama_rt_emu_index(0), y = llama_rt_emu_index(1);
  int64_t bx = llama_rt_emu_index(3), by = llama_rt_emu_index(4);
  int64_t gx = llama_rt_emu_index(9);
  int64_t flat =
      ((by * gx + bx) * llama_rt_emu_index(7) + y) * llama_rt_emu_index(6) + x;
  out[flat] = flat;
}

/// Lane 0 exits before its warp shuffles.
void diverge(void **) {
  if (tid() == 0)
    return;
  llama_rt_emu_shuffle(1, 1, 32, 0);
}

const char *kPtx = ".visible .entry warp_sum(\n.visible .entry rotate(\n"
                   ".visible .entry down_up(\n.visible .entry indices(\n"
                   ".visible .entry diverge(\n.visible .entry unregistered(\n";

struct Emulator : ::testing::Test {
  void SetUp() override {
    llama_rt_emu_register("warp_sum", warpSum, 1);
    llama_rt_emu_register("rotate", rotate, 1);
    llama_rt_emu_register("down_up", downUp, 1);
    llama_rt_emu_register("indices", indices, 0);
    llama_rt_emu_register("diverge", diverge, 1);
    auto load = reinterpret_cast<LoadData>(
        llama_rt_gpu_emulated_driver("cuModuleLoadData"));
    ASSERT_EQ(load(&module, kPtx), 0);
  }
  void TearDown() override {
    auto unload = reinterpret_cast<int (*)(void *)>(
        llama_rt_gpu_emulated_driver("cuModuleUnload"));
    EXPECT_EQ(unload(module), 0);
  }
  void *function(const char *name) {
    auto get = reinterpret_cast<GetFunction>(
        llama_rt_gpu_emulated_driver("cuModuleGetFunction"));
    void *f = nullptr;
    EXPECT_EQ(get(&f, module, name), 0) << name;
    return f;
  }
  int launch(const char *name, unsigned gx, unsigned gy, unsigned bx,
             unsigned by, std::vector<void *> args) {
    auto fn = reinterpret_cast<Launch>(
        llama_rt_gpu_emulated_driver("cuLaunchKernel"));
    std::vector<void *> params;
    for (void *&a : args)
      params.push_back(&a);
    return fn(function(name), gx, gy, 1, bx, by, 1, 0, nullptr, params.data(),
              nullptr);
  }
  void *module = nullptr;
};

TEST_F(Emulator, WarpShufflesExchangeInLockstep) {
  std::vector<float> in(256), out(8, -1);
  for (int i = 0; i < 256; ++i)
    in[i] = float(i);
  ASSERT_EQ(launch("warp_sum", 2, 1, 128, 1, {in.data(), out.data()}), 0);
  for (int w = 0; w < 8; ++w) // sum of 32w .. 32w+31
    EXPECT_EQ(out[w], float(32 * 32 * w + 31 * 32 / 2)) << w;
}

TEST_F(Emulator, BarrierOrdersTheBlocksThreads) {
  std::vector<float> buf(64);
  ASSERT_EQ(launch("rotate", 1, 1, 64, 1, {buf.data()}), 0);
  for (int t = 0; t < 64; ++t)
    EXPECT_EQ(buf[t], float((t + 1) % 64 * 10)) << t;
}

TEST_F(Emulator, ShuffleModes) {
  std::vector<int32_t> out(96, -1);
  ASSERT_EQ(launch("down_up", 1, 1, 32, 1, {out.data()}), 0);
  for (int t = 0; t < 32; ++t) {
    EXPECT_EQ(out[t], t < 31 ? t + 1 : t);
    EXPECT_EQ(out[32 + t], t >= 2 ? t - 2 : t);
    EXPECT_EQ(out[64 + t], 5);
  }
}

TEST_F(Emulator, IndicesOfEveryThread) {
  std::vector<int64_t> out(3 * 2 * 4 * 8, -1);
  ASSERT_EQ(launch("indices", 3, 2, 4, 8, {out.data()}), 0);
  for (size_t i = 0; i < out.size(); ++i)
    EXPECT_EQ(out[i], int64_t(i));
}

TEST_F(Emulator, KernelsMustBeInThePtxAndRegistered) {
  auto get = reinterpret_cast<GetFunction>(
      llama_rt_gpu_emulated_driver("cuModuleGetFunction"));
  void *f = nullptr;
  EXPECT_EQ(get(&f, module, "unregistered"), 500); // no host copy
  llama_rt_emu_register("not_in_ptx", indices, 0);
  EXPECT_EQ(get(&f, module, "not_in_ptx"), 500);
  EXPECT_EQ(llama_rt_gpu_emulated_driver("cuNoSuchEntry"), nullptr);
}

TEST_F(Emulator, BadLaunchIsRefused) {
  std::vector<int64_t> out(1);
  EXPECT_NE(launch("indices", 1, 1, 2048, 1, {out.data()}), 0);
  EXPECT_NE(launch("indices", 0, 1, 32, 1, {out.data()}), 0);
}

TEST_F(Emulator, ManagedMemory) {
  auto alloc =
      reinterpret_cast<int (*)(unsigned long long *, size_t, unsigned)>(
          llama_rt_gpu_emulated_driver("cuMemAllocManaged"));
  auto release = reinterpret_cast<int (*)(unsigned long long)>(
      llama_rt_gpu_emulated_driver("cuMemFree_v2"));
  unsigned long long p = 0;
  ASSERT_EQ(alloc(&p, 1000, 1), 0);
  EXPECT_EQ(p % 256, 0u);
  EXPECT_EQ(release(p), 0);
  EXPECT_NE(release(p), 0); // freed twice
}

TEST_F(Emulator, DivergentShuffleIsAnError) {
  EXPECT_EXIT(launch("diverge", 1, 1, 32, 1, {}), ::testing::ExitedWithCode(5),
              "kernel diverge, block \\(0, 0, 0\\): warp 0: some lanes wait "
              "at a shuffle while others have exited");
}

} // namespace
