#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;
namespace lm = tinylm::lm;

namespace bf16_weights_nn {

/// Rounds a float32 tensor's values to bf16 values, in place.
void round_to_bf16(Tensor<float> t) {
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = tinylm::bf16::from_float(t.data()[i]).to_float();
}

nn::GPTConfig config() { return {50, 24, 2, 2, 16, 0.0}; }

/// Makes the token table of `m` hold bf16 values (lookups then read the
/// same values in float32 and in bf16), and its Linear weights too when
/// `round_linears`: what a model computes under Bf16Weights, in float32.
void prepare(nn::GPT<float>& m, bool round_linears) {
  tinylm::NoGradGuard no_grad;
  round_to_bf16(m.wte.weight);
  if (round_linears)
    for (auto& [name, mod] : m.named_modules())
      if (auto* lin = dynamic_cast<nn::Linear<float>*>(mod)) round_to_bf16(lin->weight);
}

}  // namespace bf16_weights_nn

TEST_CASE("a Linear with a bf16 copy computes with it when no gradient is asked for, with W when one is") {
  tinylm::Generator gen(3);
  nn::Linear<float> lin(40, 30, gen);
  const Tensor<float> x = Tensor<float>::randn({2, 40}, gen);
  const Tensor<float> exact = lin.forward(x);  // W requires grad: float32
  lin.set_bf16_weights(true);
  REQUIRE(lin.bf16_weights() != nullptr);
  CHECK(lin.forward(x).to_vector() == exact.to_vector());  // a gradient is asked for: W itself
  Tensor<float> with_copy;
  {
    tinylm::NoGradGuard no_grad;
    with_copy = lin.forward(x);
  }
  th::check_close(with_copy.to_vector(), tinylm::linear(x, lin.bf16_weights()->to_float(), lin.bias).to_vector(), 1e-5);
  CHECK(th::max_abs_diff(with_copy.to_vector(), exact.to_vector()) > 1e-4);
  lin.set_bf16_weights(false);
  CHECK(lin.bf16_weights() == nullptr);
  tinylm::NoGradGuard no_grad;
  CHECK(lin.forward(x).to_vector() == exact.to_vector());
}

TEST_CASE("merging a LoRA adapter and resizing a table refresh their bf16 copies") {
  tinylm::Generator gen(4);
  nn::Linear<float> lin(8, 6, gen);
  lin.add_lora(2, 4.0, 0.0, 9);
  nn::init::uniform_(lin.lora()->lora_B.weight, 0.5, gen);  // a nonzero update
  lin.set_bf16_weights(true);
  lin.merge_lora();
  CHECK(lin.bf16_weights()->to_float().to_vector() == tinylm::Bf16Matrix(lin.weight).to_float().to_vector());
  nn::Embedding<float> emb(5, 4, gen);
  emb.set_bf16_weights(true);
  emb.resize(7, gen, 1.0);
  CHECK(emb.bf16_weights()->rows() == 7);
  CHECK(emb.bf16_weights()->to_float().to_vector() == tinylm::Bf16Matrix(emb.weight).to_float().to_vector());
}

TEST_CASE("a double layer has no bf16 copy") {
  tinylm::Generator gen(5);
  nn::Linear<double> lin(3, 2, gen);
  CHECK_THROWS_WITH_AS(lin.set_bf16_weights(true),
                       "Linear: bf16 weights are copies of float32 weights; this layer's are double", tinylm::Error);
  nn::Embedding<double> emb(3, 2, gen);
  CHECK_THROWS_WITH_AS(emb.set_bf16_weights(true),
                       "Embedding: bf16 weights are copies of float32 weights; this layer's are double", tinylm::Error);
}

TEST_CASE("under Bf16Weights a GPT computes what it computes with its weight matrices rounded to bf16") {
  namespace u = bf16_weights_nn;
  nn::GPT<float> m(u::config(), 11), reference(u::config(), 11);
  u::prepare(m, false), u::prepare(reference, true);
  m.train(false), reference.train(false);
  tinylm::Generator gen(6);
  const Tensor<int32_t> idx = Tensor<int32_t>::randint(0, 50, {2, 9}, gen);
  tinylm::NoGradGuard no_grad;
  const auto fp32 = m.forward(idx).to_vector();
  {
    nn::Bf16Weights bf16(m);
    // Every Linear (4 per block) and both tables, two bytes a weight.
    const nn::GPTConfig c = u::config();
    CHECK(bf16.bytes() ==
          2 * (c.vocab_size * c.n_embd + c.block_size * c.n_embd + c.n_layer * 12 * c.n_embd * c.n_embd));
    const auto logits = m.forward(idx).to_vector();
    th::check_close(logits, reference.forward(idx).to_vector(), 2e-6);
    CHECK(th::max_abs_diff(logits, fp32) > 5e-5);
    // Decoding one position at a time with the cache reads the bf16 copies through the few-rows products.
    auto cache = m.make_cache(2);
    std::vector<float> step;
    for (int64_t t = 0; t < 9; ++t) {
      const auto s = m.forward(tinylm::slice(idx, 1, t, t + 1), &cache).to_vector();
      step.insert(step.end(), s.begin(), s.end());
    }
    const auto want = reference.forward(idx).to_vector();
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t t = 0; t < 9; ++t)
        for (int64_t v = 0; v < 50; ++v)
          CHECK(std::abs(step[static_cast<std::size_t>((t * 2 + b) * 50 + v)] -
                         want[static_cast<std::size_t>((b * 9 + t) * 50 + v)]) < 2e-6);
  }
  CHECK(m.forward(idx).to_vector() == fp32);  // the copies are gone
}

TEST_CASE("generation with bf16 weights: the cache gives the tokens recomputation gives; training reads float32") {
  namespace u = bf16_weights_nn;
  nn::GPT<float> m(u::config(), 11);
  u::prepare(m, false);
  nn::Bf16Weights bf16(m);
  for (auto opt : {lm::SamplingOptions{0.0, 0, 1.0}, lm::SamplingOptions{0.9, 10, 0.95}}) {
    tinylm::Generator g1(7), g2(7);
    const auto a = lm::generate(m, {3, 1, 4}, 40, opt, g1, true);  // past block_size 24: the window restarts
    const auto b = lm::generate(m, {3, 1, 4}, 40, opt, g2, false);
    CHECK(a == b);
  }
  // A step that asks for gradients computes with the float32 weights being trained.
  nn::GPT<float> twin(u::config(), 11);
  u::prepare(twin, false);
  tinylm::Generator gen(8);
  const Tensor<int32_t> idx = Tensor<int32_t>::randint(0, 50, {2, 6}, gen);
  const auto loss = m.forward(idx, idx).loss, twin_loss = twin.forward(idx, idx).loss;
  CHECK(loss.item() == twin_loss.item());
  loss.backward();
  CHECK(m.wte.weight.grad().defined());
}
