// Grad-ready hooks (autograd/hooks.hpp): called once per backward for each
// hooked leaf, when its gradient is complete, while backward is still
// running.

#include "helpers.hpp"

using tinylm::Tensor;
namespace autograd = tinylm::autograd;

TEST_CASE("a grad-ready hook runs in the middle of backward, once the leaf's gradient is complete") {
  auto w1 = Tensor<double>::from_vector({2.0}).requires_grad_();
  auto w2 = Tensor<double>::from_vector({3.0}).requires_grad_();
  auto w3 = Tensor<double>::from_vector({5.0}).requires_grad_();
  const auto x = Tensor<double>::from_vector({1.0, 2.0});
  std::vector<std::string> order;
  std::vector<double> seen;
  autograd::add_grad_ready_hook(w3, [&](const Tensor<double>&) {
    order.push_back("w3");
    seen.push_back(w3.grad().item());
    CHECK(!w1.grad().defined());  // the ops before w3's use have not run their backward yet
  });
  autograd::add_grad_ready_hook(
      w2, [&](const Tensor<double>&) { order.push_back("w2"), seen.push_back(w2.grad().item()); });
  autograd::add_grad_ready_hook(
      w1, [&](const Tensor<double>&) { order.push_back("w1"), seen.push_back(w1.grad().item()); });
  (((x * w1) * w2) * w3).sum().backward();  // d/dw1 = 3 * 5 * 3 = 45, d/dw2 = 2 * 5 * 3 = 30, d/dw3 = 18
  CHECK(order == std::vector<std::string>{"w3", "w2", "w1"});
  CHECK(seen == std::vector<double>{18, 30, 45});
}

TEST_CASE("a leaf used twice (a tied weight) gets its hook once, after both contributions") {
  auto w = Tensor<double>::from_vector({2.0, -1.0}).requires_grad_();
  int calls = 0;
  std::vector<double> at_hook;
  autograd::add_grad_ready_hook(w, [&](const Tensor<double>&) {
    ++calls;
    at_hook = w.grad().to_vector();
  });
  const auto a = w * 3.0;                               // early in the graph
  const auto loss = ((a * a).sum() + (w * 7.0).sum());  // d/dw = 18 w + 7
  loss.backward();
  CHECK(calls == 1);
  CHECK(at_hook == std::vector<double>{43, -11});
  CHECK(at_hook == w.grad().to_vector());
}

TEST_CASE("hooks run at every backward, accumulating gradients included, until removed") {
  auto w = Tensor<double>::from_vector({1.0}).requires_grad_();
  std::vector<double> at_hook;
  const int64_t id =
      autograd::add_grad_ready_hook(w, [&](const Tensor<double>&) { at_hook.push_back(w.grad().item()); });
  (w * 2.0).sum().backward();
  (w * 3.0).sum().backward();  // accumulates: the hook sees 2 + 3
  CHECK(at_hook == std::vector<double>{2, 5});
  autograd::remove_grad_ready_hook(w, id);
  (w * 4.0).sum().backward();
  CHECK(at_hook.size() == 2);
  CHECK(w.grad().item() == 9);
  // A backward from the leaf itself: its hook runs too.
  autograd::add_grad_ready_hook(w, [&](const Tensor<double>&) { at_hook.push_back(-1); });
  w.backward(Tensor<double>::from_vector({1.0}));
  CHECK(at_hook.back() == -1);
}

TEST_CASE("a hook gets its leaf, so it need not capture it (a leaf that held itself would never be freed)") {
  std::weak_ptr<tinylm::TensorImpl<double>> gone;
  double seen = 0;
  {
    auto w = Tensor<double>::from_vector({4.0}).requires_grad_();
    gone = w.impl_ptr();
    autograd::add_grad_ready_hook(w, [&](const Tensor<double>& leaf) { seen = leaf.grad().item(); });
    (w * w).sum().backward();
  }
  CHECK(seen == 8);
  CHECK(gone.expired());
}

TEST_CASE("hooks are only for leaves that require grad") {
  const auto x = Tensor<double>::from_vector({1.0});
  CHECK_THROWS_WITH_AS(autograd::add_grad_ready_hook(x, [](const Tensor<double>&) {}),
                       "add_grad_ready_hook: the tensor must be a leaf that requires grad", tinylm::Error);
  auto w = Tensor<double>::from_vector({1.0}).requires_grad_();
  const auto y = w * 2.0;
  CHECK_THROWS_AS(autograd::add_grad_ready_hook(y, [](const Tensor<double>&) {}), tinylm::Error);
}

TEST_CASE("every parameter of a GPT gets its hook once per backward, in an order the graph allows") {
  namespace nn = tinylm::nn;
  nn::GPT<double> model(nn::GPTConfig{11, 8, 2, 2, 8, 0.0}, 7);
  const auto idx = Tensor<int64_t>::from_vector({1, 2, 3, 4, 5, 6, 7, 8}).reshape({2, 4});
  std::map<std::string, int> calls;
  std::vector<std::string> order;
  const auto params = model.named_parameters();
  for (const auto& p : params)
    autograd::add_grad_ready_hook(p.tensor, [&, name = p.name](const Tensor<double>& t) {
      ++calls[name];
      order.push_back(name);
      CHECK(t.grad().defined());
    });
  model.forward(idx, idx).loss.backward();
  CHECK(calls.size() == params.size());
  for (const auto& entry : calls) CHECK_MESSAGE(entry.second == 1, entry.first);  // no structured binding: Clang 14
  // Backward reaches the last block before the first.
  const auto pos = [&](const std::string& suffix) {
    for (std::size_t i = 0; i < order.size(); ++i)
      if (order[i].ends_with(suffix)) return i;
    return order.size();
  };
  CHECK(pos("h.1.mlp.c_proj.weight") < pos("h.0.mlp.c_proj.weight"));
  CHECK(pos("h.0.attn.c_attn.weight") < pos("wpe.weight"));
}
