#pragma once
// ThreadPool: the threads behind every parallel CPU kernel.
//
// tinylm runs its own pool instead of OpenMP's, for one reason: a machine
// that is shared. OpenMP runtimes keep idle threads spinning for a long
// while after each parallel region (libgomp's default is 300,000 spins per
// wait), so when another process wants the cores, tinylm's waiting threads
// take the CPU away from it and from tinylm's own working thread; steps ran
// 1.6x to 50x slower that way. Here an idle worker spins for a short, fixed
// time (kSpin, long enough to catch the next kernel of a training step)
// and then sleeps in the kernel (a futex, through std::atomic::wait) until
// work arrives.
//
// One job at a time: run(chunks, f) calls f(i) once for every chunk i in
// [0, chunks). The caller works too: it and the workers claim chunks from
// one counter, so a worker that is asleep or descheduled never holds the
// job up (the caller simply does its chunks). Which thread runs a chunk
// does not matter to the result: kernels compute each chunk from its index
// alone, which keeps results a function of the data and the thread count.
//
// The job's state is one 32-bit word: an epoch (which job), an "open" bit
// (workers may join) and the number of workers inside. A worker joins only
// by a compare-and-swap on an open word, so once the caller has closed the
// job and seen the count fall to zero, no worker can touch the job again,
// and the next job's fields can be written.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace tinylm::kernels::cpu {

namespace detail {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Threads to use when nobody says: TINYLM_NUM_THREADS, else OMP_NUM_THREADS
/// (which users of OpenMP programs already set), else the CPUs this process
/// may run on.
inline int default_thread_count() {
  for (const char* var : {"TINYLM_NUM_THREADS", "OMP_NUM_THREADS"}) {
    if (const char* s = std::getenv(var)) {
      char* end = nullptr;
      const long n = std::strtol(s, &end, 10);
      if (end != s && n >= 1 && n <= 4096) return static_cast<int>(n);
    }
  }
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

/// True on a thread that is running a chunk: a kernel called from inside
/// another kernel's chunk runs on that thread alone.
inline bool& in_parallel_region() {
  thread_local bool inside = false;
  return inside;
}

}  // namespace detail

class ThreadPool {
 public:
  /// How long an idle worker spins before it sleeps. Kernels within a
  /// training step follow each other within microseconds; a pause longer
  /// than this is not worth burning a core for.
  static constexpr std::chrono::microseconds kSpin{100};

  static ThreadPool& instance() {
    static ThreadPool* pool = new ThreadPool();  // never destroyed: kernels may run during static destruction
    return *pool;
  }

  /// Threads a parallel job uses, the caller included.
  int size() const { return threads_.load(std::memory_order_relaxed); }

  /// Sets the number of threads; workers start on the next job.
  void resize(int n) {
    std::lock_guard<std::mutex> lock(run_mutex_);
    stop_workers();
    threads_.store(std::max(1, n), std::memory_order_relaxed);
  }

  /// Calls f(i) for i in [0, chunks), on up to size() threads. The first
  /// exception a chunk throws is rethrown here, after every chunk ended.
  template <class F>
  void run(int64_t chunks, F& f) {
    run(chunks, &call_chunk<F>, &f);
  }

