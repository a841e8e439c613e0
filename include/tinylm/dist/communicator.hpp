#pragma once
// The collectives data-parallel training needs, behind one interface:
// broadcast, all-reduce (blocking and non-blocking), reduce-scatter and
// all-gather of float, double and int64 buffers, and a barrier.
//
// Two implementations: SingleProcess (a world of one: what a program runs
// on without MPI, so the same training code serves both) and, with
// TINYLM_MPI, dist/mpi.hpp's MpiCommunicator over Open MPI. Every rank must
// call the same collectives in the same order, as MPI requires.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "tinylm/core/error.hpp"

namespace tinylm::dist {

/// The element types the collectives move.
enum class ElemType { F32, F64, I64 };

template <class T>
constexpr ElemType elem_type() {
  if constexpr (std::is_same_v<T, float>) return ElemType::F32;
  else if constexpr (std::is_same_v<T, double>) return ElemType::F64;
  else {
    static_assert(std::is_same_v<T, int64_t>, "collectives move float, double or int64_t");
    return ElemType::I64;
  }
}

inline std::size_t elem_size(ElemType t) { return t == ElemType::F32 ? 4 : 8; }

/// A collective in flight (a non-blocking all-reduce).
class Request {
 public:
  virtual ~Request() = default;
  /// True once it has completed; lets the library make progress.
  virtual bool test() = 0;
  /// Waits until it completes (or the communicator's timeout ends the wait with an Error).
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  virtual void barrier() = 0;
  /// root's `bytes` bytes at `data` to every rank.
  virtual void broadcast_bytes(void* data, int64_t bytes, int root) = 0;
  /// data[i] = the sum over ranks of data[i], on every rank.
  virtual void allreduce_sum(void* data, int64_t n, ElemType t) = 0;
  /// The same, started now; `data` must stay alive and untouched until the request completes.
  virtual std::unique_ptr<Request> iallreduce_sum(void* data, int64_t n, ElemType t) = 0;
  /// in holds size() blocks of `per_rank` elements; out = the sum over ranks of block rank().
  virtual void reduce_scatter_sum(const void* in, void* out, int64_t per_rank, ElemType t) = 0;
  /// out = the `per_rank` elements of `in` of every rank, in rank order.
  virtual void allgather(const void* in, void* out, int64_t per_rank, ElemType t) = 0;

  // Typed forms.
  template <class T>
  void allreduce_sum(T* data, int64_t n) {
    allreduce_sum(static_cast<void*>(data), n, elem_type<T>());
  }
  template <class T>
  std::unique_ptr<Request> iallreduce_sum(T* data, int64_t n) {
    return iallreduce_sum(static_cast<void*>(data), n, elem_type<T>());
  }
  template <class T>
  void reduce_scatter_sum(const T* in, T* out, int64_t per_rank) {
    reduce_scatter_sum(static_cast<const void*>(in), static_cast<void*>(out), per_rank, elem_type<T>());
  }
  template <class T>
  void allgather(const T* in, T* out, int64_t per_rank) {
    allgather(static_cast<const void*>(in), static_cast<void*>(out), per_rank, elem_type<T>());
  }
  template <class T>
  void broadcast(T* data, int64_t n, int root) {
    broadcast_bytes(static_cast<void*>(data), n * static_cast<int64_t>(sizeof(T)), root);
  }
  /// root's string on every rank.
  void broadcast(std::string& s, int root) {
    int64_t n = static_cast<int64_t>(s.size());
    broadcast(&n, 1, root);
    s.resize(static_cast<std::size_t>(n));
    broadcast_bytes(s.data(), n, root);
  }
  /// The sum over ranks of one number.
  template <class T>
  T sum(T x) {
    allreduce_sum(&x, 1);
    return x;
  }
};

/// A world of one process: every collective is a copy or nothing.
class SingleProcess final : public Communicator {
 public:
  // The typed forms of Communicator, which the overrides below would hide.
  using Communicator::allgather;
  using Communicator::allreduce_sum;
  using Communicator::iallreduce_sum;
  using Communicator::reduce_scatter_sum;

  int rank() const override { return 0; }
  int size() const override { return 1; }
  void barrier() override {}
  void broadcast_bytes(void*, int64_t, int root) override { check_root(root); }
  void allreduce_sum(void*, int64_t, ElemType) override {}
  std::unique_ptr<Request> iallreduce_sum(void*, int64_t, ElemType) override { return std::make_unique<Done>(); }
  void reduce_scatter_sum(const void* in, void* out, int64_t per_rank, ElemType t) override {
    copy(in, out, per_rank, t);
  }
  void allgather(const void* in, void* out, int64_t per_rank, ElemType t) override { copy(in, out, per_rank, t); }

 private:
  struct Done final : Request {
    bool test() override { return true; }
    void wait() override {}
  };
  static void check_root(int root) { TINYLM_CHECK(root == 0, "broadcast: root ", root, " is not a rank of 1"); }
  static void copy(const void* in, void* out, int64_t n, ElemType t) {
    if (in != out && n > 0) std::memmove(out, in, static_cast<std::size_t>(n) * elem_size(t));
  }
};

}  // namespace tinylm::dist
