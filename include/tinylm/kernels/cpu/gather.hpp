#pragma once
// gather and scatter along the middle axis of [outer, n, inner]:
//
//   gather:       out[o, j, i] = x[o, index[o, j, i], i]          for j < m
//   scatter:      out[o, index[o, j, i], i] = src[o, j, i]        (in order of j: the last write wins)
//   scatter add:  out[o, index[o, j, i], i] += src[o, j, i]
//   gather's backward is a scatter add into zeros.
//
//   index_select: out[o, j, i] = x[o, index[j], i]   (whole rows picked by one index list)
//   its backward: dx[o, index[j], i] += dout[o, j, i], threads splitting i so
//   that the adds into one element stay in order of j
//
// Indices must lie in [0, n) (the ops check them). Scatters split the outer
// rows among threads: two indices that collide always belong to the same
// row o, which one thread handles in order of j, so the result is the same
// for every thread count.

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

namespace detail {

template <class T, class I>
void scatter_rows(T* out, const T* src, const I* index, int64_t o, int64_t n, int64_t m, int64_t inner, bool add) {
  for (int64_t j = 0; j < m; ++j) {
    const int64_t r = o * m + j;
    for (int64_t i = 0; i < inner; ++i) {
      T& dst = out[(o * n + static_cast<int64_t>(index[r * inner + i])) * inner + i];
      dst = add ? dst + src[r * inner + i] : src[r * inner + i];
    }
  }
}

}  // namespace detail

/// Writes (or, with `add`, adds) src [outer, m, inner] into out [outer, n,
/// inner] at the positions `index` names; out keeps its other values.
template <class T, class I>
void scatter(T* out, const T* src, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner, bool add) {
  parallel_for(outer, m * inner, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) detail::scatter_rows(out, src, index, o, n, m, inner, add);
  });
}

/// Overwrites dx [outer, n, inner].
template <class T, class I>
void gather_backward(T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner) {
  parallel_for(outer, (n + m) * inner, [&](int64_t begin, int64_t end) {
    std::fill(dx + begin * n * inner, dx + end * n * inner, T(0));
    for (int64_t o = begin; o < end; ++o) detail::scatter_rows(dx, dout, index, o, n, m, inner, true);
  });
}

/// out [outer, m, inner] = the rows index [m] of x [outer, n, inner].
template <class T, class I>
void index_select_forward(T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner) {
  parallel_for(outer * m, inner, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {  // r = o * m + j
      const int64_t o = r / m, j = r % m;
      const T* src = x + (o * n + static_cast<int64_t>(index[j])) * inner;
      std::copy(src, src + inner, out + r * inner);
    }
  });
}

/// Overwrites dx [outer, n, inner].
template <class T, class I>
void index_select_backward(T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner) {
  std::fill(dx, dx + outer * n * inner, T(0));
  parallel_for(inner, outer * m, [&](int64_t i0, int64_t i1) {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < m; ++j) {
        T* dst = dx + (o * n + static_cast<int64_t>(index[j])) * inner;
        const T* src = dout + (o * m + j) * inner;
        for (int64_t i = i0; i < i1; ++i) dst[i] += src[i];
      }
  });
}

}  // namespace tinylm::kernels::cpu
