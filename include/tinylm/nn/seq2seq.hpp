#pragma once
// nn::Seq2Seq: the encoder-decoder Transformer (Vaswani et al. 2017) for
// translation and other sequence-to-sequence tasks, pre-LN by default.
//
//   memory = encoder(embed(src) + pos(0..S-1), key padding = src == pad)      (B, S, C)
//   h      = decoder(embed(tgt) + pos(0..T-1), memory, source padding)        (B, T, C)
//   logits = h @ embed^T   (tied to the target embedding), or lm_head(h)     (B, T, V)
//
// Training feeds the whole shifted target at once (teacher forcing): tgt_in
// = BOS y1 .. y(n-1), targets = y1 .. yn EOS, padding in targets ignored.
// Decoding (lm/seq2seq_search.hpp: greedy and beam search) calls start()
// once per batch of sources, which encodes them, and then forward() one
// position at a time: each decoder block keeps its self-attention's keys
// and values (growing) and its cross-attention's (computed from the
// encoder's output on the first step, reused on every later one).
// Cache::reorder picks and repeats rows, as beam search needs.
//
// Names follow Hugging Face's BART: shared.weight (one table for source and
// target) or encoder.embed_tokens / decoder.embed_tokens,
// {encoder,decoder}.embed_positions, encoder.layers.{i}.*,
// decoder.layers.{i}.* (nn/transformer.hpp), {encoder,decoder}.layer_norm
// (pre-LN), lm_head.weight when the head is not tied.

#include <memory>
#include <string>
#include <vector>

#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/transformer.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/cross_entropy.hpp"
#include "tinylm/ops/gather.hpp"
#include "tinylm/ops/matmul.hpp"

namespace tinylm::nn {

struct Seq2SeqConfig {
  int64_t src_vocab_size = 0;
  int64_t tgt_vocab_size = 0;
  int64_t max_source_len = 128;
  int64_t max_target_len = 128;  // counting BOS
  int64_t n_embd = 128;
  int64_t n_head = 4;
  int64_t n_encoder_layer = 3;
  int64_t n_decoder_layer = 3;
  int64_t hidden = 0;  // MLP width; 0 means 4 * n_embd
  Activation activation = Activation::Gelu;
  double dropout = 0.0;
  bool norm_first = true;        // pre-LN; false: post-LN
  bool share_embeddings = true;  // one table for source and target tokens (one vocabulary)
  bool tie_output = true;        // logits from the target embedding's transpose
  int32_t pad_id = 0;            // source padding, never attended to

  void validate() const {
    TINYLM_CHECK(src_vocab_size > 0 && tgt_vocab_size > 0 && max_source_len > 0 && max_target_len > 0 && n_embd > 0 &&
                     n_head > 0 && n_encoder_layer > 0 && n_decoder_layer > 0 && hidden >= 0,
                 "Seq2SeqConfig: sizes must be positive (src_vocab_size ", src_vocab_size, ", tgt_vocab_size ",
                 tgt_vocab_size, ", max_source_len ", max_source_len, ", max_target_len ", max_target_len, ", n_embd ",
                 n_embd, ", n_head ", n_head, ", n_encoder_layer ", n_encoder_layer, ", n_decoder_layer ",
                 n_decoder_layer, ")");
    TINYLM_CHECK(n_embd % n_head == 0, "Seq2SeqConfig: n_embd (", n_embd, ") must be a multiple of n_head (", n_head,
                 ")");
    TINYLM_CHECK(!share_embeddings || src_vocab_size == tgt_vocab_size,
                 "Seq2SeqConfig: shared embeddings need one vocabulary, got ", src_vocab_size, " source and ",
                 tgt_vocab_size, " target tokens");
    TINYLM_CHECK(dropout >= 0 && dropout < 1, "Seq2SeqConfig: dropout must be in [0, 1), got ", dropout);
    TINYLM_CHECK(pad_id >= 0 && pad_id < src_vocab_size, "Seq2SeqConfig: pad_id ", pad_id, " is not a source token (",
                 src_vocab_size, ")");
  }
  TransformerBlockConfig block() const {
    return {.n_embd = n_embd,
            .n_head = n_head,
            .hidden = hidden,
            .activation = activation,
            .dropout = dropout,
            .attn_dropout = dropout,
            .norm_first = norm_first};
  }
  friend bool operator==(const Seq2SeqConfig&, const Seq2SeqConfig&) = default;
};

namespace detail {

/// Seq2Seq's configuration and generators, built before any member.
struct Seq2SeqState {
  Seq2SeqConfig cfg_;
  Generator init_gen_, dropout_gen_;
};

}  // namespace detail

template <FloatElement Float>
class Seq2Seq : private detail::Seq2SeqState, public Module<Float> {
 public:
  struct Output {
    Tensor<Float> logits;  // (B, T, V)
    Tensor<Float> loss;    // mean (label-smoothed) cross-entropy over the targets that are not ignored
  };

