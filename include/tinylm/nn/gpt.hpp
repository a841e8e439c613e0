#pragma once
// nn::GPT: a GPT-2 style decoder-only transformer.
//
//   idx (B, T) -> wte(idx) + wpe(0..T-1) -> dropout -> L x Block -> ln_f
//              -> logits = x @ wte^T  (B, T, V)   (the LM head is tied to wte)
//
// GPT-2's arithmetic (LayerNorm eps 1e-5, GELU in its tanh form) and its
// initialisation: weights of linear maps and embeddings ~ N(0, 0.02^2),
// biases 0, and the two residual projections (attn.c_proj, mlp.c_proj)
// scaled by 1/sqrt(2 L) so the residual stream's variance does not grow with
// depth. Parameter names are Hugging Face's (transformer.h.0.attn.c_attn.weight,
// ...), with linear weights stored [in, out], so weights go to and from
// the Python ecosystem unchanged.

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tinylm/core/checked.hpp"
#include "tinylm/nn/block.hpp"
#include "tinylm/nn/embedding.hpp"
#include "tinylm/ops/cross_entropy.hpp"

namespace tinylm::nn {

struct GPTConfig {
  int64_t vocab_size = 65;
  int64_t block_size = 256;  // longest context
  int64_t n_layer = 6;
  int64_t n_head = 6;
  int64_t n_embd = 384;
  double dropout = 0.0;

  void validate() const {
    TINYLM_CHECK(vocab_size > 0 && block_size > 0 && n_layer > 0 && n_head > 0 && n_embd > 0,
                 "GPTConfig: sizes must be positive (vocab_size ", vocab_size, ", block_size ", block_size,
                 ", n_layer ", n_layer, ", n_head ", n_head, ", n_embd ", n_embd, ")");
    TINYLM_CHECK(n_embd % n_head == 0, "GPTConfig: n_embd (", n_embd, ") must be a multiple of n_head (", n_head, ")");
    TINYLM_CHECK(dropout >= 0 && dropout < 1, "GPTConfig: dropout must be in [0, 1), got ", dropout);
    num_parameters();  // throws when the sizes overflow
  }
  /// The parameters the model has (the head is tied to wte), counted with
  /// overflow checks: V C + T C + L (12 C^2 + 13 C) + 2 C. A file's config
  /// is checked against the file's size with it before anything is built.
  int64_t num_parameters() const {
    constexpr std::string_view what = "GPTConfig: the parameter count";
    const int64_t C = n_embd;
    const int64_t per_block = checked_add<int64_t>(checked_mul<int64_t>(checked_mul<int64_t>(12, C, what), C, what),
                                                   checked_mul<int64_t>(13, C, what), what);
    int64_t n = checked_mul<int64_t>(checked_add<int64_t>(vocab_size, block_size, what), C, what);
    n = checked_add<int64_t>(n, checked_mul<int64_t>(n_layer, per_block, what), what);
    return checked_add<int64_t>(n, checked_mul<int64_t>(2, C, what), what);
  }
  friend bool operator==(const GPTConfig&, const GPTConfig&) = default;
};

/// The KV cache of a whole model: one LayerCache per block.
template <FloatElement Float>
struct KVCache {
  std::vector<LayerCache<Float>> layers;
  int64_t length() const { return layers.empty() ? 0 : layers[0].length; }
  void clear() {
    for (auto& l : layers) l.length = 0;
  }
};

namespace detail {

/// GPT's configuration and generators. A base class, because bases are
/// built before any member: the layers can draw from these whatever order
/// the members are declared in (see nn/module.hpp).
struct GPTState {
  GPTConfig cfg_;
  Generator init_gen_;
  Generator dropout_gen_;
};

}  // namespace detail

template <FloatElement Float>
class GPT : private detail::GPTState, public Module<Float> {
 public:
  struct Output {
    Tensor<Float> logits;  // (B, T, V)
    Tensor<Float> loss;    // scalar mean cross-entropy, when targets were given
  };

  GPT(const GPTConfig& cfg, uint64_t seed) : GPT(cfg, seed, (cfg.validate(), Generator(seed))) {}

  const GPTConfig& config() const { return cfg_; }

