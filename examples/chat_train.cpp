// chat_train: pre-train a small GPT, fine-tune it into an assistant, and
// measure what each step bought.
//
//   chat_train                      pre-train on the synthetic text corpus, fine-tune on the built-in
//                                   assistant corpus, both ways (all weights, LoRA), 6 to 10 minutes on 2 cores
//   chat_train --base DIR           fine-tune a gpt_train output or a Hugging Face GPT-2 directory instead
//   chat_train --data chats.jsonl   fine-tune on your own conversations (OpenAI's messages format)
//   chat_train --lora 8             LoRA adapters of rank 8 instead of full fine-tuning
//
// It prints held-out exact-match accuracy per skill for the base model
// prompted few-shot, the fully fine-tuned model and the LoRA model, and
// writes into --out the chat model directory (see chat_model.hpp) of the
// fully fine-tuned model, lora/ (the LoRA model merged, and its adapter in
// peft's format), metrics.csv and loss.svg. `chat --model DIR` talks to it.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "chat_model.hpp"
#include "flags.hpp"

namespace {

using tinylm::Tensor;
using tinylm::lm::AssistantExample;
using tinylm::lm::Conversation;
using tinylm::lm::Role;
using tinylm::lm::Skill;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string base, data, out = "out/chat", lora_targets = "c_attn,c_proj,c_fc";
  int64_t n_layer = 3, n_head = 4, n_embd = 96, block_size = 384;
  int64_t pretrain_steps = 5500, pretrain_batch = 24, sft_steps = 1800, lora_steps = 500, sft_batch = 32;
  int64_t lora = 0, lora_default_rank = 8, shots = 2, eval_per_skill = 100, train_conversations = 100000;
  int64_t seed = 1337, threads = 0, max_reply = 100;
  double pretrain_lr = 5e-3, sft_lr = 2e-3, lora_lr = 5e-3, lora_alpha = 0, weight_decay = 0.1;
  bool skip_bad = false, show_misses = false;
};

void define_flags(examples::Flags& f, Options& o) {
  f.add("base", &o.base,
        "the model to fine-tune: a directory gpt_train wrote (model.safetensors) or a Hugging Face GPT-2 directory; "
        "none: pre-train one on the synthetic text corpus first");
  f.add("data", &o.data,
        "conversations to fine-tune on, JSONL in OpenAI's messages format; none: the built-in assistant corpus");
  f.add("skip-bad", &o.skip_bad, "skip malformed lines of --data (and count them) instead of stopping at the first");
  f.add("lora", &o.lora,
        "fine-tune LoRA adapters of this rank instead of all weights (0: fine-tune both ways for the table)");
  f.add("lora-alpha", &o.lora_alpha, "LoRA scaling alpha (0: twice the rank)");
  f.add("lora-targets", &o.lora_targets, "comma-separated layer names that get adapters");
  f.add("out", &o.out, "output directory");
  f.add("n-layer", &o.n_layer, "transformer blocks of a pre-trained model");
  f.add("n-head", &o.n_head, "attention heads per block");
  f.add("n-embd", &o.n_embd, "embedding width C");
  f.add("block-size", &o.block_size, "context length T");
  f.add("pretrain-steps", &o.pretrain_steps, "pre-training steps (without --base)");
  f.add("pretrain-batch", &o.pretrain_batch, "pre-training documents per step");
  f.add("pretrain-lr", &o.pretrain_lr, "peak pre-training learning rate");
  f.add("sft-steps", &o.sft_steps, "full fine-tuning steps");
  f.add("sft-lr", &o.sft_lr, "peak full fine-tuning learning rate");
  f.add("lora-steps", &o.lora_steps, "LoRA fine-tuning steps");
  f.add("lora-lr", &o.lora_lr, "peak LoRA learning rate");
  f.add("sft-batch", &o.sft_batch, "conversations per fine-tuning step");
  f.add("weight-decay", &o.weight_decay, "decoupled weight decay (matrices only)");
  f.add("train-conversations", &o.train_conversations, "conversations of the built-in corpus to fine-tune on");
  f.add("shots", &o.shots, "examples of the same skill in the base model's few-shot prompt");
  f.add("eval-per-skill", &o.eval_per_skill, "held-out conversations per skill");
  f.add("show-misses", &o.show_misses, "print every held-out conversation a model answered wrong, with its answer");
  f.add("max-reply", &o.max_reply, "longest reply, in tokens, when evaluating");
  f.add("seed", &o.seed, "seed for initialization, data and batches");
  f.add("threads", &o.threads, "CPU threads (0: all cores)");
}

