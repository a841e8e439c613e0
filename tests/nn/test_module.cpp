#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;

TEST_CASE("load_state_dict copies into the same storage and reports every mismatch") {
  nn::GPT<float> a({13, 8, 1, 1, 8, 0.0}, 1), b({13, 8, 1, 1, 8, 0.0}, 2);
  const float* before = b.wte.weight.data();
  b.load_state_dict(a.state_dict());
  CHECK(b.wte.weight.data() == before);
  CHECK(b.wte.weight.to_vector() == a.wte.weight.to_vector());

  auto state = a.state_dict();
  state.erase(state.begin() + 1);                                      // drop wpe
  state.emplace_back("transformer.extra", Tensor<float>::zeros({2}));  // add an unknown tensor
  state[0].second = Tensor<float>::zeros({13, 9});                     // wrong wte shape
  CHECK_THROWS_WITH_AS(
      b.load_state_dict(state),
      "load_state_dict: the state does not match the model; missing: transformer.wpe.weight; "
      "unexpected: transformer.extra; wrong shape: transformer.wte.weight (model [13, 8], given [13, 9])",
      tinylm::Error);
  CHECK(b.wte.weight.to_vector() == a.wte.weight.to_vector());  // nothing was modified
}

TEST_CASE("Module::to: the CPU is a no-op; a device this machine lacks is refused before anything moves") {
  nn::GPT<float> m({13, 8, 1, 1, 8, 0.0}, 1);
  const float* before = m.wte.weight.data();
  CHECK(&m.to(tinylm::Device::cpu()) == &m);
  CHECK(m.wte.weight.data() == before);
  CHECK(m.device() == tinylm::Device::cpu());
  if (!tinylm::cuda::available()) {
    CHECK_THROWS_WITH_AS(m.to(tinylm::Device::cuda()), doctest::Contains("cuda:0"), tinylm::Error);
    CHECK(m.device() == tinylm::Device::cpu());
    for (const auto& p : m.named_parameters()) CHECK(p.tensor.device() == tinylm::Device::cpu());
    CHECK(m.wte.weight.data() == before);
  }
}

TEST_CASE("train/eval propagate to children; zero_grad clears every gradient") {
  nn::GPT<float> m({13, 8, 2, 1, 8, 0.1}, 1);
  m.eval();
  CHECK(!m.h[1]->mlp.dropout.is_training());
  m.train();
  CHECK(m.h[1]->attn.attn_dropout.is_training());
  auto x = Tensor<int32_t>::zeros({1, 4});
  m.forward(x, x).loss.backward();
  CHECK(m.h[0]->ln_1.weight.grad().defined());
  m.zero_grad();
  for (const auto& p : m.parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("Linear is y = x W + b with W stored [in, out]") {
  tinylm::Generator g(1);
  nn::Linear<double> lin(3, 2, g);
  {
    tinylm::NoGradGuard ng;
    lin.weight.copy_(Tensor<double>::from_vector({1, 2, 3, 4, 5, 6}, {3, 2}));
    lin.bias.copy_(Tensor<double>::from_vector({10, 20}));
  }
  CHECK(lin.forward(Tensor<double>::from_vector({1, 1, 1}, {1, 3})).to_vector() == std::vector<double>{19, 32});
  auto x = th::leaf({2, 4, 3}, 2);
  th::check_grad([&](const th::TensorList& in) { return lin.forward(in[0]); }, {x});
  th::check_grad([&](const th::TensorList& in) { return lin.forward(in[0].transpose(0, 1)); }, {x});
  th::check_grad([&](const th::TensorList&) { return lin.forward(x.detach()); }, {lin.weight, lin.bias});
  CHECK_THROWS_WITH_AS(lin.forward(Tensor<double>::zeros({2, 4})),
                       "linear: x is [2, 4], weight is [3, 2]: x.shape[-1] must equal weight.shape[0] (4 != 3)",
                       tinylm::Error);
}

namespace {

// The layers are declared before anything else and still draw from built
// generators: Seeded is a base.
struct SeededNet : tinylm::nn::Seeded, tinylm::nn::Module<float> {
  tinylm::nn::Linear<float> fc{4, 8, init_gen};
  tinylm::nn::Dropout<float> drop{0.5, dropout_gen};
  SeededNet() : tinylm::nn::Seeded(5) {
    register_module("fc", fc);
    register_module("drop", drop);
  }
};

}  // namespace

TEST_CASE("nn::Seeded: generators in a base are built before the members that draw from them") {
  SeededNet net;
  tinylm::Generator same(5);
  tinylm::nn::Linear<float> alone(4, 8, same);
  CHECK(net.fc.weight.to_vector() == alone.weight.to_vector());
  CHECK(net.fc.bias.to_vector() == alone.bias.to_vector());
  tinylm::Generator fresh(5);
  CHECK(net.dropout_gen.uniform() != fresh.uniform());  // dropout has a stream of its own
}
