//===- GPUEmulatorTest.cpp - The CPU emulator of the CUDA driver ----------===//
//
// Hand-written kernels (as the llama-emulate-gpu-kernels copies call the
// emulator) launched through the emulated driver's entry points: warp
// shuffles in lockstep, barriers, index codes, graphs, and the errors a GPU
// would turn into undefined values.
//
//===----------------------------------------------------------------------===//

#include "test/lib/GPUEmulator/GPUEmulator.h"
#include "runtime/gguf/Quant.h"

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

/// buf[t] = buf[t] * factor + t (a pointer and an f32 parameter).
void axpt(void **params) {
  float *buf = *static_cast<float **>(params[0]);
  float factor = *static_cast<float *>(params[1]);
  int64_t t = tid();
  buf[t] = buf[t] * factor + float(t);
}

/// out[t] = in[t].
void copyOut(void **params) {
  float *in = *static_cast<float **>(params[0]);
  float *out = *static_cast<float **>(params[1]);
  out[tid()] = in[tid()];
}

/// Lane 0 exits before its warp shuffles.
void diverge(void **) {
  if (tid() == 0)
    return;
  llama_rt_emu_shuffle(1, 1, 32, 0);
}

/// Two halves in a register, `lo` in the low 16 bits.
int32_t pack(float lo, float hi) {
  return int32_t(uint32_t(llamart::floatToFp16(lo)) |
                 uint32_t(llamart::floatToFp16(hi)) << 16);
}

/// c (16 x 8) += a (16 x 16) * b (16 x 8, k x n), all row-major, by one
/// warp's mma.sync: each lane gathers its fragments where the PTX ISA puts
/// them (lane = 4 group + index; A register r: row group + 8 (r % 2),
/// columns 2 index + 8 (r / 2) and the next; B register r: column group,
/// rows 2 index + 8 r and the next; C value i: row group + 8 (i / 2),
/// column 2 index + i % 2) and writes its D there.
void mma(void **params) {
  const float *a = *static_cast<float **>(params[0]);
  const float *b = *static_cast<float **>(params[1]);
  float *c = *static_cast<float **>(params[2]);
  int64_t lane = tid() % 32, group = lane / 4, i2 = lane % 4 * 2;
  int32_t ar[4], br[2];
  float cr[4], d[4];
  for (int r = 0; r < 4; ++r) {
    const float *at = a + (group + 8 * (r % 2)) * 16 + i2 + 8 * (r / 2);
    ar[r] = pack(at[0], at[1]);
  }
  for (int r = 0; r < 2; ++r) {
    int64_t k = i2 + 8 * r;
    br[r] = pack(b[k * 8 + group], b[(k + 1) * 8 + group]);
  }
  for (int i = 0; i < 4; ++i)
    cr[i] = c[(group + 8 * (i / 2)) * 8 + i2 + i % 2];
  llama_rt_emu_mma_m16n8k16(ar[0], ar[1], ar[2], ar[3], br[0], br[1], cr[0],
                            cr[1], cr[2], cr[3],
                            int64_t(reinterpret_cast<uintptr_t>(d)));
  for (int i = 0; i < 4; ++i)
    c[(group + 8 * (i / 2)) * 8 + i2 + i % 2] = d[i];
}

/// Thread t of a block of n writes word t of the buffer (a workgroup buffer
/// of n words, as the emulated kernels declare their accesses to one),
/// reads word t + 1 (mod n), with a barrier between where `barrier` is
/// set, and after a barrier writes it to word t. With `overrun`, thread 0
/// then reads the word after the buffer.
void neighbours(void **params) {
  float *buf = *static_cast<float **>(params[0]);
  int32_t barrier = *static_cast<int32_t *>(params[1]);
  int32_t overrun = *static_cast<int32_t *>(params[2]);
  int64_t t = tid(), n = bdim();
  auto access = [&](int64_t word, int32_t write) {
    llama_rt_emu_shared_access(int64_t(reinterpret_cast<uintptr_t>(buf)), n * 4,
                               word * 4, 4, write);
  };
  access(t, 1);
  buf[t] = float(t);
  if (barrier)
    llama_rt_emu_barrier();
  access((t + 1) % n, 0);
  float next = buf[(t + 1) % n];
  llama_rt_emu_barrier();
  access(t, 1);
  buf[t] = next;
  if (overrun && t == 0)
    access(n, 0);
}

