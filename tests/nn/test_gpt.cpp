#include <cmath>
#include <filesystem>

#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;

namespace {

nn::GPTConfig tiny() { return {13, 16, 2, 2, 12, 0.0}; }

std::pair<Tensor<int32_t>, Tensor<int32_t>> batch(int64_t B, int64_t T, int64_t V, uint64_t seed) {
  tinylm::Generator g(seed);
  return {Tensor<int32_t>::randint(0, V, {B, T}, g), Tensor<int32_t>::randint(0, V, {B, T}, g)};
}

}  // namespace

TEST_CASE("parameters carry Hugging Face GPT-2 names, in order, with decay only on matrices") {
  nn::GPT<float> m(tiny(), 1);
  const auto ps = m.named_parameters();
  REQUIRE(ps.size() == 2 + 2 * 12 + 2);
  CHECK(ps[0].name == "transformer.wte.weight");
  CHECK(ps[1].name == "transformer.wpe.weight");
  CHECK(ps[2].name == "transformer.h.0.ln_1.weight");
  CHECK(ps[4].name == "transformer.h.0.attn.c_attn.weight");
  CHECK(ps[4].tensor.shape() == tinylm::Shape{12, 36});
  CHECK(ps[4].decay == nn::Decay::Yes);
  CHECK(ps[5].decay == nn::Decay::No);
  CHECK(ps[0].decay == nn::Decay::No);
  CHECK(ps.back().name == "transformer.ln_f.bias");
  CHECK(m.num_parameters() ==
        13 * 12 + 16 * 12 + 2 * (4 * 12 + 12 * 36 + 36 + 12 * 12 + 12 + 12 * 48 + 48 + 48 * 12 + 12) + 24);
}

TEST_CASE("GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 L), LayerNorm 1 and 0") {
  nn::GPT<double> m({50, 64, 4, 4, 64, 0.0}, 3);
  auto stdev = [](const Tensor<double>& t) {
    double s = 0;
    for (double v : t.to_vector()) s += v * v;
    return std::sqrt(s / double(t.numel()));
  };
  CHECK(stdev(m.wte.weight) == doctest::Approx(0.02).epsilon(0.05));
  CHECK(stdev(m.h[0]->attn.c_attn.weight) == doctest::Approx(0.02).epsilon(0.05));
  CHECK(stdev(m.h[0]->mlp.c_proj.weight) == doctest::Approx(0.02 / std::sqrt(8.0)).epsilon(0.05));
  CHECK(stdev(m.h[0]->attn.c_attn.bias) == 0.0);
  CHECK(m.h[1]->ln_2.weight.to_vector() == std::vector<double>(64, 1.0));
}

TEST_CASE("loss at initialisation is close to ln(V)") {
  nn::GPT<float> m({65, 32, 2, 2, 32, 0.0}, 5);
  auto [x, y] = batch(4, 32, 65, 6);
  CHECK(m.forward(x, y).loss.item() == doctest::Approx(std::log(65.0)).epsilon(0.02));
}

TEST_CASE("a tiny GPT overfits one batch to near-zero loss") {
  nn::GPT<float> m(tiny(), 7);
  auto [x, y] = batch(2, 16, 13, 8);
  tinylm::optim::AdamW<float> opt(m.named_parameters(), {3e-2, 0.9, 0.95, 1e-8, 0.0});
  float loss = 0;
  for (int i = 0; i < 250; ++i) {
    opt.zero_grad();
    auto out = m.forward(x, y);
    out.loss.backward();
    opt.step();
    loss = out.loss.item();
  }
  CHECK(loss < 0.05f);
}

TEST_CASE("gradcheck: the whole GPT in double, fused and reference attention") {
  for (bool fused : {true, false}) {
    INFO("fused: " << fused);
    nn::GPT<double> m({7, 6, 2, 2, 4, 0.0}, 9);
    m.set_fused_attention(fused);
    // Larger weights than the 0.02 init so every path carries signal.
    {
      tinylm::NoGradGuard g;
      tinylm::Generator gen(10);
      for (auto& p : m.parameters()) tinylm::nn::init::normal_(p, 0.4, gen);
    }
    const auto x = Tensor<int32_t>::from_vector({1, 5, 2, 6, 0, 3, 3, 1, 4}, {1, 9}).narrow(1, 0, 6).contiguous();
    const auto y = Tensor<int32_t>::from_vector({5, 2, 6, 0, 3, 3}, {1, 6});
    th::check_grad([&](const th::TensorList&) { return m.forward(x, y).loss; }, m.parameters());
  }
}