void validate(const Options& o) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw examples::UsageError(msg);
  };
  need(o.n_layer > 0 && o.n_head > 0 && o.n_embd > 0 && o.block_size > 1, "model sizes must be positive");
  need(o.n_embd % o.n_head == 0, "--n-embd must be a multiple of --n-head");
  need(o.pretrain_steps >= 0 && o.sft_steps >= 0 && o.lora_steps >= 0, "step counts must be >= 0");
  need(o.pretrain_batch > 0 && o.sft_batch > 0, "batch sizes must be positive");
  need(o.lora >= 0, "--lora must be >= 0");
  need(o.shots >= 0, "--shots must be >= 0");
  need(o.eval_per_skill > 0, "--eval-per-skill must be positive");
  need(o.train_conversations > 0, "--train-conversations must be positive");
  need(o.max_reply > 0, "--max-reply must be positive");
  need(o.threads >= 0, "--threads must be >= 0");
  need(o.pretrain_lr > 0 && o.sft_lr > 0 && o.lora_lr > 0, "learning rates must be positive");
}

/// Micro-batches per training step (see train): rows of similar length
/// together, so that little of a step is padding.
constexpr int64_t kMicrobatches = 4;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// ---- data --------------------------------------------------------------

/// A conversation as plain text, the way the pre-training corpus holds it:
/// the turns' texts in order, one space between, one line.
std::string as_text(const Conversation& c) {
  std::string s;
  for (const auto& m : c) s += (s.empty() ? "" : " ") + m.content;
  return s;
}

/// One document of the synthetic text corpus: a worked sum, difference or
/// product (two in three), or an order record with a question and its
/// answer, as one line. Only the training split's problems, order numbers
/// and items: the held-out ones never appear. Refusals and follow-ups are
/// the assistant's manners, not facts: fine-tuning teaches them.
std::string pretraining_document(tinylm::Generator& gen) {
  const Skill skill = gen.next_u64() % 3 < 2 ? Skill::Arithmetic : Skill::Order;
  return as_text(tinylm::lm::assistant_example(skill, tinylm::lm::Split::Train, gen).conversation) + "\n";
}

/// The corpus as running text: documents interleaved with stretches of the
/// English-like sentences of gpt_train's corpus (a fifth of the text).
std::string pretraining_text(int64_t chars, uint64_t seed) {
  const auto english = tinylm::data::generate_synthetic(chars / 5, seed).text;
  tinylm::Generator gen(seed + 7);
  std::string text;
  std::size_t at = 0;
  while (static_cast<int64_t>(text.size()) < chars) {
    if (gen.next_u64() % 5 == 0 && at < english.size()) {  // to the end of a sentence
      std::size_t end = english.find(". ", at + 80);
      end = end == std::string::npos ? english.size() : end + 1;
      text += english.substr(at, end - at) + "\n";
      at = end + 1;
      continue;
    }
    text += pretraining_document(gen);
  }
  return text;
}

/// The skills the table reports: arithmetic split into sums and
/// differences (the ones the run promises) and products.
enum Column { SumsDiffs, Products, Order, Refusal, MultiTurn, kColumns };
const char* kColumnNames[kColumns] = {"sums & diffs", "products", "order", "refusal", "multi-turn"};

Column column_of(const AssistantExample& ex) {
  switch (ex.skill) {
    case Skill::Arithmetic: return ex.conversation[0].content.find('*') != std::string::npos ? Products : SumsDiffs;
    case Skill::Order: return Order;
    case Skill::Refusal: return Refusal;
    case Skill::MultiTurn: return MultiTurn;
  }
  return SumsDiffs;
}

