//===- Launches.cpp - Kernel launches: direct, profiled, graphs -*- C++ -*-===//
//
// Implements Launches.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/Launches.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>
#include <vector>

using namespace llamart::cuda;

namespace {

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

void llamart::cuda::launch(Handle function, const unsigned grid[3],
                           const unsigned block[3], unsigned smem,
                           Handle stream, void **params, void **extra,
                           size_t paramsCount) {
  Graphs &graphs = Graphs::get();
  if (graphs.on && !extra)
    return graphs.record(function, grid, block, smem, stream, params,
                         paramsCount);
  graphs.flush();
  launchNow(function, grid, block, smem, stream, params, extra);
}

void llamart::cuda::flushLaunches() { Graphs::get().flush(); }

bool llamart::cuda::recordsLaunches() { return Graphs::get().on; }

void llamart::cuda::nameKernel(Handle function, const char *name) {
  Profile::get().kernels[function].name = name;
}
