#pragma once
// Fused scaled dot-product attention, device-neutral (the algorithm is in
// kernels/cpu/attention.hpp; operands are HeadLayouts, kernels/types.hpp).

#include "tinylm/kernels/cpu/attention.hpp"
#include "tinylm/kernels/dispatch.hpp"
#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels {

/// out (as q), lse [B * NH, Tq] contiguous.
template <class T>
void attention_forward(Device device, HeadLayout<T*> out, T* lse, HeadLayout<const T*> q, HeadLayout<const T*> k,
                       HeadLayout<const T*> v, const AttentionShape& shape, T scale) {
  require_cpu(device, "attention_forward");
  cpu::attention_forward(out, lse, q, k, v, shape, scale);
}

/// Overwrites dq (as q), dk and dv (as k and v).
template <class T>
void attention_backward(Device device, HeadLayout<T*> dq, HeadLayout<T*> dk, HeadLayout<T*> dv,
                        HeadLayout<const T*> dout, HeadLayout<const T*> q, HeadLayout<const T*> k,
                        HeadLayout<const T*> v, HeadLayout<const T*> out, const T* lse, const AttentionShape& shape,
                        T scale) {
  require_cpu(device, "attention_backward");
  cpu::attention_backward(dq, dk, dv, dout, q, k, v, out, lse, shape, scale);
}

}  // namespace tinylm::kernels