/// Lane 5 exits before its warp's mma.sync.
void divergeMma(void **) {
  if (tid() == 5)
    return;
  float d[4];
  llama_rt_emu_mma_m16n8k16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            int64_t(reinterpret_cast<uintptr_t>(d)));
}

const char *kPtx = ".visible .entry warp_sum(\n.visible .entry rotate(\n"
                   ".visible .entry down_up(\n.visible .entry indices(\n"
                   ".visible .entry diverge(\n.visible .entry unregistered(\n"
                   ".visible .entry axpt(\n.visible .entry copy_out(\n"
                   ".visible .entry mma(\n.visible .entry diverge_mma(\n"
                   ".visible .entry neighbours(\n";

struct Emulator : ::testing::Test {
  void SetUp() override {
    static const int32_t ptr[] = {8, 8}, ptrF32[] = {8, 4};
    llama_rt_emu_register("warp_sum", warpSum, 1, 2, ptr);
    llama_rt_emu_register("rotate", rotate, 1, 1, ptr);
    llama_rt_emu_register("down_up", downUp, 1, 1, ptr);
    llama_rt_emu_register("indices", indices, 0, 1, ptr);
    llama_rt_emu_register("diverge", diverge, 1, 0, ptr);
    llama_rt_emu_register("axpt", axpt, 0, 2, ptrF32);
    llama_rt_emu_register("copy_out", copyOut, 0, 2, ptr);
    static const int32_t ptr3[] = {8, 8, 8};
    llama_rt_emu_register("mma", mma, 1, 3, ptr3);
    llama_rt_emu_register("diverge_mma", divergeMma, 1, 0, ptr);
    static const int32_t ptrI32I32[] = {8, 4, 4};
    llama_rt_emu_register("neighbours", neighbours, 1, 3, ptrI32I32);
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
  llama_rt_emu_register("not_in_ptx", indices, 0, 0, nullptr);
  EXPECT_EQ(get(&f, module, "not_in_ptx"), 500);
  EXPECT_EQ(llama_rt_gpu_emulated_driver("cuNoSuchEntry"), nullptr);
}

TEST_F(Emulator, BadLaunchIsRefused) {
  std::vector<int64_t> out(1);
  EXPECT_NE(launch("indices", 1, 1, 2048, 1, {out.data()}), 0);
  EXPECT_NE(launch("indices", 0, 1, 32, 1, {out.data()}), 0);
  // A GPU's grid is at most 65535 blocks in y and z, a block at most 64
  // threads in z.
  EXPECT_NE(launch("indices", 1, 65536, 32, 1, {out.data()}), 0);
  auto fn =
      reinterpret_cast<Launch>(llama_rt_gpu_emulated_driver("cuLaunchKernel"));
  void *arg = out.data();
  void *params[] = {&arg};
  EXPECT_NE(fn(function("indices"), 1, 1, 65536, 1, 1, 1, 0, nullptr, params,
               nullptr),
            0);
  EXPECT_NE(
      fn(function("indices"), 1, 1, 1, 1, 1, 65, 0, nullptr, params, nullptr),
      0);
}

TEST_F(Emulator, MmaSyncMultipliesTheWarpsFragments) {
  std::vector<float> a(16 * 16), b(16 * 8), c(16 * 8), want(16 * 8);
  // Small multiples of 1/2 and 1/4: exact in f16, the sums exact in f32.
  for (int i = 0; i < 16 * 16; ++i)
    a[i] = float(i * 7 % 11 - 5) * 0.5f;
  for (int i = 0; i < 16 * 8; ++i) {
    b[i] = float(i * 5 % 9 - 4) * 0.25f;
    c[i] = float(i % 13);
  }
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      float sum = c[m * 8 + n];
      for (int k = 0; k < 16; ++k)
        sum += a[m * 16 + k] * b[k * 8 + n];
      want[m * 8 + n] = sum;
    }
  ASSERT_EQ(launch("mma", 1, 1, 32, 1, {a.data(), b.data(), c.data()}), 0);
  for (int i = 0; i < 16 * 8; ++i)
    EXPECT_EQ(c[i], want[i]) << "row " << i / 8 << " column " << i % 8;
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

/// CUDA_KERNEL_NODE_PARAMS_v2.
struct NodeParams {
  void *func;
  unsigned grid[3], block[3], smem;
  void **params, **extra;
  void *kern, *ctx;
};

template <typename F> F entry(const char *name) {
  return reinterpret_cast<F>(llama_rt_gpu_emulated_driver(name));
}

TEST_F(Emulator, ParamInfoLaysParametersOutByTheirSizes) {
  auto info =
      entry<int (*)(void *, size_t, size_t *, size_t *)>("cuFuncGetParamInfo");
  size_t offset = 0, size = 0;
  ASSERT_EQ(info(function("axpt"), 1, &offset, &size), 0);
  EXPECT_EQ(offset, 8u);
  EXPECT_EQ(size, 4u);
  EXPECT_NE(info(function("axpt"), 2, &offset, &size), 0);
}

TEST_F(Emulator, GraphNodesCopyTheirArgumentsAndExecsTheirNodes) {
  auto create = entry<int (*)(void **, unsigned)>("cuGraphCreate");
  // The node parameters as const void *, the entry points' exact type.
  auto add =
      entry<int (*)(void **, void *, void *const *, size_t, const void *)>(
          "cuGraphAddKernelNode_v2");
  auto instantiate = entry<int (*)(void **, void *, unsigned long long)>(
      "cuGraphInstantiateWithFlags");
  auto setParams = entry<int (*)(void *, void *, const void *)>(
      "cuGraphExecKernelNodeSetParams_v2");
  auto launchGraph = entry<int (*)(void *, void *)>("cuGraphLaunch");
  auto destroy = entry<int (*)(void *)>("cuGraphDestroy");
  auto destroyExec = entry<int (*)(void *)>("cuGraphExecDestroy");

  std::vector<float> buf(4, 1.0f);
  float *p = buf.data();
  float factor = 2.0f;
  void *args[] = {&p, &factor};
  NodeParams np{function("axpt"), {1, 1, 1}, {4, 1, 1}, 0, args,
                nullptr,          nullptr,   nullptr};
  void *graph = nullptr, *first = nullptr, *second = nullptr;
  ASSERT_EQ(create(&graph, 0), 0);
  ASSERT_EQ(add(&first, graph, nullptr, 0, &np), 0);
  factor = 3.0f; // the first node keeps 2
  ASSERT_EQ(add(&second, graph, &first, 1, &np), 0);
  void *stranger = &factor;
  EXPECT_NE(add(&stranger, graph, &stranger, 1, &np), 0); // unknown dependency
  void *exec = nullptr;
  ASSERT_EQ(instantiate(&exec, graph, 0), 0);
  EXPECT_EQ(buf[1], 1.0f); // nothing runs before the launch
  ASSERT_EQ(launchGraph(exec, nullptr), 0);
  for (int t = 0; t < 4; ++t) // (1 * 2 + t) * 3 + t, in node order
    EXPECT_EQ(buf[t], float((2 + t) * 3 + t)) << t;

  // New arguments for the exec's second node only.
  std::fill(buf.begin(), buf.end(), 1.0f);
  factor = 10.0f;
  ASSERT_EQ(setParams(exec, second, &np), 0);
  ASSERT_EQ(launchGraph(exec, nullptr), 0);
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(buf[t], float((2 + t) * 10 + t)) << t;
  // Another kernel in a node is refused.
  NodeParams other = np;
  other.func = function("indices");
  EXPECT_NE(setParams(exec, second, &other), 0);
  EXPECT_EQ(destroyExec(exec), 0);
  EXPECT_EQ(destroy(graph), 0);
}

/// Device memory: filled by the driver, used by kernels, never by the host.
TEST_F(Emulator, DeviceMemoryOnlyKernelsAndCopiesTouch) {
  auto alloc = entry<int (*)(unsigned long long *, size_t)>("cuMemAlloc_v2");
  auto copy = entry<int (*)(unsigned long long, const void *, size_t)>(
      "cuMemcpyHtoD_v2");
  auto set = entry<int (*)(unsigned long long, unsigned char, size_t)>(
      "cuMemsetD8_v2");
  auto release = entry<int (*)(unsigned long long)>("cuMemFree_v2");
  unsigned long long p = 0;
  ASSERT_EQ(alloc(&p, 32 * sizeof(float)), 0);
  EXPECT_EQ(p % 256, 0u);
  std::vector<float> host(16);
  for (int i = 0; i < 16; ++i)
    host[i] = float(i);
  ASSERT_EQ(copy(p + 16 * sizeof(float), host.data(), 16 * sizeof(float)), 0);
  ASSERT_EQ(set(p, 0, 16 * sizeof(float)), 0);
  EXPECT_NE(copy(p + 31 * sizeof(float), host.data(), 2 * sizeof(float)), 0)
      << "a copy past the allocation's end";
  // Kernels read and write it: buf[t] = buf[t] * 2 + t, then a copy into
  // host memory for the checks.
  auto *buf = reinterpret_cast<float *>(static_cast<uintptr_t>(p));
  void *fn = function("axpt");
  float two = 2.0f;
  void *args[] = {&buf, &two};
  auto launchFn = entry<Launch>("cuLaunchKernel");
  ASSERT_EQ(launchFn(fn, 1, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr), 0);
  std::vector<float> out(32, -1.0f);
  ASSERT_EQ(launch("copy_out", 1, 1, 32, 1, {buf, out.data()}), 0);
  for (int t = 0; t < 32; ++t)
    EXPECT_EQ(out[t], t < 16 ? float(t) : float(3 * t - 32)) << t;
  // The driver's copy out of it (the logits, llama_rt_gpu_download).
  auto download =
      entry<int (*)(void *, unsigned long long, size_t)>("cuMemcpyDtoH_v2");
  std::vector<float> back(4, -1.0f);
  ASSERT_EQ(download(back.data(), p + 16 * sizeof(float), 4 * sizeof(float)),
            0);
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(back[t], float(3 * (16 + t) - 32)) << t;
  EXPECT_NE(download(back.data(), p + 30 * sizeof(float), 4 * sizeof(float)), 0)
      << "a copy past the allocation's end";
  EXPECT_EXIT(
      {
        volatile float v = buf[17];
        (void)v;
      },
      ::testing::ExitedWithCode(5),
      "the host code accessed device memory \\(cuMemAlloc\\) at "
      "0x[0-9a-f]+, byte 68 of a 128-byte allocation");
  EXPECT_EQ(release(p), 0);
  EXPECT_NE(release(p), 0); // freed twice
}

TEST_F(Emulator, MisalignedVectorAccessIsAnError) {
  llama_rt_emu_check_aligned(0x1000, 16);
  llama_rt_emu_check_aligned(0x1002, 2);
  EXPECT_EXIT(llama_rt_emu_check_aligned(0x1002, 16),
              ::testing::ExitedWithCode(5),
              "a vector access at 0x1002 claims 16-byte alignment");
}

TEST_F(Emulator, DivergentMmaIsAnError) {
  EXPECT_EXIT(launch("diverge_mma", 1, 1, 32, 1, {}),
              ::testing::ExitedWithCode(5),
              "kernel diverge_mma, block \\(0, 0, 0\\): warp 0: some lanes "
              "wait at an mma.sync while others do not");
}

TEST_F(Emulator, WorkgroupMemoryRacesAreErrors) {
  std::vector<float> buf(64);
  intptr_t barrier = 1, overrun = 0; // (read as their low 32 bits)
  ASSERT_EQ(launch("neighbours", 1, 1, 64, 1,
                   {buf.data(), reinterpret_cast<void *>(barrier),
                    reinterpret_cast<void *>(overrun)}),
            0);
  for (int t = 0; t < 64; ++t)
    EXPECT_EQ(buf[t], float((t + 1) % 64)) << t;
  // Without the first barrier thread 0 reads word 1 before thread 1
  // writes it (on a GPU, in no defined order).
  EXPECT_EXIT(launch("neighbours", 1, 1, 64, 1,
                     {buf.data(), nullptr, reinterpret_cast<void *>(overrun)}),
              ::testing::ExitedWithCode(5),
              "kernel neighbours, block \\(0, 0, 0\\): thread 1 writes byte "
              "4 of a 256-byte workgroup buffer that thread 0 read since the "
              "last barrier \\(a race on a GPU\\)");
  EXPECT_EXIT(launch("neighbours", 1, 1, 64, 1,
                     {buf.data(), reinterpret_cast<void *>(barrier),
                      reinterpret_cast<void *>(intptr_t(1))}),
              ::testing::ExitedWithCode(5),
              "a workgroup memory access of bytes \\[256, 260\\) of a "
              "256-byte buffer");
}

TEST_F(Emulator, DivergentShuffleIsAnError) {
  EXPECT_EXIT(launch("diverge", 1, 1, 32, 1, {}), ::testing::ExitedWithCode(5),
              "kernel diverge, block \\(0, 0, 0\\): warp 0: some lanes wait "
              "at a shuffle while others have exited");
}

} // namespace
