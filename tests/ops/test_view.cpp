#include "helpers.hpp"

using th::leaf;
using th::TensorList;
using tinylm::Shape;
using tinylm::Tensor;

TEST_CASE("gradcheck: every view op") {
  auto x = leaf({2, 3, 4}, 1);
  th::check_grad([](const TensorList& in) { return in[0].reshape({6, 4}) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].transpose(0, 2) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].permute({1, 2, 0}) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].narrow(2, 1, 2) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].slice(1, 0, 3, 2) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].select(0, 1) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].unsqueeze(1).expand({2, 5, 3, 4}) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].unsqueeze(0).squeeze(0).flatten() * 1.0; }, {x});
  // a reshape of a non-contiguous view has to copy, and still carries the gradient
  th::check_grad([](const TensorList& in) { return in[0].transpose(0, 1).reshape({-1}) * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].transpose(0, 1).contiguous() * 1.0; }, {x});
  th::check_grad([](const TensorList& in) { return in[0].transpose(1, 2).clone() * 1.0; }, {x});
}

TEST_CASE("view backward writes gradients into the viewed region only (known values)") {
  auto x = Tensor<double>::zeros({2, 4}).requires_grad_();
  (x.slice(1, 1, 4, 2) * Tensor<double>::from_vector({1, 2})).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 0, 2, 0, 1, 0, 2});
  auto y = Tensor<double>::zeros({3}).requires_grad_();
  y.reshape({3, 1}).expand({3, 4}).sum().backward();
  CHECK(y.grad().to_vector() == std::vector<double>{4, 4, 4});
}
