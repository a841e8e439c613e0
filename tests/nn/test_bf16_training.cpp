// Training with bf16 products on the CPU (set_matmul_precision(bf16)): the
// linear layers' and attention's products run on the bf16 kernel the CPU
// has (AMX tiles, or AVX-512 BF16 with AMX masked off), weights, gradients,
// optimizer state, LayerNorm, softmax and the loss stay float32. Against
// the same step in float32: the loss within 0.1% and each parameter's
// gradient within 2% (relative L2; seen here: 1e-5 and 0.3-0.7%) — bf16
// keeps 8 bits of each operand, so a product's relative error is about
// 2^-9 — and both differ from float32 at all, so the bf16 path is the one
// taken. Without either kernel
// the tests say so and stop.

#include <cmath>
#include <string>
#include <vector>

#include "helpers.hpp"

using tinylm::MatmulPrecision;
using tinylm::Tensor;
namespace nn = tinylm::nn;

namespace {

double relative_l2(const std::vector<float>& got, const std::vector<float>& want) {
  double d = 0, w = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    d += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    w += double(want[i]) * want[i];
  }
  return std::sqrt(d / w);
}

struct Step {
  float loss;
  std::vector<std::vector<float>> grads;
};

Step step(nn::GPT<float>& m, const Tensor<int32_t>& x, const Tensor<int32_t>& y) {
  m.zero_grad();
  auto out = m.forward(x, y);
  out.loss.backward();
  Step s{out.loss.item(), {}};
  for (auto& p : m.named_parameters()) s.grads.push_back(p.tensor.grad().to_vector());
  return s;
}

}  // namespace

TEST_CASE("bf16 training: a GPT step's loss and gradients stay within bf16's error of the float32 step") {
  const std::vector<th::Bf16Kernel> kernels = th::bf16_kernels();
  if (kernels.empty()) return;
  nn::GPT<float> m({65, 64, 2, 4, 64, 0.0}, 21);
  tinylm::Generator g(22);
  const auto x = Tensor<int32_t>::randint(0, 65, {4, 64}, g), y = Tensor<int32_t>::randint(0, 65, {4, 64}, g);
  const Step fp32 = step(m, x, y);
  const auto params = m.named_parameters();
  for (const th::Bf16Kernel& k : kernels) {
    CAPTURE(k.name);
    tinylm::CpuFeatureMaskGuard mask(k.mask);
    tinylm::MatmulPrecisionGuard precision(MatmulPrecision::bf16);
    const Step bf16 = step(m, x, y);
    CHECK(bf16.loss != fp32.loss);
    CHECK(std::fabs(bf16.loss - fp32.loss) < 1e-3 * fp32.loss);
    for (std::size_t i = 0; i < params.size(); ++i) {
      CAPTURE(params[i].name);
      const double err = relative_l2(bf16.grads[i], fp32.grads[i]);
      CHECK(err < 0.02);
      // Every matrix's gradient comes from products (the LayerNorms' through them).
      if (params[i].tensor.dim() == 2) CHECK(err > 0.0);
    }
  }
}

TEST_CASE("bf16 training: attention's products run in bf16, its softmax in float32") {
  const std::vector<th::Bf16Kernel> kernels = th::bf16_kernels();
  if (kernels.empty()) return;
  tinylm::Generator g(31);
  auto q = Tensor<float>::randn({2, 4, 80, 16}, g).requires_grad_();
  auto k = Tensor<float>::randn({2, 4, 80, 16}, g).requires_grad_();
  auto v = Tensor<float>::randn({2, 4, 80, 16}, g).requires_grad_();
  auto run = [&] {
    for (auto* t : {&q, &k, &v}) t->zero_grad();
    auto out = tinylm::scaled_dot_product_attention(q, k, v, true);
    (out * out).sum().backward();
    return std::vector<std::vector<float>>{out.to_vector(), q.grad().to_vector(), k.grad().to_vector(),
                                           v.grad().to_vector()};
  };
  const auto fp32 = run();
  for (const th::Bf16Kernel& kern : kernels) {
    CAPTURE(kern.name);
    tinylm::CpuFeatureMaskGuard mask(kern.mask);
    tinylm::MatmulPrecisionGuard precision(MatmulPrecision::bf16);
    const auto bf16 = run();
    for (std::size_t i = 0; i < fp32.size(); ++i) {
      CAPTURE(i);  // out, dq, dk, dv
      const double err = relative_l2(bf16[i], fp32[i]);
      CHECK(err > 1e-4);
      CHECK(err < 0.02);
    }
  }
}

TEST_CASE("bf16 training: AdamW on a fixed batch reaches the float32 run's loss") {
  const std::vector<th::Bf16Kernel> kernels = th::bf16_kernels();
  if (kernels.empty()) return;
  tinylm::Generator g(41);
  const auto x = Tensor<int32_t>::randint(0, 13, {4, 32}, g), y = Tensor<int32_t>::randint(0, 13, {4, 32}, g);
  auto train = [&] {
    nn::GPT<float> m({13, 32, 2, 2, 32, 0.0}, 42);
    tinylm::optim::AdamW<float> opt(m.named_parameters(), {1e-2, 0.9, 0.95, 1e-8, 0.0});
    float first = 0, last = 0;
    for (int i = 0; i < 60; ++i) {
      opt.zero_grad();
      auto out = m.forward(x, y);
      out.loss.backward();
      opt.step();
      (i == 0 ? first : last) = out.loss.item();
    }
    return std::pair{first, last};
  };
  const auto [first32, last32] = train();
  CHECK(last32 < 0.5f * first32);
  for (const th::Bf16Kernel& k : kernels) {
    CAPTURE(k.name);
    tinylm::CpuFeatureMaskGuard mask(k.mask);
    tinylm::MatmulPrecisionGuard precision(MatmulPrecision::bf16);
    const auto [first16, last16] = train();
    CHECK(std::fabs(first16 - first32) < 1e-3f * first32);
    CHECK(std::fabs(last16 - last32) < 0.02f);  // after 60 steps (seen: 0.003)
  }
}