  /// The encoded sources and the decoder's caches for a batch of rows.
  struct Cache {
    Tensor<Float> memory;                          // (K, S, C)
    Tensor<bool> source_padding;                   // (K, S)
    std::vector<DecoderLayerCache<Float>> layers;  // one per decoder block
    int64_t length = 0;                            // target positions seen
    int64_t rows() const { return memory.size(0); }
    /// Forgets the target positions; keeps the encoded sources.
    void clear() {
      for (auto& l : layers) l.self.clear();
      length = 0;
    }
    /// Keeps the rows `rows` (any order, repeats allowed): row i becomes old row rows[i].
    void reorder(const std::vector<int64_t>& rows) {
      const auto idx = Tensor<int64_t>::from_vector(rows);
      memory = index_select(memory, 0, idx);
      source_padding = index_select(source_padding, 0, idx);
      for (auto& l : layers)
        for (AttentionCache<Float>* c : {&l.self, &l.cross})
          if (c->length > 0) {
            c->k = index_select(c->k, 0, idx);
            c->v = index_select(c->v, 0, idx);
          }
    }
  };

  Seq2Seq(const Seq2SeqConfig& cfg, uint64_t seed)
      : detail::Seq2SeqState{(cfg.validate(), cfg), Generator(seed), Generator(seed ^ 0x5DEECE66Dull)},
        encoder(cfg_.block(), cfg_.n_encoder_layer, init_gen_, &dropout_gen_),
        drop(cfg_.dropout, dropout_gen_) {
    const double std = 0.02;
    tgt_embed = std::make_unique<Embedding<Float>>(cfg_.tgt_vocab_size, cfg_.n_embd, init_gen_, std);
    if (cfg_.share_embeddings) {
      this->register_module("shared", *tgt_embed);
    } else {
      src_embed = std::make_unique<Embedding<Float>>(cfg_.src_vocab_size, cfg_.n_embd, init_gen_, std);
      this->register_module("encoder.embed_tokens", *src_embed);
      this->register_module("decoder.embed_tokens", *tgt_embed);
    }
    src_pos = std::make_unique<Embedding<Float>>(cfg_.max_source_len, cfg_.n_embd, init_gen_, std);
    tgt_pos = std::make_unique<Embedding<Float>>(cfg_.max_target_len, cfg_.n_embd, init_gen_, std);
    this->register_module("encoder.embed_positions", *src_pos);
    this->register_module("decoder.embed_positions", *tgt_pos);
    this->register_module("encoder", encoder);
    for (int64_t i = 0; i < cfg_.n_decoder_layer; ++i) {
      decoder.push_back(std::make_unique<DecoderBlock<Float>>(cfg_.block(), init_gen_, &dropout_gen_));
      this->register_module("decoder.layers." + std::to_string(i), *decoder.back());
    }
    if (cfg_.norm_first) {
      decoder_norm = std::make_unique<LayerNorm<Float>>(cfg_.n_embd);
      this->register_module("decoder.layer_norm", *decoder_norm);
    }
    if (!cfg_.tie_output) {
      lm_head = std::make_unique<Linear<Float>>(cfg_.n_embd, cfg_.tgt_vocab_size, init_gen_, false);
      this->register_module("lm_head", *lm_head);
    }
    this->register_module("dropout", drop);
  }

  const Seq2SeqConfig& config() const { return cfg_; }
  int64_t vocab_size() const { return cfg_.tgt_vocab_size; }
  int64_t max_length() const { return cfg_.max_target_len; }

  /// src (B, S) -> memory (B, S, C), attending to no padding.
  Tensor<Float> encode(const Tensor<int32_t>& src) const {
    check_ids(src, cfg_.src_vocab_size, cfg_.max_source_len, "source");
    const Tensor<int64_t> pos = Tensor<int64_t>::arange(0, src.size(1));
    const Tensor<Float> x = drop.forward(source_embedding().forward(src) + src_pos->forward(pos));
    return encoder.forward(x, {.key_padding = eq(src, cfg_.pad_id)});
  }

