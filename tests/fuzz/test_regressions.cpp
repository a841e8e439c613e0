// The fuzz targets in the unit tests: every committed regression input and
// every seed replayed (under the sanitizers in scripts/test.sh), and the
// attacks of issue 16 checked for the message they must get.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "seeds.hpp"

namespace {

namespace fs = std::filesystem;
using tinylm::Error;
using tinylm::io::Json;

const fs::path kRegressions = fs::path(TINYLM_FUZZ_DIR) / "regressions";

std::string read_file(const fs::path& p) { return fuzz::slurp(p.string()); }

void run(const fuzz::Target& t, const std::string& bytes) {
  t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

/// The message `f` throws (a tinylm::Error), or "" when it does not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string regression_path(const std::string& target, const std::string& name) {
  const fs::path p = kRegressions / target / name;
  REQUIRE_MESSAGE(fs::exists(p), p.string());
  return p.string();
}

}  // namespace

TEST_CASE("every committed regression input replays through its fuzz target") {
  int n = 0;
  for (const auto& dir : fs::directory_iterator(kRegressions)) {
    const fuzz::Target* t = fuzz::find_target(dir.path().filename().string());
    INFO("folder " << dir.path());
    REQUIRE(t != nullptr);  // a folder per target, named as the target
    for (const auto& file : fs::directory_iterator(dir.path())) {
      INFO(file.path());
      run(*t, read_file(file.path()));
      ++n;
    }
  }
  CHECK(n >= 30);
}

TEST_CASE("every seed replays through its target, and the seeds are valid files") {
  const fuzz::Seeds seeds = fuzz::make_seeds();
  for (const auto& files : seeds) {  // no structured bindings: Clang 14 cannot capture them in doctest's lambdas
    const std::string& target = files.first;
    const fuzz::Target* t = fuzz::find_target(target);
    REQUIRE_MESSAGE(t != nullptr, target);
    for (const auto& file : files.second) {
      INFO(target << "/" << file.first);
      run(*t, file.second);
    }
  }
  CHECK(seeds.size() == std::size(fuzz::kTargets));
  // The seeds take the paths that succeed.
  const std::string model = fuzz::scratch_file("check.safetensors", seeds.at("safetensors").at("model"));
  CHECK(tinylm::io::load_gpt<float>(model)->config() == fuzz::tiny_config());
  for (const auto& file : seeds.at("json")) CHECK_NOTHROW(Json::parse(file.second));
  const auto bpe =
      tinylm::data::load_bpe(fuzz::scratch_file("check.json", seeds.at("tokenizer").at("tokenizer_json").substr(1)));
  CHECK(bpe.vocab_size() > 258);  // merges were learned
  CHECK(bpe.encode_ordinary("the cat").size() < 7);
  // The same tokens without the special one.
  CHECK(tinylm::data::load_bpe(fuzz::scratch_file("check.tiktoken", seeds.at("tokenizer").at("tiktoken").substr(1)))
            .vocab_size() == bpe.vocab_size() - 1);
  CHECK(tinylm::lm::ArpaLM::read(fuzz::scratch_file("check.arpa", seeds.at("arpa").at("mkn3"))).order() == 3);
  CHECK(tinylm::data::read_shard_ids(fuzz::scratch_file("check.bin", seeds.at("shard").at("u32"))).back() == 7);
  CHECK(tinylm::lm::read_chat_jsonl(fuzz::scratch_file("check.jsonl", seeds.at("chat_jsonl").at("two_lines").substr(1)))
            .conversations.size() == 2);
}

TEST_CASE("safetensors: sizes from the header are checked arithmetic, not wrapped numbers") {
  auto read = [](const std::string& name) {
    return error_of([&] { tinylm::io::SafetensorsFile::read(regression_path("safetensors", name)); });
  };
  // [2^62] F32 needs 2^64 bytes: wrapped, that was 0 and matched offsets [0, 0].
  CHECK(read("bytes_wrap_to_zero").find("byte size: 4611686018427387904 x 4 overflows a 64-bit integer") !=
        std::string::npos);
  // [2^61 + 1] F64 wrapped to 8 bytes, the data section's size: the read overflowed the heap.
  CHECK(read("bytes_wrap_to_data").find("overflows a 64-bit integer") != std::string::npos);
  CHECK(read("numel_overflow").find("shape [4294967296, 4294967296]: 4294967296 x 4294967296 overflows") !=
        std::string::npos);
  CHECK(read("offsets_past_end").find("do not fit the 0 data bytes") != std::string::npos);
  CHECK(read("header_length_huge").find("header length 18446744073709551615 (byte 0) runs past the end") !=
        std::string::npos);
  CHECK(read("nine_dims").find("has 9 dimensions, tinylm holds at most 8") != std::string::npos);
}

