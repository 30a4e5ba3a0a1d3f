//===- Emulator.h - The GPU emulator's launch state -------------*- C++ -*-===//
//
// What the emulated driver (GPUEmulator.cpp) and the emulated threads
// (Threads.cpp) share: the registered kernels and the launch in progress.
// Internal to the emulator (GPUEmulator.h).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TEST_LIB_GPUEMULATOR_EMULATOR_H
#define LLAMA_MLIR_TEST_LIB_GPUEMULATOR_EMULATOR_H

#include "test/lib/GPUEmulator/GPUEmulator.h"

#include <ucontext.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llamart::emu {

constexpr int kWarp = 32;
constexpr size_t kStackBytes = 256 << 10;

struct Kernel {
  llama_rt_emu_kernel fn;
  bool lockstep;
  std::vector<int32_t> paramSizes;
};

inline std::map<std::string, Kernel> &kernels() {
  static std::map<std::string, Kernel> k;
  return k;
}

/// A CUfunction of the emulator: its entry (name, kernel) in kernels().
using Entry = std::pair<const std::string, Kernel>;
inline Entry &entryOf(void *function) {
  return *static_cast<Entry *>(function);
}

enum class State { Ready, Shuffle, Mma, Barrier, Done };

/// A fiber's saved context: on x86-64 its stack pointer (the callee-saved
/// registers are on its stack; see switchTo), elsewhere a ucontext.
struct Context {
#if defined(__x86_64__)
  void *sp = nullptr;
#else
  ucontext_t uc;
#endif
};

struct Thread {
  Context context;
  State state = State::Ready;
  int64_t id[3] = {0, 0, 0};
  int32_t value = 0, offset = 0, width = 0, mode = 0, result = 0;
  // At an mma: the lane's A and B registers (two f16 each), C, and where
  // its D goes.
  uint32_t a[4] = {0, 0, 0, 0}, b[2] = {0, 0};
  float c[4] = {0, 0, 0, 0};
  float *d = nullptr;
};

/// What the threads of the running block did to a byte of a workgroup
/// buffer since the last barrier (the fields count only where their epoch
/// is the current one): the thread that wrote it, and the one that read it
/// (kSeveral: more than one).
struct SharedByte {
  uint32_t writeEpoch = 0, readEpoch = 0;
  int32_t writer = -1, reader = -1;
};
constexpr int32_t kSeveral = -2;
struct SharedBuffer {
  uintptr_t base;
  std::vector<SharedByte> bytes;
};

/// The launch in progress (launches are synchronous and not nested).
struct Launch {
  const char *name = nullptr;
  Kernel kernel{};
  void **params = nullptr;
  int64_t grid[3] = {1, 1, 1}, block[3] = {1, 1, 1}, blockId[3] = {0, 0, 0};
  int64_t id[3] = {0, 0, 0}; // the running thread's (plain calls)
  std::vector<Thread> threads;
  std::vector<char> stacks;
  Thread *current = nullptr;
  Context scheduler;
  // The workgroup buffers' bytes, and the epoch: a new one for every block
  // and after every barrier.
  std::vector<SharedBuffer> shared;
  uint32_t epoch = 1;
};
extern Launch launch;

/// Prints what went wrong in the running block and ends the program.
[[noreturn]] void die(const std::string &msg);

/// Runs block launch.blockId of the launch in progress.
void runBlock();

} // namespace llamart::emu

#endif // LLAMA_MLIR_TEST_LIB_GPUEMULATOR_EMULATOR_H
