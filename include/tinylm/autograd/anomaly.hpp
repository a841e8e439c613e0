#pragma once
// Anomaly mode: find the op where a NaN or an infinity was born.
//
// While a detect_anomaly guard is alive (on this thread), every op that
// records itself for backward checks what it computed, and backward checks
// every gradient an op's backward returns. The first non-finite value stops
// the computation with a tinylm::Error that names the op, which of its
// outputs (or, in backward, which of its inputs' gradients) went bad, the
// element's index and value, and the shapes of the op's inputs and outputs:
//
//   tinylm::autograd::detect_anomaly anomaly;
//   auto loss = model.forward(x, y).loss;   // throws at the first bad op
//   loss.backward();                        // throws at the first bad gradient
//
// Ops are checked in the order they run, so the op named is the first one
// whose output is non-finite; its inputs were finite (or it would not be the
// first). It reads every value every op writes: a debugging mode, off by
// default. Ops run without grad (under NoGradGuard, or on tensors that need
// no gradient) record nothing and are not checked.

#include <cstdint>
#include <string>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/kernels/copy.hpp"
#include "tinylm/kernels/reduce.hpp"

namespace tinylm::autograd {

/// Whether anomaly checks run on this thread.
class AnomalyMode {
 public:
  static bool is_enabled() { return flag(); }
  static void set_enabled(bool on) { flag() = on; }

 private:
  static bool& flag() {
    thread_local bool enabled = false;
    return enabled;
  }
};

/// RAII: anomaly checks on for a scope (like torch.autograd.detect_anomaly).
class detect_anomaly {
 public:
  detect_anomaly() : prev_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
  ~detect_anomaly() { AnomalyMode::set_enabled(prev_); }
  detect_anomaly(const detect_anomaly&) = delete;
  detect_anomaly& operator=(const detect_anomaly&) = delete;

 private:
  bool prev_;
};

namespace detail {

/// Where t holds its first NaN or infinity, in row-major order; -1 if nowhere.
template <class T>
int64_t first_non_finite(const Tensor<T>& t) {
  if constexpr (!FloatElement<T>) {
    return -1;
  } else {
    if (!t.defined() || t.numel() == 0) return -1;
    const Tensor<T> dense = kernels::contiguous_data(t);
    return kernels::first_non_finite(dense.device(), dense.data(), dense.numel());
  }
}

/// "element [i, j] is nan" for the flat index `flat` of `shape`.
template <class T>
std::string describe_element(const Tensor<T>& t, int64_t flat) {
  Shape index = t.shape();
  int64_t rest = flat;
  for (int d = index.size(); d-- > 0;) {
    index[d] = rest % t.shape()[d];
    rest /= t.shape()[d];
  }
  const T value = kernels::contiguous_data(t).data()[flat];
  return tinylm::detail::str_cat("element ", index, " is ", value);
}

template <class T>
std::string shapes_of(const std::vector<Tensor<T>>& ts) {
  std::string s;
  for (std::size_t i = 0; i < ts.size(); ++i)
    s += tinylm::detail::str_cat(i ? ", " : "", ts[i].defined() ? tinylm::detail::str_cat(ts[i].shape()) : "none");
  return s;
}

/// Forward: throws when an output of the op `name` holds a NaN or infinity.
template <class T>
void check_outputs(const std::string& name, const std::vector<Tensor<T>>& outputs,
                   const std::vector<Tensor<T>>& inputs) {
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const int64_t bad = first_non_finite(outputs[o]);
    if (bad < 0) continue;
    throw Error(tinylm::detail::str_cat("detect_anomaly: '", name, "' produced a non-finite value in output ", o,
                                        " of shape ", outputs[o].shape(), ": ", describe_element(outputs[o], bad),
                                        " (inputs: ", shapes_of(inputs), ")"));
  }
}

/// Backward: throws when the backward of op `name` returned a non-finite
/// gradient for one of its inputs.
template <class T>
void check_input_grads(const std::string& name, const std::vector<Shape>& output_shapes,
                       const std::vector<Tensor<T>>& grads) {
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const int64_t bad = first_non_finite(grads[i]);
    if (bad < 0) continue;
    std::string outs;
    for (std::size_t o = 0; o < output_shapes.size(); ++o)
      outs += tinylm::detail::str_cat(o ? ", " : "", output_shapes[o]);
    throw Error(tinylm::detail::str_cat(
        "detect_anomaly: the backward of '", name, "' returned a non-finite gradient for input ", i, " of shape ",
        grads[i].shape(), ": ", describe_element(grads[i], bad), " (the op's outputs: ", outs,
        "; its inputs' gradients: ", shapes_of(grads), ")"));
  }
}

}  // namespace detail

}  // namespace tinylm::autograd
