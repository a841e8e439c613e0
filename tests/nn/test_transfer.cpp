// Transfer learning: partial loads, freezing, a larger vocabulary, loading
// a model from its file alone, checkpoints of any module.

#include <cmath>
#include <cstdio>

#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;
namespace io = tinylm::io;

namespace {

std::string temp(const char* name) { return std::string("/tmp/tinylm_test_transfer_") + name; }

}  // namespace

TEST_CASE("load_state_dict(strict = false) loads what matches and reports what is missing and unexpected") {
  nn::GPT<float> a({13, 8, 1, 1, 8, 0.0}, 1), b({13, 8, 1, 1, 8, 0.0}, 2);
  auto state = a.state_dict();
  state.erase(state.begin() + 1);                                  // no wpe
  state.emplace_back("lm_head.extra", Tensor<float>::zeros({2}));  // not in the model
  const auto wpe_before = b.wpe.weight.to_vector();
  const auto report = b.load_state_dict(state, false);
  CHECK(report.missing == std::vector<std::string>{"transformer.wpe.weight"});
  CHECK(report.unexpected == std::vector<std::string>{"lm_head.extra"});
  CHECK(b.wte.weight.to_vector() == a.wte.weight.to_vector());
  CHECK(b.wpe.weight.to_vector() == wpe_before);  // missing: kept
  state[0].second = Tensor<float>::zeros({13, 9});
  CHECK_THROWS_WITH_AS(b.load_state_dict(state, false),
                       "load_state_dict: the state does not match the model; wrong shape: transformer.wte.weight "
                       "(model [13, 8], given [13, 9])",
                       tinylm::Error);
}

TEST_CASE("freezing: frozen parameters get no gradient, the optimizer leaves them, the summary says which") {
  nn::GPT<float> m({13, 8, 2, 2, 8, 0.0}, 3);
  const int64_t all = m.num_parameters();
  CHECK(m.freeze() == int64_t(m.named_parameters().size()));
  CHECK(m.num_trainable_parameters() == 0);
  CHECK(m.unfreeze("transformer.h.1.") == 12);  // fine-tune the last block only
  const int64_t last = m.num_trainable_parameters();
  CHECK(last > 0);
  CHECK(last < all);
  tinylm::optim::AdamW<float> opt(m.trainable_parameters(), {1e-2});
  const auto wte = m.wte.weight.to_vector(), c_fc = m.h[1]->mlp.c_fc.weight.to_vector();
  auto x = Tensor<int32_t>::zeros({1, 8});
  m.forward(x, x).loss.backward();
  CHECK(!m.wte.weight.grad().defined());
  CHECK(m.h[1]->mlp.c_fc.weight.grad().defined());
  opt.step();
  CHECK(m.wte.weight.to_vector() == wte);
  CHECK(m.h[1]->mlp.c_fc.weight.to_vector() != c_fc);
  const std::string s = m.summary();
  CHECK(s.find("transformer.wte.weight [13, 8] 104 frozen\n") != std::string::npos);
  CHECK(s.find("transformer.h.1.mlp.c_fc.weight [8, 32] 256 trainable\n") != std::string::npos);
  CHECK(s.find(std::to_string(all) + " parameters, " + std::to_string(last) + " trainable\n") != std::string::npos);
  CHECK_THROWS_WITH_AS(m.freeze("transformer.nope"), "freeze: no parameter's name starts with 'transformer.nope'",
                       tinylm::Error);
}

TEST_CASE("a larger vocabulary: the tokenizer appends ids, the embedding keeps its rows, training goes on") {
  auto tok = tinylm::data::CharTokenizer::from_text("abc");
  const auto before = tok.encode("cab");
  CHECK(tok.add_tokens("dbé") == 2);  // b is there already
  CHECK(tok.encode("cab") == before);
  CHECK(tok.encode("é") == std::vector<int32_t>{4});
  CHECK(tok.decode(tok.encode("daé")) == "daé");
  CHECK(tinylm::data::CharTokenizer::from_string(tok.to_string()) == tok);  // not in code-point order any more
  CHECK_THROWS_WITH_AS(tinylm::data::CharTokenizer::from_string("aba"),
                       "CharTokenizer: vocabulary has a repeated character", tinylm::Error);
  nn::GPT<float> m({3, 8, 1, 1, 8, 0.0}, 4);
  const auto old = m.wte.weight.to_vector();
  m.resize_token_embeddings(tok.vocab_size());
  CHECK(m.config().vocab_size == 5);
  CHECK(m.wte.weight.shape() == tinylm::Shape{5, 8});
  const auto now = m.wte.weight.to_vector();
  CHECK(std::vector<float>(now.begin(), now.begin() + 24) == old);
  double ss = 0;
  for (std::size_t i = 24; i < now.size(); ++i) ss += double(now[i]) * now[i];
  CHECK(std::sqrt(ss / 16) < 0.06);  // N(0, 0.02^2) rows
  tinylm::optim::AdamW<float> opt(m.named_parameters(), {1e-2});
  const auto ids = Tensor<int32_t>::from_vector({4, 3, 0, 1}, {1, 4});
  m.forward(ids, ids).loss.backward();
  CHECK(m.wte.weight.grad().shape() == tinylm::Shape{5, 8});
  opt.step();
  CHECK(m.forward(ids).shape() == tinylm::Shape{1, 4, 5});
}

