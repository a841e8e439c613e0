#pragma once
// The optimizer interface, parameter groups and gradient clipping.
//
// An optimizer updates parameters in place (under NoGradGuard) from their
// .grad(). Its buffers (momenta, step count) are exposed by name through
// state() so a checkpoint can save and restore them for an exact resume.

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/elementwise.hpp"
#include "tinylm/kernels/reduce.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/ops/arithmetic.hpp"

namespace tinylm::optim {

template <FloatElement T>
struct ParamGroup {
  std::vector<nn::Parameter<T>> params;
  double lr = 1e-3;
  double weight_decay = 0.0;
};

template <FloatElement T>
class Optimizer {
 public:
  virtual ~Optimizer() = default;

  /// One update of every parameter that has a gradient.
  virtual void step() = 0;

  /// The buffers behind the update, by name (aliases: loading copies into them).
  virtual std::vector<std::pair<std::string, Tensor<T>>> state() const = 0;

  /// Called by io::load_training_state once it has copied a checkpoint into
  /// state()'s buffers (an optimizer whose state() is a copy takes it back here).
  virtual void state_loaded() {}

  /// Drops every parameter's gradient.
  void zero_grad() {
    for (auto& g : groups_)
      for (auto& p : g.params) p.tensor.zero_grad();
  }

  /// Sets the learning rate of every group (what an LR schedule calls each step).
  void set_lr(double lr) {
    for (auto& g : groups_) g.lr = lr;
  }
  double lr() const { return groups_.empty() ? 0.0 : groups_[0].lr; }

  std::vector<ParamGroup<T>>& param_groups() { return groups_; }
  const std::vector<ParamGroup<T>>& param_groups() const { return groups_; }

  /// Number of step() calls so far (Adam's bias correction uses it).
  int64_t steps() const { return steps_; }
  void set_steps(int64_t n) { steps_ = n; }

 protected:
  /// Calls f(group, parameter, k) for every parameter, k counting across groups.
  template <class F>
  void for_each_param(F&& f) const {
    std::size_t k = 0;
    for (const auto& g : groups_)
      for (const auto& p : g.params) f(g, p, k++);
  }

  /// p's gradient, checked to be updatable in place; undefined if it has
  /// none or is frozen (a gradient left from before freezing is not used).
  static Tensor<T> grad_of(const nn::Parameter<T>& p, const char* optimizer) {
    if (!p.tensor.requires_grad()) return Tensor<T>();
    Tensor<T> g = p.tensor.grad();
    TINYLM_CHECK(!g.defined() || (p.tensor.is_contiguous() && g.is_contiguous() && g.shape() == p.tensor.shape()),
                 optimizer, ": parameter ", p.name, " or its gradient is not contiguous or does not match in shape");
    return g;
  }

  std::vector<ParamGroup<T>> groups_;
  int64_t steps_ = 0;
};

/// The usual split for AdamW: weight decay on matrices of linear maps
/// (Decay::Yes), none on biases, LayerNorm parameters and embeddings.
template <FloatElement T>
std::vector<ParamGroup<T>> decay_groups(const std::vector<nn::Parameter<T>>& params, double lr, double weight_decay) {
  ParamGroup<T> decay{{}, lr, weight_decay}, no_decay{{}, lr, 0.0};
  for (const auto& p : params) (p.decay == nn::Decay::Yes ? decay : no_decay).params.push_back(p);
  std::vector<ParamGroup<T>> out;
  if (!decay.params.empty()) out.push_back(decay);
  if (!no_decay.params.empty()) out.push_back(no_decay);
  return out;
}

/// Scales all gradients so that their global L2 norm is at most max_norm
/// (as torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
/// Frozen parameters (requires_grad false) are left out of the norm.
template <FloatElement T>
double clip_grad_norm(const std::vector<Tensor<T>>& params, double max_norm) {
  TINYLM_CHECK(max_norm > 0, "clip_grad_norm: max_norm must be positive, got ", max_norm);
  double total = 0.0;
  for (const auto& p : params) {
    const Tensor<T> g = p.grad();
    if (!g.defined() || !p.requires_grad()) continue;  // frozen: neither counted nor scaled
    const Tensor<T> gc = g.contiguous();
    total += kernels::sum_squares(gc.device(), gc.data(), gc.numel());
  }
  total = std::sqrt(total);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const auto& p : params) {
      const Tensor<T> g = p.grad();
      if (!g.defined() || !p.requires_grad()) continue;
      const T c = static_cast<T>(coef);
      if (g.is_contiguous()) {
        kernels::map(g.device(), g.data(), g.data(), g.numel(), kernels::fn::MulScalar<T>{c});
      } else {  // a gradient someone set as a strided view: write through its layout
        NoGradGuard no_grad;
        Tensor<T> dst = g;
        dst.copy_(mul(g.contiguous(), c));
      }
    }
  }
  return total;
}

/// The L2 norm of every parameter's gradient, by name (0 where there is no
/// gradient): the first thing to look at when training diverges.
template <FloatElement T>
std::vector<std::pair<std::string, double>> grad_norms(const std::vector<nn::Parameter<T>>& params) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& p : params) {
    const Tensor<T> g = p.tensor.grad();
    const Tensor<T> gc = g.defined() ? g.contiguous() : g;
    out.emplace_back(p.name, g.defined() ? std::sqrt(kernels::sum_squares(gc.device(), gc.data(), gc.numel())) : 0.0);
  }
  return out;
}

}  // namespace tinylm::optim

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::optim {
TINYLM_EXTERN_TEMPLATE std::vector<ParamGroup<float>> decay_groups(const std::vector<nn::Parameter<float>>&, double,
                                                                   double);
TINYLM_EXTERN_TEMPLATE std::vector<std::pair<std::string, double>> grad_norms(const std::vector<nn::Parameter<float>>&);
}  // namespace tinylm::optim
#endif
