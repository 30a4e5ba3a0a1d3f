//===- CUDARuntime.cpp - The CUDA driver, loaded at run time ----*- C++ -*-===//
//
// See CUDARuntime.h. The driver API's types are declared here by value (an
// int result, opaque handles, 64-bit device pointers) so that neither the
// build nor the produced program needs CUDA headers or libraries; the
// functions are looked up by their versioned names (cuMemFree_v2, ...) as
// cuda.h maps them.
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

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using Handle = void *;
constexpr unsigned kMemAttachGlobal = 0x1;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr int kAdviseSetReadMostly = 1, kLocationDevice = 1;
/// CUmemLocation: passed by value to the _v2 advise and prefetch calls.
struct Location {
  int type;
  int id;
};
/// CUDA_KERNEL_NODE_PARAMS (_v2, as cuda.h of CUDA 12 and 13 defines it).
struct KernelNodeParams {
  Handle func;
  unsigned grid[3], block[3], sharedMemBytes;
  void **kernelParams;
  void **extra;
  Handle kern, ctx;
};

struct Driver {
  void *lib = nullptr;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*deviceGetCount)(int *) = nullptr;
  CUresult (*deviceGet)(CUdevice *, int) = nullptr;
  CUresult (*deviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int *, int, CUdevice) = nullptr;
  CUresult (*primaryCtxRetain)(Handle *, CUdevice) = nullptr;
  CUresult (*ctxSetCurrent)(Handle) = nullptr;
  CUresult (*ctxSynchronize)() = nullptr;
  CUresult (*moduleLoadData)(Handle *, const void *) = nullptr;
  CUresult (*moduleUnload)(Handle) = nullptr;
  CUresult (*moduleGetFunction)(Handle *, Handle, const char *) = nullptr;
  CUresult (*streamCreate)(Handle *, unsigned) = nullptr;
  CUresult (*streamSynchronize)(Handle) = nullptr;
  CUresult (*launchKernel)(Handle, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, Handle, void **,
                           void **) = nullptr;
  CUresult (*memAllocManaged)(CUdeviceptr *, size_t, unsigned) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr *, size_t) = nullptr;
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t) = nullptr;
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t) = nullptr;
  CUresult (*memsetD8)(CUdeviceptr, unsigned char, size_t) = nullptr;
  CUresult (*getErrorName)(CUresult, const char **) = nullptr;
  // Optional (hints only; absent from old drivers).
  CUresult (*memAdvise)(CUdeviceptr, size_t, int, Location) = nullptr;
  CUresult (*memPrefetch)(CUdeviceptr, size_t, Location, unsigned,
                          Handle) = nullptr;
  // For LLAMA_MLIR_GPU_PROFILE=1 (optional: without them no profile).
  CUresult (*eventCreate)(Handle *, unsigned) = nullptr;
  CUresult (*eventRecord)(Handle, Handle) = nullptr;
  CUresult (*eventSynchronize)(Handle) = nullptr;
  CUresult (*eventElapsedTime)(float *, Handle, Handle) = nullptr;
  // For LLAMA_MLIR_GPU_GRAPHS=1 (optional: without them no graphs).
  CUresult (*funcGetParamInfo)(Handle, size_t, size_t *, size_t *) = nullptr;
  CUresult (*graphCreate)(Handle *, unsigned) = nullptr;
  // The node parameters (KernelNodeParams) as const void *: the emulator's
  // entry points have this exact type (UBSan's function check compares
  // them).
  CUresult (*graphAddKernelNode)(Handle *, Handle, const Handle *, size_t,
                                 const void *) = nullptr;
  CUresult (*graphInstantiate)(Handle *, Handle, unsigned long long) = nullptr;
  CUresult (*graphExecKernelNodeSetParams)(Handle, Handle,
                                           const void *) = nullptr;
  CUresult (*graphLaunch)(Handle, Handle) = nullptr;
  CUresult (*graphDestroy)(Handle) = nullptr;
  CUresult (*graphExecDestroy)(Handle) = nullptr;

  CUdevice device = 0;
  Handle context = nullptr, stream = nullptr;
  /// Set once, under lock(), after a successful initialization; read
  /// without the lock on every launch.
  std::atomic<bool> ready{false};
  std::string error;
};

