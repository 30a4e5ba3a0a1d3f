//===- Launches.h - Kernel launches: direct, profiled, graphs ---*- C++ -*-===//
//
// How the CUDA runtime sends kernels to the device: one by one (timed per
// kernel with LLAMA_MLIR_GPU_PROFILE=1), or with LLAMA_MLIR_GPU_GRAPHS=1
// recorded and replayed as CUDA graphs. Internal to the CUDA runtime.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_CUDA_LAUNCHES_H
#define LLAMA_MLIR_RUNTIME_CUDA_LAUNCHES_H

#include "runtime/cuda/Driver.h"

namespace llamart::cuda {

/// A kernel launch of the generated code: recorded where graphs are on
/// (and `extra` is null), else sent now after what was recorded.
void launch(Handle function, const unsigned grid[3], const unsigned block[3],
            unsigned smem, Handle stream, void **params, void **extra,
            size_t paramsCount);

/// Sends the launches recorded so far (before the host waits or touches
/// buffers).
void flushLaunches();

/// Whether launches are recorded into graphs (LLAMA_MLIR_GPU_GRAPHS=1 and a
/// driver with the graph API).
bool recordsLaunches();

/// Names kernel `function` in the profile (LLAMA_MLIR_GPU_PROFILE=1).
void nameKernel(Handle function, const char *name);

} // namespace llamart::cuda

#endif // LLAMA_MLIR_RUNTIME_CUDA_LAUNCHES_H
