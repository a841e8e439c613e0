#pragma once
// The encoder and decoder blocks of the original Transformer, and the
// encoder stack:
//
//   EncoderBlock (bidirectional self-attention + MLP), pre-LN:
//     h   = x + dropout(self_attn(ln_1(x), mask))
//     out = h + dropout(fc2(dropout(act(fc1(ln_2(h))))))
//   DecoderBlock (causal self-attention, cross-attention, MLP), pre-LN:
//     h   = x + dropout(self_attn(ln_1(x), causal))
//     h   = h + dropout(cross_attn(ln_2(h), memory, memory mask))
//     out = h + dropout(fc2(dropout(act(fc1(ln_3(h))))))
//
// With norm_first = false the LayerNorms come after each residual add
// instead (post-LN: h = ln_1(x + attn(x)), as BERT, BART and the 2017 paper
// have it). These are PyTorch's nn.TransformerEncoderLayer and
// nn.TransformerDecoderLayer (norm_first = True for pre-LN), and the tests
// hold them equal in outputs and every gradient.
//
// Parameter names follow Hugging Face: BART's by default
//   self_attn.{q,k,v,out}_proj, self_attn_layer_norm, encoder_attn.*,
//   encoder_attn_layer_norm, fc1, fc2, final_layer_norm
// or, for an encoder block, BERT's (BlockNames::Bert)
//   attention.self.{query,key,value}, attention.output.dense,
//   attention.output.LayerNorm, intermediate.dense, output.dense, output.LayerNorm
// Linear weights are stored [in, out], as every tinylm Linear is (GPT-2's
// layout; Hugging Face's nn.Linear files hold their transpose).
//
// TransformerEncoder stacks EncoderBlocks ("layers.{i}", or "layer.{i}"
// with BERT's names) and, pre-LN, ends with a LayerNorm ("layer_norm").
// The decoder stack lives in nn::Seq2Seq, which keeps its caches.

#include <memory>
#include <string>
#include <vector>

#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/layer_norm.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/nn/mlp.hpp"
#include "tinylm/nn/multi_head_attention.hpp"

namespace tinylm::nn {

enum class BlockNames { Bart, Bert };

struct TransformerBlockConfig {
  int64_t n_embd = 0;                        // C
  int64_t n_head = 1;                        // NH: C must be a multiple of it
  int64_t hidden = 0;                        // the MLP's width; 0 means 4C
  Activation activation = Activation::Gelu;  // exact GELU, as BERT and BART
  double dropout = 0.0;                      // after attention, after the MLP, and inside it
  double attn_dropout = 0.0;                 // on the attention weights
  double layer_norm_eps = 1e-5;              // BERT's is 1e-12
  bool norm_first = true;                    // pre-LN; false: post-LN
  BlockNames names = BlockNames::Bart;
};

namespace detail {

inline TransformerBlockConfig checked_block(TransformerBlockConfig cfg, const char* who) {
  TINYLM_CHECK(cfg.n_embd > 0 && cfg.n_head > 0 && cfg.n_embd % cfg.n_head == 0, who, ": n_embd (", cfg.n_embd,
               ") must be a positive multiple of n_head (", cfg.n_head, ")");
  TINYLM_CHECK(cfg.hidden >= 0, who, ": hidden must be >= 0, got ", cfg.hidden);
  if (cfg.hidden == 0) cfg.hidden = 4 * cfg.n_embd;
  return cfg;
}

inline MultiHeadAttentionConfig attention_config(const TransformerBlockConfig& cfg, bool bert) {
  MultiHeadAttentionConfig a{.n_embd = cfg.n_embd, .n_head = cfg.n_head, .dropout = cfg.attn_dropout};
  if (bert) a.names = {"self.query", "self.key", "self.value", "output.dense"};
  return a;
}

}  // namespace detail

/// The MLP of a transformer block: fc2(dropout(act(fc1(x)))), then dropout.
template <FloatElement Float>
struct FeedForward {
  FeedForward(const TransformerBlockConfig& cfg, Generator& init_gen, Generator* dropout_gen)
      : fc1(cfg.n_embd, cfg.hidden, init_gen),
        fc2(cfg.hidden, cfg.n_embd, init_gen),
        dropout(dropout_gen ? Dropout<Float>(cfg.dropout, *dropout_gen) : Dropout<Float>(cfg.dropout)),
        activation(cfg.activation) {}
  Tensor<Float> forward(const Tensor<Float>& x) const {
    return dropout.forward(fc2.forward(dropout.forward(activate(fc1.forward(x), activation))));
  }
  Linear<Float> fc1, fc2;
  Dropout<Float> dropout;
  Activation activation;
};

/// One encoder block (see the file comment): x (B, T, C) -> (B, T, C).
template <FloatElement Float>
class EncoderBlock : public Module<Float> {
  TransformerBlockConfig cfg_;  // declared first: the layers are built from it

