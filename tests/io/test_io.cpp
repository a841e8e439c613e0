#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"

using tinylm::Tensor;
namespace io = tinylm::io;
namespace nn = tinylm::nn;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("tinylm_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string with_header(const std::string& json, const std::string& data = "") {
  std::string s(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(s.data(), &n, 8);
  return s + json + data;
}

}  // namespace

TEST_CASE("json: round trip and errors with byte offsets") {
  const auto j = io::Json::parse(R"({"a": [1, -2.5, "x\n\u00e9"], "b": {"c": true, "d": null}})");
  CHECK(j.find("a")->as_array()[0].as_int() == 1);
  CHECK(j.find("a")->as_array()[1].as_number() == -2.5);
  CHECK(j.find("a")->as_array()[2].as_string() == "x\n\xc3\xa9");
  CHECK(io::Json::parse(j.dump()).dump() == j.dump());
  CHECK_THROWS_WITH_AS(io::Json::parse("{\"a\" 1}", "hdr"), "hdr: bad JSON at byte 5: expected ':'", tinylm::Error);
  CHECK_THROWS_WITH_AS(io::Json::parse("[1, 2", "hdr"), "hdr: bad JSON at byte 5: expected ',' or ']'", tinylm::Error);
}

TEST_CASE("safetensors: round trip of several dtypes with metadata") {
  const std::string path = temp_path("rt.safetensors");
  io::SafetensorsWriter w;
  w.add("f", Tensor<float>::from_vector({1.5f, -2.f, 3.f, 4.f}, {2, 2}));
  w.add("d", Tensor<double>::from_vector({0.1, 0.2, 0.3}).reshape({3, 1}).transpose(0, 1));  // strided input
  w.add("i", Tensor<int64_t>::arange(5));
  w.add("u", Tensor<uint16_t>::from_vector({7, 65535}));
  w.set_metadata("note", "hello \"world\"");
  w.save(path);
  const auto f = io::SafetensorsFile::read(path);
  CHECK(f.names() == std::vector<std::string>{"f", "d", "i", "u"});
  CHECK(f.metadata().at("note") == "hello \"world\"");
  CHECK(f.get<float>("f").to_vector() == std::vector<float>{1.5f, -2.f, 3.f, 4.f});
  CHECK(f.get<double>("f").shape() == tinylm::Shape{2, 2});
  CHECK(f.get<double>("d").shape() == tinylm::Shape{1, 3});
  CHECK(f.get<double>("d").to_vector() == std::vector<double>{0.1, 0.2, 0.3});
  CHECK(f.get_int<int64_t>("i").to_vector() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(f.get_int<uint16_t>("u").to_vector() == std::vector<uint16_t>{7, 65535});
  CHECK_THROWS_WITH_AS(f.get_int<int32_t>("i"),
                       ("safetensors: '" + path + "': tensor 'i' has dtype I64, expected I32").c_str(), tinylm::Error);
  CHECK_THROWS_WITH_AS(f.get<float>("nope"), ("safetensors: '" + path + "' has no tensor 'nope'").c_str(),
                       tinylm::Error);
  // the data section starts 8-byte aligned
  uint64_t n = 0;
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(&n), 8);
  CHECK(n % 8 == 0);
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: F16 and BF16 are converted on read") {
  const std::string path = temp_path("half.safetensors");
  // 1.0 and -2.5 as F16 (0x3C00, 0xC100) and as BF16 (0x3F80, 0xC020)
  std::string data("\x00\x3C\x00\xC1\x80\x3F\x20\xC0", 8);
  write_bytes(
      path,
      with_header(
          R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}})",
          data));
  const auto f = io::SafetensorsFile::read(path);
  CHECK(f.get<float>("h").to_vector() == std::vector<float>{1.0f, -2.5f});
  CHECK(f.get<float>("b").to_vector() == std::vector<float>{1.0f, -2.5f});
  std::filesystem::remove(path);
}