  /// Target ids (B, T) -> logits (B, T, V), attending to memory (B, S, C)
  /// but not to its padding. With a cache, ids follow its positions (and
  /// memory may be undefined: the cache holds it).
  Tensor<Float> decode(const Tensor<int32_t>& ids, const Tensor<Float>& memory, const Tensor<bool>& source_padding,
                       Cache* cache = nullptr) const {
    const int64_t start = cache ? cache->length : 0;
    check_ids(ids, cfg_.tgt_vocab_size, cfg_.max_target_len - start, "target");
    const Tensor<int64_t> pos = Tensor<int64_t>::arange(start, start + ids.size(1));
    Tensor<Float> x = drop.forward(tgt_embed->forward(ids) + tgt_pos->forward(pos));
    for (std::size_t i = 0; i < decoder.size(); ++i)
      x = decoder[i]->forward(x, memory, {.key_padding = source_padding}, cache ? &cache->layers[i] : nullptr);
    if (cache) cache->length += ids.size(1);
    if (decoder_norm) x = decoder_norm->forward(x);
    return lm_head ? lm_head->forward(x) : tgt_embed->tied_head(x);
  }

  /// Teacher forcing: logits for tgt_in (B, T) given src (B, S), and the
  /// loss against targets (B, T), whose `ignore_index` entries are left out.
  Output forward(const Tensor<int32_t>& src, const Tensor<int32_t>& tgt_in, const Tensor<int32_t>& targets,
                 const CrossEntropyOptions& loss = {}) const {
    TINYLM_CHECK(targets.shape() == tgt_in.shape(), "Seq2Seq: tgt_in is ", tgt_in.shape(), ", targets are ",
                 targets.shape(), ": they must match");
    TINYLM_CHECK(src.dim() == 2 && tgt_in.dim() == 2 && src.size(0) == tgt_in.size(0), "Seq2Seq: src is ", src.shape(),
                 ", tgt_in is ", tgt_in.shape(), ": expected [B, S] and [B, T] with one B");
    Output out;
    out.logits = decode(tgt_in, encode(src), eq(src, cfg_.pad_id));
    out.loss = cross_entropy(out.logits.reshape({-1, cfg_.tgt_vocab_size}), targets.reshape({-1}), loss);
    return out;
  }

  /// Encodes sources (B, S) for decoding: a cache of B rows, no target yet.
  Cache start(const Tensor<int32_t>& src) const {
    Cache c;
    c.memory = encode(src).detach();
    c.source_padding = eq(src, cfg_.pad_id);
    c.layers.resize(decoder.size());
    return c;
  }

  /// One decoding call: ids (K, t) after the cache's positions -> logits (K, t, V).
  Tensor<Float> forward(const Tensor<int32_t>& ids, Cache* cache) const {
    TINYLM_CHECK(cache && ids.dim() == 2 && ids.size(0) == cache->rows(), "Seq2Seq: ids are ", ids.shape(),
                 ": expected [K, t] for the ", cache ? cache->rows() : 0, " rows of the cache");
    return decode(ids, cache->memory, cache->source_padding, cache);
  }

  const Embedding<Float>& source_embedding() const { return src_embed ? *src_embed : *tgt_embed; }

  std::unique_ptr<Embedding<Float>> tgt_embed, src_embed;  // src_embed: only when not shared
  std::unique_ptr<Embedding<Float>> src_pos, tgt_pos;
  TransformerEncoder<Float> encoder;
  std::vector<std::unique_ptr<DecoderBlock<Float>>> decoder;
  std::unique_ptr<LayerNorm<Float>> decoder_norm;  // pre-LN only
  std::unique_ptr<Linear<Float>> lm_head;          // only when not tied
  Dropout<Float> drop;

 private:
  static void check_ids(const Tensor<int32_t>& ids, int64_t vocab, int64_t max_len, const char* what) {
    TINYLM_CHECK(ids.defined() && ids.dim() == 2, "Seq2Seq: the ", what, " ids are ",
                 ids.defined() ? ids.shape() : Shape{}, ": expected [B, T]");
    TINYLM_CHECK(ids.size(1) <= max_len, "Seq2Seq: a ", what, " of ", ids.size(1),
                 " tokens is longer than the model's ", max_len, " positions left");
    const auto c = ids.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i)
      TINYLM_CHECK(c.data()[i] >= 0 && c.data()[i] < vocab, "Seq2Seq: ", what, " token ", c.data()[i], " at position ",
                   i, " is out of range for ", vocab, " tokens");
  }
};

}  // namespace tinylm::nn
