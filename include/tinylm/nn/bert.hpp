#pragma once
// nn::BertLM: a BERT-style encoder (Devlin et al. 2018) with its pre-training
// heads: masked-token prediction and, optionally, a sentence-pair head
// (next sentence or sentence order).
//
//   x      = LayerNorm(word(ids) + position(0..T-1) + token_type(types))    (B, T, C)
//   h      = encoder(dropout(x), key padding = ids == pad)                 (B, T, C)
//   mlm    = LayerNorm(gelu(dense(h))) @ word^T + bias                     (B, T, V)   tied to word
//   pooled = tanh(pooler(h[:, 0]))    sentence = seq_relationship(pooled)  (B, 2)      on [CLS]
//
// The masked-LM loss is the mean cross-entropy over the chosen positions
// only (labels elsewhere are mlm_ignore_index, -100); the sentence head's
// labels are its own (class 0 is a real class: "is next" / "in order").
// data/mlm.hpp chooses and replaces the tokens (the 15% / 80-10-10 rule).
//
// Names are Hugging Face's BertForPreTraining ones: bert.embeddings.*,
// bert.encoder.layer.{i}.* (nn/transformer.hpp, BERT's names),
// bert.pooler.dense, cls.predictions.transform.{dense,LayerNorm},
// cls.predictions.bias, cls.seq_relationship; the decoder is the word
// embedding (tied). Pre-LN by default (then bert.encoder.layer_norm ends
// the encoder); norm_first = false and layer_norm_eps = 1e-12 are BERT's own
// post-LN layout. Linear weights are stored [in, out] (Hugging Face's
// files hold their transpose).

#include <memory>

#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/transformer.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/cross_entropy.hpp"
#include "tinylm/ops/layer_norm.hpp"
#include "tinylm/ops/matmul.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm::nn {

struct BertConfig {
  int64_t vocab_size = 0;
  int64_t max_position = 512;
  int64_t type_vocab_size = 2;  // segments A and B
  int64_t n_embd = 128;
  int64_t n_head = 4;
  int64_t n_layer = 4;
  int64_t hidden = 0;  // MLP width; 0 means 4 * n_embd
  Activation activation = Activation::Gelu;
  double dropout = 0.0;
  double layer_norm_eps = 1e-12;
  bool norm_first = true;      // pre-LN; false: BERT's post-LN
  bool sentence_head = false;  // the pooler and a two-way classifier on [CLS]
  int32_t pad_id = 0;

  void validate() const {
    TINYLM_CHECK(vocab_size > 0 && max_position > 0 && type_vocab_size > 0 && n_embd > 0 && n_head > 0 && n_layer > 0 &&
                     hidden >= 0,
                 "BertConfig: sizes must be positive (vocab_size ", vocab_size, ", max_position ", max_position,
                 ", type_vocab_size ", type_vocab_size, ", n_embd ", n_embd, ", n_head ", n_head, ", n_layer ", n_layer,
                 ")");
    TINYLM_CHECK(n_embd % n_head == 0, "BertConfig: n_embd (", n_embd, ") must be a multiple of n_head (", n_head, ")");
    TINYLM_CHECK(dropout >= 0 && dropout < 1, "BertConfig: dropout must be in [0, 1), got ", dropout);
    TINYLM_CHECK(pad_id >= 0 && pad_id < vocab_size, "BertConfig: pad_id ", pad_id, " is not a token (", vocab_size,
                 ")");
  }
  TransformerBlockConfig block() const {
    return {.n_embd = n_embd,
            .n_head = n_head,
            .hidden = hidden,
            .activation = activation,
            .dropout = dropout,
            .attn_dropout = dropout,
            .layer_norm_eps = layer_norm_eps,
            .norm_first = norm_first,
            .names = BlockNames::Bert};
  }
  friend bool operator==(const BertConfig&, const BertConfig&) = default;
};

namespace detail {

struct BertState {
  BertConfig cfg_;
  Generator init_gen_, dropout_gen_;
};

}  // namespace detail

template <FloatElement Float>
class BertLM : private detail::BertState, public Module<Float> {
 public:
  struct Output {
    Tensor<Float> hidden;           // (B, T, C), the encoder's output
    Tensor<Float> mlm_logits;       // (B, T, V)
    Tensor<Float> sentence_logits;  // (B, 2), with the sentence head
    Tensor<Float> loss;             // the masked-LM loss, plus the sentence loss when its labels are given
    Tensor<Float> mlm_loss, sentence_loss;
  };

