#pragma once
// gather along the middle axis of [outer, n, inner], and its backward:
//
//   out[o, j, i] = x[o, index[o, j, i], i]          for j < m
//   dx[o, index[o, j, i], i] += dout[o, j, i]        (dx zeroed first)
//
// Indices must lie in [0, n) (the op checks them). Backward splits the
// outer rows among threads: two indices that collide always belong to the
// same row o, which one thread sums in order of j, so the result is the
// same for every thread count.

#include <algorithm>
#include <cstdint>

#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

template <class T, class I>
void gather_forward(T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner) {
  parallel_for(outer * m, inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {  // r = o * m + j
      const int64_t o = r / m;
      const I* idx = index + r * inner;
      T* dst = out + r * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = x[(o * n + static_cast<int64_t>(idx[i])) * inner + i];
    }
  });
}

/// Overwrites dx [outer, n, inner].
template <class T, class I>
void gather_backward(T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner) {
  parallel_for(outer, (n + m) * inner, [&](int64_t begin, int64_t end) {
    std::fill(dx + begin * n * inner, dx + end * n * inner, T(0));
    for (int64_t o = begin; o < end; ++o)
      for (int64_t j = 0; j < m; ++j) {
        const int64_t r = o * m + j;
        for (int64_t i = 0; i < inner; ++i)
          dx[(o * n + static_cast<int64_t>(index[r * inner + i])) * inner + i] += dout[r * inner + i];
      }
  });
}

}  // namespace tinylm::kernels::cpu
