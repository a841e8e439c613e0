// gpt_train: train a small GPT on text, watch it learn, and sample from it.
//
//   gpt_train                        the built-in synthetic corpus, a few minutes on 2 cores
//   gpt_train --data input.txt       any text file, one token per character
//   gpt_train --data shard.bin --vocab-size 50257    an llm.c token shard
//
// Writes metrics.csv, loss.svg and the checkpoint (model.safetensors plus
// model.train.safetensors for --resume) into --out. Run with --help for
// every flag.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

using tinylm::Tensor;
using tinylm::data::CharTokenizer;
using tinylm::data::TokenDataset;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string data, val_data, init, resume, save, out = "out", optimizer = "adamw", prompt, tokenizer = "char";
  std::string device = "cpu", precision = "fp32";
  int64_t vocab_size = 0, n_layer = 4, n_head = 4, n_embd = 128, block_size = 128;
  int64_t batch_size = 16, grad_accum = 1, steps = 1200, warmup = 100, seed = 1337, threads = 0;
  int64_t eval_every = 200, eval_iters = 20, sample_tokens = 400, top_k = 0, synthetic_chars = 1000000;
  int64_t stop_at = 0, save_every = 0, grad_norms = 0;
  bool attention_map = false, detect_anomaly = false, shard_optimizer = false, no_overlap = false;
  double bucket_mb = 25.0;
  double dropout = 0.0, lr = 2e-3, min_lr = 2e-4, weight_decay = 0.1, grad_clip = 1.0, momentum = 0.9;
  double temperature = 0.8, top_p = 1.0;
};

void define_flags(examples::Flags& f, Options& o) {
  f.add("data", &o.data,
        "training text file (one token per character), or an llm.c .bin token shard; none: the built-in synthetic "
        "corpus");
  f.add("val-data", &o.val_data, "validation file of the same kind; none: the last 10% of --data");
  f.add("vocab-size", &o.vocab_size, "vocabulary size of a .bin shard's tokens");
  f.add("tokenizer", &o.tokenizer,
        "text data's tokens: char (one per character), bpe:N (a byte-level BPE of N tokens trained on --data first), "
        "or a tokenizer file (tokenizer.json, .tiktoken, a directory of GPT-2's files, gpt2); a BPE is saved as "
        "tokenizer.json beside the checkpoint. With a .bin shard, a tokenizer file decodes the samples");
  f.add("synthetic-chars", &o.synthetic_chars, "characters of synthetic corpus to generate");
  f.add("n-layer", &o.n_layer, "transformer blocks");
  f.add("n-head", &o.n_head, "attention heads per block");
  f.add("n-embd", &o.n_embd, "embedding width C");
  f.add("block-size", &o.block_size, "context length T");
  f.add("dropout", &o.dropout, "dropout probability");
  f.add("batch-size", &o.batch_size, "sequences per micro-batch B");
  f.add("grad-accum", &o.grad_accum, "micro-batches per optimizer step");
  f.add("steps", &o.steps, "optimizer steps in total (with --resume: including the ones already done)");
  f.add("stop-at", &o.stop_at,
        "end this run after this step, as if interrupted; --resume continues it (0: run to --steps)");
  f.add("save-every", &o.save_every, "also save the checkpoint every this many steps (0: only at the end)");
  f.add("lr", &o.lr, "peak learning rate");
  f.add("min-lr", &o.min_lr, "learning rate at the end of the cosine decay");
  f.add("warmup", &o.warmup, "steps of linear warmup");
  f.add("weight-decay", &o.weight_decay, "decoupled weight decay (matrices only)");
  f.add("grad-clip", &o.grad_clip, "clip the global gradient norm to this (0: off)");
  f.add("optimizer", &o.optimizer, "adamw or sgd");
  f.add("momentum", &o.momentum, "SGD momentum");
  f.add("seed", &o.seed, "seed for initialization, batches, dropout and sampling");
  f.add("threads", &o.threads, "CPU threads (0: all cores)");
  f.add("device", &o.device,
        "where to train, evaluate and sample: cpu, cuda or cuda:N (a build with -DTINYLM_CUDA=ON and an NVIDIA "
        "GPU); checkpoints are the same files on either");
  f.add("precision", &o.precision,
        "what the float32 matrix products may compute in: fp32; bf16 (inputs rounded to bfloat16, sums in fp32) on a "
        "CPU with AMX or AVX-512 BF16 or a GPU; tf32 on a GPU. Weights, optimizer state and the loss stay fp32");
  f.add("eval-every", &o.eval_every, "steps between validation evaluations");
  f.add("eval-iters", &o.eval_iters, "batches per validation evaluation");
  f.add("sample-tokens", &o.sample_tokens, "tokens to sample after training (0: no sample)");
  f.add("temperature", &o.temperature, "sampling temperature (0: greedy)");
  f.add("top-k", &o.top_k, "sample from the k most likely tokens (0: all)");
  f.add("top-p", &o.top_p, "sample from the smallest set of tokens with this much probability (1: all)");
  f.add("prompt", &o.prompt, "text the sample continues; none: a newline (or the first validation token)");
  f.add("grad-norms", &o.grad_norms, "print every parameter's gradient norm every this many steps (0: never)");
  f.add("shard-optimizer", &o.shard_optimizer,
        "under mpirun: split AdamW's moments across the ranks (reduce-scatter, update a shard, all-gather)");
  f.add("bucket-mb", &o.bucket_mb, "under mpirun: MiB of gradients per all-reduce bucket");
  f.add("no-overlap", &o.no_overlap,
        "under mpirun: all-reduce the buckets after backward instead of during it (to measure the overlap)");
  f.add("detect-anomaly", &o.detect_anomaly,
        "check every op's output and gradient for NaN and infinity and stop at the first, naming the op and its "
        "shapes (slow: to find where a diverging run breaks)");
  f.add("attention-map", &o.attention_map,
        "after training, draw every head's attention weights for the prompt into OUT/attention.svg");
  f.add("init", &o.init,
        "start from the weights in this checkpoint: a tinylm model file, a Hugging Face GPT-2 directory "
        "(config.json + model.safetensors), or a safetensors file with GPT-2's names (its shape from a config.json "
        "beside it, else from the model flags)");
  f.add("resume", &o.resume, "continue the run saved in this checkpoint");
  f.add("save", &o.save, "checkpoint path; none: OUT/model.safetensors");
  f.add("out", &o.out, "directory for metrics.csv, loss.svg and the checkpoint");
}

