#pragma once
// Data-parallel training over a dist::Communicator: every rank holds the
// whole model, computes the gradients of its own part of the batch, and
// the ranks average them before each optimizer step, so that N ranks at
// batch B take the steps one process at batch N * B would.
//
// DataParallel averages gradients in buckets, as PyTorch's DDP does: the
// parameters in reverse order (the order backward finishes them), cut into
// buckets of bucket_mb (the first, the last layers', of first_bucket_mb, so
// that communication starts early). A grad-ready hook on every parameter
// (autograd/hooks.hpp) counts a bucket's gradients in during backward and
// starts its non-blocking all-reduce as soon as the last is in, so the
// all-reduce of the last layers runs while backward still computes the
// first ones. finish_backward() waits for the rest and divides by N.
// Buckets start in index order on every rank (MPI wants collectives in the
// same order everywhere): a bucket ready early waits for the ones before it.
//
//   dist::DataParallel<float> ddp(world, model.named_parameters());
//   ddp.broadcast_parameters();               // rank 0's initial weights
//   for (...) {
//     opt.zero_grad();
//     ddp.prepare_backward();                 // the backward to share
//     model.forward(x, y).loss.backward();    // buckets start during it
//     ddp.finish_backward();                  // grads: the average over ranks
//     opt.step();
//   }
//
// ShardedAdamW (ZeRO stage 1) instead splits AdamW's moments across the
// ranks: a reduce-scatter gives each rank the averaged gradient of its
// 1/N of the parameters, it clips by the global norm, updates that shard,
// and an all-gather gives every rank the new parameters. Its weights equal
// AdamW's after DataParallel (exactly, without clipping: the same sums, the
// same update), with 1/N of the moments' memory per rank.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/hooks.hpp"
#include "tinylm/dist/communicator.hpp"
#include "tinylm/kernels/optim.hpp"
#include "tinylm/kernels/reduce.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/optim/adam.hpp"

namespace tinylm::dist {

struct DataParallelOptions {
  double bucket_mb = 25.0;       // bytes of gradients per bucket, in MiB (PyTorch DDP's bucket_cap_mb)
  double first_bucket_mb = 1.0;  // the first bucket's (the last layers' gradients)
  bool overlap = true;           // all-reduce each bucket during backward, as soon as it is ready
};

/// Each rank's share of a step's communication, for benchmarks.
struct CommStats {
  double wait_seconds = 0;  // in finish_backward / allreduce_gradients, waiting for all-reduces
  int64_t buckets = 0;      // all-reduces started
  int64_t bytes = 0;        // bytes all-reduced
};

template <FloatElement T>
class DataParallel {
 public:
  DataParallel(Communicator& comm, const std::vector<nn::Parameter<T>>& params, DataParallelOptions opt = {})
      : comm_(comm) {
    TINYLM_CHECK(opt.bucket_mb > 0 && opt.first_bucket_mb > 0, "DataParallel: bucket sizes must be positive");
    for (const auto& p : params)
      if (p.tensor.requires_grad()) params_.push_back(p);
    // Buckets over the parameters in reverse order.
    const auto cap = [&](std::size_t b) {
      return static_cast<int64_t>((b == 0 ? opt.first_bucket_mb : opt.bucket_mb) * 1024 * 1024 / sizeof(T));
    };
    where_.resize(params_.size());
    for (std::size_t i = params_.size(); i-- > 0;) {
      const int64_t n = params_[i].tensor.numel();
      if (buckets_.empty() || (buckets_.back().numel > 0 && buckets_.back().numel + n > cap(buckets_.size() - 1)))
        buckets_.emplace_back();
      Bucket& b = buckets_.back();
      where_[i] = {buckets_.size() - 1, b.numel};
      b.members.push_back(i);
      b.numel += n;
    }
    for (Bucket& b : buckets_) b.buf.assign(static_cast<std::size_t>(b.numel), T(0));
    if (opt.overlap)
      for (std::size_t i = 0; i < params_.size(); ++i)
        hooks_.push_back(
            autograd::add_grad_ready_hook(params_[i].tensor, [this, i](const Tensor<T>&) { on_ready(i); }));
  }
  ~DataParallel() {
    for (std::size_t i = 0; i < hooks_.size(); ++i) autograd::remove_grad_ready_hook(params_[i].tensor, hooks_[i]);
  }
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  Communicator& comm() const { return comm_; }
  std::size_t num_buckets() const { return buckets_.size(); }
  /// The parameter names in bucket b, in the order they fill it.
  std::vector<std::string> bucket_names(std::size_t b) const {
    std::vector<std::string> out;
    for (std::size_t i : buckets_.at(b).members) out.push_back(params_[i].name);
    return out;
  }
  const CommStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

