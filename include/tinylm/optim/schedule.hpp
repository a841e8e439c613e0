#pragma once
// Learning-rate schedules: a function of the step number.
//
//   constant:        lr
//   warmup_cosine:   lr * (step + 1) / warmup                           for step < warmup
//                    min_lr + (lr - min_lr) * (1 + cos(pi * r)) / 2     r = (step - warmup) / (total - warmup)
//                    min_lr                                             for step >= total
//   warmup_stable_decay: the same warmup, then lr until the last `decay` steps, which
//                    fall as warmup_cosine's cosine does (r counted over those steps):
//                    a long stretch at the full rate, for models that sit on a plateau
//                    before they learn (a masked LM does)

#include <cmath>
#include <cstdint>

#include "tinylm/core/error.hpp"

namespace tinylm::optim {

struct LRSchedule {
  double lr = 1e-3;
  double min_lr = 1e-3;
  int64_t warmup = 0;
  int64_t total = 0;         // 0: constant lr
  int64_t decay_start = -1;  // where the cosine starts; -1: right after warmup

  static LRSchedule constant(double lr) { return {lr, lr, 0, 0}; }
  static LRSchedule warmup_cosine(double lr, double min_lr, int64_t warmup, int64_t total) {
    TINYLM_CHECK(warmup >= 0 && total >= warmup && min_lr <= lr, "LRSchedule: need 0 <= warmup (", warmup,
                 ") <= total (", total, ") and min_lr (", min_lr, ") <= lr (", lr, ")");
    return {lr, min_lr, warmup, total};
  }
  static LRSchedule warmup_stable_decay(double lr, double min_lr, int64_t warmup, int64_t decay, int64_t total) {
    TINYLM_CHECK(warmup >= 0 && decay >= 0 && warmup + decay <= total && min_lr <= lr, "LRSchedule: need warmup (",
                 warmup, ") + decay (", decay, ") <= total (", total, ") and min_lr (", min_lr, ") <= lr (", lr, ")");
    return {lr, min_lr, warmup, total, total - decay};
  }

  double operator()(int64_t step) const {
    if (step < warmup) return lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
    if (total <= 0) return lr;
    if (step >= total) return min_lr;
    const int64_t start = decay_start < 0 ? warmup : decay_start;
    if (step < start) return lr;
    const double r = static_cast<double>(step - start) / static_cast<double>(std::max<int64_t>(total - start, 1));
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * r));
  }
};

}  // namespace tinylm::optim
