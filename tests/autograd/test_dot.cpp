#include <regex>

#include "helpers.hpp"

using tinylm::Tensor;

namespace {

int count(const std::string& s, const std::string& needle) {
  int n = 0;
  for (std::size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("to_dot draws ops with shapes, named parameters and plain inputs, and every edge once") {
  auto a = Tensor<double>::ones({2, 3}).requires_grad_();
  auto b = Tensor<double>::ones({3}).requires_grad_();
  auto c = Tensor<double>::ones({2, 3});  // needs no grad: not drawn
  const auto loss = (a * b + a + c).sum();
  const std::string dot = tinylm::autograd::to_dot(loss, {{"weight", a}});
  CHECK(dot.rfind("digraph tinylm {", 0) == 0);
  CHECK(count(dot, "label=\"sum\\n[]\"") == 1);
  CHECK(count(dot, "label=\"mul\\n[2, 3]\"") == 1);
  CHECK(count(dot, "label=\"add\\n[2, 3]\"") == 2);
  CHECK(count(dot, "label=\"weight\\n[2, 3]\"") == 1);  // the named parameter, declared once though used twice
  CHECK(count(dot, "label=\"input\\n[3]\"") == 1);
  CHECK(count(dot, " -> ") == 6);     // a->mul, b->mul, mul->add, a->add, add->add, add->sum
  CHECK(count(dot, "#fdd49e") == 1);  // the root is highlighted
}

TEST_CASE("to_dot of a leaf is a single node") {
  auto a = Tensor<float>::ones({4}).requires_grad_();
  const std::string dot = tinylm::autograd::to_dot(a);
  CHECK(count(dot, "label=\"input\\n[4]\"") == 1);
  CHECK(count(dot, " -> ") == 0);
}