 public:
  /// Without `dropout_gen`, dropout (if any) draws from default_generator().
  EncoderBlock(const TransformerBlockConfig& cfg, Generator& init_gen, Generator* dropout_gen = nullptr)
      : cfg_(detail::checked_block(cfg, "EncoderBlock")),
        self_attn(detail::attention_config(cfg_, cfg_.names == BlockNames::Bert), init_gen, dropout_gen),
        ln_1(cfg_.n_embd, cfg_.layer_norm_eps),
        ff(cfg_, init_gen, dropout_gen),
        ln_2(cfg_.n_embd, cfg_.layer_norm_eps) {
    if (cfg_.names == BlockNames::Bert) {
      this->register_module("attention", self_attn);
      this->register_module("attention.output.LayerNorm", ln_1);
      this->register_module("intermediate.dense", ff.fc1);
      this->register_module("output.dense", ff.fc2);
      this->register_module("output.LayerNorm", ln_2);
    } else {
      this->register_module("self_attn", self_attn);
      this->register_module("self_attn_layer_norm", ln_1);
      this->register_module("fc1", ff.fc1);
      this->register_module("fc2", ff.fc2);
      this->register_module("final_layer_norm", ln_2);
    }
    this->register_module("dropout", ff.dropout);
  }

  /// x (B, T, C) -> (B, T, C); `mask` is for the self-attention (usually key_padding).
  Tensor<Float> forward(const Tensor<Float>& x, const AttentionMask<Float>& mask = {}) const {
    if (cfg_.norm_first) {
      const Tensor<Float> h = x + ff.dropout.forward(self_attn.forward(ln_1.forward(x), mask));
      return h + ff.forward(ln_2.forward(h));
    }
    const Tensor<Float> h = ln_1.forward(x + ff.dropout.forward(self_attn.forward(x, mask)));
    return ln_2.forward(h + ff.forward(h));
  }

  const TransformerBlockConfig& config() const { return cfg_; }

  MultiHeadAttention<Float> self_attn;
  LayerNorm<Float> ln_1;
  FeedForward<Float> ff;
  LayerNorm<Float> ln_2;
};

/// The caches of one decoder block: its self-attention's keys and values
/// (growing with the output) and its cross-attention's (filled once).
template <FloatElement Float>
struct DecoderLayerCache {
  AttentionCache<Float> self, cross;
};

/// One decoder block (see the file comment), with BART's names.
template <FloatElement Float>
class DecoderBlock : public Module<Float> {
  TransformerBlockConfig cfg_;

