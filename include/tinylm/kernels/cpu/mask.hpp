#pragma once
// Triangular masks over the last two dims of [batch, R, C] buffers.
//
//   tril:         out[b, i, j] = x[b, i, j] if j - i <= k, else 0
//   causal_mask:  m[i, j] = j > Tk - Tq + i    (true where key j is in the
//                 future of query i, the last Tq of Tk positions)

#include <cstdint>

#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void tril(T* out, const T* x, int64_t batch, int64_t R, int64_t C, int64_t k) {
  parallel_for(batch * R, C, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t i = r % R;
      for (int64_t j = 0; j < C; ++j) out[r * C + j] = j - i <= k ? x[r * C + j] : T(0);
    }
  });
}

inline void causal_mask(bool* m, int64_t Tq, int64_t Tk) {
  parallel_for(Tq, Tk, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < Tk; ++j) m[i * Tk + j] = j > Tk - Tq + i;
  });
}

}  // namespace tinylm::kernels::cpu
