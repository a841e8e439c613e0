#pragma once
// Elementwise kernels: maps over contiguous buffers, and a strided walker
// for broadcasting binary ops and copies between layouts.
//
// The strided walker first merges adjacent dimensions that are contiguous
// for every operand, so that the common cases (same shape; a row vector
// broadcast over rows; a scalar) collapse into one long inner loop with unit
// or zero strides, which the compiler vectorizes.

#include <cstdint>

#include "tinylm/kernels/cpu/lanes.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

/// out[i] = op(in[i]) for i < n.
template <class To, class Ti, class Op>
void map(To* out, const Ti* in, int64_t n, Op op) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = op(in[i]);
  });
}

/// out[i] = op(a[i], b[i]) for i < n.
template <class To, class Ta, class Tb, class Op>
void map2(To* out, const Ta* a, const Tb* b, int64_t n, Op op) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = op(a[i], b[i]);
  });
}

/// out[i] = op(in[i]) for i < n, where op is generic over its value type:
/// for float, a register at a time (kernels/cpu/lanes.hpp).
template <class T, class Op>
void map_lanes(T* out, const T* in, int64_t n, Op op) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
    for_lanes<T>(end - begin, [&](auto lanes, int64_t j) {
      using V = decltype(lanes);
      store_as(out + begin + j, op(load_as<V>(in + begin + j)));
    });
  });
}

/// out[i] = op(a[i], b[i]) for i < n, a register at a time as map_lanes.
template <class T, class Op>
void map2_lanes(T* out, const T* a, const T* b, int64_t n, Op op) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
    for_lanes<T>(end - begin, [&](auto lanes, int64_t j) {
      using V = decltype(lanes);
      store_as(out + begin + j, op(load_as<V>(a + begin + j), load_as<V>(b + begin + j)));
    });
  });
}

template <class T>
void fill(T* out, T value, int64_t n) {
  parallel_for(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = value;
  });
}

namespace detail {

inline constexpr int kMaxWalkDims = 8;

/// A layout shared by K operands after merging dimensions: sizes, and each
/// operand's strides (in elements).
template <int K>
struct Walk {
  int ndim = 0;
  int64_t size[kMaxWalkDims] = {};
  int64_t stride[K][kMaxWalkDims] = {};

  Walk(const int64_t* shape, int nd, const int64_t* const* strides) {
    for (int d = 0; d < nd; ++d) {
      if (shape[d] == 1) continue;  // size-1 dims contribute nothing
      bool merge = ndim > 0;
      for (int k = 0; k < K && merge; ++k) merge = stride[k][ndim - 1] == strides[k][d] * shape[d];
      if (merge) {
        size[ndim - 1] *= shape[d];
        for (int k = 0; k < K; ++k) stride[k][ndim - 1] = strides[k][d];
      } else {
        size[ndim] = shape[d];
        for (int k = 0; k < K; ++k) stride[k][ndim] = strides[k][d];
        ++ndim;
      }
    }
  }

  int64_t inner() const { return ndim ? size[ndim - 1] : 1; }
  int64_t rows() const {
    int64_t r = 1;
    for (int d = 0; d + 1 < ndim; ++d) r *= size[d];
    return r;
  }
  /// Offsets of each operand at the start of row `row`.
  void row_offsets(int64_t row, int64_t* off) const {
    for (int k = 0; k < K; ++k) off[k] = 0;
    for (int d = ndim - 2; d >= 0; --d) {
      const int64_t i = row % size[d];
      row /= size[d];
      for (int k = 0; k < K; ++k) off[k] += i * stride[k][d];
    }
  }
};

/// Calls f(offsets, inner, inner_strides) for every row of the walk, in
/// parallel over rows when there is enough work.
template <int K, class F>
void walk_rows(const Walk<K>& w, F&& f) {
  const int64_t inner = w.inner(), rows = w.rows();
  int64_t inner_stride[K];
  for (int k = 0; k < K; ++k) inner_stride[k] = w.ndim ? w.stride[k][w.ndim - 1] : 0;
  parallel_for(rows, inner, [&](int64_t begin, int64_t end) {
    int64_t off[K];
    for (int64_t r = begin; r < end; ++r) {
      w.row_offsets(r, off);
      f(off, inner, inner_stride);
    }
  });
}

}  // namespace detail

