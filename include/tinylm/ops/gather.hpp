#pragma once
// gather(x, dim, index): out[o, j, i] = x[o, index[o, j, i], i], viewing x as
// [outer, n, inner] around `dim`. index has x's shape except along dim.
// Backward scatter-adds: dx[o, index[o, j, i], i] += g[o, j, i].

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <class T, IndexElement I>
Tensor<T> gather(const Tensor<T>& x, int64_t dim, const Tensor<I>& index) {
  detail::check_defined(x, "gather", "x");
  detail::check_defined(index, "gather", "index");
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
  for (int64_t k = 0; k < ic.numel(); ++k) {
    const int64_t v = static_cast<int64_t>(ic.data()[k]);
    TINYLM_CHECK(v >= 0 && v < n, "gather: index ", v, " at position ", k, " is out of range for dim ", d,
                 " of size ", n);
  }
  Tensor<T> out = Tensor<T>::empty(index.shape());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t k = (o * m + j) * inner + i;
        out.data()[k] = xc.data()[(o * n + static_cast<int64_t>(ic.data()[k])) * inner + i];
      }
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "gather", {x}, [ic, in_shape = x.shape(), outer, n, m, inner](const Tensor<T>& g) {
        const Tensor<T> gc = detail::contiguous_data(g);
        Tensor<T> dx = Tensor<T>::zeros(in_shape);
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < m; ++j)
            for (int64_t i = 0; i < inner; ++i) {
              const int64_t k = (o * m + j) * inner + i;
              dx.data()[(o * n + static_cast<int64_t>(ic.data()[k])) * inner + i] += gc.data()[k];
            }
        return std::vector{dx};
      });
    }
  }
  return out;
}

}  // namespace tinylm