TEST_CASE("a model file's config is checked against the file's size before anything is built") {
  const std::string huge = regression_path("safetensors", "config_huge_model");
  const std::string msg = error_of([&] { tinylm::io::load_gpt<float>(huge); });
  CHECK(msg.find("describes " + std::to_string(tinylm::nn::GPTConfig{5, 4, 100000000, 1, 4}.num_parameters()) +
                 " parameters, but the file holds only 1024 bytes of tensor data") != std::string::npos);
  CHECK(error_of([&] {
          tinylm::io::load_gpt<float>(regression_path("safetensors", "config_count_overflow"));
        }).find("GPTConfig: the parameter count") != std::string::npos);
  // 12 C^2 + 13 C per block, V C + T C for the embeddings, 2 C for the last LayerNorm: the model's own count.
  for (const tinylm::nn::GPTConfig c : {fuzz::tiny_config(), tinylm::nn::GPTConfig{65, 16, 3, 2, 8}})
    CHECK(c.num_parameters() == tinylm::nn::GPT<float>(c, 1).num_parameters());
}

TEST_CASE("a training state's numbers and generator states are validated") {
  tinylm::nn::GPT<float> model(fuzz::tiny_config(), 1);
  tinylm::optim::AdamW<float> opt(model.named_parameters(), {1e-3});
  const std::string path = fuzz::scratch_file("state.train.safetensors", "");
  auto with = [&](const std::string& step, const std::string& rng) {
    tinylm::io::SafetensorsWriter w;
    for (const auto& [name, t] : opt.state()) w.add(name, t);
    w.set_metadata("tinylm.step", step);
    w.set_metadata("tinylm.optimizer_steps", "0");
    w.set_metadata("tinylm.rng.data", rng);
    w.save(path);
    return error_of([&] { tinylm::io::load_training_state(path, opt); });
  };
  const std::string good = tinylm::io::to_string(tinylm::Generator(7).state());
  CHECK(with("3", good).empty());
  CHECK(with("12abc", good).find("tinylm.step: '12abc' is not an integer") != std::string::npos);
  CHECK(with("x", good).find("tinylm.step: 'x' is not an integer") != std::string::npos);
  CHECK(with("99999999999999999999", good).find("does not fit a 64-bit integer") != std::string::npos);
  CHECK(with("-3", good).find("step -3 and optimizer step 0 must not be negative") != std::string::npos);
  CHECK(with("3", "0 0 0 0 0 0x0p+0").find("all four words are zero") != std::string::npos);
  CHECK(with("3", "1 2 3").find("expected 6 fields") != std::string::npos);
  CHECK(with("3", "1 2 3 -4 0 0x0p+0").find("word 3 is not a 64-bit unsigned integer") != std::string::npos);
  CHECK(with("3", "1 2 3 4 0 nan").find("is not a finite number") != std::string::npos);
  tinylm::Generator g;
  CHECK_THROWS_AS(g.set_state(tinylm::Generator::State{}), Error);
}