TEST_CASE("io::load_gpt builds the model from the file alone; any module saves and loads by name") {
  nn::GPT<float> m({11, 8, 2, 2, 8, 0.0}, 5);
  io::save_gpt(temp("gpt.safetensors"), m);
  const auto loaded = io::load_gpt(temp("gpt.safetensors"));
  CHECK(loaded->config() == m.config());
  const auto x = Tensor<int32_t>::from_vector({1, 2, 3}, {1, 3});
  CHECK(loaded->forward(x).to_vector() == m.forward(x).to_vector());
  std::remove(temp("gpt.safetensors").c_str());
  {
    nn::init::NoInitGuard guard;  // nothing is drawn or filled while it lives
    auto t = Tensor<float>::from_vector({7, 7});
    tinylm::Generator g(1);
    nn::init::normal_(t, 1.0, g);
    nn::init::zeros_(t);
    CHECK(t.to_vector() == std::vector<float>{7, 7});
  }
  nn::LSTMLM<double> lstm({9, 4, 6, 1}, 6), other({9, 4, 6, 1}, 7);
  io::save_module(temp("lstm.safetensors"), lstm, {{"note", "hello"}});
  std::map<std::string, std::string> meta;
  const auto report = io::load_module(temp("lstm.safetensors"), other, true, &meta);
  CHECK(report.missing.empty());
  CHECK(meta.at("note") == "hello");
  CHECK(other.head.weight.to_vector() == lstm.head.weight.to_vector());
  nn::GPT<double> wrong({9, 4, 1, 1, 4, 0.0}, 1);
  CHECK_THROWS_WITH_AS(io::load_module(temp("lstm.safetensors"), wrong),
                       doctest::Contains("load_state_dict: the state does not match the model; missing: "),
                       tinylm::Error);
  std::remove(temp("lstm.safetensors").c_str());
}

TEST_CASE("special tokens: appended ids, plain text by default, longest match when asked, saved with the model") {
  using tinylm::data::CharTokenizer;
  auto tok = CharTokenizer::from_text("<|abc>");
  const int64_t base = tok.vocab_size();                                // < > a b c |
  CHECK(tok.add_special_tokens({"<|end|>", "<|e|>", "<|end|>"}) == 2);  // the repeat is not added
  CHECK(tok.special_id("<|end|>") == base);
  CHECK(tok.special_id("<|e|>") == base + 1);
  CHECK(tok.special_id("<|x|>") == -1);
  CHECK(tok.add_tokens("d") == 1);  // a character after the special tokens
  CHECK(tok.vocab_size() == base + 3);
  // encode() reads a special token's text as characters: a user cannot type an id.
  CHECK(tok.encode("a<|") == std::vector<int32_t>{tok.id('a'), tok.id('<'), tok.id('|')});
  CHECK_THROWS_WITH_AS(tok.encode("a<|e|>"),
                       "CharTokenizer::encode: character 'e' (U+0065) at position 3 is not in the vocabulary",
                       tinylm::Error);
  const std::vector<int32_t> ids = tok.encode_with_special("ab<|end|>d<|e|><|a");
  const std::vector<int32_t> want{
      tok.id('a'), tok.id('b'), static_cast<int32_t>(base), tok.id('d'), static_cast<int32_t>(base + 1), tok.id('<'),
      tok.id('|'), tok.id('a')};
  CHECK(ids == want);
  CHECK(tok.decode(ids) == "ab<|end|>d<|e|><|a");
  CHECK_THROWS_WITH_AS(tok.encode_with_special("<|end|>x"),
                       "CharTokenizer::encode_with_special: character 'x' (U+0078) at position 7 is not in the "
                       "vocabulary",
                       tinylm::Error);
  // Saved with a model and read back: the same ids.
  const auto meta = tinylm::io::tokenizer_metadata(tok);
  CHECK(meta.at(tinylm::io::kSpecialTokensKey) ==
        "{\"<|end|>\":" + std::to_string(base) + ",\"<|e|>\":" + std::to_string(base + 1) + "}");
  const auto back = tinylm::io::char_tokenizer_from(meta, "model.safetensors");
  CHECK(back == tok);
  CHECK(back.encode_with_special("d<|end|>") == tok.encode_with_special("d<|end|>"));
  CHECK(tinylm::io::tokenizer_metadata(CharTokenizer::from_text("ab")).count(tinylm::io::kSpecialTokensKey) == 0);
  CHECK_THROWS_WITH_AS(CharTokenizer::from_string("ab", {{"<s>", 5}}),
                       "CharTokenizer: special token '<s>' has id 5, outside the vocabulary of 3", tinylm::Error);
  CHECK_THROWS_WITH_AS(CharTokenizer::from_string("ab", {{"<s>", 1}, {"</s>", 1}}),
                       "CharTokenizer: id 1 is given to two special tokens", tinylm::Error);
  CHECK_THROWS_WITH_AS(tok.add_special_tokens({""}),
                       "CharTokenizer::add_special_tokens: a special token cannot be empty", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::io::char_tokenizer_from({}, "model.safetensors"),
                       "model.safetensors has no 'tinylm.tokenizer' in its metadata: no tokenizer was saved",
                       tinylm::Error);
}
