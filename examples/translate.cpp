// translate: train an encoder-decoder Transformer to translate, measure it
// with BLEU, and translate lines.
//
//   translate                           train on the built-in parallel corpus (English-like sentences and
//                                       their translations into an invented language), report held-out
//                                       BLEU, chrF and exact match for greedy and beam search, save the model
//   translate --src a.txt --tgt b.txt   train on your own line-aligned text (the last --held-out lines measure it)
//   translate --model DIR < lines.txt   translate each line of stdin with a saved model (beam search)
//
// The tokenizer is a byte-level BPE trained on both sides of the training
// text (one vocabulary, one embedding table shared by the encoder, the
// decoder and the output head). The model directory holds model.safetensors
// (its config in the metadata) and tokenizer.json.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

using tinylm::Tensor;
using Clock = std::chrono::steady_clock;

constexpr const char* kPad = "<pad>";
constexpr const char* kBos = "<s>";
constexpr const char* kEos = "</s>";

struct Options {
  std::string src, tgt, model, out = "out/translate";
  int64_t train_pairs = 40000, held_out = 500, vocab_size = 600, max_len = 64;
  int64_t n_embd = 128, n_head = 4, n_layer = 2, steps = 3000, batch_size = 64;
  int64_t beam = 4, seed = 1337, threads = 0;
  double lr = 2e-3, label_smoothing = 0.1, length_penalty = 1.0, dropout = 0.0;
};

void define_flags(examples::Flags& f, Options& o) {
  f.add("src", &o.src, "source sentences, one per line (with --tgt); none: the built-in parallel corpus");
  f.add("tgt", &o.tgt, "their translations, line for line");
  f.add("model", &o.model, "translate stdin with the model saved in this directory instead of training");
  f.add("out", &o.out, "where to save the trained model");
  f.add("train-pairs", &o.train_pairs, "training pairs of the built-in corpus");
  f.add("held-out", &o.held_out, "pairs kept out of training to measure the model (the last lines of --src/--tgt)");
  f.add("vocab-size", &o.vocab_size, "BPE vocabulary: 256 bytes, the merges, and <pad> <s> </s>");
  f.add("max-len", &o.max_len, "longest sentence in tokens; longer training pairs are skipped and counted");
  f.add("n-embd", &o.n_embd, "model width C");
  f.add("n-head", &o.n_head, "attention heads");
  f.add("n-layer", &o.n_layer, "encoder blocks, and as many decoder blocks");
  f.add("steps", &o.steps, "training steps");
  f.add("batch-size", &o.batch_size, "sentence pairs per step");
  f.add("lr", &o.lr, "peak learning rate (AdamW, warmup then cosine decay)");
  f.add("dropout", &o.dropout, "dropout probability");
  f.add("label-smoothing", &o.label_smoothing, "label smoothing of the training loss");
  f.add("beam", &o.beam, "beam width");
  f.add("length-penalty", &o.length_penalty, "beam search ranks by log-probability / length^this");
  f.add("seed", &o.seed, "seed for the data, the initial weights and the batches");
  f.add("threads", &o.threads, "CPU threads (0: all cores)");
}

void validate(const Options& o) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw examples::UsageError(msg);
  };
  need(o.src.empty() == o.tgt.empty(), "--src and --tgt go together");
  need(o.model.empty() || o.src.empty(), "--model translates stdin; it takes no --src/--tgt");
  need(o.train_pairs > 0 && o.held_out > 0, "--train-pairs and --held-out must be positive");
  need(o.vocab_size >= 259, "--vocab-size must be at least 259 (256 bytes and 3 special tokens)");
  need(o.max_len >= 2, "--max-len must be at least 2");
  need(o.n_embd > 0 && o.n_head > 0 && o.n_layer > 0 && o.n_embd % o.n_head == 0,
       "--n-embd must be a positive multiple of --n-head, and --n-layer positive");
  need(o.steps >= 0 && o.batch_size > 0, "--steps must be >= 0 and --batch-size positive");
  need(o.lr > 0, "--lr must be positive");
  need(o.dropout >= 0 && o.dropout < 1, "--dropout must be in [0, 1)");
  need(o.label_smoothing >= 0 && o.label_smoothing < 1, "--label-smoothing must be in [0, 1)");
  need(o.beam >= 1, "--beam must be at least 1");
  need(o.threads >= 0, "--threads must be >= 0");
}

