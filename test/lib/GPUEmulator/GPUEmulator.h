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

#include "llama-mlir/ABI/llama_abi.h"

// The kernels' host copies call the llama_rt_emu_* functions of the ABI
// header; the program registers them with llama_rt_emu_register.
extern "C" {

/// The entry point `name` (cuInit, cuLaunchKernel, ...) of the emulated
/// driver, or null. CUDARuntime.cpp declares it weak: linked in, it replaces
/// dlopen("libcuda.so.1").
void *llama_rt_gpu_emulated_driver(const char *name);
}

#endif // LLAMA_MLIR_RUNTIME_GPUEMULATOR_H
