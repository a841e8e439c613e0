// nn::BertLM against Hugging Face transformers' BertForPreTraining
// (tests/golden/make_bert_golden.py: post-LN, the same names), and what its
// losses must do: the MLM loss only at the chosen positions, the sentence
// head's class 0 a real class, padding invisible.

#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;

namespace {

const tinylm::io::SafetensorsFile& bert_golden() {
  static const auto f = tinylm::io::SafetensorsFile::read(TINYLM_GOLDEN_DIR "/bert.safetensors");
  return f;
}

Tensor<int32_t> bert_ids(const std::string& name) {
  return tinylm::cast<int32_t>(bert_golden().get_int<int64_t>(name));
}

nn::BertConfig golden_bert_config() {
  return {.vocab_size = 23,
          .max_position = 10,
          .n_embd = 8,
          .n_head = 2,
          .n_layer = 2,
          .hidden = 12,
          .norm_first = false,
          .sentence_head = true};
}

}  // namespace

TEST_CASE("BertLM (post-LN) matches transformers' BertForPreTraining: logits, loss and every gradient, by name") {
  nn::BertLM<double> model(golden_bert_config(), 1);
  nn::StateDict<double> state;
  for (const auto& p : model.named_parameters()) state.emplace_back(p.name, bert_golden().get<double>("w." + p.name));
  model.load_state_dict(state);  // every name exists in the golden file, with its shape
  const auto out = model.forward(bert_ids("ids"), bert_ids("types"), bert_ids("labels"), bert_ids("sentence_labels"));
  // Padding positions differ: transformers lets them attend (they are never read); compare the real ones.
  const auto ids = bert_ids("ids");
  const auto mlm = out.mlm_logits.to_vector(), want = bert_golden().get<double>("mlm_logits").to_vector();
  for (int64_t i = 0; i < ids.numel(); ++i)
    if (ids.data()[i] != 0)
      for (int64_t v = 0; v < 23; ++v)
        CHECK(std::abs(mlm[static_cast<std::size_t>(i * 23 + v)] - want[static_cast<std::size_t>(i * 23 + v)]) < 1e-12);
  th::check_close(out.sentence_logits.to_vector(), bert_golden().get<double>("sentence_logits").to_vector(), 1e-12);
  CHECK(out.loss.item() == doctest::Approx(bert_golden().get<double>("loss").item()).epsilon(1e-13));
  out.loss.backward();
  for (const auto& p : model.named_parameters()) {
    INFO(p.name);
    th::check_close(p.tensor.grad().to_vector(), bert_golden().get<double>("grad." + p.name).to_vector(), 1e-12);
  }
}

TEST_CASE("BertLM: the MLM loss is over the chosen positions only; sentence class 0 counts; padding is invisible") {
  nn::BertLM<double> model({.vocab_size = 15, .n_embd = 8, .n_head = 2, .n_layer = 2, .sentence_head = true}, 2);
  const auto ids = Tensor<int32_t>::from_vector({1, 5, 3, 7, 2, 1, 8, 9, 2, 0}, {2, 5});
  auto labels = Tensor<int32_t>::full({2, 5}, -100);
  labels.at({0, 2}) = 6;
  labels.at({1, 1}) = 8;
  const auto zeros = Tensor<int32_t>::zeros({2});
  const auto out = model.forward(ids, {}, labels, zeros);
  // By hand: the mean over the two chosen positions, and the sentence loss with class 0.
  const auto logp = tinylm::log_softmax(out.mlm_logits, -1);
  const double mlm = -(logp.at({0, 2, 6}) + logp.at({1, 1, 8})) / 2;
  CHECK(out.mlm_loss.item() == doctest::Approx(mlm).epsilon(1e-12));
  const auto sp = tinylm::log_softmax(out.sentence_logits, -1);
  CHECK(out.sentence_loss.item() == doctest::Approx(-(sp.at({0, 0}) + sp.at({1, 0})) / 2).epsilon(1e-12));
  CHECK(out.loss.item() == doctest::Approx(mlm + out.sentence_loss.item()).epsilon(1e-12));
  // A different label at an ignored position changes nothing.
  auto other = labels.clone();
  other.at({0, 0}) = -100;
  CHECK(model.forward(ids, {}, other, zeros).loss.item() == out.loss.item());
  // More padding leaves the real positions' logits as they were.
  const auto more = tinylm::cat(std::vector{ids, Tensor<int32_t>::zeros({2, 3})}, 1);
  const auto a = model.forward(ids).mlm_logits, b = model.forward(more).mlm_logits;
  th::check_close(b.narrow(1, 0, 4).narrow(0, 1, 1).to_vector(), a.narrow(1, 0, 4).narrow(0, 1, 1).to_vector(), 1e-12);
  th::check_close(b.narrow(1, 0, 5).narrow(0, 0, 1).to_vector(), a.narrow(0, 0, 1).to_vector(), 1e-12);
}

TEST_CASE("gradcheck: BertLM's loss, pre-LN, through the tied MLM head into the word embeddings") {
  nn::BertLM<double> model({.vocab_size = 7, .max_position = 4, .n_embd = 4, .n_head = 2, .n_layer = 1}, 3);
  const auto ids = Tensor<int32_t>::from_vector({1, 4, 3, 0}, {1, 4});
  auto labels = Tensor<int32_t>::full({1, 4}, -100);
  labels.at({0, 2}) = 5;
  auto word = model.word.weight, dense = model.encoder.layers[0]->ff.fc1.weight;
  th::check_grad(
      [&](const th::TensorList& in) {
        model.word.weight = in[0];
        model.encoder.layers[0]->ff.fc1.weight = in[1];
        return model.forward(ids, {}, labels).loss;
      },
      {word, dense});
}

TEST_CASE("BertLM errors name the input") {
  nn::BertLM<float> model({.vocab_size = 7, .max_position = 4, .n_embd = 4, .n_head = 2, .n_layer = 1}, 3);
  CHECK_THROWS_WITH_AS(model.forward(Tensor<int32_t>::zeros({1, 5})),
                       "BertLM: a sequence of 5 tokens is longer than max_position 4", tinylm::Error);
  CHECK_THROWS_WITH_AS(model.forward(Tensor<int32_t>::zeros({1, 3}), Tensor<int32_t>::zeros({1, 2})),
                       "BertLM: ids are [1, 3], token types are [1, 2]: they must match", tinylm::Error);
  CHECK_THROWS_WITH_AS(
      model.forward(Tensor<int32_t>::zeros({2, 3}), {}, Tensor<int32_t>::zeros({2, 3}), Tensor<int32_t>::zeros({2})),
      "BertLM: sentence labels given, but the model has no sentence head", tinylm::Error);
  CHECK_THROWS_WITH_AS(nn::BertLM<float>({.vocab_size = 7, .n_embd = 6, .n_head = 4}, 1),
                       "BertConfig: n_embd (6) must be a multiple of n_head (4)", tinylm::Error);
}
