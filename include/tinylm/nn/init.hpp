#pragma once
// In-place initializers for parameters, drawing from a Generator so that a
// seed fixes a model's initial weights.

#include <cmath>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::nn::init {

/// Fills t with samples of N(0, std^2).
template <FloatElement Float>
void normal_(const Tensor<Float>& t, double std, Generator& gen) {
  TINYLM_CHECK(t.is_contiguous(), "init::normal_: tensor must be contiguous");
  Float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<Float>(gen.normal() * std);
}

/// Fills t with samples of U(-bound, bound).
template <FloatElement Float>
void uniform_(const Tensor<Float>& t, double bound, Generator& gen) {
  TINYLM_CHECK(t.is_contiguous(), "init::uniform_: tensor must be contiguous");
  Float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<Float>((2.0 * gen.uniform() - 1.0) * bound);
}

template <FloatElement Float>
void constant_(const Tensor<Float>& t, Float value) {
  TINYLM_CHECK(t.is_contiguous(), "init::constant_: tensor must be contiguous");
  std::fill(t.data(), t.data() + t.numel(), value);
}

}  // namespace tinylm::nn::init
