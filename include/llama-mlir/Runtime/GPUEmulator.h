//===- GPUEmulator.h - The CUDA driver emulated on the CPU ------*- C++ -*-===//
//
// For testing GPU programs where there is no GPU: a program compiled with
// `llama-compile --target=sm_90 --gpu-emulate` holds, besides its PTX, a host
// copy of every kernel (the llama-emulate-gpu-kernels pass) and is linked
// with libLlamaGPUEmulator.a. Its CUDA runtime (CUDARuntime.cpp) then takes
// the driver's entry points from this emulator instead of libcuda.so.1: a
// launch runs every thread of the grid on the CPU, a block at a time; the
// threads of kernels that shuffle, wait at barriers or use tensor cores
// each run on a fiber, and the lanes of a warp meet at every shuffle and
// mma.sync as on the hardware (lanes that diverge, exit before a shuffle,
// or read a lane outside the block are reported as errors, where a GPU
// would give undefined values; so are races on workgroup memory, threads
// touching a byte another thread wrote since the last barrier). Managed
// memory is host memory. Device memory
// (cuMemAlloc) is host pages that only launches and the driver's copies may
// touch: a host access to them stops the program (exit 5) with the address.
// Everything runs synchronously, in launch order.
//
// What it does not show: PTX code generation, timing, or the memory model
// of concurrent kernels (the fake driver in python/tests checks the waits).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_GPUEMULATOR_H
#define LLAMA_MLIR_RUNTIME_GPUEMULATOR_H

#include <cstdint>

extern "C" {

/// A kernel's host copy, taking the launch's parameter array (each entry
/// points to one argument, as cuLaunchKernel's `params`).
typedef void (*llama_rt_emu_kernel)(void **params);

/// Called from the program's constructor for each kernel `name` of its PTX;
/// `lockstep`: it shuffles or waits at barriers (runs on fibers);
/// `paramSizes`: the bytes of each of its `nparams` parameters (what
/// cuFuncGetParamInfo reports, and graph nodes copy).
void llama_rt_emu_register(const char *name, llama_rt_emu_kernel fn,
                           int32_t lockstep, int32_t nparams,
                           const int32_t *paramSizes);

/// The entry point `name` (cuInit, cuLaunchKernel, ...) of the emulated
/// driver, or null. CUDARuntime.cpp declares it weak: linked in, it replaces
/// dlopen("libcuda.so.1").
void *llama_rt_gpu_emulated_driver(const char *name);

// Called by the kernels' host copies (see llama-emulate-gpu-kernels).
/// 0-2: thread id x/y/z, 3-5: block id, 6-8: block size, 9-11: grid size.
int64_t llama_rt_emu_index(int32_t code);
/// gpu.shuffle: `mode` 0 xor, 1 down, 2 up, 3 idx (gpu::ShuffleMode).
int32_t llama_rt_emu_shuffle(int32_t value, int32_t offset, int32_t width,
                             int32_t mode);
void llama_rt_emu_barrier();
/// nvgpu.mma.sync m16n8k16 (f16 A and B, f32 C and D) of the calling lane:
/// its A and B registers (two halves each, the low 16 bits first), its C,
/// and where its 4 D values go; the warp's lanes meet as at a shuffle.
void llama_rt_emu_mma_m16n8k16(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                               int32_t b0, int32_t b1, float c0, float c1,
                               float c2, float c3, int64_t d);
/// Before a load or store of `bytes` at byte `offset` of a workgroup buffer
/// (`size` bytes at `base`): reports (exit 5) an access out of the buffer
/// and a race, the thread touching a byte that another thread of the
/// block wrote, or writing a byte another read, since the last barrier.
void llama_rt_emu_shared_access(int64_t base, int64_t size, int64_t offset,
                                int64_t bytes, int32_t write);
/// Reports (exit 5) a vector access at `address` that claims `alignment`
/// bytes it does not have.
void llama_rt_emu_check_aligned(int64_t address, int64_t alignment);
}

#endif // LLAMA_MLIR_RUNTIME_GPUEMULATOR_H
