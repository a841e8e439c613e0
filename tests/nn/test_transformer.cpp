// nn::EncoderBlock, nn::DecoderBlock and nn::Seq2Seq against PyTorch's
// nn.TransformerEncoderLayer / nn.TransformerDecoderLayer and an
// encoder-decoder built from them (tests/golden/make_seq2seq_golden.py):
// outputs and every gradient. Then what must hold whatever the weights:
// causality, padding, caches, names and errors.

#include "helpers.hpp"

using tinylm::Tensor;
namespace io = tinylm::io;
namespace nn = tinylm::nn;

namespace {

const io::SafetensorsFile& s2s_golden() {
  static const io::SafetensorsFile f = io::SafetensorsFile::read(TINYLM_GOLDEN_DIR "/seq2seq.safetensors");
  return f;
}

/// Loads the case's weights (prefix.w.<name>) into m, by name, all of them.
template <class M>
void load_s2s_case(M& m, const std::string& prefix) {
  nn::StateDict<double> state;
  for (const auto& p : m.named_parameters())
    state.emplace_back(p.name, s2s_golden().get<double>(prefix + ".w." + p.name));
  m.load_state_dict(state);
}

template <class M>
void check_s2s_grads(const M& m, const std::string& prefix, double tol) {
  for (const auto& p : m.named_parameters()) {
    INFO(p.name);
    REQUIRE(p.tensor.grad().defined());
    th::check_close(p.tensor.grad().to_vector(), s2s_golden().get<double>(prefix + ".grad." + p.name).to_vector(), tol);
  }
}

Tensor<bool> case_padding(const std::string& prefix) {
  return tinylm::ne(s2s_golden().get_int<int64_t>(prefix + ".pad"), 0);
}

nn::TransformerBlockConfig s2s_block_config(bool norm_first) {
  return {.n_embd = 8, .n_head = 2, .hidden = 12, .norm_first = norm_first};
}

}  // namespace

TEST_CASE("EncoderBlock matches PyTorch's TransformerEncoderLayer, pre-LN and post-LN, with padding") {
  for (const std::string c : {"enc", "enc_post"}) {
    INFO(c);
    tinylm::Generator init(1);
    nn::EncoderBlock<double> block(s2s_block_config(c == "enc"), init);
    load_s2s_case(block, c);
    auto x = s2s_golden().get<double>(c + ".x");
    x.requires_grad_();
    const auto y = block.forward(x, {.key_padding = case_padding(c)});
    th::check_close(y.to_vector(), s2s_golden().get<double>(c + ".out").to_vector(), 1e-13);
    (y * s2s_golden().get<double>(c + ".up")).sum().backward();
    th::check_close(x.grad().to_vector(), s2s_golden().get<double>(c + ".grad.x").to_vector(), 1e-12);
    check_s2s_grads(block, c, 1e-12);
  }
}

TEST_CASE(
    "DecoderBlock matches PyTorch's TransformerDecoderLayer: causal self-attention, cross-attention with padding") {
  tinylm::Generator init(1);
  nn::DecoderBlock<double> block(s2s_block_config(true), init);
  load_s2s_case(block, "dec");
  auto x = s2s_golden().get<double>("dec.x"), memory = s2s_golden().get<double>("dec.memory");
  x.requires_grad_();
  memory.requires_grad_();
  const auto y = block.forward(x, memory, {.key_padding = case_padding("dec")});
  th::check_close(y.to_vector(), s2s_golden().get<double>("dec.out").to_vector(), 1e-13);
  (y * s2s_golden().get<double>("dec.up")).sum().backward();
  th::check_close(x.grad().to_vector(), s2s_golden().get<double>("dec.grad.x").to_vector(), 1e-12);
  th::check_close(memory.grad().to_vector(), s2s_golden().get<double>("dec.grad.memory").to_vector(), 1e-12);
  check_s2s_grads(block, "dec", 1e-12);
}

namespace {

nn::Seq2SeqConfig golden_s2s_config() {
  return {.src_vocab_size = 11,
          .tgt_vocab_size = 11,
          .max_source_len = 7,
          .max_target_len = 6,
          .n_embd = 8,
          .n_head = 2,
          .n_encoder_layer = 2,
          .n_decoder_layer = 2,
          .hidden = 12};
}

Tensor<int32_t> s2s_ids(const std::string& name) { return tinylm::cast<int32_t>(s2s_golden().get_int<int64_t>(name)); }

}  // namespace

