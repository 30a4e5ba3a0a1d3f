//===- GPUEmulator.cpp - The CUDA driver emulated on the CPU ----*- C++ -*-===//
//
// See GPUEmulator.h. A launch runs its grid's blocks one after another. In
// a block of a kernel registered as `lockstep`, every thread is a fiber
// (ucontext) that runs until it shuffles, computes an mma.sync, waits at a
// barrier or returns; when no fiber can run, each warp whose lanes all
// wait at a shuffle gets its values exchanged (at an mma.sync, its
// product), or, where none waits at either and all live
// threads wait at the barrier, the barrier opens. Other kernels' threads
// are plain calls, one after another. Every access to a workgroup buffer
// is checked against what the block's other threads did to its bytes since
// the last barrier (llama_rt_emu_shared_access): the fixed thread order
// would otherwise hide races.
//
//===----------------------------------------------------------------------===//

#include "test/lib/GPUEmulator/GPUEmulator.h"
#include "runtime/gguf/Quant.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

// The sanitized build compiles this file without AddressSanitizer
// (runtime/CMakeLists.txt): the fibers then run no instrumented code,
// and stack switches need no announcing.

namespace {

constexpr int kWarp = 32;
constexpr size_t kStackBytes = 256 << 10;

struct Kernel {
  llama_rt_emu_kernel fn;
  bool lockstep;
  std::vector<int32_t> paramSizes;
};

std::map<std::string, Kernel> &kernels() {
  static std::map<std::string, Kernel> k;
  return k;
}

/// A CUfunction of the emulator: its entry (name, kernel) in kernels().
using Entry = std::pair<const std::string, Kernel>;
Entry &entryOf(void *function) { return *static_cast<Entry *>(function); }

enum class State { Ready, Shuffle, Mma, Barrier, Done };

/// A fiber's saved context: on x86-64 its stack pointer (the callee-saved
/// registers are on its stack; see switchTo), elsewhere a ucontext.
struct Context {
#if defined(__x86_64__)
  void *sp = nullptr;
#else
  ucontext_t uc;
#endif
};

struct Thread {
  Context context;
  State state = State::Ready;
  int64_t id[3] = {0, 0, 0};
  int32_t value = 0, offset = 0, width = 0, mode = 0, result = 0;
  // At an mma: the lane's A and B registers (two f16 each), C, and where
  // its D goes.
  uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  float c[4] = {0, 0, 0, 0};
  float *d = nullptr;
};

/// What the threads of the running block did to a byte of a workgroup
/// buffer since the last barrier (the fields count only where their epoch
/// is the current one): the thread that wrote it, and the one that read it
/// (kSeveral: more than one).
struct SharedByte {
  uint32_t writeEpoch = 0, readEpoch = 0;
  int32_t writer = -1, reader = -1;
};
constexpr int32_t kSeveral = -2;
struct SharedBuffer {
  uintptr_t base;
  std::vector<SharedByte> bytes;
};

/// The launch in progress (launches are synchronous and not nested).
struct Launch {
  const char *name = nullptr;
  Kernel kernel{};
  void **params = nullptr;
  int64_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}, blockId[3] = {0, 0, 0};
  int64_t id[3] = {0, 0, 0}; // the running thread's (plain calls)
  std::vector<Thread> threads;
  std::vector<char> stacks;
  Thread *current = nullptr;
  Context scheduler;
  // The workgroup buffers' bytes, and the epoch: a new one for every block
  // and after every barrier.
  std::vector<SharedBuffer> shared;
  uint32_t epoch = 1;
} launch;

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr,
               "llama-mlir GPU emulator: kernel %s, block (%lld, %lld, "
               "%lld): %s\n",
               launch.name ? launch.name : "?", (long long)launch.blockId[0],
               (long long)launch.blockId[1], (long long)launch.blockId[2],
               msg.c_str());
  // Not exit(): from a fiber, its destructors would free the stack it runs
  // on (launch.stacks).
  std::fflush(nullptr);
  std::_Exit(5);
}

void fiberMain();

#if defined(__x86_64__)
// Saves the callee-saved registers on the current stack and its pointer in
// *from, then resumes `to` (glibc's swapcontext also saves the signal mask
// with a system call: 50 times slower, and a warp kernel switches fibers
// several times per thread).
extern "C" void llama_rt_emu_switch(void **from, void *to);
asm(R"(
  .text
  .p2align 4
  .type llama_rt_emu_switch,@function
llama_rt_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size llama_rt_emu_switch, .-llama_rt_emu_switch
)");

