#include "helpers.hpp"

using tinylm::Shape;
using tinylm::Tensor;

TEST_CASE("factories fill as asked") {
  CHECK(Tensor<float>::zeros({2, 3}).to_vector() == std::vector<float>(6, 0.f));
  CHECK(Tensor<float>::ones({4}).to_vector() == std::vector<float>(4, 1.f));
  CHECK(Tensor<double>::full({2}, 2.5).to_vector() == std::vector<double>{2.5, 2.5});
  CHECK(Tensor<int64_t>::arange(5).to_vector() == std::vector<int64_t>{0, 1, 2, 3, 4});
  CHECK(Tensor<double>::arange(1.0, 2.0, 0.25).to_vector() == std::vector<double>{1.0, 1.25, 1.5, 1.75});
  CHECK(Tensor<int32_t>::arange(5, 0, -2).to_vector() == std::vector<int32_t>{5, 3, 1});
  const auto v = Tensor<float>::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(v.shape() == Shape{2, 3});
  CHECK(v.at({1, 2}) == 6.f);
  CHECK(v.at({-1, -3}) == 4.f);
  CHECK(Tensor<double>::scalar(3.0).dim() == 0);
  CHECK(Tensor<double>::scalar(3.0).item() == 3.0);
}

TEST_CASE("storage is 64-byte aligned") {
  for (int64_t n : {1, 3, 17, 1000, 100000}) {
    const auto t = Tensor<float>::empty({n});
    CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % 64 == 0);
  }
}

TEST_CASE("random factories are reproducible by seed and roughly distributed as claimed") {
  tinylm::Generator g1(42), g2(42), g3(43);
  const auto a = Tensor<double>::randn({10000}, g1);
  const auto b = Tensor<double>::randn({10000}, g2);
  const auto c = Tensor<double>::randn({10000}, g3);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  double mean = 0, var = 0;
  for (double x : a.to_vector()) mean += x / 10000;
  for (double x : a.to_vector()) var += (x - mean) * (x - mean) / 10000;
  CHECK(std::fabs(mean) < 0.05);
  CHECK(std::fabs(var - 1.0) < 0.05);
  const auto u = Tensor<float>::rand({10000}, g1);
  for (float x : u.to_vector()) CHECK((x >= 0.f && x < 1.f));
  const auto r = Tensor<int64_t>::randint(3, 7, {1000}, g1);
  std::vector<int> hist(10, 0);
  for (int64_t x : r.to_vector()) {
    REQUIRE((x >= 3 && x < 7));
    ++hist[x];
  }
  for (int k = 3; k < 7; ++k) CHECK(hist[k] > 150);
}

TEST_CASE("copying a Tensor aliases; clone does not") {
  auto a = Tensor<float>::zeros({3});
  auto b = a;
  b.at({1}) = 5.f;
  CHECK(a.at({1}) == 5.f);
  auto c = a.clone();
  c.at({1}) = 7.f;
  CHECK(a.at({1}) == 5.f);
}

