#pragma once
// Softmax + cross-entropy, fused, over logits [N, V] and integer targets [N].
//
// Forward, per row i with target t_i (rows whose target is ignore_index
// contribute nothing):
//
//   lse_i  = m_i + log(sum_j exp(x_ij - m_i)),  m_i = max_j x_ij
//   loss_i = lse_i - x_{i, t_i}
//
// With label smoothing eps the target is the distribution (1 - eps) on t_i
// plus eps / V on every class, and
//
//   loss_i = lse_i - (1 - eps) x_{i, t_i} - eps / V sum_j x_ij
//
// saves lse [N]. Backward, for the mean over the `count` kept rows:
//
//   dx_ij = g / count * (exp(x_ij - lse_i) - (1 - eps) [j == t_i] - eps / V)
//
// so the probabilities are recomputed from x and lse, never stored.

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

/// Fills lse [N] and loss [N] (0 for ignored rows). Returns the sum of the
/// kept rows' losses, added in row order, and their number.
template <class T, class I>
std::pair<T, int64_t> cross_entropy_forward(T* loss, T* lse, const T* x, const I* targets, int64_t N, int64_t V,
                                            int64_t ignore_index, T label_smoothing = T(0)) {
  parallel_for(N, V * 3, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * V;
      T m = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : m)
      for (int64_t j = 0; j < V; ++j) m = xr[j] > m ? xr[j] : m;
      const T s = sum_exp_shifted(xr, V, m);
      lse[r] = m + std::log(s);
      const int64_t t = static_cast<int64_t>(targets[r]);
      if (t == ignore_index) {
        loss[r] = T(0);
        continue;
      }
      loss[r] = lse[r] - (T(1) - label_smoothing) * xr[t];
      if (label_smoothing != T(0)) {
        T sx = T(0);
#pragma omp simd reduction(+ : sx)
        for (int64_t j = 0; j < V; ++j) sx += xr[j];
        loss[r] -= label_smoothing / static_cast<T>(V) * sx;
      }
    }
  });
  T total = T(0);
  int64_t count = 0;
  for (int64_t r = 0; r < N; ++r) {
    if (static_cast<int64_t>(targets[r]) == ignore_index) continue;
    ++count;
    total += loss[r];
  }
  return {total, count};
}

/// dx [N, V] = scale * (softmax(x) - the smoothed one-hot of t) on kept rows, 0 on ignored rows.
template <class T, class I>
void cross_entropy_backward(T* dx, const T* x, const T* lse, const I* targets, int64_t N, int64_t V,
                            int64_t ignore_index, T scale, T label_smoothing = T(0)) {
  const T uniform = scale * label_smoothing / static_cast<T>(V);
  parallel_for(N, V * 2, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * V;
      T* dr = dx + r * V;
      const int64_t t = static_cast<int64_t>(targets[r]);
      if (t == ignore_index) {
        for (int64_t j = 0; j < V; ++j) dr[j] = T(0);
        continue;
      }
      const T l = lse[r];
      exp_shifted(dr, xr, V, l);
#pragma omp simd
      for (int64_t j = 0; j < V; ++j) dr[j] = scale * dr[j] - uniform;
      dr[t] -= scale * (T(1) - label_smoothing);
    }
  });
}

}  // namespace tinylm::kernels::cpu
