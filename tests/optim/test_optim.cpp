#include <cmath>

#include "helpers.hpp"

using tinylm::Tensor;
namespace optim = tinylm::optim;
namespace nn = tinylm::nn;

namespace {

// One scalar parameter p with gradient fixed to g at every step.
struct Scalar {
  Tensor<double> p = Tensor<double>::from_vector({1.0}).requires_grad_();
  std::vector<nn::Parameter<double>> params() { return {{"p", p, nn::Decay::Yes}}; }
  void set_grad(double g) { p.set_grad(Tensor<double>::from_vector({g})); }
};

}  // namespace

TEST_CASE("SGD with momentum follows the heavy-ball recurrence (hand-computed)") {
  Scalar s;
  optim::SGD<double> opt(s.params(), {0.1, 0.9, 0.0, false});
  s.set_grad(1.0);
  opt.step();  // buf = 1, p = 1 - 0.1
  CHECK(s.p.item() == doctest::Approx(0.9));
  s.set_grad(1.0);
  opt.step();  // buf = 1.9, p = 0.9 - 0.19
  CHECK(s.p.item() == doctest::Approx(0.71));
  optim::SGD<double> nesterov(s.params(), {0.1, 0.9, 0.0, true});
  s.set_grad(2.0);
  nesterov.step();  // buf = 2, d = 2 + 0.9 * 2 = 3.8, p = 0.71 - 0.38
  CHECK(s.p.item() == doctest::Approx(0.33));
}

TEST_CASE("Adam and AdamW first steps (hand-computed)") {
  // Adam's first step moves by lr * g / (|g| + eps): exactly lr in the direction of -g.
  Scalar a;
  optim::Adam<double> adam(a.params(), {0.1, 0.9, 0.999, 1e-8, 0.0});
  a.set_grad(5.0);
  adam.step();
  CHECK(a.p.item() == doctest::Approx(0.9).epsilon(1e-9));
  // AdamW decays first: p = 1 * (1 - 0.1 * 0.5) - 0.1 = 0.85
  Scalar w;
  optim::AdamW<double> adamw(w.params(), {0.1, 0.9, 0.999, 1e-8, 0.5});
  w.set_grad(-3.0);
  adamw.step();
  const double p1 = w.p.item();
  CHECK(p1 == doctest::Approx(0.95 + 0.1).epsilon(1e-9));
  // Adam's L2 decay adds wd * p to g instead: g = 1 + 0.5 * 1 > 0, p = 1 - 0.1
  Scalar l2;
  optim::Adam<double> adam_l2(l2.params(), {0.1, 0.9, 0.999, 1e-8, 0.5});
  l2.set_grad(1.0);
  adam_l2.step();
  CHECK(l2.p.item() == doctest::Approx(0.9).epsilon(1e-9));
  // second AdamW step with the same gradient, by the formulas
  w.set_grad(-3.0);
  adamw.step();
  const double m = 0.1 * -3.0 * 0.9 + 0.1 * -3.0, v = 0.999 * 0.001 * 9 + 0.001 * 9;
  const double expect = p1 * (1 - 0.05) - 0.1 / (1 - 0.81) * m / (std::sqrt(v) / std::sqrt(1 - 0.998001) + 1e-8);
  CHECK(w.p.item() == doctest::Approx(expect).epsilon(1e-14));
  // torch.optim.AdamW on the same scalar problem gives 1.0974999993499992
  CHECK(w.p.item() == doctest::Approx(1.0974999993499992).epsilon(1e-15));
}

TEST_CASE("decay_groups keeps biases, LayerNorm and embeddings out of weight decay") {
  nn::GPT<float> m({13, 8, 1, 1, 8, 0.0}, 1);
  const auto groups = optim::decay_groups(m.named_parameters(), 1e-3, 0.1);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].weight_decay == 0.1);
  for (const auto& p : groups[0].params) CHECK(p.name.find(".weight") != std::string::npos);
  CHECK(groups[0].params.size() == 4);  // c_attn, attn.c_proj, c_fc, mlp.c_proj
  CHECK(groups[1].weight_decay == 0.0);
}

