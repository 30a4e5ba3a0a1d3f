//===- Threads.cpp - The GPU emulator's threads -----------------*- C++ -*-===//
//
// The threads of an emulated block (Emulator.h): in a kernel registered as
// `lockstep` every thread is a fiber that runs until it shuffles, computes
// an mma.sync, waits at a barrier or returns; the scheduler then exchanges
// a warp's shuffle values (or computes its mma), or opens the barrier.
// Other kernels' threads are plain calls. Also the llama_rt_emu_*
// functions the kernels' host copies call (indices, shuffles, barriers,
// workgroup-buffer checks).
//
//===----------------------------------------------------------------------===//

#include "runtime/gguf/Quant.h"
#include "test/lib/GPUEmulator/Emulator.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

// The sanitized build compiles this file without AddressSanitizer
// (test/lib/GPUEmulator/CMakeLists.txt): the fibers then run no
// instrumented code, and stack switches need no announcing.

namespace llamart::emu {

Launch launch;

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr,
               "llama-mlir GPU emulator: kernel %s, block (%lld, %lld, "
               "%lld): %s\n",
               launch.name ? launch.name : "?", (long long)launch.blockId[0],
               (long long)launch.blockId[1], (long long)launch.blockId[2],
               msg.c_str());
  // Not exit(): from a fiber, its destructors would free the stack it runs
  // on (launch.stacks).
  std::fflush(nullptr);
  std::_Exit(5);
}

namespace {

void fiberMain();

#if defined(__x86_64__)
// Saves the callee-saved registers on the current stack and its pointer in
// *from, then resumes `to` (glibc's swapcontext also saves the signal mask
// with a system call: 50 times slower, and a warp kernel switches fibers
// several times per thread).
extern "C" void llama_rt_emu_switch(void **from, void *to);
asm(R"(
  .text
  .p2align 4
  .type llama_rt_emu_switch,@function
llama_rt_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size llama_rt_emu_switch, .-llama_rt_emu_switch
)");

void switchTo(Context &from, Context &to) {
  llama_rt_emu_switch(&from.sp, to.sp);
}

/// A fiber that starts in fiberMain on the stack [base, base + size).
void makeFiber(Context &c, char *base, size_t size) {
  auto top = reinterpret_cast<uintptr_t>(base + size) & ~uintptr_t(15);
  auto *sp = reinterpret_cast<void **>(top);
  *--sp = nullptr; // fiberMain's return address (it never returns)
  *--sp = reinterpret_cast<void *>(&fiberMain);
  for (int i = 0; i < 6; ++i) // rbp, rbx, r12-r15
    *--sp = nullptr;
  c.sp = sp;
}
#else
void switchTo(Context &from, Context &to) { swapcontext(&from.uc, &to.uc); }

void makeFiber(Context &c, char *base, size_t size) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = base;
  c.uc.uc_stack.ss_size = size;
  c.uc.uc_link = nullptr;
  makecontext(&c.uc, fiberMain, 0);
}
#endif

void enterFiber(Thread &t) {
  launch.current = &t;
  switchTo(launch.scheduler, t.context);
}

void leaveFiber(Thread &t) { switchTo(t.context, launch.scheduler); }

void fiberMain() {
  Thread &t = *launch.current;
  launch.kernel.fn(launch.params);
  t.state = State::Done;
  leaveFiber(t);
}

/// The source lane of lane `lane` for a shuffle, or -1 where the result is
/// the lane's own value (PTX shfl: out of the segment of `width` lanes).
int sourceLane(int lane, int32_t offset, int32_t width, int32_t mode) {
  int seg = lane - lane % width, in = lane % width, src;
  switch (mode) {
  case 0: // xor
    src = in ^ offset;
    break;
  case 1: // down
    src = in + offset;
    break;
  case 2: // up
    src = in - offset;
    break;
  default: // idx
    src = offset;
  }
  return src >= 0 && src < width ? seg + src : -1;
}

/// The half `i` (0: low 16 bits) of a register.
float half(uint32_t reg, int i) {
  return llamart::fp16ToFloat(uint16_t(reg >> 16 * i));
}

/// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 of warp `w`'s lanes
/// (threads [w, w + 32)), with the fragment layouts of the PTX ISA; lane =
/// 4 * group + index:
///   A (16 x 16) register r: row group + 8 (r % 2), columns 2 index +
///     8 (r / 2) + {0, 1} (low half first);
///   B (16 x 8)  register r: column group, rows 2 index + 8 r + {0, 1};
///   C, D (16 x 8) value i: row group + 8 (i / 2), column 2 index + i % 2.
/// Each D is C plus the 16 products in k order, in f32 (the products of
/// halves are exact; a GPU's order and rounding of the sum may differ).
void warpMma(size_t w) {
  float a[16][16], b[16][8], c[16][8];
  for (int lane = 0; lane < kWarp; ++lane) {
    const Thread &t = launch.threads[w + lane];
    int group = lane / 4, index = lane % 4;
    for (int r = 0; r < 4; ++r)
      for (int i = 0; i < 2; ++i)
        a[group + 8 * (r % 2)][2 * index + 8 * (r / 2) + i] = half(t.a[r], i);
    for (int r = 0; r < 2; ++r)
      for (int i = 0; i < 2; ++i)
        b[2 * index + 8 * r + i][group] = half(t.b[r], i);
    for (int i = 0; i < 4; ++i)
      c[group + 8 * (i / 2)][2 * index + i % 2] = t.c[i];
  }
  for (int lane = 0; lane < kWarp; ++lane) {
    const Thread &t = launch.threads[w + lane];
    int group = lane / 4, index = lane % 4;
    for (int i = 0; i < 4; ++i) {
      int row = group + 8 * (i / 2), col = 2 * index + i % 2;
      float sum = c[row][col];
      for (int k = 0; k < 16; ++k)
        sum += a[row][k] * b[k][col];
      t.d[i] = sum;
    }
  }
}

/// Exchanges the values of warps whose lanes all wait at a shuffle, and
/// computes the mma of warps whose lanes all wait at one.
/// Returns whether any warp did.
bool resolveWarps() {
  bool any = false;
  size_t n = launch.threads.size();
  for (size_t w = 0; w < n; w += kWarp) {
    size_t end = std::min(n, w + kWarp);
    bool waiting = false, all = true, mma = false, allMma = true;
    for (size_t i = w; i < end; ++i) {
      waiting |= launch.threads[i].state == State::Shuffle;
      all &= launch.threads[i].state == State::Shuffle;
      mma |= launch.threads[i].state == State::Mma;
      allMma &= launch.threads[i].state == State::Mma;
    }
    if (mma) {
      if (!allMma || end - w != kWarp)
        die("warp " + std::to_string(w / kWarp) +
            ": some lanes wait at an mma.sync while others do not (on a "
            "GPU, undefined behaviour)");
      warpMma(w);
      for (size_t i = w; i < end; ++i)
        launch.threads[i].state = State::Ready;
      any = true;
      continue;
    }
    if (!waiting)
      continue;
    if (!all)
      die("warp " + std::to_string(w / kWarp) +
          ": some lanes wait at a shuffle while others have exited or wait "
          "at a barrier (on a GPU, undefined values)");
    const Thread &first = launch.threads[w];
    for (size_t i = w; i < end; ++i) {
      Thread &t = launch.threads[i];
      if (t.width != first.width || t.mode != first.mode ||
          (t.mode != 3 && t.offset != first.offset))
        die("warp " + std::to_string(w / kWarp) +
            ": its lanes shuffle with different modes, offsets or widths");
      if (t.width <= 0 || t.width > kWarp || kWarp % t.width)
        die("shuffle width " + std::to_string(t.width));
    }
    for (size_t i = w; i < end; ++i) {
      Thread &t = launch.threads[i];
      int src = sourceLane(int(i - w), t.offset, t.width, t.mode);
      if (src < 0) {
        t.result = t.value;
      } else if (w + src >= end) {
        die("lane " + std::to_string(i - w) + " reads lane " +
            std::to_string(src) + ", beyond the block's threads");
      } else {
        t.result = launch.threads[w + src].value;
      }
    }
    for (size_t i = w; i < end; ++i)
      launch.threads[i].state = State::Ready;
    any = true;
  }
  return any;
}

void runBlockLockstep() {
  size_t n = launch.threads.size();
  if (launch.stacks.size() < n * kStackBytes)
    launch.stacks.resize(n * kStackBytes);
  for (size_t i = 0; i < n; ++i) {
    Thread &t = launch.threads[i];
    t = Thread();
    t.id[0] = int64_t(i) % launch.block[0];
    t.id[1] = int64_t(i) / launch.block[0] % launch.block[1];
    t.id[2] = int64_t(i) / (launch.block[0] * launch.block[1]);
    makeFiber(t.context, launch.stacks.data() + i * kStackBytes, kStackBytes);
  }
  for (;;) {
    for (size_t i = 0; i < n; ++i)
      if (launch.threads[i].state == State::Ready)
        enterFiber(launch.threads[i]);
    if (resolveWarps())
      continue;
    // Every live thread waits at the barrier.
    size_t done = 0;
    for (const Thread &t : launch.threads)
      done += t.state == State::Done;
    if (done == n)
      return;
    if (done)
      die("a barrier that exited threads never reach");
    ++launch.epoch;
    for (Thread &t : launch.threads)
      t.state = State::Ready;
  }
}

} // namespace