  /// Rank 0's parameter values to every rank (before training, so that all
  /// start from the same weights).
  void broadcast_parameters() {
    for (auto& p : params_) comm_.broadcast(p.tensor.data(), p.tensor.numel(), 0);
  }

  /// Arms the hooks for the next backward: the one whose gradients the ranks
  /// share (with gradient accumulation, the last micro-batch's; the others
  /// accumulate locally, as under PyTorch's no_sync()).
  void prepare_backward() {
    TINYLM_CHECK(!armed_, "DataParallel: prepare_backward() twice without finish_backward()");
    for (Bucket& b : buckets_) {
      b.ready = 0;
      b.req.reset();
    }
    packed_.assign(params_.size(), false);
    next_ = 0;
    armed_ = true;
  }

  /// After the armed backward: starts what the hooks did not (parameters no
  /// gradient reached count as zeros), waits for every bucket, and leaves
  /// each parameter's .grad() the average over the ranks.
  void finish_backward() {
    TINYLM_CHECK(armed_, "DataParallel: finish_backward() without prepare_backward()");
    armed_ = false;
    for (std::size_t i = 0; i < params_.size(); ++i)  // hooks off, or gradients that never came: pack them now
      if (!packed_[i]) pack(i);
    launch_ready();
    const auto t0 = std::chrono::steady_clock::now();
    for (Bucket& b : buckets_) b.req->wait();
    stats_.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (Bucket& b : buckets_) unpack(b);
  }