void switchTo(Context &from, Context &to) {
  llama_rt_emu_switch(&from.sp, to.sp);
}

/// A fiber that starts in fiberMain on the stack [base, base + size).
void makeFiber(Context &c, char *base, size_t size) {
  auto top = reinterpret_cast<uintptr_t>(base + size) & ~uintptr_t(15);
  auto *sp = reinterpret_cast<void **>(top);
  *--sp = nullptr; // fiberMain's return address (it never returns)
  *--sp = reinterpret_cast<void *>(&fiberMain);
  for (int i = 0; i < 6; ++i) // rbp, rbx, r12-r15
    *--sp = nullptr;
  c.sp = sp;
}
#else
void switchTo(Context &from, Context &to) { swapcontext(&from.uc, &to.uc); }

void makeFiber(Context &c, char *base, size_t size) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = base;
  c.uc.uc_stack.ss_size = size;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, fiberMain, 0);
}
#endif

void enterFiber(Thread &t) {
  launch.current = &t;
  switchTo(launch.scheduler, t.context);
}

void leaveFiber(Thread &t) { switchTo(t.context, launch.scheduler); }

void fiberMain() {
  Thread &t = *launch.current;
  launch.kernel.fn(launch.params);
  t.state = State::Done;
  leaveFiber(t);
}

/// The source lane of lane `lane` for a shuffle, or -1 where the result is
/// the lane's own value (PTX shfl: out of the segment of `width` lanes).
int sourceLane(int lane, int32_t offset, int32_t width, int32_t mode) {
  int seg = lane - lane % width, in = lane % width, src;
  switch (mode) {
  case 0: // xor
    src = in ^ offset;
    break;
  case 1: // down
    src = in + offset;
    break;
  case 2: // up
    src = in - offset;
    break;
  default: // idx
    src = offset;
  }
  return src >= 0 && src < width ? seg + src : -1;
}

/// The half `i` (0: low 16 bits) of a register.
float half(uint32_t reg, int i) {
  return llamart::fp16ToFloat(uint16_t(reg >> 16 * i));
}

/// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 of warp `w`'s lanes
/// (threads [w, w + 32)), with the fragment layouts of the PTX ISA; lane =
/// 4 * group + index:
///   A (16 x 16) register r: row group + 8 (r % 2), columns 2 index +
///     8 (r / 2) + {0, 1} (low half first);
///   B (16 x 8)  register r: column group, rows 2 index + 8 r + {0, 1};
///   C, D (16 x 8) value i: row group + 8 (i / 2), column 2 index + i % 2.
/// Each D is C plus the 16 products in k order, in f32 (the products of
/// halves are exact; a GPU's order and rounding of the sum may differ).
void warpMma(size_t w) {
  float a[16][16], b[16][8], c[16][8];
  for (int lane = 0; lane < kWarp; ++lane) {
    const Thread &t = launch.threads[w + lane];
    int group = lane / 4, index = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int i = 0; i < 2; ++i)
        a[group + 8 * (r % 2)][2 * index + 8 * (r / 2) + i] = half(t.a[r], i);
    for (int r = 0; r < 2; ++r)
      for (int i = 0; i < 2; ++i)
        b[2 * index + 8 * r + i][group] = half(t.b[r], i);
    for (int i = 0; i < 4; ++i)
      c[group + 8 * (i / 2)][2 * index + i % 2] = t.c[i];
  }
  for (int lane = 0; lane < kWarp; ++lane) {
    const Thread &t = launch.threads[w + lane];
    int group = lane / 4, index = lane % 4;
    for (int i = 0; i < 4; ++i) {
      int row = group + 8 * (i / 2), col = 2 * index + i % 2;
      float sum = c[row][col];
      for (int k = 0; k < 16; ++k)
        sum += a[row][k] * b[k][col];
      t.d[i] = sum;
    }
  }
}