Driver &driver() {
  static Driver d;
  return d;
}

std::mutex &lock() {
  static std::mutex m;
  return m;
}

std::string errorName(CUresult r) {
  const char *name = nullptr;
  Driver &d = driver();
  if (d.getErrorName && d.getErrorName(r, &name) == 0 && name)
    return name;
  return "CUDA error " + std::to_string(r);
}

/// Dies with the driver's error: a failure after a successful init means
/// the device or the generated code is broken, and nothing can continue.
void check(CUresult r, const char *what) {
  if (r == 0)
    return;
  std::fprintf(stderr, "llama-mlir CUDA runtime: %s failed: %s\n", what,
               errorName(r).c_str());
  std::exit(5);
}

} // namespace

/// Defined where the program is linked with the CPU emulator of the driver
/// (llama-compile --gpu-emulate; GPUEmulator.h), which then stands in for
/// libcuda.so.1.
extern "C" __attribute__((weak)) void *
llama_rt_gpu_emulated_driver(const char *name);

namespace {

/// The driver's entry point `name`, from libcuda.so.1 or the emulator.
template <typename F> bool lookup(void *lib, const char *name, F &fn) {
  fn = reinterpret_cast<F>(lib ? dlsym(lib, name)
                               : llama_rt_gpu_emulated_driver(name));
  return fn != nullptr;
}

bool initLocked(std::string &err) {
  Driver &d = driver();
  if (d.ready)
    return true;
  if (!d.error.empty()) {
    err = d.error;
    return false;
  }
  auto fail = [&](const std::string &msg) {
    d.error = msg;
    err = msg;
    return false;
  };
  if (!llama_rt_gpu_emulated_driver)
    d.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!d.lib && !llama_rt_gpu_emulated_driver)
    return fail(std::string("cannot load the NVIDIA driver (libcuda.so.1): ") +
                dlerror() +
                "; this program needs an NVIDIA GPU and its driver");
  struct Sym {
    const char *name;
    bool ok;
  };
  Sym syms[] = {
      {"cuInit", lookup(d.lib, "cuInit", d.init)},
      {"cuDeviceGetCount", lookup(d.lib, "cuDeviceGetCount", d.deviceGetCount)},
      {"cuDeviceGet", lookup(d.lib, "cuDeviceGet", d.deviceGet)},
      {"cuDeviceGetName", lookup(d.lib, "cuDeviceGetName", d.deviceGetName)},
      {"cuDeviceGetAttribute",
       lookup(d.lib, "cuDeviceGetAttribute", d.deviceGetAttribute)},
      {"cuDevicePrimaryCtxRetain",
       lookup(d.lib, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain)},
      {"cuCtxSetCurrent", lookup(d.lib, "cuCtxSetCurrent", d.ctxSetCurrent)},
      {"cuCtxSynchronize", lookup(d.lib, "cuCtxSynchronize", d.ctxSynchronize)},
      {"cuModuleLoadData", lookup(d.lib, "cuModuleLoadData", d.moduleLoadData)},
      {"cuModuleUnload", lookup(d.lib, "cuModuleUnload", d.moduleUnload)},
      {"cuModuleGetFunction",
       lookup(d.lib, "cuModuleGetFunction", d.moduleGetFunction)},
      {"cuStreamCreate", lookup(d.lib, "cuStreamCreate", d.streamCreate)},
      {"cuStreamSynchronize",
       lookup(d.lib, "cuStreamSynchronize", d.streamSynchronize)},
      {"cuLaunchKernel", lookup(d.lib, "cuLaunchKernel", d.launchKernel)},
      {"cuMemAllocManaged",
       lookup(d.lib, "cuMemAllocManaged", d.memAllocManaged)},
      {"cuMemFree_v2", lookup(d.lib, "cuMemFree_v2", d.memFree)},
      {"cuMemAlloc_v2", lookup(d.lib, "cuMemAlloc_v2", d.memAlloc)},
      {"cuMemcpyHtoD_v2", lookup(d.lib, "cuMemcpyHtoD_v2", d.memcpyHtoD)},
      {"cuMemcpyDtoH_v2", lookup(d.lib, "cuMemcpyDtoH_v2", d.memcpyDtoH)},
      {"cuMemsetD8_v2", lookup(d.lib, "cuMemsetD8_v2", d.memsetD8)},
      {"cuGetErrorName", lookup(d.lib, "cuGetErrorName", d.getErrorName)},
  };
  for (const Sym &s : syms)
    if (!s.ok)
      return fail(std::string("libcuda.so.1 lacks ") + s.name +
                  " (driver too old?)");
  lookup(d.lib, "cuMemAdvise_v2", d.memAdvise);
  lookup(d.lib, "cuMemPrefetchAsync_v2", d.memPrefetch);
  lookup(d.lib, "cuEventCreate", d.eventCreate);
  lookup(d.lib, "cuEventRecord", d.eventRecord);
  lookup(d.lib, "cuEventSynchronize", d.eventSynchronize);
  if (!lookup(d.lib, "cuEventElapsedTime_v2", d.eventElapsedTime))
    lookup(d.lib, "cuEventElapsedTime", d.eventElapsedTime);
  lookup(d.lib, "cuFuncGetParamInfo", d.funcGetParamInfo);
  lookup(d.lib, "cuGraphCreate", d.graphCreate);
  lookup(d.lib, "cuGraphAddKernelNode_v2", d.graphAddKernelNode);
  lookup(d.lib, "cuGraphInstantiateWithFlags", d.graphInstantiate);
  lookup(d.lib, "cuGraphExecKernelNodeSetParams_v2",
         d.graphExecKernelNodeSetParams);
  lookup(d.lib, "cuGraphLaunch", d.graphLaunch);
  lookup(d.lib, "cuGraphDestroy", d.graphDestroy);
  lookup(d.lib, "cuGraphExecDestroy", d.graphExecDestroy);
  CUresult r = d.init(0);
  if (r != 0)
    return fail("cuInit failed: " + errorName(r) +
                " (no usable NVIDIA GPU or driver)");
  int count = 0;
  r = d.deviceGetCount(&count);
  if (r != 0 || count == 0)
    return fail("no CUDA device found" +
                (r ? " (" + errorName(r) + ")" : std::string()));
  if ((r = d.deviceGet(&d.device, 0)) ||
      (r = d.primaryCtxRetain(&d.context, d.device)) ||
      (r = d.ctxSetCurrent(d.context)))
    return fail("cannot open CUDA device 0: " + errorName(r));
  d.ready.store(true, std::memory_order_release);
  return true;
}

