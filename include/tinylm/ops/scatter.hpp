#pragma once
// scatter and scatter_add: the inverse of gather. Viewing x as [outer, n,
// inner] around dim, and index and src as [outer, m, inner]:
//
//   scatter(x, dim, index, src)      out = x, then out[o, index[o, j, i], i] = src[o, j, i]
//   scatter_add(x, dim, index, src)  out = x, then out[o, index[o, j, i], i] += src[o, j, i]
//
// Backward:
//
//   scatter:      dx = g with the written positions zeroed    dsrc = gather(g, dim, index)
//   scatter_add:  dx = g                                       dsrc = gather(g, dim, index)
//
// index and src have the same shape, and x's sizes in every dim but dim.
// scatter writes in order of j, so of repeated indices the last one wins
// (deterministically); its src gradient is then exact only where indices
// do not repeat, as in PyTorch. scatter_add adds every one.

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/gather.hpp"
#include "tinylm/kernels/index.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/gather.hpp"

namespace tinylm {

namespace detail {

template <class T, class I>
Tensor<T> scatter_op(const Tensor<T>& x, int64_t dim, const Tensor<I>& index, const Tensor<T>& src, bool add,
                     const char* name) {
  check_defined(x, name, "x");
  check_defined(index, name, "index");
  check_defined(src, name, "src");
  check_same_device(x, index, name);
  check_same_device(x, src, name);
  const int d = normalize_dim(dim, x.dim(), name);
  TINYLM_CHECK(index.shape() == src.shape(), name, ": index is ", index.shape(), ", src is ", src.shape(),
               ": index and src must have the same shape");
  bool ok = index.dim() == x.dim();
  for (int i = 0; ok && i < x.dim(); ++i) ok = i == d || index.shape()[i] == x.shape()[i];
  TINYLM_CHECK(ok, name, ": x is ", x.shape(), ", index is ", index.shape(),
               ": index must have x's shape except along dim ", d);
  const Tensor<I> ic = contiguous_data(index);
  const int64_t n = x.dim() ? x.shape()[d] : 1, m = index.dim() ? index.shape()[d] : 1;
  const int64_t bad = kernels::find_invalid_index(ic.device(), ic.data(), ic.numel(), n);
  TINYLM_CHECK(bad < 0, name, ": index ", static_cast<int64_t>(detail::read_element(ic.data() + bad, ic.device())),
               " at position ", bad, " is out of range for dim ", d, " of size ", n);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  Tensor<T> out = kernels::dense_copy(x);
  const Tensor<T> sc = contiguous_data(src);
  kernels::scatter(x.device(), out.data(), sc.data(), ic.data(), outer, n, m, inner, add);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x, src)) {
      const bool gx = x.requires_grad(), gs = src.requires_grad();
      autograd::record(out, name, {x, src}, [ic, d, outer, n, m, inner, add, gx, gs](const Tensor<T>& g) {
        Tensor<T> dx, dsrc;
        if (gx) {
          dx = kernels::dense_copy(g);
          if (!add) {  // what scatter overwrote did not reach the output
            const Tensor<T> zeros = Tensor<T>::zeros(ic.shape(), g.device());
            kernels::scatter(g.device(), dx.data(), zeros.data(), ic.data(), outer, n, m, inner, false);
          }
        }
        if (gs) dsrc = gather(g, d, ic);
        return std::vector{dx, dsrc};
      });
    }
  }
  return out;
}

}  // namespace detail

/// x with src written at `index` along dim (see the file comment).
template <class T, IndexElement I>
Tensor<T> scatter(const Tensor<T>& x, int64_t dim, const Tensor<I>& index, const Tensor<T>& src) {
  return detail::scatter_op(x, dim, index, src, false, "scatter");
}

/// x with src added at `index` along dim (see the file comment).
template <class T, IndexElement I>
Tensor<T> scatter_add(const Tensor<T>& x, int64_t dim, const Tensor<I>& index, const Tensor<T>& src) {
  return detail::scatter_op(x, dim, index, src, true, "scatter_add");
}

}  // namespace tinylm
