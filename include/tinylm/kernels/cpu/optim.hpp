#pragma once
// Fused optimizer updates over flat parameter buffers, in PyTorch's order
// of operations (torch.optim, single-tensor path), so the same inputs give
// the same updates up to float rounding. Adam's per-element step is
// kernels/formulas.hpp's AdamStep, which the CUDA kernel runs too.
//
// AdamW (decoupled decay), step t >= 1:
//   p  = p * (1 - lr * wd)
//   m  = m + (1 - b1) (g - m)                 (lerp)
//   v  = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Adam adds wd * p to g first instead (L2, coupled) and skips the decay.
//
// SGD with momentum mu, dampening 0:
//   d = g + wd p;  buf = mu buf + d;  p -= lr * buf  (or lr * (d + mu buf), Nesterov)

#include <algorithm>
#include <cstdint>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, int64_t step) {
  const auto adam = formula::AdamStep<T>::make(lr, beta1, beta2, eps, weight_decay, decoupled, step);
  // Chunks of 256 that stay in L1: update m and v, take sqrt(v) for the
  // whole chunk with vector instructions, then update p.
  parallel_for(n, 8, [&](int64_t begin, int64_t end) {
    T denom[256];
    for (int64_t c0 = begin; c0 < end; c0 += 256) {
      const int64_t c1 = std::min<int64_t>(end, c0 + 256);
#pragma omp simd
      for (int64_t i = c0; i < c1; ++i) {
        adam.moments(p[i], g[i], m[i], v[i]);
        denom[i - c0] = v[i];
      }
      vsqrt_inplace(denom, c1 - c0);
#pragma omp simd
      for (int64_t i = c0; i < c1; ++i) p[i] = adam.param(p[i], m[i], denom[i - c0]);
    }
  });
}

template <class T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double weight_decay, bool nesterov) {
  const T l = static_cast<T>(lr), mu = static_cast<T>(momentum), wd = static_cast<T>(weight_decay);
  parallel_for(n, 4, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      T d = g[i] + wd * p[i];
      if (buf) {
        buf[i] = mu * buf[i] + d;
        d = nesterov ? d + mu * buf[i] : buf[i];
      }
      p[i] -= l * d;
    }
  });
}

}  // namespace tinylm::kernels::cpu
