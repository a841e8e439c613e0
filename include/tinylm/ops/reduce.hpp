#pragma once
// Reductions.
//
//   sum(x, dims, keepdim)    backward: g broadcast back over the summed dims
//   mean(x, dims, keepdim)   backward: g / count, broadcast back
//   max(x, dim, keepdim)     {values, indices} from one pass; backward: g routed
//                            to the first position of each max (the indices)
//   max(x)                   max over all elements, same rule
//   argmax(x, dim, keepdim)  int64 indices alone, not differentiable
//   sum_to(g, shape)         sums a broadcast gradient back to an input's
//                            shape; every broadcasting op's backward uses it
//
// A reduction over a run of adjacent dims of a contiguous tensor is one
// kernel call over the [outer, n, inner] view of the data.

#include <algorithm>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/kernels/reduce.hpp"
#include "tinylm/ops/copy.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/view.hpp"

namespace tinylm {

template <class T>
Tensor<T> sum(const Tensor<T>& x, const Shape& dims, bool keepdim = false);

namespace detail {

/// Normalized, sorted, unique dims; empty `dims` means all of them.
inline std::vector<int> reduce_dims(const Shape& dims, int nd, const char* op) {
  std::vector<int> out;
  if (dims.empty()) {
    for (int i = 0; i < nd; ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(d, nd, op));
  std::sort(out.begin(), out.end());
  for (std::size_t i = 1; i < out.size(); ++i)
    TINYLM_CHECK(out[i] != out[i - 1], op, ": dim ", out[i], " appears twice in ", dims);
  return out;
}

/// Shape after reducing `dims` (kept as 1 with keepdim).
inline Shape reduced_shape(const Shape& in, const std::vector<int>& dims, bool keepdim) {
  Shape out;
  for (int i = 0; i < in.size(); ++i) {
    const bool r = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!r) out.push_back(in[i]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

/// sum (scale 1) or mean (scale 1/count) over dims, recorded as `name`.
template <class T>
Tensor<T> scaled_sum(const Tensor<T>& x, const Shape& dims, bool keepdim, bool is_mean, const char* name) {
  check_defined(x, name, "x");
  const std::vector<int> rd = reduce_dims(dims, x.dim(), name);
  const Shape kept = reduced_shape(x.shape(), rd, true);
  const Shape out_shape = reduced_shape(x.shape(), rd, keepdim);
  int64_t count = 1;
  for (int d : rd) count *= x.shape()[d];
  Tensor<T> k = rd.empty() ? clone(x.detach()) : sum_dims(x, rd);
  T scale = T(1);
  if (is_mean) {
    scale = T(1) / static_cast<T>(count);
    kernels::map(x.device(), k.data(), k.data(), k.numel(), kernels::fn::MulScalar<T>{scale});
  }
  Tensor<T> out = k.alias(out_shape, contiguous_strides(out_shape), 0);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      const Shape in_shape = x.shape();
      autograd::record(out, name, {x}, [in_shape, kept, scale, is_mean](const Tensor<T>& g) {
        const Tensor<T> gs = is_mean ? map_unary<T>(g, kernels::fn::MulScalar<T>{scale}) : g;
        return std::vector{gs.reshape(kept).expand(in_shape)};
      });
    }
  }
  return out;
}

}  // namespace detail

/// Sum over `dims` (all dims when empty).
template <class T>
Tensor<T> sum(const Tensor<T>& x, const Shape& dims, bool keepdim) {
  return detail::scaled_sum(x, dims, keepdim, false, "sum");
}

template <class T>
Tensor<T> sum(const Tensor<T>& x) {
  return sum(x, Shape{}, false);
}

/// Mean over `dims` (all dims when empty).
template <FloatElement T>
Tensor<T> mean(const Tensor<T>& x, const Shape& dims, bool keepdim = false) {
  return detail::scaled_sum(x, dims, keepdim, true, "mean");
}

template <FloatElement T>
Tensor<T> mean(const Tensor<T>& x) {
  return mean(x, Shape{}, false);
}

namespace detail {

template <class T>
std::pair<Tensor<T>, Tensor<int64_t>> max_kernel(const Tensor<T>& x, int d, const char* op) {
  TINYLM_CHECK(x.numel() > 0, op, ": cannot reduce an empty tensor of shape ", x.shape());
  const Tensor<T> c = contiguous_data(x);
  const Shape& s = c.shape();
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= s[i];
  for (int i = d + 1; i < s.size(); ++i) inner *= s[i];
  Shape os = s;
  os[d] = 1;
  Tensor<T> values = Tensor<T>::empty(os, x.device());
  Tensor<int64_t> idx = Tensor<int64_t>::empty(os, x.device());
  kernels::max_axis(x.device(), values.data(), idx.data(), c.data(), outer, s[d], inner);
  return {values, idx};
}

/// Routes g to the argmax positions of a max over dim d of an input of in_shape.
template <class T>
Tensor<T> max_backward(const Tensor<T>& g, const Shape& in_shape, int d, const Tensor<int64_t>& idx) {
  Tensor<T> gin = Tensor<T>::empty(in_shape, g.device());
  const Tensor<T> gc = contiguous_data(g);
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= in_shape[i];
  for (int i = d + 1; i < in_shape.size(); ++i) inner *= in_shape[i];
  const int64_t n = in_shape.size() ? in_shape[d] : 1;
  kernels::max_axis_backward(g.device(), gin.data(), gc.data(), idx.data(), outer, n, inner);
  return gin;
}

}  // namespace detail

/// What max(x, dim) returns: the maxima and where they are.
template <class T>
struct MaxResult {
  Tensor<T> values;         // differentiable
  Tensor<int64_t> indices;  // the first position of each max along dim
};

/// Max along `dim` and its first position; the gradient flows to that position.
template <class T>
MaxResult<T> max(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  detail::check_defined(x, "max", "x");
  const int d = normalize_dim(dim, x.dim(), "max");
  const auto kernel_out = detail::max_kernel(x, d, "max");
  const Tensor<T>& values = kernel_out.first;
  const Tensor<int64_t> idx = kernel_out.second;  // a plain name: the closure below captures it
  Shape out_shape = values.shape();
  if (!keepdim && x.dim() > 0) out_shape.erase(d);
  Tensor<T> out = values.alias(out_shape, contiguous_strides(out_shape), 0);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      autograd::record(out, "max", {x}, [in_shape = x.shape(), d, idx](const Tensor<T>& g) {
        return std::vector{detail::max_backward(g, in_shape, d, idx)};
      });
    }
  }
  return {out, idx.alias(out_shape, contiguous_strides(out_shape), 0)};
}