void validate(const Options& o) {
  using examples::UsageError;
  auto need = [](bool ok, const std::string& msg) {
    if (!ok) throw UsageError(msg);
  };
  need(o.steps >= 1, "--steps must be at least 1, got " + std::to_string(o.steps));
  need(o.batch_size >= 1, "--batch-size must be at least 1, got " + std::to_string(o.batch_size));
  need(o.grad_accum >= 1, "--grad-accum must be at least 1, got " + std::to_string(o.grad_accum));
  need(o.lr > 0, "--lr must be positive");
  need(o.min_lr >= 0 && o.min_lr <= o.lr, "--min-lr must be in [0, --lr]");
  need(o.warmup >= 0, "--warmup must be >= 0");
  need(o.weight_decay >= 0, "--weight-decay must be >= 0");
  need(o.grad_clip >= 0, "--grad-clip must be >= 0");
  need(o.optimizer == "adamw" || o.optimizer == "sgd", "--optimizer must be adamw or sgd, got '" + o.optimizer + "'");
  need(o.momentum >= 0 && o.momentum < 1, "--momentum must be in [0, 1)");
  try {
    (void)tinylm::Device::parse(o.device);
  } catch (const tinylm::Error&) {
    need(false, "--device must be cpu, cuda or cuda:N, got '" + o.device + "'");
  }
  tinylm::MatmulPrecision precision = tinylm::MatmulPrecision::fp32;
  try {
    precision = tinylm::parse_matmul_precision(o.precision);
  } catch (const tinylm::Error&) {
    need(false, "--precision must be fp32, tf32 or bf16, got '" + o.precision + "'");
  }
  need(precision != tinylm::MatmulPrecision::tf32 || o.device != "cpu",
       "--precision tf32 needs --device cuda: a CPU has no TF32");
  need(precision != tinylm::MatmulPrecision::bf16 || o.device != "cpu" ||
           tinylm::matmul_precision_supported(tinylm::Device::cpu(), precision),
       "--precision bf16 on the CPU needs AMX or AVX-512 BF16, which this CPU lacks (it has: " +
           tinylm::cpu_features().str() + ")");
  need(o.threads >= 0 && o.threads <= 4096, "--threads must be in [0, 4096], got " + std::to_string(o.threads));
  // Sizes that a model or a batch is built from: in range, and their products too.
  auto at_most = [&](const char* flag, int64_t v, int64_t cap) {
    need(v <= cap, std::string("--") + flag + " must be at most " + std::to_string(cap) + ", got " + std::to_string(v));
  };
  at_most("batch-size", o.batch_size, int64_t{1} << 20);
  at_most("grad-accum", o.grad_accum, int64_t{1} << 20);
  at_most("block-size", o.block_size, int64_t{1} << 20);
  at_most("n-layer", o.n_layer, 4096);
  at_most("n-embd", o.n_embd, int64_t{1} << 20);
  at_most("vocab-size", o.vocab_size, int64_t{1} << 31);
  at_most("synthetic-chars", o.synthetic_chars, int64_t{1} << 34);
  need(o.block_size >= 1, "--block-size must be at least 1, got " + std::to_string(o.block_size));
  need(o.eval_every >= 1, "--eval-every must be at least 1");
  need(o.stop_at >= 0 && o.stop_at <= o.steps, "--stop-at must be in [0, --steps]");
  need(o.save_every >= 0, "--save-every must be >= 0");
  need(o.grad_norms >= 0, "--grad-norms must be >= 0");
  need(o.bucket_mb > 0 && o.bucket_mb <= 4096, "--bucket-mb must be in (0, 4096]");
  need(!o.shard_optimizer || o.optimizer == "adamw",
       "--shard-optimizer shards AdamW's moments; it needs --optimizer adamw");
  need(!o.shard_optimizer || o.grad_norms == 0,
       "--grad-norms prints the averaged gradients, which --shard-optimizer never assembles");
  need(o.eval_iters >= 1, "--eval-iters must be at least 1");
  need(o.sample_tokens >= 0, "--sample-tokens must be >= 0");
  need(o.synthetic_chars >= 1000, "--synthetic-chars must be at least 1000");
  need(o.init.empty() || o.resume.empty(), "--init and --resume cannot be used together");
  need(o.val_data.empty() || !o.data.empty(), "--val-data needs --data");
  need(o.tokenizer == "char" || !o.tokenizer.starts_with("bpe") || o.tokenizer.starts_with("bpe:"),
       "--tokenizer must be char, bpe:N or a tokenizer file, got '" + o.tokenizer + "'");
  tinylm::lm::SamplingOptions{o.temperature, o.top_k, o.top_p}.validate();
}

bool is_shard(const std::string& path) { return path.size() > 4 && path.ends_with(".bin"); }

/// The tokenizer of text data: characters, or a byte-level BPE.
struct TextTokenizer {
  std::optional<CharTokenizer> chars;
  std::optional<tinylm::data::BPETokenizer> bpe;

  std::vector<int32_t> encode(std::string_view text, bool skip_unknown = false) const {
    if (chars) return chars->encode(text, skip_unknown ? CharTokenizer::Unknown::Skip : CharTokenizer::Unknown::Error);
    return bpe->encode_ordinary(text);
  }
  std::string decode(const std::vector<int32_t>& ids) const { return chars ? chars->decode(ids) : bpe->decode(ids); }
  int64_t vocab_size() const { return chars ? chars->vocab_size() : bpe->vocab_size(); }
};