  /// The reference: one blocking all-reduce of every gradient, after
  /// backward, no buckets and no overlap (what finish_backward must equal).
  void allreduce_gradients() {
    const auto t0 = std::chrono::steady_clock::now();
    const T scale = T(1) / static_cast<T>(comm_.size());
    for (auto& p : params_) {
      Tensor<T> g = grad_or_zeros(p);
      comm_.allreduce_sum(g.data(), g.numel());
      for (int64_t k = 0; k < g.numel(); ++k) g.data()[k] *= scale;
      stats_.bytes += g.numel() * static_cast<int64_t>(sizeof(T));
    }
    stats_.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

 private:
  struct Where {
    std::size_t bucket = 0;
    int64_t offset = 0;
  };
  struct Bucket {
    std::vector<std::size_t> members;  // parameter indices, in reverse parameter order
    int64_t numel = 0;
    std::vector<T> buf;
    std::size_t ready = 0;  // members packed in this backward
    std::unique_ptr<Request> req;
  };

  static Tensor<T> grad_or_zeros(const nn::Parameter<T>& p) {
    Tensor<T> g = p.tensor.grad();
    if (!g.defined()) {
      g = Tensor<T>::zeros(p.tensor.shape());
      p.tensor.set_grad(g);
    }
    TINYLM_CHECK(g.is_contiguous() && g.shape() == p.tensor.shape(), "DataParallel: the gradient of ", p.name,
                 " is not contiguous or does not match its shape");
    return g;
  }

  /// Copies parameter i's gradient into its bucket.
  void pack(std::size_t i) {
    const Where w = where_[i];
    Bucket& b = buckets_[w.bucket];
    const Tensor<T> g = grad_or_zeros(params_[i]);
    std::copy(g.data(), g.data() + g.numel(), b.buf.begin() + w.offset);
    packed_[i] = true;
    ++b.ready;
  }

  void on_ready(std::size_t i) {
    if (!armed_ || packed_[i]) return;  // a backward that accumulates locally
    pack(i);
    launch_ready();
    for (std::size_t k = 0; k < next_; ++k) (void)buckets_[k].req->test();  // let MPI make progress
  }

  /// Starts the all-reduce of every ready bucket whose predecessors have started.
  void launch_ready() {
    while (next_ < buckets_.size() && buckets_[next_].ready == buckets_[next_].members.size()) {
      Bucket& b = buckets_[next_++];
      b.req = comm_.iallreduce_sum(b.buf.data(), b.numel);
      ++stats_.buckets;
      stats_.bytes += b.numel * static_cast<int64_t>(sizeof(T));
    }
  }

  /// The bucket's sums, divided by the world size, into the gradients.
  void unpack(Bucket& b) {
    const T scale = T(1) / static_cast<T>(comm_.size());
    for (std::size_t i : b.members) {
      Tensor<T> g = grad_or_zeros(params_[i]);
      const T* src = b.buf.data() + where_[i].offset;
      for (int64_t k = 0; k < g.numel(); ++k) g.data()[k] = src[k] * scale;
    }
  }

  Communicator& comm_;
  std::vector<nn::Parameter<T>> params_;
  std::vector<Where> where_;
  std::vector<Bucket> buckets_;
  std::vector<bool> packed_;  // parameter i's gradient is in its bucket, in this backward
  std::vector<int64_t> hooks_;
  std::size_t next_ = 0;
  bool armed_ = false;
  CommStats stats_;
};

/// AdamW with its moments sharded across the ranks (ZeRO stage 1): step()
/// reduce-scatters the raw (not yet averaged) gradients, clips by the
/// global norm, updates this rank's shard and all-gathers the parameters.
/// Do not average the gradients first (no DataParallel::finish_backward):
/// the reduce-scatter does it.
///
/// Saving and loading: the moments live in shards, so gather_state() (on
/// every rank) assembles the whole moments that state() then returns, by
/// the names AdamW uses (a checkpoint is the same file either way and loads
/// into either); load_training_state copies into them and calls
/// state_loaded(), which keeps this rank's shard. release_state() frees the
/// assembled copy after a save.
template <FloatElement T>
class ShardedAdamW final : public optim::Optimizer<T> {
 public:
  ShardedAdamW(Communicator& comm, std::vector<optim::ParamGroup<T>> groups, optim::AdamWOptions opt = {},
               double grad_clip = 0)
      : comm_(comm), opt_(opt), clip_(grad_clip) {
    TINYLM_CHECK(grad_clip >= 0, "ShardedAdamW: grad_clip must be >= 0, got ", grad_clip);
    this->groups_ = std::move(groups);
    int64_t at = 0;
    this->for_each_param([&](const optim::ParamGroup<T>& g, const nn::Parameter<T>& p, std::size_t) {
      if (!p.tensor.requires_grad()) return;
      slots_.push_back({p, &g, at});
      at += p.tensor.numel();
    });
    total_ = at;
    const int64_t n = comm_.size();
    shard_ = (total_ + n - 1) / n;
    lo_ = std::min<int64_t>(total_, shard_ * comm_.rank());
    hi_ = std::min<int64_t>(total_, lo_ + shard_);
    m_.assign(static_cast<std::size_t>(shard_), T(0));
    v_.assign(static_cast<std::size_t>(shard_), T(0));
  }

  void step() override {
    NoGradGuard no_grad;
    ++this->steps_;
    // 1. Reduce-scatter: this rank's shard of the summed gradients, averaged.
    std::vector<T>& flat = flat_;  // kept between steps: no allocation per step
    std::vector<T>& g = shard_grad_;
    flat.assign(static_cast<std::size_t>(shard_ * comm_.size()), T(0));
    g.assign(static_cast<std::size_t>(shard_), T(0));
    for (const Slot& s : slots_) {
      const Tensor<T> grad = s.p.tensor.grad();
      if (grad.defined()) {
        TINYLM_CHECK(grad.is_contiguous() && grad.shape() == s.p.tensor.shape(), "ShardedAdamW: the gradient of ",
                     s.p.name, " is not contiguous or does not match its shape");
        std::copy(grad.data(), grad.data() + grad.numel(), flat.begin() + s.offset);
      }
    }
    comm_.reduce_scatter_sum(flat.data(), g.data(), shard_);
    const T scale = T(1) / static_cast<T>(comm_.size());
    for (T& x : g) x *= scale;
    // 2. Clip by the global norm (clip_grad_norm's formula, the squares summed over the shards).
    if (clip_ > 0) {
      const double local = kernels::sum_squares(Device::cpu(), g.data(), hi_ - lo_);
      last_norm_ = std::sqrt(comm_.sum(local));
      const double coef = clip_ / (last_norm_ + 1e-6);
      if (coef < 1.0) {
        const T c = static_cast<T>(coef);
        for (T& x : g) x *= c;
      }
    }
    // 3. AdamW on this rank's shard, parameter by parameter (each group's lr and decay).
    std::vector<T>& mine = shard_params_;
    mine.assign(static_cast<std::size_t>(shard_), T(0));
    for (const Slot& s : slots_) {
      const int64_t a = std::max(lo_, s.offset), b = std::min(hi_, s.offset + s.p.tensor.numel());
      if (a >= b) continue;
      T* p = s.p.tensor.data() + (a - s.offset);
      const int64_t k = a - lo_;
      kernels::adam_update(Device::cpu(), p, g.data() + k, m_.data() + k, v_.data() + k, b - a, s.group->lr, opt_.beta1,
                           opt_.beta2, opt_.eps, s.group->weight_decay, true, this->steps_);
      std::copy(p, p + (b - a), mine.begin() + k);
    }
    // 4. All-gather: every rank's updated shard into every parameter.
    comm_.allgather(mine.data(), flat.data(), shard_);
    for (const Slot& s : slots_)
      std::copy(flat.begin() + s.offset, flat.begin() + s.offset + s.p.tensor.numel(), s.p.tensor.data());
    cache_.clear();
  }

