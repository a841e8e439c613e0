#pragma once
// nn::LSTM: a multi-layer, batch-first LSTM, and nn::LSTMLM, a
// character-level language model built on it.
//
// Each layer l, at each time step t, with x_t its input (the previous
// layer's h_t for l > 0) and PyTorch's gate equations and gate order:
//
//   i_t = sigmoid(x_t W_ii + b_ii + h_{t-1} W_hi + b_hi)     input gate
//   f_t = sigmoid(x_t W_if + b_if + h_{t-1} W_hf + b_hf)     forget gate
//   g_t = tanh   (x_t W_ig + b_ig + h_{t-1} W_hg + b_hg)     candidate cell
//   o_t = sigmoid(x_t W_io + b_io + h_{t-1} W_ho + b_ho)     output gate
//   c_t = f_t * c_{t-1} + i_t * g_t
//   h_t = o_t * tanh(c_t)
//
// The four gates' weights sit side by side: weight_ih_l{l} is [in, 4H],
// weight_hh_l{l} is [H, 4H] (tinylm's [in, out] layout; PyTorch stores the
// transposes). The input projections of all time steps are one GEMM; the
// recurrence then runs step by step, the nonlinearities of each step fused
// into one op (ops/lstm_cell.hpp). Everything is built from differentiable
// ops, so backpropagation through time comes from autograd; truncate it by
// detaching the state between windows (LSTMLM::detach).

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/init.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/cross_entropy.hpp"
#include "tinylm/ops/join.hpp"
#include "tinylm/ops/linear.hpp"
#include "tinylm/ops/lstm_cell.hpp"
#include "tinylm/ops/unary.hpp"

namespace tinylm::nn {

template <FloatElement Float>
struct LSTMState {
  std::vector<Tensor<Float>> h, c;  // per layer, (B, H)
  bool empty() const { return h.empty(); }
  /// Back to the start (zeros), as generation's cache.
  void clear() {
    h.clear();
    c.clear();
  }
  /// The same values without their history: truncates backpropagation through time.
  LSTMState detach() const {
    LSTMState s;
    for (const auto& t : h) s.h.push_back(t.detach());
    for (const auto& t : c) s.c.push_back(t.detach());
    return s;
  }
};

template <FloatElement Float>
class LSTM : public Module<Float> {
 public:
  /// Initialized like PyTorch's nn.LSTM: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)).
  LSTM(int64_t input, int64_t hidden, int64_t layers, Generator& gen) : H_(hidden), L_(layers) {
    TINYLM_CHECK(input > 0 && hidden > 0 && layers > 0, "LSTM: sizes must be positive, got input ", input, ", hidden ",
                 hidden, ", layers ", layers);
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
    for (int64_t l = 0; l < layers; ++l) {
      const std::string s = std::to_string(l);
      w_ih_.push_back(this->register_parameter("weight_ih_l" + s,
                                               Tensor<Float>::empty({l ? hidden : input, 4 * hidden}), Decay::Yes));
      w_hh_.push_back(
          this->register_parameter("weight_hh_l" + s, Tensor<Float>::empty({hidden, 4 * hidden}), Decay::Yes));
      b_ih_.push_back(this->register_parameter("bias_ih_l" + s, Tensor<Float>::empty({4 * hidden}), Decay::No));
      b_hh_.push_back(this->register_parameter("bias_hh_l" + s, Tensor<Float>::empty({4 * hidden}), Decay::No));
      for (auto* t : {&w_ih_.back(), &w_hh_.back(), &b_ih_.back(), &b_hh_.back()}) init::uniform_(*t, bound, gen);
    }
  }

  /// The fused cell (ops/lstm_cell.hpp) or its composition of primitive ops.
  bool use_fused = true;

  int64_t hidden_size() const { return H_; }
  int64_t num_layers() const { return L_; }