TEST_CASE("Seq2Seq matches an encoder-decoder built from PyTorch's layers: logits, label-smoothed loss, gradients") {
  nn::Seq2Seq<double> model(golden_s2s_config(), 1);
  load_s2s_case(model, "s2s");
  const auto out =
      model.forward(s2s_ids("s2s.src"), s2s_ids("s2s.tgt_in"), s2s_ids("s2s.targets"), {.label_smoothing = 0.1});
  th::check_close(out.logits.to_vector(), s2s_golden().get<double>("s2s.logits").to_vector(), 1e-12);
  CHECK(out.loss.item() == doctest::Approx(s2s_golden().get<double>("s2s.loss").item()).epsilon(1e-13));
  out.loss.backward();
  check_s2s_grads(model, "s2s", 1e-12);
}

namespace {

nn::Seq2SeqConfig small_s2s_config() {
  return {.src_vocab_size = 13,
          .tgt_vocab_size = 13,
          .max_source_len = 9,
          .max_target_len = 8,
          .n_embd = 16,
          .n_head = 2,
          .n_encoder_layer = 2,
          .n_decoder_layer = 2};
}

}  // namespace

TEST_CASE("Seq2Seq: a future target token leaves earlier logits as they were; source padding changes nothing") {
  nn::Seq2Seq<double> model(small_s2s_config(), 3);
  const auto src = Tensor<int32_t>::from_vector({4, 5, 6, 7, 8, 9, 10, 0}, {2, 4});
  auto tgt = Tensor<int32_t>::from_vector({1, 3, 4, 5, 6, 1, 7, 8, 9, 10}, {2, 5});
  const auto memory = model.encode(src);
  const auto pad = tinylm::eq(src, 0);
  const auto before = model.decode(tgt, memory, pad);
  tgt.data()[3] = 12;  // row 0, position 3
  const auto after = model.decode(tgt, memory, pad);
  for (int64_t t = 0; t < 5; ++t)
    for (int64_t v = 0; v < 13; ++v) {
      const double a = before.at({0, t, v}), b = after.at({0, t, v});
      if (t < 3) CHECK(a == b);
      if (t == 3 && v == 0) CHECK(a != b);
    }
  th::check_close(before.narrow(0, 1, 1).to_vector(), after.narrow(0, 1, 1).to_vector(), 0.0);  // the other row
  // Row 1's source has one padding position: a different token there, or
  // more padding, changes no logit.
  auto src2 = src.clone();
  src2.data()[7] = 0;
  const auto padded_more = tinylm::cat(std::vector{src2, Tensor<int32_t>::zeros({2, 3})}, 1);  // (2, 7)
  const auto logits = [&](const Tensor<int32_t>& s) {
    return model.decode(tgt, model.encode(s), tinylm::eq(s, 0)).narrow(0, 1, 1).to_vector();
  };
  th::check_close(logits(padded_more), logits(src), 1e-12);
  auto src3 = src.clone();
  src3.data()[7] = 0;  // (already padding) - and the memory's padding rows are never read:
  auto memory2 = memory.clone();
  for (int64_t c = 0; c < 16; ++c) memory2.data()[(1 * 4 + 3) * 16 + c] = 100.0;
  th::check_close(model.decode(tgt, memory2, pad).to_vector(), model.decode(tgt, memory, pad).to_vector(), 0.0);
}

TEST_CASE("Seq2Seq decoding with caches equals the whole target at once; reorder picks and repeats rows") {
  nn::Seq2Seq<double> model(small_s2s_config(), 4);
  model.eval();
  const auto src = Tensor<int32_t>::from_vector({4, 5, 6, 7, 8, 9, 0, 0}, {2, 4});
  const auto tgt = Tensor<int32_t>::from_vector({1, 3, 4, 5, 6, 1, 7, 8, 9, 10}, {2, 5});
  const auto whole = model.decode(tgt, model.encode(src), tinylm::eq(src, 0));
  auto cache = model.start(src);
  std::vector<Tensor<double>> steps;
  steps.push_back(model.forward(tgt.narrow(1, 0, 2).contiguous(), &cache));  // two at once, then one by one
  for (int64_t t = 2; t < 5; ++t) steps.push_back(model.forward(tgt.narrow(1, t, 1).contiguous(), &cache));
  th::check_close(tinylm::cat(steps, 1).to_vector(), whole.to_vector(), 1e-12);
  CHECK(cache.length == 5);
  // Rows [1, 1, 0] of the cache continue as rows 1, 1 and 0 of the batch would.
  auto picked = model.start(src);
  model.forward(tgt.narrow(1, 0, 3).contiguous(), &picked);
  picked.reorder({1, 1, 0});
  const auto next = tinylm::index_select(tgt.narrow(1, 3, 2).contiguous(), 0, Tensor<int64_t>::from_vector({1, 1, 0}));
  const auto rest = model.forward(next, &picked);
  const auto expect = tinylm::index_select(whole.narrow(1, 3, 2), 0, Tensor<int64_t>::from_vector({1, 1, 0}));
  th::check_close(rest.to_vector(), expect.to_vector(), 1e-12);
}