TEST_CASE("huge shapes and sizes are errors, not tiny blocks or endless loops") {
  CHECK(error_of([] {
          tinylm::Tensor<float>::empty({int64_t{1} << 62, 4});
        }).find("has more elements than a 64-bit count holds") != std::string::npos);
  // No element, but strides of 2^64 (found by safetensors_structured in seconds).
  CHECK(error_of([] {
          tinylm::Tensor<float>::empty({0, int64_t{1} << 62, 4});
        }).find("has more elements than a 64-bit count holds") != std::string::npos);
  CHECK(tinylm::Tensor<float>::empty({0, int64_t{1} << 40, 4}).numel() == 0);
  CHECK(error_of([] {
          (void)tinylm::checked_numel(std::vector<int64_t>{0, int64_t{1} << 62, 4}, "shape");
        }) == "shape: 4611686018427387904 x 4 overflows a 64-bit integer");
  CHECK(error_of([] { tinylm::Tensor<float>::empty({int64_t{1} << 62}); }).find("more than any machine can hold") !=
        std::string::npos);
  CHECK_THROWS_AS(tinylm::CachingAllocator::size_class(SIZE_MAX), std::bad_alloc);
  CHECK_THROWS_AS(tinylm::CachingAllocator::size_class((std::size_t{1} << 62) + 1), std::bad_alloc);
  CHECK(tinylm::CachingAllocator::size_class(std::size_t{1} << 62) == std::size_t{1} << 62);
  CHECK(error_of([] { tinylm::Device::parse("cuda:99999999999"); }).find("a CUDA device index is below 1024") !=
        std::string::npos);
  CHECK(tinylm::Device::parse("cuda:3") == tinylm::Device::cuda(3));
  CHECK(error_of([] { (void)tinylm::checked_mul<int64_t>(int64_t{1} << 40, int64_t{1} << 30, "n"); }) ==
        "n: 1099511627776 x 1073741824 overflows a 64-bit integer");
  CHECK(tinylm::checked_add<uint64_t>(uint64_t{1} << 63, (uint64_t{1} << 63) - 1, "n") == UINT64_MAX);
  CHECK(error_of([] { (void)tinylm::checked_cast<int32_t>(int64_t{1} << 31, "id"); }) ==
        "id: 2147483648 does not fit a 32-bit integer");
  CHECK(tinylm::parse_int("-42", "x") == -42);
  for (const char* bad : {"", "-", " 1", "1 ", "+1", "0x10", "1e3"})
    CHECK_THROWS_AS(tinylm::parse_int(bad, "x"), Error);
  CHECK(tinylm::parse_number("-2.5e-3", "x") == -2.5e-3);
  for (const char* bad : {"", " 1", "nan", "inf", "1x", "1e999"})
    CHECK_THROWS_AS(tinylm::parse_number(bad, "x"), Error);
}

TEST_CASE("the JSON parser is strict, and a double stays a double") {
  for (const auto& file : fs::directory_iterator(kRegressions / "json")) {
    INFO(file.path());
    CHECK_THROWS_AS(Json::parse(read_file(file.path())), Error);
  }
  CHECK(error_of([] { Json::parse(R"({"a":1,"b":2,"a":3})"); }).find("the object at byte 0 has the key 'a' twice") !=
        std::string::npos);
  CHECK(error_of([] { Json::parse("[01]"); }).find("byte 2: a number may not have a leading zero") !=
        std::string::npos);
  CHECK(error_of([] { Json::parse("\"\xed\xa0\x80\""); }).find("invalid UTF-8") != std::string::npos);  // a surrogate
  // What is valid still parses: exponents, negative zero, big integers (as doubles), escapes.
  CHECK(Json::parse("-0").as_int() == 0);
  CHECK(Json::parse("1E+2").as_number() == 100.0);
  CHECK(Json::parse("12345678901234567890").as_number() == 12345678901234567890.0);
  CHECK_THROWS_AS(Json::parse("12345678901234567890").as_int(), Error);
  CHECK(Json::parse(R"("\ud83d\ude00 \u00e9")").as_string() == "\xF0\x9F\x98\x80 \xC3\xA9");
  CHECK(Json::parse("\"caf\xC3\xA9\"").as_string() == "caf\xC3\xA9");
  // -0.0 and 2.0 are written so that they read back as the doubles they are.
  CHECK(Json(-0.0).dump() == "-0.0");
  CHECK(std::signbit(Json::parse(Json(-0.0).dump()).as_number()));
  CHECK(Json(2.0).dump() == "2.0");
  CHECK_THROWS_AS(Json::parse(Json(2.0).dump()).as_int(), Error);
  CHECK(Json(int64_t{2}).dump() == "2");
}