  BertLM(const BertConfig& cfg, uint64_t seed)
      : detail::BertState{(cfg.validate(), cfg), Generator(seed), Generator(seed ^ 0x5DEECE66Dull)},
        word(cfg_.vocab_size, cfg_.n_embd, init_gen_, 0.02),
        position(cfg_.max_position, cfg_.n_embd, init_gen_, 0.02),
        token_type(cfg_.type_vocab_size, cfg_.n_embd, init_gen_, 0.02),
        embed_norm(cfg_.n_embd, cfg_.layer_norm_eps),
        drop(cfg_.dropout, dropout_gen_),
        encoder(cfg_.block(), cfg_.n_layer, init_gen_, &dropout_gen_),
        transform(cfg_.n_embd, cfg_.n_embd, init_gen_),
        transform_norm(cfg_.n_embd, cfg_.layer_norm_eps) {
    this->register_module("bert.embeddings.word_embeddings", word);
    this->register_module("bert.embeddings.position_embeddings", position);
    this->register_module("bert.embeddings.token_type_embeddings", token_type);
    this->register_module("bert.embeddings.LayerNorm", embed_norm);
    this->register_module("bert.embeddings.dropout", drop);
    this->register_module("bert.encoder", encoder);
    if (cfg_.sentence_head) {
      pooler = std::make_unique<Linear<Float>>(cfg_.n_embd, cfg_.n_embd, init_gen_);
      seq_relationship = std::make_unique<Linear<Float>>(cfg_.n_embd, 2, init_gen_);
      this->register_module("bert.pooler.dense", *pooler);
      this->register_module("cls.seq_relationship", *seq_relationship);
    }
    this->register_module("cls.predictions.transform.dense", transform);
    this->register_module("cls.predictions.transform.LayerNorm", transform_norm);
    mlm_bias = this->register_parameter("cls.predictions.bias", Tensor<Float>::zeros({cfg_.vocab_size}), Decay::No);
  }

  const BertConfig& config() const { return cfg_; }

  /// ids (B, T), token types (B, T) or undefined (all segment A) -> the
  /// encoder's output, the masked-LM logits and (with the head) the sentence logits.
  Output forward(const Tensor<int32_t>& ids, const Tensor<int32_t>& types = {}) const {
    TINYLM_CHECK(ids.defined() && ids.dim() == 2, "BertLM: ids are ", ids.defined() ? ids.shape() : Shape{},
                 ": expected [B, T]");
    TINYLM_CHECK(ids.size(1) <= cfg_.max_position, "BertLM: a sequence of ", ids.size(1),
                 " tokens is longer than max_position ", cfg_.max_position);
    TINYLM_CHECK(!types.defined() || types.shape() == ids.shape(), "BertLM: ids are ", ids.shape(),
                 ", token types are ", types.shape(), ": they must match");
    const Tensor<int64_t> pos = Tensor<int64_t>::arange(0, ids.size(1));
    Tensor<Float> x = word.forward(ids) + position.forward(pos);
    x = x + (types.defined() ? token_type.forward(types) : token_type.forward(Tensor<int64_t>::zeros({1})));
    x = drop.forward(embed_norm.forward(x));
    Output out;
    out.hidden = encoder.forward(x, {.key_padding = eq(ids, cfg_.pad_id)});
    const Tensor<Float> t = transform_norm.forward(activate(transform.forward(out.hidden), cfg_.activation));
    out.mlm_logits = word.tied_head(t) + mlm_bias;
    if (cfg_.sentence_head) {
      const Tensor<Float> cls = out.hidden.select(1, 0);  // (B, C), the [CLS] position
      out.sentence_logits = seq_relationship->forward(tanh(pooler->forward(cls)));
    }
    return out;
  }

  /// forward() and the losses: mlm_labels (B, T) hold the original token at
  /// each chosen position and mlm_ignore_index elsewhere; sentence_labels
  /// (B) are 0/1 (or undefined: no sentence loss).
  Output forward(const Tensor<int32_t>& ids, const Tensor<int32_t>& types, const Tensor<int32_t>& mlm_labels,
                 const Tensor<int32_t>& sentence_labels = {}, int64_t mlm_ignore_index = -100) const {
    TINYLM_CHECK(mlm_labels.shape() == ids.shape(), "BertLM: ids are ", ids.shape(), ", mlm_labels are ",
                 mlm_labels.shape(), ": they must match");
    Output out = forward(ids, types);
    out.mlm_loss = cross_entropy(out.mlm_logits.reshape({-1, cfg_.vocab_size}), mlm_labels.reshape({-1}),
                                 CrossEntropyOptions{.ignore_index = mlm_ignore_index});
    out.loss = out.mlm_loss;
    if (sentence_labels.defined()) {
      TINYLM_CHECK(cfg_.sentence_head, "BertLM: sentence labels given, but the model has no sentence head");
      TINYLM_CHECK(sentence_labels.shape() == Shape{ids.size(0)}, "BertLM: sentence_labels are ",
                   sentence_labels.shape(), ": expected [B] = [", ids.size(0), "]");
      // Its own loss, no ignore index: class 0 is real.
      out.sentence_loss = cross_entropy(out.sentence_logits, sentence_labels,
                                        CrossEntropyOptions{.ignore_index = std::numeric_limits<int64_t>::min()});
      out.loss = out.loss + out.sentence_loss;
    }
    return out;
  }

  Embedding<Float> word, position, token_type;
  LayerNorm<Float> embed_norm;
  Dropout<Float> drop;
  TransformerEncoder<Float> encoder;
  std::unique_ptr<Linear<Float>> pooler, seq_relationship;  // only with the sentence head
  Linear<Float> transform;
  LayerNorm<Float> transform_norm;
  Tensor<Float> mlm_bias;
};

}  // namespace tinylm::nn
