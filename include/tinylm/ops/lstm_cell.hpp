#pragma once
// lstm_cell(gates, c_prev): one LSTM step after the matrix products, fused.
//
// gates (B, 4H) are the pre-activations a_i, a_f, a_g, a_o side by side;
// the output is (B, 2H): h and c side by side (narrow it to split):
//
//   i = sigmoid(a_i)  f = sigmoid(a_f)  g = tanh(a_g)  o = sigmoid(a_o)
//   c = f * c_prev + i * g
//   h = o * tanh(c)
//
// Backward, given dh and dc (the gradient reaching c from later steps):
//
//   dc'   = dc + dh * o * (1 - tanh^2 c)
//   da_o  = dh * tanh(c) * o (1 - o)
//   da_i  = dc' * g * i (1 - i)       da_g = dc' * i * (1 - g^2)
//   da_f  = dc' * c_prev * f (1 - f)   dc_prev = dc' * f
//
// Saves i, f, g, o, c_prev and c. lstm_cell_reference() is the composition of
// sigmoid, tanh, mul and add the LSTM was first written with; tests hold the
// two equal.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/join.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm {

template <FloatElement T>
Tensor<T> lstm_cell(const Tensor<T>& gates, const Tensor<T>& c_prev) {
  detail::check_defined(gates, "lstm_cell", "gates");
  detail::check_defined(c_prev, "lstm_cell", "c_prev");
  TINYLM_CHECK(c_prev.dim() == 2 && gates.dim() == 2 && gates.size(0) == c_prev.size(0) &&
                   gates.size(1) == 4 * c_prev.size(1),
               "lstm_cell: gates are ", gates.shape(), ", c_prev is ", c_prev.shape(), ": expected [B, 4H] and [B, H]");
  const int64_t B = c_prev.size(0), H = c_prev.size(1);
  const Tensor<T> a = detail::contiguous_data(gates), cp = detail::contiguous_data(c_prev);
  Tensor<T> act = Tensor<T>::empty({B, 4 * H});  // i, f, g, o after their nonlinearities
  Tensor<T> out = Tensor<T>::empty({B, 2 * H});  // h, c
  for (int64_t b = 0; b < B; ++b) {
    const T* ab = a.data() + b * 4 * H;
    T* s = act.data() + b * 4 * H;
    T* hb = out.data() + b * 2 * H;
    const T* cb = cp.data() + b * H;
    for (int64_t j = 0; j < H; ++j) {
      const T i = T(1) / (T(1) + kernels::cpu::vexp(-ab[j]));
      const T f = T(1) / (T(1) + kernels::cpu::vexp(-ab[H + j]));
      const T g = kernels::cpu::vtanh(ab[2 * H + j]);
      const T o = T(1) / (T(1) + kernels::cpu::vexp(-ab[3 * H + j]));
      const T c = f * cb[j] + i * g;
      s[j] = i, s[H + j] = f, s[2 * H + j] = g, s[3 * H + j] = o;
      hb[H + j] = c;
      hb[j] = o * kernels::cpu::vtanh(c);
    }
  }
  if (autograd::needs_grad(gates, c_prev)) {
    autograd::record(out, "lstm_cell", {gates, c_prev}, [act, cp, o = out.detach(), B, H](const Tensor<T>& grad) {
      const Tensor<T> g = detail::contiguous_data(grad);
      Tensor<T> da = Tensor<T>::empty({B, 4 * H}), dcp = Tensor<T>::empty({B, H});
      for (int64_t b = 0; b < B; ++b) {
        const T* s = act.data() + b * 4 * H;
        const T* gb = g.data() + b * 2 * H;
        const T* ob = o.data() + b * 2 * H;
        const T* cb = cp.data() + b * H;
        T* d = da.data() + b * 4 * H;
        for (int64_t j = 0; j < H; ++j) {
          const T i = s[j], f = s[H + j], gg = s[2 * H + j], oo = s[3 * H + j];
          const T tc = kernels::cpu::vtanh(ob[H + j]);
          const T dh = gb[j];
          const T dc = gb[H + j] + dh * oo * (T(1) - tc * tc);
          d[j] = dc * gg * i * (T(1) - i);
          d[H + j] = dc * cb[j] * f * (T(1) - f);
          d[2 * H + j] = dc * i * (T(1) - gg * gg);
          d[3 * H + j] = dh * tc * oo * (T(1) - oo);
          dcp.data()[b * H + j] = dc * f;
        }
      }
      return std::vector{da, dcp};
    });
  }
  return out;
}

/// The same step from primitive ops: returns [h, c] side by side (B, 2H).
template <FloatElement T>
Tensor<T> lstm_cell_reference(const Tensor<T>& gates, const Tensor<T>& c_prev) {
  const int64_t H = c_prev.size(1);
  const Tensor<T> i = sigmoid(gates.narrow(1, 0, H)), f = sigmoid(gates.narrow(1, H, H));
  const Tensor<T> g = tanh(gates.narrow(1, 2 * H, H)), o = sigmoid(gates.narrow(1, 3 * H, H));
  const Tensor<T> c = f * c_prev + i * g;
  return cat<T>({o * tanh(c), c}, 1);
}

}  // namespace tinylm