Driver &ready() {
  if (driver().ready.load(std::memory_order_acquire))
    return driver();
  std::string err;
  std::lock_guard<std::mutex> g(lock());
  if (!initLocked(err)) {
    std::fprintf(stderr, "llama-mlir CUDA runtime: %s\n", err.c_str());
    std::exit(3);
  }
  return driver();
}

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

/// LLAMA_MLIR_GPU_PROFILE=1: every launch timed on the device (an event
/// before and after it, waited for), summed per kernel and printed at exit
/// (stderr), longest total first. The waits make the program slower; the
/// kernels' times are what they take alone.
struct Profile {
  struct Kernel {
    std::string name;
    uint64_t launches = 0;
    double ms = 0;
    unsigned grid = 0, block = 0;
  };
  bool on = false;
  Handle start = nullptr, stop = nullptr;
  std::unordered_map<Handle, Kernel> kernels; // named at their lookup

  static Profile &get() {
    static Profile *p = [] {
      auto *p = new Profile;
      const char *v = std::getenv("LLAMA_MLIR_GPU_PROFILE");
      p->on = v && *v && *v != '0';
      return p;
    }();
    return *p;
  }

  static void report() {
    Profile &p = get();
    std::vector<const Kernel *> rows;
    double total = 0;
    uint64_t n = 0;
    for (auto &[f, k] : p.kernels) {
      if (!k.launches)
        continue;
      rows.push_back(&k);
      total += k.ms;
      n += k.launches;
    }
    std::sort(rows.begin(), rows.end(),
              [](const Kernel *a, const Kernel *b) { return a->ms > b->ms; });
    std::fprintf(stderr,
                 "llama-mlir GPU profile: %llu launches, %.3f ms on the "
                 "device\n%-32s %9s %12s %10s %6s %8s %6s\n",
                 (unsigned long long)n, total, "kernel", "launches", "total ms",
                 "us/launch", "%", "blocks", "thr");
    for (const Kernel *k : rows)
      std::fprintf(stderr, "%-32s %9llu %12.3f %10.2f %6.1f %8u %6u\n",
                   k->name.c_str(), (unsigned long long)k->launches, k->ms,
                   1e3 * k->ms / double(k->launches),
                   total > 0 ? 100 * k->ms / total : 0.0, k->grid, k->block);
  }
};

