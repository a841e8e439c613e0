// nn::MultiHeadAttention: against PyTorch's nn.MultiheadAttention
// (tests/golden/make_mha_golden.py), against its own composition, padding
// invariance, caches equal to the whole-sequence forward, and its errors.

#include "helpers.hpp"

using tinylm::Tensor;
namespace io = tinylm::io;
namespace nn = tinylm::nn;

namespace {

const io::SafetensorsFile& mha_golden() {
  static const io::SafetensorsFile f = io::SafetensorsFile::read(TINYLM_GOLDEN_DIR "/mha.safetensors");
  return f;
}

void check_against_torch(const std::string& c) {
  INFO(c);
  const auto& g = mha_golden();
  const auto x_shape = g.get<double>(c + ".x").shape();
  const bool cross = c == "cross";
  const int64_t kv = cross ? g.get<double>(c + ".memory").size(2) : 0;
  tinylm::Generator init(1);
  nn::MultiHeadAttention<double> att({.n_embd = x_shape[2], .n_head = 2, .kv_embd = kv}, init);
  nn::StateDict<double> state;
  for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"})
    for (const char* w : {".weight", ".bias"}) state.emplace_back(std::string(p) + w, g.get<double>(c + "." + p + w));
  att.load_state_dict(state);
  auto x = g.get<double>(c + ".x");
  x.requires_grad_();
  Tensor<double> memory;
  if (cross) {
    memory = g.get<double>(c + ".memory");
    memory.requires_grad_();
  }
  const nn::AttentionMask<double> mask{.key_padding = tinylm::ne(g.get_int<int64_t>(c + ".pad"), 0), .causal = !cross};
  att.record_attention = true;
  const auto out = cross ? att.forward(x, memory, mask) : att.forward(x, mask);
  th::check_close(out.to_vector(), g.get<double>(c + ".out").to_vector(), 1e-14);
  th::check_close(att.last_attention.to_vector(), g.get<double>(c + ".weights").to_vector(), 1e-14);
  (out * g.get<double>(c + ".up")).sum().backward();
  th::check_close(x.grad().to_vector(), g.get<double>(c + ".grad.x").to_vector(), 1e-13);
  if (cross) th::check_close(memory.grad().to_vector(), g.get<double>(c + ".grad.memory").to_vector(), 1e-13);
  for (const auto& p : att.named_parameters()) {
    INFO(p.name);
    th::check_close(p.tensor.grad().to_vector(), g.get<double>(c + ".grad." + p.name).to_vector(), 1e-13);
  }
}

Tensor<double> randn(const tinylm::Shape& shape, uint64_t seed) {
  tinylm::Generator gen(seed);
  return Tensor<double>::randn(shape, gen);
}

}  // namespace

TEST_CASE("MultiHeadAttention matches PyTorch: cross-attention with padding, causal self-attention with padding") {
  check_against_torch("cross");
  check_against_torch("self");
}

TEST_CASE("MultiHeadAttention without a mask is its composition of ops (the fused kernel inside)") {
  tinylm::Generator init(2);
  nn::MultiHeadAttention<double> att({.n_embd = 6, .n_head = 3}, init);
  const auto x = randn({2, 5, 6}, 3);
  for (bool causal : {false, true}) {
    const auto heads = [](const Tensor<double>& t) { return t.reshape({2, 5, 3, 2}).transpose(1, 2); };
    const auto y = tinylm::attention_reference(heads(att.q_proj.forward(x)), heads(att.k_proj.forward(x)),
                                               heads(att.v_proj.forward(x)), causal);
    const auto want = att.out_proj.forward(y.transpose(1, 2).reshape({2, 5, 6}));
    th::check_close(att.forward(x, {.causal = causal}).to_vector(), want.to_vector(), 1e-14);
  }
  auto leaf = x.detach();
  leaf.requires_grad_();
  auto pad = Tensor<bool>::zeros({2, 5});
  pad.data()[9] = true;
  th::check_grad([&](const th::TensorList& in) { return att.forward(in[0], {.key_padding = pad}); }, {leaf});
  th::check_grad([&](const th::TensorList& in) { return att.forward(in[0], {.causal = true}); }, {leaf});
}

TEST_CASE("MultiHeadAttention: padding keys change nothing at the real positions, whatever they hold") {
  tinylm::Generator init(4);
  nn::MultiHeadAttention<double> att({.n_embd = 4, .n_head = 2}, init);
  const auto real = randn({1, 3, 4}, 5);
  const auto alone = att.forward(real);  // the 3 real positions, no padding
  for (uint64_t seed : {6, 7}) {         // two different fillings of 2 padding positions
    const auto padded = tinylm::cat(std::vector{real, randn({1, 2, 4}, seed)}, 1);
    const auto pad = tinylm::ge(Tensor<int32_t>::arange(0, 5).reshape({1, 5}), 3);
    const auto y = att.forward(padded, {.key_padding = pad});
    th::check_close(y.narrow(1, 0, 3).to_vector(), alone.to_vector(), 1e-14);
  }
}

