#pragma once
// Sorting along a dim, and the k largest (or smallest) elements.
//
//   sort(x, dim, descending)     {values, indices}: values = gather(x, dim, indices)
//   argsort(x, dim, descending)  the indices alone
//   topk(x, k, dim, largest)     the first k of that order, in order
//
// Ties keep their order along dim (a stable sort); NaN sorts as larger
// than every number, as in PyTorch. The values are gather(x, dim, indices),
// so their gradient is gather's: g scattered back to where each value came
// from. The indices are not differentiable.

#include "tinylm/kernels/sort.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/gather.hpp"

namespace tinylm {

/// What sort and topk return: the values and where they were along dim.
template <class T>
struct SortResult {
  Tensor<T> values;
  Tensor<int64_t> indices;
};

namespace detail {

/// The positions of the first k of x along d in sorted order, shaped like x with k along d.
template <class T>
Tensor<int64_t> sorted_indices(const Tensor<T>& x, int d, int64_t k, bool descending) {
  const Tensor<T> xc = contiguous_data(x);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.shape()[i];
  for (int i = d + 1; i < x.dim(); ++i) inner *= x.shape()[i];
  Shape shape = x.shape();
  if (x.dim() > 0) shape[d] = k;
  Tensor<int64_t> idx = Tensor<int64_t>::empty(shape, x.device());
  const int64_t n = x.dim() > 0 ? x.shape()[d] : 1;
  if (idx.numel() > 0) kernels::argsort(x.device(), idx.data(), xc.data(), outer, n, inner, k, descending);
  return idx;
}

}  // namespace detail

/// The positions that sort x along dim.
template <class T>
Tensor<int64_t> argsort(const Tensor<T>& x, int64_t dim = -1, bool descending = false) {
  detail::check_defined(x, "argsort", "x");
  const int d = normalize_dim(dim, x.dim(), "argsort");
  return detail::sorted_indices(x, d, x.dim() > 0 ? x.shape()[d] : 1, descending);
}

/// x sorted along dim (ascending unless `descending`), and the positions the values came from.
template <class T>
SortResult<T> sort(const Tensor<T>& x, int64_t dim = -1, bool descending = false) {
  detail::check_defined(x, "sort", "x");
  const int d = normalize_dim(dim, x.dim(), "sort");
  if (x.dim() == 0) return {x, Tensor<int64_t>::zeros({})};
  Tensor<int64_t> idx = detail::sorted_indices(x, d, x.shape()[d], descending);
  return {gather(x, d, idx), idx};
}

/// The k largest (or, with largest = false, smallest) elements along dim, in order.
template <class T>
SortResult<T> topk(const Tensor<T>& x, int64_t k, int64_t dim = -1, bool largest = true) {
  detail::check_defined(x, "topk", "x");
  TINYLM_CHECK(x.dim() >= 1, "topk: x is a 0-d tensor; it needs a dim to choose along");
  const int d = normalize_dim(dim, x.dim(), "topk");
  TINYLM_CHECK(k >= 0 && k <= x.shape()[d], "topk: k is ", k, " but dim ", d, " of x (shape ", x.shape(), ") has ",
               x.shape()[d], " elements");
  Tensor<int64_t> idx = detail::sorted_indices(x, d, k, largest);
  return {gather(x, d, idx), idx};
}

}  // namespace tinylm
