#pragma once
// MPI behind dist::Communicator (built with TINYLM_MPI: CMake finds Open
// MPI with find_package(MPI) and links MPI::MPI_CXX into tinylm::tinylm).
//
//   int main(int argc, char** argv) {
//     tinylm::dist::MpiEnvironment mpi(argc, argv);   // MPI_Init ... MPI_Finalize
//     tinylm::dist::MpiCommunicator world;            // MPI_COMM_WORLD
//     ...                                             // mpirun -np 4 ./program
//   }
//
// Every collective is MPI's non-blocking one, waited for by polling with a
// deadline (TINYLM_MPI_TIMEOUT seconds, 300 by default): a rank whose peer
// died or stopped does not hang forever but gets a tinylm::Error saying
// so, and MpiCommunicator::abort() then ends every rank (MPI_Abort). MPI
// errors are returned, not fatal, and become tinylm::Error with MPI's
// message. Counts past INT_MAX are sent in parts.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tinylm/core/checked.hpp"
#include "tinylm/dist/communicator.hpp"

namespace tinylm::dist {

namespace detail {

inline void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw Error(tinylm::detail::str_cat("MPI: ", call, " failed: ", std::string(msg, static_cast<std::size_t>(len))));
}

inline MPI_Datatype mpi_type(ElemType t) {
  switch (t) {
    case ElemType::F32: return MPI_FLOAT;
    case ElemType::F64: return MPI_DOUBLE;
    case ElemType::I64: return MPI_INT64_T;
  }
  return MPI_BYTE;
}

/// The seconds a collective may take: TINYLM_MPI_TIMEOUT, else 300.
inline double default_timeout() {
  if (const char* s = std::getenv("TINYLM_MPI_TIMEOUT")) {
    const double t = parse_number(s, "TINYLM_MPI_TIMEOUT");
    TINYLM_CHECK(t > 0, "TINYLM_MPI_TIMEOUT must be positive, got ", s);
    return t;
  }
  return 300.0;
}

}  // namespace detail

