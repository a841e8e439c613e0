#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

TEST_CASE("binary_strided broadcasts through zero strides and merges dims") {
  // out[i, j, l] = a[i, 0, l] + b[j, l] over [3, 4, 17] (17: not a SIMD multiple)
  const int64_t I = 3, J = 4, L = 17;
  std::vector<float> a(I * L), b(J * L), out(I * J * L);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = float(i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = float(1000 * i);
  const int64_t shape[3] = {I, J, L}, sa[3] = {L, 0, 1}, sb[3] = {0, L, 1};
  k::binary_strided(out.data(), a.data(), sa, b.data(), sb, shape, 3, [](float x, float y) { return x + y; });
  for (int64_t i = 0; i < I; ++i)
    for (int64_t j = 0; j < J; ++j)
      for (int64_t l = 0; l < L; ++l) CHECK(out[(i * J + j) * L + l] == a[i * L + l] + b[j * L + l]);
}

TEST_CASE("copy_strided transposes") {
  std::vector<int> src{0, 1, 2, 3, 4, 5}, dst(6);  // src [2, 3] read as its transpose [3, 2]
  const int64_t shape[2] = {3, 2}, ss[2] = {1, 3}, ds[2] = {2, 1};
  k::copy_strided(dst.data(), ds, src.data(), ss, shape, 2);
  CHECK(dst == std::vector<int>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("large maps run in parallel and give the serial answer") {
  const int64_t n = 1 << 20;
  std::vector<double> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = double(i % 97);
  k::map(y.data(), x.data(), n, [](double v) { return v * v + 1; });
  for (int64_t i = 0; i < n; i += 4099) CHECK(y[i] == x[i] * x[i] + 1);
}

TEST_CASE("sum_axis and max_axis reduce the middle axis") {
  // in [2, 3, 4] = arange(24)
  std::vector<double> in(24);
  for (int i = 0; i < 24; ++i) in[i] = i;
  std::vector<double> s(8), m(8);
  std::vector<int64_t> arg(8);
  k::sum_axis(s.data(), in.data(), 2, 3, 4);
  k::max_axis(m.data(), arg.data(), in.data(), 2, 3, 4);
  CHECK(s == std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57});
  CHECK(m == std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(arg == std::vector<int64_t>(8, 2));
  std::vector<double> rows(2);
  k::sum_axis(rows.data(), in.data(), 2, 12, 1);
  CHECK(rows == std::vector<double>{66, 210});
}

TEST_CASE("max_axis returns the first index of ties and propagates NaN") {
  std::vector<float> in{1, 3, 3, 2, NAN, 5};
  float m[2];
  int64_t a[2];
  k::max_axis(m, a, in.data(), 2, 3, 1);
  CHECK(m[0] == 3.f);
  CHECK(a[0] == 1);
  CHECK(std::isnan(m[1]));
  CHECK(a[1] == 1);
}
