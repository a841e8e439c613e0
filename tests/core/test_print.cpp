#include <fstream>
#include <map>
#include <sstream>

#include "helpers.hpp"

using tinylm::Tensor;

namespace {

// Cases written by tests/golden/make_print_cases.py from PyTorch's repr().
std::map<std::string, std::string> load_cases() {
  std::ifstream in(TINYLM_GOLDEN_DIR "/print_cases.txt");
  REQUIRE(in.good());
  std::map<std::string, std::string> cases;
  std::string line, name;
  while (std::getline(in, line)) {
    if (line.rfind("== ", 0) == 0) {
      name = line.substr(3);
      continue;
    }
    auto& text = cases[name];
    text += (text.empty() ? "" : "\n") + line;
  }
  return cases;
}

std::string printed(const std::string& name) {
  using tinylm::to_string;
  if (name == "int_valued") return to_string(Tensor<float>::from_vector({1, 2, 3, 4}, {2, 2}));
  if (name == "decimals_requires_grad")
    return to_string(Tensor<float>::from_vector({1.5, 2, 3, 4}, {2, 2}).requires_grad_());
  if (name == "sci_small") return to_string(Tensor<float>::from_vector({1e-5f, 1.f}));
  if (name == "summarized_vector") return to_string(Tensor<float>::arange(0.f, 2000.f));
  if (name == "int_3d") return to_string(Tensor<int64_t>::arange(24).reshape({2, 3, 4}));
  if (name == "empty_2d") return to_string(Tensor<float>::zeros({2, 0}));
  if (name == "scalar") return to_string(Tensor<float>::scalar(3.f));
  if (name == "nan_inf") return to_string(Tensor<float>::from_vector({-1.25f, NAN, INFINITY}));
  if (name == "summarized_matrix_f64") return to_string(Tensor<double>::arange(0.0, 1200.0).reshape({40, 30}) / 7.0);
  if (name == "bool") return to_string(Tensor<bool>::from_vector({true, false}));
  if (name == "int32") return to_string(Tensor<int32_t>::from_vector({1, -2}));
  if (name == "wrapped") return to_string(Tensor<float>::arange(0.f, 30.f) * 1.5f);
  if (name == "zeros") return to_string(Tensor<float>::zeros({3}));
  if (name == "summarized_3d") return to_string(Tensor<int64_t>::arange(2000).reshape({10, 10, 20}));
  if (name == "negative_decimals") return to_string(Tensor<float>::from_vector({-0.5f, 0.25f, 0.125f, -3.f}, {2, 2}));
  FAIL("no tinylm construction for case " << name);
  return {};
}

}  // namespace

TEST_CASE("tensors print exactly as PyTorch prints them") {
  const auto cases = load_cases();
  CHECK(cases.size() >= 15);
  for (const auto& c : cases) {
    const std::string& name = c.first;  // INFO captures it: not a structured binding (Clang 14)
    INFO("case " << name);
    CHECK(printed(name) == c.second);
  }
}

TEST_CASE("printing shows grad_fn for graph tensors and streams with <<") {
  auto x = Tensor<float>::ones({2}).requires_grad_();
  std::ostringstream os;
  os << x * 2.f;
  CHECK(os.str() == "tensor([2., 2.], grad_fn=<mul_scalar>)");
  CHECK(tinylm::to_string(Tensor<float>()) == "tensor(undefined)");
}
