// A tiny GPT on a CUDA device against the same model on the CPU: the loss
// and every parameter's gradient of one step (with dropout, whose Philox
// mask is the same on both devices), the loss curve of a few AdamW steps,
// and next-token logits through the KV cache.

#include <cmath>
#include <utility>
#include <vector>

#include "cuda_test.hpp"

using namespace tinylm_cuda_test;

namespace {

std::pair<Tensor<int64_t>, Tensor<int64_t>> tokens(int64_t B, int64_t T, int64_t V, uint64_t seed) {
  tinylm::Generator g(seed);
  auto x = Tensor<int64_t>::empty({B, T}), y = Tensor<int64_t>::empty({B, T});
  for (int64_t i = 0; i < B * T; ++i) {
    x.data()[i] = static_cast<int64_t>(g.next_u64() % static_cast<uint64_t>(V));
    y.data()[i] = static_cast<int64_t>(g.next_u64() % static_cast<uint64_t>(V));
  }
  return {x, y};
}

}  // namespace

TINYLM_CUDA_TEST("cuda: a tiny GPT's loss and every gradient equal the CPU's") {
  const tinylm::nn::GPTConfig cfg{37, 16, 2, 2, 32, 0.1};
  tinylm::nn::GPT<double> on_cpu(cfg, 3), on_gpu(cfg, 3);
  on_gpu.to(gpu);
  CHECK(on_gpu.device() == gpu);
  const auto [x, y] = tokens(3, 16, 37, 4);
  auto a = on_cpu.forward(x, y);
  auto b = on_gpu.forward(x.to(gpu), y.to(gpu));
  CHECK(b.loss.device() == gpu);
  CHECK(std::fabs(b.loss.item() - a.loss.item()) <= 1e-12 * std::fabs(a.loss.item()));
  a.loss.backward();
  b.loss.backward();
  const auto pa = on_cpu.named_parameters(), pb = on_gpu.named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CAPTURE(pa[i].name);
    REQUIRE(pb[i].tensor.grad().defined());
    CHECK(pb[i].tensor.grad().device() == gpu);
    CHECK(rel_diff(pb[i].tensor.grad(), pa[i].tensor.grad()) <= 1e-10);
  }
}

TINYLM_CUDA_TEST("cuda: a short AdamW run follows the CPU's loss curve, and KV-cache logits match") {
  const tinylm::nn::GPTConfig cfg{37, 16, 2, 2, 32, 0.0};
  tinylm::nn::GPT<float> on_cpu(cfg, 5), on_gpu(cfg, 5);
  on_gpu.to(gpu);
  tinylm::optim::AdamW<float> opt_cpu(on_cpu.named_parameters(), {1e-2, 0.9, 0.95, 1e-8, 0.1});
  tinylm::optim::AdamW<float> opt_gpu(on_gpu.named_parameters(), {1e-2, 0.9, 0.95, 1e-8, 0.1});
  const auto [x, y] = tokens(4, 16, 37, 6);
  const auto xd = x.to(gpu), yd = y.to(gpu);
  for (int step = 0; step < 10; ++step) {
    CAPTURE(step);
    opt_cpu.zero_grad();
    opt_gpu.zero_grad();
    auto a = on_cpu.forward(x, y);
    auto b = on_gpu.forward(xd, yd);
    a.loss.backward();
    b.loss.backward();
    tinylm::optim::clip_grad_norm(on_cpu.parameters(), 1.0);
    tinylm::optim::clip_grad_norm(on_gpu.parameters(), 1.0);
    opt_cpu.step();
    opt_gpu.step();
    CHECK(std::fabs(b.loss.item() - a.loss.item()) <= 1e-4 * std::fabs(a.loss.item()));
  }
  tinylm::NoGradGuard no_grad;
  on_cpu.eval();
  on_gpu.eval();
  auto cache_cpu = on_cpu.make_cache(1), cache_gpu = on_gpu.make_cache(1);
  const auto prompt = Tensor<int64_t>::from_vector({1, 2, 3, 4, 5}, {1, 5});
  on_cpu.forward(prompt, &cache_cpu);
  on_gpu.forward(prompt.to(gpu), &cache_gpu);
  const auto next = Tensor<int64_t>::from_vector({6}, {1, 1});
  const auto la = on_cpu.forward(next, &cache_cpu), lb = on_gpu.forward(next.to(gpu), &cache_gpu);
  CHECK(lb.device() == gpu);
  CHECK(rel_diff(lb.to(cpu), la) <= 1e-4);
}
