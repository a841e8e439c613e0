#pragma once
// gather(x, dim, index): out[o, j, i] = x[o, index[o, j, i], i], viewing x as
// [outer, n, inner] around `dim`. index has x's shape except along dim.
// Backward scatter-adds: dx[o, index[o, j, i], i] += g[o, j, i].
//
// index_select(x, dim, index): out[o, j, i] = x[o, index[j], i] for a 1-D
// index of m entries (any order, repeats allowed): whole slices along dim,
// as beam search reorders its caches. Backward: dx[o, index[j], i] += g[o, j, i].

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/kernels/gather.hpp"
#include "tinylm/kernels/index.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <class T, IndexElement I>
Tensor<T> gather(const Tensor<T>& x, int64_t dim, const Tensor<I>& index) {
  detail::check_defined(x, "gather", "x");
  detail::check_defined(index, "gather", "index");
  detail::check_same_device(x, index, "gather");
  const int d = normalize_dim(dim, x.dim(), "gather");
  bool ok = index.dim() == x.dim();
  for (int i = 0; ok && i < x.dim(); ++i) ok = i == d || index.shape()[i] == x.shape()[i];
  TINYLM_CHECK(ok, "gather: x is ", x.shape(), ", index is ", index.shape(),
               ": index must have x's shape except along dim ", d);
  const Tensor<T> xc = detail::contiguous_data(x);
  const Tensor<I> ic = detail::contiguous_data(index);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int64_t n = x.shape()[d], m = index.shape()[d];
  const int64_t bad = kernels::find_invalid_index(ic.device(), ic.data(), ic.numel(), n);
  TINYLM_CHECK(bad < 0, "gather: index ", static_cast<int64_t>(detail::read_element(ic.data() + bad, ic.device())),
               " at position ", bad, " is out of range for dim ", d, " of size ", n);
  Tensor<T> out = Tensor<T>::empty(index.shape(), x.device());
  kernels::gather_forward(x.device(), out.data(), xc.data(), ic.data(), outer, n, m, inner);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "gather", {x}, [ic, in_shape = x.shape(), outer, n, m, inner](const Tensor<T>& g) {
        const Tensor<T> gc = detail::contiguous_data(g);
        Tensor<T> dx = Tensor<T>::empty(in_shape, g.device());
        kernels::gather_backward(g.device(), dx.data(), gc.data(), ic.data(), outer, n, m, inner);
        return std::vector{dx};
      });
    }
  }
  return out;
}

template <class T, IndexElement I>
Tensor<T> index_select(const Tensor<T>& x, int64_t dim, const Tensor<I>& index) {
  detail::check_defined(x, "index_select", "x");
  detail::check_defined(index, "index_select", "index");
  detail::check_same_device(x, index, "index_select");
  const int d = normalize_dim(dim, x.dim(), "index_select");
  TINYLM_CHECK(index.dim() == 1, "index_select: index is ", index.shape(), ": expected a 1-D list of indices");
  const Tensor<T> xc = detail::contiguous_data(x);
  const Tensor<I> ic = detail::contiguous_data(index);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  const int64_t n = x.shape()[d], m = index.numel();
  const int64_t bad = kernels::find_invalid_index(ic.device(), ic.data(), m, n);
  TINYLM_CHECK(bad < 0, "index_select: index ",
               static_cast<int64_t>(detail::read_element(ic.data() + bad, ic.device())), " at position ", bad,
               " is out of range for dim ", d, " of size ", n);
  Shape out_shape = x.shape();
  out_shape[d] = m;
  Tensor<T> out = Tensor<T>::empty(out_shape, x.device());
  kernels::index_select_forward(x.device(), out.data(), xc.data(), ic.data(), outer, n, m, inner);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "index_select", {x}, [ic, in_shape = x.shape(), outer, n, m, inner](const Tensor<T>& g) {
        const Tensor<T> gc = detail::contiguous_data(g);
        Tensor<T> dx = Tensor<T>::empty(in_shape, g.device());
        kernels::index_select_backward(g.device(), dx.data(), gc.data(), ic.data(), outer, n, m, inner);
        return std::vector{dx};
      });
    }
  }
  return out;
}

}  // namespace tinylm