TEST_CASE("views share storage and read through strides") {
  auto t = Tensor<int64_t>::arange(24).reshape({2, 3, 4});
  auto tr = t.transpose(0, 2);  // [4, 3, 2]
  CHECK(tr.shape() == Shape{4, 3, 2});
  CHECK(!tr.is_contiguous());
  CHECK(tr.at({3, 1, 1}) == t.at({1, 1, 3}));
  auto p = t.permute({2, 0, 1});  // [4, 2, 3]
  CHECK(p.at({2, 1, 0}) == t.at({1, 0, 2}));
  auto n = t.narrow(2, 1, 2);  // [2, 3, 2]
  CHECK(n.to_vector() == std::vector<int64_t>{1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
  n.at({0, 0, 0}) = 100;
  CHECK(t.at({0, 0, 1}) == 100);
  auto s = t.slice(1, 0, 3, 2);  // rows 0 and 2
  CHECK(s.shape() == Shape{2, 2, 4});
  CHECK(s.at({1, 1, 3}) == 23);
  auto e = Tensor<int64_t>::arange(3).reshape({3, 1}).expand({3, 4});
  CHECK(e.strides() == Shape{1, 0});
  CHECK(e.to_vector() == std::vector<int64_t>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  CHECK(t.unsqueeze(0).shape() == Shape{1, 2, 3, 4});
  CHECK(t.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(t.unsqueeze(0).squeeze(0).shape() == Shape{2, 3, 4});
  CHECK(t.squeeze(0).shape() == Shape{2, 3, 4});  // size 2: unchanged, as PyTorch
  CHECK(t.select(1, -1).to_vector() == std::vector<int64_t>{8, 9, 10, 11, 20, 21, 22, 23});
  CHECK(t.slice(2, -2, 100).shape() == Shape{2, 3, 2});
}

TEST_CASE("reshape views contiguous data and copies otherwise") {
  auto t = Tensor<float>::arange(0.f, 6.f).reshape({2, 3});
  auto r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.storage_ptr() == t.storage_ptr());
  auto tt = t.transpose(0, 1).reshape({6});
  CHECK(tt.storage_ptr() != t.storage_ptr());
  CHECK(tt.to_vector() == std::vector<float>{0, 3, 1, 4, 2, 5});
  CHECK_THROWS_WITH_AS(t.transpose(0, 1).view({6}),
                       "view: tensor of shape [3, 2] with strides [1, 3] is not contiguous; use reshape() (which "
                       "copies) or contiguous() first",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(t.reshape({4, -1}), "reshape: shape [4, -1] is invalid for input of shape [2, 3] (6 elements)",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(t.reshape({-1, -1}), "reshape: only one dimension can be -1, got [-1, -1]", tinylm::Error);
  CHECK(t.flatten().shape() == Shape{6});
}

TEST_CASE("contiguous() returns the same tensor when already dense") {
  auto t = Tensor<float>::ones({2, 3});
  CHECK(t.contiguous().is_same(t));
  auto tr = t.transpose(0, 1);
  auto c = tr.contiguous();
  CHECK(c.is_contiguous());
  CHECK(c.to_vector() == tr.to_vector());
}

TEST_CASE("element access and misuse give clear errors") {
  auto t = Tensor<float>::zeros({2, 3});
  CHECK_THROWS_WITH_AS(t.at({2, 0}), "Tensor::at: index 2 is out of range for dim 0 of shape [2, 3]", tinylm::Error);
  CHECK_THROWS_WITH_AS(t.at({0}), "Tensor::at: 1 indices given for a tensor of shape [2, 3]", tinylm::Error);
  CHECK_THROWS_WITH_AS(t.item(), "Tensor::item: tensor of shape [2, 3] has 6 elements, item() needs exactly one",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(Tensor<float>().shape(), "Tensor: operation on an undefined tensor", tinylm::Error);
  CHECK_THROWS_WITH_AS(Tensor<float>::from_vector({1, 2, 3}, {2, 2}),
                       "Tensor::from_vector: 3 values cannot fill shape [2, 2] (4 elements)", tinylm::Error);
  CHECK_THROWS_WITH_AS(t.narrow(1, 2, 2), "narrow: start 2 and length 2 do not fit in dim 1 of size 3 (shape [2, 3])",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(t.expand({4, 3}), "expand: cannot expand shape [2, 3] to [4, 3] (dim 0: 2 vs 4)", tinylm::Error);
  CHECK_THROWS_WITH_AS(t.permute({0, 0}), "permute: dim 0 appears twice in [0, 0]", tinylm::Error);
  auto ids = Tensor<int64_t>::zeros({2});
  CHECK_THROWS_WITH_AS(ids.requires_grad_(),
                       "requires_grad_: only float32 and float64 tensors can require grad (this one is int64)",
                       tinylm::Error);
}

TEST_CASE("asking for a CUDA tensor where there is none is a clear error, from any factory or to()") {
  if constexpr (!tinylm::cuda_compiled()) {
    CHECK_THROWS_WITH_AS(Tensor<float>::empty({2}, tinylm::Device::cuda()),
                         "Storage: device cuda:0 requested, but this build of tinylm has no CUDA backend",
                         tinylm::Error);
    CHECK_THROWS_WITH_AS(Tensor<float>::ones({2}).to(tinylm::Device::cuda(1)),
                         "to: device cuda:1 requested, but this build of tinylm has no CUDA backend", tinylm::Error);
    CHECK(tinylm::cuda::device_count() == 0);
    CHECK(tinylm::cuda::unavailable_reason() ==
          "this build of tinylm has no CUDA backend (configure with -DTINYLM_CUDA=ON)");
  } else if (!tinylm::cuda::available()) {
    CHECK_THROWS_WITH_AS(
        Tensor<float>::zeros({2}, tinylm::Device::cuda()),
        ("Storage: device cuda:0 requested, but no CUDA device can be used: " + tinylm::cuda::unavailable_reason())
            .c_str(),
        tinylm::Error);
  } else {
    const int n = tinylm::cuda::device_count();
    CHECK_THROWS_WITH_AS(Tensor<float>::ones({2}).to(tinylm::Device::cuda(n)),
                         ("to: device cuda:" + std::to_string(n) + " requested, but this machine has " +
                          std::to_string(n) + " CUDA device" + (n == 1 ? "" : "s"))
                             .c_str(),
                         tinylm::Error);
  }
  // A tensor already on the CPU goes to the CPU as itself.
  const auto x = Tensor<float>::ones({2});
  CHECK(x.to(tinylm::Device::cpu()).is_same(x));
  CHECK(tinylm::Device::parse("cuda:1") == tinylm::Device::cuda(1));
  CHECK_THROWS_WITH_AS(tinylm::Device::parse("tpu"), "Device: unknown device 'tpu' (expected cpu, cuda or cuda:N)",
                       tinylm::Error);
}

TEST_CASE("in-place writes refuse graph tensors and leaves that require grad") {
  auto w = Tensor<float>::ones({2}).requires_grad_();
  CHECK_THROWS_WITH_AS(w.fill_(0.f),
                       "fill_: tensor of shape [2] is a leaf that requires grad; modify it in place only under "
                       "NoGradGuard",
                       tinylm::Error);
  {
    tinylm::NoGradGuard g;
    w.fill_(3.f);
  }
  CHECK(w.to_vector() == std::vector<float>{3.f, 3.f});
  auto e = Tensor<float>::zeros({1}).expand({3});
  CHECK_THROWS_WITH_AS(e.fill_(1.f),
                       "fill_: tensor of shape [3] is an expanded view (zero stride); writing into it would write one "
                       "element many times",
                       tinylm::Error);
  auto dst = Tensor<float>::zeros({2, 3});
  dst.copy_(Tensor<float>::from_vector({1, 2, 3}));
  CHECK(dst.to_vector() == std::vector<float>{1, 2, 3, 1, 2, 3});
  // copy_ from an overlapping view of itself goes through a temporary
  auto x = Tensor<float>::from_vector({1, 2, 3, 4}, {2, 2});
  x.copy_(x.transpose(0, 1));
  CHECK(x.to_vector() == std::vector<float>{1, 3, 2, 4});
}

TEST_CASE("cast converts element types") {
  const auto f = Tensor<float>::from_vector({1.7f, -2.2f});
  CHECK(tinylm::cast<int64_t>(f).to_vector() == std::vector<int64_t>{1, -2});
  CHECK(tinylm::cast<double>(f).to_vector()[0] == doctest::Approx(1.7).epsilon(1e-6));
}
