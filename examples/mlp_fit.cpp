// Fits y = x^2 - 1 on [-2, 2] with a two-layer MLP by plain gradient descent.
// Exits non-zero unless the loss falls at least tenfold.
#include <tinylm/tinylm.hpp>

#include <cstdio>

int main() {
  using tinylm::Tensor;
  tinylm::Generator gen(0);
  const auto x = Tensor<float>::rand({256, 1}, gen) * 4.0f - 2.0f;  // (N, 1)
  const auto y = x * x - 1.0f;
  auto w1 = (Tensor<float>::randn({1, 32}, gen) * 0.5f).requires_grad_();
  auto b1 = Tensor<float>::zeros({32}).requires_grad_();
  auto w2 = (Tensor<float>::randn({32, 1}, gen) * 0.5f).requires_grad_();
  auto b2 = Tensor<float>::zeros({1}).requires_grad_();
  float first = 0, last = 0;
  for (int step = 0; step <= 2000; ++step) {
    const auto h = tinylm::tanh(tinylm::matmul(x, w1) + b1);  // (N, 32)
    const auto loss = tinylm::pow(tinylm::matmul(h, w2) + b2 - y, 2).mean();
    for (auto* p : {&w1, &b1, &w2, &b2}) p->zero_grad();
    loss.backward();
    tinylm::NoGradGuard no_grad;  // the update itself is not part of the graph
    for (auto* p : {&w1, &b1, &w2, &b2}) p->copy_(*p - p->grad() * 0.05f);
    (step == 0 ? first : last) = loss.item();
    if (step % 500 == 0) std::printf("step %4d  loss %.5f\n", step, loss.item());
  }
  return last < first / 10 ? 0 : 1;
}