TEST_CASE("tokenizer files cannot size a table by a huge id") {
  auto load = [](const std::string& name, const std::string& as) {
    const std::string bytes = read_file(regression_path("tokenizer", name)).substr(1);
    return error_of([&] { tinylm::data::load_bpe(fuzz::scratch_file(as, bytes)); });
  };
  CHECK(load("tokenizer_json_huge_id", "tokenizer.json").find("has id 2147483647, out of range for 1 tokens") !=
        std::string::npos);
  CHECK(load("tiktoken_huge_rank", "x.tiktoken").find("rank 2147483647 is out of range for 2 tokens") !=
        std::string::npos);
}

namespace {

/// "status param: message" of the ApiError `f` throws, or "" when it does not throw.
template <class F>
std::string api_error_of(F f) {
  try {
    f();
  } catch (const examples::openai::ApiError& e) {
    return std::to_string(e.status) + " " + e.param + ": " + e.message;
  }
  return "";
}

std::string chat_error(const std::string& name) {
  return api_error_of(
      [&] { (void)examples::openai::parse_chat_request(read_file(regression_path("http_body", name)), "tiny", 8); });
}

std::string completion_error(const std::string& name) {
  return api_error_of(
      [&] { (void)examples::openai::parse_completion_request(read_file(regression_path("http_body", name)), "tiny"); });
}

}  // namespace

TEST_CASE("the server's request bodies: every bad field is a 4xx that names it") {
  CHECK(chat_error("deep_nesting") == "400 : the request body: bad JSON at byte 75: nested too deeply");
  CHECK(chat_error("lone_surrogate_content") ==
        "400 : the request body: bad JSON at byte 45: lone high surrogate (not valid Unicode)");
  CHECK(chat_error("too_many_messages") == "400 messages: 'messages' has 9 messages; at most 8 are allowed");
  CHECK(completion_error("max_tokens_huge") ==
        "400 max_tokens: 'max_tokens' must be an integer of magnitude at most 9e15, got 1e+300");
  CHECK(completion_error("max_tokens_past_int64") ==
        "400 max_tokens: 'max_tokens' must be an integer of magnitude at most 9e15, got 9.22337e+18");
  CHECK(completion_error("temperature_overflow") == "400 : the request body: bad JSON at byte 33: number out of range");
  CHECK(completion_error("stop_five") == "400 stop: 'stop' must be a string or an array of at most 4 strings");
  CHECK(completion_error("prompt_two_strings") == "400 prompt: 'prompt' must be a string or an array of one string");
  CHECK(chat_error("role_number") == "400 messages[0].role: messages[0].role must be a string");
  CHECK(chat_error("content_image_part") ==
        "400 messages[0].content: messages[0].content: only parts of type 'text' are supported");
  // Parsed: a special token's text in a message is plain text, refused only when rendered.
  CHECK(chat_error("special_token_in_content") == "");
}

TEST_CASE("the server's request seeds parse into the fields they set") {
  const fuzz::Seeds seeds = fuzz::make_seeds();
  const auto chat = examples::openai::parse_chat_request(seeds.at("http_body").at("chat"), "tiny", 8);
  REQUIRE(chat.conversation.size() == 2);
  CHECK(chat.conversation[0].role == tinylm::lm::Role::System);
  CHECK(chat.conversation[1].content == "abc?");
  CHECK(chat.params.temperature == 0.5);
  CHECK(chat.params.top_p == 0.9);
  CHECK(chat.params.max_tokens == 8);
  CHECK(chat.params.seed == uint64_t{7});
  CHECK(chat.params.stream);
  CHECK(chat.params.include_usage);
  CHECK(chat.params.stop == std::vector<std::string>{".", "?"});
  const auto completion = examples::openai::parse_completion_request(seeds.at("http_body").at("completion"), "tiny");
  CHECK(completion.prompt == "abc");
  CHECK(completion.params.max_tokens == 4);
  CHECK(completion.params.echo);
  CHECK(api_error_of([&] {
          (void)examples::openai::parse_chat_request(seeds.at("http_body").at("chat"), "other", 8);
        }) == "404 model: the model 'tiny' does not exist; this server serves 'other'");
}
