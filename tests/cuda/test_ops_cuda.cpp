// Ops and autograd on a CUDA device against the same ops on the CPU: the
// elementwise functions (kernels/functors.hpp) forward and backward, with
// broadcasting and strided operands, sums and means, the gradient
// accumulated from two uses of one tensor, and gradient-norm clipping.
// Values agree to 1e-5 relative in float (the device's libm and fused
// multiply-adds round differently), 1e-12 in double.

#include <cmath>
#include <functional>
#include <vector>

#include "cuda_test.hpp"

using namespace tinylm_cuda_test;

namespace {

template <class T>
using Op = std::function<Tensor<T>(const std::vector<Tensor<T>>&)>;

/// Runs f on leaves made from `inputs` on each device, backward from
/// sum(f * weights), and compares the outputs and every input's gradient.
template <class T>
void same_on_both(const char* name, const Op<T>& f, const std::vector<Tensor<T>>& inputs) {
  CAPTURE(name);
  auto run = [&](Device dev, Tensor<T>& out, std::vector<Tensor<T>>& grads) {
    std::vector<Tensor<T>> leaves;
    for (const auto& x : inputs) leaves.push_back(x.to(dev).detach().requires_grad_());
    out = f(leaves);
    const auto w = random<T>(out.shape(), 99).to(dev);
    tinylm::sum(tinylm::mul(out, w)).backward();
    for (const auto& l : leaves) grads.push_back(l.grad());
  };
  Tensor<T> out_cpu, out_gpu;
  std::vector<Tensor<T>> g_cpu, g_gpu;
  run(cpu, out_cpu, g_cpu);
  run(gpu, out_gpu, g_gpu);
  CHECK(out_gpu.device() == gpu);
  const double t = tol<T>(1e-5, 1e-12);
  CHECK(rel_diff(out_gpu, out_cpu) <= t);
  for (std::size_t i = 0; i < g_cpu.size(); ++i) {
    CAPTURE(i);
    REQUIRE(g_gpu[i].defined());
    CHECK(g_gpu[i].device() == gpu);
    CHECK(rel_diff(g_gpu[i], g_cpu[i]) <= t);
  }
}

template <class T>
void elementwise_ops() {
  const auto x = random<T>({4, 5}, 30), y = random<T>({3, 1, 5}, 31), pos = random<T>({4, 5}, 32, 0.2, 3);
  using L = std::vector<Tensor<T>>;
  same_on_both<T>("add (broadcast)", [](const L& in) { return tinylm::add(in[0], in[1]); }, {x, y});
  same_on_both<T>("sub (broadcast)", [](const L& in) { return tinylm::sub(in[1], in[0]); }, {x, y});
  same_on_both<T>("mul (broadcast)", [](const L& in) { return tinylm::mul(in[0], in[1]); }, {x, y});
  same_on_both<T>("div (broadcast)", [](const L& in) { return tinylm::div(in[0], in[1]); }, {x, pos});
  same_on_both<T>("pow", [](const L& in) { return tinylm::pow(in[1], in[0]); }, {x, pos});
  same_on_both<T>("neg, scalar add, mul, rdiv, pow",
                  [](const L& in) {
                    return tinylm::add(tinylm::mul(tinylm::neg(in[0]), 2.5),
                                       tinylm::add(tinylm::rdiv(3.0, in[1]), tinylm::pow(in[1], 1.5)));
                  },
                  {x, pos});
  same_on_both<T>("exp, tanh, sigmoid, silu",
                  [](const L& in) {
                    return tinylm::add(tinylm::add(tinylm::exp(in[0]), tinylm::tanh(in[0])),
                                       tinylm::add(tinylm::sigmoid(in[0]), tinylm::silu(in[0])));
                  },
                  {x});
  same_on_both<T>("log, sqrt", [](const L& in) { return tinylm::add(tinylm::log(in[0]), tinylm::sqrt(in[0])); }, {pos});
  same_on_both<T>("relu, sin, cos, abs",
                  [](const L& in) {
                    return tinylm::add(tinylm::add(tinylm::relu(in[0]), tinylm::sin(in[0])),
                                       tinylm::add(tinylm::cos(in[0]), tinylm::abs(in[0])));
                  },
                  {x});
  same_on_both<T>("strided operands",
                  [](const L& in) { return tinylm::mul(in[0].transpose(0, 1), in[1].transpose(0, 1)); }, {x, pos});
  same_on_both<T>("sum and mean over dims, one tensor used twice",
                  [](const L& in) {
                    return tinylm::add(tinylm::sum(in[0], {0}, true),
                                       tinylm::mean(tinylm::mul(in[0], in[0]), {0}, true));
                  },
                  {x});
}

}  // namespace

TINYLM_CUDA_TEST("cuda: elementwise ops, reductions and their gradients equal the CPU's") {
  elementwise_ops<float>();
  elementwise_ops<double>();
}

