#include <atomic>
#include <stdexcept>
#include <thread>

#include "helpers.hpp"

namespace k = tinylm::kernels::cpu;

namespace {

/// Restores the thread count a test changed.
struct ThreadsGuard {
  int before = tinylm::num_threads();
  ~ThreadsGuard() { tinylm::set_num_threads(before); }
};

}  // namespace

TEST_CASE("ThreadPool::run calls every chunk exactly once, job after job, at every size") {
  ThreadsGuard guard;
  for (int threads : {1, 2, 3, 5}) {
    tinylm::set_num_threads(threads);
    CHECK(tinylm::num_threads() == threads);
    for (int64_t chunks : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{64}}) {
      std::vector<std::atomic<int>> hits(static_cast<std::size_t>(chunks));
      for (int job = 0; job < 200; ++job) {
        auto f = [&](int64_t i) { hits[static_cast<std::size_t>(i)].fetch_add(1); };
        k::ThreadPool::instance().run(chunks, f);
      }
      INFO("threads " << threads << ", chunks " << chunks);
      for (auto& h : hits) CHECK(h.load() == 200);
    }
  }
}

TEST_CASE("parallel_for splits [0, n) into contiguous chunks that depend only on n and the thread count") {
  ThreadsGuard guard;
  for (int threads : {1, 2, 4}) {
    tinylm::set_num_threads(threads);
    const int64_t n = 1'000'003;
    std::vector<int> owner(static_cast<std::size_t>(n), -1);
    std::vector<std::pair<int64_t, int64_t>> ranges(8, {-1, -1});
    std::atomic<int> calls{0};
    k::parallel_for(n, 1, [&](int64_t b, int64_t e) {
      const int c = calls.fetch_add(1);
      ranges[static_cast<std::size_t>(c)] = {b, e};
      for (int64_t i = b; i < e; ++i) owner[static_cast<std::size_t>(i)] = c;
    });
    INFO("threads " << threads);
    CHECK(calls.load() == threads);
    for (int v : owner) REQUIRE(v >= 0);  // every index covered once (ranges do not overlap: see below)
    std::sort(ranges.begin(), ranges.begin() + threads);
    const int64_t chunk = (n + threads - 1) / threads;
    for (int t = 0; t < threads; ++t) {
      CHECK(ranges[t].first == t * chunk);
      CHECK(ranges[t].second == std::min(n, (t + 1) * chunk));
    }
  }
}

TEST_CASE("a kernel inside a kernel runs on the calling thread; below the grain nothing is split") {
  ThreadsGuard guard;
  tinylm::set_num_threads(2);
  std::atomic<int> outer{0}, inner{0};
  k::parallel_for(int64_t{2}, k::kParallelGrain, [&](int64_t b, int64_t e) {
    outer.fetch_add(static_cast<int>(e - b));
    k::parallel_for(int64_t{1000}, k::kParallelGrain, [&](int64_t ib, int64_t ie) {
      CHECK(ib == 0);
      CHECK(ie == 1000);  // one call: no second job while one runs
      inner.fetch_add(1);
    });
  });
  CHECK(outer.load() == 2);
  CHECK(inner.load() == 2);
  int calls = 0;
  k::parallel_for(int64_t{100}, 1, [&](int64_t b, int64_t e) {
    ++calls;
    CHECK(b == 0);
    CHECK(e == 100);
  });
  CHECK(calls == 1);
}

TEST_CASE("an exception thrown in a chunk reaches the caller after every chunk ended, and the pool goes on") {
  ThreadsGuard guard;
  tinylm::set_num_threads(3);
  std::atomic<int> ran{0};
  auto f = [&](int64_t i) {
    ran.fetch_add(1);
    if (i == 5) throw std::runtime_error("chunk 5 failed");
  };
  CHECK_THROWS_WITH(k::ThreadPool::instance().run(int64_t{16}, f), "chunk 5 failed");
  CHECK(ran.load() == 16);
  std::atomic<int> after{0};
  auto g = [&](int64_t) { after.fetch_add(1); };
  k::ThreadPool::instance().run(int64_t{16}, g);
  CHECK(after.load() == 16);
}

TEST_CASE("two application threads calling kernels at once both get complete, correct results") {
  ThreadsGuard guard;
  tinylm::set_num_threads(2);
  const int64_t n = 1 << 18;
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size()), out1(a.size()), out2(a.size());
  for (int64_t i = 0; i < n; ++i) a[static_cast<std::size_t>(i)] = float(i % 97), b[static_cast<std::size_t>(i)] = 2;
  auto work = [&](std::vector<float>& out) {
    for (int rep = 0; rep < 50; ++rep)
      k::map2(out.data(), a.data(), b.data(), n, [](float x, float y) { return x * y + 1; });
  };
  std::thread t1(work, std::ref(out1)), t2(work, std::ref(out2));
  t1.join();
  t2.join();
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(out1[static_cast<std::size_t>(i)] == float(i % 97) * 2 + 1);
    REQUIRE(out2[static_cast<std::size_t>(i)] == float(i % 97) * 2 + 1);
  }
}

TEST_CASE("set_num_threads refuses less than one thread") {
  CHECK_THROWS_WITH_AS(tinylm::set_num_threads(0), "set_num_threads: need at least 1 thread, got 0", tinylm::Error);
}

TEST_CASE("workers that fell asleep between jobs wake for the next one") {
  ThreadsGuard guard;
  tinylm::set_num_threads(2);
  std::atomic<bool> other_thread{false};
  for (int job = 0; job < 5; ++job) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // far past the spin: the worker sleeps
    std::atomic<int> hits{0};
    const auto caller = std::this_thread::get_id();
    auto f = [&](int64_t) {
      hits.fetch_add(1);
      if (std::this_thread::get_id() != caller) other_thread = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // long enough for the worker to join
    };
    k::ThreadPool::instance().run(int64_t{8}, f);
    CHECK(hits.load() == 8);
  }
  CHECK(other_thread.load());  // the worker woke and took part (5 jobs of 8 chunks of 2 ms)
}
