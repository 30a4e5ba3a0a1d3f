//===- CUDARuntime.h - Programs compiled for NVIDIA GPUs --------*- C++ -*-===//
//
// The host side of programs compiled with llama-compile --target=sm_80|sm_90:
// the CUDA driver API loaded at run time with dlopen("libcuda.so.1") (no
// link-time CUDA dependency), the `mgpu*` functions that MLIR's gpu-to-llvm
// lowering calls to load the PTX module and launch kernels, and the managed
// (host- and device-visible) memory that the generated code and the program
// allocate buffers from. Linked only into GPU programs (libLlamaCUDA.a).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_CUDARUNTIME_H
#define LLAMA_MLIR_RUNTIME_CUDARUNTIME_H

#include "llama-mlir/ABI/llama_abi.h"

#include <cstddef>
#include <cstdint>

extern "C" {

/// Loads libcuda.so.1, initializes the driver and makes device 0's primary
/// context current. Returns 0, or writes a message (what is missing, and the
/// driver's error name) to `err` and returns nonzero. Idempotent.
int llama_rt_gpu_init(char *err, size_t errSize);

/// The device's name and compute capability (after a successful init).
void llama_rt_gpu_describe(char *out, size_t outSize);

/// Managed memory: `bytes` visible to the host and the device, not
/// initialized, kept for reuse when freed (like the generated code's
/// buffers, mgpuMemAlloc: managed where host code touches them, else device
/// memory). Returns null (and prints why) on failure.
void *llama_rt_gpu_alloc(size_t bytes);

/// Device memory (cuMemAlloc): only kernels may read or write it (on the
/// emulator a host access stops the program); the host fills it with
/// llama_rt_gpu_upload (synchronous) or llama_rt_gpu_zero. For the buffers
/// the program's manifest lists as device-only (the weights, the KV cache).
/// Returns null (and prints why) on failure.
void *llama_rt_gpu_alloc_device(size_t bytes);
void llama_rt_gpu_upload(void *dst, const void *src, size_t bytes);
void llama_rt_gpu_zero(void *dst, size_t bytes);

// llama_rt_gpu_download, llama_rt_gpu_free and llama_rt_gpu_sync, which
// the generated host code calls, are declared in the ABI header:
// download copies device memory to the host after the kernels launched so
// far (the logits), free returns a pooled buffer or device memory (after
// the kernels launched so far), sync waits for all launched kernels.

/// Moves managed memory the host has filled to the device before the
/// kernels touch it (instead of page by page on first touch). With
/// `readMostly`, host reads (the embedding rows the host code gathers) get
/// read-only copies and leave the device's pages in place.
void llama_rt_gpu_place_on_device(void *p, size_t bytes, int readMostly);

/// Launches and synchronizations so far (for the launch-overhead figure).
uint64_t llama_rt_gpu_launch_count();

// The functions the generated host code calls (MLIR gpu-to-llvm ABI).
void *mgpuModuleLoadJIT(void *ptx, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuMemAlloc(uint64_t bytes, void *stream, bool hostShared);
}

#endif // LLAMA_MLIR_RUNTIME_CUDARUNTIME_H