  // As an lm::CausalLM (lm/generate.hpp):
  using Cache = KVCache<Float>;
  int64_t vocab_size() const { return cfg_.vocab_size; }
  int64_t max_length() const { return cfg_.block_size; }
  /// The stream dropout masks are drawn from (saved in checkpoints).
  Generator& dropout_generator() { return dropout_gen_; }

  /// idx (B, T) -> logits (B, T, V) on the model's device (idx may be on
  /// any). With a cache, idx holds the T positions after the cached ones.
  template <IndexElement I>
  Tensor<Float> forward(const Tensor<I>& idx, KVCache<Float>* cache = nullptr) const {
    TINYLM_CHECK(idx.dim() == 2, "GPT: idx is ", idx.shape(), ": expected [B, T]");
    const int64_t T = idx.size(1), start = cache ? cache->length() : 0;
    TINYLM_CHECK(start + T <= cfg_.block_size, "GPT: sequence of length ", start + T, " is longer than block_size ",
                 cfg_.block_size);
    const Device device = wte.weight.device();  // token ids from any device: the model runs where it is
    const Tensor<int64_t> pos = Tensor<int64_t>::arange(start, start + T).to(device);
    Tensor<Float> x = drop.forward(wte.forward(idx.to(device)) + wpe.forward(pos));  // (B, T, C)
    for (std::size_t i = 0; i < h.size(); ++i) x = h[i]->forward(x, cache ? &cache->layers[i] : nullptr);
    x = ln_f.forward(x);
    return wte.tied_head(x);  // (B, T, V)
  }

  /// The next token's logits (K, V) for K sequences at once, each with a
  /// cache of its own (make_cache(1)) holding however many positions it
  /// holds: tokens[r] is the position after caches[r]'s. The linear layers
  /// see one batch of K rows, attention runs per row: the decode step of
  /// continuous batching, where sequences of every length share the step.
  /// A row's logits are those forward(its token, its cache) gives.
  Tensor<Float> forward_rows(const std::vector<int32_t>& tokens, const std::vector<KVCache<Float>*>& caches) const {
    const auto K = static_cast<int64_t>(tokens.size());
    TINYLM_CHECK(K > 0 && caches.size() == tokens.size(), "GPT::forward_rows: ", K, " tokens and ", caches.size(),
                 " caches: one cache per token, at least one");
    Tensor<int32_t> idx = Tensor<int32_t>::empty({K, 1});
    Tensor<int64_t> pos = Tensor<int64_t>::empty({K, 1});
    for (int64_t r = 0; r < K; ++r) {
      const KVCache<Float>* c = caches[static_cast<std::size_t>(r)];
      TINYLM_CHECK(c && c->layers.size() == h.size(), "GPT::forward_rows: cache ", r, " is not one of this model's");
      TINYLM_CHECK(c->length() < cfg_.block_size, "GPT::forward_rows: cache ", r, " is full (", c->length(),
                   " positions, block_size ", cfg_.block_size, ")");
      TINYLM_CHECK(tokens[static_cast<std::size_t>(r)] >= 0 && tokens[static_cast<std::size_t>(r)] < cfg_.vocab_size,
                   "GPT::forward_rows: token ", tokens[static_cast<std::size_t>(r)], " is outside the vocabulary of ",
                   cfg_.vocab_size);
      idx.data()[r] = tokens[static_cast<std::size_t>(r)];
      pos.data()[r] = c->length();
    }
    const Device device = wte.weight.device();
    Tensor<Float> x = drop.forward(wte.forward(idx.to(device)) + wpe.forward(pos.to(device)));  // (K, 1, C)
    std::vector<LayerCache<Float>*> layer(static_cast<std::size_t>(K));
    for (std::size_t i = 0; i < h.size(); ++i) {
      for (int64_t r = 0; r < K; ++r)
        layer[static_cast<std::size_t>(r)] = &caches[static_cast<std::size_t>(r)]->layers[i];
      x = h[i]->forward_rows(x, layer);
    }
    x = ln_f.forward(x);
    return wte.tied_head(x).reshape({K, cfg_.vocab_size});
  }

