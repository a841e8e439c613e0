// lm_zoo: three generations of language models on the same tokens, measured
// by the same evaluator.
//
//   counts      an n-gram model (modified Kneser-Ney; the best order on validation)
//   recurrence  a character-level LSTM (truncated backpropagation through time)
//   attention   a GPT
//
// All three train on one split of one corpus (the built-in synthetic corpus,
// or --data FILE, one token per character) and are scored on the same
// validation chunks: chunks of block_size + 1 tokens, stride block_size, each
// chunk's first token only giving context (lm/lm_eval.hpp's convention), so
// every model sees the same targets with the same context. Prints one table.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

namespace lm = tinylm::lm;
namespace nn = tinylm::nn;
using tinylm::Tensor;
using tinylm::data::TokenDataset;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string data;
  int64_t synthetic_chars = 1000000, max_order = 6, block_size = 128, batch_size = 16, seed = 1337, threads = 0;
  int64_t gpt_steps = 1000, gpt_layers = 4, gpt_heads = 4, gpt_embd = 128;
  int64_t lstm_steps = 1000, lstm_layers = 2, lstm_hidden = 256, lstm_embd = 64;
  double lr = 2e-3;
};

struct Row {
  std::string model, detail;
  int64_t parameters;
  double seconds;
  lm::LMScore score;
};

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// Sum of -ln p over a neural model's predictions of val chunks, batched.
template <class Logits>
lm::LMScore score_chunks(const std::vector<std::vector<int32_t>>& chunks, int64_t T, Logits logits_of) {
  tinylm::NoGradGuard no_grad;
  lm::LMScore s;
  const int64_t B = 32;
  for (std::size_t c0 = 0; c0 < chunks.size(); c0 += B) {
    const int64_t n = std::min<int64_t>(B, static_cast<int64_t>(chunks.size() - c0));
    Tensor<int32_t> x = Tensor<int32_t>::empty({n, T}), y = Tensor<int32_t>::empty({n, T});
    for (int64_t i = 0; i < n; ++i) {
      const auto& ch = chunks[c0 + static_cast<std::size_t>(i)];
      std::copy(ch.begin(), ch.begin() + T, x.data() + i * T);
      std::copy(ch.begin() + 1, ch.end(), y.data() + i * T);
    }
    const Tensor<float> lg = logits_of(x);  // (n, T, V)
    s.nats += double(tinylm::cross_entropy(lg, y).item()) * double(n * T);
    s.tokens += n * T;
  }
  return s;
}

