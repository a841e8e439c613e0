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

#include "tinylm/kernels/cpu/lanes.hpp"
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
      for_lanes<T>(H, [&](auto lanes, int64_t j) {
        using V = decltype(lanes);
        const V i = formula::sigmoid(load_as<V>(a + j));
        const V f = formula::sigmoid(load_as<V>(a + H + j));
        const V g = formula::tanh(load_as<V>(a + 2 * H + j));
        const V o = formula::sigmoid(load_as<V>(a + 3 * H + j));
        const V cj = f * load_as<V>(cp + j) + i * g;
        store_as(s + j, i), store_as(s + H + j, f), store_as(s + 2 * H + j, g), store_as(s + 3 * H + j, o);
        store_as(cb + j, cj);
        store_as(hb + j, o * formula::tanh(cj));
      });
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
      for_lanes<T>(H, [&](auto lanes, int64_t j) {
        using V = decltype(lanes);
        const V i = load_as<V>(s + j), f = load_as<V>(s + H + j), g = load_as<V>(s + 2 * H + j),
                o = load_as<V>(s + 3 * H + j);
        const V tc = formula::tanh(load_as<V>(cb + j));
        const V dhj = dh ? load_as<V>(dh + b * H + j) : V{};
        const V dcj = (dc ? load_as<V>(dc + b * H + j) : V{}) + dhj * o * (T(1) - tc * tc);
        store_as(d + j, dcj * g * i * (T(1) - i));
        store_as(d + H + j, dcj * load_as<V>(cp + j) * f * (T(1) - f));
        store_as(d + 2 * H + j, dcj * i * (T(1) - g * g));
        store_as(d + 3 * H + j, dhj * tc * o * (T(1) - o));
        store_as(dc_prev + b * H + j, dcj * f);
      });
    }
  });
}

}  // namespace tinylm::kernels::cpu
