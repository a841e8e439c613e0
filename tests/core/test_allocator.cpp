#include "helpers.hpp"

using tinylm::CachingAllocator;

TEST_CASE("size classes round up and never shrink a request") {
  CHECK(CachingAllocator::size_class(1) == 64);
  CHECK(CachingAllocator::size_class(64) == 64);
  CHECK(CachingAllocator::size_class(65) == 128);
  CHECK(CachingAllocator::size_class(4096) == 4096);
  CHECK(CachingAllocator::size_class(4097) == 4096 + 512);
  for (std::size_t n : {1u, 100u, 5000u, 70000u, 1000001u, 123456789u}) {
    const std::size_t c = CachingAllocator::size_class(n);
    CHECK(c >= n);
    CHECK(c % 64 == 0);
    CHECK(c <= n + n / 8 + 64);  // at most 12.5% (or one line) of waste
  }
}

TEST_CASE("freed buffers are reused, so a repeated step allocates nothing new") {
#ifdef TINYLM_ALLOCATOR_NO_CACHE
  MESSAGE("caching is off under AddressSanitizer; nothing to check");
#else
  auto step = [] {
    auto a = tinylm::Tensor<float>::ones({256, 64});
    auto b = tinylm::Tensor<float>::ones({64, 32});
    return tinylm::matmul(a, b).sum().item();
  };
  CHECK(step() == doctest::Approx(256.0 * 32 * 64));
  const auto before = CachingAllocator::instance().stats().system_allocations;
  for (int i = 0; i < 5; ++i) step();
  CHECK(CachingAllocator::instance().stats().system_allocations == before);
#endif
}

TEST_CASE("bytes in use go back down when tensors die") {
  const auto before = CachingAllocator::instance().stats().bytes_in_use;
  {
    auto t = tinylm::Tensor<double>::zeros({1000});
    CHECK(CachingAllocator::instance().stats().bytes_in_use >= before + 8000);
  }
  CHECK(CachingAllocator::instance().stats().bytes_in_use == before);
}
