// LoRA: the adapted layer's arithmetic and gradients, adapters on a GPT by
// name, merging, a LoRA training step that moves only the adapters, and
// peft's file format against Hugging Face peft
// (tests/golden/make_peft_golden.py).

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

namespace io = tinylm::io;
namespace nn = tinylm::nn;
namespace optim = tinylm::optim;
using tinylm::Tensor;

namespace {

const std::string kLoraDir = TINYLM_GOLDEN_DIR "/../data/hf_gpt2_lora";
const std::string kBaseDir = TINYLM_GOLDEN_DIR "/../data/hf_gpt2";

std::string lora_temp_dir(const std::string& name) {
  const auto p = std::filesystem::temp_directory_path() / ("tinylm_lora_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

void fill_random(Tensor<float> t, uint64_t seed) {
  tinylm::Generator gen(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(gen.uniform() - 0.5);
}

std::vector<std::string> names_of(const nn::Module<float>& m) {
  std::vector<std::string> out;
  for (const auto& p : m.named_parameters()) out.push_back(p.name);
  return out;
}

}  // namespace

TEST_CASE("an adapted Linear computes x W + b + (alpha / r) x A B, starts as the base, and is gradchecked") {
  tinylm::Generator init(1);
  nn::Linear<double> lin(3, 4, init);
  const auto x = th::leaf({2, 3}, 2);
  const auto base = lin.forward(x).to_vector();
  auto& a = lin.add_lora(2, 6.0, 0.0, 3);
  CHECK(a.scale == 3.0);
  CHECK(lin.forward(x).to_vector() == base);  // B starts at zero
  std::vector<std::string> names;
  for (const auto& p : lin.named_parameters()) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"weight", "bias", "lora_A.weight", "lora_B.weight"});
  CHECK(a.lora_A.weight.shape() == tinylm::Shape{3, 2});
  CHECK(a.lora_B.weight.shape() == tinylm::Shape{2, 4});
  {  // Known values: A, B and x small integers, so the sum is exact.
    tinylm::NoGradGuard no_grad;
    a.lora_A.weight.copy_(Tensor<double>::from_vector({1, 0, 0, 1, 1, 1}, {3, 2}));
    a.lora_B.weight.copy_(Tensor<double>::from_vector({1, 2, 0, -1, 0, 1, 3, 0}, {2, 4}));
  }
  const auto xi = Tensor<double>::from_vector({1, 2, 3, -1, 0, 2}, {2, 3});
  // x A = [[4, 5], [1, 2]]; (x A) B = [[4, 13, 15, -4], [1, 4, 6, -1]]; times 3.
  const std::vector<double> lora_term{12, 39, 45, -12, 3, 12, 18, -3};
  const auto plain = tinylm::linear(xi, lin.weight, lin.bias).to_vector();
  const auto got = lin.forward(xi).to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(plain[i] + lora_term[i]));
  th::check_grad(
      [&](const th::TensorList& in) {
        return tinylm::linear(x, in[0], lin.bias) + tinylm::linear(tinylm::linear(in[1], in[2]), in[3]) * a.scale;
      },
      {lin.weight, x, a.lora_A.weight, a.lora_B.weight});
  // And through the layer itself (gradcheck perturbs the layer's own A and B).
  th::check_grad([&](const th::TensorList& in) { return lin.forward(in[0]); }, {x, a.lora_A.weight, a.lora_B.weight});
  lin.zero_grad();
  lin.forward(x).sum().backward();
  CHECK(a.lora_A.weight.grad().defined());
  CHECK(a.lora_B.weight.grad().defined());
  CHECK_THROWS_WITH_AS(lin.add_lora(2, 1.0, 0.0, 1), "Linear: the layer already has a LoRA adapter", tinylm::Error);
  lin.remove_lora();
  CHECK(lin.named_parameters().size() == 2u);
  CHECK(lin.forward(x).to_vector() == base);
  CHECK_THROWS_WITH_AS(lin.add_lora(4, 1.0, 0.0, 1), "Linear: LoRA rank must be in [1, 3] for a 3 -> 4 layer, got 4",
                       tinylm::Error);
}

