//===- ThreadPoolTest.cpp - The runtime's parallel loops ----------------===//
//
// Every index of a parallel loop runs exactly once, for any thread count and
// range, over many back-to-back loops (the decode pattern), including right
// after the pool is resized (workers that start late must still join).
//
//===----------------------------------------------------------------------===//

#include "runtime/core/ThreadPool.h"

#include "gtest/gtest.h"

#include <atomic>
#include <vector>

namespace {

struct Hits {
  std::vector<std::atomic<int>> count;
  explicit Hits(size_t n) : count(n) {}
};

void body(void *ctx, int64_t lo, int64_t hi) {
  auto *h = static_cast<Hits *>(ctx);
  for (int64_t i = lo; i < hi; ++i)
    h->count[static_cast<size_t>(i)].fetch_add(1);
}

TEST(ThreadPool, EveryIndexRunsExactlyOnce) {
  for (int threads : {1, 2, 3, 4}) {
    llama_rt_set_threads(threads);
    EXPECT_EQ(llama_rt_threads(), threads);
    for (int64_t n : {0, 1, 2, 5, 97, 1000}) {
      for (int rep = 0; rep < 200; ++rep) {
        Hits h(static_cast<size_t>(n) + 3);
        llama_rt_parallel_for(body, &h, 3, n + 3);
        for (int64_t i = 0; i < n + 3; ++i)
          ASSERT_EQ(h.count[static_cast<size_t>(i)].load(), i < 3 ? 0 : 1)
              << "threads " << threads << " n " << n << " index " << i;
      }
    }
  }
  llama_rt_set_threads(1);
}

TEST(ThreadPool, LoopRightAfterResize) {
  for (int rep = 0; rep < 100; ++rep) {
    llama_rt_set_threads(rep % 2 ? 3 : 2);
    Hits h(64);
    llama_rt_parallel_for(body, &h, 0, 64);
    for (auto &c : h.count)
      ASSERT_EQ(c.load(), 1);
  }
  llama_rt_set_threads(1);
}

} // namespace