TEST_CASE("safetensors: malformed files get errors naming the file and the fault") {
  const std::string path = temp_path("bad.safetensors");
  const std::string p = "safetensors: '" + path + "'";
  write_bytes(path, "abc");
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path),
                       (p + " has 3 bytes, too few for the 8-byte header length").c_str(), tinylm::Error);
  write_bytes(path, with_header("{}").substr(0, 8) + "{");
  {
    std::string s = with_header("{}");
    const uint64_t big = 1000;
    std::memcpy(s.data(), &big, 8);
    write_bytes(path, s);
  }
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path),
                       (p + ": header length 1000 (byte 0) runs past the end of the 10-byte file").c_str(),
                       tinylm::Error);
  write_bytes(path, with_header(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", std::string(8, '\0')));
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path),
                       (p + " header (which starts at byte 8): bad JSON at byte 53: expected ',' or '}'").c_str(),
                       tinylm::Error);
  write_bytes(path, with_header(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path),
                       (p + ": tensor 't' of shape [3] and dtype F32 needs 12 bytes, its data_offsets span 8").c_str(),
                       tinylm::Error);
  write_bytes(path, with_header(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')));
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path),
                       (p + ": tensor 't' data_offsets [0, 16] do not fit the 8 data bytes after byte 63").c_str(),
                       tinylm::Error);
  write_bytes(path, with_header(R"({"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", std::string(1, '\0')));
  CHECK_THROWS_WITH_AS(io::SafetensorsFile::read(path), (p + ": tensor 't' has unknown dtype 'Q7'").c_str(),
                       tinylm::Error);
  std::filesystem::remove(path);
}

TEST_CASE("atomic writes leave the old file intact when the new one cannot be written") {
  const std::string dir = temp_path("ro_dir");
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/model.safetensors";
  io::SafetensorsWriter w;
  w.add("x", Tensor<float>::ones({2}));
  w.save(path);
  CHECK_THROWS_AS(w.save(dir + "/missing_dir/model.safetensors"), tinylm::Error);
  for (const auto& e : std::filesystem::directory_iterator(dir)) CHECK(e.path().filename() == "model.safetensors");
  std::filesystem::remove_all(dir);
}

TEST_CASE("GPT checkpoints: save then load gives identical logits; HF names and buffers are accepted") {
  const std::string path = temp_path("gpt.safetensors");
  const nn::GPTConfig cfg{13, 8, 2, 2, 8, 0.0};
  nn::GPT<float> a(cfg, 1), b(cfg, 2);
  io::save_gpt(path, a, {{"tinylm.tokenizer", "abc"}});
  const auto f = io::SafetensorsFile::read(path);
  CHECK(io::read_gpt_config(f) == cfg);
  CHECK(f.metadata().at("tinylm.tokenizer") == "abc");
  CHECK(f.metadata().at("format") == "pt");
  io::load_gpt_weights(f, b);
  const auto x = Tensor<int32_t>::from_vector({1, 2, 3, 4, 5}, {1, 5});
  CHECK(a.forward(x).to_vector() == b.forward(x).to_vector());

  // Hugging Face's own GPT-2 files: no "transformer." prefix, attn.bias buffers, no tinylm metadata.
  const std::string hf = temp_path("hf.safetensors");
  io::SafetensorsWriter w;
  for (const auto& p : a.named_parameters()) w.add(p.name.substr(12), p.tensor);
  w.add("h.0.attn.bias", Tensor<float>::ones({1, 1, 8, 8}));
  w.add("h.1.attn.masked_bias", Tensor<float>::scalar(-1e4f));
  w.save(hf);
  nn::GPT<float> c(cfg, 3);
  io::load_gpt_weights(io::SafetensorsFile::read(hf), c);
  CHECK(a.forward(x).to_vector() == c.forward(x).to_vector());
  CHECK_THROWS_WITH_AS(
      io::read_gpt_config(io::SafetensorsFile::read(hf)),
      ("checkpoint '" + hf + "' has no 'tinylm.config' in its metadata: it was not written by tinylm's save_gpt")
          .c_str(),
      tinylm::Error);
  nn::GPT<float> wrong({13, 8, 2, 2, 16, 0.0}, 3);
  try {
    io::load_gpt_weights(f, wrong);
    FAIL("a checkpoint of another shape loaded");
  } catch (const tinylm::Error& e) {
    const std::string expected = "checkpoint '" + path +
                                 "': load_state_dict: the state does not match the model; wrong shape: "
                                 "transformer.wte.weight (model [13, 16], given [13, 8])";
    CHECK(std::string(e.what()).rfind(expected, 0) == 0);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(hf);
}

TEST_CASE("load_gpt_weights, not strict: loads what the model has and reports the rest of each side") {
  const std::string path = temp_path("partial.safetensors");
  const nn::GPTConfig cfg{13, 8, 2, 2, 8, 0.0};
  nn::GPT<float> a(cfg, 1), b(cfg, 2);
  io::SafetensorsWriter w;
  for (const auto& p : a.named_parameters())
    if (p.name != "transformer.ln_f.bias") w.add(p.name, p.tensor);
  w.add("idx", Tensor<int64_t>::zeros({1, 3}));  // not a float tensor: never read
  w.add("extra.weight", Tensor<float>::ones({2}));
  w.save(path);
  const auto f = io::SafetensorsFile::read(path);
  const std::vector<float> kept = b.ln_f.bias.to_vector();
  const auto report = io::load_gpt_weights(f, b, false);
  CHECK(report.missing == std::vector<std::string>{"transformer.ln_f.bias"});
  CHECK(report.unexpected == std::vector<std::string>{"idx", "extra.weight"});
  CHECK(b.wte.weight.to_vector() == a.wte.weight.to_vector());
  CHECK(b.ln_f.bias.to_vector() == kept);
  CHECK_THROWS_WITH_AS(io::load_gpt_weights(f, b),
                       ("safetensors: '" + path + "': tensor 'idx' has dtype I64, expected a float type").c_str(),
                       tinylm::Error);
  std::filesystem::remove(path);
}

TEST_CASE("training N steps equals training k, saving, resuming and training N - k, bit for bit") {
  const nn::GPTConfig cfg{11, 8, 2, 2, 8, 0.1};  // dropout on: its generator must resume too
  const std::string dir = temp_path("resume");
  std::filesystem::create_directories(dir);
  std::vector<int32_t> toks(300);
  for (int i = 0; i < 300; ++i) toks[i] = (i * 7 + i / 5) % 11;
  const tinylm::data::TokenDataset ds(toks, "toy");
  auto train = [&](nn::GPT<float>& m, tinylm::optim::AdamW<float>& opt, tinylm::Generator& gen, int64_t from,
                   int64_t to) {
    for (int64_t s = from; s < to; ++s) {
      opt.set_lr(tinylm::optim::LRSchedule::warmup_cosine(1e-2, 1e-3, 2, 6)(s));
      opt.zero_grad();
      const auto b = ds.sample(3, 8, gen);
      m.forward(b.x, b.y).loss.backward();
      tinylm::optim::clip_grad_norm(m.parameters(), 1.0);
      opt.step();
    }
  };
  auto make_opt = [](nn::GPT<float>& m) {
    return tinylm::optim::AdamW<float>(tinylm::optim::decay_groups(m.named_parameters(), 1e-2, 0.1),
                                       {1e-2, 0.9, 0.95, 1e-8, 0.1});
  };
  nn::GPT<float> ref(cfg, 5);
  auto ref_opt = make_opt(ref);
  tinylm::Generator ref_gen(6);
  train(ref, ref_opt, ref_gen, 0, 6);

  {
    nn::GPT<float> m(cfg, 5);
    auto opt = make_opt(m);
    tinylm::Generator gen(6);
    train(m, opt, gen, 0, 3);
    io::save_gpt(dir + "/m.safetensors", m);
    io::save_training_state(dir + "/m.train.safetensors", opt,
                            {3, {{"data", gen.state()}, {"dropout", m.dropout_generator().state()}}, {}});
  }
  nn::GPT<float> m(cfg, 99);  // a different init, all of it overwritten by the checkpoint
  io::load_gpt_weights(io::SafetensorsFile::read(dir + "/m.safetensors"), m);
  auto opt = make_opt(m);
  const auto st = io::load_training_state(dir + "/m.train.safetensors", opt);
  CHECK(st.step == 3);
  CHECK(opt.steps() == 3);
  tinylm::Generator gen(0);
  gen.set_state(st.generators.at("data"));
  m.dropout_generator().set_state(st.generators.at("dropout"));
  train(m, opt, gen, 3, 6);
  const auto a = ref.parameters(), b = m.parameters();
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i].to_vector() == b[i].to_vector());

  tinylm::optim::SGD<float> sgd(m.named_parameters(), {0.1, 0.9, 0.0, false});
  CHECK_THROWS_AS(io::load_training_state(dir + "/m.train.safetensors", sgd), tinylm::Error);

  // With the model, the state is a whole checkpoint: weights, moments and step in one file.
  io::save_training_state(dir + "/whole.train.safetensors", opt, {6, {}, {}}, &m);
  CHECK(io::training_state_has_model(io::SafetensorsFile::read(dir + "/whole.train.safetensors")));
  CHECK_FALSE(io::training_state_has_model(io::SafetensorsFile::read(dir + "/m.train.safetensors")));
  nn::GPT<float> fresh(cfg, 77);
  auto fresh_opt = make_opt(fresh);
  CHECK(io::load_training_state(dir + "/whole.train.safetensors", fresh_opt, &fresh).step == 6);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(fresh.parameters()[i].to_vector() == b[i].to_vector());
  CHECK(fresh_opt.state().at(0).second.to_vector() == opt.state().at(0).second.to_vector());
  // A state without weights cannot load a model; a model of another shape is refused with nothing changed.
  CHECK_THROWS_WITH_AS(io::load_training_state(dir + "/m.train.safetensors", fresh_opt, &fresh),
                       doctest::Contains("holds no model parameters"), tinylm::Error);
  nn::GPTConfig other = cfg;
  other.n_layer += 1;
  nn::GPT<float> wider(other, 1);
  auto wider_opt = make_opt(wider);
  const auto before = wider.parameters()[0].to_vector();
  CHECK_THROWS_AS(io::load_training_state(dir + "/whole.train.safetensors", wider_opt, &wider), tinylm::Error);
  CHECK(wider.parameters()[0].to_vector() == before);
  CHECK(wider_opt.steps() == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an atomic write removes the temporaries of killed writers of the same file, not of live ones") {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("tinylm_tmp_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/f.bin";
  auto touch = [](const std::string& p) { std::ofstream(p) << "partial"; };
  touch(path + ".tmp.999999999");                       // no such process
  touch(path + ".tmp." + std::to_string(::getppid()));  // a live one (our parent)
  touch(dir + "/g.bin.tmp.999999999");                  // another file's
  tinylm::write_file_atomic(path, {"new"});
  CHECK_FALSE(std::filesystem::exists(path + ".tmp.999999999"));
  CHECK(std::filesystem::exists(path + ".tmp." + std::to_string(::getppid())));
  CHECK(std::filesystem::exists(dir + "/g.bin.tmp.999999999"));
  std::ifstream in(path);
  std::string text;
  in >> text;
  CHECK(text == "new");
  std::filesystem::remove_all(dir);
}