TEST_CASE("the gradients of an adapted GPT's adapters are gradchecked through the whole model") {
  nn::GPT<double> model({10, 6, 1, 2, 8, 0.0}, 4);
  nn::LoRAConfig cfg;
  cfg.r = 2;
  cfg.target_modules = {"c_attn", "mlp.c_proj"};
  nn::add_lora(model, cfg);
  std::vector<Tensor<double>> adapters;
  for (auto& [name, lin] : nn::lora_layers(model)) {
    Tensor<double> B = lin->lora()->lora_B.weight;
    tinylm::Generator gen(name.size());
    for (int64_t i = 0; i < B.numel(); ++i) B.data()[i] = gen.uniform() - 0.5;
    adapters.push_back(lin->lora()->lora_A.weight);
    adapters.push_back(B);
  }
  REQUIRE(adapters.size() == 4u);
  const auto idx = Tensor<int32_t>::from_vector({1, 4, 2, 9, 3}, {1, 5});
  th::check_grad([&](const th::TensorList&) { return model.forward(idx, idx).loss; }, adapters);
}

TEST_CASE("add_lora picks layers by name as peft does, freezes the base, and refuses what it cannot do") {
  nn::GPT<float> model({16, 8, 2, 2, 8, 0.0}, 1);
  const auto base_names = names_of(model);
  nn::LoRAConfig cfg;
  cfg.r = 2;
  cfg.target_modules = {"c_attn", "mlp.c_proj"};
  const auto adapted = nn::add_lora(model, cfg);
  CHECK(adapted == std::vector<std::string>{"transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_proj",
                                            "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_proj"});
  const auto trainable = model.trainable_parameters();
  REQUIRE(trainable.size() == 8u);
  CHECK(trainable[0].name == "transformer.h.0.attn.c_attn.lora_A.weight");
  CHECK(trainable[1].name == "transformer.h.0.attn.c_attn.lora_B.weight");
  CHECK(model.num_trainable_parameters() == 2 * (8 * 2 + 2 * 24) + 2 * (32 * 2 + 2 * 8));
  CHECK(nn::lora_layers(model).size() == 4u);
  CHECK_THROWS_WITH_AS(nn::add_lora(model, cfg), "add_lora: layer 'transformer.h.0.attn.c_attn' already has an adapter",
                       tinylm::Error);
  cfg.target_modules = {"attn"};  // a module, not a Linear: nothing to adapt
  CHECK_THROWS_WITH_AS(nn::add_lora(model, cfg), "add_lora: no Linear layer of the model matches the targets (attn)",
                       tinylm::Error);
  cfg.target_modules = {"_attn"};  // a name's tail must start after a '.'
  CHECK_THROWS_AS(nn::add_lora(model, cfg), tinylm::Error);
  cfg.target_modules.clear();
  cfg.target_regex = R"(transformer\.h\.1\.attn\.c_proj)";
  CHECK(nn::add_lora(model, cfg, /*freeze_base*/ false) == std::vector<std::string>{"transformer.h.1.attn.c_proj"});
  cfg.target_regex = "(";
  CHECK_THROWS_AS(nn::add_lora(model, cfg), tinylm::Error);
  cfg.target_regex.clear();
  cfg.target_modules = {"c_fc"};
  cfg.r = 9;
  CHECK_THROWS_WITH_AS(nn::add_lora(model, cfg),
                       "add_lora: rank 9 is larger than layer 'transformer.h.0.mlp.c_fc' (8 -> 32)", tinylm::Error);
  CHECK(nn::remove_lora(model) == 5);
  CHECK(names_of(model) == base_names);
}