struct Scores {
  int ok[kColumns] = {}, n[kColumns] = {};
  double pct(int c) const { return n[c] ? 100.0 * ok[c] / n[c] : NAN; }
};

void print_samples(const std::vector<AssistantExample>& held, const std::vector<std::string>& replies) {
  for (int s = 0; s < 4; ++s)
    for (std::size_t i = 0; i < held.size(); ++i)
      if (held[i].skill == tinylm::lm::kSkills[static_cast<std::size_t>(s)]) {
        std::printf("    %-60.60s -> %s\n", held[i].conversation[held[i].conversation.size() - 2].content.c_str(),
                    replies[i].c_str());
        break;
      }
}

Scores score_all(const std::vector<AssistantExample>& held, const std::vector<std::string>& replies, bool show_misses) {
  Scores s;
  for (std::size_t i = 0; i < held.size(); ++i) {
    const Column c = column_of(held[i]);
    const bool ok = tinylm::lm::score(held[i], replies[i]);
    ++s.n[c];
    s.ok[c] += ok;
    if (!ok && show_misses)
      std::printf("    miss (%s, answer '%s'): %s -> %s\n", kColumnNames[c], held[i].answer.c_str(),
                  held[i].conversation[held[i].conversation.size() - 2].content.c_str(), replies[i].c_str());
  }
  return s;
}

/// The fine-tuned model's replies to the held-out conversations (all but
/// their last assistant turn), greedy, stopping at <|end|>.
std::vector<std::string> chat_replies(tinylm::nn::GPT<float>& model, const tinylm::lm::ChatFormat& chat,
                                      const std::vector<AssistantExample>& held, int64_t max_reply) {
  std::vector<std::vector<int32_t>> prompts;
  for (const auto& ex : held)
    prompts.push_back(chat.prompt(Conversation(ex.conversation.begin(), ex.conversation.end() - 1)));
  tinylm::lm::GenerateOptions go;
  go.max_new_tokens = max_reply;
  go.sampling.temperature = 0;
  go.stop_tokens = {chat.end_id()};
  const auto gens = tinylm::lm::generate(model, prompts, go);
  std::vector<std::string> out;
  for (const auto& g : gens) out.push_back(chat.decode_reply(g.tokens));
  return out;
}

/// The base model's replies, prompted few-shot: `shots` training
/// conversations of the same skill as text lines, then the held-out
/// conversation's text up to its last reply; the reply is what the model
/// writes up to the end of the line.
std::vector<std::string> few_shot_replies(tinylm::nn::GPT<float>& model, const examples::ChatTokenizer& tok,
                                          const std::vector<AssistantExample>& held, int64_t shots, int64_t max_reply,
                                          uint64_t seed) {
  std::map<Skill, std::string> context;
  tinylm::Generator gen(seed + 99);
  for (Skill s : tinylm::lm::kSkills)
    for (int64_t k = 0; k < shots; ++k)
      context[s] += as_text(tinylm::lm::assistant_example(s, tinylm::lm::Split::Train, gen).conversation) + "\n";
  std::vector<std::vector<int32_t>> prompts;
  const int64_t limit = model.config().block_size - max_reply;
  for (const auto& ex : held) {
    const Conversation asked(ex.conversation.begin(), ex.conversation.end() - 1);
    auto ids = tok.encode_ordinary(context[ex.skill] + as_text(asked) + " ");
    if (static_cast<int64_t>(ids.size()) > limit) ids.erase(ids.begin(), ids.end() - limit);  // keep the question
    prompts.push_back(ids);
  }
  tinylm::lm::GenerateOptions go;
  go.max_new_tokens = max_reply;
  go.sampling.temperature = 0;
  go.stop_tokens = {tok.encode_ordinary("\n")[0]};
  const auto gens = tinylm::lm::generate(model, prompts, go);
  std::vector<std::string> out;
  for (const auto& g : gens) out.push_back(tok.decode(g.tokens));
  return out;
}

// ---- training ------------------------------------------------------------

