#pragma once
// matmul: matrix product over the last two dims, batch dims broadcast.
//
//   C[..., M, N] = A[..., M, K] @ B[..., K, N]
//   dA = sum_to(dC @ B^T, A.shape)      dB = sum_to(A^T @ dC, B.shape)
//
// Transposed operands (e.g. B^T above, or k.transpose(-2, -1) in attention)
// go to the GEMM as a transpose flag on the same buffer, not as a copy.
// When B has no batch dims of its own (x @ W for x [B, T, C]), the batch is
// folded into the rows: one [B*T, C] x [C, N] GEMM, and in backward one
// [C, B*T] x [B*T, N] GEMM for dW instead of B products summed afterwards.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/gemm.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

namespace detail {

/// How a GEMM reads the last two dims of a tensor: transposed or not, and
/// with which leading dimension. `ok` is false when the layout is neither.
struct MatrixLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};

inline MatrixLayout matrix_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if ((cs == 1 || cols == 1) && (rows == 1 || rs >= std::max<int64_t>(cols, 1)))
    return {true, false, rows == 1 ? std::max<int64_t>(cols, 1) : rs};
  if ((rs == 1 || rows == 1) && (cols == 1 || cs >= std::max<int64_t>(rows, 1)))
    return {true, true, cols == 1 ? std::max<int64_t>(rows, 1) : cs};
  return {};
}

template <class T>
MatrixLayout layout_of(const Tensor<T>& t) {
  const int n = t.dim();
  return matrix_layout(t.shape()[n - 2], t.shape()[n - 1], t.strides()[n - 2], t.strides()[n - 1]);
}

/// The forward product, no graph.
template <class T>
Tensor<T> matmul_kernel(Tensor<T> a, Tensor<T> b) {
  const int na = a.dim(), nb = b.dim();
  const int64_t M = a.shape()[na - 2], K = a.shape()[na - 1], N = b.shape()[nb - 1];
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  const Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  const int nbatch = std::max(a_batch.size(), b_batch.size());
  batch.resize(nbatch);
  for (int i = 0; i < nbatch; ++i) {
    const int ia = a_batch.size() - nbatch + i, ib = b_batch.size() - nbatch + i;
    const int64_t da = ia >= 0 ? a_batch[ia] : 1, db = ib >= 0 ? b_batch[ib] : 1;
    TINYLM_CHECK(da == db || da == 1 || db == 1, "matmul: a is ", a.shape(), ", b is ", b.shape(),
                 ": batch dims cannot be broadcast (", da, " vs ", db, ")");
    batch[i] = da == 1 ? db : da;
  }
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor<T> out = Tensor<T>::empty(out_shape, a.device());
  if (out.numel() == 0) return out;

  MatrixLayout la = layout_of(a), lb = layout_of(b);
  if (!la.ok) {
    a = contiguous_data(a);
    la = layout_of(a);
  }
  if (!lb.ok) {
    b = contiguous_data(b);
    lb = layout_of(b);
  }
  const Shape a_bstride = broadcast_strides(a_batch, Shape(a.strides().begin(), a.strides().end() - 2), batch);
  const Shape b_bstride = broadcast_strides(b_batch, Shape(b.strides().begin(), b.strides().end() - 2), batch);
  const int64_t nmat = batch.numel();

  // Fold the batch into rows when B is shared by every batch and A's
  // batches are stacked rows of one row-major matrix.
  bool b_shared = true, a_stacked = !la.trans && a_batch.numel() == nmat;
  int64_t expect = M * la.ld;
  for (int i = nbatch - 1; i >= 0; --i) {
    b_shared = b_shared && b_bstride[i] == 0;
    if (batch[i] != 1) {
      a_stacked = a_stacked && a_bstride[i] == expect;
      expect *= batch[i];
    }
  }
  const kernels::GemmArgs<T> product{.M = M,
                                     .N = N,
                                     .K = K,
                                     .a = {.data = a.data(), .ld = la.ld, .transposed = la.trans},
                                     .b = {.data = b.data(), .ld = lb.ld, .transposed = lb.trans},
                                     .c = out.data(),
                                     .ldc = N};
  if (nmat == 1 || (b_shared && a_stacked)) {  // one GEMM of nmat * M rows
    kernels::GemmArgs<T> folded = product;
    folded.M = nmat * M;
    kernels::gemm(a.device(), folded);
    return out;
  }

  std::vector<int64_t> a_off(static_cast<std::size_t>(nmat)), b_off(static_cast<std::size_t>(nmat));
  Shape idx;
  idx.resize(nbatch);
  for (int64_t m = 0; m < nmat; ++m) {
    int64_t oa = 0, ob = 0;
    for (int d = 0; d < nbatch; ++d) {
      oa += idx[d] * a_bstride[d];
      ob += idx[d] * b_bstride[d];
    }
    a_off[m] = oa;
    b_off[m] = ob;
    for (int d = nbatch - 1; d >= 0; --d) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  kernels::gemm_batched(
      a.device(),
      kernels::GemmBatchArgs<T>{
          .gemm = product, .batch = nmat, .a_offsets = a_off.data(), .b_offsets = b_off.data(), .c_stride = M * N});
  return out;
}

}  // namespace detail

template <class T>
Tensor<T> matmul(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "matmul", "a");
  detail::check_defined(b, "matmul", "b");
  detail::check_same_device(a, b, "matmul");
  TINYLM_CHECK(a.dim() >= 2 && b.dim() >= 2, "matmul: a is ", a.shape(), ", b is ", b.shape(),
               ": both need at least 2 dimensions");
  TINYLM_CHECK(a.size(-1) == b.size(-2), "matmul: a is ", a.shape(), ", b is ", b.shape(),
               ": a.shape[-1] must equal b.shape[-2] (", a.size(-1), " != ", b.size(-2), ")");
  Tensor<T> out = detail::matmul_kernel(a, b);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      const bool ga = a.requires_grad(), gb = b.requires_grad();
      autograd::record(out, "matmul", {a, b}, [a = a.detach(), b = b.detach(), ga, gb](const Tensor<T>& g) {
        Tensor<T> da, db;
        if (ga) da = sum_to(detail::matmul_kernel(g, b.transpose(-2, -1)), a.shape());
        if (gb) {
          if (b.dim() == 2 && a.dim() > 2) {
            // dB = A^T dC with the batch folded into the contraction.
            const int64_t K = a.size(-1), N = g.size(-1);
            db = detail::matmul_kernel(a.reshape({-1, K}).transpose(0, 1), g.reshape({-1, N}));
          } else {
            db = sum_to(detail::matmul_kernel(a.transpose(-2, -1), g), b.shape());
          }
        }
        return std::vector{da, db};
      });
    }
  }
  return out;
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> matmul(const Tensor<float>&, const Tensor<float>&);
}  // namespace tinylm
#endif