void runBlock() {
  ++launch.epoch;
  int64_t n = launch.block[0] * launch.block[1] * launch.block[2];
  if (launch.kernel.lockstep) {
    launch.threads.resize(n);
    runBlockLockstep();
    return;
  }
  launch.current = nullptr;
  for (int64_t z = 0; z < launch.block[2]; ++z)
    for (int64_t y = 0; y < launch.block[1]; ++y)
      for (int64_t x = 0; x < launch.block[0]; ++x) {
        launch.id[0] = x;
        launch.id[1] = y;
        launch.id[2] = z;
        launch.kernel.fn(launch.params);
      }
}

} // namespace llamart::emu

using namespace llamart::emu;

extern "C" {

int64_t llama_rt_emu_index(int32_t code) {
  const int64_t *ids = launch.current ? launch.current->id : launch.id;
  if (code < 0 || code > 11)
    die("index code " + std::to_string(code));
  switch (code / 3) {
  case 0:
    return ids[code % 3];
  case 1:
    return launch.blockId[code % 3];
  case 2:
    return launch.block[code % 3];
  default:
    return launch.grid[code % 3];
  }
}

int32_t llama_rt_emu_shuffle(int32_t value, int32_t offset, int32_t width,
                             int32_t mode) {
  Thread *t = launch.current;
  if (!t)
    die("a shuffle in a kernel registered without lockstep");
  t->value = value;
  t->offset = offset;
  t->width = width;
  t->mode = mode;
  t->state = State::Shuffle;
  leaveFiber(*t);
  return t->result;
}

void llama_rt_emu_mma_m16n8k16(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                               int32_t b0, int32_t b1, float c0, float c1,
                               float c2, float c3, int64_t d) {
  Thread *t = launch.current;
  if (!t)
    die("an mma.sync in a kernel registered without lockstep");
  const int32_t a[4] = {a0, a1, a2, a3}, b[2] = {b0, b1};
  const float c[4] = {c0, c1, c2, c3};
  for (int i = 0; i < 4; ++i) {
    t->a[i] = uint32_t(a[i]);
    t->c[i] = c[i];
  }
  for (int i = 0; i < 2; ++i)
    t->b[i] = uint32_t(b[i]);
  t->d = reinterpret_cast<float *>(static_cast<uintptr_t>(d));
  t->state = State::Mma;
  leaveFiber(*t);
}

void llama_rt_emu_barrier() {
  Thread *t = launch.current;
  if (!t)
    die("a barrier in a kernel registered without lockstep");
  t->state = State::Barrier;
  leaveFiber(*t);
}

void llama_rt_emu_shared_access(int64_t base, int64_t size, int64_t offset,
                                int64_t bytes, int32_t write) {
  auto b = uintptr_t(base);
  auto it = std::find_if(launch.shared.begin(), launch.shared.end(),
                         [&](const SharedBuffer &s) { return s.base == b; });
  if (it == launch.shared.end())
    it = launch.shared.insert(launch.shared.end(), {b, {}});
  if (it->bytes.size() != size_t(size)) // (only tests reuse an address)
    it->bytes.assign(size_t(size), SharedByte());
  if (offset < 0 || bytes < 0 || offset + bytes > int64_t(it->bytes.size()))
    die("a workgroup memory access of bytes [" + std::to_string(offset) + ", " +
        std::to_string(offset + bytes) + ") of a " +
        std::to_string(it->bytes.size()) + "-byte buffer");
  // The thread: its index in the block.
  int32_t me = launch.current
                   ? int32_t(launch.current - launch.threads.data())
                   : int32_t((launch.id[2] * launch.block[1] + launch.id[1]) *
                                 launch.block[0] +
                             launch.id[0]);
  for (int64_t i = offset; i < offset + bytes; ++i) {
    SharedByte &c = it->bytes[size_t(i)];
    bool wrote = c.writeEpoch == launch.epoch && c.writer != me;
    bool read = write && c.readEpoch == launch.epoch && c.reader != me;
    if (wrote || read) {
      int32_t other = wrote ? c.writer : c.reader;
      die("thread " + std::to_string(me) + (write ? " writes" : " reads") +
          " byte " + std::to_string(i) + " of a " +
          std::to_string(it->bytes.size()) + "-byte workgroup buffer that " +
          (other == kSeveral ? std::string("other threads")
                             : "thread " + std::to_string(other)) +
          (wrote ? " wrote" : " read") +
          " since the last barrier (a race on a GPU)");
    }
    if (write) {
      c.writeEpoch = launch.epoch;
      c.writer = me;
    } else if (c.readEpoch != launch.epoch) {
      c.readEpoch = launch.epoch;
      c.reader = me;
    } else if (c.reader != me) {
      c.reader = kSeveral;
    }
  }
}

void llama_rt_emu_check_aligned(int64_t address, int64_t alignment) {
  if (alignment > 0 && address % alignment != 0) {
    char msg[160];
    std::snprintf(msg, sizeof(msg),
                  "a vector access at 0x%llx claims %lld-byte alignment (a "
                  "GPU would fault)",
                  (unsigned long long)address, (long long)alignment);
    die(msg);
  }
}

} // extern "C"