TEST_CASE("clip_grad_norm scales gradients to the max norm and returns the norm before") {
  auto a = Tensor<double>::zeros({2}).requires_grad_(), b = Tensor<double>::zeros({1}).requires_grad_();
  a.set_grad(Tensor<double>::from_vector({3, 0}));
  b.set_grad(Tensor<double>::from_vector({4}));
  CHECK(optim::clip_grad_norm<double>({a, b}, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad().to_vector()[0] == doctest::Approx(0.6).epsilon(1e-6));
  CHECK(b.grad().to_vector()[0] == doctest::Approx(0.8).epsilon(1e-6));
  CHECK(optim::clip_grad_norm<double>({a, b}, 10.0) == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(b.grad().to_vector()[0] == doctest::Approx(0.8).epsilon(1e-6));  // below the max: unchanged
}

TEST_CASE("warmup + cosine schedule values") {
  const auto s = optim::LRSchedule::warmup_cosine(1.0, 0.1, 10, 110);
  CHECK(s(0) == doctest::Approx(0.1));
  CHECK(s(9) == doctest::Approx(1.0));
  CHECK(s(10) == doctest::Approx(1.0));
  CHECK(s(60) == doctest::Approx(0.55));
  CHECK(s(110) == doctest::Approx(0.1));
  CHECK(s(500) == doctest::Approx(0.1));
  CHECK(optim::LRSchedule::constant(0.3)(1000) == 0.3);
  CHECK_THROWS_AS(optim::LRSchedule::warmup_cosine(1.0, 2.0, 0, 10), tinylm::Error);
}

TEST_CASE("gradient accumulation over micro-batches equals one big batch") {
  nn::GPT<double> a({11, 8, 1, 1, 8, 0.0}, 3), b({11, 8, 1, 1, 8, 0.0}, 3);
  tinylm::Generator g(4);
  const auto x = Tensor<int32_t>::randint(0, 11, {4, 8}, g), y = Tensor<int32_t>::randint(0, 11, {4, 8}, g);
  a.forward(x, y).loss.backward();
  for (int i = 0; i < 2; ++i)
    (b.forward(x.narrow(0, 2 * i, 2).contiguous(), y.narrow(0, 2 * i, 2).contiguous()).loss * 0.5).backward();
  const auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    th::check_close(pa[i].grad().to_vector(), pb[i].grad().to_vector(), 1e-14);
}

TEST_CASE("grad_norms lists every parameter's gradient norm, 0 without a gradient") {
  auto a = Tensor<double>::zeros({2}).requires_grad_(), b = Tensor<double>::zeros({1}).requires_grad_();
  a.set_grad(Tensor<double>::from_vector({3, 4}));
  const auto norms = optim::grad_norms<double>({{"a", a, nn::Decay::Yes}, {"b", b, nn::Decay::No}});
  REQUIRE(norms.size() == 2);
  CHECK(norms[0].first == "a");
  CHECK(norms[0].second == doctest::Approx(5.0));
  CHECK(norms[1].second == 0.0);
}

TEST_CASE("AdamW's defaults are torch.optim.AdamW's: lr 1e-3, betas 0.9 / 0.999, eps 1e-8, weight decay 0.01") {
  const optim::AdamWOptions o;
  CHECK(o.lr == 1e-3);
  CHECK(o.beta1 == 0.9);
  CHECK(o.beta2 == 0.999);
  CHECK(o.eps == 1e-8);
  CHECK(o.weight_decay == 0.01);
  CHECK(optim::AdamOptions{}.weight_decay == 0.0);  // Adam's, as in PyTorch
  // One step with only lr given: p = 1 * (1 - 1e-3 * 0.01) - 1e-3 (the first step moves by lr).
  Scalar w;
  optim::AdamW<double> adamw(w.params(), {1e-3});
  w.set_grad(2.0);
  adamw.step();
  CHECK(w.p.item() == doctest::Approx(1.0 - 1e-5 - 1e-3).epsilon(1e-9));
}

TEST_CASE("optimizers keep no state for frozen parameters, and leave them as they are") {
  nn::GPT<double> model({12, 8, 1, 2, 8, 0.0}, 1);
  model.freeze();
  CHECK(model.unfreeze("transformer.h.0.mlp.") == 4);
  std::vector<std::vector<double>> before;
  for (const auto& p : model.named_parameters()) before.push_back(p.tensor.to_vector());
  optim::AdamW<double> adamw(model.named_parameters(), optim::AdamWOptions{});
  optim::SGD<double> sgd(model.named_parameters(), optim::SGDOptions{0.1, 0.9, 0.0, false});
  for (auto* opt : std::vector<optim::Optimizer<double>*>{&adamw, &sgd}) {
    const auto state = opt->state();
    CHECK(state.size() == (opt == &adamw ? 8u : 4u));  // two moments, or one buffer, per trainable tensor
    for (const auto& [name, t] : state) CHECK(name.find("transformer.h.0.mlp.") != std::string::npos);
  }
  const auto x = Tensor<int32_t>::from_vector({1, 2, 3, 4}, {1, 4});
  for (auto* opt : std::vector<optim::Optimizer<double>*>{&adamw, &sgd}) {
    opt->zero_grad();
    model.forward(x, x).loss.backward();
    opt->step();
  }
  const auto after = model.named_parameters();
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO(after[i].name);
    const bool trained = after[i].name.starts_with("transformer.h.0.mlp.");
    CHECK((after[i].tensor.to_vector() != before[i]) == trained);
  }
  // Unfreezing later: the parameter's state appears at its first step.
  model.unfreeze("transformer.ln_f.");
  adamw.zero_grad();
  model.forward(x, x).loss.backward();
  adamw.step();
  CHECK(adamw.state().size() == 12u);  // + ln_f weight and bias, two moments each
}

TEST_CASE("a gradient left from before freezing is neither applied nor counted by clipping") {
  nn::GPT<double> model({12, 8, 1, 2, 8, 0.0}, 1);
  const auto x = Tensor<int32_t>::from_vector({1, 2, 3, 4}, {1, 4});
  optim::AdamW<double> adamw(model.named_parameters(), optim::AdamWOptions{});
  model.forward(x, x).loss.backward();
  const double all = optim::clip_grad_norm(model.parameters(), 1e9);
  double frozen_sq = 0;
  for (const auto& p : model.named_parameters())
    if (p.name.starts_with("transformer.h.0.attn."))
      for (double g : p.tensor.grad().to_vector()) frozen_sq += g * g;
  REQUIRE(frozen_sq > 0);
  CHECK(model.freeze("transformer.h.0.attn.") == 4);  // their gradients are still there
  const double rest = optim::clip_grad_norm(model.parameters(), 1e9);
  CHECK(rest == doctest::Approx(std::sqrt(all * all - frozen_sq)).epsilon(1e-12));
  std::vector<std::vector<double>> before;
  for (const auto& p : model.named_parameters()) before.push_back(p.tensor.to_vector());
  adamw.step();
  const auto after = model.named_parameters();
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO(after[i].name);
    CHECK((after[i].tensor.to_vector() == before[i]) == after[i].name.starts_with("transformer.h.0.attn."));
  }
}

