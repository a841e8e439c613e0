// A program built against tinylm::compiled (core/config.hpp): the headers
// in their separate-compilation mode, the library's out-of-line bodies and
// float instantiations. It parses none of Eigen's headers, and what it
// takes from the library computes what the definitions say: each check
// compares with values worked out here, and the process exits non-zero,
// naming the check, on the first that fails.
#include <tinylm/tinylm.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#if !defined(TINYLM_SEPARATE_COMPILATION)
#error "compiled_program must be built against tinylm::compiled"
#endif
#if defined(EIGEN_WORLD_VERSION)
#error "Eigen's headers reached a program built against tinylm::compiled"
#endif

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "compiled_program: FAILED: %s\n", what.c_str());
    ++failures;
  }
}

bool near(double a, double b, double tol = 1e-5) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

}  // namespace

int main() {
  using tinylm::Tensor;
  // linear<float> and its backward, from the library, against the sums.
  const std::vector<float> xv = {1, 2, 3, -1, 0.5f, 4}, wv = {0.5f, -1, 2, 1, 1, 1}, bv = {0.25f, -0.5f};
  auto x = Tensor<float>::from_vector(xv, {2, 3}).requires_grad_();
  auto w = Tensor<float>::from_vector(wv, {3, 2}).requires_grad_();
  auto b = Tensor<float>::from_vector(bv, {2}).requires_grad_();
  const auto y = tinylm::linear(x, w, b);  // y[i][j] = sum_k x[i][k] w[k][j] + b[j]
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      double want = bv[j];
      for (int k = 0; k < 3; ++k) want += double(xv[i * 3 + k]) * wv[k * 2 + j];
      expect(near(y.at({i, j}), want), "linear y[" + std::to_string(i) + "][" + std::to_string(j) + "]");
    }
  y.sum().backward();  // d/dw[k][j] = sum_i x[i][k]; d/dx[i][k] = sum_j w[k][j]; d/db[j] = 2
  for (int k = 0; k < 3; ++k) {
    expect(near(w.grad().at({k, 1}), xv[k] + xv[3 + k]), "linear dw[" + std::to_string(k) + "][1]");
    expect(near(x.grad().at({1, k}), wv[k * 2] + wv[k * 2 + 1]), "linear dx[1][" + std::to_string(k) + "]");
  }
  expect(near(b.grad().at({1}), 2), "linear db[1]");

  // The float gradcheck wrapper (an out-of-line body) on the library's layer_norm.
  tinylm::Generator gen(3);
  const auto in = Tensor<float>::randn({3, 5}, gen).requires_grad_();
  const auto gamma = Tensor<float>::randn({5}, gen).requires_grad_();
  const auto beta = Tensor<float>::randn({5}, gen).requires_grad_();
  const auto check = tinylm::gradcheck(
      [](const std::vector<Tensor<float>>& t) { return tinylm::pow(tinylm::layer_norm(t[0], t[1], t[2]), 2).sum(); },
      {in, gamma, beta});
  expect(check.ok, "gradcheck(layer_norm) in float: " + check.worst);

  // JSON's parser and writer (out-of-line bodies).
  const auto j = tinylm::io::Json::parse(R"({"n": 3, "s": "a\u00e9", "v": [1, 2.5]})");
  expect(j.at("n").as_int() == 3 && j.at("s").as_string() == "a\xc3\xa9" && j.at("v").as_array().size() == 2,
         "Json::parse");
  expect(tinylm::io::Json::parse(j.dump()).dump() == j.dump(), "Json dump round trip");

  // A tiny GPT (the layers' and AdamW's float instantiations) learns a
  // repeating sequence: the loss falls from about ln(V) to a tenth of it.
  tinylm::nn::GPT<float> model({7, 16, 1, 2, 8, 0.0}, 5);
  // decay_groups: AdamW's groups (weight decay on the matrices only), from the library.
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(model.named_parameters(), 1e-2, 0.0),
                                  tinylm::optim::AdamWOptions{1e-2});
  std::vector<int32_t> seq(9);
  for (int t = 0; t < 9; ++t) seq[t] = t % 7;
  const auto idx = Tensor<int32_t>::from_vector(std::vector<int32_t>(seq.begin(), seq.end() - 1), {1, 8});
  const auto tgt = Tensor<int32_t>::from_vector(std::vector<int32_t>(seq.begin() + 1, seq.end()), {1, 8});
  float first = 0, last = 0;
  for (int step = 0; step < 150; ++step) {
    const auto out = model.forward(idx, tgt);
    opt.zero_grad();
    out.loss.backward();
    opt.step();
    (step == 0 ? first : last) = out.loss.item();
  }
  expect(std::fabs(first - std::log(7.0)) < 0.5, "GPT's first loss is about ln 7, got " + std::to_string(first));
  expect(last < first / 10, "GPT's loss falls tenfold: " + std::to_string(first) + " -> " + std::to_string(last));

  if (failures == 0) std::printf("compiled_program: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