/// MPI_Init_thread (funneled: only the main thread calls MPI) and, at the
/// end of its scope, MPI_Finalize.
class MpiEnvironment {
 public:
  MpiEnvironment(int& argc, char**& argv) {
    int done = 0;
    MPI_Initialized(&done);
    if (done) return;
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owner_ = true;
  }
  ~MpiEnvironment() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  /// True when this process was started by mpirun (Open MPI's or a PMIx launcher's variables are set).
  static bool launched_by_mpirun() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
           std::getenv("PMI_SIZE") != nullptr;
  }

 private:
  bool owner_ = false;
};

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm = MPI_COMM_WORLD, double timeout_s = detail::default_timeout())
      : comm_(comm), timeout_(timeout_s) {
    detail::check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    detail::check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    detail::check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }

  // The typed forms of Communicator, which the overrides below would hide.
  using Communicator::allgather;
  using Communicator::allreduce_sum;
  using Communicator::iallreduce_sum;
  using Communicator::reduce_scatter_sum;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  double timeout() const { return timeout_; }
  void set_timeout(double seconds) {
    TINYLM_CHECK(seconds > 0, "MpiCommunicator: the timeout must be positive, got ", seconds);
    timeout_ = seconds;
  }

  /// Ends every rank of the job (MPI_Abort): for an error after which the
  /// others would wait on a collective this rank never joins.
  [[noreturn]] void abort(int code) const {
    MPI_Abort(comm_, code);
    std::_Exit(code);
  }

  void barrier() override {
    MPI_Request r;
    detail::check_mpi(MPI_Ibarrier(comm_, &r), "MPI_Ibarrier");
    wait({r}, "a barrier");
  }

  void broadcast_bytes(void* data, int64_t bytes, int root) override {
    TINYLM_CHECK(root >= 0 && root < size_, "broadcast: root ", root, " is not a rank of ", size_);
    std::vector<MPI_Request> rs;
    auto* p = static_cast<char*>(data);
    for (int64_t at = 0; at < bytes; at += kChunk) {
      rs.emplace_back();
      detail::check_mpi(MPI_Ibcast(p + at, part(bytes - at), MPI_BYTE, root, comm_, &rs.back()), "MPI_Ibcast");
    }
    wait(std::move(rs), "a broadcast of " + std::to_string(bytes) + " bytes");
  }

  void allreduce_sum(void* data, int64_t n, ElemType t) override { iallreduce_sum(data, n, t)->wait(); }

  std::unique_ptr<Request> iallreduce_sum(void* data, int64_t n, ElemType t) override {
    std::vector<MPI_Request> rs;
    auto* p = static_cast<char*>(data);
    const auto es = static_cast<int64_t>(elem_size(t));
    for (int64_t at = 0; at < n; at += kChunk) {
      rs.emplace_back();
      detail::check_mpi(
          MPI_Iallreduce(MPI_IN_PLACE, p + at * es, part(n - at), detail::mpi_type(t), MPI_SUM, comm_, &rs.back()),
          "MPI_Iallreduce");
    }
    return std::make_unique<MpiRequest>(*this, std::move(rs), "an all-reduce of " + std::to_string(n) + " numbers");
  }

  void reduce_scatter_sum(const void* in, void* out, int64_t per_rank, ElemType t) override {
    TINYLM_CHECK(per_rank <= INT_MAX, "reduce_scatter_sum: ", per_rank, " elements per rank is more than MPI counts");
    TINYLM_CHECK(in != out, "reduce_scatter_sum: the input and output buffers must differ");
    MPI_Request r;
    detail::check_mpi(
        MPI_Ireduce_scatter_block(in, out, static_cast<int>(per_rank), detail::mpi_type(t), MPI_SUM, comm_, &r),
        "MPI_Ireduce_scatter_block");
    wait({r}, "a reduce-scatter of " + std::to_string(per_rank) + " numbers per rank");
  }

  void allgather(const void* in, void* out, int64_t per_rank, ElemType t) override {
    TINYLM_CHECK(per_rank <= INT_MAX, "allgather: ", per_rank, " elements per rank is more than MPI counts");
    TINYLM_CHECK(in != out, "allgather: the input and output buffers must differ");
    MPI_Request r;
    const MPI_Datatype dt = detail::mpi_type(t);
    detail::check_mpi(
        MPI_Iallgather(in, static_cast<int>(per_rank), dt, out, static_cast<int>(per_rank), dt, comm_, &r),
        "MPI_Iallgather");
    wait({r}, "an all-gather of " + std::to_string(per_rank) + " numbers per rank");
  }

 private:
  static constexpr int64_t kChunk = int64_t{1} << 30;  // elements (or bytes) per MPI call
  static int part(int64_t left) { return static_cast<int>(std::min(left, kChunk)); }

  class MpiRequest final : public Request {
   public:
    MpiRequest(const MpiCommunicator& c, std::vector<MPI_Request> rs, std::string what)
        : c_(c), rs_(std::move(rs)), what_(std::move(what)) {}
    ~MpiRequest() override {
      if (done_) return;
      try {  // an abandoned request is finished, not leaked: MPI needs its buffer until then
        c_.wait(std::move(rs_), what_);
      } catch (...) {}
    }
    bool test() override {
      if (done_) return true;
      int flag = 0;
      detail::check_mpi(MPI_Testall(static_cast<int>(rs_.size()), rs_.data(), &flag, MPI_STATUSES_IGNORE),
                        "MPI_Testall");
      return done_ = flag != 0;
    }
    void wait() override {
      if (done_) return;
      done_ = true;
      c_.wait(std::move(rs_), what_);
    }

   private:
    const MpiCommunicator& c_;
    std::vector<MPI_Request> rs_;
    std::string what_;
    bool done_ = false;
  };

  /// Polls until every request completes; past the timeout, an Error.
  void wait(std::vector<MPI_Request> rs, const std::string& what) const {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    for (int64_t polls = 0;; ++polls) {
      int flag = 0;
      detail::check_mpi(MPI_Testall(static_cast<int>(rs.size()), rs.data(), &flag, MPI_STATUSES_IGNORE), "MPI_Testall");
      if (flag) return;
      if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(polls > 20000 ? 1000 : 50));
      if (std::chrono::duration<double>(Clock::now() - start).count() > timeout_)
        throw Error(tinylm::detail::str_cat("rank ", rank_, " of ", size_, ": ", what, " did not complete within ",
                                            timeout_,
                                            " s: another rank has died, stopped or fallen out of step "
                                            "(TINYLM_MPI_TIMEOUT sets the limit)"));
    }
  }

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  double timeout_;
};

}  // namespace tinylm::dist
