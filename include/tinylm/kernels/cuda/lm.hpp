#pragma once
// The CUDA kernels at the two ends of a language model: the embedding
// lookup and its backward, and the fused softmax + cross-entropy. The
// formulas are kernels/cpu/embedding.hpp's and kernels/cpu/cross_entropy.hpp's.
// Declarations for g++ (lm.cu has the kernels); float and double values,
// every IndexElement index type; device pointers; work goes to the
// device's stream.

#include <cstdint>
#include <utility>

namespace tinylm::kernels::cuda {

/// out[i, :] = weight[idx[i], :].
template <class T, class I>
void embedding_forward(int device, T* out, const T* weight, const I* idx, int64_t N, int64_t C);

/// dweight[idx[i], :] += dout[i, :]. Deterministic without atomics: the
/// positions are sorted by index (a stable radix sort), and one thread per
/// (index, column) adds its rows in position order, the CPU kernel's order,
/// so the result is the CPU's bits.
template <class T, class I>
void embedding_backward(int device, T* dweight, const T* dout, const I* idx, int64_t N, int64_t C);

/// Fills lse [N] and loss [N] (0 on ignored rows); returns the sum of the
/// kept rows' losses and their number (waits for the stream).
template <class T, class I>
std::pair<T, int64_t> cross_entropy_forward(int device, T* loss, T* lse, const T* x, const I* targets, int64_t N,
                                            int64_t V, int64_t ignore_index, T label_smoothing);

template <class T, class I>
void cross_entropy_backward(int device, T* dx, const T* x, const T* lse, const I* targets, int64_t N, int64_t V,
                            int64_t ignore_index, T scale, T label_smoothing);

}  // namespace tinylm::kernels::cuda
