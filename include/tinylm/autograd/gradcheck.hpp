#pragma once
// gradcheck: compares the gradients backward() computes with central
// finite differences, element by element, over the full Jacobian.
//
//   analytic  J[j][e] = d out_j / d in_e   (one backward per output element)
//   numeric   J[j][e] = (f(in_e + eps) - f(in_e - eps)) / (2 eps)
//
// Run it in double where you can: with eps = 1e-6 the numeric estimate is
// good to about 1e-9, so a wrong backward stands out clearly. In float
// (to check a float-only kernel) the defaults are eps = 1e-3, atol = 1e-3,
// rtol = 1e-2: float rounding makes the difference quotient good to about
// 1e-4 there. An element passes when |analytic - numeric| <= atol + rtol *
// |numeric|. The result reports the worst element: the one whose error is
// the largest share of its tolerance (on a failure, the one that failed by
// the most; on a pass, the one closest to failing).

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tinylm/autograd/engine.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::autograd {

/// The defaults are for double; gradcheck on float tensors uses float_defaults().
struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  static GradcheckOptions float_defaults() { return {1e-3, 1e-3, 1e-2}; }
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;  // largest |analytic - numeric|
  std::string worst;           // where the worst element is, and its values
  explicit operator bool() const { return ok; }
};

namespace detail {

inline std::string unravel(int64_t flat, const Shape& shape) {
  Shape idx;
  idx.resize(shape.size());
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return idx.str();
}

}  // namespace detail

namespace detail {

template <FloatElement T>
GradcheckResult gradcheck(const std::function<Tensor<T>(const std::vector<Tensor<T>>&)>& f,
                          const std::vector<Tensor<T>>& inputs, const GradcheckOptions& opt) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    TINYLM_CHECK(in.defined(), "gradcheck: input ", i, " is undefined");
    TINYLM_CHECK(in.is_leaf(), "gradcheck: input ", i, " is not a leaf; pass leaves and take views inside f");
    for (int d = 0; d < in.dim(); ++d)
      TINYLM_CHECK(in.stride(d) != 0 || in.size(d) == 1, "gradcheck: input ", i, " of shape ", in.shape(),
                   " has a zero stride (an expanded view); perturbing one element would move several");
  }
  Tensor<T> out = f(inputs);
  TINYLM_CHECK(out.requires_grad(), "gradcheck: the output does not require grad (no input requires grad?)");
  const int64_t n_out = out.numel();

  // Numeric Jacobian, one column per input element.
  std::vector<std::vector<std::vector<double>>> numeric(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    if (!in.requires_grad()) continue;
    T* base = in.storage().data();
    ::tinylm::detail::for_each_offset(in.shape(), in.strides(), in.offset(), [&](int64_t off) {
      const T orig = base[off];
      std::vector<T> plus, minus;
      T up, down;  // the perturbed values as stored, so the quotient divides by the true step
      {
        NoGradGuard no_grad;
        base[off] = up = static_cast<T>(orig + opt.eps);
        plus = f(inputs).to_vector();
        base[off] = down = static_cast<T>(orig - opt.eps);
        minus = f(inputs).to_vector();
        base[off] = orig;
      }
      const double step = static_cast<double>(up) - static_cast<double>(down);
      std::vector<double> col(static_cast<std::size_t>(n_out));
      for (int64_t j = 0; j < n_out; ++j)
        col[j] = (static_cast<double>(plus[j]) - static_cast<double>(minus[j])) / step;
      numeric[i].push_back(std::move(col));
    });
  }

  // Analytic Jacobian, one row per output element, compared as we go.
  GradcheckResult result;
  double worst_share = -1.0, worst_err = -1.0;  // err / tol of the worst element, then its err
  std::vector<Tensor<T>> saved_grads;
  for (const auto& in : inputs) saved_grads.push_back(in.grad());
  for (int64_t j = 0; j < n_out; ++j) {
    for (const auto& in : inputs) in.zero_grad();
    Tensor<T> seed = Tensor<T>::zeros(out.shape());
    seed.data()[j] = T(1);
    out.backward(seed, /*retain_graph=*/true);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].requires_grad()) continue;
      const Tensor<T> g = inputs[i].grad();
      const std::vector<T> a = g.defined() ? g.to_vector() : std::vector<T>(numeric[i].size(), T(0));
      for (std::size_t e = 0; e < numeric[i].size(); ++e) {
        const double num = numeric[i][e][j];
        const double err = std::fabs(static_cast<double>(a[e]) - num);
        const double tol = opt.atol + opt.rtol * std::fabs(num);
        if (!(err <= tol)) result.ok = false;  // also catches NaN
        result.max_abs_error = std::max(result.max_abs_error, err);
        const double share = std::isnan(err) ? INFINITY : tol > 0 ? err / tol : (err > 0 ? INFINITY : 0.0);
        if (share > worst_share || (share == worst_share && err > worst_err)) {
          worst_share = share;
          worst_err = std::isnan(err) ? INFINITY : err;
          std::ostringstream os;
          os.precision(10);
          os << "input " << i << " element " << detail::unravel(static_cast<int64_t>(e), inputs[i].shape())
             << ", output element " << detail::unravel(j, out.shape()) << ": analytic " << a[e] << ", numeric " << num
             << " (|diff| " << err << ", tolerance " << tol << ")";
          result.worst = os.str();
        }
      }
    }
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i].set_grad(saved_grads[i]);
  return result;
}

}  // namespace detail

/// Checks d f(inputs) / d inputs for every input that requires grad, in
/// double. Inputs must be leaves; build views of them inside f.
TINYLM_DECL GradcheckResult gradcheck(const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& f,
                                      const std::vector<Tensor<double>>& inputs, GradcheckOptions opt = {});

/// The same in float, with GradcheckOptions::float_defaults() unless told otherwise.
TINYLM_DECL GradcheckResult gradcheck(const std::function<Tensor<float>(const std::vector<Tensor<float>>&)>& f,
                                      const std::vector<Tensor<float>>& inputs,
                                      GradcheckOptions opt = GradcheckOptions::float_defaults());

}  // namespace tinylm::autograd

namespace tinylm {
using autograd::gradcheck;
using autograd::GradcheckOptions;
using autograd::GradcheckResult;
}  // namespace tinylm

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/autograd/impl/gradcheck.ipp"
#endif