/// Exchanges the values of warps whose lanes all wait at a shuffle, and
/// computes the mma of warps whose lanes all wait at one.
/// Returns whether any warp did.
bool resolveWarps() {
  bool any = false;
  size_t n = launch.threads.size();
  for (size_t w = 0; w < n; w += kWarp) {
    size_t end = std::min(n, w + kWarp);
    bool waiting = false, all = true, mma = false, allMma = true;
    for (size_t i = w; i < end; ++i) {
      waiting |= launch.threads[i].state == State::Shuffle;
      all &= launch.threads[i].state == State::Shuffle;
      mma |= launch.threads[i].state == State::Mma;
      allMma &= launch.threads[i].state == State::Mma;
    }
    if (mma) {
      if (!allMma || end - w != kWarp)
        die("warp " + std::to_string(w / kWarp) +
            ": some lanes wait at an mma.sync while others do not (on a "
            "GPU, undefined behaviour)");
      warpMma(w);
      for (size_t i = w; i < end; ++i)
        launch.threads[i].state = State::Ready;
      any = true;
      continue;
    }
    if (!waiting)
      continue;
    if (!all)
      die("warp " + std::to_string(w / kWarp) +
          ": some lanes wait at a shuffle while others have exited or wait "
          "at a barrier (on a GPU, undefined values)");
    const Thread &first = launch.threads[w];
    for (size_t i = w; i < end; ++i) {
      Thread &t = launch.threads[i];
      if (t.width != first.width || t.mode != first.mode ||
          (t.mode != 3 && t.offset != first.offset))
        die("warp " + std::to_string(w / kWarp) +
            ": its lanes shuffle with different modes, offsets or widths");
      if (t.width <= 0 || t.width > kWarp || kWarp % t.width)
        die("shuffle width " + std::to_string(t.width));
    }
    for (size_t i = w; i < end; ++i) {
      Thread &t = launch.threads[i];
      int src = sourceLane(int(i - w), t.offset, t.width, t.mode);
      if (src < 0) {
        t.result = t.value;
      } else if (w + src >= end) {
        die("lane " + std::to_string(i - w) + " reads lane " +
            std::to_string(src) + ", beyond the block's threads");
      } else {
        t.result = launch.threads[w + src].value;
      }
    }
    for (size_t i = w; i < end; ++i)
      launch.threads[i].state = State::Ready;
    any = true;
  }
  return any;
}

void runBlockLockstep() {
  size_t n = launch.threads.size();
  if (launch.stacks.size() < n * kStackBytes)
    launch.stacks.resize(n * kStackBytes);
  for (size_t i = 0; i < n; ++i) {
    Thread &t = launch.threads[i];
    t = Thread();
    t.id[0] = int64_t(i) % launch.block[0];
    t.id[1] = int64_t(i) / launch.block[0] % launch.block[1];
    t.id[2] = int64_t(i) / (launch.block[0] * launch.block[1]);
    makeFiber(t.context, launch.stacks.data() + i * kStackBytes, kStackBytes);
  }
  for (;;) {
    for (size_t i = 0; i < n; ++i)
      if (launch.threads[i].state == State::Ready)
        enterFiber(launch.threads[i]);
    if (resolveWarps())
      continue;
    // Every live thread waits at the barrier.
    size_t done = 0;
    for (const Thread &t : launch.threads)
      done += t.state == State::Done;
    if (done == n)
      return;
    if (done)
      die("a barrier that exited threads never reach");
    ++launch.epoch;
    for (Thread &t : launch.threads)
      t.state = State::Ready;
  }
}

void runBlock() {
  ++launch.epoch;
  int64_t n = launch.block[0] * launch.block[1] * launch.block[2];
  if (launch.kernel.lockstep) {
    launch.threads.resize(n);
    runBlockLockstep();
    return;
  }
  launch.current = nullptr;
  for (int64_t z = 0; z < launch.block[2]; ++z)
    for (int64_t y = 0; y < launch.block[1]; ++y)
      for (int64_t x = 0; x < launch.block[0]; ++x) {
        launch.id[0] = x;
        launch.id[1] = y;
        launch.id[2] = z;
        launch.kernel.fn(launch.params);
      }
}

// The emulated driver entry points (signatures as CUDARuntime.cpp calls
// them).
using CUresult = int;
constexpr CUresult kOk = 0, kNotFound = 500, kInvalidValue = 1;