 public:
  DecoderBlock(const TransformerBlockConfig& cfg, Generator& init_gen, Generator* dropout_gen = nullptr)
      : cfg_(detail::checked_block(cfg, "DecoderBlock")),
        self_attn(detail::attention_config(cfg_, false), init_gen, dropout_gen),
        ln_1(cfg_.n_embd, cfg_.layer_norm_eps),
        cross_attn(detail::attention_config(cfg_, false), init_gen, dropout_gen),
        ln_2(cfg_.n_embd, cfg_.layer_norm_eps),
        ff(cfg_, init_gen, dropout_gen),
        ln_3(cfg_.n_embd, cfg_.layer_norm_eps) {
    TINYLM_CHECK(cfg_.names == BlockNames::Bart, "DecoderBlock: only BART's names exist for a decoder block");
    this->register_module("self_attn", self_attn);
    this->register_module("self_attn_layer_norm", ln_1);
    this->register_module("encoder_attn", cross_attn);
    this->register_module("encoder_attn_layer_norm", ln_2);
    this->register_module("fc1", ff.fc1);
    this->register_module("fc2", ff.fc2);
    this->register_module("final_layer_norm", ln_3);
    this->register_module("dropout", ff.dropout);
  }

  /// x (B, T, C) after the positions `cache` holds (if any), memory (B, S,
  /// C) the encoder's output, memory_mask its padding -> (B, T, C).
  Tensor<Float> forward(const Tensor<Float>& x, const Tensor<Float>& memory, const AttentionMask<Float>& memory_mask,
                        DecoderLayerCache<Float>* cache = nullptr) const {
    AttentionCache<Float>* self_cache = cache ? &cache->self : nullptr;
    AttentionCache<Float>* cross_cache = cache ? &cache->cross : nullptr;
    const AttentionMask<Float> causal{.causal = true};
    if (cfg_.norm_first) {
      Tensor<Float> h = x + ff.dropout.forward(self_attn.forward(ln_1.forward(x), causal, self_cache));
      h = h + ff.dropout.forward(cross_attn.forward(ln_2.forward(h), memory, memory_mask, cross_cache));
      return h + ff.forward(ln_3.forward(h));
    }
    Tensor<Float> h = ln_1.forward(x + ff.dropout.forward(self_attn.forward(x, causal, self_cache)));
    h = ln_2.forward(h + ff.dropout.forward(cross_attn.forward(h, memory, memory_mask, cross_cache)));
    return ln_3.forward(h + ff.forward(h));
  }

  const TransformerBlockConfig& config() const { return cfg_; }

  MultiHeadAttention<Float> self_attn;
  LayerNorm<Float> ln_1;
  MultiHeadAttention<Float> cross_attn;
  LayerNorm<Float> ln_2;
  FeedForward<Float> ff;
  LayerNorm<Float> ln_3;
};

/// A stack of encoder blocks, and a final LayerNorm when pre-LN:
/// x (B, T, C) -> (B, T, C).
template <FloatElement Float>
class TransformerEncoder : public Module<Float> {
 public:
  TransformerEncoder(const TransformerBlockConfig& cfg, int64_t n_layer, Generator& init_gen,
                     Generator* dropout_gen = nullptr) {
    TINYLM_CHECK(n_layer > 0, "TransformerEncoder: n_layer must be positive, got ", n_layer);
    const std::string prefix = cfg.names == BlockNames::Bert ? "layer." : "layers.";
    for (int64_t i = 0; i < n_layer; ++i) {
      layers.push_back(std::make_unique<EncoderBlock<Float>>(cfg, init_gen, dropout_gen));
      this->register_module(prefix + std::to_string(i), *layers.back());
    }
    if (cfg.norm_first) {
      layer_norm = std::make_unique<LayerNorm<Float>>(cfg.n_embd, cfg.layer_norm_eps);
      this->register_module("layer_norm", *layer_norm);
    }
  }

  Tensor<Float> forward(const Tensor<Float>& x, const AttentionMask<Float>& mask = {}) const {
    Tensor<Float> h = x;
    for (const auto& layer : layers) h = layer->forward(h, mask);
    return layer_norm ? layer_norm->forward(h) : h;
  }

  std::vector<std::unique_ptr<EncoderBlock<Float>>> layers;
  std::unique_ptr<LayerNorm<Float>> layer_norm;  // pre-LN only
};

}  // namespace tinylm::nn