/// out (contiguous, `shape`) = op(a, b), with a and b read through strides;
/// a stride of 0 broadcasts that dimension.
template <class To, class Ta, class Tb, class Op>
void binary_strided(To* out, const Ta* a, const int64_t* a_strides, const Tb* b, const int64_t* b_strides,
                    const int64_t* shape, int ndim, Op op) {
  int64_t out_strides[detail::kMaxWalkDims];
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    out_strides[d] = s;
    s *= shape[d];
  }
  const int64_t* strides[3] = {out_strides, a_strides, b_strides};
  detail::Walk<3> w(shape, ndim, strides);
  detail::walk_rows(w, [&](const int64_t* off, int64_t n, const int64_t* st) {
    To* o = out + off[0];
    const Ta* pa = a + off[1];
    const Tb* pb = b + off[2];
    if (st[1] == 1 && st[2] == 1) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = op(pa[i], pb[i]);
    } else if (st[1] == 1 && st[2] == 0) {
      const Tb vb = *pb;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = op(pa[i], vb);
    } else if (st[1] == 0 && st[2] == 1) {
      const Ta va = *pa;
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) o[i] = op(va, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = op(pa[i * st[1]], pb[i * st[2]]);
    }
  });
}

/// out (contiguous, `shape`) = op(a, b, c), all read through strides.
template <class To, class Ta, class Tb, class Tc, class Op>
void ternary_strided(To* out, const Ta* a, const int64_t* a_strides, const Tb* b, const int64_t* b_strides, const Tc* c,
                     const int64_t* c_strides, const int64_t* shape, int ndim, Op op) {
  int64_t out_strides[detail::kMaxWalkDims];
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; --d) {
    out_strides[d] = s;
    s *= shape[d];
  }
  const int64_t* strides[4] = {out_strides, a_strides, b_strides, c_strides};
  detail::Walk<4> w(shape, ndim, strides);
  detail::walk_rows(w, [&](const int64_t* off, int64_t n, const int64_t* st) {
    To* o = out + off[0];
    const Ta* pa = a + off[1];
    const Tb* pb = b + off[2];
    const Tc* pc = c + off[3];
    for (int64_t i = 0; i < n; ++i) o[i] = op(pa[i * st[1]], pb[i * st[2]], pc[i * st[3]]);
  });
}

namespace detail {

/// dst[i] = op(dst[i], src[i]) over two strided layouts of `shape`.
template <class T, class Op>
void update_strided(T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides, const int64_t* shape,
                    int ndim, Op op) {
  const int64_t* strides[2] = {dst_strides, src_strides};
  Walk<2> w(shape, ndim, strides);
  walk_rows(w, [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* d = dst + off[0];
    const T* s = src + off[1];
    if (st[0] == 1 && st[1] == 1) {
#pragma omp simd
      for (int64_t i = 0; i < n; ++i) d[i] = op(d[i], s[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) d[i * st[0]] = op(d[i * st[0]], s[i * st[1]]);
    }
  });
}

}  // namespace detail

/// dst (strided) = src (strided), both of `shape`.
template <class T>
void copy_strided(T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides, const int64_t* shape,
                  int ndim) {
  detail::update_strided(dst, dst_strides, src, src_strides, shape, ndim, [](T, T s) { return s; });
}

/// dst (strided) += src (strided), both of `shape`. dst must not overlap itself.
template <class T>
void add_strided(T* dst, const int64_t* dst_strides, const T* src, const int64_t* src_strides, const int64_t* shape,
                 int ndim) {
  detail::update_strided(dst, dst_strides, src, src_strides, shape, ndim, [](T d, T s) { return d + s; });
}

}  // namespace tinylm::kernels::cpu