  /// x (B, T, in) -> outputs h_t of the last layer (B, T, H), and the final
  /// state. A missing state starts from zeros.
  std::pair<Tensor<Float>, LSTMState<Float>> forward(const Tensor<Float>& x, const LSTMState<Float>& state = {}) const {
    TINYLM_CHECK(x.dim() == 3 && x.size(2) == w_ih_[0].size(0), "LSTM: x is ", x.shape(), ": expected [B, T, ",
                 w_ih_[0].size(0), "]");
    const int64_t B = x.size(0), T = x.size(1);
    TINYLM_CHECK(state.empty() || (static_cast<int64_t>(state.h.size()) == L_ && state.h[0].shape() == Shape{B, H_}),
                 "LSTM: the state does not match ", L_, " layers of [", B, ", ", H_, "]");
    LSTMState<Float> out;
    Tensor<Float> layer_in = x;
    for (int64_t l = 0; l < L_; ++l) {
      Tensor<Float> h = state.empty() ? Tensor<Float>::zeros({B, H_}) : state.h[static_cast<std::size_t>(l)];
      Tensor<Float> c = state.empty() ? Tensor<Float>::zeros({B, H_}) : state.c[static_cast<std::size_t>(l)];
      const Tensor<Float> xw = linear(layer_in, w_ih_[l], b_ih_[l]);  // (B, T, 4H): every step's input projection
      std::vector<Tensor<Float>> hs;
      for (int64_t t = 0; t < T; ++t) {
        const Tensor<Float> gates = xw.select(1, t) + linear(h, w_hh_[l], b_hh_[l]);  // (B, 4H)
        auto next = use_fused ? lstm_cell(gates, c) : lstm_cell_reference(gates, c);  // h, c: (B, H) each
        h = next.h;
        c = next.c;
        hs.push_back(h);
      }
      layer_in = stack(hs, 1);  // (B, T, H)
      out.h.push_back(h);
      out.c.push_back(c);
    }
    return {layer_in, std::move(out)};
  }

 private:
  int64_t H_, L_;
  std::vector<Tensor<Float>> w_ih_, w_hh_, b_ih_, b_hh_;
};

struct LSTMLMConfig {
  int64_t vocab_size = 65;
  int64_t n_embd = 64;
  int64_t hidden = 256;
  int64_t n_layer = 2;
};

/// Embedding -> LSTM -> linear head over the vocabulary.
template <FloatElement Float>
class LSTMLM : public Module<Float> {
 public:
  LSTMLM(const LSTMLMConfig& cfg, uint64_t seed)
      : cfg_(cfg),
        gen_(seed),
        wte(cfg.vocab_size, cfg.n_embd, gen_),
        lstm(cfg.n_embd, cfg.hidden, cfg.n_layer, gen_),
        head(cfg.hidden, cfg.vocab_size, gen_) {
    this->register_module("wte", wte);
    this->register_module("lstm", lstm);
    this->register_module("head", head);
  }

  const LSTMLMConfig& config() const { return cfg_; }

  // As an lm::CausalLM: the state is the cache, and there is no context limit.
  using Cache = LSTMState<Float>;
  Cache make_cache(int64_t) const { return {}; }
  int64_t vocab_size() const { return cfg_.vocab_size; }
  int64_t max_length() const { return 0; }
  /// idx (B, t) -> logits (B, t, V), continuing from (and advancing) *cache; a null cache starts from zeros.
  template <IndexElement I>
  Tensor<Float> forward(const Tensor<I>& idx, Cache* cache) const {
    Output out = forward(idx, cache ? *cache : Cache{});
    if (cache) *cache = std::move(out.state);
    return out.logits;
  }

  struct Output {
    Tensor<Float> logits;  // (B, T, V)
    Tensor<Float> loss;    // mean cross-entropy, when targets were given
    LSTMState<Float> state;
  };

  template <IndexElement I>
  Output forward(const Tensor<I>& idx, const LSTMState<Float>& state = {}) const {
    TINYLM_CHECK(idx.dim() == 2, "LSTMLM: idx is ", idx.shape(), ": expected [B, T]");
    auto [h, s] = lstm.forward(wte.forward(idx), state);
    return {head.forward(h), Tensor<Float>(), std::move(s)};
  }
  template <IndexElement I, IndexElement J>
  Output forward(const Tensor<I>& idx, const Tensor<J>& targets, const LSTMState<Float>& state = {}) const {
    Output out = forward(idx, state);
    out.loss = cross_entropy(out.logits, targets);
    return out;
  }

 private:
  LSTMLMConfig cfg_;
  Generator gen_;

 public:
  Embedding<Float> wte;
  LSTM<Float> lstm;
  Linear<Float> head;
};

}  // namespace tinylm::nn
