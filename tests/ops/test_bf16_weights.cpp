#include "helpers.hpp"

using tinylm::Bf16Matrix;
using tinylm::Tensor;

namespace bf16_weights_ops {

Tensor<float> uniform(tinylm::Shape shape, uint64_t seed) {
  tinylm::Generator g(seed);
  return Tensor<float>::rand(shape, g) * 2.0f - 1.0f;
}

}  // namespace bf16_weights_ops

TEST_CASE("Bf16Matrix rounds each weight to the nearest bf16 and widens back to exactly those values") {
  const Tensor<float> w = bf16_weights_ops::uniform({37, 21}, 1);
  const Bf16Matrix w16(w);
  CHECK(w16.rows() == 37);
  CHECK(w16.cols() == 21);
  CHECK(w16.bytes() == 37 * 21 * 2);
  const auto src = w.to_vector(), wide = w16.to_float().to_vector();
  int changed = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    CHECK(w16.data()[i] == tinylm::bf16::from_float(src[i]));
    CHECK(wide[i] == tinylm::bf16::from_float(src[i]).to_float());
    changed += wide[i] != src[i];
  }
  CHECK(changed > 700);  // uniform floats are almost never bf16 values already
  // A transposed view is copied as the matrix it shows.
  CHECK(Bf16Matrix(w.transpose(0, 1)).to_float().to_vector() ==
        w16.to_float().transpose(0, 1).contiguous().to_vector());
}

TEST_CASE("linear and matmul_transposed with bf16 weights equal the float32 ops on the rounded weights") {
  namespace u = bf16_weights_ops;
  tinylm::NoGradGuard no_grad;
  const Tensor<float> w = u::uniform({70, 600}, 2), b = u::uniform({600}, 3), head = u::uniform({70, 600}, 4);
  const Bf16Matrix w16(w), head16(head);
  const Tensor<float> rounded = w16.to_float(), head_rounded = head16.to_float();
  // One row (decoding: B read as bf16), 4 rows, and 15 rows (a prompt: B widened 512 columns at a time).
  for (tinylm::Shape xs : {tinylm::Shape{1, 1, 70}, tinylm::Shape{4, 70}, tinylm::Shape{3, 5, 70}}) {
    CAPTURE(xs);
    const Tensor<float> x = u::uniform(xs, 5);
    const Tensor<float> y = tinylm::linear(x, w16, b);
    CHECK(y.shape() == tinylm::linear(x, w, b).shape());
    th::check_close(y.to_vector(), tinylm::linear(x, rounded, b).to_vector(), 1e-4);
    // The rounding is what changes the result: float32 weights give other values.
    CHECK(th::max_abs_diff(y.to_vector(), tinylm::linear(x, w, b).to_vector()) > 1e-3);
    th::check_close(tinylm::linear(x, w16).to_vector(), tinylm::linear(x, rounded).to_vector(), 1e-4);
    const Tensor<float> h = tinylm::matmul_transposed(y, head16);
    CHECK(h.shape() == tinylm::matmul(y, head.transpose(0, 1)).shape());
    th::check_close(h.to_vector(), tinylm::matmul(y, head_rounded.transpose(0, 1)).to_vector(), 1e-3);
  }
}

TEST_CASE("bf16 weights reject what they cannot compute, naming it") {
  namespace u = bf16_weights_ops;
  CHECK_THROWS_WITH_AS(Bf16Matrix(Tensor<float>::ones({2, 3, 4})),
                       "Bf16Matrix: the weight is [2, 3, 4]: expected a non-empty matrix", tinylm::Error);
  CHECK_THROWS_WITH_AS(Bf16Matrix(Tensor<float>()), "Bf16Matrix: the weight is an undefined tensor", tinylm::Error);
  const Bf16Matrix w16(u::uniform({4, 3}, 6));
  CHECK_THROWS_WITH_AS(tinylm::linear(Tensor<float>::ones({2, 5}), w16),
                       "linear (bf16 weights): x is [2, 5], the bf16 weight is [4, 3]: x.shape[-1] must be 4",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::linear(Tensor<float>::ones({2, 4}), w16, Tensor<float>::ones({4})),
                       "linear (bf16 weights): the bias is [4] on cpu: it must be [3] on the CPU", tinylm::Error);
  CHECK_THROWS_WITH_AS(
      tinylm::matmul_transposed(Tensor<float>::ones({2, 4}), w16),
      "matmul_transposed (bf16 weights): x is [2, 4], the bf16 weight is [4, 3]: x.shape[-1] must be 3", tinylm::Error);
  Tensor<float> x = Tensor<float>::ones({1, 4});
  x.requires_grad_();
  CHECK_THROWS_WITH_AS(tinylm::linear(x, w16),
                       "linear (bf16 weights): x requires grad: bf16 weights have no gradient (run it under "
                       "NoGradGuard, or with float32 weights)",
                       tinylm::Error);
  tinylm::NoGradGuard no_grad;  // no gradient asked for: fine
  CHECK(tinylm::linear(x, w16).shape() == tinylm::Shape{1, 3});
}
