#pragma once
// nn::Dropout: dropout with probability p in training mode, the identity in
// eval mode. It draws its masks from a Generator: the one it is given (a
// model owns one, so that a checkpoint can save it and a resumed run
// continues the same random stream), or, without one, tinylm's
// default_generator() (as PyTorch uses its global generator). With p = 0 it
// draws nothing.

#include "tinylm/nn/module.hpp"
#include "tinylm/ops/dropout.hpp"

namespace tinylm::nn {

template <FloatElement Float>
class Dropout : public Module<Float> {
 public:
  Dropout(double p, Generator& gen) : p_(check(p)), gen_(&gen) {}
  /// Draws from default_generator() (only when p > 0).
  explicit Dropout(double p = 0.0) : p_(check(p)), gen_(&default_generator()) {}

  Tensor<Float> forward(const Tensor<Float>& x) const { return dropout(x, p_, this->is_training(), *gen_); }
  double p() const { return p_; }

 private:
  static double check(double p) {
    TINYLM_CHECK(p >= 0.0 && p < 1.0, "Dropout: probability must be in [0, 1), got ", p);
    return p;
  }

  double p_;
  Generator* gen_;
};

}  // namespace tinylm::nn
