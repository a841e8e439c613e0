#pragma once
// nn::MultiHeadAttention: attention for any transformer, self or cross,
// causal or not, with padding masks and a cache for decoding.
//
//   q = q_proj(x)          (B, Tq, C)  -> (B, NH, Tq, HS)
//   k = k_proj(memory)     (B, Tk, Ckv) -> (B, NH, Tk, HS)    memory = x for self-attention
//   v = v_proj(memory)
//   y = out_proj(merge heads(dropout(attention_weights(q, k, blocked, causal)) @ v))
//
// An encoder calls forward(x, {.key_padding = eq(ids, pad)}): every
// position sees every real one. A decoder calls forward(x, {.causal =
// true}, &cache) for its self-attention and forward(x, memory,
// {.key_padding = source padding}, &cross_cache) for its cross-attention.
//
// AttentionMask (true always means "must not see"; ops/attention.hpp):
//   key_padding (B, Tk)   keys that are padding, for every head and query
//   key_lengths (B)       the same as lengths: keys at positions >= length are padding
//   blocked               any pattern broadcasting to (B, NH, Tq, Tk)
//   additive              added to the scores, broadcasting to (B, NH, Tq, Tk)
//   causal                query i (of the last Tq of Tk positions) sees keys j <= Tk - Tq + i
// Attention runs the fused kernel, masks and all, unless it must drop out
// some weights (training with dropout) or keep them (record_attention).
// A query that sees no key gets zeros.
//
// Caches. A self-attention cache keeps the keys and values of every
// position seen so far, growing as needed; each call appends its own and
// attends over all of them (key_padding, if given, then covers all of
// them). A cross-attention cache is filled from `memory` on its first call
// (or after clear()) and reused as it is afterwards. Caches are for
// inference: what they hold is detached, so no gradient flows through it.
//
// The projections are separate q/k/v/out maps, named as in Hugging Face's
// BART and Whisper (q_proj, k_proj, v_proj, out_proj) unless the config
// names them otherwise (BERT's self.query ... output.dense), so that their
// weights load by name. nn::CausalSelfAttention is GPT-2's fused-QKV form.

#include <algorithm>
#include <string>
#include <utility>

#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/ops/attention.hpp"

namespace tinylm::nn {

/// The names the four projections are registered under: Hugging Face
/// BART's by default; BERT's are {"self.query", "self.key", "self.value",
/// "output.dense"}.
struct ProjectionNames {
  std::string q = "q_proj", k = "k_proj", v = "v_proj", out = "out_proj";
};

struct MultiHeadAttentionConfig {
  int64_t n_embd = 0;    // C: the width of the queries and of the output
  int64_t n_head = 1;    // NH: C must be a multiple of it
  int64_t kv_embd = 0;   // the width of `memory` for cross-attention; 0 means n_embd
  double dropout = 0.0;  // on the attention weights, in training mode
  bool bias = true;
  ProjectionNames names{};
};

/// What attention must not look at, and what it adds to the scores:
/// tinylm::AttentionMask (ops/attention.hpp).
template <FloatElement Float = float>
using AttentionMask = tinylm::AttentionMask<Float>;

/// The keys and values one attention layer has computed: (B, NH, capacity, HS),
/// the first `length` positions in use.
template <FloatElement Float>
struct AttentionCache {
  Tensor<Float> k, v;
  int64_t length = 0;
  void clear() { length = 0; }
};

template <FloatElement Float>
class MultiHeadAttention : public Module<Float> {
  MultiHeadAttentionConfig cfg_;  // declared first: the layers below are built from it

 public:
  /// Without `dropout_gen`, attention dropout (if cfg.dropout > 0) draws from default_generator().
  MultiHeadAttention(const MultiHeadAttentionConfig& cfg, Generator& init_gen, Generator* dropout_gen = nullptr)
      : cfg_(checked(cfg)),
        q_proj(cfg_.n_embd, cfg_.n_embd, init_gen, cfg_.bias),
        k_proj(cfg_.kv_embd, cfg_.n_embd, init_gen, cfg_.bias),
        v_proj(cfg_.kv_embd, cfg_.n_embd, init_gen, cfg_.bias),
        out_proj(cfg_.n_embd, cfg_.n_embd, init_gen, cfg_.bias),
        attn_dropout(dropout_gen ? Dropout<Float>(cfg_.dropout, *dropout_gen) : Dropout<Float>(cfg_.dropout)) {
    this->register_module(cfg_.names.q, q_proj);
    this->register_module(cfg_.names.k, k_proj);
    this->register_module(cfg_.names.v, v_proj);
    this->register_module(cfg_.names.out, out_proj);
    this->register_module("attn_dropout", attn_dropout);
  }

  /// Self-attention: x (B, T, C) -> (B, T, C). With a cache, x's T
  /// positions follow those the cache holds, and are added to it.
  Tensor<Float> forward(const Tensor<Float>& x, const AttentionMask<Float>& mask = {},
                        AttentionCache<Float>* cache = nullptr) const {
    check_input(x, cfg_.n_embd, "x");
    Tensor<Float> k = heads(k_proj.forward(x)), v = heads(v_proj.forward(x));
    if (cache) std::tie(k, v) = append(*cache, k, v);
    return attend(x, k, v, mask);
  }

