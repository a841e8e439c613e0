#pragma once
// nn::CausalSelfAttention: multi-head causal self-attention with a fused
// QKV projection.
//
//   qkv = c_attn(x)                      (B, T, 3C)
//   q, k, v = split(qkv)                 each (B, T, C) -> (B, NH, T, HS)
//   y = attention(q, k, v, causal)       (B, NH, T, HS)   softmax(q k^T / sqrt(HS)) v
//   y = c_proj(merge heads(y))           (B, T, C), then dropout
//
// The attention itself runs the fused kernel (ops/attention.hpp), straight
// on the packed qkv (no head split or merge copies), unless `use_fused` is
// false, which runs the composition of primitive ops (and
// applies attention dropout to the probabilities; the fused path supports
// attention dropout 0 only, so a model with dropout > 0 uses the
// composition there).
//
// With a KVCache, forward() appends this call's keys and values to the
// cache and attends from the new positions to everything cached: decoding
// one token costs O(T) instead of recomputing the whole prefix.

#include <cmath>
#include <limits>
#include <vector>

#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/ops/attention.hpp"
#include "tinylm/ops/join.hpp"

namespace tinylm::nn {

/// Keys and values of one attention layer for the positions seen so far.
template <FloatElement Float>
struct LayerCache {
  Tensor<Float> k, v;  // (B, NH, capacity, HS)
  int64_t length = 0;
};

template <FloatElement Float>
class CausalSelfAttention : public Module<Float> {
 public:
  CausalSelfAttention(int64_t C, int64_t NH, double dropout_p, Generator& init_gen, Generator& dropout_gen)
      : c_attn(C, 3 * C, init_gen),
        c_proj(C, C, init_gen),
        attn_dropout(dropout_p, dropout_gen),
        resid_dropout(dropout_p, dropout_gen),
        C_(C),
        NH_(NH) {
    TINYLM_CHECK(NH > 0 && C % NH == 0, "CausalSelfAttention: n_embd (", C, ") must be a multiple of n_head (", NH,
                 ")");
    this->register_module("c_attn", c_attn);
    this->register_module("c_proj", c_proj);
    this->register_module("attn_dropout", attn_dropout);
    this->register_module("resid_dropout", resid_dropout);
  }

  /// x (B, T, C) -> (B, T, C). With a cache, T new positions follow the cached ones.
  Tensor<Float> forward(const Tensor<Float>& x, LayerCache<Float>* cache = nullptr) const {
    TINYLM_CHECK(x.dim() == 3 && x.size(2) == C_, "CausalSelfAttention: x is ", x.shape(), ": expected [B, T, ", C_,
                 "]");
    const int64_t B = x.size(0), T = x.size(1), HS = C_ / NH_;
    const Tensor<Float> qkv = c_attn.forward(x);  // (B, T, 3C)
    const bool dropout_active = this->is_training() && attn_dropout.p() > 0;
    const bool fused = use_fused && !dropout_active && !record_attention;
    if (fused && !cache) {
      const Tensor<Float> y = packed_qkv_attention(qkv, NH_, true);  // (B, T, C): reads q, k, v and writes y in place
      return resid_dropout.forward(c_proj.forward(y));
    }
    auto heads = [&](int64_t i) {  // (B, T, C) slice -> (B, NH, T, HS)
      return qkv.narrow(2, i * C_, C_).reshape({B, T, NH_, HS}).transpose(1, 2);
    };
    const Tensor<Float> q = heads(0);
    Tensor<Float> k = heads(1), v = heads(2);
    if (cache) std::tie(k, v) = append(*cache, k, v);
    Tensor<Float> y;
    if (fused) {
      y = scaled_dot_product_attention(q, k, v, true);  // (B, NH, T, HS), laid out as (B, T, NH, HS)
    } else {
      const int64_t Tk = k.size(2);
      Tensor<Float> att =
          matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(HS)));  // (B, NH, T, Tk)
      att = masked_fill(att, causal_mask(T, Tk), -std::numeric_limits<Float>::infinity());
      att = softmax(att, -1);  // (B, NH, T, Tk): the attention weights
      if (record_attention) last_attention = att.detach();
      att = attn_dropout.forward(att);
      y = matmul(att, v);  // (B, NH, T, HS)
    }
    y = y.transpose(1, 2).reshape({B, T, C_});  // merge heads
    return resid_dropout.forward(c_proj.forward(y));
  }

  /// One new position for each of K sequences, each with a cache of its own
  /// (batch 1, any length): x (K, 1, C) -> (K, 1, C). The projections run
  /// as one batch of K rows; attention, row by row over that row's cache.
  /// This is the decode step of continuous batching (lm/batcher.hpp).
  Tensor<Float> forward_rows(const Tensor<Float>& x, const std::vector<LayerCache<Float>*>& caches) const {
    const auto K = static_cast<int64_t>(caches.size());
    TINYLM_CHECK(x.dim() == 3 && x.size(0) == K && x.size(1) == 1 && x.size(2) == C_, "CausalSelfAttention: x is ",
                 x.shape(), ": forward_rows expects [", K, ", 1, ", C_, "], one position per cache");
    const int64_t HS = C_ / NH_;
    const Tensor<Float> qkv = c_attn.forward(x);  // (K, 1, 3C)
    std::vector<Tensor<Float>> ys;
    for (int64_t r = 0; r < K; ++r) {
      TINYLM_CHECK(caches[static_cast<std::size_t>(r)] && caches[static_cast<std::size_t>(r)]->k.size(0) == 1,
                   "CausalSelfAttention: forward_rows needs one cache of batch 1 per row (row ", r, ")");
      const Tensor<Float> row = qkv.narrow(0, r, 1);
      auto heads = [&](int64_t i) { return row.narrow(2, i * C_, C_).reshape({1, 1, NH_, HS}).transpose(1, 2); };
      const auto [k, v] = append(*caches[static_cast<std::size_t>(r)], heads(1), heads(2));
      ys.push_back(scaled_dot_product_attention(heads(0), k, v, true).transpose(1, 2).reshape({1, 1, C_}));
    }
    return resid_dropout.forward(c_proj.forward(cat(ys, 0)));
  }

  Linear<Float> c_attn;  // (C, 3C): q, k, v projections side by side
  Linear<Float> c_proj;  // (C, C)
  Dropout<Float> attn_dropout;
  Dropout<Float> resid_dropout;
  bool use_fused = true;
  /// When set, forward() runs the composition and keeps the attention
  /// weights (B, NH, T, Tk) of its last call in last_attention.
  bool record_attention = false;
  mutable Tensor<Float> last_attention;

 private:
  /// Writes k, v (B, NH, T, HS) after the cached positions; returns views of
  /// all cached positions.
  std::pair<Tensor<Float>, Tensor<Float>> append(LayerCache<Float>& c, const Tensor<Float>& k,
                                                 const Tensor<Float>& v) const {
    const int64_t T = k.size(2);
    TINYLM_CHECK(c.k.defined() && c.length + T <= c.k.size(2), "CausalSelfAttention: KV cache holds ",
                 c.k.defined() ? c.k.size(2) : 0, " positions; ", c.length, " used, ", T, " more do not fit");
    NoGradGuard no_grad;
    c.k.narrow(2, c.length, T).copy_(k);
    c.v.narrow(2, c.length, T).copy_(v);
    c.length += T;
    return {c.k.narrow(2, 0, c.length), c.v.narrow(2, 0, c.length)};
  }

  int64_t C_, NH_;
};

}  // namespace tinylm::nn
