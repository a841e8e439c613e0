// mlm_train: pre-train a BERT-style masked language model, and measure what
// seeing both sides buys: held-out masked-token accuracy next to a causal
// GPT of the same size that predicts the same tokens from the left only.
//
//   mlm_train                    the built-in synthetic corpus (data/synthetic.hpp)
//   mlm_train --data FILE        your own text
//
// Both models read windows of --block-size tokens of a byte-level BPE
// trained on the training text; the masked LM's windows are [CLS] ...
// [SEP], a tenth of the text is held out. The masked LM learns to fill in
// the tokens data::mask_tokens chooses (15%: 80% [MASK], 10% a random
// token, 10% kept); the GPT learns the next token. At evaluation the same
// 15% of the held-out tokens are chosen for both: the masked LM sees them
// as [MASK] with both sides around them, the GPT predicts each from the
// tokens before it. Writes --out/model.safetensors (the masked LM, its
// config in the metadata) and tokenizer.json.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

using tinylm::Tensor;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string data, out = "out/mlm";
  int64_t chars = 1'000'000, vocab_size = 512, block_size = 64;
  int64_t n_layer = 4, n_head = 4, n_embd = 128, steps = 2500, gpt_steps = 1000, batch_size = 32, eval_windows = 400;
  int64_t seed = 1337, threads = 0;
  double lr = 1e-3, mask_prob = 0.15;
};

void define_flags(examples::Flags& f, Options& o) {
  f.add("data", &o.data, "text to train on (UTF-8); none: the built-in synthetic corpus");
  f.add("chars", &o.chars, "characters of the built-in corpus");
  f.add("out", &o.out, "where to save the masked LM and its tokenizer");
  f.add("vocab-size", &o.vocab_size, "BPE vocabulary: 256 bytes, the merges, and [PAD] [CLS] [SEP] [MASK]");
  f.add("block-size", &o.block_size, "tokens per window, [CLS] and [SEP] included");
  f.add("n-layer", &o.n_layer, "transformer blocks (both models)");
  f.add("n-head", &o.n_head, "attention heads");
  f.add("n-embd", &o.n_embd, "model width C");
  f.add("steps", &o.steps, "training steps of the masked LM");
  f.add("gpt-steps", &o.gpt_steps,
        "training steps of the GPT (it learns from every position, not a seventh of them, and its loss is flat "
        "long before the masked LM's)");
  f.add("batch-size", &o.batch_size, "windows per step");
  f.add("lr", &o.lr, "peak learning rate (AdamW, warmup then cosine decay)");
  f.add("mask-prob", &o.mask_prob, "share of the tokens chosen for the masked-LM loss (and the evaluation)");
  f.add("eval-windows", &o.eval_windows, "held-out windows to measure on");
  f.add("seed", &o.seed, "seed for the data, the initial weights, the masks and the batches");
  f.add("threads", &o.threads, "CPU threads (0: all cores)");
}

void validate(const Options& o) {
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw examples::UsageError(msg);
  };
  need(o.chars >= 10000, "--chars must be at least 10000");
  need(o.vocab_size >= 260, "--vocab-size must be at least 260 (256 bytes and 4 special tokens)");
  need(o.block_size >= 4, "--block-size must be at least 4");
  need(o.n_layer > 0 && o.n_head > 0 && o.n_embd > 0 && o.n_embd % o.n_head == 0,
       "--n-embd must be a positive multiple of --n-head, and --n-layer positive");
  need(o.steps >= 0 && o.gpt_steps >= 0 && o.batch_size > 0 && o.eval_windows > 0,
       "--steps and --gpt-steps must be >= 0, --batch-size and --eval-windows positive");
  need(o.lr > 0, "--lr must be positive");
  need(o.mask_prob > 0 && o.mask_prob < 1, "--mask-prob must be in (0, 1)");
  need(o.threads >= 0, "--threads must be >= 0");
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string read_text(const std::string& path) {
  TINYLM_CHECK(std::filesystem::is_regular_file(path), "--data '", path, "': not a readable file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  TINYLM_CHECK(in.good() || in.eof(), "--data '", path, "': cannot be read");
  return ss.str();
}

/// Trains with AdamW: a short warmup, the full rate, and a cosine decay over
/// the last fifth (a masked LM first sits on a plateau, predicting each token
/// by its frequency alone, for a thousand steps or more at this size; a rate
/// that decays from the start keeps it there). loss(step) gives the step's loss.
template <class Loss>
void train(tinylm::nn::Module<float>& model, const char* name, int64_t steps, const Options& o, Loss&& loss_of) {
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), o.lr, 0.01),
                                  tinylm::optim::AdamWOptions{o.lr, 0.9, 0.98, 1e-9, 0.01});
  const int64_t warmup = std::min<int64_t>(100, steps);
  const auto schedule =
      tinylm::optim::LRSchedule::warmup_stable_decay(o.lr, o.lr / 10, warmup, (steps - warmup) / 5, steps);
  model.train();
  const auto t0 = Clock::now();
  double sum = 0;
  int64_t n = 0;
  const int64_t every = std::max<int64_t>(1, steps / 5);
  for (int64_t s = 0; s < steps; ++s) {
    opt.set_lr(schedule(s));
    opt.zero_grad();
    const Tensor<float> loss = loss_of(s);
    loss.backward();
    tinylm::optim::clip_grad_norm(model.parameters(), 1.0);
    opt.step();
    sum += loss.item();
    ++n;
    if ((s + 1) % every == 0 || s + 1 == steps) {
      std::printf("  %s step %5lld/%lld | loss %.4f | %s\n", name, (long long)s + 1, (long long)steps,
                  sum / static_cast<double>(n), examples::format_duration(seconds_since(t0)).c_str());
      sum = 0, n = 0;
    }
  }
  model.eval();
}