struct MetricsRow {
  std::string phase;
  int64_t step;
  double loss, lr, tokens_per_s;
};

/// Trains with AdamW on a warmup-cosine schedule; `batch(step)` gives the
/// step's batch as micro-batches of similar lengths (lm::sft_microbatches),
/// whose losses, weighted by their share of the trainable targets, add up to
/// the whole batch's mean. A batch with nothing to learn is skipped with a
/// warning.
template <class MakeBatch>
void train(tinylm::nn::GPT<float>& model, const std::string& phase, int64_t steps, double lr, double weight_decay,
           MakeBatch&& batch, std::vector<MetricsRow>& metrics) {
  if (steps == 0) return;
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), lr, weight_decay),
                                  tinylm::optim::AdamWOptions{lr, 0.9, 0.95, 1e-8, weight_decay});
  const auto schedule = tinylm::optim::LRSchedule::warmup_cosine(lr, lr / 10, std::min<int64_t>(100, steps), steps);
  model.train();
  const auto t0 = Clock::now();
  auto last = t0;
  int64_t tokens = 0, skipped = 0;
  double loss_sum = 0;
  int64_t loss_n = 0;
  const int64_t every = std::max<int64_t>(1, steps / 10);
  for (int64_t s = 0; s < steps; ++s) {
    const std::vector<tinylm::lm::SftBatch> parts = batch(s);
    const std::vector<double> weights = tinylm::lm::sft_microbatch_weights(parts);
    opt.set_lr(schedule(s));
    opt.zero_grad();
    double step_loss = 0;
    bool learned = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& b = parts[i];
      const auto x = Tensor<int32_t>::from_vector(b.inputs, {b.B, b.T}),
                 y = Tensor<int32_t>::from_vector(b.targets, {b.B, b.T});
      const Tensor<float> loss = tinylm::lm::sft_loss(model, x, y);
      tokens += b.B * b.T;
      if (!loss.defined()) continue;
      (loss * weights[i]).backward();
      step_loss += loss.item() * weights[i];
      learned = true;
    }
    if (!learned) {
      if (skipped++ < 3)
        std::fprintf(stderr, "warning: %s step %lld: the batch has no trainable token; skipped\n", phase.c_str(),
                     (long long)s + 1);
      continue;
    }
    tinylm::optim::clip_grad_norm(model.parameters(), 1.0);
    opt.step();
    loss_sum += step_loss;
    ++loss_n;
    if ((s + 1) % every == 0 || s + 1 == steps) {
      const double dt = seconds_since(last), tps = static_cast<double>(tokens) / std::max(dt, 1e-9);
      const double mean = loss_sum / static_cast<double>(std::max<int64_t>(loss_n, 1));
      std::printf("  %s step %5lld/%lld | loss %.4f | lr %.2e | %6.0f tok/s | %s\n", phase.c_str(), (long long)s + 1,
                  (long long)steps, mean, schedule(s), tps, examples::format_duration(seconds_since(t0)).c_str());
      std::fflush(stdout);
      metrics.push_back({phase, s + 1, mean, schedule(s), tps});
      tokens = 0, loss_sum = 0, loss_n = 0, last = Clock::now();
    }
  }
  if (skipped)
    std::fprintf(stderr, "warning: %s: %lld batches had no trainable token\n", phase.c_str(), (long long)skipped);
}

void write_metrics(const std::string& dir, const std::vector<MetricsRow>& rows) {
  std::string csv = "phase,step,train_loss,lr,tokens_per_s\n";
  std::map<std::string, tinylm::io::Series> series;
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c"};
  for (const auto& r : rows) {
    char line[256];
    std::snprintf(line, sizeof line, "%s,%lld,%.9g,%.9g,%.9g\n", r.phase.c_str(), (long long)r.step, r.loss, r.lr,
                  r.tokens_per_s);
    csv += line;
    auto& s = series[r.phase];
    if (s.name.empty()) s = {r.phase, {}, {}, colors[series.size() % 3]};
    s.x.push_back(static_cast<double>(r.step));
    s.y.push_back(r.loss);
  }
  tinylm::write_file_atomic(dir + "/metrics.csv", {csv});
  std::vector<tinylm::io::Series> all;
  for (auto& [name, s] : series) all.push_back(s);
  tinylm::io::write_line_chart_svg(dir + "/loss.svg", "chat_train: training loss by phase", "step",
                                   "cross-entropy (nats/token)", all);
}