TINYLM_CUDA_TEST("cuda: clip_grad_norm scales device gradients as on the CPU") {
  for (Device dev : {cpu, gpu}) {
    auto a = Tensor<float>::zeros({2}, dev).requires_grad_(), b = Tensor<float>::zeros({1}, dev).requires_grad_();
    a.set_grad(Tensor<float>::from_vector({3, 0}).to(dev));
    b.set_grad(Tensor<float>::from_vector({4}).to(dev));
    CHECK(tinylm::optim::clip_grad_norm<float>({a, b}, 1.0) == doctest::Approx(5.0));
    CHECK(a.grad().device() == dev);
    CHECK(a.grad().to_vector()[0] == doctest::Approx(0.6).epsilon(1e-6));
    CHECK(b.grad().to_vector()[0] == doctest::Approx(0.8).epsilon(1e-6));
  }
}

TINYLM_CUDA_TEST("cuda: comparisons, logic, where, masked_fill, clamp, min/max and casts equal the CPU's") {
  const auto x = random<float>({4, 5}, 40), y = random<float>({5}, 41);
  auto both = [&](auto f) {  // f(device) -> tensor; the device's result read back equals the CPU's
    const auto a = f(cpu), b = f(gpu);
    CHECK(b.device() == gpu);
    CHECK(b.to_vector() == a.to_vector());
  };
  both([&](Device d) { return tinylm::gt(x.to(d), y.to(d)); });
  both([&](Device d) { return tinylm::le(x.to(d), 0.25f); });
  both([&](Device d) { return tinylm::eq(x.to(d), x.to(d)); });
  both([&](Device d) {
    return tinylm::logical_or(tinylm::logical_not(tinylm::lt(x.to(d), y.to(d))), tinylm::ge(x.to(d), 1.f));
  });
  both([&](Device d) { return tinylm::where(tinylm::gt(x.to(d), 0.f), x.to(d), y.to(d)); });
  both([&](Device d) { return tinylm::masked_fill(x.to(d), tinylm::lt(y.to(d), 0.f), -1e9f); });
  both([&](Device d) { return tinylm::clamp(x.to(d), -0.5, 0.75); });
  both([&](Device d) { return tinylm::maximum(x.to(d), y.to(d)); });
  both([&](Device d) { return tinylm::cast<double>(x.to(d)); });
  both([&](Device d) { return tinylm::cast<int64_t>(tinylm::mul(x.to(d), 10.f)); });
  using L = std::vector<Tensor<double>>;
  const auto xd = random<double>({4, 5}, 42), yd = random<double>({5}, 43);
  same_on_both<double>("where", [](const L& in) { return tinylm::where(tinylm::gt(in[0], 0.0), in[0], in[1]); },
                       {xd, yd});
  same_on_both<double>("masked_fill",
                       [](const L& in) { return tinylm::masked_fill(in[0], tinylm::lt(in[1], 0.0), 2.0); }, {xd, yd});
  same_on_both<double>("clamp", [](const L& in) { return tinylm::clamp(in[0], -0.5, 0.75); }, {xd});
  same_on_both<double>(
      "maximum, minimum",
      [](const L& in) { return tinylm::add(tinylm::maximum(in[0], in[1]), tinylm::minimum(in[0], in[1])); }, {xd, yd});
}

TINYLM_CUDA_TEST("cuda: an elementwise function with no CUDA kernel is refused by name") {
  const auto x = Tensor<int64_t>::ones({3}, gpu);
  // Comparisons of integer tensors run on the CPU only, for now.
  CHECK_THROWS_WITH_AS(tinylm::gt(x, 0), doctest::Contains("no implementation for device cuda:0"), tinylm::Error);
}

TINYLM_CUDA_TEST("cuda: gather, index_select, scatter, tril and the LSTM cell with gradients equal the CPU's") {
  using L = std::vector<Tensor<double>>;
  const auto x = random<double>({3, 5, 4}, 50), src = random<double>({3, 2, 4}, 51);
  const auto gates = random<double>({6, 4 * 7}, 52), c0 = random<double>({6, 7}, 53);
  tinylm::Generator g(54);
  auto idx = Tensor<int64_t>::empty({3, 2, 4});
  for (int64_t i = 0; i < idx.numel(); ++i) idx.data()[i] = static_cast<int64_t>(g.next_u64() % 5);  // repeats
  const auto rows = Tensor<int64_t>::from_vector({4, 0, 4, 2});
  auto on = [](const Tensor<int64_t>& t, const Tensor<double>& like) { return t.to(like.device()); };
  same_on_both<double>("gather", [&](const L& in) { return tinylm::gather(in[0], 1, on(idx, in[0])); }, {x});
  same_on_both<double>("index_select", [&](const L& in) { return tinylm::index_select(in[0], 1, on(rows, in[0])); },
                       {x});
  same_on_both<double>("scatter_add", [&](const L& in) { return tinylm::scatter_add(in[0], 1, on(idx, in[0]), in[1]); },
                       {x, src});
  same_on_both<double>("scatter (the last write wins)",
                       [&](const L& in) { return tinylm::scatter(in[0], 1, on(idx, in[0]), in[1]); }, {x, src});
  same_on_both<double>("tril", [](const L& in) { return tinylm::tril(in[0], -1); }, {x});
  same_on_both<double>("lstm_cell",
                       [](const L& in) {
                         const auto out = tinylm::lstm_cell(in[0], in[1]);
                         return tinylm::add(out.h, tinylm::mul(out.c, 0.5));
                       },
                       {gates, c0});
}
