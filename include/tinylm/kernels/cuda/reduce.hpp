#pragma once
// Reductions and index checks on a CUDA device: the declarations g++ sees
// (reduce.cu has the kernels). The shapes are kernels/cpu/reduce.hpp's:
// the middle axis of a contiguous [outer, n, inner] buffer. Every output is
// made by one thread or one block in a fixed order (no atomics), so a result
// is the same bits every run. The functions that return a number to the
// host wait for the device's stream; the others only queue work on it.

#include <cstdint>

namespace tinylm::kernels::cuda {

/// out[o, i] = sum_j in[o, j, i].
template <class T>
void sum_axis(int device, T* out, const T* in, int64_t outer, int64_t n, int64_t inner);

/// out[o, i] = max_j in[o, j, i] (NaN wins), arg[o, i] = the first j attaining it (arg may be null).
template <class T, class I>
void max_axis(int device, T* out, I* arg, const T* in, int64_t outer, int64_t n, int64_t inner);

/// Overwrites dx [outer, n, inner]: dout at the positions arg chose, zeros elsewhere.
template <class T, class I>
void max_axis_backward(int device, T* dx, const T* dout, const I* arg, int64_t outer, int64_t n, int64_t inner);

/// sum of x_i^2 in double: per-block partial sums over a grid that depends
/// only on n, added by one block in a fixed tree.
template <class T>
double sum_squares(int device, const T* x, int64_t n);

/// The index of the first NaN or infinity in x[0, n), or -1.
template <class T>
int64_t first_non_finite(int device, const T* x, int64_t n);

/// The first position whose index is outside [0, limit) and is not
/// `allowed` (when has_allowed), or -1.
template <class I>
int64_t find_invalid_index(int device, const I* index, int64_t n, int64_t limit, bool has_allowed, int64_t allowed);

}  // namespace tinylm::kernels::cuda
