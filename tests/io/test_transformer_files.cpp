// io/transformer.hpp: Seq2Seq and BertLM files carry their config, load
// back to the same outputs, and say what is wrong with a file that is not one.

#include <filesystem>

#include "helpers.hpp"

using tinylm::Tensor;

namespace {

std::string transformer_tmp(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tinylm_test_" + name)).string();
}

}  // namespace

TEST_CASE("save_seq2seq / load_seq2seq: the config travels with the weights; the same logits come back") {
  tinylm::nn::Seq2SeqConfig cfg{.src_vocab_size = 20,
                                .tgt_vocab_size = 15,
                                .max_source_len = 9,
                                .max_target_len = 7,
                                .n_embd = 8,
                                .n_head = 2,
                                .n_encoder_layer = 1,
                                .n_decoder_layer = 2,
                                .hidden = 24,
                                .activation = tinylm::nn::Activation::Relu,
                                .norm_first = false,
                                .share_embeddings = false,
                                .tie_output = false,
                                .pad_id = 3};
  tinylm::nn::Seq2Seq<float> model(cfg, 7);
  const std::string path = transformer_tmp("s2s.safetensors");
  tinylm::io::save_seq2seq(path, model);
  const auto back = tinylm::io::load_seq2seq(path);
  CHECK(back->config() == cfg);
  const auto src = Tensor<int32_t>::from_vector({4, 5, 19, 3}, {1, 4}),
             tgt = Tensor<int32_t>::from_vector({1, 14}, {1, 2});
  CHECK(back->forward(src, tgt, tgt).logits.to_vector() == model.forward(src, tgt, tgt).logits.to_vector());
  // A file without the config, and a BertLM file, are refused by name.
  tinylm::io::save_module(path, model);
  const std::string no_config = "model file '" + path + "' has no 'tinylm.seq2seq_config' in its metadata";
  CHECK_THROWS_WITH_AS(tinylm::io::load_seq2seq(path), no_config.c_str(), tinylm::Error);
  std::filesystem::remove(path);
}

TEST_CASE("save_bert / load_bert round trip, and a config that does not parse") {
  tinylm::nn::BertConfig cfg{
      .vocab_size = 12, .max_position = 6, .n_embd = 8, .n_head = 2, .n_layer = 1, .sentence_head = true, .pad_id = 0};
  tinylm::nn::BertLM<float> model(cfg, 3);
  const std::string path = transformer_tmp("bert.safetensors");
  tinylm::io::save_bert(path, model);
  const auto back = tinylm::io::load_bert(path);
  CHECK(back->config() == cfg);
  const auto ids = Tensor<int32_t>::from_vector({1, 5, 6, 2}, {1, 4});
  CHECK(back->forward(ids).mlm_logits.to_vector() == model.forward(ids).mlm_logits.to_vector());
  CHECK(back->forward(ids).sentence_logits.to_vector() == model.forward(ids).sentence_logits.to_vector());
  auto bad = tinylm::io::to_json(cfg);
  bad.set("activation", "swish");
  tinylm::io::save_module(path, model, {{tinylm::io::kBertConfigKey, bad.dump()}});
  const std::string unknown = "model file '" + path + "': unknown activation 'swish' (gelu, gelu_tanh, silu, relu)";
  CHECK_THROWS_WITH_AS(tinylm::io::load_bert(path), unknown.c_str(), tinylm::Error);
  std::filesystem::remove(path);
}
