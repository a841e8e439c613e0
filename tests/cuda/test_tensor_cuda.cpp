// Tensors on a CUDA device: factories, transfers, copies of strided views,
// the caching allocator. Each compares with the same thing done on the CPU.

#include <cstdint>
#include <vector>

#include "cuda_test.hpp"

using tinylm::Device;
using tinylm::Tensor;

namespace {

template <class T>
Tensor<T> counting(const tinylm::Shape& shape) {
  auto t = Tensor<T>::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(i % 100 + 1);
  return t;
}

template <class T>
void round_trip() {
  const auto x = counting<T>({3, 5, 7});
  const auto d = x.to(Device::cuda());
  CHECK(d.device() == Device::cuda());
  CHECK(d.shape() == x.shape());
  CHECK(d.to_vector() == x.to_vector());
  const auto back = d.to(Device::cpu());
  CHECK(back.device() == Device::cpu());
  CHECK(back.to_vector() == x.to_vector());
}

}  // namespace

TINYLM_CUDA_TEST("cuda: every element type goes to the device and back unchanged") {
  round_trip<float>();
  round_trip<double>();
  round_trip<int64_t>();
  round_trip<int32_t>();
  round_trip<int16_t>();
  round_trip<uint16_t>();
  round_trip<uint8_t>();
  auto mask = Tensor<bool>::empty({9});
  for (int i = 0; i < 9; ++i) mask.data()[i] = i % 3 == 0;
  CHECK(mask.to(Device::cuda()).to_vector() == mask.to_vector());
}

TINYLM_CUDA_TEST("cuda: large transfers through the pinned staging halves arrive whole, in order") {
  // 64 KiB and up is staged in 4 MiB halves: sizes just under, at and past the chunk and an odd tail.
  for (int64_t n : {int64_t(16383), int64_t(16384), int64_t(1 << 20), int64_t((1 << 20) + 1), int64_t(3'500'001)}) {
    CAPTURE(n);
    auto host = Tensor<float>::empty({n});
    for (int64_t i = 0; i < n; ++i) host.data()[i] = static_cast<float>(i % 1000003) * 0.5f;
    const auto dev = host.to(Device::cuda());
    host.fill_(-1.f);  // the host's bytes were staged when to() returned: overwriting them changes nothing
    const auto back = dev.to(Device::cpu());
    bool same = true;
    for (int64_t i = 0; i < n && same; ++i) same = back.data()[i] == static_cast<float>(i % 1000003) * 0.5f;
    CHECK(same);
  }
}

TINYLM_CUDA_TEST("cuda: factories fill on the device; item() and to_vector() read back") {
  CHECK(Tensor<float>::zeros({4, 3}, Device::cuda()).to_vector() == std::vector<float>(12, 0.f));
  CHECK(Tensor<double>::ones({5}, Device::cuda()).to_vector() == std::vector<double>(5, 1.0));
  CHECK(Tensor<int64_t>::full({2, 2}, -7, Device::cuda()).to_vector() == std::vector<int64_t>(4, -7));
  CHECK(Tensor<float>::full({}, 2.5f, Device::cuda()).item() == 2.5f);
  CHECK(Tensor<float>::from_vector({1, 2, 3, 4}, {2, 2}, Device::cuda()).to_vector() == std::vector<float>{1, 2, 3, 4});
  CHECK(Tensor<float>::zeros({0, 3}, Device::cuda()).to_vector().empty());
  CHECK_THROWS_WITH_AS(Tensor<float>::zeros({2}, Device::cuda()).at({0}),
                       "Tensor::at: the tensor is on cuda:0; at() refers to host memory (copy it with "
                       ".to(Device::cpu()) first)",
                       tinylm::Error);
}

TINYLM_CUDA_TEST("cuda: views of device tensors copy, fill and read back as on the CPU") {
  const auto x = counting<float>({4, 6, 5});
  const auto d = x.to(Device::cuda());
  // Transposed, narrowed and expanded views read through their strides.
  CHECK(d.transpose(0, 2).to_vector() == x.transpose(0, 2).to_vector());
  CHECK(d.narrow(1, 2, 3).to_vector() == x.narrow(1, 2, 3).to_vector());
  CHECK(d.select(0, 3).to_vector() == x.select(0, 3).to_vector());
  CHECK(d.narrow(2, 1, 1).expand({4, 6, 3}).to_vector() == x.narrow(2, 1, 1).expand({4, 6, 3}).to_vector());
  // contiguous() and clone() make dense device copies.
  const auto t = d.transpose(0, 1).contiguous();
  CHECK(t.device() == Device::cuda());
  CHECK(t.is_contiguous());
  CHECK(t.to_vector() == x.transpose(0, 1).contiguous().to_vector());
  CHECK(d.clone().to_vector() == x.to_vector());
  // fill_ and copy_ into strided views, the source on either device.
  auto a = x.clone(), b = d.clone();
  auto av = a.narrow(1, 1, 4), bv = b.narrow(1, 1, 4);
  av.fill_(-1.f);
  bv.fill_(-1.f);
  CHECK(b.to_vector() == a.to_vector());
  const auto src = counting<float>({6, 5});
  a.select(0, 2).copy_(src);
  b.select(0, 2).copy_(src);                     // from the host
  b.select(0, 1).copy_(src.to(Device::cuda()));  // on the device
  a.select(0, 1).copy_(src);
  CHECK(b.to_vector() == a.to_vector());
}

TINYLM_CUDA_TEST("cuda: to() is differentiable: the gradient comes back to the input's device") {
  auto x = counting<double>({3, 4}).requires_grad_();
  const auto y = x.to(Device::cuda()).to(Device::cpu());
  CHECK(y.grad_fn_name() == "to");
  y.sum().backward();
  CHECK(x.grad().device() == Device::cpu());
  CHECK(x.grad().to_vector() == std::vector<double>(12, 1.0));
}

TINYLM_CUDA_TEST("cuda: the caching allocator reuses freed device blocks (no cudaMalloc in a steady loop)") {
#ifdef TINYLM_CUDA  // (a CPU-only build has no device allocator; the test reports itself skipped there)
  auto& alloc = tinylm::cuda::CachingAllocator::instance();
  for (int warm = 0; warm < 2; ++warm) (void)Tensor<float>::zeros({1000, 1000}, Device::cuda());
  const auto before = alloc.stats(0);
  for (int i = 0; i < 50; ++i) {
    const auto a = Tensor<float>::zeros({1000, 1000}, Device::cuda());
    const auto b = Tensor<float>::ones({1000, 1000}, Device::cuda());
    CHECK(alloc.stats(0).bytes_in_use >= before.bytes_in_use + 2 * 4'000'000);
  }
  const auto after = alloc.stats(0);
  CHECK(after.system_allocations <= before.system_allocations + 1);  // the second block, at most once
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.bytes_cached >= 4'000'000);
  alloc.empty_cache(0);
  CHECK(alloc.stats(0).bytes_cached == 0);
#endif
}

TINYLM_CUDA_TEST("cuda: an op given tensors on two devices names the op and both devices") {
  const auto a = Tensor<float>::ones({2, 2}), b = Tensor<float>::ones({2, 2}, Device::cuda());
  CHECK_THROWS_WITH_AS(tinylm::add(a, b), "add: a is on cpu and b on cuda:0; move one with .to(device) first",
                       tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::matmul(b, a), "matmul: a is on cuda:0 and b on cpu; move one with .to(device) first",
                       tinylm::Error);
}