  /// The global gradient norm of the last step (before clipping; 0 without clipping).
  double last_grad_norm() const { return last_norm_; }
  /// The parameters [shard_begin, shard_end) of the flat order are this rank's.
  int64_t shard_begin() const { return lo_; }
  int64_t shard_end() const { return hi_; }

  /// Assembles the whole moments on every rank (a collective), for state().
  void gather_state() {
    std::vector<T> fm(static_cast<std::size_t>(shard_ * comm_.size())), fv(fm.size());
    comm_.allgather(m_.data(), fm.data(), shard_);
    comm_.allgather(v_.data(), fv.data(), shard_);
    cache_.clear();
    for (const Slot& s : slots_) {
      Tensor<T> m = Tensor<T>::empty(s.p.tensor.shape()), v = Tensor<T>::empty(s.p.tensor.shape());
      std::copy(fm.begin() + s.offset, fm.begin() + s.offset + m.numel(), m.data());
      std::copy(fv.begin() + s.offset, fv.begin() + s.offset + v.numel(), v.data());
      cache_.emplace_back("exp_avg." + s.p.name, m);
      cache_.emplace_back("exp_avg_sq." + s.p.name, v);
    }
  }
  /// Frees what gather_state() assembled.
  void release_state() { cache_.clear(); }

  std::vector<std::pair<std::string, Tensor<T>>> state() const override {
    TINYLM_CHECK(!cache_.empty() || slots_.empty(),
                 "ShardedAdamW::state(): the moments are sharded; call gather_state() on every rank first");
    return cache_;
  }

  /// Keeps this rank's shard of what was loaded into state()'s buffers.
  void state_loaded() override {
    TINYLM_CHECK(cache_.size() == 2 * slots_.size(), "ShardedAdamW::state_loaded(): no state was gathered");
    for (std::size_t k = 0; k < slots_.size(); ++k) {
      const Slot& s = slots_[k];
      const int64_t a = std::max(lo_, s.offset), b = std::min(hi_, s.offset + s.p.tensor.numel());
      if (a >= b) continue;
      const T* m = cache_[2 * k].second.data() + (a - s.offset);
      const T* v = cache_[2 * k + 1].second.data() + (a - s.offset);
      std::copy(m, m + (b - a), m_.begin() + (a - lo_));
      std::copy(v, v + (b - a), v_.begin() + (a - lo_));
    }
    cache_.clear();
  }

 private:
  struct Slot {
    nn::Parameter<T> p;
    const optim::ParamGroup<T>* group;
    int64_t offset;  // in the flat order of every trainable parameter
  };

  Communicator& comm_;
  optim::AdamWOptions opt_;
  double clip_;
  std::vector<Slot> slots_;
  int64_t total_ = 0, shard_ = 0, lo_ = 0, hi_ = 0;
  std::vector<T> m_, v_;                             // this rank's shard of the moments
  std::vector<T> flat_, shard_grad_, shard_params_;  // step()'s buffers
  std::vector<std::pair<std::string, Tensor<T>>> cache_;
  double last_norm_ = 0;
};

}  // namespace tinylm::dist
