#pragma once
// Fused, tiled scaled dot-product attention on a CUDA device, forward and
// backward (attention.cu), with kernels/cpu/attention.hpp's contract:
// operands are HeadLayouts (rows of HS contiguous, any strides over batch,
// head and position), the masks of AttentionMaskArgs, lse saved by the
// forward, a query that sees no key gets zeros. Head sizes up to 256.
//
// The Tq x Tk score matrix is never in memory. Forward: a block takes 16
// queries of one head and walks the visible keys 32 at a time through
// shared memory; a warp owns a query, a lane a key of the tile, and the
// softmax is the online one (running max and sum, the output rescaled when
// the max grows). Backward recomputes P from Q, K and lse in two kernels,
// so that every output element has one writer and no atomics: one over
// blocks of queries for dQ, one over blocks of keys for dK and dV (and the
// additive mask's gradient). Sums within a warp are fixed butterflies:
// the same bits every run.

#include "tinylm/kernels/types.hpp"

namespace tinylm::kernels::cuda {

/// The largest head size the kernels take.
inline constexpr int64_t kAttentionMaxHeadSize = 256;

template <class T>
void attention_forward(int device, HeadLayout<T*> out, T* lse, HeadLayout<const T*> q, HeadLayout<const T*> k,
                       HeadLayout<const T*> v, const AttentionShape& shape, T scale, const AttentionMaskArgs<T>& mask);

template <class T>
void attention_backward(int device, HeadLayout<T*> dq, HeadLayout<T*> dk, HeadLayout<T*> dv, T* dadditive,
                        HeadLayout<const T*> dout, HeadLayout<const T*> q, HeadLayout<const T*> k,
                        HeadLayout<const T*> v, HeadLayout<const T*> out, const T* lse, const AttentionShape& shape,
                        T scale, const AttentionMaskArgs<T>& mask);

}  // namespace tinylm::kernels::cuda