struct Accuracy {
  int64_t right = 0, total = 0;
  double pct() const { return total ? 100.0 * static_cast<double>(right) / static_cast<double>(total) : 0.0; }
};

int run(int argc, char** argv) {
  Options o;
  examples::Flags flags("mlm_train", "Pre-trains a masked LM and measures it against a causal GPT of the same size.");
  define_flags(flags, o);
  if (!flags.parse(argc, argv)) return 0;
  validate(o);
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto t_start = Clock::now();
  const auto seed = static_cast<uint64_t>(o.seed);
  const std::string text = o.data.empty() ? tinylm::data::generate_synthetic(o.chars, seed).text : read_text(o.data);
  std::filesystem::create_directories(o.out);  // before training: an unwritable --out fails now

  // The tokenizer, and the token stream split 90 / 10.
  tinylm::data::BPETrainOptions bo;
  bo.vocab_size = o.vocab_size;
  bo.special_tokens = {"[PAD]", "[CLS]", "[SEP]", "[MASK]"};
  const std::size_t cut = text.size() * 9 / 10;
  const auto bpe = tinylm::data::train_bpe({std::string_view(text).substr(0, cut)}, bo);
  const int32_t pad = bpe.special_id("[PAD]"), cls = bpe.special_id("[CLS]"), sep = bpe.special_id("[SEP]"),
                mask = bpe.special_id("[MASK]");
  const auto train_ids = bpe.encode_ordinary(std::string_view(text).substr(0, cut));
  const auto held_ids = bpe.encode_ordinary(std::string_view(text).substr(cut));
  const int64_t T = o.block_size, W = T - 2;  // a window's own tokens, between [CLS] and [SEP]
  TINYLM_CHECK(static_cast<int64_t>(held_ids.size()) > W + 1 && static_cast<int64_t>(train_ids.size()) > W + 1,
               "the text is too short: its held-out tenth has ", held_ids.size(), " tokens, a window needs ", W + 2);
  const int64_t V = bpe.vocab_size();
  std::printf("data: %s, %zu characters; BPE of %lld tokens: %zu training tokens, %zu held out\n",
              o.data.empty() ? "the built-in synthetic corpus" : o.data.c_str(), text.size(), (long long)V,
              train_ids.size(), held_ids.size());

  // Window w of a stream: W + 1 tokens from a position; the masked LM reads the first W.
  auto window = [&](const std::vector<int32_t>& ids, uint64_t at) {
    return std::vector<int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                ids.begin() + static_cast<std::ptrdiff_t>(at) + W + 1);
  };
  auto with_specials = [&](const std::vector<std::vector<int32_t>>& windows) {  // (B, T): [CLS] w0..w(W-1) [SEP]
    auto x = Tensor<int32_t>::full({static_cast<int64_t>(windows.size()), T}, pad);
    for (std::size_t b = 0; b < windows.size(); ++b) {
      int32_t* row = x.data() + static_cast<int64_t>(b) * T;
      row[0] = cls;
      std::copy(windows[b].begin(), windows[b].begin() + W, row + 1);
      row[T - 1] = sep;
    }
    return x;
  };
  const tinylm::data::MaskingOptions masking{
      .vocab_size = V, .mask_id = mask, .special_ids = {pad, cls, sep}, .mask_prob = o.mask_prob};

  const tinylm::nn::BertConfig bert_cfg{
      .vocab_size = V, .max_position = T, .n_embd = o.n_embd, .n_head = o.n_head, .n_layer = o.n_layer, .pad_id = pad};
  tinylm::nn::BertLM<float> bert(bert_cfg, seed);
  tinylm::nn::GPT<float> gpt({V, T, o.n_layer, o.n_head, o.n_embd, 0.0}, seed);
  std::printf(
      "models: %lld blocks, %lld wide, %lld heads, windows of %lld tokens: masked LM %.2fM parameters, "
      "GPT %.2fM\n",
      (long long)o.n_layer, (long long)o.n_embd, (long long)o.n_head, (long long)T, double(bert.num_parameters()) / 1e6,
      double(gpt.num_parameters()) / 1e6);

  const uint64_t starts = train_ids.size() - static_cast<std::size_t>(W) - 1;
  {
    std::printf("masked LM:\n");
    tinylm::Generator gen(seed * 31 + 1), mask_gen(seed * 31 + 2);
    train(bert, "mlm", o.steps, o, [&](int64_t) {
      std::vector<std::vector<int32_t>> windows;
      for (int64_t b = 0; b < o.batch_size; ++b) windows.push_back(window(train_ids, gen.below(starts)));
      const auto m = tinylm::data::mask_tokens(with_specials(windows), masking, mask_gen);
      return bert.forward(m.inputs, {}, m.labels).loss;
    });
  }
  {
    std::printf("causal GPT:\n");
    tinylm::Generator gen(seed * 31 + 1);  // the same windows
    train(gpt, "gpt", o.gpt_steps, o, [&](int64_t) {
      std::vector<int32_t> x, y;
      for (int64_t b = 0; b < o.batch_size; ++b) {
        const auto w = window(train_ids, gen.below(starts));
        x.push_back(cls);  // [CLS] w0 .. w(W-1) [SEP] as the masked LM reads them; targets shifted by one
        x.insert(x.end(), w.begin(), w.begin() + W);
        x.push_back(sep);
        y.insert(y.end(), w.begin(), w.begin() + W);
        y.push_back(sep);
        y.push_back(-100);
      }
      const auto xt = Tensor<int32_t>::from_vector(x, {o.batch_size, T}),
                 yt = Tensor<int32_t>::from_vector(y, {o.batch_size, T});
      return gpt.forward(xt, yt).loss;
    });
  }
  tinylm::io::save_bert(o.out + "/model.safetensors", bert);
  tinylm::data::save_hf_json(bpe, o.out + "/tokenizer.json");

  // Held-out windows; the same chosen positions for both models, all shown as [MASK] to the masked LM.
  tinylm::NoGradGuard no_grad;
  tinylm::Generator eval_gen(seed * 31 + 3), eval_mask(seed * 31 + 4);
  const uint64_t held_starts = held_ids.size() - static_cast<std::size_t>(W) - 1;
  auto eval_masking = masking;
  eval_masking.mask_replace = 1.0;
  eval_masking.random_replace = 0.0;
  Accuracy mlm_acc, gpt_acc;
  for (int64_t done = 0; done < o.eval_windows; done += 50) {
    std::vector<std::vector<int32_t>> windows;
    for (int64_t b = 0; b < std::min<int64_t>(50, o.eval_windows - done); ++b)
      windows.push_back(window(held_ids, eval_gen.below(held_starts)));
    const auto x = with_specials(windows);
    const auto m = tinylm::data::mask_tokens(x, eval_masking, eval_mask);
    const auto mlm_logits = bert.forward(m.inputs).mlm_logits;  // (B, T, V)
    const auto gpt_logits = gpt.forward(x);                     // (B, T, V): position t predicts t + 1
    for (int64_t b = 0; b < x.size(0); ++b)
      for (int64_t t = 1; t < T - 1; ++t) {
        const int32_t label = m.labels.at({b, t});
        if (label < 0) continue;
        auto best = [&](const Tensor<float>& logits, int64_t pos) {
          const float* row = logits.data() + (b * T + pos) * V;
          return static_cast<int32_t>(std::max_element(row, row + V) - row);
        };
        mlm_acc.right += best(mlm_logits, t) == label;
        gpt_acc.right += best(gpt_logits, t - 1) == label;
        ++mlm_acc.total;
        ++gpt_acc.total;
      }
  }
  std::printf("\nheld-out masked tokens (%lld of them, in %lld windows): accuracy of predicting the token\n",
              (long long)mlm_acc.total, (long long)o.eval_windows);
  std::printf("  %-44s %6.2f%%   (%lld steps)\n", "masked LM (both sides, the token as [MASK])", mlm_acc.pct(),
              (long long)o.steps);
  std::printf("  %-44s %6.2f%%   (%lld steps)\n", "causal GPT (the tokens before it only)", gpt_acc.pct(),
              (long long)o.gpt_steps);
  std::printf("total time %s; the masked LM is in %s\n", examples::format_duration(seconds_since(t_start)).c_str(),
              o.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("mlm_train", argc, argv, run); }
