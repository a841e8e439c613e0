#pragma once
// Fused optimizer updates over flat parameter buffers, in PyTorch's order
// of operations (torch.optim, single-tensor path), so the same inputs give
// the same updates up to float rounding.
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
#include <cmath>
#include <cstdint>

#include "tinylm/kernels/cpu/math.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

namespace tinylm::kernels::cpu {

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool decoupled, int64_t step) {
  const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
  const double bc2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)));
  const T step_size = static_cast<T>(lr / bc1), decay = static_cast<T>(1.0 - lr * weight_decay);
  const T b1c = static_cast<T>(1.0 - beta1), b2 = static_cast<T>(beta2), b2c = static_cast<T>(1.0 - beta2);
  const T inv_bc2 = static_cast<T>(1.0 / bc2_sqrt), e = static_cast<T>(eps), wd = static_cast<T>(weight_decay);
  // Chunks of 256 that stay in L1: update m and v, take sqrt(v) for the
  // whole chunk with vector instructions, then update p.
  parallel_for(n, 8, [&](int64_t begin, int64_t end) {
    T denom[256];
    for (int64_t c0 = begin; c0 < end; c0 += 256) {
      const int64_t c1 = std::min<int64_t>(end, c0 + 256);
#pragma omp simd
      for (int64_t i = c0; i < c1; ++i) {
        T grad = g[i];
        if (!decoupled) grad += wd * p[i];
        m[i] += b1c * (grad - m[i]);
        v[i] = b2 * v[i] + b2c * grad * grad;
        denom[i - c0] = v[i];
      }
      vsqrt_inplace(denom, c1 - c0);
#pragma omp simd
      for (int64_t i = c0; i < c1; ++i) {
        if (decoupled) p[i] *= decay;
        p[i] -= step_size * m[i] / (denom[i - c0] * inv_bc2 + e);
      }
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