TEST_CASE("merged adapters give the logits of base + adapter; unmerging restores the base weights") {
  nn::GPT<float> model({16, 8, 2, 2, 8, 0.0}, 2);
  const auto idx = Tensor<int32_t>::from_vector({3, 1, 4, 1, 5, 9, 2, 6}, {2, 4});
  const auto base_logits = model.forward(idx).to_vector();
  const auto w_before = model.h[0]->attn.c_attn.weight.to_vector();
  nn::LoRAConfig cfg;
  cfg.r = 3;
  cfg.alpha = 6;
  cfg.target_modules = {"c_attn", "c_fc", "c_proj"};
  nn::add_lora(model, cfg);
  uint64_t seed = 10;
  for (auto& [name, lin] : nn::lora_layers(model)) fill_random(lin->lora()->lora_B.weight, ++seed);
  const auto adapted = model.forward(idx).to_vector();
  CHECK(th::max_abs_diff(adapted, base_logits) > 1e-2);  // the adapters do something
  nn::merge_lora(model);
  th::check_close(model.forward(idx).to_vector(), adapted, 1e-5);
  CHECK(th::max_abs_diff(model.h[0]->attn.c_attn.weight.to_vector(), w_before) > 1e-3);
  nn::unmerge_lora(model);
  th::check_close(model.h[0]->attn.c_attn.weight.to_vector(), w_before, 1e-6);
  th::check_close(model.forward(idx).to_vector(), adapted, 1e-5);
  // merge and drop: a plain GPT that computes what the adapted one did
  nn::merge_lora(model);
  nn::remove_lora(model);
  CHECK(nn::lora_layers(model).empty());
  th::check_close(model.forward(idx).to_vector(), adapted, 1e-5);
}

TEST_CASE("a LoRA training step changes only the adapters, and the loss goes down") {
  nn::GPT<float> model({16, 8, 2, 2, 16, 0.0}, 3);
  {  // A trained model's embeddings are far larger than GPT-2's initial N(0, 0.02^2); with those frozen
     // (and the output head tied to them) no adapter could make a confident prediction.
    tinylm::NoGradGuard no_grad;
    Tensor<float> w = model.wte.weight;
    w.copy_(model.wte.weight * 25.0);
  }
  nn::LoRAConfig cfg;
  cfg.r = 4;
  cfg.dropout = 0.1;
  cfg.target_modules = {"c_attn", "c_proj", "c_fc"};  // every Linear of the blocks
  nn::add_lora(model, cfg);
  std::vector<std::vector<float>> before;
  for (const auto& p : model.named_parameters()) before.push_back(p.tensor.to_vector());
  optim::AdamW<float> opt(optim::decay_groups(model.named_parameters(), 1e-2, 0.1), optim::AdamWOptions{1e-2});
  const auto x = Tensor<int32_t>::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {1, 8});
  const auto y = Tensor<int32_t>::from_vector({2, 3, 4, 5, 6, 7, 8, 9}, {1, 8});
  model.eval();
  const float first = model.forward(x, y).loss.item();
  model.train();
  for (int s = 0; s < 40; ++s) {
    opt.zero_grad();
    model.forward(x, y).loss.backward();
    optim::clip_grad_norm(model.parameters(), 1.0);
    opt.step();
  }
  CHECK(opt.state().size() == 2u * 16u);  // moments for the 16 adapter tensors only
  model.eval();
  CHECK(model.forward(x, y).loss.item() < first / 3);
  const auto after = model.named_parameters();
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO(after[i].name);
    const bool adapter = after[i].name.find(".lora_") != std::string::npos;
    CHECK((after[i].tensor.to_vector() != before[i]) == adapter);
  }
}

TEST_CASE("LoRA dropout draws masks in training mode only") {
  tinylm::Generator init(5);
  nn::Linear<float> lin(8, 8, init);
  auto& a = lin.add_lora(4, 4.0, 0.5, 7);
  fill_random(a.lora_B.weight, 1);
  const auto x = Tensor<float>::ones({4, 8});
  const auto t1 = lin.forward(x).to_vector(), t2 = lin.forward(x).to_vector();
  CHECK(t1 != t2);
  lin.eval();
  CHECK(lin.forward(x).to_vector() == lin.forward(x).to_vector());
  CHECK(!a.lora_dropout.is_training());
}

