#pragma once
// SGD with optional momentum (heavy ball or Nesterov) and L2 weight decay,
// as torch.optim.SGD with dampening 0.

#include <string>
#include <utility>
#include <vector>

#include "tinylm/kernels/optim.hpp"
#include "tinylm/optim/optimizer.hpp"

namespace tinylm::optim {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

template <FloatElement T>
class SGD : public Optimizer<T> {
 public:
  SGD(std::vector<ParamGroup<T>> groups, SGDOptions opt) : opt_(opt) {
    TINYLM_CHECK(opt.lr >= 0 && opt.momentum >= 0, "SGD: invalid options (lr ", opt.lr, ", momentum ", opt.momentum,
                 ")");
    TINYLM_CHECK(!opt.nesterov || opt.momentum > 0, "SGD: Nesterov momentum needs momentum > 0");
    this->groups_ = std::move(groups);
    for (auto& g : this->groups_)
      for (auto& p : g.params)  // a frozen parameter gets a buffer only if it is unfrozen and trained
        buf_.push_back(opt.momentum > 0 && p.tensor.requires_grad()
                           ? Tensor<T>::zeros(p.tensor.shape(), p.tensor.device())
                           : Tensor<T>());
  }
  SGD(const std::vector<nn::Parameter<T>>& params, SGDOptions opt)
      : SGD(std::vector<ParamGroup<T>>{{params, opt.lr, opt.weight_decay}}, opt) {}

  void step() override {
    NoGradGuard no_grad;
    ++this->steps_;
    this->for_each_param([&](const ParamGroup<T>& g, const nn::Parameter<T>& p, std::size_t k) {
      const Tensor<T> grad = this->grad_of(p, "SGD");
      if (!grad.defined()) return;
      if (opt_.momentum > 0 && !buf_[k].defined()) buf_[k] = Tensor<T>::zeros(p.tensor.shape(), p.tensor.device());
      kernels::sgd_update(p.tensor.device(), p.tensor.data(), grad.data(), buf_[k].defined() ? buf_[k].data() : nullptr,
                          p.tensor.numel(), g.lr, opt_.momentum, g.weight_decay, opt_.nesterov);
    });
  }

  std::vector<std::pair<std::string, Tensor<T>>> state() const override {
    std::vector<std::pair<std::string, Tensor<T>>> out;
    this->for_each_param([&](const ParamGroup<T>&, const nn::Parameter<T>& p, std::size_t k) {
      if (buf_[k].defined()) out.emplace_back("momentum_buffer." + p.name, buf_[k]);
    });
    return out;
  }

 private:
  SGDOptions opt_;
  std::vector<Tensor<T>> buf_;
};

}  // namespace tinylm::optim