CUresult emuInit(unsigned) { return kOk; }
CUresult emuDeviceGetCount(int *n) {
  *n = 1;
  return kOk;
}
CUresult emuDeviceGet(int *d, int) {
  *d = 0;
  return kOk;
}
CUresult emuDeviceGetName(char *out, int size, int) {
  std::snprintf(out, size, "llama-mlir GPU emulator on the CPU");
  return kOk;
}
CUresult emuDeviceGetAttribute(int *v, int attr, int) {
  // Compute capability 9.0 (75: major, 76: minor).
  *v = attr == 75 ? 9 : 0;
  return kOk;
}
CUresult emuPrimaryCtxRetain(void **ctx, int) {
  static int context;
  *ctx = &context;
  return kOk;
}
CUresult emuCtxSetCurrent(void *) { return kOk; }
CUresult emuSynchronize() { return kOk; }
CUresult emuStreamSynchronize(void *) { return kOk; }

struct Module {
  std::string ptx;
};

CUresult emuModuleLoadData(void **module, const void *image) {
  *module = new Module{static_cast<const char *>(image)};
  return kOk;
}
CUresult emuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  return kOk;
}
CUresult emuModuleGetFunction(void **fn, void *module, const char *name) {
  // The kernel must be in the PTX (as for the real driver) and have a host
  // copy.
  const std::string &ptx = static_cast<Module *>(module)->ptx;
  auto it = kernels().find(name);
  if (ptx.find(".entry " + std::string(name) + "(") == std::string::npos ||
      it == kernels().end()) {
    std::fprintf(stderr, "llama-mlir GPU emulator: kernel %s: %s\n", name,
                 it == kernels().end() ? "no host copy registered"
                                       : "not in the PTX");
    return kNotFound;
  }
  *fn = &*it;
  return kOk;
}
CUresult emuStreamCreate(void **stream, unsigned) {
  static int s;
  *stream = &s;
  return kOk;
}
/// Device memory (cuMemAlloc_v2): pages mapped without access, opened to
/// the emulated kernels while a launch runs and to the driver's own copies
/// into them. A host access is then a SIGSEGV at an address of one of
/// them, which `onSegv` reports (exit 5) where a GPU program would read
/// or corrupt whatever the host has at that address, or crash.
struct DeviceRegion {
  size_t bytes;  // asked for
  size_t mapped; // whole pages
};
std::map<uintptr_t, DeviceRegion> &deviceRegions() {
  static auto *regions = new std::map<uintptr_t, DeviceRegion>;
  return *regions;
}

/// The region whose pages hold [address, address + bytes), or end().
std::map<uintptr_t, DeviceRegion>::iterator deviceRegionOf(uintptr_t address,
                                                           size_t bytes) {
  auto &regions = deviceRegions();
  auto it = regions.upper_bound(address);
  if (it == regions.begin())
    return regions.end();
  --it;
  if (address - it->first >= it->second.mapped ||
      bytes > it->second.mapped - (address - it->first))
    return regions.end();
  return it;
}

/// Opens (for the device) or closes (for the host) every device region.
void deviceAccess(bool open) {
  for (auto &[base, region] : deviceRegions())
    if (mprotect(reinterpret_cast<void *>(base), region.mapped,
                 open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0)
      die("mprotect of device memory failed");
}

struct sigaction previousSegv;

void onSegv(int sig, siginfo_t *info, void *context) {
  auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  auto it = deviceRegionOf(address, 1);
  if (it != deviceRegions().end()) {
    char msg[256];
    int n = std::snprintf(
        msg, sizeof(msg),
        "llama-mlir GPU emulator: the host code accessed device memory "
        "(cuMemAlloc) at 0x%llx, byte %llu of a %llu-byte allocation; only "
        "kernels may (a GPU program would crash or read garbage)\n",
        (unsigned long long)address, (unsigned long long)(address - it->first),
        (unsigned long long)it->second.bytes);
    if (n > 0) {
      ssize_t written = write(2, msg, std::min<size_t>(n, sizeof(msg) - 1));
      (void)written; // exiting either way
    }
    _exit(5);
  }
  // Not ours: the previous handler (a sanitizer's, or the default) sees the
  // fault again when the access is retried.
  sigaction(SIGSEGV, &previousSegv, nullptr);
  (void)sig;
  (void)context;
}

CUresult emuMemAlloc(unsigned long long *p, size_t bytes) {
  static bool handlerInstalled = [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = onSegv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSEGV, &sa, &previousSegv) == 0;
  }();
  (void)handlerInstalled;
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t size = (std::max<size_t>(bytes, 1) + page - 1) / page * page;
  void *mem =
      mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return 2; // out of memory
  deviceRegions()[reinterpret_cast<uintptr_t>(mem)] = {bytes, size};
  *p = reinterpret_cast<uintptr_t>(mem);
  return kOk;
}

