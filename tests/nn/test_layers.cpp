// Configurable layers: MLP widths and activations (and the gated SwiGLU
// form), dropout without a generator, and the initializers.

#include <algorithm>
#include <cmath>

#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;

TEST_CASE("MLP: hidden width and activation are chosen; each equals its composition of ops") {
  tinylm::Generator g(1);
  const auto x = Tensor<double>::randn({2, 3, 4}, g);
  for (auto act : {nn::Activation::GeluTanh, nn::Activation::Gelu, nn::Activation::Silu, nn::Activation::Relu}) {
    tinylm::Generator init(2);
    nn::MLP<double> mlp(4, nn::MLPConfig{.hidden = 6, .activation = act}, init);
    CHECK(mlp.c_fc.weight.shape() == tinylm::Shape{4, 6});
    CHECK(mlp.c_proj.weight.shape() == tinylm::Shape{6, 4});
    CHECK(!mlp.c_gate);
    const auto h = tinylm::linear(x, mlp.c_fc.weight, mlp.c_fc.bias);
    const Tensor<double> a = act == nn::Activation::GeluTanh ? tinylm::gelu_tanh_reference(h)
                             : act == nn::Activation::Gelu   ? tinylm::gelu(h)
                             : act == nn::Activation::Silu   ? h * tinylm::sigmoid(h)
                                                             : tinylm::relu(h);
    th::check_close(mlp.forward(x).to_vector(), tinylm::linear(a, mlp.c_proj.weight, mlp.c_proj.bias).to_vector(),
                    1e-12);
  }
  tinylm::Generator init(3);
  nn::MLP<double> wide(4, nn::MLPConfig{}, init);
  CHECK(wide.hidden() == 16);  // 4C by default
}

TEST_CASE("MLP gated (SwiGLU): silu(x W_gate) * (x W_fc), then W_proj; no biases when asked; gradchecked") {
  tinylm::Generator init(4);
  nn::MLP<double> mlp(3, nn::MLPConfig{.hidden = 5, .activation = nn::Activation::Silu, .gated = true, .bias = false},
                      init);
  REQUIRE(mlp.c_gate);
  CHECK(!mlp.c_fc.bias.defined());
  std::vector<std::string> names;
  for (const auto& p : mlp.named_parameters()) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"c_fc.weight", "c_gate.weight", "c_proj.weight"});
  const auto x = th::leaf({2, 3}, 5);
  const auto want = tinylm::matmul(
      tinylm::silu(tinylm::matmul(x, mlp.c_gate->weight)) * tinylm::matmul(x, mlp.c_fc.weight), mlp.c_proj.weight);
  th::check_close(mlp.forward(x).to_vector(), want.to_vector(), 1e-14);
  th::check_grad([&](const th::TensorList& in) { return mlp.forward(in[0]); }, {x});
}

TEST_CASE("dropout needs no generator at p = 0 and uses the default generator without one, in Dropout and in MLP") {
  tinylm::Generator init(6);
  nn::MLP<float> mlp(4, nn::MLPConfig{}, init);  // no dropout generator at all
  const auto x = Tensor<float>::ones({2, 4});
  CHECK(mlp.forward(x).shape() == tinylm::Shape{2, 4});
  nn::MLP<float> dropping(4, nn::MLPConfig{.dropout = 0.5}, init);
  const auto xb = Tensor<float>::ones({64, 4});
  tinylm::manual_seed(3);
  const auto first = dropping.forward(xb).to_vector();
  tinylm::manual_seed(3);
  CHECK(dropping.forward(xb).to_vector() == first);  // the default generator, reseeded
  CHECK(dropping.forward(xb).to_vector() != first);  // and its stream moves on
  CHECK(std::count(first.begin(), first.end(), 0.f) > 0);
  dropping.train(false);
  const auto eval = dropping.forward(xb).to_vector();
  CHECK(std::count(eval.begin(), eval.end(), 0.f) == 0);
  nn::Dropout<float> d(0.5);
  tinylm::manual_seed(7);
  const auto a = d.forward(Tensor<float>::ones({1000})).to_vector();
  tinylm::manual_seed(7);
  CHECK(d.forward(Tensor<float>::ones({1000})).to_vector() == a);  // the default generator, reseeded
  int64_t kept = 0;
  for (float v : a) kept += v != 0;
  CHECK(kept > 400);
  CHECK(kept < 600);
  d.train(false);
  CHECK(d.forward(Tensor<float>::ones({3})).to_vector() == std::vector<float>{1, 1, 1});
}

namespace {

// A two-layer model of the user's own, to apply GPT-2's initialisation to.
struct Tiny : nn::Module<double> {
  tinylm::Generator gen{9};
  nn::Embedding<double> emb{10, 8, gen};
  nn::LayerNorm<double> ln{8};
  nn::Linear<double> c_fc{8, 16, gen};
  nn::Linear<double> c_proj{16, 8, gen};
  Tiny() {
    register_module("emb", emb);
    register_module("ln", ln);
    register_module("c_fc", c_fc);
    register_module("c_proj", c_proj);
  }
};

double stddev(const Tensor<double>& t) {
  double s = 0, ss = 0;
  for (double v : t.to_vector()) s += v, ss += v * v;
  const double n = double(t.numel()), m = s / n;
  return std::sqrt(ss / n - m * m);
}

}  // namespace

TEST_CASE("init: zeros_, ones_, normal_ and GPT-2's scheme as a function any module can use") {
  auto t = Tensor<double>::empty({3});
  nn::init::ones_(t);
  CHECK(t.to_vector() == std::vector<double>{1, 1, 1});
  nn::init::zeros_(t);
  CHECK(t.to_vector() == std::vector<double>{0, 0, 0});
  Tiny m;
  CHECK(stddev(m.emb.weight) == doctest::Approx(1.0).epsilon(0.15));  // PyTorch's N(0, 1) to start
  tinylm::Generator g(10);
  nn::init::gpt2_(m, 2, g);
  CHECK(stddev(m.emb.weight) == doctest::Approx(0.02).epsilon(0.2));
  CHECK(stddev(m.c_fc.weight) == doctest::Approx(0.02).epsilon(0.2));
  CHECK(stddev(m.c_proj.weight) == doctest::Approx(0.01).epsilon(0.2));  // 0.02 / sqrt(2 * 2)
  CHECK(m.c_fc.bias.to_vector() == std::vector<double>(16, 0.0));
  CHECK(m.ln.weight.to_vector() == std::vector<double>(8, 1.0));  // LayerNorm gains untouched
  // The same generator state gives the same weights: GPT's own initialisation is this function.
  Tiny again;
  tinylm::Generator g2(10);
  nn::init::gpt2_(again, 2, g2);
  CHECK(again.c_proj.weight.to_vector() == m.c_proj.weight.to_vector());
  nn::Embedding<double> small(5, 3, g, 0.5);
  CHECK(stddev(small.weight) < 1.0);
  CHECK_THROWS_WITH_AS(nn::init::gpt2_(m, 0, g), "init::gpt2_: n_layer must be positive, got 0", tinylm::Error);
}
