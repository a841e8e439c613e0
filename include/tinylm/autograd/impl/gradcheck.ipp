#pragma once
// The bodies of autograd/gradcheck.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/autograd/gradcheck.hpp"

namespace tinylm::autograd {

TINYLM_DECL GradcheckResult gradcheck(const std::function<Tensor<double>(const std::vector<Tensor<double>>&)>& f,
                                      const std::vector<Tensor<double>>& inputs, GradcheckOptions opt) {
  return detail::gradcheck<double>(f, inputs, opt);
}

TINYLM_DECL GradcheckResult gradcheck(const std::function<Tensor<float>(const std::vector<Tensor<float>>&)>& f,
                                      const std::vector<Tensor<float>>& inputs, GradcheckOptions opt) {
  return detail::gradcheck<float>(f, inputs, opt);
}

}  // namespace tinylm::autograd
