// chat: talk to a model chat_train fine-tuned.
//
//   chat --model out/chat                           a conversation: type a message, Enter; Ctrl-D ends it
//   chat --model out/chat --message "What is 123 + 456?"   one answer, for scripts
//
// In the conversation the reply streams as the model writes it, and lines
// that start with '/' are commands: /reset (forget the conversation),
// /system TEXT (a new system turn; the conversation starts over),
// /temperature X (0: the most likely token each time), /help.

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <tinylm/tinylm.hpp>

#include "chat_model.hpp"
#include "flags.hpp"

namespace {

struct Options {
  std::string model, message, system, weights = "fp32";
  double temperature = 0.0, top_p = 1.0;
  int64_t top_k = 0, max_tokens = 200, seed = 0, threads = 0;
};

const char* kHelp =
    "commands: /reset (forget the conversation), /system TEXT (new system turn, starts over), "
    "/temperature X (0: greedy), /help; Ctrl-D quits\n";

/// Runs one command line of the conversation; false if it is not one.
bool command(const std::string& line, tinylm::lm::ChatSession<tinylm::nn::GPT<float>>& chat) {
  if (line.empty() || line[0] != '/') return false;
  const std::size_t sp = line.find(' ');
  const std::string name = line.substr(0, sp), arg = sp == std::string::npos ? "" : line.substr(sp + 1);
  if (name == "/reset") {
    chat.reset();
    std::printf("(conversation reset)\n");
  } else if (name == "/system") {
    chat.set_system(arg);
    std::printf(arg.empty() ? "(no system turn; conversation reset)\n" : "(system turn set; conversation reset)\n");
  } else if (name == "/temperature") {
    char* end = nullptr;
    const double t = std::strtod(arg.c_str(), &end);
    if (arg.empty() || *end != '\0' || !(t >= 0) || t > 100) {
      std::printf("(/temperature needs a number >= 0, got '%s')\n", arg.c_str());
    } else {
      chat.options.sampling.temperature = t;
      std::printf("(temperature %g)\n", t);
    }
  } else if (name == "/help") {
    std::printf("%s", kHelp);
  } else {
    std::printf("(unknown command %s; /help lists them)\n", name.c_str());
  }
  return true;
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags flags("chat", "Talks to a chat model chat_train wrote.");
  flags.add("model", &o.model, "the model directory chat_train wrote");
  flags.add("message", &o.message, "answer this one message and exit (none: a conversation on the terminal)");
  flags.add("system", &o.system, "the system turn");
  flags.add("temperature", &o.temperature, "sampling temperature (0: the most likely token each time)");
  flags.add("top-k", &o.top_k, "sample from the k most likely tokens only (0: all)");
  flags.add("top-p", &o.top_p, "sample from the smallest set of tokens holding this much probability");
  flags.add("max-tokens", &o.max_tokens, "longest reply, in tokens");
  flags.add("seed", &o.seed, "seed for sampling");
  flags.add("threads", &o.threads, "CPU threads (0: all cores)");
  flags.add("weights", &o.weights, "the weights generation reads: fp32, or bf16 copies (half the bytes a token)");
  if (!flags.parse(argc, argv)) return 0;
  if (o.model.empty()) throw examples::UsageError("--model DIR is required");
  if (o.max_tokens <= 0) throw examples::UsageError("--max-tokens must be positive");
  if (o.threads < 0) throw examples::UsageError("--threads must be >= 0");
  if (o.weights != "fp32" && o.weights != "bf16") throw examples::UsageError("--weights must be fp32 or bf16");
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));
  tinylm::lm::SamplingOptions sampling{o.temperature, o.top_k, o.top_p};
  try {
    sampling.validate();
  } catch (const tinylm::Error& e) {
    throw examples::UsageError(e.what());
  }

  auto m = examples::load_chat_model(o.model);
  std::optional<tinylm::nn::Bf16Weights> bf16;
  if (o.weights == "bf16") bf16.emplace(*m.model);
  tinylm::lm::ChatSession<tinylm::nn::GPT<float>> chat(*m.model, tinylm::lm::ChatFormat(m.tokenizer, *m.tokens),
                                                       o.system);
  chat.options.max_new_tokens = o.max_tokens;
  chat.options.sampling = sampling;
  chat.options.seed = static_cast<uint64_t>(o.seed);
  auto stream = [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  };

  if (flags.given("message")) {
    TINYLM_CHECK(!o.message.empty(), "--message is empty");
    chat.reply(o.message, stream);
    std::printf("\n");
    return 0;
  }

  std::printf("chat with %s (%.2fM parameters, context %lld tokens). %s", o.model.c_str(),
              double(m.model->num_parameters()) / 1e6, (long long)m.model->config().block_size, kHelp);
  std::string line;
  for (;;) {
    std::printf("> ");
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;  // Ctrl-D
    if (line.empty() || command(line, chat)) continue;
    try {
      chat.reply(line, stream);
      std::printf("\n");
    } catch (const tinylm::Error& e) {  // a message the model cannot read, or one too long
      std::printf("(%s)\n", e.what());
    }
  }
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("chat", argc, argv, run); }
