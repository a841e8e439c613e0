// Fits y = 2x - 1 with one weight and one bias through the installed headers;
// exits non-zero unless the fit converges.
#include <tinylm/tinylm.hpp>

#include <cmath>
#include <cstdio>

int main() {
  using tinylm::Tensor;
  const auto x = Tensor<float>::from_vector({-1, 0, 1, 2}, {4, 1});
  const auto y = x * 2.0f - 1.0f;
  auto w = Tensor<float>::zeros({1, 1}).requires_grad_();
  auto b = Tensor<float>::zeros({1}).requires_grad_();
  for (int step = 0; step < 500; ++step) {
    const auto err = tinylm::matmul(x, w) + b - y;
    const auto loss = (err * err).mean();
    w.zero_grad();
    b.zero_grad();
    loss.backward();
    tinylm::NoGradGuard no_grad;
    w.copy_(w - w.grad() * 0.1f);
    b.copy_(b - b.grad() * 0.1f);
  }
  std::printf("w = %.4f, b = %.4f\n", w.item(), b.item());
  return std::fabs(w.item() - 2.0f) < 1e-3f && std::fabs(b.item() + 1.0f) < 1e-3f ? 0 : 1;
}