/// Training and validation tokens, the tokenizer (text data), and the entropy floor (synthetic data).
struct Data {
  TokenDataset train, val;
  std::optional<TextTokenizer> tokenizer;
  std::optional<double> floor;
  int64_t vocab_size = 0;
  std::string description;
};

/// A .bin token shard, mapped (a shard larger than memory trains), every token checked against --vocab-size.
TokenDataset shard_tokens(const std::string& path, int64_t vocab) {
  try {
    return TokenDataset::map_shard(path, vocab);
  } catch (const tinylm::Error& e) {
    const std::string what = e.what();
    const auto at = what.find(" is not below the vocabulary size ");
    if (at == std::string::npos) throw;
    throw tinylm::Error(what.substr(0, at) + " is not below --vocab-size " + std::to_string(vocab));
  }
}

/// At most this much of a text corpus trains --tokenizer bpe:N (its first pieces).
constexpr std::size_t kBpeTrainingBytes = std::size_t{256} << 20;

/// The tokenizer --tokenizer names, for the text files `texts`: char takes every character they hold
/// (read a piece at a time), bpe:N trains on the first kBpeTrainingBytes of the first; none: `text`.
TextTokenizer make_tokenizer(const Options& o, const std::vector<std::string>& texts, const std::string& text = "") {
  TextTokenizer t;
  if (o.tokenizer == "char") {
    t.chars = texts.empty() ? CharTokenizer::from_text(text) : CharTokenizer::from_text_files(texts);
  } else if (o.tokenizer.starts_with("bpe:")) {
    char* end = nullptr;
    const long long n = std::strtoll(o.tokenizer.c_str() + 4, &end, 10);
    if (*end != '\0' || n < 257)
      throw examples::UsageError("--tokenizer bpe:N needs N >= 257 (256 bytes and <|endoftext|>), got '" + o.tokenizer +
                                 "'");
    tinylm::data::BPETrainOptions opt;
    opt.vocab_size = n;
    opt.special_tokens = {"<|endoftext|>"};
    opt.progress = [](const std::string& line) { std::printf("%s\n", line.c_str()); };
    t.bpe = tinylm::data::train_bpe(
        {texts.empty() ? text : tinylm::data::read_text_prefix(texts[0], kBpeTrainingBytes)}, opt);
  } else {
    t.bpe = tinylm::data::load_bpe(o.tokenizer == "gpt2" ? std::string(TINYLM_GPT2_DIR) : o.tokenizer);
  }
  return t;
}

Data load_data(const Options& o) {
  Data d;
  if (o.vocab_size != 0 && !is_shard(o.data))
    throw examples::UsageError("--vocab-size is for a .bin token shard; text's vocabulary comes from --tokenizer");
  if (o.data.empty()) {
    const auto corpus = tinylm::data::generate_synthetic(o.synthetic_chars, 1);
    const std::size_t cut = corpus.text.size() * 9 / 10;
    d.tokenizer = make_tokenizer(o, {}, corpus.text);
    d.train = TokenDataset(d.tokenizer->encode(corpus.text.substr(0, cut)), "synthetic corpus (train split)");
    d.val = TokenDataset(d.tokenizer->encode(corpus.text.substr(cut)), "synthetic corpus (validation split)");
    if (d.tokenizer->chars) d.floor = corpus.entropy(cut, corpus.text.size());  // nats per character
    d.description = "built-in synthetic corpus, " + std::to_string(corpus.text.size()) + " characters";
  } else if (is_shard(o.data)) {
    if (o.vocab_size <= 0) throw examples::UsageError("--data " + o.data + " is a token shard: give --vocab-size");
    const TokenDataset all = shard_tokens(o.data, o.vocab_size);
    if (o.val_data.empty()) std::tie(d.train, d.val) = all.split(0.1);
    else d.train = all, d.val = shard_tokens(o.val_data, o.vocab_size);
    d.vocab_size = o.vocab_size;
    d.description = o.data + ", " + std::to_string(all.size()) + " tokens";
    if (o.tokenizer != "char") {  // decodes the samples
      if (o.tokenizer.starts_with("bpe:"))
        throw examples::UsageError("--tokenizer bpe:N trains on text; a .bin shard is tokens already");
      d.tokenizer = make_tokenizer(o, {});
      TINYLM_CHECK(d.tokenizer->vocab_size() <= o.vocab_size, "--tokenizer has ", d.tokenizer->vocab_size(),
                   " tokens, more than --vocab-size ", o.vocab_size);
      return d;
    }
  } else {
    // Text is read and tokenized a piece at a time into a token shard that lives only while the run
    // does (in --out), and mapped: a corpus larger than memory streams.
    std::vector<std::string> files{o.data};
    if (!o.val_data.empty()) files.push_back(o.val_data);
    d.tokenizer = make_tokenizer(o, files);
    const TextTokenizer& tok = *d.tokenizer;
    const auto encode = [&tok](std::string_view piece) { return tok.encode(piece); };
    examples::ensure_writable_dir(o.out, "--out");
    const TokenDataset all = TokenDataset::tokenize_file(o.data, tok.vocab_size(), encode, o.out);
    if (o.val_data.empty()) std::tie(d.train, d.val) = all.split(0.1);
    else d.train = all, d.val = TokenDataset::tokenize_file(o.val_data, tok.vocab_size(), encode, o.out);
    d.description = o.data + ", " + std::to_string(std::filesystem::file_size(o.data)) + " bytes, " +
                    std::to_string(all.size()) + " tokens of " + std::to_string(tok.vocab_size());
  }
  if (d.tokenizer) d.vocab_size = d.tokenizer->vocab_size();
  return d;
}