/// Micro-batches per training step: sentences of similar length together.
constexpr std::size_t kMicrobatches = 4;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::string> read_lines(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  TINYLM_CHECK(in && !std::filesystem::is_directory(path), flag, " '", path, "': cannot be read");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

/// The pairs of --src/--tgt, every line checked: both files the same
/// length, no empty line on either side.
std::vector<tinylm::data::ParallelPair> read_pairs(const Options& o) {
  const auto src = read_lines(o.src, "--src"), tgt = read_lines(o.tgt, "--tgt");
  TINYLM_CHECK(src.size() == tgt.size(), "--src '", o.src, "' has ", src.size(), " lines and --tgt '", o.tgt, "' has ",
               tgt.size(), ": they must be line-aligned");
  std::vector<tinylm::data::ParallelPair> pairs;
  for (std::size_t i = 0; i < src.size(); ++i) {
    TINYLM_CHECK(!src[i].empty() && !tgt[i].empty(), "line ", i + 1, " of ", src[i].empty() ? o.src : o.tgt,
                 " is empty: every line needs a sentence on both sides");
    pairs.push_back({src[i], tgt[i]});
  }
  TINYLM_CHECK(static_cast<int64_t>(pairs.size()) > o.held_out, "--src/--tgt hold ", pairs.size(),
               " pairs: more than --held-out (", o.held_out, ") are needed to train on");
  return pairs;
}

/// A tokenized pair: source ids, and target ids without <s> and </s>.
struct Example {
  std::vector<int32_t> src, tgt;
};

struct Vocab {
  tinylm::data::BPETokenizer bpe;
  int32_t pad, bos, eos;
  explicit Vocab(tinylm::data::BPETokenizer t)
      : bpe(std::move(t)), pad(bpe.special_id(kPad)), bos(bpe.special_id(kBos)), eos(bpe.special_id(kEos)) {}
};

/// Greedy and beam-search translations of `sources`, in batches.
std::vector<std::string> translate_all(const tinylm::nn::Seq2Seq<float>& model, const Vocab& v,
                                       const std::vector<std::vector<int32_t>>& sources, int64_t beam,
                                       double length_penalty) {
  std::vector<std::string> out;
  const tinylm::lm::SearchOptions so{
      .start_id = v.bos, .end_id = v.eos, .beam_width = beam, .length_penalty = length_penalty};
  for (std::size_t at = 0; at < sources.size(); at += 64) {
    const std::vector<std::vector<int32_t>> chunk(
        sources.begin() + static_cast<std::ptrdiff_t>(at),
        sources.begin() + static_cast<std::ptrdiff_t>(std::min(sources.size(), at + 64)));
    const auto batch = tinylm::lm::pad_batch(chunk, v.pad);
    if (beam == 1) {
      for (const auto& h : tinylm::lm::greedy_search(model, batch, so)) out.push_back(v.bpe.decode(h.tokens));
    } else {
      for (const auto& nbest : tinylm::lm::beam_search(model, batch, so)) out.push_back(v.bpe.decode(nbest[0].tokens));
    }
  }
  return out;
}

struct Scores {
  double bleu, chrf, exact;
};

Scores score(const std::vector<std::string>& hyps, const std::vector<std::string>& refs) {
  int exact = 0;
  for (std::size_t i = 0; i < hyps.size(); ++i) exact += hyps[i] == refs[i];
  return {tinylm::lm::corpus_bleu(hyps, {refs}).score, tinylm::lm::corpus_chrf(hyps, {refs}),
          100.0 * exact / static_cast<double>(std::max<std::size_t>(hyps.size(), 1))};
}

int translate_stdin(const Options& o) {
  const std::string weights = o.model + "/model.safetensors", tokenizer = o.model + "/tokenizer.json";
  TINYLM_CHECK(std::filesystem::is_regular_file(weights), "--model '", o.model, "': no model.safetensors in it");
  TINYLM_CHECK(std::filesystem::is_regular_file(tokenizer), "--model '", o.model, "': no tokenizer.json in it");
  const auto loaded = tinylm::io::load_seq2seq(weights);
  const tinylm::nn::Seq2Seq<float>& model = *loaded;
  const auto& cfg = model.config();
  const Vocab v(tinylm::data::load_bpe(tokenizer));
  TINYLM_CHECK(v.bpe.vocab_size() == cfg.src_vocab_size, "--model '", o.model, "': the tokenizer has ",
               v.bpe.vocab_size(), " tokens, the model ", cfg.src_vocab_size);
  loaded->eval();
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto ids = v.bpe.encode_ordinary(line);
    if (static_cast<int64_t>(ids.size()) > cfg.max_source_len) {
      std::fprintf(stderr, "translate: a line of %zu tokens is longer than the model's %lld; cut\n", ids.size(),
                   (long long)cfg.max_source_len);
      ids.resize(static_cast<std::size_t>(cfg.max_source_len));
    }
    std::printf("%s\n", translate_all(model, v, {ids}, o.beam, o.length_penalty)[0].c_str());
    std::fflush(stdout);
  }
  return 0;
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags flags("translate", "Trains an encoder-decoder Transformer to translate, or translates stdin.");
  define_flags(flags, o);
  if (!flags.parse(argc, argv)) return 0;
  validate(o);
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (!o.model.empty()) return translate_stdin(o);
  const auto t_start = Clock::now();
  const auto seed = static_cast<uint64_t>(o.seed);

  // The data: the built-in corpus or the user's lines.
  std::vector<tinylm::data::ParallelPair> train_pairs, held_pairs;
  if (o.src.empty()) {
    auto corpus = tinylm::data::generate_parallel(o.train_pairs, o.held_out, seed);
    train_pairs = std::move(corpus.train);
    held_pairs = std::move(corpus.held_out);
    std::printf(
        "data: the built-in parallel corpus, %zu training pairs, %zu held out (each with an adjective and "
        "noun never seen together in training)\n",
        train_pairs.size(), held_pairs.size());
  } else {
    auto pairs = read_pairs(o);
    held_pairs.assign(pairs.end() - o.held_out, pairs.end());
    pairs.resize(pairs.size() - static_cast<std::size_t>(o.held_out));
    train_pairs = std::move(pairs);
    std::printf("data: %zu training pairs from %s / %s, the last %zu held out\n", train_pairs.size(), o.src.c_str(),
                o.tgt.c_str(), held_pairs.size());
  }
  std::filesystem::create_directories(o.out);  // before training: an unwritable --out fails now, not after

  // One BPE for both sides.
  std::vector<std::string_view> texts;
  for (const auto& p : train_pairs) texts.insert(texts.end(), {p.source, p.target});
  tinylm::data::BPETrainOptions bo;
  bo.vocab_size = o.vocab_size;
  bo.special_tokens = {kPad, kBos, kEos};
  const Vocab v(tinylm::data::train_bpe(texts, bo));
  std::vector<Example> train;
  int64_t skipped = 0;
  int64_t longest = 0;
  for (const auto& p : train_pairs) {
    Example e{v.bpe.encode_ordinary(p.source), v.bpe.encode_ordinary(p.target)};
    if (static_cast<int64_t>(e.src.size()) > o.max_len || static_cast<int64_t>(e.tgt.size()) + 1 > o.max_len ||
        e.src.empty() || e.tgt.empty()) {
      ++skipped;
      continue;
    }
    longest = std::max<int64_t>({longest, static_cast<int64_t>(e.src.size()), static_cast<int64_t>(e.tgt.size()) + 1});
    train.push_back(std::move(e));
  }
  TINYLM_CHECK(!train.empty(), "no training pair fits --max-len ", o.max_len);
  std::printf("tokenizer: byte-level BPE of %lld tokens; %zu pairs, the longest side %lld tokens%s\n",
              (long long)v.bpe.vocab_size(), train.size(), (long long)longest,
              skipped ? (", " + std::to_string(skipped) + " pairs longer than --max-len skipped").c_str() : "");

  const tinylm::nn::Seq2SeqConfig cfg{.src_vocab_size = v.bpe.vocab_size(),
                                      .tgt_vocab_size = v.bpe.vocab_size(),
                                      .max_source_len = o.max_len,
                                      .max_target_len = o.max_len,
                                      .n_embd = o.n_embd,
                                      .n_head = o.n_head,
                                      .n_encoder_layer = o.n_layer,
                                      .n_decoder_layer = o.n_layer,
                                      .dropout = o.dropout,
                                      .pad_id = v.pad};
  tinylm::nn::Seq2Seq<float> model(cfg, seed);
  std::printf("model: %lld + %lld blocks, %lld wide, %lld heads: %.2fM parameters\n", (long long)o.n_layer,
              (long long)o.n_layer, (long long)o.n_embd, (long long)o.n_head, double(model.num_parameters()) / 1e6);

  // Training: random pairs, the loss label-smoothed over the target tokens (padding left out).
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), o.lr, 0.01),
                                  tinylm::optim::AdamWOptions{o.lr, 0.9, 0.98, 1e-9, 0.01});
  const auto schedule = tinylm::optim::LRSchedule::warmup_cosine(o.lr, o.lr / 10, std::min<int64_t>(200, o.steps),
                                                                 std::max<int64_t>(o.steps, 1));
  tinylm::Generator gen(seed * 31 + 5);
  std::string csv = "step,train_loss,lr,tokens_per_s\n";
  model.train();
  auto last = Clock::now();
  double loss_sum = 0;
  int64_t loss_n = 0, tokens = 0;
  const int64_t every = std::max<int64_t>(1, o.steps / 10);
  for (int64_t s = 0; s < o.steps; ++s) {
    // A random batch, sorted by length and cut into micro-batches that are each padded
    // only to their own longest; their losses, weighted by their share of the target
    // tokens, add up to the whole batch's mean loss.
    std::vector<const Example*> batch;
    int64_t targets = 0;
    for (int64_t b = 0; b < o.batch_size; ++b) {
      batch.push_back(&train[gen.below(train.size())]);
      targets += static_cast<int64_t>(batch.back()->tgt.size()) + 1;
    }
    std::stable_sort(batch.begin(), batch.end(), [](const Example* a, const Example* b) {
      return a->src.size() + a->tgt.size() < b->src.size() + b->tgt.size();
    });
    opt.set_lr(schedule(s));
    opt.zero_grad();
    double step_loss = 0;
    const auto n = batch.size(), parts = std::min<std::size_t>(kMicrobatches, n);
    for (std::size_t p = 0; p < parts; ++p) {
      std::vector<std::vector<int32_t>> src, tgt_in, tgt_out;
      int64_t part_targets = 0;
      for (std::size_t i = p * n / parts; i < (p + 1) * n / parts; ++i) {
        const Example& e = *batch[i];
        src.push_back(e.src);
        tgt_in.push_back({v.bos});
        tgt_in.back().insert(tgt_in.back().end(), e.tgt.begin(), e.tgt.end());
        tgt_out.push_back(e.tgt);
        tgt_out.back().push_back(v.eos);
        part_targets += static_cast<int64_t>(tgt_out.back().size());
      }
      const auto x = tinylm::lm::pad_batch(src, v.pad), y_in = tinylm::lm::pad_batch(tgt_in, v.pad),
                 y_out = tinylm::lm::pad_batch(tgt_out, -100);
      const double weight = static_cast<double>(part_targets) / static_cast<double>(targets);
      const auto loss = model.forward(x, y_in, y_out, {.label_smoothing = o.label_smoothing}).loss;
      (loss * weight).backward();
      step_loss += loss.item() * weight;
      tokens += x.numel() + y_in.numel();
    }
    tinylm::optim::clip_grad_norm(model.parameters(), 1.0);
    opt.step();
    loss_sum += step_loss;
    ++loss_n;
    if ((s + 1) % every == 0 || s + 1 == o.steps) {
      const double tps = static_cast<double>(tokens) / std::max(seconds_since(last), 1e-9);
      std::printf("step %5lld/%lld | loss %.4f | lr %.2e | %6.0f tok/s | %s\n", (long long)s + 1, (long long)o.steps,
                  loss_sum / static_cast<double>(loss_n), schedule(s), tps,
                  examples::format_duration(seconds_since(t_start)).c_str());
      char row[128];
      std::snprintf(row, sizeof row, "%lld,%.9g,%.9g,%.9g\n", (long long)s + 1, loss_sum / static_cast<double>(loss_n),
                    schedule(s), tps);
      csv += row;
      loss_sum = 0, loss_n = 0, tokens = 0, last = Clock::now();
    }
  }
  model.eval();

  // Save first: the measurement below only reads the model.
  tinylm::io::save_seq2seq(o.out + "/model.safetensors", model);
  tinylm::data::save_hf_json(v.bpe, o.out + "/tokenizer.json");
  tinylm::write_file_atomic(o.out + "/metrics.csv", {csv});

  // Held-out: greedy and beam search, BLEU / chrF / exact match.
  std::vector<std::vector<int32_t>> held_src;
  std::vector<std::string> refs;
  for (const auto& p : held_pairs) {
    auto ids = v.bpe.encode_ordinary(p.source);
    if (static_cast<int64_t>(ids.size()) > o.max_len) ids.resize(static_cast<std::size_t>(o.max_len));
    held_src.push_back(ids);
    refs.push_back(p.target);
  }
  const auto t_greedy = Clock::now();
  const auto greedy = translate_all(model, v, held_src, 1, o.length_penalty);
  const double greedy_s = seconds_since(t_greedy);
  const auto t_beam = Clock::now();
  const auto beam = translate_all(model, v, held_src, o.beam, o.length_penalty);
  const double beam_s = seconds_since(t_beam);
  for (std::size_t i = 0; i < std::min<std::size_t>(3, held_pairs.size()); ++i)
    std::printf("  %s\n  -> %s\n  (reference: %s)\n", held_pairs[i].source.c_str(), beam[i].c_str(), refs[i].c_str());
  const Scores g = score(greedy, refs), b = score(beam, refs);
  std::printf("\nheld-out translation (%zu sentences), sacreBLEU's BLEU (13a) and chrF2\n", refs.size());
  std::printf("  %-20s %8s %8s %12s %10s\n", "decoding", "BLEU", "chrF", "exact match", "seconds");
  std::printf("  %-20s %8.2f %8.2f %11.1f%% %10.2f\n", "greedy", g.bleu, g.chrf, g.exact, greedy_s);
  char name[32];
  std::snprintf(name, sizeof name, "beam search (%lld)", (long long)o.beam);
  std::printf("  %-20s %8.2f %8.2f %11.1f%% %10.2f\n", name, b.bleu, b.chrf, b.exact, beam_s);
  std::printf("total time %s; the model is in %s (translate --model %s < lines.txt)\n",
              examples::format_duration(seconds_since(t_start)).c_str(), o.out.c_str(), o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("translate", argc, argv, run); }
