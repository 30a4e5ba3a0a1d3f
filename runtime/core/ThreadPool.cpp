//===- ThreadPool.cpp - The thread pool the generated code uses -*- C++ -*-===//
//
// Implements ThreadPool.h with std::thread, one generation counter that
// announces work, one cursor from which the threads take chunks of the
// range, and one counter of threads that found the range used up.
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

/// A hint to the core that this is a spin-wait (x86 `pause`, Arm `yield`):
/// no system call, unlike std::this_thread::yield.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Spins until `ready()`: on the CPU for the first `spinFor` (the other
/// threads run on their own cores and finish within microseconds), then
/// giving the core away between checks (more threads than cores). Returns
/// whether `ready()` became true before `giveUpAfter` (never, if zero).
template <typename F>
bool spinUntil(F ready, std::chrono::microseconds spinFor,
               std::chrono::microseconds giveUpAfter) {
  auto start = std::chrono::steady_clock::now();
  for (unsigned i = 0;; ++i) {
    if (ready())
      return true;
    if (i % 64 != 63) {
      cpuRelax();
      continue;
    }
    auto spent = std::chrono::steady_clock::now() - start;
    if (giveUpAfter.count() && spent >= giveUpAfter)
      return false;
    if (spent >= spinFor)
      std::this_thread::yield();
  }
}

class Pool {
public:
  ~Pool() { resize(1); }

  void resize(int n) {
    if (n < 1)
      n = 1;
    if (static_cast<size_t>(n) == workers_.size() + 1)
      return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (std::thread &t : workers_)
      t.join();
    workers_.clear();
    stop_ = false;
    nThreads_ = n;
    // A worker must wait for the generation after this one even if it
    // starts running only after the first loop was announced.
    uint64_t start = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < n; ++i)
      workers_.emplace_back([this, start] { work(start); });
  }

  int threads() const { return nThreads_; }

  void run(llama_rt_loop_fn fn, void *ctx, int64_t lb, int64_t ub) {
    int64_t n = ub - lb;
    if (n <= 0)
      return;
    if (nThreads_ == 1 || n == 1) {
      fn(ctx, lb, ub);
      return;
    }
    fn_ = fn;
    ctx_ = ctx;
    ub_ = ub;
    next_.store(lb, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    share();
    spinUntil(
        [&] { return done_.load(std::memory_order_acquire) == nThreads_ - 1; },
        std::chrono::microseconds(1000), std::chrono::microseconds(0));
  }

private:
  /// Runs chunks of the range until none is left. Guided self-scheduling:
  /// each chunk is 1/(2 x threads) of what is left, so the first chunks are
  /// long contiguous streams of rows (what the hardware prefetchers and the
  /// tiles' software prefetch want) and the last ones are single iterations
  /// that even out a thread slowed by the machine (another process, an
  /// interrupt, a slower core): with one fixed share per thread, the others
  /// waited for it at every loop.
  void share() {
    int64_t t2 = 2 * static_cast<int64_t>(nThreads_);
    int64_t lo = next_.load(std::memory_order_relaxed);
    for (;;) {
      int64_t left = ub_ - lo;
      if (left <= 0)
        return;
      int64_t n = std::max<int64_t>(1, left / t2);
      if (!next_.compare_exchange_weak(lo, lo + n, std::memory_order_relaxed))
        continue;
      fn_(ctx_, lo, lo + n);
      lo = next_.load(std::memory_order_relaxed);
    }
  }

  void work(uint64_t seen) {
    for (;;) {
      // Spin for a while (the next loop usually comes within microseconds),
      // then sleep until told.
      bool announced = spinUntil(
          [&] { return generation_.load(std::memory_order_acquire) != seen; },
          std::chrono::microseconds(100), std::chrono::microseconds(200));
      if (!announced) {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] {
          return generation_.load(std::memory_order_acquire) != seen;
        });
      }
      seen = generation_.load(std::memory_order_acquire);
      if (stop_)
        return;
      share();
      done_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> workers_;
  int nThreads_ = 1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> done_{0};
  bool stop_ = false;
  llama_rt_loop_fn fn_ = nullptr;
  void *ctx_ = nullptr;
  std::atomic<int64_t> next_{0};
  int64_t ub_ = 0;
};

Pool &pool() {
  static Pool p;
  return p;
}

} // namespace

extern "C" void llama_rt_parallel_for(llama_rt_loop_fn fn, void *ctx,
                                      int64_t lb, int64_t ub) {
  pool().run(fn, ctx, lb, ub);
}

extern "C" void llama_rt_set_threads(int n) { pool().resize(n); }

extern "C" int llama_rt_threads(void) { return pool().threads(); }