/// Runs `fill` with the device region of [dst, dst + bytes) open (a copy
/// into it or out of it).
template <typename F>
CUresult intoDevice(unsigned long long dst, size_t bytes, F fill) {
  auto it = deviceRegionOf(static_cast<uintptr_t>(dst), bytes);
  if (it == deviceRegions().end())
    return kInvalidValue;
  size_t at = static_cast<size_t>(dst - it->first);
  if (at > it->second.bytes || bytes > it->second.bytes - at)
    return kInvalidValue;
  deviceAccess(true);
  fill(reinterpret_cast<void *>(static_cast<uintptr_t>(dst)));
  deviceAccess(false);
  return kOk;
}
CUresult emuMemcpyHtoD(unsigned long long dst, const void *src, size_t bytes) {
  return intoDevice(dst, bytes, [&](void *d) { std::memcpy(d, src, bytes); });
}
CUresult emuMemcpyDtoH(void *dst, unsigned long long src, size_t bytes) {
  return intoDevice(src, bytes, [&](void *s) { std::memcpy(dst, s, bytes); });
}
CUresult emuMemsetD8(unsigned long long dst, unsigned char value,
                     size_t bytes) {
  return intoDevice(dst, bytes, [&](void *d) { std::memset(d, value, bytes); });
}

CUresult emuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz,
                         unsigned bx, unsigned by, unsigned bz, unsigned smem,
                         void *, void **params, void **) {
  Entry *entry = &entryOf(fn);
  // A GPU's limits (compute capability 8.0 and 9.0): grid x < 2^31, y and
  // z at most 65535, block x and y at most 1024, z 64, 1024 threads.
  if (!gx || !gy || !gz || !bx || !by || !bz || smem || gx > 0x7fffffffu ||
      gy > 65535 || gz > 65535 || bz > 64 || uint64_t(bx) * by * bz > 1024) {
    std::fprintf(stderr,
                 "llama-mlir GPU emulator: kernel %s: launch of (%u, %u, %u) "
                 "blocks of (%u, %u, %u) threads, %u bytes of shared memory\n",
                 entry->first.c_str(), gx, gy, gz, bx, by, bz, smem);
    return kInvalidValue;
  }
  launch.name = entry->first.c_str();
  launch.kernel = entry->second;
  launch.params = params;
  int64_t grid[3] = {gx, gy, gz}, block[3] = {bx, by, bz};
  for (int i = 0; i < 3; ++i) {
    launch.grid[i] = grid[i];
    launch.block[i] = block[i];
  }
  deviceAccess(true);
  for (int64_t z = 0; z < gz; ++z)
    for (int64_t y = 0; y < gy; ++y)
      for (int64_t x = 0; x < gx; ++x) {
        launch.blockId[0] = x;
        launch.blockId[1] = y;
        launch.blockId[2] = z;
        runBlock();
      }
  deviceAccess(false);
  launch.name = nullptr;
  return kOk;
}
/// The layout of a kernel's parameters as the driver reports it: each at
/// the next multiple of its size (pointers, i64, f32, i32).
CUresult emuFuncGetParamInfo(void *fn, size_t index, size_t *offset,
                             size_t *size) {
  const Kernel &k = entryOf(fn).second;
  if (index >= k.paramSizes.size())
    return kInvalidValue;
  size_t o = 0;
  for (size_t i = 0;; ++i) {
    size_t s = std::max<size_t>(size_t(k.paramSizes[i]), 1);
    o = (o + s - 1) / s * s;
    if (i == index) {
      if (offset)
        *offset = o;
      if (size)
        *size = s;
      return kOk;
    }
    o += s;
  }
}

// Graphs: a graph is its kernel nodes in the order they were added (each
// may depend only on nodes added before it, so that order runs
// dependencies first); a node keeps a copy of its arguments, as the
// driver's, and an instantiated graph a copy of the nodes, which
// cuGraphExecKernelNodeSetParams changes and the graph does not.
/// CUDA_KERNEL_NODE_PARAMS_v2.
struct KernelNodeParams {
  void *func;
  unsigned grid[3], block[3], sharedMemBytes;
  void **kernelParams;
  void **extra;
  void *kern, *ctx;
};
struct Node {
  size_t index;
  void *fn;
  unsigned grid[3], block[3], smem;
  std::vector<std::string> args;

