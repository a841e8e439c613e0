#pragma once
// Initializers: in-place fills of parameters, drawing from a Generator so
// that a seed fixes a model's initial weights, and GPT-2's scheme for a
// whole module.
//
//   normal_(t, std, gen)     N(0, std^2)          (nn.init.normal_)
//   uniform_(t, bound, gen)  U(-bound, bound)     (nn.init.uniform_)
//   constant_(t, v), zeros_(t), ones_(t)
//   gpt2_(module, n_layer, gen)   GPT-2's initialisation (see below)
//
// Layers start as PyTorch's do (Linear: U(-1/sqrt(in), 1/sqrt(in)),
// Embedding: N(0, 1), LayerNorm: ones and zeros); nn::GPT then applies
// gpt2_ to itself. Apply any of these to your own modules after
// constructing them.

#include <algorithm>
#include <cmath>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/nn/module.hpp"

namespace tinylm::nn::init {

/// While one is alive (on this thread), normal_, uniform_ and constant_ do
/// nothing: a model is built without drawing initial weights it is about to
/// overwrite (io::load_gpt uses it; like transformers' no_init_weights).
/// The parameters then hold whatever memory they got until loaded.
class NoInitGuard {
 public:
  NoInitGuard() : prev_(active()) { active() = true; }
  ~NoInitGuard() { active() = prev_; }
  NoInitGuard(const NoInitGuard&) = delete;
  NoInitGuard& operator=(const NoInitGuard&) = delete;
  static bool& active() {
    thread_local bool on = false;
    return on;
  }

 private:
  bool prev_;
};

/// Fills t with samples of N(0, std^2).
template <FloatElement Float>
void normal_(const Tensor<Float>& t, double std, Generator& gen) {
  TINYLM_CHECK(t.is_contiguous(), "init::normal_: tensor must be contiguous");
  if (NoInitGuard::active()) return;
  Float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<Float>(gen.normal() * std);
}

/// Fills t with samples of U(-bound, bound).
template <FloatElement Float>
void uniform_(const Tensor<Float>& t, double bound, Generator& gen) {
  TINYLM_CHECK(t.is_contiguous(), "init::uniform_: tensor must be contiguous");
  if (NoInitGuard::active()) return;
  Float* p = t.data();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<Float>((2.0 * gen.uniform() - 1.0) * bound);
}

template <FloatElement Float>
void constant_(const Tensor<Float>& t, Float value) {
  TINYLM_CHECK(t.is_contiguous(), "init::constant_: tensor must be contiguous");
  if (NoInitGuard::active()) return;
  std::fill(t.data(), t.data() + t.numel(), value);
}

template <FloatElement Float>
void zeros_(const Tensor<Float>& t) {
  constant_(t, Float(0));
}

template <FloatElement Float>
void ones_(const Tensor<Float>& t) {
  constant_(t, Float(1));
}

/// GPT-2's initialisation of every parameter of `m`, in named_parameters()
/// order: biases (names ending ".bias") 0; other 1-D parameters (LayerNorm
/// gains) left as they are; matrices and embeddings N(0, 0.02^2), except the
/// projections into the residual stream (names ending "c_proj.weight"),
/// N(0, (0.02 / sqrt(2 n_layer))^2), so that the residual stream's variance
/// does not grow with depth.
template <FloatElement Float>
void gpt2_(const Module<Float>& m, int64_t n_layer, Generator& gen) {
  TINYLM_CHECK(n_layer > 0, "init::gpt2_: n_layer must be positive, got ", n_layer);
  const double proj_std = 0.02 / std::sqrt(2.0 * static_cast<double>(n_layer));
  NoGradGuard no_grad;
  for (const auto& p : m.named_parameters()) {
    if (p.name.ends_with(".bias") || p.name == "bias") zeros_(p.tensor);
    else if (p.tensor.dim() < 2) continue;
    else if (p.name.ends_with("c_proj.weight")) normal_(p.tensor, proj_std, gen);
    else normal_(p.tensor, 0.02, gen);
  }
}

}  // namespace tinylm::nn::init

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::nn::init {
TINYLM_EXTERN_TEMPLATE void normal_(const Tensor<float>&, double, Generator&);
TINYLM_EXTERN_TEMPLATE void uniform_(const Tensor<float>&, double, Generator&);
}  // namespace tinylm::nn::init
#endif
