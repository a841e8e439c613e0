#pragma once
// gather, scatter, index_select and the triangular masks on a CUDA device:
// the declarations g++ sees (index.cu has the kernels; float and double
// values, every IndexElement index type). The formulas are
// kernels/cpu/gather.hpp's and kernels/cpu/mask.hpp's. Writes that can
// collide (scatter, the backward passes) are made by one thread per (o, i)
// column in order of j, so the last write wins, and sums add, as on the
// CPU: no atomics, the same bits every run.

#include <cstdint>

namespace tinylm::kernels::cuda {

template <class T, class I>
void gather_forward(int device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner);
/// Overwrites dx [outer, n, inner].
template <class T, class I>
void gather_backward(int device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                     int64_t inner);
template <class T, class I>
void scatter(int device, T* out, const T* src, const I* index, int64_t outer, int64_t n, int64_t m, int64_t inner,
             bool add);
template <class T, class I>
void index_select_forward(int device, T* out, const T* x, const I* index, int64_t outer, int64_t n, int64_t m,
                          int64_t inner);
/// Overwrites dx [outer, n, inner].
template <class T, class I>
void index_select_backward(int device, T* dx, const T* dout, const I* index, int64_t outer, int64_t n, int64_t m,
                           int64_t inner);

template <class T>
void tril(int device, T* out, const T* x, int64_t batch, int64_t R, int64_t C, int64_t k);
void causal_mask(int device, bool* m, int64_t Tq, int64_t Tk);

}  // namespace tinylm::kernels::cuda