TEST_CASE("warmup + stable + decay schedule values") {
  const auto s = optim::LRSchedule::warmup_stable_decay(1.0, 0.1, 10, 100, 210);  // decays over steps 110..210
  CHECK(s(0) == doctest::Approx(0.1));
  CHECK(s(9) == doctest::Approx(1.0));
  CHECK(s(50) == 1.0);
  CHECK(s(109) == 1.0);
  CHECK(s(110) == doctest::Approx(1.0));
  CHECK(s(160) == doctest::Approx(0.55));
  CHECK(s(210) == doctest::Approx(0.1));
  // decay 0: the full rate to the end; decay = total - warmup: warmup_cosine.
  CHECK(optim::LRSchedule::warmup_stable_decay(1.0, 0.1, 10, 0, 50)(49) == 1.0);
  const auto c = optim::LRSchedule::warmup_stable_decay(1.0, 0.1, 10, 100, 110);
  for (int64_t step : {0, 10, 33, 60, 109}) CHECK(c(step) == optim::LRSchedule::warmup_cosine(1.0, 0.1, 10, 110)(step));
  CHECK_THROWS_WITH_AS(optim::LRSchedule::warmup_stable_decay(1.0, 0.1, 10, 100, 50),
                       "LRSchedule: need warmup (10) + decay (100) <= total (50) and min_lr (0.1) <= lr (1)",
                       tinylm::Error);
}