  /// Logits and the mean cross-entropy against targets (B, T).
  template <IndexElement I, IndexElement J>
  Output forward(const Tensor<I>& idx, const Tensor<J>& targets) const {
    TINYLM_CHECK(targets.shape() == idx.shape(), "GPT: idx is ", idx.shape(), ", targets are ", targets.shape(),
                 ": they must match");
    Output out;
    out.logits = forward(idx);
    const int64_t V = cfg_.vocab_size;
    out.loss = cross_entropy(out.logits.reshape({-1, V}), targets.reshape({-1}).to(out.logits.device()));
    return out;
  }

  /// Changes the vocabulary to n tokens (for added tokens): the embedding
  /// (and the output head, tied to it) keeps its first rows, and new rows
  /// are drawn N(0, 0.02^2) from `gen`, as GPT-2 initialises them.
  /// Optimizers built before hold the old table: build them after.
  void resize_token_embeddings(int64_t n, Generator& gen) {
    TINYLM_CHECK(n > 0, "GPT::resize_token_embeddings: the vocabulary must have at least one token, got ", n);
    wte.resize(n, gen, 0.02);
    cfg_.vocab_size = n;
  }
  /// The same, drawing the new rows from the model's own initialisation generator.
  void resize_token_embeddings(int64_t n) { resize_token_embeddings(n, init_gen_); }

  /// An empty cache for batches of B sequences up to block_size long.
  KVCache<Float> make_cache(int64_t B) const {
    KVCache<Float> c;
    const int64_t NH = cfg_.n_head, HS = cfg_.n_embd / cfg_.n_head;
    for (int64_t i = 0; i < cfg_.n_layer; ++i)
      c.layers.push_back({Tensor<Float>::zeros({B, NH, cfg_.block_size, HS}, wte.weight.device()),
                          Tensor<Float>::zeros({B, NH, cfg_.block_size, HS}, wte.weight.device()), 0});
    return c;
  }

  /// The attention weights of every block for idx (B, T): one (B, NH, T, T)
  /// tensor per layer, row i holding how much position i attends to each
  /// earlier position. Runs in eval mode without recording a graph.
  template <IndexElement I>
  std::vector<Tensor<Float>> attention_maps(const Tensor<I>& idx) {
    NoGradGuard no_grad;
    const bool was_training = this->is_training();
    this->eval();
    for (auto& b : h) b->attn.record_attention = true;
    forward(idx);
    std::vector<Tensor<Float>> maps;
    for (auto& b : h) {
      maps.push_back(b->attn.last_attention);
      b->attn.record_attention = false;
      b->attn.last_attention = Tensor<Float>();
    }
    this->train(was_training);
    return maps;
  }

  /// Chooses the fused attention kernel (default) or the op composition.
  void set_fused_attention(bool on) {
    for (auto& b : h) b->attn.use_fused = on;
  }

  Embedding<Float> wte;  // (V, C)
  Embedding<Float> wpe;  // (block_size, C)
  Dropout<Float> drop;
  std::vector<std::unique_ptr<Block<Float>>> h;
  LayerNorm<Float> ln_f;

 private:
  GPT(const GPTConfig& cfg, uint64_t seed, Generator init_gen)
      : detail::GPTState{cfg, std::move(init_gen), Generator(seed ^ 0x5DEECE66Dull)},
        wte(cfg.vocab_size, cfg.n_embd, init_gen_),
        wpe(cfg.block_size, cfg.n_embd, init_gen_),
        drop(cfg.dropout, dropout_gen_),
        ln_f(cfg.n_embd) {
    this->register_module("transformer.wte", wte);
    this->register_module("transformer.wpe", wpe);
    this->register_module("transformer.drop", drop);
    for (int64_t i = 0; i < cfg.n_layer; ++i) {
      h.push_back(std::make_unique<Block<Float>>(cfg.n_embd, cfg.n_head, cfg.dropout, init_gen_, dropout_gen_));
      this->register_module("transformer.h." + std::to_string(i), *h.back());
    }
    this->register_module("transformer.ln_f", ln_f);
    init::gpt2_(*this, cfg.n_layer, init_gen_);
  }
};

}  // namespace tinylm::nn
