#pragma once
// Embedding lookup: out[i, :] = weight[idx[i], :] for N indices into a
// [V, C] table. Backward scatter-adds: dweight[idx[i], :] += dout[i, :].
// The backward splits the C columns among threads, so each weight element
// is written by one thread, in index order: no atomics, deterministic.

#include <cstdint>

#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

template <class T, class I>
void embedding_forward(T* out, const T* weight, const I* idx, int64_t N, int64_t C) {
  parallel_for(N, C, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T* src = weight + static_cast<int64_t>(idx[i]) * C;
      T* dst = out + i * C;
      for (int64_t c = 0; c < C; ++c) dst[c] = src[c];
    }
  });
}

/// Accumulates into dweight (which the caller zeroes or keeps).
template <class T, class I>
void embedding_backward(T* dweight, const T* dout, const I* idx, int64_t N, int64_t C) {
  parallel_for(C, N, [&](int64_t c0, int64_t c1) {
    for (int64_t i = 0; i < N; ++i) {
      T* dst = dweight + static_cast<int64_t>(idx[i]) * C;
      const T* src = dout + i * C;
#pragma omp simd
      for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
    }
  });
}

}  // namespace tinylm::kernels::cpu