TEST_CASE("an adapter peft wrote loads onto transformers' GPT-2 and gives peft's logits") {
  auto model = io::load_hf_gpt2<float>(kBaseDir);
  const auto cfg = io::load_peft_adapter(kLoraDir, *model);
  CHECK(cfg.r == 4);
  CHECK(cfg.alpha == 8);
  CHECK(cfg.target_modules == std::vector<std::string>{"c_attn", "mlp.c_fc"});
  CHECK(nn::lora_layers(*model).size() == 4u);
  CHECK(model->num_trainable_parameters() == 2 * (16 * 4 + 4 * 48) + 2 * (16 * 4 + 4 * 64));
  const auto expected = io::SafetensorsFile::read(kLoraDir + "/expected.safetensors");
  const auto idx = expected.get_int<int64_t>("idx");
  const auto want = expected.get<float>("logits").to_vector();
  th::check_close(model->forward(idx).to_vector(), want, 1e-5);
  nn::merge_lora(*model);
  th::check_close(model->forward(idx).to_vector(), want, 1e-5);
  nn::unmerge_lora(*model);

  // save -> load: the same files' worth, the same logits
  const std::string dir = lora_temp_dir("round_trip");
  io::save_peft_adapter(dir, *model, cfg, "tests/data/hf_gpt2");
  const auto written = io::Json::parse(tinylm::data::read_text_file(dir + "/adapter_config.json"));
  CHECK(written.find("peft_type")->as_string() == "LORA");
  CHECK(written.find("fan_in_fan_out")->as_bool());
  CHECK(written.find("r")->as_int() == 4);
  const auto file = io::SafetensorsFile::read(dir + "/adapter_model.safetensors");
  CHECK(file.entry("base_model.model.transformer.h.1.mlp.c_fc.lora_B.weight").shape == tinylm::Shape{64, 4});
  CHECK(file.names().size() == 8u);
  auto again = io::load_hf_gpt2<float>(kBaseDir);
  io::load_peft_adapter(dir, *again);
  th::check_close(again->forward(idx).to_vector(), want, 1e-5);
  std::filesystem::remove_all(dir);
}

TEST_CASE("peft adapters tinylm cannot compute, or that do not fit the model, are refused by name") {
  const std::string dir = lora_temp_dir("bad");
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kLoraDir + "/adapter_model.safetensors", dir + "/adapter_model.safetensors");
  const std::string good = tinylm::data::read_text_file(kLoraDir + "/adapter_config.json");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    std::ofstream(dir + "/adapter_config.json") << text;
  };
  auto refused = [&](const std::string& message) {
    auto model = io::load_hf_gpt2<float>(kBaseDir);
    const auto names = names_of(*model);
    CHECK_THROWS_WITH_AS(io::load_peft_adapter(dir, *model), message.c_str(), tinylm::Error);
    CHECK(names_of(*model) == names);  // left as it was
    CHECK(model->num_trainable_parameters() == model->num_parameters());
  };
  const std::string cfg_path = dir + "/adapter_config.json";
  with("\"bias\": \"none\"", "\"bias\": \"all\"");
  refused(cfg_path + ": bias must be \"none\"; tinylm's adapters train no biases");
  with("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\"");
  refused(cfg_path + ": peft_type must be \"LORA\" (tinylm loads LoRA adapters only)");
  with("\"rank_pattern\": {}", "\"rank_pattern\": {\"c_attn\": 2}");
  refused(cfg_path + ": 'rank_pattern' is set; tinylm's LoRA does not support it");
  with("\"r\": 4", "\"r\": 2");
  refused("load_peft_adapter: layer 'transformer.h.0.attn.c_attn' needs lora_A [2, 16] and lora_B [48, 2]; '" + dir +
          "/adapter_model.safetensors' has [4, 16] and [48, 4]");
  with("\"mlp.c_fc\"", "\"mlp.c_proj\"");
  refused("load_peft_adapter: '" + dir +
          "/adapter_model.safetensors' has no tensor base_model.model.transformer.h.0.mlp.c_proj.lora_A.weight for "
          "the layer the config picks");
  with("\"mlp.c_fc\"", "\"h.0.mlp.c_fc\"");
  refused("load_peft_adapter: '" + dir + "/adapter_model.safetensors' has tensor '" +
          "base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight', which belongs to no layer the config picks");
  with("\"r\": 4", "\"r\": \"four\"");
  refused(cfg_path + ": 'r' (the rank) is missing or not a number");
  std::ofstream(cfg_path) << "{\"peft_type\": ";
  auto model = io::load_hf_gpt2<float>(kBaseDir);
  CHECK_THROWS_AS(io::load_peft_adapter(dir, *model), tinylm::Error);
  std::filesystem::remove(cfg_path);
  CHECK_THROWS_WITH_AS(io::load_peft_adapter(dir, *model),
                       ("load_peft_adapter: '" + dir + "' has no adapter_config.json").c_str(), tinylm::Error);
  std::filesystem::remove_all(dir);
}