TEST_CASE("Seq2Seq: names, untied head, separate embeddings, and errors") {
  auto cfg = small_s2s_config();
  cfg.share_embeddings = false;
  cfg.tie_output = false;
  cfg.src_vocab_size = 20;
  nn::Seq2Seq<float> model(cfg, 1);
  std::vector<std::string> names;
  for (const auto& p : model.named_parameters()) names.push_back(p.name);
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  CHECK(has("encoder.embed_tokens.weight"));
  CHECK(has("decoder.embed_tokens.weight"));
  CHECK(has("lm_head.weight"));
  CHECK(has("encoder.layers.1.self_attn.k_proj.weight"));
  CHECK(has("decoder.layers.0.encoder_attn.out_proj.bias"));
  CHECK(has("decoder.layer_norm.weight"));
  CHECK_FALSE(has("shared.weight"));
  const auto src = Tensor<int32_t>::from_vector({19, 2}, {1, 2});
  const auto tgt = Tensor<int32_t>::from_vector({1, 12}, {1, 2});
  CHECK(model.forward(src, tgt, tgt).logits.shape() == tinylm::Shape{1, 2, 13});
  CHECK_THROWS_WITH_AS(model.forward(tgt, src, tgt),
                       "Seq2Seq: target token 19 at position 0 is out of range for 13 tokens", tinylm::Error);
  CHECK_THROWS_WITH_AS(model.encode(Tensor<int32_t>::zeros({1, 10})),
                       "Seq2Seq: a source of 10 tokens is longer than the model's 9 positions left", tinylm::Error);
  CHECK_THROWS_WITH_AS(model.forward(src, tgt, Tensor<int32_t>::zeros({1, 3})),
                       "Seq2Seq: tgt_in is [1, 2], targets are [1, 3]: they must match", tinylm::Error);
  auto bad = small_s2s_config();
  bad.src_vocab_size = 14;
  CHECK_THROWS_WITH_AS(nn::Seq2Seq<float>(bad, 1),
                       "Seq2SeqConfig: shared embeddings need one vocabulary, got 14 source and 13 target tokens",
                       tinylm::Error);
  auto cache = model.start(src);
  CHECK_THROWS_WITH_AS(model.forward(Tensor<int32_t>::zeros({2, 1}), &cache),
                       "Seq2Seq: ids are [2, 1]: expected [K, t] for the 1 rows of the cache", tinylm::Error);
  tinylm::Generator init(1);
  CHECK_THROWS_WITH_AS(nn::EncoderBlock<float>({.n_embd = 10, .n_head = 4}, init),
                       "EncoderBlock: n_embd (10) must be a positive multiple of n_head (4)", tinylm::Error);
}

TEST_CASE("EncoderBlock with BERT's names; a pre-LN TransformerEncoder ends with a LayerNorm, post-LN does not") {
  tinylm::Generator init(1);
  nn::TransformerEncoder<float> bert({.n_embd = 8, .n_head = 2, .norm_first = false, .names = nn::BlockNames::Bert}, 2,
                                     init);
  std::vector<std::string> names;
  for (const auto& p : bert.named_parameters()) names.push_back(p.name);
  CHECK(names.size() == 2 * 16);
  CHECK(names[0] == "layer.0.attention.self.query.weight");
  CHECK(std::find(names.begin(), names.end(), "layer.1.attention.output.dense.bias") != names.end());
  CHECK(std::find(names.begin(), names.end(), "layer.1.attention.output.LayerNorm.weight") != names.end());
  CHECK(std::find(names.begin(), names.end(), "layer.0.intermediate.dense.weight") != names.end());
  CHECK(names.back() == "layer.1.output.LayerNorm.bias");
  nn::TransformerEncoder<float> pre({.n_embd = 8, .n_head = 2}, 1, init);
  CHECK(pre.named_parameters().back().name == "layer_norm.bias");
}