  /// The same with the chunk function type-erased: one copy of the
  /// machinery per program, not one per kernel (compile time).
  void run(int64_t chunks, void (*fn)(void*, int64_t), void* ctx) {
    if (chunks <= 0) return;
    auto serial = [&] {
      for (int64_t i = 0; i < chunks; ++i) fn(ctx, i);
    };
    if (chunks == 1 || detail::in_parallel_region()) return serial();  // one chunk, or a kernel inside a kernel
    std::unique_lock<std::mutex> lock(run_mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return serial();  // another thread's job is in flight
    start_workers();
    job_fn_ = fn;
    job_ctx_ = ctx;
    job_chunks_ = chunks;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    epoch_ = (epoch_ + 1) & kEpochMask;
    state_.store((epoch_ << kEpochShift) | kOpen, std::memory_order_release);
    state_.notify_all();  // no system call unless a worker sleeps

    work();

    // Every chunk is claimed. Close the job to newcomers, then wait for the
    // workers still inside (each is finishing a chunk it claimed).
    uint32_t s = state_.fetch_and(~kOpen, std::memory_order_acq_rel) & ~kOpen;
    wait_while(s, Wait::WorkersInside, 0);
    if (failed_.load(std::memory_order_acquire)) std::rethrow_exception(error_);
  }

 private:
  static constexpr uint32_t kCountMask = 0x7fff;  // workers inside the job
  static constexpr uint32_t kOpen = 0x8000;       // the job takes newcomers
  static constexpr int kEpochShift = 16;
  static constexpr uint32_t kEpochMask = 0xffff;

  ThreadPool() : threads_(detail::default_thread_count()) {}

  /// Claims and runs chunks until none is left.
  void work() {
    const bool was_inside = detail::in_parallel_region();
    detail::in_parallel_region() = true;
    for (int64_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < job_chunks_;) {
      try {
        job_fn_(job_ctx_, i);
      } catch (...) {
        bool expected = false;
        if (failed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
          error_ = std::current_exception();
      }
    }
    detail::in_parallel_region() = was_inside;
  }

  template <class F>
  static void call_chunk(void* f, int64_t i) {
    (*static_cast<F*>(f))(i);
  }

  enum class Wait { WorkersInside, NoJob };

  /// While the caller waits for the workers to leave, or a worker for a job
  /// it may join (or for stop_).
  bool keep_waiting(uint32_t s, Wait what, uint32_t seen) const {
    if (what == Wait::WorkersInside) return (s & kCountMask) != 0;
    return !stop_.load(std::memory_order_relaxed) && !joinable(s, seen);
  }

  /// Re-reads state_ into s while keep_waiting: spins for kSpin, then sleeps.
  void wait_while(uint32_t& s, Wait what, uint32_t seen) {
    s = state_.load(std::memory_order_acquire);
    if (!keep_waiting(s, what, seen)) return;
    const auto until = std::chrono::steady_clock::now() + kSpin;
    for (int n = 1;; ++n) {
      detail::cpu_relax();
      s = state_.load(std::memory_order_acquire);
      if (!keep_waiting(s, what, seen)) return;
      if (n % 64 == 0 && std::chrono::steady_clock::now() >= until) break;
    }
    while (keep_waiting(s, what, seen)) {
      state_.wait(s, std::memory_order_acquire);
      s = state_.load(std::memory_order_acquire);
    }
  }

  /// `seen`: the epoch of the last job published before this worker started.
  void worker_loop(uint32_t seen) {
    for (;;) {
      uint32_t s;
      wait_while(s, Wait::NoJob, seen);
      if (stop_.load(std::memory_order_relaxed)) return;
      if (!state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      seen = epoch_of(s);
      work();
      const uint32_t left = state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
      if ((left & kCountMask) == 0 && !(left & kOpen)) state_.notify_all();  // the caller may be asleep
    }
  }

  static uint32_t epoch_of(uint32_t s) { return s >> kEpochShift; }
  static bool joinable(uint32_t s, uint32_t seen) { return (s & kOpen) && epoch_of(s) != seen; }

  void start_workers() {
    const int want = size() - 1;
    if (static_cast<int>(workers_.size()) == want) return;
    stop_workers();
    stop_.store(false, std::memory_order_relaxed);
    for (int t = 0; t < want; ++t) workers_.emplace_back([this, e = epoch_] { worker_loop(e); });
  }

  void stop_workers() {
    if (workers_.empty()) return;
    stop_.store(true, std::memory_order_relaxed);
    // A sleeping worker wakes only when the word changes: a new epoch that
    // is not open (so nobody joins it) wakes them all to see stop_.
    epoch_ = (epoch_ + 1) & kEpochMask;
    state_.store(epoch_ << kEpochShift, std::memory_order_release);
    state_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::mutex run_mutex_;  // one job at a time; held by the caller of run()
  std::atomic<int> threads_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};

  std::atomic<uint32_t> state_{0};
  uint32_t epoch_ = 0;  // written only under run_mutex_
  void (*job_fn_)(void*, int64_t) = nullptr;
  void* job_ctx_ = nullptr;
  int64_t job_chunks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

}  // namespace tinylm::kernels::cpu
