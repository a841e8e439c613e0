#pragma once
// Threading for the CPU kernels: one parallel job per kernel call, split
// statically over the outermost independent dimension, and no job at all
// below a work threshold (starting one costs about a microsecond).
//
// The threads are tinylm's own (kernels/cpu/thread_pool.hpp), which sleep
// when idle instead of spinning the cores away from other processes. How
// many: set_num_threads(n), else the environment variable
// TINYLM_NUM_THREADS, else OMP_NUM_THREADS, else every CPU the process may
// run on.
//
// Static splitting makes every result a function of the data and the thread
// count only, which is what the determinism contract asks for.

#include <algorithm>
#include <cstdint>

#include "tinylm/core/error.hpp"
#include "tinylm/kernels/cpu/thread_pool.hpp"

namespace tinylm {

/// Sets the number of threads the CPU kernels use (the calling thread included).
inline void set_num_threads(int n) {
  TINYLM_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
  kernels::cpu::ThreadPool::instance().resize(n);
}

/// The number of threads a kernel may use.
inline int num_threads() { return kernels::cpu::ThreadPool::instance().size(); }

namespace kernels::cpu {

/// Below this many elements of work a loop runs on the calling thread.
inline constexpr int64_t kParallelGrain = 1 << 15;

/// Calls f(begin, end) over [0, n) split into one contiguous chunk per
/// thread; `cost` is the work per item (in elements), used only to decide
/// whether threads pay off. Chunk boundaries depend on n, cost and the
/// thread count only, never on which thread runs a chunk.
template <class F>
void parallel_for(int64_t n, int64_t cost, F&& f) {
  if (n <= 0) return;
  const int64_t work = n * std::max<int64_t>(cost, 1);
  int64_t threads = std::min<int64_t>(num_threads(), n);
  threads = std::min<int64_t>(threads, std::max<int64_t>(1, work / kParallelGrain));
  if (detail::in_parallel_region()) threads = 1;  // a kernel inside a kernel's chunk: one chunk, this thread
  const int64_t chunk = (n + threads - 1) / threads;
  auto run_chunk = [&](int64_t t) {
    const int64_t begin = t * chunk, end = std::min(n, begin + chunk);
    if (begin < end) f(begin, end);
  };
  // One chunk runs on this thread, through the same call as the parallel
  // case: the compiler then builds each kernel's body once, not twice.
  ThreadPool::instance().run(threads, run_chunk);
}

}  // namespace kernels::cpu
}  // namespace tinylm
