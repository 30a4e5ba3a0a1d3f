//===- CUDARuntime.cpp - The CUDA driver, loaded at run time ----*- C++ -*-===//
//
// See CUDARuntime.h. The driver is looked up at run time (Driver.h); kernel
// launches go through Launches.h.
//
// Launches go to one stream created at the first launch (the generated code
// asks for a stream per launch and destroys it after synchronizing; creating
// one each time would cost more than many small kernels), each waited for
// unless LLAMA_MLIR_GPU_ASYNC=1 (see mgpuStreamSynchronize), or, with
// LLAMA_MLIR_GPU_GRAPHS=1, recorded and replayed as CUDA graphs (see
// Graphs). Managed buffers are kept in a free list by size, because the
// generated code allocates the same temporaries for every token.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CUDARuntime.h"
#include "runtime/cuda/Driver.h"
#include "runtime/cuda/Launches.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

using namespace llamart::cuda;

namespace {

/// The PTX of a gpu.binary, loaded at the first kernel lookup (the
/// generated code registers it from a global constructor, before main has
/// checked that a driver exists).
struct Module {
  const char *ptx = nullptr;
  Handle module = nullptr;
  std::unordered_map<const char *, Handle> functions;
};

/// The buffers the generated code allocates (mgpuMemAlloc) and the
/// program's managed buffers (llama_rt_gpu_alloc) are kept for reuse when
/// freed: a decode step allocates and frees the same ones every time.
/// Freed buffers by kind (`device`: device memory, else managed) and size,
/// each list by address: a buffer is taken from the lowest address, so
/// that the same allocations and frees in the same order (every decode
/// step) get the same buffers, whatever order they were freed in (graphs
/// then keep their arguments).
struct PoolKey {
  bool device;
  size_t size;
  bool operator<(const PoolKey &o) const {
    return device != o.device ? device < o.device : size < o.size;
  }
};
std::map<PoolKey, std::set<void *>> &freeLists() {
  static std::map<PoolKey, std::set<void *>> lists;
  return lists;
}
/// The pointer an allocation call (result `r`) gave, or null after saying
/// why.
void *allocated(CUresult r, CUdeviceptr dp, size_t bytes, const char *what) {
  if (r != 0) {
    std::fprintf(stderr,
                 "llama-mlir CUDA runtime: cannot allocate %zu bytes of %s: "
                 "%s\n",
                 bytes, what, errorName(r).c_str());
    return nullptr;
  }
  return reinterpret_cast<void *>(static_cast<uintptr_t>(dp));
}

/// Live device-memory allocations of llama_rt_gpu_alloc_device (freed with
/// cuMemFree, not kept).
std::unordered_set<void *> &deviceAllocations() {
  static std::unordered_set<void *> live;
  return live;
}
/// Live pooled buffers and their keys.
std::unordered_map<void *, PoolKey> &livePooled() {
  static std::unordered_map<void *, PoolKey> live;
  return live;
}

/// A pooled buffer of `bytes`: device or managed memory.
void *pooledAlloc(size_t bytes, bool device) {
  Driver &d = ready();
  PoolKey key{device, bytes ? bytes : 1};
  std::lock_guard<std::mutex> g(lock());
  void *p = nullptr;
  auto &list = freeLists()[key];
  if (!list.empty()) {
    p = *list.begin();
    list.erase(list.begin());
  } else {
    CUdeviceptr dp = 0;
    CUresult r = device ? d.memAlloc(&dp, key.size)
                        : d.memAllocManaged(&dp, key.size, kMemAttachGlobal);
    if (!(p = allocated(r, dp, key.size,
                        device ? "device memory" : "managed memory")))
      return nullptr;
  }
  // Uninitialized, like memref.alloc on CPUs. A recycled buffer's next
  // kernel runs after its last one: all launches share one in-order stream
  // (and are waited for unless LLAMA_MLIR_GPU_ASYNC=1).
  livePooled()[p] = key;
  return p;
}
uint64_t launches = 0;

} // namespace

extern "C" {

int llama_rt_gpu_init(char *err, size_t errSize) {
  std::string msg;
  std::lock_guard<std::mutex> g(lock());
  if (initLocked(msg))
    return 0;
  if (err && errSize)
    std::snprintf(err, errSize, "%s", msg.c_str());
  return 1;
}

void llama_rt_gpu_describe(char *out, size_t outSize) {
  Driver &d = ready();
  char name[256] = {0};
  int major = 0, minor = 0;
  d.deviceGetName(name, sizeof(name) - 1, d.device);
  d.deviceGetAttribute(&major, kAttrComputeMajor, d.device);
  d.deviceGetAttribute(&minor, kAttrComputeMinor, d.device);
  std::snprintf(out, outSize, "%s (sm_%d%d)", name, major, minor);
}

void *llama_rt_gpu_alloc(size_t bytes) { return pooledAlloc(bytes, false); }

void *llama_rt_gpu_alloc_device(size_t bytes) {
  Driver &d = ready();
  CUdeviceptr dp = 0;
  CUresult r = d.memAlloc(&dp, bytes ? bytes : 1);
  void *p = allocated(r, dp, bytes, "device memory");
  if (!p)
    return nullptr;
  std::lock_guard<std::mutex> g(lock());
  deviceAllocations().insert(p);
  return p;
}

void llama_rt_gpu_upload(void *dst, const void *src, size_t bytes) {
  Driver &d = ready();
  flushLaunches(); // in stream order after the launches recorded
  check(d.memcpyHtoD(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(dst)),
                     src, bytes),
        "cuMemcpyHtoD");
}

