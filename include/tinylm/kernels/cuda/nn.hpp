#pragma once
// The CUDA kernels of the per-element and per-row layers a GPT step runs:
// GELU, dropout's mask, AdamW's update, softmax, LayerNorm and the LSTM
// cell, forward and backward. Declarations for g++; nn.cu has the kernels, which run
// kernels/formulas.hpp's arithmetic, the CPU's own. float and double.
// Pointers are device pointers; work goes to the device's stream.
// Reductions are fixed trees in shared memory and per-column loops, never
// atomics, so a result is the same bits every run.

#include <cstdint>

namespace tinylm::kernels::cuda {

template <class T>
void gelu_tanh_forward(int device, T* out, const T* x, int64_t n);
template <class T>
void gelu_tanh_backward(int device, T* dx, const T* dy, const T* x, int64_t n);
template <class T>
void gelu_erf_forward(int device, T* out, const T* x, int64_t n);
template <class T>
void gelu_erf_backward(int device, T* dx, const T* dy, const T* x, int64_t n);

/// mask[i] = scale when Philox's word i under `key` is >= threshold, else 0
/// (kernels/philox.hpp: the CPU kernel's rule, so one key gives one mask).
template <class T>
void dropout_mask(int device, T* mask, int64_t n, uint64_t key, uint64_t threshold, T scale);

template <class T>
void adam_update(int device, T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, int64_t step);

template <class T>
void softmax_forward(int device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner, bool log);
template <class T>
void softmax_backward(int device, T* dx, const T* dy, const T* y, int64_t outer, int64_t n, int64_t inner, bool log);

template <class T>
void layernorm_forward(int device, T* out, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t N, int64_t C,
                       T eps);
/// dx is overwritten; dw and db (either may be null) are overwritten with the sums over rows.
template <class T>
void layernorm_backward(int device, T* dx, T* dw, T* db, const T* dy, const T* x, const T* mean, const T* rstd,
                        const T* w, int64_t N, int64_t C);

/// One LSTM step after the matrix products (kernels/cpu/lstm.hpp's formulas).
template <class T>
void lstm_cell_forward(int device, T* h, T* c, T* act, const T* gates, const T* c_prev, int64_t B, int64_t H);
/// Overwrites dgates and dc_prev; dh and dc may be null (zero).
template <class T>
void lstm_cell_backward(int device, T* dgates, T* dc_prev, const T* dh, const T* dc, const T* act, const T* c_prev,
                        const T* c, int64_t B, int64_t H);

}  // namespace tinylm::kernels::cuda