TEST_CASE("decoding with the KV cache gives the logits of the full forward") {
  nn::GPT<double> m({17, 12, 2, 3, 12, 0.0}, 11);
  auto [x, y] = batch(2, 12, 17, 12);
  const auto full = m.forward(x);
  auto cache = m.make_cache(2);
  std::vector<Tensor<double>> parts;
  int64_t t = 0;
  for (int64_t len : {5, 1, 1, 3, 2}) {
    parts.push_back(m.forward(x.narrow(1, t, len).contiguous(), &cache));
    t += len;
  }
  th::check_close(tinylm::cat(parts, 1).to_vector(), full.to_vector(), 1e-12);
  CHECK_THROWS_WITH_AS(m.forward(x.narrow(1, 0, 1).contiguous(), &cache),
                       "GPT: sequence of length 13 is longer than block_size 12", tinylm::Error);
}

TEST_CASE("dropout is active in train mode and off in eval mode") {
  nn::GPT<float> m({13, 16, 1, 1, 8, 0.3}, 13);
  auto [x, y] = batch(1, 16, 13, 14);
  m.eval();
  const auto a = m.forward(x).to_vector(), b = m.forward(x).to_vector();
  CHECK(a == b);
  m.train();
  CHECK(m.forward(x).to_vector() != a);
}

TEST_CASE("GPT input errors name the shape") {
  nn::GPT<float> m(tiny(), 1);
  CHECK_THROWS_WITH_AS(m.forward(Tensor<int32_t>::zeros({16})), "GPT: idx is [16]: expected [B, T]", tinylm::Error);
  CHECK_THROWS_WITH_AS(m.forward(Tensor<int32_t>::zeros({1, 17})),
                       "GPT: sequence of length 17 is longer than block_size 16", tinylm::Error);
  CHECK_THROWS_WITH_AS(m.forward(Tensor<int32_t>::full({1, 2}, 13)),
                       "embedding: index 13 at position 0 is out of range for 13 rows", tinylm::Error);
  CHECK_THROWS_WITH_AS((nn::GPT<float>({13, 16, 2, 5, 12, 0.0}, 1)),
                       "GPTConfig: n_embd (12) must be a multiple of n_head (5)", tinylm::Error);
}

TEST_CASE("attention maps: causal rows of probabilities, equal to softmax(q k^T / sqrt(HS)) of the block") {
  nn::GPT<double> m({13, 8, 2, 2, 8, 0.0}, 21);
  const auto x = Tensor<int32_t>::from_vector({3, 1, 4, 1, 5, 9}, {1, 6});
  const auto maps = m.attention_maps(x);
  REQUIRE(maps.size() == 2);
  CHECK(maps[1].shape() == tinylm::Shape{1, 2, 6, 6});
  const auto v = maps[0].to_vector();
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 6; ++i) {
      double s = 0;
      for (int j = 0; j < 6; ++j) {
        const double p = v[(h * 6 + i) * 6 + j];
        if (j > i) CHECK(p == 0.0);
        s += p;
      }
      CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
    }
  // layer 0 by hand: ln_1, c_attn, scores of head 0, softmax
  tinylm::NoGradGuard ng;
  const auto h0 = m.wte.forward(x) + m.wpe.forward(Tensor<int64_t>::arange(6));
  const auto qkv = m.h[0]->attn.c_attn.forward(m.h[0]->ln_1.forward(h0));  // (1, 6, 24)
  const auto q = qkv.narrow(2, 0, 4), k = qkv.narrow(2, 8, 4);             // head 0
  const auto s = tinylm::masked_fill(tinylm::matmul(q, k.transpose(1, 2)) * 0.5, tinylm::causal_mask(6), -INFINITY);
  th::check_close(maps[0].select(1, 0).to_vector(), tinylm::softmax(s, -1).to_vector(), 1e-14);
  CHECK(m.is_training());
  CHECK(!m.h[0]->attn.record_attention);
}