  CUresult set(const KernelNodeParams &p) {
    if (!p.func || p.extra || p.kern)
      return kInvalidValue;
    const Kernel &k = entryOf(p.func).second;
    fn = p.func;
    std::copy(p.grid, p.grid + 3, grid);
    std::copy(p.block, p.block + 3, block);
    smem = p.sharedMemBytes;
    args.clear();
    for (size_t i = 0; i < k.paramSizes.size(); ++i)
      args.emplace_back(static_cast<const char *>(p.kernelParams[i]),
                        size_t(k.paramSizes[i]));
    return kOk;
  }
};
struct Graph {
  std::vector<std::unique_ptr<Node>> nodes;
};
struct GraphExec {
  const Graph *graph;
  std::vector<Node> nodes;
};

CUresult emuGraphCreate(void **graph, unsigned flags) {
  if (flags)
    return kInvalidValue;
  *graph = new Graph;
  return kOk;
}
CUresult emuGraphAddKernelNode(void **node, void *graph, void *const *deps,
                               size_t ndeps, const void *params) {
  auto *p = static_cast<const KernelNodeParams *>(params);
  auto *g = static_cast<Graph *>(graph);
  for (size_t i = 0; i < ndeps; ++i)
    if (std::none_of(
            g->nodes.begin(), g->nodes.end(),
            [&](const std::unique_ptr<Node> &n) { return n.get() == deps[i]; }))
      return kInvalidValue;
  auto n = std::make_unique<Node>();
  n->index = g->nodes.size();
  if (CUresult r = n->set(*p))
    return r;
  *node = n.get();
  g->nodes.push_back(std::move(n));
  return kOk;
}
CUresult emuGraphInstantiate(void **exec, void *graph, unsigned long long) {
  auto *g = static_cast<Graph *>(graph);
  auto *e = new GraphExec{g, {}};
  for (const auto &n : g->nodes)
    e->nodes.push_back(*n);
  *exec = e;
  return kOk;
}
CUresult emuGraphExecKernelNodeSetParams(void *exec, void *node,
                                         const void *params) {
  auto *p = static_cast<const KernelNodeParams *>(params);
  auto *e = static_cast<GraphExec *>(exec);
  auto *n = static_cast<Node *>(node);
  // The node must be of the graph the exec was made from, and keep its
  // kernel.
  if (n->index >= e->nodes.size() || e->graph->nodes[n->index].get() != n ||
      p->func != e->nodes[n->index].fn)
    return kInvalidValue;
  return e->nodes[n->index].set(*p);
}
CUresult emuGraphLaunch(void *exec, void *stream) {
  for (Node &n : static_cast<GraphExec *>(exec)->nodes) {
    std::vector<void *> params;
    for (std::string &a : n.args)
      params.push_back(a.data());
    if (CUresult r = emuLaunchKernel(n.fn, n.grid[0], n.grid[1], n.grid[2],
                                     n.block[0], n.block[1], n.block[2], n.smem,
                                     stream, params.data(), nullptr))
      return r;
  }
  return kOk;
}
CUresult emuGraphDestroy(void *graph) {
  delete static_cast<Graph *>(graph);
  return kOk;
}
CUresult emuGraphExecDestroy(void *exec) {
  delete static_cast<GraphExec *>(exec);
  return kOk;
}

/// Live managed allocations: like the driver's, released with the context
/// (the runtime keeps freed buffers for reuse; LeakSanitizer sees them here).
std::unordered_set<void *> &allocations() {
  // Never destroyed: LeakSanitizer checks after static destructors.
  static auto *live = new std::unordered_set<void *>;
  return *live;
}
CUresult emuMemAllocManaged(unsigned long long *p, size_t bytes, unsigned) {
  // 256-byte aligned, as the driver's.
  void *mem = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!mem)
    return 2; // out of memory
  allocations().insert(mem);
  *p = reinterpret_cast<uintptr_t>(mem);
  return kOk;
}
CUresult emuMemFree(unsigned long long p) {
  auto region = deviceRegions().find(static_cast<uintptr_t>(p));
  if (region != deviceRegions().end()) {
    munmap(reinterpret_cast<void *>(region->first), region->second.mapped);
    deviceRegions().erase(region);
    return kOk;
  }
  void *mem = reinterpret_cast<void *>(static_cast<uintptr_t>(p));
  if (!allocations().erase(mem))
    return kInvalidValue;
  std::free(mem);
  return kOk;
}
CUresult emuGetErrorName(CUresult r, const char **name) {
  *name = r == kNotFound       ? "CUDA_ERROR_NOT_FOUND"
          : r == kInvalidValue ? "CUDA_ERROR_INVALID_VALUE"
          : r == 2             ? "CUDA_ERROR_OUT_OF_MEMORY"
                               : "CUDA_ERROR_UNKNOWN";
  return kOk;
}

