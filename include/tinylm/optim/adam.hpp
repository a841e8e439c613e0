#pragma once
// Adam and AdamW (Kingma & Ba; Loshchilov & Hutter), fused into one pass per
// parameter (kernels/cpu/optim.hpp has the update in PyTorch's order).
// AdamW decays weights directly (decoupled); Adam adds wd * p to the
// gradient (L2). Use decay_groups() to keep biases, LayerNorm and
// embeddings out of the decay, as GPT training does.

#include <string>
#include <utility>
#include <vector>

#include "tinylm/kernels/optim.hpp"
#include "tinylm/optim/optimizer.hpp"

namespace tinylm::optim {

/// torch.optim.Adam's defaults.
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

/// torch.optim.AdamW's defaults: the same, but weight decay 0.01. (With
/// parameter groups, each group's own weight_decay is used instead.)
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

template <FloatElement T>
class Adam : public Optimizer<T> {
 public:
  /// One group per entry of `groups` (their lr and weight_decay override opt's).
  Adam(std::vector<ParamGroup<T>> groups, AdamOptions opt, bool decoupled = false) : opt_(opt), decoupled_(decoupled) {
    TINYLM_CHECK(opt.lr >= 0 && opt.eps >= 0 && opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 && opt.beta2 < 1,
                 "Adam: invalid options (lr ", opt.lr, ", betas ", opt.beta1, ", ", opt.beta2, ", eps ", opt.eps, ")");
    this->groups_ = std::move(groups);
    for (auto& g : this->groups_)
      for (auto& p : g.params) {  // a frozen parameter gets its moments only if it is unfrozen and trained
        const bool trainable = p.tensor.requires_grad();
        m_.push_back(trainable ? Tensor<T>::zeros(p.tensor.shape(), p.tensor.device()) : Tensor<T>());
        v_.push_back(trainable ? Tensor<T>::zeros(p.tensor.shape(), p.tensor.device()) : Tensor<T>());
      }
  }
  /// All parameters in one group with opt's lr and weight decay.
  Adam(const std::vector<nn::Parameter<T>>& params, AdamOptions opt, bool decoupled = false)
      : Adam(std::vector<ParamGroup<T>>{{params, opt.lr, opt.weight_decay}}, opt, decoupled) {}

  void step() override {
    NoGradGuard no_grad;
    ++this->steps_;
    this->for_each_param([&](const ParamGroup<T>& g, const nn::Parameter<T>& p, std::size_t k) {
      const Tensor<T> grad = this->grad_of(p, "Adam");
      if (!grad.defined()) return;
      if (!m_[k].defined())
        m_[k] = Tensor<T>::zeros(p.tensor.shape(), p.tensor.device()),
        v_[k] = Tensor<T>::zeros(p.tensor.shape(), p.tensor.device());
      kernels::adam_update(p.tensor.device(), p.tensor.data(), grad.data(), m_[k].data(), v_[k].data(),
                           p.tensor.numel(), g.lr, opt_.beta1, opt_.beta2, opt_.eps, g.weight_decay, decoupled_,
                           this->steps_);
    });
  }

  std::vector<std::pair<std::string, Tensor<T>>> state() const override {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    this->for_each_param([&](const ParamGroup<T>&, const nn::Parameter<T>& p, std::size_t k) {
      if (!m_[k].defined()) return;  // frozen, never trained: no state
      out.emplace_back("exp_avg." + p.name, m_[k]);
      out.emplace_back("exp_avg_sq." + p.name, v_[k]);
    });
    return out;
  }

 private:
  AdamOptions opt_;
  bool decoupled_;
  std::vector<Tensor<T>> m_, v_;
};

/// AdamW: Adam with decoupled weight decay.
template <FloatElement T>
class AdamW : public Adam<T> {
 public:
  AdamW(std::vector<ParamGroup<T>> groups, AdamWOptions opt = {}) : Adam<T>(std::move(groups), adam(opt), true) {}
  AdamW(const std::vector<nn::Parameter<T>>& params, AdamWOptions opt = {}) : Adam<T>(params, adam(opt), true) {}

 private:
  static AdamOptions adam(const AdamWOptions& o) { return {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}; }
};

}  // namespace tinylm::optim