TEST_CASE("MultiHeadAttention caches: step by step equals the whole sequence, past the first capacity") {
  tinylm::Generator init(8);
  nn::MultiHeadAttention<double> self({.n_embd = 4, .n_head = 2}, init);
  nn::MultiHeadAttention<double> cross({.n_embd = 4, .n_head = 2, .kv_embd = 3}, init);
  const int64_t T = 21;  // more than the cache's first 16 positions: it grows once
  const auto x = randn({2, T, 4}, 9), memory = randn({2, 6, 3}, 10);
  auto pad = Tensor<bool>::zeros({2, 6});
  pad.data()[6 + 5] = true;
  const auto whole_self = self.forward(x, {.causal = true});
  const auto whole_cross = cross.forward(x, memory, {.key_padding = pad});
  nn::AttentionCache<double> self_cache, cross_cache;
  std::vector<Tensor<double>> steps_self, steps_cross;
  for (int64_t t = 0; t < T;) {
    const int64_t n = t == 0 ? 4 : 1;  // a prompt of 4, then one position at a time
    const auto piece = x.narrow(1, t, n);
    steps_self.push_back(self.forward(piece, {.causal = true}, &self_cache));
    steps_cross.push_back(cross.forward(piece, memory, {.key_padding = pad}, &cross_cache));
    t += n;
  }
  CHECK(self_cache.length == T);
  CHECK(self_cache.k.size(2) == 32);
  CHECK(cross_cache.length == 6);
  th::check_close(tinylm::cat(steps_self, 1).to_vector(), whole_self.to_vector(), 1e-13);
  th::check_close(tinylm::cat(steps_cross, 1).to_vector(), whole_cross.to_vector(), 1e-13);
  cross_cache.clear();  // refilled from the memory given next
  const auto other = randn({2, 6, 3}, 11);
  th::check_close(cross.forward(x, other, {}, &cross_cache).to_vector(), cross.forward(x, other).to_vector(), 1e-14);
}

TEST_CASE("MultiHeadAttention: attention dropout in training only, from the generator it is given") {
  tinylm::Generator init(12), drop(13);
  nn::MultiHeadAttention<double> att({.n_embd = 4, .n_head = 2, .dropout = 0.5}, init, &drop);
  const auto x = randn({1, 6, 4}, 14);
  const auto a = att.forward(x).to_vector(), b = att.forward(x).to_vector();
  CHECK(a != b);
  att.train(false);
  nn::MultiHeadAttention<double> plain({.n_embd = 4, .n_head = 2}, init);
  plain.load_state_dict(att.state_dict());
  th::check_close(att.forward(x).to_vector(), plain.forward(x).to_vector(), 1e-15);
}

TEST_CASE("MultiHeadAttention: errors name what was wrong") {
  tinylm::Generator init(15);
  CHECK_THROWS_WITH_AS(nn::MultiHeadAttention<float>({.n_embd = 6, .n_head = 4}, init),
                       "MultiHeadAttention: n_embd (6) must be a positive multiple of n_head (4)", tinylm::Error);
  nn::MultiHeadAttention<float> att({.n_embd = 4, .n_head = 2, .kv_embd = 3}, init);
  const auto x = Tensor<float>::ones({2, 3, 4});
  CHECK_THROWS_WITH_AS(att.forward(Tensor<float>::ones({2, 3, 5})),
                       "MultiHeadAttention: x is [2, 3, 5]: expected [B, T, 4]", tinylm::Error);
  CHECK_THROWS_WITH_AS(att.forward(x, Tensor<float>::ones({2, 7, 4})),
                       "MultiHeadAttention: memory is [2, 7, 4]: expected [B, T, 3]", tinylm::Error);
  CHECK_THROWS_WITH_AS(att.forward(x, Tensor<float>::ones({1, 7, 3})),
                       "MultiHeadAttention: x is [2, 3, 4] and memory is [1, 7, 3]: their batch sizes differ",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(att.forward(x, Tensor<float>::ones({2, 7, 3}), {.key_padding = Tensor<bool>::zeros({2, 3})}),
                       "scaled_dot_product_attention: key_padding is [2, 3]: expected [B, Tk] = [2, 7]", tinylm::Error);
  nn::AttentionCache<float> cache;
  (void)att.forward(x, Tensor<float>::ones({2, 7, 3}), {}, &cache);
  CHECK_THROWS_WITH_AS(att.forward(Tensor<float>::ones({1, 3, 4}), Tensor<float>::ones({1, 7, 3}), {}, &cache),
                       "MultiHeadAttention: the cross-attention cache holds 2 sequences, x has 1", tinylm::Error);
}