// Events: host time, taken when recorded (launches are synchronous).
CUresult emuEventCreate(void **event, unsigned) {
  *event = new std::chrono::steady_clock::time_point();
  return kOk;
}
CUresult emuEventRecord(void *event, void *) {
  *static_cast<std::chrono::steady_clock::time_point *>(event) =
      std::chrono::steady_clock::now();
  return kOk;
}
CUresult emuEventSynchronize(void *) { return kOk; }
CUresult emuEventElapsedTime(float *ms, void *start, void *stop) {
  using TP = std::chrono::steady_clock::time_point;
  *ms = std::chrono::duration<float, std::milli>(*static_cast<TP *>(stop) -
                                                 *static_cast<TP *>(start))
            .count();
  return kOk;
}

} // namespace

extern "C" {

void llama_rt_emu_register(const char *name, llama_rt_emu_kernel fn,
                           int32_t lockstep, int32_t nparams,
                           const int32_t *paramSizes) {
  kernels()[name] = Kernel{
      fn, lockstep != 0,
      std::vector<int32_t>(paramSizes, paramSizes + std::max(nparams, 0))};
}

void *llama_rt_gpu_emulated_driver(const char *name) {
  static const std::map<std::string, void *> entries = {
      {"cuInit", (void *)emuInit},
      {"cuDeviceGetCount", (void *)emuDeviceGetCount},
      {"cuDeviceGet", (void *)emuDeviceGet},
      {"cuDeviceGetName", (void *)emuDeviceGetName},
      {"cuDeviceGetAttribute", (void *)emuDeviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", (void *)emuPrimaryCtxRetain},
      {"cuCtxSetCurrent", (void *)emuCtxSetCurrent},
      {"cuCtxSynchronize", (void *)emuSynchronize},
      {"cuModuleLoadData", (void *)emuModuleLoadData},
      {"cuModuleUnload", (void *)emuModuleUnload},
      {"cuModuleGetFunction", (void *)emuModuleGetFunction},
      {"cuStreamCreate", (void *)emuStreamCreate},
      {"cuStreamSynchronize", (void *)emuStreamSynchronize},
      {"cuLaunchKernel", (void *)emuLaunchKernel},
      {"cuMemAllocManaged", (void *)emuMemAllocManaged},
      {"cuMemFree_v2", (void *)emuMemFree},
      {"cuMemAlloc_v2", (void *)emuMemAlloc},
      {"cuMemcpyHtoD_v2", (void *)emuMemcpyHtoD},
      {"cuMemcpyDtoH_v2", (void *)emuMemcpyDtoH},
      {"cuMemsetD8_v2", (void *)emuMemsetD8},
      {"cuGetErrorName", (void *)emuGetErrorName},
      {"cuEventCreate", (void *)emuEventCreate},
      {"cuEventRecord", (void *)emuEventRecord},
      {"cuEventSynchronize", (void *)emuEventSynchronize},
      {"cuEventElapsedTime_v2", (void *)emuEventElapsedTime},
      {"cuFuncGetParamInfo", (void *)emuFuncGetParamInfo},
      {"cuGraphCreate", (void *)emuGraphCreate},
      {"cuGraphAddKernelNode_v2", (void *)emuGraphAddKernelNode},
      {"cuGraphInstantiateWithFlags", (void *)emuGraphInstantiate},
      {"cuGraphExecKernelNodeSetParams_v2",
       (void *)emuGraphExecKernelNodeSetParams},
      {"cuGraphLaunch", (void *)emuGraphLaunch},
      {"cuGraphDestroy", (void *)emuGraphDestroy},
      {"cuGraphExecDestroy", (void *)emuGraphExecDestroy},
  };
  auto it = entries.find(name);
  return it == entries.end() ? nullptr : it->second;
}

int64_t llama_rt_emu_index(int32_t code) {
  const int64_t *ids = launch.current ? launch.current->id : launch.id;
  if (code < 0 || code > 11)
    die("index code " + std::to_string(code));
  switch (code / 3) {
  case 0:
    return ids[code % 3];
  case 1:
    return launch.blockId[code % 3];
  case 2:
    return launch.block[code % 3];
  default:
    return launch.grid[code % 3];
  }
}

int32_t llama_rt_emu_shuffle(int32_t value, int32_t offset, int32_t width,
                             int32_t mode) {
  Thread *t = launch.current;
  if (!t)
    die("a shuffle in a kernel registered without lockstep");
  t->value = value;
  t->offset = offset;
  t->width = width;
  t->mode = mode;
  t->state = State::Shuffle;
  leaveFiber(*t);
  return t->result;
}

void llama_rt_emu_mma_m16n8k16(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                               int32_t b0, int32_t b1, float c0, float c1,
                               float c2, float c3, int64_t d) {
  Thread *t = launch.current;
  if (!t)
    die("an mma.sync in a kernel registered without lockstep");
  const int32_t a[4] = {a0, a1, a2, a3}, b[2] = {b0, b1};
  const float c[4] = {c0, c1, c2, c3};
  for (int i = 0; i < 4; ++i) {
    t->a[i] = uint32_t(a[i]);
    t->c[i] = c[i];
  }
  for (int i = 0; i < 2; ++i)
    t->b[i] = uint32_t(b[i]);
  t->d = reinterpret_cast<float *>(static_cast<uintptr_t>(d));
  t->state = State::Mma;
  leaveFiber(*t);
}

void llama_rt_emu_barrier() {
  Thread *t = launch.current;
  if (!t)
    die("a barrier in a kernel registered without lockstep");
  t->state = State::Barrier;
  leaveFiber(*t);
}

void llama_rt_emu_shared_access(int64_t base, int64_t size, int64_t offset,
                                int64_t bytes, int32_t write) {
  auto b = uintptr_t(base);
  auto it = std::find_if(launch.shared.begin(), launch.shared.end(),
                         [&](const SharedBuffer &s) { return s.base == b; });
  if (it == launch.shared.end())
    it = launch.shared.insert(launch.shared.end(), {b, {}});
  if (it->bytes.size() != size_t(size)) // (only tests reuse an address)
    it->bytes.assign(size_t(size), SharedByte());
  if (offset < 0 || bytes < 0 || offset + bytes > int64_t(it->bytes.size()))
    die("a workgroup memory access of bytes [" + std::to_string(offset) + ", " +
        std::to_string(offset + bytes) + ") of a " +
        std::to_string(it->bytes.size()) + "-byte buffer");
  // The thread: its index in the block.
  int32_t me = launch.current
                   ? int32_t(launch.current - launch.threads.data())
                   : int32_t((launch.id[2] * launch.block[1] + launch.id[1]) *
                                 launch.block[0] +
                             launch.id[0]);
  for (int64_t i = offset; i < offset + bytes; ++i) {
    SharedByte &c = it->bytes[size_t(i)];
    bool wrote = c.writeEpoch == launch.epoch && c.writer != me;
    bool read = write && c.readEpoch == launch.epoch && c.reader != me;
    if (wrote || read) {
      int32_t other = wrote ? c.writer : c.reader;
      die("thread " + std::to_string(me) + (write ? " writes" : " reads") +
          " byte " + std::to_string(i) + " of a " +
          std::to_string(it->bytes.size()) + "-byte workgroup buffer that " +
          (other == kSeveral ? std::string("other threads")
                             : "thread " + std::to_string(other)) +
          (wrote ? " wrote" : " read") +
          " since the last barrier (a race on a GPU)");
    }
    if (write) {
      c.writeEpoch = launch.epoch;
      c.writer = me;
    } else if (c.readEpoch != launch.epoch) {
      c.readEpoch = launch.epoch;
      c.reader = me;
    } else if (c.reader != me) {
      c.reader = kSeveral;
    }
  }
}

void llama_rt_emu_check_aligned(int64_t address, int64_t alignment) {
  if (alignment > 0 && address % alignment != 0) {
    char msg[160];
    std::snprintf(msg, sizeof(msg),
                  "a vector access at 0x%llx claims %lld-byte alignment (a "
                  "GPU would fault)",
                  (unsigned long long)address, (long long)alignment);
    die(msg);
  }
}

} // extern "C"
