#pragma once
// Softmax and log-softmax over the middle axis of [outer, n, inner].
//
//   y = softmax(x):      y_j = exp(x_j - m) / sum_k exp(x_k - m),  m = max_k x_k
//   y = log_softmax(x):  y_j = x_j - m - log(sum_k exp(x_k - m))
//
// Subtracting the max keeps exp() from overflowing and changes nothing
// mathematically. Backward, given dy:
//
//   softmax:      dx_j = y_j * (dy_j - sum_k dy_k y_k)
//   log_softmax:  dx_j = dy_j - exp(y_j) * sum_k dy_k
//
// Both need only the saved output y, never the input.

#include <cmath>
#include <cstdint>
#include <limits>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

namespace detail {

/// One contiguous row (the common case, softmax over the last dim), vectorized.
template <class T>
void softmax_row(T* y, const T* x, int64_t n, bool log) {
  T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
  for (int64_t j = 0; j < n; ++j) m = x[j] > m ? x[j] : m;
  m = formula::softmax_shift(m);  // all -inf: avoid inf - inf
  const T s = exp_shifted(y, x, n, m);
  if (log) {
    const T lse = m + std::log(s);
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] = x[j] - lse;
  } else {
    const T r = T(1) / s;
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] *= r;
  }
}

}  // namespace detail

template <class T>
void softmax_forward(T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (inner == 1) {
    parallel_for(outer, n * 4, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) detail::softmax_row(out + r * n, in + r * n, n, log);
    });
    return;
  }
  parallel_for(outer * inner, n * 4, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t o = k / inner, i = k % inner;
      const T* x = in + o * n * inner + i;
      T* y = out + o * n * inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (int64_t j = 0; j < n; ++j) m = x[j * inner] > m ? x[j * inner] : m;
      m = formula::softmax_shift(m);  // all -inf: avoid inf - inf
      T s = T(0);
      if (log) {
        for (int64_t j = 0; j < n; ++j) s += vexp(x[j * inner] - m);
        const T lse = m + std::log(s);
        for (int64_t j = 0; j < n; ++j) y[j * inner] = x[j * inner] - lse;
      } else {
        for (int64_t j = 0; j < n; ++j) {
          const T e = vexp(x[j * inner] - m);
          y[j * inner] = e;
          s += e;
        }
        const T r = T(1) / s;
        for (int64_t j = 0; j < n; ++j) y[j * inner] *= r;
      }
    }
  });
}

template <class T>
void softmax_backward(T* dx, const T* dy, const T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  parallel_for(outer * inner, n * 3, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const int64_t base = (k / inner) * n * inner + k % inner;
      const T* py = y + base;
      const T* pdy = dy + base;
      T* pdx = dx + base;
      T s = T(0);
      if (log) {
        for (int64_t j = 0; j < n; ++j) s += pdy[j * inner];
        for (int64_t j = 0; j < n; ++j) pdx[j * inner] = pdy[j * inner] - vexp(py[j * inner]) * s;
      } else {
        for (int64_t j = 0; j < n; ++j) s += pdy[j * inner] * py[j * inner];
        for (int64_t j = 0; j < n; ++j) pdx[j * inner] = py[j * inner] * (pdy[j * inner] - s);
      }
    }
  });
}

}  // namespace tinylm::kernels::cpu
