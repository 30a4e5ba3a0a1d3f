//===- GPUEmulator.cpp - The CUDA driver emulated on the CPU ----*- C++ -*-===//
//
// See GPUEmulator.h. The emulated driver's entry points: devices, modules,
// memory (device memory readable only during launches), graphs, events, and
// launches, which run the grid's blocks one after another (Threads.cpp runs
// a block).
//
//===----------------------------------------------------------------------===//

#include "test/lib/GPUEmulator/Emulator.h"

#include <signal.h>
#include <sys/mman.h>
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

using namespace llamart::emu;

namespace {

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

} // extern "C"