/// Sends one launch to the driver now (timed with LLAMA_MLIR_GPU_PROFILE).
void launchNow(Handle function, const unsigned grid[3], const unsigned block[3],
               unsigned smem, Handle stream, void **params, void **extra) {
  Driver &d = driver();
  Profile &prof = Profile::get();
  bool timed = prof.on && d.eventCreate && d.eventRecord &&
               d.eventSynchronize && d.eventElapsedTime;
  if (timed && !prof.start) {
    check(d.eventCreate(&prof.start, 0), "cuEventCreate");
    check(d.eventCreate(&prof.stop, 0), "cuEventCreate");
    std::atexit(Profile::report);
  }
  if (timed)
    check(d.eventRecord(prof.start, stream), "cuEventRecord");
  check(d.launchKernel(function, grid[0], grid[1], grid[2], block[0], block[1],
                       block[2], smem, stream, params, extra),
        "cuLaunchKernel");
  if (!timed)
    return;
  check(d.eventRecord(prof.stop, stream), "cuEventRecord");
  check(d.eventSynchronize(prof.stop), "cuEventSynchronize");
  float ms = 0;
  check(d.eventElapsedTime(&ms, prof.start, prof.stop), "cuEventElapsedTime");
  Profile::Kernel &k = prof.kernels[function];
  ++k.launches;
  k.ms += ms;
  k.grid = grid[0] * grid[1] * grid[2];
  k.block = block[0] * block[1] * block[2];
}

/// LLAMA_MLIR_GPU_GRAPHS=1: launches are recorded, not sent, until the host
/// waits (llama_rt_gpu_sync: before it touches what kernels wrote, and at
/// the end of every evaluation). The recorded batch then goes to the device
/// as one CUDA graph, a chain of its kernels. A graph is built the second
/// time a batch of the same kernels and launch sizes is recorded (the first
/// time they are launched one by one: a prompt of a new length is not worth
/// a graph) and replayed from then on, after setting, in the instantiated
/// graph, the parameters of the kernels whose arguments changed (buffers
/// the free lists hand out in another order: the thread pipeline's batches
/// between host loops; a warp-pipeline decode step gets the same buffers
/// and needs none). A decode step of the warp pipeline is one batch: one
/// graph launch instead of ~260 kernel launches for 7B, and the device runs
/// the kernels back to back. Implies
/// LLAMA_MLIR_GPU_ASYNC=1; off under LLAMA_MLIR_GPU_PROFILE (which times
/// launches one by one) and where the driver lacks the graph API.
struct Graphs {
  struct Launch {
    Handle function;
    unsigned grid[3], block[3], smem;
    std::vector<size_t> offsets; // of each parameter in `args`
    std::string args;            // the parameters' bytes
    /// The parameter pointers cuLaunchKernel and the graph nodes take.
    std::vector<void *> params() {
      std::vector<void *> p;
      for (size_t o : offsets)
        p.push_back(&args[o]);
      return p;
    }
    bool sameKernel(const Launch &o) const {
      return function == o.function && smem == o.smem && offsets == o.offsets &&
             std::equal(grid, grid + 3, o.grid) &&
             std::equal(block, block + 3, o.block);
    }
    KernelNodeParams node(std::vector<void *> &params) {
      params = this->params();
      return KernelNodeParams{function,
                              {grid[0], grid[1], grid[2]},
                              {block[0], block[1], block[2]},
                              smem,
                              params.data(),
                              nullptr,
                              nullptr,
                              nullptr};
    }
  };
  struct Graph {
    std::vector<Launch> launches; // the arguments the graph now has
    std::vector<Handle> nodes;
    Handle graph = nullptr, exec = nullptr;
  };