template <class Model, class Step>
double train_loop(Model& model, int64_t steps, double lr, Step step) {
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), lr, 0.1),
                                  {lr, 0.9, 0.95, 1e-8, 0.1});
  const auto schedule = tinylm::optim::LRSchedule::warmup_cosine(lr, lr / 10, std::min<int64_t>(100, steps), steps);
  const auto t0 = Clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    opt.set_lr(schedule(s));
    opt.zero_grad();
    const float loss = step(s);
    tinylm::optim::clip_grad_norm(model.parameters(), 1.0);
    opt.step();
    if ((s + 1) % std::max<int64_t>(1, steps / 10) == 0) {
      std::printf("\r    step %lld/%lld, loss %.4f", (long long)(s + 1), (long long)steps, loss);
      std::fflush(stdout);
    }
  }
  std::printf("\n");
  return seconds_since(t0);
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags f("lm_zoo", "Trains an n-gram model, an LSTM and a GPT on the same data and compares them.");
  f.add("data", &o.data, "text file (one token per character); none: the built-in synthetic corpus");
  f.add("synthetic-chars", &o.synthetic_chars, "characters of synthetic corpus");
  f.add("max-order", &o.max_order, "n-gram orders 1..this are tried; the best on validation is reported");
  f.add("block-size", &o.block_size, "context length of the neural models (and the evaluation chunks)");
  f.add("batch-size", &o.batch_size, "sequences per training step (neural models)");
  f.add("lr", &o.lr, "peak learning rate (neural models)");
  f.add("gpt-steps", &o.gpt_steps, "GPT training steps");
  f.add("gpt-layers", &o.gpt_layers, "GPT blocks");
  f.add("gpt-heads", &o.gpt_heads, "GPT attention heads");
  f.add("gpt-embd", &o.gpt_embd, "GPT width");
  f.add("lstm-steps", &o.lstm_steps, "LSTM training steps");
  f.add("lstm-layers", &o.lstm_layers, "LSTM layers");
  f.add("lstm-hidden", &o.lstm_hidden, "LSTM hidden size");
  f.add("lstm-embd", &o.lstm_embd, "LSTM input embedding size");
  f.add("seed", &o.seed, "seed");
  f.add("threads", &o.threads, "CPU threads (0: all cores)");
  if (!f.parse(argc, argv)) return 0;
  if (o.max_order < 1 || o.max_order > 8) throw examples::UsageError("--max-order must be 1 to 8");
  if (o.gpt_steps < 1 || o.lstm_steps < 1)
    throw examples::UsageError("--gpt-steps and --lstm-steps must be at least 1");
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));

  // ---- data: one tokenizer, one split, one evaluation set
  std::string text;
  std::optional<double> floor;
  std::size_t cut;
  if (o.data.empty()) {
    const auto corpus = tinylm::data::generate_synthetic(o.synthetic_chars, 1);
    text = corpus.text;
    cut = text.size() * 9 / 10;
    floor = corpus.entropy(cut, text.size());
  } else {
    text = tinylm::data::read_text_file(o.data);
    cut = text.size() * 9 / 10;
  }
  const auto tok = tinylm::data::CharTokenizer::from_text(text);
  const auto ids = tok.encode(text);
  const auto split = static_cast<std::ptrdiff_t>(tinylm::data::utf8_decode(text.substr(0, cut)).size());
  const TokenDataset train({ids.begin(), ids.begin() + split}, "train split"),
      val({ids.begin() + split, ids.end()}, "validation split");
  const int64_t T = o.block_size, V = tok.vocab_size();
  const auto chunks = val.chunks(T);
  std::printf("data: %s, %lld characters, %lld distinct; train %lld, validation %lld (%zu chunks of %lld + 1)\n",
              o.data.empty() ? "built-in synthetic corpus" : o.data.c_str(), (long long)ids.size(), (long long)V,
              (long long)train.size(), (long long)val.size(), chunks.size(), (long long)T);
  std::vector<Row> rows;

  // ---- counts
  std::printf("n-gram (modified Kneser-Ney), orders 1..%lld:\n", (long long)o.max_order);
  lm::NGramVocab vocab;
  for (int32_t i = 0; i < V; ++i) vocab.tokens.push_back(lm::arpa_char_name(tok.decode(std::vector<int32_t>{i})));
  std::optional<Row> best;
  for (int order = 1; order <= o.max_order; ++order) {
    const auto t0 = Clock::now();
    const auto m = lm::NGramLM::train({train.slice(0, train.size())}, vocab, {order, lm::Smoothing::ModifiedKneserNey});
    const double secs = seconds_since(t0);
    const auto s = m.evaluate(chunks);
    std::printf("    order %d: %.4f nats/char, %lld n-grams, %.2f s\n", order, s.nats_per_token(),
                (long long)m.num_ngrams(), secs);
    if (!best || s.nats_per_token() < best->score.nats_per_token())
      best = Row{"n-gram", "order " + std::to_string(order) + ", modified KN", m.num_ngrams(), secs, s};
  }
  rows.push_back(*best);

  // ---- recurrence
  nn::LSTMLM<float> lstm({V, o.lstm_embd, o.lstm_hidden, o.lstm_layers}, static_cast<uint64_t>(o.seed));
  std::printf("LSTM (%lld layers x %lld, %lld steps of %lld x %lld tokens, truncated BPTT):\n",
              (long long)o.lstm_layers, (long long)o.lstm_hidden, (long long)o.lstm_steps, (long long)o.batch_size,
              (long long)T);
  nn::LSTMState<float> state;
  const double lstm_secs = train_loop(lstm, o.lstm_steps, o.lr, [&](int64_t s) {
    const auto b = train.stream(o.batch_size, T, s);
    auto out = lstm.forward(b.x, b.y, state);
    state = out.state.detach();  // carry the state, cut the gradient
    out.loss.backward();
    return out.loss.item();
  });
  lstm.eval();
  rows.push_back({"LSTM", std::to_string(o.lstm_layers) + " x " + std::to_string(o.lstm_hidden), lstm.num_parameters(),
                  lstm_secs,
                  score_chunks(chunks, T, [&](const Tensor<int32_t>& x) { return lstm.forward(x).logits; })});

  // ---- attention
  nn::GPT<float> gpt({V, T, o.gpt_layers, o.gpt_heads, o.gpt_embd, 0.0}, static_cast<uint64_t>(o.seed));
  std::printf("GPT (%lld layers, %lld heads, %lld wide, %lld steps of %lld x %lld tokens):\n", (long long)o.gpt_layers,
              (long long)o.gpt_heads, (long long)o.gpt_embd, (long long)o.gpt_steps, (long long)o.batch_size,
              (long long)T);
  tinylm::Generator gen(static_cast<uint64_t>(o.seed) + 1);
  const double gpt_secs = train_loop(gpt, o.gpt_steps, o.lr, [&](int64_t) {
    const auto b = train.sample(o.batch_size, T, gen);
    auto out = gpt.forward(b.x, b.y);
    out.loss.backward();
    return out.loss.item();
  });
  gpt.eval();
  rows.push_back({"GPT", std::to_string(o.gpt_layers) + " layers x " + std::to_string(o.gpt_embd), gpt.num_parameters(),
                  gpt_secs, score_chunks(chunks, T, [&](const Tensor<int32_t>& x) { return gpt.forward(x); })});

  // ---- the table
  std::printf("\n| model | configuration | parameters | train time | validation nats/char | perplexity |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  for (const auto& r : rows)
    std::printf("| %s | %s | %lld%s | %.1f s | %.4f | %.3f |\n", r.model.c_str(), r.detail.c_str(),
                (long long)r.parameters, r.model == "n-gram" ? " n-grams" : "", r.seconds, r.score.nats_per_token(),
                r.score.perplexity());
  if (floor) std::printf("| entropy floor | the corpus' own | | | %.4f | %.3f |\n", *floor, std::exp(*floor));
  std::printf("\nAll rows score the same %lld validation characters.\n", (long long)rows[0].score.tokens);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("lm_zoo", argc, argv, run); }