/// Max over all elements (a 0-d tensor).
template <class T>
Tensor<T> max(const Tensor<T>& x) {
  detail::check_defined(x, "max", "x");
  return max(reshape(x, Shape{x.numel()}), 0, false).values;
}

/// Index of the first max along `dim`.
template <class T>
Tensor<int64_t> argmax(const Tensor<T>& x, int64_t dim, bool keepdim = false) {
  detail::check_defined(x, "argmax", "x");
  const int d = normalize_dim(dim, x.dim(), "argmax");
  auto [values, idx] = detail::max_kernel(x, d, "argmax");
  Shape out_shape = idx.shape();
  if (!keepdim && x.dim() > 0) out_shape.erase(d);
  return idx.alias(out_shape, contiguous_strides(out_shape), 0);
}

/// Sums a gradient of a broadcast result back to `shape` (the inverse of
/// broadcasting `shape` up to g's shape).
template <class T>
Tensor<T> sum_to(const Tensor<T>& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const std::vector<int> dims = detail::broadcast_dims(g.shape(), shape, "sum_to");
  if (dims.empty()) return reshape(g, shape);
  return reshape(sum(g, Shape(dims.begin(), dims.end()), true), shape);
}

/// The bodies of Tensor's reduction methods (see core/tensor.hpp).
template <class T>
struct methods::ops_reduce_hpp<Tensor<T>> {
  static Tensor<T> sum(const Tensor<T>& x) { return ::tinylm::sum(x); }
  static Tensor<T> sum(const Tensor<T>& x, const Shape& dims, bool keepdim) { return ::tinylm::sum(x, dims, keepdim); }
  static Tensor<T> mean(const Tensor<T>& x) { return ::tinylm::mean(x); }
  static Tensor<T> mean(const Tensor<T>& x, const Shape& dims, bool keepdim) {
    return ::tinylm::mean(x, dims, keepdim);
  }
  static Tensor<T> max(const Tensor<T>& x) { return ::tinylm::max(x); }
  static MaxResult<T> max(const Tensor<T>& x, int64_t dim, bool keepdim) { return ::tinylm::max(x, dim, keepdim); }
};

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> sum_to(const Tensor<float>&, const Shape&);
}  // namespace tinylm
#endif
