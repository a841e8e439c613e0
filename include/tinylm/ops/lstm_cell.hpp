#pragma once
// lstm_cell(gates, c_prev): one LSTM step after the matrix products, fused
// (formulas in kernels/cpu/lstm.hpp). gates (B, 4H) are the pre-activations
// a_i, a_f, a_g, a_o side by side, c_prev is (B, H); returns the new h and c,
// both (B, H), as two outputs of one graph node:
//
//   i = sigmoid(a_i)  f = sigmoid(a_f)  g = tanh(a_g)  o = sigmoid(a_o)
//   c = f * c_prev + i * g
//   h = o * tanh(c)
//
// Backward takes dh and dc (either may be absent: an output the loss does
// not use) and returns d(gates) and d(c_prev). Saves i, f, g, o, c_prev and
// c. lstm_cell_reference() is the composition of sigmoid, tanh, mul and add
// the LSTM was first written with; tests hold the two equal.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/lstm.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/unary.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

/// The state an LSTM step hands to the next one.
template <class T>
struct LSTMCellOutput {
  Tensor<T> h;  // (B, H)
  Tensor<T> c;  // (B, H)
};

template <FloatElement T>
LSTMCellOutput<T> lstm_cell(const Tensor<T>& gates, const Tensor<T>& c_prev) {
  detail::check_defined(gates, "lstm_cell", "gates");
  detail::check_defined(c_prev, "lstm_cell", "c_prev");
  TINYLM_CHECK(
      c_prev.dim() == 2 && gates.dim() == 2 && gates.size(0) == c_prev.size(0) && gates.size(1) == 4 * c_prev.size(1),
      "lstm_cell: gates are ", gates.shape(), ", c_prev is ", c_prev.shape(), ": expected [B, 4H] and [B, H]");
  const int64_t B = c_prev.size(0), H = c_prev.size(1);
  const Device dev = gates.device();
  const Tensor<T> a = detail::contiguous_data(gates), cp = detail::contiguous_data(c_prev);
  Tensor<T> act = Tensor<T>::empty({B, 4 * H}, dev);  // i, f, g, o after their nonlinearities
  Tensor<T> h = Tensor<T>::empty({B, H}, dev), c = Tensor<T>::empty({B, H}, dev);
  kernels::lstm_cell_forward(dev, h.data(), c.data(), act.data(), a.data(), cp.data(), B, H);
  if (autograd::needs_grad(gates, c_prev)) {
    autograd::record(std::vector<Tensor<T>>{h, c}, "lstm_cell", {gates, c_prev},
                     [act, cp = cp.detach(), c_saved = c.detach(), B, H](const std::vector<Tensor<T>>& grads) {
                       const Tensor<T> dh = grads[0].defined() ? detail::contiguous_data(grads[0]) : Tensor<T>();
                       const Tensor<T> dc = grads[1].defined() ? detail::contiguous_data(grads[1]) : Tensor<T>();
                       const Device dev = act.device();
                       Tensor<T> da = Tensor<T>::empty({B, 4 * H}, dev), dcp = Tensor<T>::empty({B, H}, dev);
                       kernels::lstm_cell_backward(dev, da.data(), dcp.data(), dh.defined() ? dh.data() : nullptr,
                                                   dc.defined() ? dc.data() : nullptr, act.data(), cp.data(),
                                                   c_saved.data(), B, H);
                       return std::vector{da, dcp};
                     });
  }
  return {h, c};
}

/// The same step from primitive ops.
template <FloatElement T>
LSTMCellOutput<T> lstm_cell_reference(const Tensor<T>& gates, const Tensor<T>& c_prev) {
  const int64_t H = c_prev.size(1);
  const Tensor<T> i = sigmoid(gates.narrow(1, 0, H)), f = sigmoid(gates.narrow(1, H, H));
  const Tensor<T> g = tanh(gates.narrow(1, 2 * H, H)), o = sigmoid(gates.narrow(1, 3 * H, H));
  const Tensor<T> c = f * c_prev + i * g;
  return {o * tanh(c), c};
}

}  // namespace tinylm
