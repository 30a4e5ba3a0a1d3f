//===- Driver.h - The CUDA driver API, looked up at run time ----*- C++ -*-===//
//
// The driver API's types declared by value (an int result, opaque handles,
// 64-bit device pointers), so that neither the build nor the produced
// program needs CUDA headers or libraries, and the table of its entry
// points, looked up by their versioned names (cuMemFree_v2, ...) as cuda.h
// maps them, in libcuda.so.1 or the CPU emulator. Internal to the CUDA
// runtime (CUDARuntime.h).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_CUDA_DRIVER_H
#define LLAMA_MLIR_RUNTIME_CUDA_DRIVER_H

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>

namespace llamart::cuda {

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

/// The driver table (filled by ready()).
Driver &driver();

/// Guards initialization, the buffer pools and the module table.
std::mutex &lock();

/// The driver's name of error `r` ("CUDA error N" without one).
std::string errorName(CUresult r);

/// Dies with the driver's error: a failure after a successful init means
/// the device or the generated code is broken, and nothing can continue.
void check(CUresult r, const char *what);

/// The initialized driver; dies with the reason where there is none
/// (llama_rt_gpu_init reports it without dying).
Driver &ready();

/// Initializes the driver under lock(); false with the reason in `err`.
bool initLocked(std::string &err);

} // namespace llamart::cuda

#endif // LLAMA_MLIR_RUNTIME_CUDA_DRIVER_H