/// The BPE a checkpoint was trained with, as a path load_bpe reads, or "":
/// the tokenizer.json beside a tinylm checkpoint that says it used a BPE, or
/// the tokenizer files of a Hugging Face model's directory.
std::string checkpoint_tokenizer(const tinylm::io::SafetensorsFile& ckpt) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(ckpt.path()).parent_path();
  const auto& meta = ckpt.metadata();
  if (meta.count("tinylm.config")) {
    const auto kind = meta.find(tinylm::io::kTokenizerKindKey);
    if (kind == meta.end() || kind->second != "bpe") return "";
    const fs::path path = dir / "tokenizer.json";
    TINYLM_CHECK(fs::exists(path), "checkpoint '", ckpt.path(), "' was trained with a BPE, but its tokenizer ",
                 path.string(), " is missing");
    return path.string();
  }
  const bool hf_dir = fs::exists(dir / "config.json") && tinylm::data::has_bpe_files(dir);
  return hf_dir ? (dir.empty() ? "." : dir.string()) : "";
}

tinylm::nn::GPTConfig model_config(const Options& o, const examples::Flags& f, const Data& d,
                                   const tinylm::io::SafetensorsFile* ckpt) {
  tinylm::nn::GPTConfig c{d.vocab_size, o.block_size, o.n_layer, o.n_head, o.n_embd, o.dropout};
  if (!ckpt) {
    c.validate();
    return c;
  }
  tinylm::nn::GPTConfig saved;
  const auto& meta = ckpt->metadata();
  const std::string beside = (std::filesystem::path(ckpt->path()).parent_path() / "config.json").string();
  if (meta.count("tinylm.config") || o.init.empty()) {
    saved = tinylm::io::read_gpt_config(*ckpt);
  } else if (std::filesystem::exists(beside)) {  // Hugging Face's layout
    saved =
        tinylm::io::gpt_config_from_hf(tinylm::io::Json::parse(tinylm::data::read_text_file(beside), beside), beside);
    tinylm::io::check_config_fits(*ckpt, saved);
  } else {  // bare GPT-2 names: the shape is the flags'; loading checks every tensor against it
    c.validate();
    return c;
  }
  auto agree = [&](const char* flag, int64_t given, int64_t have) {
    TINYLM_CHECK(!f.given(flag) || given == have, "checkpoint '", ckpt->path(), "' holds a model with ", flag, " ",
                 have, ", but --", flag, " is ", given);
  };
  agree("n-layer", o.n_layer, saved.n_layer);
  agree("n-head", o.n_head, saved.n_head);
  agree("n-embd", o.n_embd, saved.n_embd);
  agree("block-size", o.block_size, saved.block_size);
  TINYLM_CHECK(saved.vocab_size == d.vocab_size, "checkpoint '", ckpt->path(), "' holds a model with vocab_size ",
               saved.vocab_size, ", but the data has ", d.vocab_size, " tokens");
  if (f.given("dropout")) saved.dropout = o.dropout;
  return saved;
}

/// The mean validation loss over --eval-iters batches, the same batches at every evaluation; under
/// mpirun each batch is split across the ranks as training batches are, and their sums added up.
double evaluate(tinylm::nn::GPT<float>& model, const TokenDataset& data, const Options& o, int64_t T,
                tinylm::dist::Communicator& world) {
  tinylm::NoGradGuard no_grad;
  model.eval();
  tinylm::Generator gen(static_cast<uint64_t>(o.seed) + 1000);
  double total = 0;
  for (int64_t i = 0; i < o.eval_iters; ++i) {
    const auto b = data.sample(o.batch_size, T, gen, world.rank(), world.size());
    total += model.forward(b.x, b.y).loss.item();
  }
  model.train();
  return world.sum(total) / static_cast<double>(o.eval_iters * world.size());
}

/// The gradient-flow table: every parameter's gradient norm, before clipping.
void print_grad_norms(const tinylm::nn::GPT<float>& model, int64_t step) {
  const auto norms = tinylm::optim::grad_norms(model.named_parameters());
  double total = 0;
  for (const auto& [name, n] : norms) total += n * n;
  std::printf("\ngradient norms at step %lld (global %.4g):\n", (long long)step, std::sqrt(total));
  for (const auto& [name, n] : norms) std::printf("  %-40s %10.4g\n", name.c_str(), n);
}

/// Writes every head's attention weights for `prompt` as a grid of heatmaps.
void write_attention_map(tinylm::nn::GPT<float>& model, const std::vector<int32_t>& prompt, const TextTokenizer& tok,
                         const std::string& path) {
  const auto T = static_cast<int64_t>(prompt.size());
  tinylm::Tensor<int32_t> idx = tinylm::Tensor<int32_t>::from_vector(prompt, {1, T});
  const auto maps = model.attention_maps(idx);  // per layer (1, NH, T, T)
  std::vector<std::string> labels;
  for (int32_t t : prompt) labels.push_back(tok.decode(std::vector<int32_t>{t}));
  std::vector<tinylm::io::Heatmap> cells;
  for (std::size_t l = 0; l < maps.size(); ++l)
    for (int64_t hd = 0; hd < maps[l].size(1); ++hd) {
      const auto head = maps[l].select(0, 0).select(0, hd).contiguous();
      const auto v = head.to_vector();
      cells.push_back({"layer " + std::to_string(l) + ", head " + std::to_string(hd), T, T, {v.begin(), v.end()}});
    }
  tinylm::io::write_heatmap_grid_svg(path, "attention weights (row: query position, column: key position)", labels,
                                     labels, cells, static_cast<int>(maps[0].size(1)));
}

struct MetricsRow {
  int64_t step;
  double train_loss, val_loss, lr, tokens_per_s, ms_per_step;
};