void llama_rt_gpu_download(int64_t dst, int64_t src, int64_t bytes) {
  Driver &d = ready();
  flushLaunches(); // in stream order after the launches recorded
  check(d.memcpyDtoH(reinterpret_cast<void *>(static_cast<intptr_t>(dst)),
                     static_cast<CUdeviceptr>(src), static_cast<size_t>(bytes)),
        "cuMemcpyDtoH");
}

void llama_rt_gpu_zero(void *dst, size_t bytes) {
  Driver &d = ready();
  flushLaunches();
  check(d.memsetD8(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(dst)),
                   0, bytes),
        "cuMemsetD8");
  check(d.ctxSynchronize(), "cuCtxSynchronize (after cuMemsetD8)");
}

void llama_rt_gpu_free(int64_t ptr) {
  void *p = reinterpret_cast<void *>(static_cast<intptr_t>(ptr));
  if (!p)
    return;
  {
    std::lock_guard<std::mutex> g(lock());
    if (!deviceAllocations().erase(p)) {
      auto it = livePooled().find(p);
      if (it == livePooled().end())
        return;
      freeLists()[it->second].insert(p);
      livePooled().erase(it);
      return;
    }
  }
  // Device memory: the kernels launched so far may still use it.
  llama_rt_gpu_sync();
  check(driver().memFree(
            static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p))),
        "cuMemFree");
}

void llama_rt_gpu_place_on_device(void *p, size_t bytes, int readMostly) {
  Driver &d = ready();
  auto dp = static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
  Location dev{kLocationDevice, d.device};
  flushLaunches(); // the prefetch below waits for the device
  // Hints: where the driver lacks them or refuses, the pages still move on
  // first touch, only slower.
  if (readMostly && d.memAdvise)
    d.memAdvise(dp, bytes, kAdviseSetReadMostly, dev);
  if (d.memPrefetch && d.memPrefetch(dp, bytes, dev, 0, nullptr) == 0)
    check(d.ctxSynchronize(), "cuCtxSynchronize (after a prefetch)");
}

void llama_rt_gpu_sync() {
  flushLaunches();
  check(ready().ctxSynchronize(), "cuCtxSynchronize");
}

uint64_t llama_rt_gpu_launch_count() { return launches; }

void *mgpuModuleLoadJIT(void *ptx, int /*optLevel*/) {
  auto *m = new Module;
  m->ptx = static_cast<const char *>(ptx);
  return m;
}

void mgpuModuleUnload(void *module) {
  auto *m = static_cast<Module *>(module);
  if (m->module && driver().ready)
    driver().moduleUnload(m->module);
  delete m;
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  auto *m = static_cast<Module *>(module);
  auto it = m->functions.find(name);
  if (it != m->functions.end())
    return it->second;
  Driver &d = ready();
  if (!m->module)
    check(d.moduleLoadData(&m->module, m->ptx),
          "cuModuleLoadData (JIT of the program's PTX)");
  Handle f = nullptr;
  check(d.moduleGetFunction(&f, m->module, name), "cuModuleGetFunction");
  m->functions.emplace(name, f);
  nameKernel(f, name);
  return f;
}

void *mgpuStreamCreate() {
  Driver &d = ready();
  if (!d.stream)
    check(d.streamCreate(&d.stream, 0), "cuStreamCreate");
  return d.stream;
}

void mgpuStreamSynchronize(void *stream) {
  // The generated code synchronizes after every launch, which the default
  // pipeline needs: its host loops read and write buffers between
  // launches. With LLAMA_MLIR_GPU_ASYNC=1 (for programs of the warp-kernel
  // pipeline, whose host code touches no buffer) launches are not waited
  // for here; the program waits once per evaluation (llama_rt_gpu_sync).
  static const bool eachLaunch = [] {
    const char *v = std::getenv("LLAMA_MLIR_GPU_ASYNC");
    return !(v && *v && *v != '0') && !recordsLaunches();
  }();
  if (eachLaunch)
    check(ready().streamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamDestroy(void *) {}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount) {
  ++launches;
  ready();
  const unsigned grid[3] = {unsigned(gridX), unsigned(gridY), unsigned(gridZ)};
  const unsigned block[3] = {unsigned(blockX), unsigned(blockY),
                             unsigned(blockZ)};
  launch(function, grid, block, unsigned(smem), stream, params, extra,
         paramsCount);
}

void *mgpuMemAlloc(uint64_t bytes, void *, bool hostShared) {
  // llama-gpu-host-buffers: host_shared where host code touches the
  // buffer, else device memory.
  void *p = pooledAlloc(bytes, !hostShared);
  if (!p)
    std::exit(5);
  return p;
}

} // extern "C"
