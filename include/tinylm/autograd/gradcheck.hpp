#pragma once
// gradcheck: compares the gradients backward() computes with central
// finite differences, element by element, over the full Jacobian.
//
//   analytic  J[j][e] = d out_j / d in_e   (one backward per output element)
//   numeric   J[j][e] = (f(in_e + eps) - f(in_e - eps)) / (2 eps)
//
// Run it in double: with eps = 1e-6 the numeric estimate is good to about
// 1e-9, so a wrong backward stands out clearly. An element passes when
// |analytic - numeric| <= atol + rtol * |numeric|. The result reports the
// worst element.

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tinylm/autograd/engine.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::autograd {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
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

/// Checks d f(inputs) / d inputs for every input that requires grad.
/// Inputs must be leaves; build views of them inside f.
inline GradcheckResult gradcheck(const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& f,
                                 const std::vector<Tensor<double>>& inputs, GradcheckOptions opt = {}) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    TINYLM_CHECK(in.defined(), "gradcheck: input ", i, " is undefined");
    TINYLM_CHECK(in.is_leaf(), "gradcheck: input ", i, " is not a leaf; pass leaves and take views inside f");
    for (int d = 0; d < in.dim(); ++d)
      TINYLM_CHECK(in.stride(d) != 0 || in.size(d) == 1, "gradcheck: input ", i, " of shape ", in.shape(),
                   " has a zero stride (an expanded view); perturbing one element would move several");
  }
  Tensor<double> out = f(inputs);
  TINYLM_CHECK(out.requires_grad(), "gradcheck: the output does not require grad (no input requires grad?)");
  const int64_t n_out = out.numel();

  // Numeric Jacobian, one column per input element.
  std::vector<std::vector<std::vector<double>>> numeric(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    if (!in.requires_grad()) continue;
    double* base = in.storage().data();
    ::tinylm::detail::for_each_offset(in.shape(), in.strides(), in.offset(), [&](int64_t off) {
      const double orig = base[off];
      std::vector<double> plus, minus;
      {
        NoGradGuard no_grad;
        base[off] = orig + opt.eps;
        plus = f(inputs).to_vector();
        base[off] = orig - opt.eps;
        minus = f(inputs).to_vector();
        base[off] = orig;
      }
      std::vector<double> col(static_cast<std::size_t>(n_out));
      for (int64_t j = 0; j < n_out; ++j) col[j] = (plus[j] - minus[j]) / (2 * opt.eps);
      numeric[i].push_back(std::move(col));
    });
  }

  // Analytic Jacobian, one row per output element, compared as we go.
  GradcheckResult result;
  double worst_excess = -1.0;
  std::vector<Tensor<double>> saved_grads;
  for (const auto& in : inputs) saved_grads.push_back(in.grad());
  for (int64_t j = 0; j < n_out; ++j) {
    for (const auto& in : inputs) in.zero_grad();
    Tensor<double> seed = Tensor<double>::zeros(out.shape());
    seed.data()[j] = 1.0;
    out.backward(seed, /*retain_graph=*/true);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].requires_grad()) continue;
      const Tensor<double> g = inputs[i].grad();
      const std::vector<double> a = g.defined() ? g.to_vector() : std::vector<double>(numeric[i].size(), 0.0);
      for (std::size_t e = 0; e < numeric[i].size(); ++e) {
        const double num = numeric[i][e][j];
        const double err = std::fabs(a[e] - num);
        const double tol = opt.atol + opt.rtol * std::fabs(num);
        if (!(err <= tol)) result.ok = false;  // also catches NaN
        result.max_abs_error = std::max(result.max_abs_error, err);
        const double excess = std::isnan(err) ? 1e300 : err - tol;
        if (excess > worst_excess) {
          worst_excess = excess;
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

}  // namespace tinylm::autograd

namespace tinylm {
using autograd::gradcheck;
using autograd::GradcheckOptions;
using autograd::GradcheckResult;
}  // namespace tinylm
