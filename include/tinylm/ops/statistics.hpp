#pragma once
// Variance and standard deviation over dims, as compositions of primitive
// ops (their gradients come from mean, sub, mul, sum and sqrt):
//
//   var(x, dims, correction) = sum((x - mean(x))^2) / (N - correction)
//   std(x, dims, correction) = sqrt(var(x, dims, correction))
//
// N is the number of elements reduced. correction = 1 (the default, as in
// PyTorch) is the unbiased estimate, 0 the population variance. With
// N <= correction the division is by zero or less, which gives inf or NaN,
// as in PyTorch.

#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm {

/// Variance over `dims` (all dims when empty).
template <FloatElement T>
Tensor<T> var(const Tensor<T>& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) {
  detail::check_defined(x, "var", "x");
  const std::vector<int> rd = detail::reduce_dims(dims, x.dim(), "var");
  int64_t n = 1;
  for (int d : rd) n *= x.shape()[d];
  const Tensor<T> centred = x - mean(x, dims, true);
  return sum(centred * centred, dims, keepdim) / static_cast<double>(n - correction);
}

/// Standard deviation over `dims` (all dims when empty).
template <FloatElement T>
Tensor<T> std(const Tensor<T>& x, const Shape& dims = {}, int64_t correction = 1, bool keepdim = false) {
  return sqrt(var(x, dims, correction, keepdim));
}

}  // namespace tinylm
