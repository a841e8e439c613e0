// Hugging Face GPT-2 directories, both ways, against transformers
// (tests/golden/make_hf_gpt2_golden.py): a model transformers wrote loads
// with its logits, and a directory tinylm wrote loads in transformers
// (GPT2LMHeadModel and AutoTokenizer) with tinylm's logits and ids.

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

namespace io = tinylm::io;
namespace nn = tinylm::nn;
namespace d = tinylm::data;
using tinylm::Tensor;

namespace {

const std::string kDir = TINYLM_GOLDEN_DIR "/../data/hf_gpt2";

std::string temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / ("tinylm_hf_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

d::BPETokenizer small_bpe() {
  const std::string corpus = d::read_text_file(TINYLM_GOLDEN_DIR "/../data/bpe/train_corpus.txt");
  return d::train_bpe({corpus}, {.vocab_size = 300, .special_tokens = {"<|endoftext|>"}});
}

}  // namespace

TEST_CASE("a GPT-2 that transformers wrote loads, with transformers' logits") {
  const auto model = io::load_hf_gpt2<float>(kDir);
  CHECK(model->config() == nn::GPTConfig{64, 16, 2, 2, 16, 0.0});
  const auto expected = io::SafetensorsFile::read(kDir + "/expected.safetensors");
  const auto logits = model->forward(expected.get_int<int64_t>("idx"));
  th::check_close(logits.to_vector(), expected.get<float>("logits").to_vector(), 1e-5);
}

TEST_CASE("a GPT-2 that tinylm wrote loads in transformers, with tinylm's logits and ids") {
  const auto theirs = io::SafetensorsFile::read(kDir + "/from_tinylm.safetensors");
  const auto tok = small_bpe();
  nn::GPT<float> model({300, 16, 2, 2, 16, 0.0}, 7);
  const auto ids = tok.encode("the model reads this line<|endoftext|>and this one.", {.allow_all = true});
  const auto want_ids = theirs.get_int<int64_t>("ids").to_vector();
  CHECK(std::vector<int64_t>(ids.begin(), ids.end()) == want_ids);
  const auto x = Tensor<int32_t>::from_vector(std::vector<int32_t>(ids.begin(), ids.begin() + 16), {1, 16});
  th::check_close(model.forward(x).to_vector(), theirs.get<float>("logits").to_vector(), 1e-5);
  // What save_hf_gpt2 writes loads back here too, the same model and tokenizer.
  const std::string dir = temp_dir("round_trip");
  io::save_hf_gpt2(dir, model, &tok);
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"})
    CHECK(std::filesystem::exists(std::filesystem::path(dir) / f));
  const auto back = io::load_hf_gpt2<float>(dir);
  CHECK(back->forward(x).to_vector() == model.forward(x).to_vector());
  CHECK(d::load_bpe(dir).encode("and this one.") == tok.encode("and this one."));
  std::filesystem::remove_all(dir);
}

TEST_CASE("Hugging Face directories tinylm cannot compute say why") {
  const std::string dir = temp_dir("bad");
  std::filesystem::create_directories(dir);
  CHECK_THROWS_WITH_AS(io::load_hf_gpt2<float>(dir), ("load_hf_gpt2: '" + dir + "' has no config.json").c_str(),
                       tinylm::Error);
  std::filesystem::copy_file(kDir + "/model.safetensors", dir + "/model.safetensors");
  auto config = [&](const std::string& text) { std::ofstream(dir + "/config.json") << text; };
  config(R"({"model_type": "gpt2", "vocab_size": 64, "n_positions": 16, "n_embd": 16, "n_layer": 2, "n_head": 2,
             "activation_function": "relu"})");
  CHECK_THROWS_WITH_AS(io::load_hf_gpt2<float>(dir),
                       (dir + "/config.json: activation_function 'relu' is not GPT-2's tanh GELU (gelu_new), which "
                              "tinylm computes")
                           .c_str(),
                       tinylm::Error);
  config(R"({"model_type": "gpt2", "vocab_size": 64, "n_positions": 16, "n_embd": 16, "n_layer": 3, "n_head": 2})");
  try {
    (void)io::load_hf_gpt2<float>(dir);
    FAIL("a config with a layer more than the weights loaded");
  } catch (const tinylm::Error& e) {
    CHECK(std::string(e.what()).find("missing: transformer.h.2.") != std::string::npos);
  }
  config(R"({"model_type": "llama", "vocab_size": 64})");
  CHECK_THROWS_WITH_AS(io::load_hf_gpt2<float>(dir), (dir + "/config.json: model_type is 'llama', not 'gpt2'").c_str(),
                       tinylm::Error);
  config(R"({"model_type": "gpt2", "n_positions": 16})");
  CHECK_THROWS_WITH_AS(io::load_hf_gpt2<float>(dir), (dir + "/config.json has no 'vocab_size'").c_str(), tinylm::Error);
  std::filesystem::remove_all(dir);
}
