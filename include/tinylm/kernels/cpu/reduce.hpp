#pragma once
// Reductions over the middle axis of a contiguous [outer, n, inner] buffer,
// which is how a reduction over one dim of any contiguous tensor looks.
//
//   sum:  out[o, i] = sum_j in[o, j, i]
//   max:  out[o, i] = max_j in[o, j, i], arg[o, i] = first j attaining it
//   max backward: dx[o, arg[o, i], i] = dout[o, i], 0 elsewhere
//
// Each output is computed by one thread in a fixed order, so results do not
// depend on scheduling.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cpu {

template <class T>
T sum_contiguous(const T* in, int64_t n) {
  T s = T(0);
#pragma omp simd reduction(+ : s)
  for (int64_t j = 0; j < n; ++j) s += in[j];
  return s;
}

namespace detail {

/// sum of x_i^2 over [b, e) in double, in 16 interleaved partial sums that
/// the compiler keeps in two vector registers: a fixed order, so the same
/// bits on every run. (A loop with one accumulator under `omp simd` stayed
/// scalar inside the parallel lambda: 2 GB/s.)
template <class T>
double sum_squares_range(const T* x, int64_t b, int64_t e) {
  double acc[16] = {};
  int64_t i = b;
  for (; i + 16 <= e; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += static_cast<double>(x[i + j]) * static_cast<double>(x[i + j]);
  double s = 0.0;
  for (; i < e; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  for (double a : acc) s += a;
  return s;
}

}  // namespace detail

/// sum of x_i^2 in double: per-chunk partial sums (one chunk per thread)
/// added in chunk order, so the result depends only on the thread count.
template <class T>
double sum_squares(const T* x, int64_t n) {
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), n / kParallelGrain));
  std::vector<double> part(static_cast<std::size_t>(chunks), 0.0);
  parallel_for(chunks, n / chunks + 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      part[static_cast<std::size_t>(c)] = detail::sum_squares_range(x, n * c / chunks, n * (c + 1) / chunks);
  });
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

/// The index of the first NaN or infinity among x[0, n), or -1 when every
/// value is finite. Chunks are scanned in parallel; the smallest hit wins.
template <class T>
int64_t first_non_finite(const T* x, int64_t n) {
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), n / kParallelGrain));
  std::vector<int64_t> hit(static_cast<std::size_t>(chunks), -1);
  parallel_for(chunks, n / chunks + 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t i = n * c / chunks, e = n * (c + 1) / chunks; i < e; ++i)
        if (!std::isfinite(x[i])) {
          hit[static_cast<std::size_t>(c)] = i;
          break;
        }
  });
  for (int64_t h : hit)
    if (h >= 0) return h;
  return -1;
}

template <class T>
void sum_axis(T* out, const T* in, int64_t outer, int64_t n, int64_t inner) {
  if (inner == 1) {
    parallel_for(outer, n, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) out[o] = sum_contiguous(in + o * n, n);
    });
    return;
  }
  // Vectorize over `inner`. Parallelize over outer rows, or over chunks of
  // inner when there are too few rows to share (e.g. a bias gradient).
  auto body = [&](int64_t o, int64_t i0, int64_t i1) {
    T* dst = out + o * inner;
    const T* src = in + o * n * inner;
    for (int64_t i = i0; i < i1; ++i) dst[i] = T(0);
    for (int64_t j = 0; j < n; ++j) {
      const T* row = src + j * inner;
#pragma omp simd
      for (int64_t i = i0; i < i1; ++i) dst[i] += row[i];
    }
  };
  if (outer >= num_threads()) {
    parallel_for(outer, n * inner, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) body(o, 0, inner);
    });
  } else {
    for (int64_t o = 0; o < outer; ++o)
      parallel_for(inner, n, [&](int64_t begin, int64_t end) { body(o, begin, end); });
  }
}

template <class T, class I>
void max_axis(T* out, I* arg, const T* in, int64_t outer, int64_t n, int64_t inner) {
  parallel_for(outer * inner, n, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      T best;
      const int64_t best_j = formula::argmax_strided(in + (k / inner) * n * inner + k % inner, n, inner, best);
      out[k] = best;
      if (arg) arg[k] = static_cast<I>(best_j);
    }
  });
}

/// Overwrites dx [outer, n, inner]: dout routed to the positions `arg`
/// chose, zeros elsewhere.
template <class T, class I>
void max_axis_backward(T* dx, const T* dout, const I* arg, int64_t outer, int64_t n, int64_t inner) {
  parallel_for(outer, n * inner, [&](int64_t begin, int64_t end) {
    std::fill(dx + begin * n * inner, dx + end * n * inner, T(0));
    for (int64_t o = begin; o < end; ++o)
      for (int64_t i = 0; i < inner; ++i)
        dx[(o * n + static_cast<int64_t>(arg[o * inner + i])) * inner + i] = dout[o * inner + i];
  });
}

}  // namespace tinylm::kernels::cpu
