#pragma once
// Threading for the CPU kernels: one OpenMP parallel region per kernel call,
// split statically over the outermost independent dimension, and no region
// at all below a work threshold (a region costs a few microseconds).
//
// Static splitting makes every result a function of the data and the thread
// count only, which is what the determinism contract asks for.

#include <algorithm>
#include <cstdint>

#include "tinylm/core/error.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace tinylm {

/// Sets the number of threads the CPU kernels (and Eigen's GEMM) use.
inline void set_num_threads(int n) {
  TINYLM_CHECK(n >= 1, "set_num_threads: need at least 1 thread, got ", n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
}

/// The number of threads a kernel may use.
inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace kernels::cpu {

/// Below this many elements of work a loop runs on the calling thread.
inline constexpr int64_t kParallelGrain = 1 << 15;

/// Calls f(begin, end) over [0, n) split into one contiguous chunk per
/// thread; `cost` is the work per item (in elements), used only to decide
/// whether threads pay off.
template <class F>
void parallel_for(int64_t n, int64_t cost, F&& f) {
  if (n <= 0) return;
#ifdef _OPENMP
  const int64_t work = n * std::max<int64_t>(cost, 1);
  int64_t threads = std::min<int64_t>(omp_get_max_threads(), n);
  threads = std::min<int64_t>(threads, std::max<int64_t>(1, work / kParallelGrain));
  if (threads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(static_cast<int>(threads))
    {
      const int64_t t = omp_get_thread_num();
      const int64_t chunk = (n + threads - 1) / threads;
      const int64_t begin = t * chunk, end = std::min(n, begin + chunk);
      if (begin < end) f(begin, end);
    }
    return;
  }
#endif
  f(int64_t{0}, n);
}

}  // namespace kernels::cpu
}  // namespace tinylm