void write_outputs(const std::string& dir, const std::vector<MetricsRow>& rows, std::optional<double> floor) {
  std::string csv = "step,train_loss,val_loss,lr,tokens_per_s,ms_per_step\n";
  tinylm::io::Series train{"train loss", {}, {}, "#1f77b4"}, val{"validation loss", {}, {}, "#d62728"};
  for (const auto& r : rows) {
    char v[32] = "", line[256];
    if (!std::isnan(r.val_loss)) {
      std::snprintf(v, sizeof v, "%.9g", r.val_loss);
      val.x.push_back(double(r.step));
      val.y.push_back(r.val_loss);
    }
    std::snprintf(line, sizeof line, "%lld,%.9g,%s,%.9g,%.9g,%.9g\n", static_cast<long long>(r.step), r.train_loss, v,
                  r.lr, r.tokens_per_s, r.ms_per_step);
    csv += line;
    train.x.push_back(double(r.step));
    train.y.push_back(r.train_loss);
  }
  tinylm::write_file_atomic(dir + "/metrics.csv", {csv});
  std::vector<tinylm::io::HLine> lines;
  if (floor) lines.push_back({"entropy floor", *floor, "#2ca02c"});
  tinylm::io::write_line_chart_svg(dir + "/loss.svg", "gpt_train: loss", "step", "cross-entropy (nats/token)",
                                   {train, val}, lines);
}

/// The rows of an earlier metrics.csv up to `step` (a resumed run continues its chart).
std::vector<MetricsRow> read_metrics(const std::string& path, int64_t step) {
  std::vector<MetricsRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    MetricsRow r{};
    // step,train_loss,val_loss,lr,tokens_per_s,ms_per_step (val_loss may be empty)
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    if (f.size() != 5 && f.size() != 6) continue;
    const std::string where = path + ":" + std::to_string(rows.size() + 2);
    const int64_t st = tinylm::parse_int(f[0], where + ": step");
    if (st > step) break;
    const bool has_val = f.size() == 6;
    auto number = [&](std::size_t i) {
      return tinylm::parse_number(f[i], where + ": column " + std::to_string(i + 1));
    };
    r.step = st;
    r.train_loss = number(1);
    r.val_loss = has_val ? number(2) : NAN;
    r.lr = number(has_val ? 3 : 2);
    r.tokens_per_s = number(has_val ? 4 : 3);
    r.ms_per_step = number(has_val ? 5 : 4);
    rows.push_back(r);
  }
  return rows;
}

/// The stop signal received (SIGINT or SIGTERM), 0 if none.
std::atomic<int> g_signal{0};

void on_stop_signal(int sig) {
  g_signal.store(sig);
  std::signal(sig, SIG_DFL);  // a second one stops at once
}

/// The communicator of this process's ranks: MPI's world under mpirun (in a TINYLM_MPI build), else a
/// world of one.
tinylm::dist::Communicator* g_world = nullptr;

/// A generator state as 6 numbers, so the ranks can gather theirs.
std::array<int64_t, 6> pack_state(const tinylm::Generator::State& s) {
  std::array<int64_t, 6> out{};
  for (int i = 0; i < 4; ++i) out[i] = static_cast<int64_t>(s.s[i]);
  std::memcpy(&out[4], &s.cached_normal, sizeof(double));
  out[5] = s.has_cached_normal ? 1 : 0;
  return out;
}
tinylm::Generator::State unpack_state(const int64_t* p) {
  tinylm::Generator::State s;
  for (int i = 0; i < 4; ++i) s.s[i] = static_cast<uint64_t>(p[i]);
  std::memcpy(&s.cached_normal, &p[4], sizeof(double));
  s.has_cached_normal = p[5] != 0;
  return s;
}

