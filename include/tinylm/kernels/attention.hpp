#pragma once
// Fused scaled dot-product attention, device-neutral (the algorithm is in
// kernels/cpu/attention.hpp; operands are HeadLayouts, kernels/types.hpp).
// On the CPU its products run in bf16 when a float GEMM's would
// (cpu_bf16_products, kernels/gemm.hpp).

#include "tinylm/kernels/cpu/attention.hpp"
#include "tinylm/kernels/dispatch.hpp"
#include "tinylm/kernels/gemm.hpp"
#include "tinylm/kernels/types.hpp"
#ifdef TINYLM_CUDA
#include "tinylm/kernels/cuda/attention.hpp"
#endif

namespace tinylm::kernels {

/// out (as q), lse [B * NH, Tq] contiguous; `mask` as in kernels/types.hpp.
template <class T>
void attention_forward(Device device, HeadLayout<T*> out, T* lse, HeadLayout<const T*> q, HeadLayout<const T*> k,
                       HeadLayout<const T*> v, const AttentionShape& shape, T scale,
                       const AttentionMaskArgs<T>& mask = {}) {
#ifdef TINYLM_CUDA
  if (device.is_cuda()) return cuda::attention_forward(device.index(), out, lse, q, k, v, shape, scale, mask);
#endif
  require_cpu(device, "attention_forward");
  cpu::attention_forward(out, lse, q, k, v, shape, scale, mask, cpu_bf16_products<T>());
}

/// Overwrites dq (as q), dk and dv (as k and v), and, when not null,
/// dadditive [B * NH, Tq, Tk] contiguous (the additive mask's gradient).
template <class T>
void attention_backward(Device device, HeadLayout<T*> dq, HeadLayout<T*> dk, HeadLayout<T*> dv, T* dadditive,
                        HeadLayout<const T*> dout, HeadLayout<const T*> q, HeadLayout<const T*> k,
                        HeadLayout<const T*> v, HeadLayout<const T*> out, const T* lse, const AttentionShape& shape,
                        T scale, const AttentionMaskArgs<T>& mask = {}) {
#ifdef TINYLM_CUDA
  if (device.is_cuda())
    return cuda::attention_backward(device.index(), dq, dk, dv, dadditive, dout, q, k, v, out, lse, shape, scale, mask);
#endif
  require_cpu(device, "attention_backward");
  cpu::attention_backward(dq, dk, dv, dadditive, dout, q, k, v, out, lse, shape, scale, mask, cpu_bf16_products<T>());
}

}  // namespace tinylm::kernels
