#pragma once
// One LSTM step after the matrix products, fused, over B rows of H units.
// gates [B, 4H] hold the pre-activations a_i, a_f, a_g, a_o side by side.
//
//   i = sigmoid(a_i)  f = sigmoid(a_f)  g = tanh(a_g)  o = sigmoid(a_o)
//   c = f * c_prev + i * g
//   h = o * tanh(c)
//
// Forward also writes act [B, 4H] = i, f, g, o for backward. Backward,
// given dh and dc (the gradient reaching c from later steps; either may be
// null, meaning zero):
//
//   dc'   = dc + dh * o * (1 - tanh^2 c)
//   da_o  = dh * tanh(c) * o (1 - o)
//   da_i  = dc' * g * i (1 - i)        da_g = dc' * i * (1 - g^2)
//   da_f  = dc' * c_prev * f (1 - f)   dc_prev = dc' * f

#include <cstdint>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void lstm_cell_forward(T* h, T* c, T* act, const T* gates, const T* c_prev, int64_t B, int64_t H) {
  parallel_for(B, 32 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* a = gates + b * 4 * H;
      T* s = act + b * 4 * H;
      const T* cp = c_prev + b * H;
      T* hb = h + b * H;
      T* cb = c + b * H;
      for (int64_t j = 0; j < H; ++j) {
        const T i = formula::sigmoid(a[j]);
        const T f = formula::sigmoid(a[H + j]);
        const T g = vtanh(a[2 * H + j]);
        const T o = formula::sigmoid(a[3 * H + j]);
        const T cj = f * cp[j] + i * g;
        s[j] = i, s[H + j] = f, s[2 * H + j] = g, s[3 * H + j] = o;
        cb[j] = cj;
        hb[j] = o * vtanh(cj);
      }
    }
  });
}

/// Overwrites dgates [B, 4H] and dc_prev [B, H].
template <class T>
void lstm_cell_backward(T* dgates, T* dc_prev, const T* dh, const T* dc, const T* act, const T* c_prev, const T* c,
                        int64_t B, int64_t H) {
  parallel_for(B, 32 * H, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* s = act + b * 4 * H;
      const T* cp = c_prev + b * H;
      const T* cb = c + b * H;
      T* d = dgates + b * 4 * H;
      for (int64_t j = 0; j < H; ++j) {
        const T i = s[j], f = s[H + j], g = s[2 * H + j], o = s[3 * H + j];
        const T tc = vtanh(cb[j]);
        const T dhj = dh ? dh[b * H + j] : T(0);
        const T dcj = (dc ? dc[b * H + j] : T(0)) + dhj * o * (T(1) - tc * tc);
        d[j] = dcj * g * i * (T(1) - i);
        d[H + j] = dcj * cp[j] * f * (T(1) - f);
        d[2 * H + j] = dcj * i * (T(1) - g * g);
        d[3 * H + j] = dhj * tc * o * (T(1) - o);
        dc_prev[b * H + j] = dcj * f;
      }
    }
  });
}

}  // namespace tinylm::kernels::cpu
