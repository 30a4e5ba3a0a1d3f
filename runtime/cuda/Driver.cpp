//===- Driver.cpp - The CUDA driver API, looked up at run time --*- C++ -*-===//
//
// Implements Driver.h: dlopen("libcuda.so.1") (or the emulator's table),
// the entry points looked up, device 0's primary context made current.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/Driver.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

using namespace llamart::cuda;

/// Defined where the program is linked with the CPU emulator of the driver
/// (llama-compile --gpu-emulate; GPUEmulator.h), which then stands in for
/// libcuda.so.1.
extern "C" __attribute__((weak)) void *
llama_rt_gpu_emulated_driver(const char *name);

namespace llamart::cuda {

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

void check(CUresult r, const char *what) {
  if (r == 0)
    return;
  std::fprintf(stderr, "llama-mlir CUDA runtime: %s failed: %s\n", what,
               errorName(r).c_str());
  std::exit(5);
}

namespace {

/// The driver's entry point `name`, from libcuda.so.1 or the emulator.
template <typename F> bool lookup(void *lib, const char *name, F &fn) {
  fn = reinterpret_cast<F>(lib ? dlsym(lib, name)
                               : llama_rt_gpu_emulated_driver(name));
  return fn != nullptr;
}

} // namespace

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

} // namespace llamart::cuda