  /// Cross-attention: queries from x (B, Tq, C), keys and values from
  /// memory (B, Tk, kv_embd) -> (B, Tq, C). With a cache, memory's keys and
  /// values are computed on the first call and reused on later ones.
  Tensor<Float> forward(const Tensor<Float>& x, const Tensor<Float>& memory, const AttentionMask<Float>& mask = {},
                        AttentionCache<Float>* cache = nullptr) const {
    check_input(x, cfg_.n_embd, "x");
    check_input(memory, cfg_.kv_embd, "memory");
    TINYLM_CHECK(memory.size(0) == x.size(0), "MultiHeadAttention: x is ", x.shape(), " and memory is ", memory.shape(),
                 ": their batch sizes differ");
    if (!cache) return attend(x, heads(k_proj.forward(memory)), heads(v_proj.forward(memory)), mask);
    if (cache->length == 0) {
      cache->k = heads(k_proj.forward(memory)).detach();
      cache->v = heads(v_proj.forward(memory)).detach();
      cache->length = memory.size(1);
    }
    TINYLM_CHECK(cache->k.size(0) == x.size(0), "MultiHeadAttention: the cross-attention cache holds ",
                 cache->k.size(0), " sequences, x has ", x.size(0));
    return attend(x, cache->k.narrow(2, 0, cache->length), cache->v.narrow(2, 0, cache->length), mask);
  }

  const MultiHeadAttentionConfig& config() const { return cfg_; }

  Linear<Float> q_proj, k_proj, v_proj, out_proj;
  Dropout<Float> attn_dropout;
  /// When set, forward() keeps the attention weights (B, NH, Tq, Tk) of its last call in last_attention.
  bool record_attention = false;
  mutable Tensor<Float> last_attention;

 private:
  static MultiHeadAttentionConfig checked(MultiHeadAttentionConfig cfg) {
    TINYLM_CHECK(cfg.n_embd > 0 && cfg.n_head > 0 && cfg.n_embd % cfg.n_head == 0, "MultiHeadAttention: n_embd (",
                 cfg.n_embd, ") must be a positive multiple of n_head (", cfg.n_head, ")");
    TINYLM_CHECK(cfg.kv_embd >= 0, "MultiHeadAttention: kv_embd must be >= 0, got ", cfg.kv_embd);
    if (cfg.kv_embd == 0) cfg.kv_embd = cfg.n_embd;
    return cfg;
  }

  static void check_input(const Tensor<Float>& t, int64_t width, const char* name) {
    tinylm::detail::check_defined(t, "MultiHeadAttention", name);
    TINYLM_CHECK(t.dim() == 3 && t.size(2) == width, "MultiHeadAttention: ", name, " is ", t.shape(),
                 ": expected [B, T, ", width, "]");
  }

  /// (B, T, C) -> (B, NH, T, HS), a view.
  Tensor<Float> heads(const Tensor<Float>& t) const {
    return t.reshape({t.size(0), t.size(1), cfg_.n_head, cfg_.n_embd / cfg_.n_head}).transpose(1, 2);
  }

  Tensor<Float> attend(const Tensor<Float>& x, const Tensor<Float>& k, const Tensor<Float>& v,
                       const AttentionMask<Float>& mask) const {
    const int64_t B = x.size(0), Tq = x.size(1);
    const Tensor<Float> q = heads(q_proj.forward(x));
    const bool dropout_active = this->is_training() && attn_dropout.p() > 0;
    Tensor<Float> y;
    if (!dropout_active && !record_attention) {
      y = scaled_dot_product_attention(q, k, v, mask);  // the fused kernel
    } else {
      Tensor<Float> att = attention_weights(q, k, mask);  // (B, NH, Tq, Tk)
      if (record_attention) last_attention = att.detach();
      y = matmul(attn_dropout.forward(att), v);  // (B, NH, Tq, HS)
    }
    return out_proj.forward(y.transpose(1, 2).reshape({B, Tq, cfg_.n_embd}));
  }

  /// Writes k, v (B, NH, T, HS) after the cached positions, growing the
  /// cache by doubling; returns views of all cached positions.
  std::pair<Tensor<Float>, Tensor<Float>> append(AttentionCache<Float>& c, const Tensor<Float>& k,
                                                 const Tensor<Float>& v) const {
    const int64_t B = k.size(0), NH = k.size(1), T = k.size(2), HS = k.size(3);
    NoGradGuard no_grad;
    if (c.length > 0)
      TINYLM_CHECK(c.k.size(0) == B, "MultiHeadAttention: the cache holds ", c.k.size(0), " sequences, x has ", B);
    if (!c.k.defined() || c.k.size(0) != B || c.length + T > c.k.size(2)) {
      const int64_t capacity = std::max<int64_t>({c.length + T, 2 * (c.k.defined() ? c.k.size(2) : 0), 16});
      Tensor<Float> nk = Tensor<Float>::empty({B, NH, capacity, HS}, k.device());
      Tensor<Float> nv = Tensor<Float>::empty({B, NH, capacity, HS}, k.device());
      if (c.length > 0) {
        nk.narrow(2, 0, c.length).copy_(c.k.narrow(2, 0, c.length));
        nv.narrow(2, 0, c.length).copy_(c.v.narrow(2, 0, c.length));
      }
      c.k = nk;
      c.v = nv;
    }
    c.k.narrow(2, c.length, T).copy_(k);
    c.v.narrow(2, c.length, T).copy_(v);
    c.length += T;
    return {c.k.narrow(2, 0, c.length), c.v.narrow(2, 0, c.length)};
  }
};

}  // namespace tinylm::nn
