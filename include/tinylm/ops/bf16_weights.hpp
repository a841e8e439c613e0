#pragma once
// Products with bf16 copies of float32 weights: what a model generating
// with bf16 weights computes (nn/bf16_weights.hpp).
//
// Decoding one token reads every weight once and does two flops with each:
// it runs at the speed memory delivers the weights, so weights of half the
// bytes decode up to twice as fast. A Bf16Matrix is a copy of a weight
// matrix rounded to bf16 (nearest, ties to even); the products below widen
// its values back to float32 exactly, so they compute what the float32
// products compute with the rounded weights, summed in float32. The
// activations stay float32.
//
//   linear(x, W16, b)            x @ W16 + b     W16 [in, out] (nn::Linear's layout)
//   matmul_transposed(x, W16)    x @ W16^T       W16 [V, C]    (a tied LM head)
//
// They have no gradient: weights that are being trained are float32 ones.
// They throw when asked for one (an x that requires grad, grad mode on).

#include <cstdint>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/bf16.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/gemm.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

/// A float32 matrix rounded to bf16 (see the file comment): a snapshot,
/// which later changes to the source do not reach.
class Bf16Matrix {
 public:
  /// Rounds `w`, a 2-D float32 tensor on the CPU, to bf16.
  explicit Bf16Matrix(const Tensor<float>& w) {
    detail::check_defined(w, "Bf16Matrix", "the weight");
    TINYLM_CHECK(w.dim() == 2 && w.numel() > 0, "Bf16Matrix: the weight is ", w.shape(),
                 ": expected a non-empty matrix");
    TINYLM_CHECK(w.device().is_cpu(), "Bf16Matrix: the weight is on ", w.device().str(),
                 ": bf16 weights are for the CPU");
    rows_ = w.size(0), cols_ = w.size(1);
    const Tensor<float> wc = detail::contiguous_data(w);
    data_.resize(static_cast<std::size_t>(wc.numel()));
    const float* src = wc.data();
    bf16* dst = data_.data();
    kernels::cpu::parallel_for(rows_, cols_, [&](int64_t r0, int64_t r1) {
      to_bf16(src + r0 * cols_, dst + r0 * cols_, static_cast<std::size_t>((r1 - r0) * cols_));
    });
  }

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const bf16* data() const { return data_.data(); }
  /// The bytes the matrix holds: half those of its float32 source.
  int64_t bytes() const { return static_cast<int64_t>(data_.size() * sizeof(bf16)); }

  /// The matrix widened back to float32 (the rounded values, exactly).
  Tensor<float> to_float() const {
    Tensor<float> out = Tensor<float>::empty({rows_, cols_});
    tinylm::to_float(data_.data(), out.data(), data_.size());
    return out;
  }

 private:
  std::vector<bf16> data_;
  int64_t rows_ = 0, cols_ = 0;
};

namespace detail {

/// The width of x that w multiplies: w's rows, or its columns when the
/// product is x @ w^T (`transposed`).
inline int64_t bf16_inner(const Bf16Matrix& w, bool transposed) { return transposed ? w.cols() : w.rows(); }

/// x must be defined, on the CPU, ask for no gradient and end in the width
/// w multiplies.
inline void check_bf16_input(const Tensor<float>& x, const char* op, const Bf16Matrix& w, bool transposed) {
  const int64_t k = bf16_inner(w, transposed);
  check_defined(x, op, "x");
  TINYLM_CHECK(!autograd::needs_grad(x), op, ": x requires grad: bf16 weights have no gradient (run it under ",
               "NoGradGuard, or with float32 weights)");
  TINYLM_CHECK(x.device().is_cpu(), op, ": x is on ", x.device().str(), ": bf16 weights are for the CPU");
  TINYLM_CHECK(x.dim() >= 1 && x.size(-1) == k, op, ": x is ", x.shape(), ", the bf16 weight is [", w.rows(), ", ",
               w.cols(), "]: x.shape[-1] must be ", k);
}

/// x @ w, or x @ w^T when `transposed`, plus `bias` when defined. Checks
/// are the caller's.
inline Tensor<float> bf16_weight_product(const Tensor<float>& x, const Bf16Matrix& w, bool transposed,
                                         const Tensor<float>& bias) {
  const int64_t k = bf16_inner(w, transposed), n = transposed ? w.rows() : w.cols();
  const Tensor<float> xc = contiguous_data(x);
  const Tensor<float> bc = bias.defined() ? contiguous_data(bias) : Tensor<float>();
  Shape out_shape = x.shape();
  out_shape[out_shape.size() - 1] = n;
  Tensor<float> out = Tensor<float>::empty(out_shape);
  kernels::gemm_bf16_weights(Device::cpu(),
                             {.M = x.numel() / k,
                              .N = n,
                              .K = k,
                              .a = {xc.data(), k},
                              .b = {.data = nullptr, .ld = w.cols(), .transposed = transposed},
                              .c = out.data(),
                              .ldc = n,
                              .bias = bc.defined() ? bc.data() : nullptr},
                             w.data());
  return out;
}

}  // namespace detail

/// y = x @ W + b with W's bf16 copy, W [in, out], x [..., in], b [out].
inline Tensor<float> linear(const Tensor<float>& x, const Bf16Matrix& w, const Tensor<float>& b = Tensor<float>()) {
  const int64_t out_f = w.cols();
  detail::check_bf16_input(x, "linear (bf16 weights)", w, /*transposed=*/false);
  TINYLM_CHECK(!b.defined() || (b.shape() == Shape{out_f} && b.device().is_cpu()),
               "linear (bf16 weights): the bias is ", b.shape(), " on ", b.device().str(), ": it must be [", out_f,
               "] on the CPU");
  return detail::bf16_weight_product(x, w, /*transposed=*/false, b);
}

/// y = x @ W^T with W's bf16 copy, W [N, K], x [..., K]: y [..., N].
inline Tensor<float> matmul_transposed(const Tensor<float>& x, const Bf16Matrix& w) {
  detail::check_bf16_input(x, "matmul_transposed (bf16 weights)", w, /*transposed=*/true);
  return detail::bf16_weight_product(x, w, /*transposed=*/true, Tensor<float>());
}

}  // namespace tinylm
