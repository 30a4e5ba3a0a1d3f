//===- ThreadPool.h - The thread pool the generated code uses ---*- C++ -*-===//
//
// The generated code hands each parallel loop (the rows of every matmul) to
// llama_rt_parallel_for, which runs the iteration range on a persistent pool
// (the calling thread among them) in contiguous chunks that the threads take
// as they come free, long ones first, and returns when all are done. Workers
// spin briefly between loops and then sleep, so a decode step pays no thread
// start-up and no system call per loop while work keeps coming.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_THREADPOOL_H
#define LLAMA_MLIR_RUNTIME_THREADPOOL_H

#include "llama-mlir/ABI/llama_abi.h"

#include <cstdint>

// llama_rt_parallel_for, the call generated code makes, is declared in the
// ABI header.
extern "C" {
/// Sets the number of threads (1 = the calling thread only). Not to be
/// called while a loop runs.
void llama_rt_set_threads(int n);
int llama_rt_threads(void);
}

#endif // LLAMA_MLIR_RUNTIME_THREADPOOL_H