  bool on = false;
  std::mutex mutex;
  Handle stream = nullptr;
  std::vector<Launch> batch;
  /// Batches seen, by signature (kernels and sizes); null until built.
  std::unordered_map<uint64_t, std::unique_ptr<Graph>> graphs;
  std::unordered_map<Handle, std::vector<size_t>> paramSizes;
  uint64_t replayed = 0, built = 0, nodeUpdates = 0, direct = 0;

  static Graphs &get() {
    static Graphs *g = [] {
      auto *g = new Graphs;
      const char *v = std::getenv("LLAMA_MLIR_GPU_GRAPHS");
      if (!(v && *v && *v != '0'))
        return g;
      Driver &d = ready();
      const char *why = nullptr;
      if (Profile::get().on)
        why = "LLAMA_MLIR_GPU_PROFILE times launches one by one";
      else if (!d.funcGetParamInfo || !d.graphCreate || !d.graphAddKernelNode ||
               !d.graphInstantiate || !d.graphExecKernelNodeSetParams ||
               !d.graphLaunch || !d.graphDestroy || !d.graphExecDestroy)
        why = "the driver lacks the graph API (cuFuncGetParamInfo, "
              "cuGraph*: CUDA 12.4 or later)";
      if (why) {
        std::fprintf(stderr,
                     "llama-mlir CUDA runtime: LLAMA_MLIR_GPU_GRAPHS ignored: "
                     "%s\n",
                     why);
        return g;
      }
      g->on = true;
      std::atexit(report);
      return g;
    }();
    return *g;
  }

  static void report() {
    Graphs &g = get();
    std::fprintf(stderr,
                 "llama-mlir GPU graphs: %llu batches replayed, %llu graphs "
                 "built, %llu kernel parameter updates, %llu batches "
                 "launched kernel by kernel\n",
                 (unsigned long long)g.replayed, (unsigned long long)g.built,
                 (unsigned long long)g.nodeUpdates,
                 (unsigned long long)g.direct);
  }

  void record(Handle function, const unsigned grid[3], const unsigned block[3],
              unsigned smem, Handle stream, void **params, size_t count) {
    Driver &d = driver();
    std::lock_guard<std::mutex> guard(mutex);
    this->stream = stream;
    std::vector<size_t> &sizes = paramSizes[function];
    if (sizes.size() != count) {
      sizes.clear();
      for (size_t i = 0; i < count; ++i) {
        size_t offset = 0, size = 0;
        check(d.funcGetParamInfo(function, i, &offset, &size),
              "cuFuncGetParamInfo");
        sizes.push_back(size);
      }
    }
    Launch l{function,
             {grid[0], grid[1], grid[2]},
             {block[0], block[1], block[2]},
             smem,
             {},
             {}};
    for (size_t i = 0; i < count; ++i) {
      // Each parameter 8-byte aligned in `args` (pointers, i64, f32).
      l.offsets.push_back((l.args.size() + 7) / 8 * 8);
      l.args.resize(l.offsets.back());
      l.args.append(static_cast<const char *>(params[i]), sizes[i]);
    }
    batch.push_back(std::move(l));
  }

  static uint64_t signature(const std::vector<Launch> &launches) {
    uint64_t h = 1469598103934665603ull; // FNV-1a
    auto mix = [&](uint64_t v) {
      for (int i = 0; i < 8; ++i, v >>= 8)
        h = (h ^ (v & 0xff)) * 1099511628211ull;
    };
    for (const Launch &l : launches) {
      mix(reinterpret_cast<uintptr_t>(l.function));
      for (int i = 0; i < 3; ++i)
        mix(uint64_t(l.grid[i]) << 32 | l.block[i]);
      mix(uint64_t(l.smem) << 32 | l.offsets.size());
    }
    return h;
  }