// ---- the base model ------------------------------------------------------

struct Base {
  std::unique_ptr<tinylm::nn::GPT<float>> model;
  examples::ChatTokenizer tok;
  std::string description;
};

Base load_base(const std::string& dir) {
  auto m = examples::load_model_dir(dir, "--base '" + dir + "'");
  const std::string description = dir + " (" + m.tokenizer.kind() + ")";
  return {std::move(m.model), std::move(m.tokenizer), description};
}

struct Snapshot {
  std::vector<std::vector<float>> values;
};
Snapshot snapshot(const tinylm::nn::GPT<float>& m) {
  Snapshot s;
  for (const auto& p : m.named_parameters()) s.values.push_back(p.tensor.to_vector());
  return s;
}
void restore(tinylm::nn::GPT<float>& m, const Snapshot& s) {
  const auto params = m.named_parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    std::copy(s.values[i].begin(), s.values[i].end(), params[i].tensor.data());
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t end = std::min(s.find(',', at), s.size());
    if (end > at) out.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags flags("chat_train", "Pre-trains a GPT, fine-tunes it into an assistant, and measures it.");
  define_flags(flags, o);
  if (!flags.parse(argc, argv)) return 0;
  validate(o);
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they come, into a pipe or a file too
  const auto t_start = Clock::now();
  const uint64_t seed = static_cast<uint64_t>(o.seed);
  const tinylm::lm::ChatTokens chat_tokens;

  // The conversations to fine-tune on, and the held-out ones to measure.
  std::vector<Conversation> train_chats;
  if (!o.data.empty()) {
    auto file = tinylm::lm::read_chat_jsonl(o.data, o.skip_bad);
    TINYLM_CHECK(!file.conversations.empty(), "--data '", o.data, "' holds no conversation");
    if (file.skipped)
      std::printf("data: skipped %lld malformed lines of %s\n", (long long)file.skipped, o.data.c_str());
    train_chats = std::move(file.conversations);
  } else {
    for (auto& ex : tinylm::lm::assistant_corpus(o.train_conversations, tinylm::lm::Split::Train, seed))
      train_chats.push_back(std::move(ex.conversation));
  }
  const auto held = tinylm::lm::assistant_corpus(4 * o.eval_per_skill, tinylm::lm::Split::HeldOut, seed);
  std::printf("fine-tuning data: %zu conversations (%s); held out: %zu, %lld per skill\n", train_chats.size(),
              o.data.empty() ? "the built-in assistant corpus" : o.data.c_str(), held.size(),
              (long long)o.eval_per_skill);

  // The base model: given, or pre-trained here.
  std::vector<MetricsRow> metrics;
  Base base;
  std::filesystem::create_directories(o.out);
  if (!o.base.empty()) {
    base = load_base(o.base);
    std::printf("base model: %s, %.2fM parameters\n", base.description.c_str(),
                double(base.model->num_parameters()) / 1e6);
  } else {
    const std::string text = pretraining_text(2'000'000, seed);
    std::string all = text;  // the vocabulary: every character training or evaluation can meet
    for (const auto& c : train_chats) all += as_text(c);
    for (const auto& ex : held) all += as_text(ex.conversation);
    base.tok.chars = tinylm::data::CharTokenizer::from_text(all);
    const tinylm::nn::GPTConfig cfg{base.tok.vocab_size(), o.block_size, o.n_layer, o.n_head, o.n_embd, 0.0};
    base.model = std::make_unique<tinylm::nn::GPT<float>>(cfg, seed);
    base.description = "pre-trained here on " + std::to_string(text.size() / 1000) + "k characters of synthetic text";
    std::printf("pre-training: %lld layers, %lld heads, %lld wide, context %lld, %lld characters: %.2fM parameters\n",
                (long long)o.n_layer, (long long)o.n_head, (long long)o.n_embd, (long long)o.block_size,
                (long long)cfg.vocab_size, double(base.model->num_parameters()) / 1e6);
    // Three steps in four: documents one per row from position 0 (as the fine-tuning rows
    // will be), in micro-batches of similar length; the fourth: windows of the running
    // text, so that every position of the context is trained (the few-shot prompts are long).
    const auto ids = base.tok.chars->encode(text);
    const int64_t T = o.block_size;
    TINYLM_CHECK(static_cast<int64_t>(ids.size()) > T + 1, "the pre-training text is shorter than one block");
    const int32_t newline = base.tok.chars->encode("\n")[0];
    tinylm::Generator gen(seed * 31 + 1);
    train(
        *base.model, "pretrain", o.pretrain_steps, o.pretrain_lr, o.weight_decay,
        [&](int64_t s) {
          if (s % 4 == 3) {
            tinylm::lm::SftBatch b;
            b.B = std::max<int64_t>(1, o.pretrain_batch * 64 / T);
            b.T = T;
            for (int64_t r = 0; r < b.B; ++r) {
              const auto at =
                  static_cast<std::ptrdiff_t>(gen.next_u64() % (ids.size() - static_cast<std::size_t>(T) - 1));
              b.inputs.insert(b.inputs.end(), ids.begin() + at, ids.begin() + at + T);
              b.targets.insert(b.targets.end(), ids.begin() + at + 1, ids.begin() + at + T + 1);
            }
            return std::vector{b};
          }
          std::vector<tinylm::lm::RenderedChat> docs;  // every token of a document is a target
          for (int64_t b = 0; b < o.pretrain_batch; ++b) {
            auto d = base.tok.chars->encode("\n" + pretraining_document(gen));
            docs.push_back({d, std::vector<uint8_t>(d.size(), 1)});
          }
          return tinylm::lm::sft_microbatches(docs, kMicrobatches, T, newline);
        },
        metrics);
    std::printf("pre-trained in %s\n", examples::format_duration(seconds_since(t_start)).c_str());
  }
  auto& model = *base.model;
  if (base.tok.chars && !o.base.empty()) {  // characters the fine-tuning or evaluation text has and the base lacks
    std::string all;
    for (const auto& c : train_chats) all += as_text(c);
    for (const auto& ex : held) all += as_text(ex.conversation);
    const int64_t added = base.tok.chars->add_tokens(all);
    if (added > 0) {
      model.resize_token_embeddings(std::max(model.config().vocab_size, base.tok.vocab_size()));
      std::printf("added %lld characters the base model's vocabulary lacked (new embedding rows)\n", (long long)added);
    }
  }

  // The base model, few-shot (before its vocabulary grows by the chat template's tokens).
  Scores few;
  std::vector<std::string> few_replies;
  if (o.shots > 0 || o.base.empty()) {
    few_replies = few_shot_replies(model, base.tok, held, o.shots, o.max_reply, seed);
    few = score_all(held, few_replies, o.show_misses);
    std::printf("few-shot base model (%lld examples in the prompt):\n", (long long)o.shots);
    print_samples(held, few_replies);
  }

  // The chat template's tokens, and rows of one conversation each.
  base.tok.add_chat_tokens(chat_tokens);
  if (base.tok.vocab_size() > model.config().vocab_size) model.resize_token_embeddings(base.tok.vocab_size());
  const tinylm::lm::ChatFormat chat(base.tok, chat_tokens);
  std::vector<tinylm::lm::RenderedChat> rendered;
  for (const auto& c : train_chats) rendered.push_back(chat.render(c));
  int64_t truncated = 0, dropped = 0;
  for (const auto& r : rendered)
    if (static_cast<int64_t>(r.ids.size()) > model.config().block_size + 1)
      ++(tinylm::lm::fitting_prefix(r, static_cast<std::size_t>(model.config().block_size + 1)) > 0 ? truncated
                                                                                                    : dropped);
  std::printf("fine-tuning: batches of %lld conversations; %lld will be truncated at a turn, %lld dropped (too long)\n",
              (long long)o.sft_batch, (long long)truncated, (long long)dropped);
  TINYLM_CHECK(dropped < static_cast<int64_t>(rendered.size()), "no conversation fits the model's context of ",
               model.config().block_size, " tokens");
  const Snapshot start = snapshot(model);
  auto sft_batch = [&](tinylm::Generator& gen) {  // a random mix of conversations, in micro-batches
    return [&](int64_t) {
      std::vector<tinylm::lm::RenderedChat> picked;
      for (int64_t b = 0; b < o.sft_batch; ++b) picked.push_back(rendered[gen.next_u64() % rendered.size()]);
      return tinylm::lm::sft_microbatches(picked, kMicrobatches, model.config().block_size, chat.end_id());
    };
  };

  Scores full, lora;
  bool ran_full = false;
  if (o.lora == 0) {
    tinylm::Generator gen(seed * 31 + 2);
    train(model, "full", o.sft_steps, o.sft_lr, o.weight_decay, sft_batch(gen), metrics);
    const auto replies = chat_replies(model, chat, held, o.max_reply);
    full = score_all(held, replies, o.show_misses);
    ran_full = true;
    std::printf("fully fine-tuned model:\n");
    print_samples(held, replies);
    examples::save_chat_model(o.out, model, base.tok, chat_tokens);
    std::printf("wrote %s (chat --model %s)\n", o.out.c_str(), o.out.c_str());
  }
  {
    restore(model, start);
    tinylm::nn::LoRAConfig cfg;
    cfg.r = o.lora > 0 ? o.lora : o.lora_default_rank;
    cfg.alpha = o.lora_alpha > 0 ? o.lora_alpha : 2.0 * static_cast<double>(cfg.r);
    cfg.target_modules = split_commas(o.lora_targets);
    cfg.seed = seed;
    tinylm::nn::add_lora(model, cfg);
    std::printf("LoRA: rank %lld on %s: %lld trainable parameters of %lld\n", (long long)cfg.r, o.lora_targets.c_str(),
                (long long)model.num_trainable_parameters(), (long long)model.num_parameters());
    tinylm::Generator gen(seed * 31 + 3);
    train(model, "lora", o.lora_steps, o.lora_lr, o.weight_decay, sft_batch(gen), metrics);
    const auto replies = chat_replies(model, chat, held, o.max_reply);
    lora = score_all(held, replies, o.show_misses);
    std::printf("LoRA model:\n");
    print_samples(held, replies);
    const std::string dir = o.lora > 0 ? o.out : o.out + "/lora";
    tinylm::io::save_peft_adapter(dir + "/adapter", model, cfg, o.base);
    tinylm::nn::merge_lora(model);
    tinylm::nn::remove_lora(model);
    examples::save_chat_model(dir, model, base.tok, chat_tokens);
    std::printf("wrote %s (merged; the adapter alone in %s/adapter)\n", dir.c_str(), dir.c_str());
  }
  write_metrics(o.out, metrics);

  std::printf("\nheld-out exact match, %% (%lld conversations per skill)\n", (long long)o.eval_per_skill);
  std::printf("  %-28s", "model");
  for (int c = 0; c < kColumns; ++c) std::printf(" %12s", kColumnNames[c]);
  std::printf("\n");
  auto row = [&](const char* name, const Scores& s) {
    std::printf("  %-28s", name);
    for (int c = 0; c < kColumns; ++c) std::printf(" %12.1f", s.pct(c));
    std::printf("\n");
  };
  if (!few_replies.empty()) {
    char name[64];
    std::snprintf(name, sizeof name, "base, %lld-shot", (long long)o.shots);
    row(name, few);
  }
  if (ran_full) row("fully fine-tuned", full);
  row("LoRA", lora);
  std::printf("total time %s; metrics.csv and loss.svg in %s\n",
              examples::format_duration(seconds_since(t_start)).c_str(), o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("chat_train", argc, argv, run); }