int run(int argc, char** argv) {
  // A file-size limit (ulimit -f) makes a write fail with EFBIG, which the save reports, instead
  // of killing the process with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);
  Options o;
  examples::Flags flags("gpt_train", "Trains a GPT on text and samples from it.");
  define_flags(flags, o);
  if (!flags.parse(argc, argv)) return 0;
  validate(o);
  if (o.threads > 0) tinylm::set_num_threads(static_cast<int>(o.threads));
  tinylm::set_matmul_precision(tinylm::parse_matmul_precision(o.precision));
  tinylm::dist::SingleProcess single;
  tinylm::dist::Communicator& world = g_world ? *g_world : single;
  const int rank = world.rank(), ranks = world.size();
  // Asked for a GPU this build or machine lacks: one message, before any work.
  const tinylm::Device device = tinylm::Device::parse(o.device);
  tinylm::cuda::check_device(device, "--device");
  TINYLM_CHECK(device.is_cpu() || ranks == 1, "--device ", device,
               " under mpirun: data parallelism runs on the CPU (one process per GPU is not built yet)");
  if (rank != 0) (void)std::freopen("/dev/null", "w", stdout);  // rank 0 reports; errors still reach stderr

  std::optional<tinylm::io::SafetensorsFile> ckpt;
  std::string ckpt_path = !o.resume.empty() ? o.resume : o.init;
  if (!o.init.empty() && std::filesystem::is_directory(o.init))  // a Hugging Face model directory
    ckpt_path = (std::filesystem::path(o.init) / "model.safetensors").string();
  if (!ckpt_path.empty()) ckpt = tinylm::io::SafetensorsFile::read(ckpt_path);
  // A checkpoint trained with a BPE brings it: without --tokenizer the run uses it, with one they must agree.
  const std::string ckpt_tokenizer = ckpt ? checkpoint_tokenizer(*ckpt) : "";
  Options eff = o;
  if (!ckpt_tokenizer.empty() && !flags.given("tokenizer")) eff.tokenizer = ckpt_tokenizer;
  const Data data = load_data(eff);
  TINYLM_CHECK(ckpt_tokenizer.empty() || !data.tokenizer || !data.tokenizer->chars, "checkpoint '", ckpt_path,
               "' was trained with the BPE in '", ckpt_tokenizer,
               "', not --tokenizer char; leave --tokenizer out to use it");
  if (ckpt && data.tokenizer && data.tokenizer->bpe) {
    const auto it = ckpt->metadata().find(tinylm::io::kTokenizerKindKey);
    TINYLM_CHECK(it == ckpt->metadata().end() || it->second == "bpe", "checkpoint '", ckpt_path,
                 "' was trained with a ", it->second, "-level tokenizer, not the BPE --tokenizer ", o.tokenizer,
                 " gives");
    if (!ckpt_tokenizer.empty() && eff.tokenizer != ckpt_tokenizer)
      TINYLM_CHECK(tinylm::data::to_hf_json(tinylm::data::load_bpe(ckpt_tokenizer)).dump() ==
                       tinylm::data::to_hf_json(*data.tokenizer->bpe).dump(),
                   "checkpoint '", ckpt_path, "' was trained with the BPE in '", ckpt_tokenizer, "', and --tokenizer ",
                   o.tokenizer, " gives a different one; leave --tokenizer out to use it");
  }
  const tinylm::nn::GPTConfig cfg = model_config(o, flags, data, ckpt ? &*ckpt : nullptr);
  data.train.check_fits(cfg.block_size);
  data.val.check_fits(cfg.block_size);
  if (ckpt && data.tokenizer && data.tokenizer->chars) {
    auto it = ckpt->metadata().find(tinylm::io::kTokenizerKey);  // a checkpoint without one is not char-level
    TINYLM_CHECK(it != ckpt->metadata().end() && it->second == data.tokenizer->chars->to_string(), "checkpoint '",
                 ckpt_path, "' was trained on a different vocabulary than ", data.description);
  }
  if (!ckpt_tokenizer.empty() && eff.tokenizer == ckpt_tokenizer)
    std::printf("tokenizer: the checkpoint's, %s\n", ckpt_tokenizer.c_str());

  const std::string save_path = o.save.empty() ? o.out + "/model.safetensors" : o.save;
  const std::string state_path = save_path.substr(0, save_path.rfind(".safetensors")) + ".train.safetensors";
  // Where the run writes is checked now, not when it has trained.
  examples::ensure_writable_dir(o.out, "--out");
  if (!o.save.empty()) examples::ensure_writable_dir(std::filesystem::path(o.save).parent_path().string(), "--save");

  tinylm::nn::GPT<float> model(cfg, static_cast<uint64_t>(o.seed));
  if (ckpt) tinylm::io::load_gpt_weights(*ckpt, model);
  model.to(device);  // before the optimizer, whose moments live beside the parameters
  // Data parallelism: rank 0's weights everywhere, a dropout stream per rank, gradients averaged in
  // buckets during backward (or, with --shard-optimizer, reduce-scattered by the optimizer).
  std::unique_ptr<tinylm::dist::DataParallel<float>> ddp;
  if (ranks > 1) {
    if (!o.shard_optimizer)
      ddp = std::make_unique<tinylm::dist::DataParallel<float>>(
          world, model.named_parameters(),
          tinylm::dist::DataParallelOptions{o.bucket_mb, std::min(1.0, o.bucket_mb), !o.no_overlap});
    for (const auto& p : model.named_parameters()) world.broadcast(p.tensor.data(), p.tensor.numel(), 0);
    if (rank > 0) model.dropout_generator().manual_seed(static_cast<uint64_t>(o.seed) * 1000003u + uint64_t(rank));
  }
  std::unique_ptr<tinylm::optim::Optimizer<float>> opt;
  tinylm::dist::ShardedAdamW<float>* sharded = nullptr;
  const auto groups = tinylm::optim::decay_groups(model.named_parameters(), o.lr, o.weight_decay);
  const tinylm::optim::AdamWOptions adamw{o.lr, 0.9, 0.95, 1e-8, o.weight_decay};
  if (o.shard_optimizer) {
    auto s = std::make_unique<tinylm::dist::ShardedAdamW<float>>(world, groups, adamw, o.grad_clip);
    sharded = s.get();
    opt = std::move(s);
  } else if (o.optimizer == "adamw") opt = std::make_unique<tinylm::optim::AdamW<float>>(groups, adamw);
  else
    opt = std::make_unique<tinylm::optim::SGD<float>>(
        groups, tinylm::optim::SGDOptions{o.lr, o.momentum, o.weight_decay, false});
  const auto schedule = tinylm::optim::LRSchedule::warmup_cosine(o.lr, o.min_lr, std::min(o.warmup, o.steps), o.steps);

  tinylm::Generator data_gen(static_cast<uint64_t>(o.seed) * 2654435761u + 1);
  int64_t start = 0;
  if (!o.resume.empty()) {
    // The training state is the whole checkpoint: its own copy of the weights is the one that
    // belongs with its optimizer moments (the model file beside it may be a step further on if
    // a save was killed between the two writes). A state saved without weights (tinylm before
    // this) pairs with the model file, which must then name the same step.
    const std::string resume_state = o.resume.substr(0, o.resume.rfind(".safetensors")) + ".train.safetensors";
    const auto state_file = tinylm::io::SafetensorsFile::read(resume_state);
    const bool whole = tinylm::io::training_state_has_model(state_file);
    if (sharded) sharded->gather_state();  // the buffers the file is read into
    const auto st = tinylm::io::load_training_state(state_file, *opt, whole ? &model : nullptr);
    if (!whole) {
      const auto it = ckpt->metadata().find("tinylm.step");
      TINYLM_CHECK(it == ckpt->metadata().end() || it->second == std::to_string(st.step), "checkpoint '", o.resume,
                   "' is from step ", it->second, ", its training state '", resume_state, "' from step ", st.step);
    }
    start = st.step;
    TINYLM_CHECK(st.generators.count("data") && st.generators.count("dropout"), "training state '", resume_state,
                 "' lacks the data or dropout generator state");
    data_gen.set_state(st.generators.at("data"));
    // Each rank's own dropout stream, as saved by a run on as many ranks (else a fresh one per rank).
    const std::string mine = rank == 0 ? "dropout" : "dropout.rank" + std::to_string(rank);
    if (st.generators.count(mine)) model.dropout_generator().set_state(st.generators.at(mine));
    TINYLM_CHECK(start < o.steps, "checkpoint '", o.resume, "' is already at step ", start, "; --steps ", o.steps,
                 " leaves nothing to do");
  }

  const int64_t T = cfg.block_size, tokens_per_step = o.batch_size * T * o.grad_accum * ranks;
  std::printf("data: %s\nmodel: %lld layers, %lld heads, %lld wide, context %lld, vocabulary %lld: %.2fM parameters\n",
              data.description.c_str(), (long long)cfg.n_layer, (long long)cfg.n_head, (long long)cfg.n_embd,
              (long long)cfg.block_size, (long long)cfg.vocab_size, double(model.num_parameters()) / 1e6);
  std::printf("training: %lld steps of %lld tokens, %s, lr %g -> %g, %s%s\n", (long long)o.steps,
              (long long)tokens_per_step, o.optimizer.c_str(), o.lr, o.min_lr,
              device.is_cpu() ? (std::to_string(tinylm::num_threads()) + " threads").c_str() : device.str().c_str(),
              start ? (", resuming at step " + std::to_string(start)).c_str() : "");
  if (ranks > 1)
    std::printf("data parallel: %d ranks x batch %lld, %s\n", ranks, (long long)o.batch_size,
                ddp ? ("gradients all-reduced in " + std::to_string(ddp->num_buckets()) + " buckets").c_str()
                    : "gradients reduce-scattered, AdamW's moments sharded across the ranks");
  if (data.floor) std::printf("entropy floor of the validation text: %.4f nats/char\n", *data.floor);

  std::map<std::string, std::string> meta;
  if (data.tokenizer && data.tokenizer->chars) meta = tinylm::io::tokenizer_metadata(*data.tokenizer->chars);
  if (data.tokenizer && data.tokenizer->bpe) {  // beside the checkpoint, as Hugging Face keeps it
    const std::string tok_path = (std::filesystem::path(save_path).parent_path() / "tokenizer.json").string();
    if (rank == 0) tinylm::data::save_hf_json(*data.tokenizer->bpe, tok_path);
    meta[tinylm::io::kTokenizerKindKey] = "bpe";
    std::printf("tokenizer: %lld-token BPE, saved as %s\n", static_cast<long long>(data.tokenizer->vocab_size()),
                tok_path.c_str());
  }
  // The training state (weights, optimizer moments, step, generators) is written first, as one
  // atomic file: killed at any moment, a save leaves the previous checkpoint or the new one,
  // never a mix. The model file (the weights alone, for --init, chat and serve) follows.
  int64_t saved_step = start;  // of the checkpoint on disk (0: none yet)
  // Under mpirun every rank calls it (the sharded moments and the ranks' dropout streams are gathered)
  // and rank 0 writes.
  auto save_checkpoint = [&](int64_t step) {
    tinylm::io::TrainingState st;
    st.step = step;
    st.generators["data"] = data_gen.state();
    std::vector<int64_t> streams(6 * static_cast<std::size_t>(ranks));
    world.allgather(pack_state(model.dropout_generator().state()).data(), streams.data(), 6);
    for (int r = 0; r < ranks; ++r)
      st.generators[r == 0 ? "dropout" : "dropout.rank" + std::to_string(r)] = unpack_state(&streams[6 * r]);
    if (ranks > 1) st.info["ranks"] = std::to_string(ranks);
    if (sharded) sharded->gather_state();
    if (rank == 0) {
      tinylm::io::save_training_state(state_path, *opt, st, &model);
      auto m = meta;
      m["tinylm.step"] = std::to_string(step);
      tinylm::io::save_gpt(save_path, model, m);
    }
    if (sharded) sharded->release_state();
    world.barrier();  // the files are whole before any rank goes on
    saved_step = step;
  };
  const int64_t end = o.stop_at > 0 ? o.stop_at : o.steps;
  TINYLM_CHECK(start < end, "--stop-at ", o.stop_at, " is not after the checkpoint's step ", start);

  // From here on, SIGINT and SIGTERM end the run after the step in progress, with a checkpoint;
  // a second one ends it at once.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  const bool tty = ::isatty(STDOUT_FILENO);
  std::vector<MetricsRow> rows;
  if (start > 0) rows = read_metrics(o.out + "/metrics.csv", start);
  double last_val = NAN, elapsed = 0;
  const auto t_start = Clock::now();
  for (int64_t step = start; step < end; ++step) {
    const auto t0 = Clock::now();
    const double lr = schedule(step);
    opt->set_lr(lr);
    opt->zero_grad();
    const std::string kept =
        saved_step > 0 ? tinylm::detail::str_cat("the checkpoint of step ", saved_step, " in ", state_path, " is kept")
                       : std::string("no checkpoint was saved yet (--save-every N saves during the run)");
    double loss = 0;
    try {
      std::optional<tinylm::autograd::detect_anomaly> anomaly;
      if (o.detect_anomaly) anomaly.emplace();
      for (int64_t micro = 0; micro < o.grad_accum; ++micro) {
        const auto b = data.train.sample(o.batch_size, T, data_gen, rank, ranks);
        const auto out = model.forward(b.x, b.y);
        if (ddp && micro + 1 == o.grad_accum) ddp->prepare_backward();  // the backward to share
        (out.loss * (1.0 / double(o.grad_accum))).backward();
        loss += out.loss.item() / double(o.grad_accum);
      }
      if (ddp) ddp->finish_backward();
    } catch (const tinylm::Error& e) {
      if (!o.detect_anomaly) throw;
      throw tinylm::Error(tinylm::detail::str_cat("step ", step + 1, ": ", e.what(), "; ", kept));
    }
    loss = world.sum(loss) / ranks;  // the global batch's, the same on every rank
    TINYLM_CHECK(std::isfinite(loss), "training diverged: loss is ", loss, " at step ", step + 1, "; ", kept,
                 ". Try a lower --lr or --grad-clip; --detect-anomaly names the first op that made a NaN or "
                 "infinity");
    if (o.grad_norms > 0 && (step + 1) % o.grad_norms == 0) print_grad_norms(model, step + 1);
    if (o.grad_clip > 0 && !sharded) tinylm::optim::clip_grad_norm(model.parameters(), o.grad_clip);
    opt->step();
    const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
    elapsed = std::chrono::duration<double>(Clock::now() - t_start).count();
    const int64_t done = step + 1 - start;
    MetricsRow row{step + 1, loss, NAN, lr, double(tokens_per_step) / dt, dt * 1e3};
    const bool eval_now = (step + 1) % o.eval_every == 0 || step + 1 == end;
    if (eval_now) row.val_loss = last_val = evaluate(model, data.val, o, T, world);
    rows.push_back(row);
    const double eta = elapsed / double(done) * double(end - step - 1);
    char line[256];
    std::snprintf(line, sizeof line, "step %5lld/%lld | loss %.4f | lr %.2e | %7.0f tok/s | %6.1f ms/step | ETA %s",
                  (long long)(step + 1), (long long)o.steps, loss, lr, row.tokens_per_s, row.ms_per_step,
                  examples::format_duration(eta).c_str());
    if (eval_now) {
      std::printf("%s%s | val %.4f", tty ? "\r" : "", line, last_val);
      if (data.floor) std::printf(" (floor %.4f, gap %.4f)", *data.floor, last_val - *data.floor);
      std::printf("\n");
    } else if (tty) {
      std::printf("\r%s", line);
    } else if (done % std::max<int64_t>(1, (end - start) / 20) == 0) {
      std::printf("%s\n", line);
    }
    std::fflush(stdout);
    if (o.save_every > 0 && (step + 1) % o.save_every == 0 && step + 1 < end) save_checkpoint(step + 1);
    int sig = g_signal.load();
    if (ranks > 1 && world.sum(int64_t{sig != 0}) > 0 && sig == 0) sig = SIGTERM;  // the ranks stop together
    if (sig != 0 && step + 1 < end) {                                              // Ctrl-C or a scheduler's SIGTERM
      save_checkpoint(step + 1);
      if (rank == 0) write_outputs(o.out, rows, data.floor);
      std::printf("%s%s at step %lld: saved %s and %s; --resume %s continues the run\n", tty ? "\n" : "",
                  sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)", (long long)(step + 1),
                  save_path.c_str(), state_path.c_str(), save_path.c_str());
      return 128 + sig;
    }
  }

  save_checkpoint(end);
  if (rank != 0) return 0;  // rank 0 writes the outputs and samples
  write_outputs(o.out, rows, data.floor);
  std::printf("trained %lld steps in %s; final validation loss %.4f", (long long)(end - start),
              examples::format_duration(elapsed).c_str(), last_val);
  if (data.floor) std::printf(", %.4f above the entropy floor %.4f", last_val - *data.floor, *data.floor);
  std::printf("\nwrote %s, %s, %s/metrics.csv, %s/loss.svg\n", save_path.c_str(), state_path.c_str(), o.out.c_str(),
              o.out.c_str());
  if (ddp) {
    const auto& c = ddp->stats();
    const double steps = double(end - start);
    std::printf(
        "all-reduce (rank 0): %.2f MB in %.1f buckets per step, %.2f ms per step waited for after backward (%s)\n",
        double(c.bytes) / steps / 1e6, double(c.buckets) / steps, c.wait_seconds / steps * 1e3,
        o.no_overlap ? "all of it: --no-overlap" : "what backward did not hide");
  }

  if (o.attention_map) {
    TINYLM_CHECK(data.tokenizer.has_value(), "--attention-map needs text data (a .bin shard has no tokenizer here)");
    std::vector<int32_t> p =
        o.prompt.empty() ? data.val.slice(0, std::min<int64_t>(32, data.val.size())) : data.tokenizer->encode(o.prompt);
    TINYLM_CHECK(!p.empty() && static_cast<int64_t>(p.size()) <= cfg.block_size,
                 "--attention-map: the prompt must hold 1 to ", cfg.block_size, " tokens, it holds ", p.size());
    if (device.is_cpu()) {
      write_attention_map(model, p, *data.tokenizer, o.out + "/attention.svg");
    } else {  // the maps are drawn from the reference attention, a CPU composition
      tinylm::nn::GPT<float> host(cfg, static_cast<uint64_t>(o.seed));
      host.load_state_dict(model.state_dict());
      write_attention_map(host, p, *data.tokenizer, o.out + "/attention.svg");
    }
    std::printf("wrote %s/attention.svg\n", o.out.c_str());
  }

  if (o.sample_tokens > 0) {
    std::vector<int32_t> prompt;
    if (!o.prompt.empty()) {
      TINYLM_CHECK(data.tokenizer.has_value(), "--prompt needs text data (a .bin shard has no tokenizer here)");
      prompt = data.tokenizer->encode(o.prompt);
      TINYLM_CHECK(!prompt.empty(), "--prompt is empty after encoding");
    } else if (data.tokenizer) {  // start a new line, as nanoGPT does, when the text has newlines
      prompt = data.tokenizer->encode("\n", true);
      if (prompt.empty()) prompt = {data.val[0]};
    } else {
      prompt = {data.val[0]};
    }
    tinylm::Generator sample_gen(static_cast<uint64_t>(o.seed) + 7);
    const auto tokens =
        tinylm::lm::generate(model, prompt, o.sample_tokens, {o.temperature, o.top_k, o.top_p}, sample_gen);
    std::printf("\n--- sample (%lld tokens, temperature %g) ---\n", (long long)o.sample_tokens, o.temperature);
    if (data.tokenizer) {
      std::printf("%s\n", data.tokenizer->decode(tokens).c_str());
    } else {
      for (int32_t t : tokens) std::printf("%d ", t);
      std::printf("\n");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#if defined(TINYLM_MPI)
  // Under mpirun: MPI, and data parallelism over its ranks. An error on one rank ends them all (the
  // others would wait for it at the next collective).
  if (tinylm::dist::MpiEnvironment::launched_by_mpirun()) {
    tinylm::dist::MpiEnvironment mpi(argc, argv);
    tinylm::dist::MpiCommunicator world;
    g_world = &world;
    const int rc = examples::run_main("gpt_train", argc, argv, run);
    g_world = nullptr;
    if (rc == 1 && world.size() > 1) world.abort(rc);
    return rc;
  }
#endif
  return examples::run_main("gpt_train", argc, argv, run);
}
