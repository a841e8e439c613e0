#pragma once
// Joining and splitting along a dim.
//
//   cat(xs, dim)          dx_i = g.narrow(dim, offset_i, size_i)
//   stack(xs, dim)        cat of xs each unsqueezed at dim
//   split(x, size, dim)   views of `size` elements each (the last may be shorter)
//   split(x, sizes, dim)  views of the given sizes, which must add up to x.size(dim)
//   chunk(x, n, dim)      n views of (almost) equal size

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

template <class T>
Tensor<T> cat(const std::vector<Tensor<T>>& xs, int64_t dim) {
  TINYLM_CHECK(!xs.empty(), "cat: needs at least one tensor");
  for (std::size_t i = 0; i < xs.size(); ++i) TINYLM_CHECK(xs[i].defined(), "cat: tensor ", i, " is undefined");
  const Tensor<T>& first = xs[0];
  const int d = normalize_dim(dim, first.dim(), "cat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const Shape& s = xs[i].shape();
    bool same = s.size() == first.dim();
    for (int j = 0; same && j < s.size(); ++j) same = j == d || s[j] == first.shape()[j];
    TINYLM_CHECK(same, "cat: tensor 0 is ", first.shape(), ", tensor ", i, " is ", s, ": all sizes but dim ", d,
                 " must match");
    out_shape[d] += s[d];
  }
  Tensor<T> out = Tensor<T>::empty(out_shape, first.device());
  const Shape os = out.strides();
  std::vector<int64_t> offsets;
  int64_t off = 0;
  for (const auto& x : xs) {
    offsets.push_back(off);
    kernels::copy_strided(out.device(), out.data() + off * os[d], os.data(), x.data(), x.strides().data(),
                          x.shape().data(), x.dim());
    off += x.shape()[d];
  }
  if constexpr (FloatElement<T>) {
    bool any = false;
    for (const auto& x : xs) any = any || autograd::needs_grad(x);
    if (any) {
      std::vector<int64_t> sizes;
      for (const auto& x : xs) sizes.push_back(x.shape()[d]);
      autograd::record(out, "cat", xs, [d, offsets, sizes](const Tensor<T>& g) {
        std::vector<Tensor<T>> grads;
        for (std::size_t i = 0; i < sizes.size(); ++i) grads.push_back(narrow(g, d, offsets[i], sizes[i]));
        return grads;
      });
    }
  }
  return out;
}

template <class T>
Tensor<T> stack(const std::vector<Tensor<T>>& xs, int64_t dim) {
  TINYLM_CHECK(!xs.empty(), "stack: needs at least one tensor");
  for (std::size_t i = 0; i < xs.size(); ++i) {
    TINYLM_CHECK(xs[i].defined(), "stack: tensor ", i, " is undefined");
    TINYLM_CHECK(xs[i].shape() == xs[0].shape(), "stack: tensor 0 is ", xs[0].shape(), ", tensor ", i, " is ",
                 xs[i].shape(), ": all shapes must match");
  }
  const int d = normalize_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor<T>> parts;
  for (const auto& x : xs) parts.push_back(unsqueeze(x, d));
  return cat(parts, d);
}

template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, const std::vector<int64_t>& sizes, int64_t dim) {
  detail::check_defined(x, "split", "x");
  const int d = normalize_dim(dim, x.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    TINYLM_CHECK(s >= 0, "split: negative size ", s);
    total += s;
  }
  TINYLM_CHECK(total == x.shape()[d], "split: sizes add up to ", total, " but dim ", d, " of shape ", x.shape(),
               " has ", x.shape()[d]);
  std::vector<Tensor<T>> out;
  int64_t off = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(x, d, off, s));
    off += s;
  }
  return out;
}

template <class T>
std::vector<Tensor<T>> split(const Tensor<T>& x, int64_t size, int64_t dim) {
  detail::check_defined(x, "split", "x");
  TINYLM_CHECK(size > 0, "split: size must be positive, got ", size);
  const int d = normalize_dim(dim, x.dim(), "split");
  std::vector<int64_t> sizes;
  for (int64_t off = 0; off < x.shape()[d]; off += size) sizes.push_back(std::min(size, x.shape()[d] - off));
  return split(x, sizes, d);
}

template <class T>
std::vector<Tensor<T>> chunk(const Tensor<T>& x, int64_t n, int64_t dim) {
  detail::check_defined(x, "chunk", "x");
  TINYLM_CHECK(n > 0, "chunk: number of chunks must be positive, got ", n);
  const int d = normalize_dim(dim, x.dim(), "chunk");
  return split(x, std::max<int64_t>(1, (x.shape()[d] + n - 1) / n), d);
}

}  // namespace tinylm