  /// Sends the recorded batch to the device (see the struct's comment).
  void flush() {
    std::lock_guard<std::mutex> guard(mutex);
    if (batch.empty())
      return;
    Driver &d = driver();
    uint64_t sig = signature(batch);
    auto it = graphs.find(sig);
    if (batch.size() == 1 || it == graphs.end()) {
      if (batch.size() > 1) {
        if (graphs.size() >= 256)
          clear();
        graphs.emplace(sig, nullptr);
      }
      for (Launch &l : batch) {
        std::vector<void *> p = l.params();
        launchNow(l.function, l.grid, l.block, l.smem, stream, p.data(),
                  nullptr);
      }
      ++direct;
      batch.clear();
      return;
    }
    std::unique_ptr<Graph> &g = it->second;
    bool same = g && g->launches.size() == batch.size();
    for (size_t i = 0; same && i < batch.size(); ++i)
      same = batch[i].sameKernel(g->launches[i]);
    if (!same) {
      destroy(g.get());
      g = std::make_unique<Graph>();
      check(d.graphCreate(&g->graph, 0), "cuGraphCreate");
      for (Launch &l : batch) {
        std::vector<void *> p;
        KernelNodeParams np = l.node(p);
        Handle node = nullptr;
        bool first = g->nodes.empty();
        check(d.graphAddKernelNode(&node, g->graph,
                                   first ? nullptr : &g->nodes.back(),
                                   first ? 0 : 1, &np),
              "cuGraphAddKernelNode");
        g->nodes.push_back(node);
      }
      check(d.graphInstantiate(&g->exec, g->graph, 0), "cuGraphInstantiate");
      ++built;
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (batch[i].args == g->launches[i].args)
          continue;
        std::vector<void *> p;
        KernelNodeParams np = batch[i].node(p);
        check(d.graphExecKernelNodeSetParams(g->exec, g->nodes[i], &np),
              "cuGraphExecKernelNodeSetParams");
        ++nodeUpdates;
      }
      ++replayed;
    }
    g->launches = std::move(batch);
    batch.clear();
    check(d.graphLaunch(g->exec, stream), "cuGraphLaunch");
  }

  void destroy(Graph *g) {
    if (!g)
      return;
    Driver &d = driver();
    if (g->exec)
      check(d.graphExecDestroy(g->exec), "cuGraphExecDestroy");
    if (g->graph)
      check(d.graphDestroy(g->graph), "cuGraphDestroy");
  }

  void clear() {
    for (auto &[sig, g] : graphs)
      destroy(g.get());
    graphs.clear();
  }
};

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
  Graphs::get().flush(); // in stream order after the launches recorded
  check(d.memcpyHtoD(static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(dst)),
                     src, bytes),
        "cuMemcpyHtoD");
}

void llama_rt_gpu_download(int64_t dst, int64_t src, int64_t bytes) {
  Driver &d = ready();
  Graphs::get().flush(); // in stream order after the launches recorded
  check(d.memcpyDtoH(reinterpret_cast<void *>(static_cast<intptr_t>(dst)),
                     static_cast<CUdeviceptr>(src), static_cast<size_t>(bytes)),
        "cuMemcpyDtoH");
}

void llama_rt_gpu_zero(void *dst, size_t bytes) {
  Driver &d = ready();
  Graphs::get().flush();
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
  Graphs::get().flush(); // the prefetch below waits for the device
  // Hints: where the driver lacks them or refuses, the pages still move on
  // first touch, only slower.
  if (readMostly && d.memAdvise)
    d.memAdvise(dp, bytes, kAdviseSetReadMostly, dev);
  if (d.memPrefetch && d.memPrefetch(dp, bytes, dev, 0, nullptr) == 0)
    check(d.ctxSynchronize(), "cuCtxSynchronize (after a prefetch)");
}

void llama_rt_gpu_sync() {
  Graphs::get().flush();
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
  Profile::get().kernels[f].name = name;
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
    return !(v && *v && *v != '0') && !Graphs::get().on;
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
  Graphs &graphs = Graphs::get();
  if (graphs.on && !extra)
    return graphs.record(function, grid, block, unsigned(smem), stream, params,
                         paramsCount);
  graphs.flush();
  launchNow(function, grid, block, unsigned(smem), stream, params, extra);
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
