#pragma once
// Views: new shape and strides over the same storage, no data copied
// (reshape copies only when the input's layout cannot be viewed).
//
//   reshape / view / flatten / squeeze / unsqueeze   backward: reshape g back
//   transpose(d0, d1), permute(dims)                 backward: the inverse permutation of g
//   narrow(dim, start, len), slice(...), select(...) backward: g written into zeros of the input's shape
//   expand(shape)                                    backward: sum g over the broadcast dims

#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/ops/copy.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

namespace detail {

/// Resolves one -1 in a requested shape against numel.
inline Shape infer_shape(const Shape& in, Shape req, const char* op) {
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < req.size(); ++i) {
    if (req[i] == -1) {
      TINYLM_CHECK(infer < 0, op, ": only one dimension can be -1, got ", req);
      infer = i;
    } else {
      TINYLM_CHECK(req[i] >= 0, op, ": invalid size ", req[i], " in ", req);
      known *= req[i];
    }
  }
  const int64_t n = in.numel();
  if (infer >= 0) {
    TINYLM_CHECK(known != 0 && n % known == 0, op, ": shape ", req, " is invalid for input of shape ", in, " (", n,
                 " elements)");
    req[infer] = n / known;
  }
  TINYLM_CHECK(req.numel() == n, op, ": shape ", req, " is invalid for input of shape ", in, " (", n, " elements)");
  return req;
}

/// A view that records `name` with backward `bw` when x needs grad.
template <class T, class Bw>
Tensor<T> make_view(const Tensor<T>& x, const Shape& shape, const Shape& strides, int64_t offset, const char* name,
                    Bw bw) {
  Tensor<T> out = x.alias(shape, strides, offset);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) autograd::record(out, name, {x}, std::move(bw));
  }
  return out;
}

/// g placed into zeros of `in_shape` at the region a view with this layout selected.
template <class T>
Tensor<T> scatter_view_grad(const Tensor<T>& g, const Shape& in_shape, const Shape& view_strides_in_input,
                            int64_t view_offset) {
  Tensor<T> gin = Tensor<T>::empty(in_shape, g.device());
  kernels::fill(g.device(), gin.data(), T(0), gin.numel());
  kernels::copy_strided(g.device(), gin.data() + view_offset, view_strides_in_input.data(), g.data(),
                        g.strides().data(), g.shape().data(), g.dim());
  return gin;
}

}  // namespace detail

/// Same data in a new shape (one size may be -1). Copies only if x's layout
/// cannot be viewed in that shape.
template <class T>
Tensor<T> reshape(const Tensor<T>& x, const Shape& shape) {
  detail::check_defined(x, "reshape", "x");
  const Shape s = detail::infer_shape(x.shape(), shape, "reshape");
  const Shape in_shape = x.shape();
  const Tensor<T> src = x.is_contiguous() ? x : clone(x);
  return detail::make_view(src, s, contiguous_strides(s), src.offset(), "reshape",
                           [in_shape](const Tensor<T>& g) { return std::vector{reshape(g, in_shape)}; });
}

/// Like reshape, but never copies: x must be contiguous.
template <class T>
Tensor<T> view(const Tensor<T>& x, const Shape& shape) {
  detail::check_defined(x, "view", "x");
  TINYLM_CHECK(x.is_contiguous(), "view: tensor of shape ", x.shape(), " with strides ", x.strides(),
               " is not contiguous; use reshape() (which copies) or contiguous() first");
  return reshape(x, shape);
}

template <class T>
Tensor<T> flatten(const Tensor<T>& x) {
  return reshape(x, Shape{x.numel()});
}

template <class T>
Tensor<T> permute(const Tensor<T>& x, const Shape& dims) {
  detail::check_defined(x, "permute", "x");
  const int nd = x.dim();
  TINYLM_CHECK(dims.size() == nd, "permute: ", dims, " has ", dims.size(), " dims, the tensor has ", nd, " (shape ",
               x.shape(), ")");
  Shape shape, strides, inverse;
  shape.resize(nd);
  strides.resize(nd);
  inverse.resize(nd, -1);
  for (int i = 0; i < nd; ++i) {
    const int d = normalize_dim(dims[i], nd, "permute");
    TINYLM_CHECK(inverse[d] == -1, "permute: dim ", d, " appears twice in ", dims);
    inverse[d] = i;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
  }
  return detail::make_view(x, shape, strides, x.offset(), "permute",
                           [inverse](const Tensor<T>& g) { return std::vector{permute(g, inverse)}; });
}

template <class T>
Tensor<T> transpose(const Tensor<T>& x, int64_t dim0, int64_t dim1) {
  detail::check_defined(x, "transpose", "x");
  const int nd = x.dim();
  const int a = normalize_dim(dim0, nd, "transpose"), b = normalize_dim(dim1, nd, "transpose");
  Shape shape = x.shape(), strides = x.strides();
  std::swap(shape[a], shape[b]);
  std::swap(strides[a], strides[b]);
  return detail::make_view(x, shape, strides, x.offset(), "transpose",
                           [a, b](const Tensor<T>& g) { return std::vector{transpose(g, a, b)}; });
}

/// Elements start, start+step, ... (below end) along dim. Negative start and
/// end count from the end; both are clamped to the size, as in Python.
template <class T>
Tensor<T> slice(const Tensor<T>& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1) {
  detail::check_defined(x, "slice", "x");
  const int d = normalize_dim(dim, x.dim(), "slice");
  TINYLM_CHECK(step > 0, "slice: step must be positive, got ", step);
  const int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape shape = x.shape(), strides = x.strides();
  shape[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  const int64_t offset = x.offset() + start * x.strides()[d];
  const Shape in_shape = x.shape();
  Shape in_strides_of_view = contiguous_strides(in_shape);
  const int64_t rel = start * in_strides_of_view[d];
  in_strides_of_view[d] *= step;
  Tensor<T> out =
      detail::make_view(x, shape, strides, offset, "slice", [in_shape, in_strides_of_view, rel](const Tensor<T>& g) {
        return std::vector{detail::scatter_view_grad(g, in_shape, in_strides_of_view, rel)};
      });
  if constexpr (FloatElement<T>) {
    if (out.grad_fn()) out.grad_fn()->set_region({in_strides_of_view, rel});
  }
  return out;
}

/// `length` elements from `start` along dim; the range must lie inside the tensor.
template <class T>
Tensor<T> narrow(const Tensor<T>& x, int64_t dim, int64_t start, int64_t length) {
  detail::check_defined(x, "narrow", "x");
  const int d = normalize_dim(dim, x.dim(), "narrow");
  const int64_t n = x.shape()[d];
  if (start < 0) start += n;
  TINYLM_CHECK(start >= 0 && length >= 0 && start + length <= n, "narrow: start ", start, " and length ", length,
               " do not fit in dim ", d, " of size ", n, " (shape ", x.shape(), ")");
  return slice(x, d, start, start + length);
}

/// The slice at `index` along dim, with that dim removed.
template <class T>
Tensor<T> select(const Tensor<T>& x, int64_t dim, int64_t index) {
  detail::check_defined(x, "select", "x");
  const int d = normalize_dim(dim, x.dim(), "select");
  const int64_t n = x.shape()[d];
  TINYLM_CHECK(index >= -n && index < n, "select: index ", index, " is out of range for dim ", d, " of size ", n,
               " (shape ", x.shape(), ")");
  if (index < 0) index += n;
  return reshape(narrow(x, d, index, 1), [&] {
    Shape s = x.shape();
    s.erase(d);
    return s;
  }());
}

/// Broadcasts size-1 dims (and new leading dims) to `shape`; -1 keeps a size.
template <class T>
Tensor<T> expand(const Tensor<T>& x, const Shape& shape) {
  detail::check_defined(x, "expand", "x");
  TINYLM_CHECK(shape.size() >= x.dim(), "expand: cannot expand shape ", x.shape(), " to ", shape,
               " (fewer dimensions)");
  const int lead = shape.size() - x.dim();
  Shape out_shape, strides;
  out_shape.resize(shape.size());
  strides.resize(shape.size());
  for (int i = 0; i < shape.size(); ++i) {
    const int j = i - lead;
    if (j < 0) {
      TINYLM_CHECK(shape[i] >= 0, "expand: size -1 is not allowed for a new leading dim in ", shape);
      out_shape[i] = shape[i];
      strides[i] = 0;
      continue;
    }
    const int64_t have = x.shape()[j];
    const int64_t want = shape[i] == -1 ? have : shape[i];
    TINYLM_CHECK(have == want || have == 1, "expand: cannot expand shape ", x.shape(), " to ", shape, " (dim ", i, ": ",
                 have, " vs ", want, ")");
    out_shape[i] = want;
    strides[i] = have == want ? x.strides()[j] : 0;
  }
  const Shape in_shape = x.shape();
  return detail::make_view(x, out_shape, strides, x.offset(), "expand",
                           [in_shape](const Tensor<T>& g) { return std::vector{detail::sum_to_shape(g, in_shape)}; });
}

/// Removes dim if its size is 1 (otherwise returns x unchanged, as PyTorch).
template <class T>
Tensor<T> squeeze(const Tensor<T>& x, int64_t dim) {
  detail::check_defined(x, "squeeze", "x");
  const int d = normalize_dim(dim, x.dim(), "squeeze");
  if (x.shape()[d] != 1) return x;
  Shape s = x.shape();
  s.erase(d);
  return reshape(x, s);
}

/// Inserts a dim of size 1 at `dim` (which may equal x.dim()).
template <class T>
Tensor<T> unsqueeze(const Tensor<T>& x, int64_t dim) {
  detail::check_defined(x, "unsqueeze", "x");
  const int d = normalize_dim(dim, x.dim() + 1, "unsqueeze");
  Shape s = x.shape();
  s.insert(d, 1);
  return reshape(x, s);
}

/// The bodies of Tensor's view methods (see core/tensor.hpp).
template <class T>
struct methods::ops_view_hpp<Tensor<T>> {
  static Tensor<T> reshape(const Tensor<T>& x, const Shape& s) { return ::tinylm::reshape(x, s); }
  static Tensor<T> view(const Tensor<T>& x, const Shape& s) { return ::tinylm::view(x, s); }
  static Tensor<T> flatten(const Tensor<T>& x) { return ::tinylm::flatten(x); }
  static Tensor<T> transpose(const Tensor<T>& x, int64_t a, int64_t b) { return ::tinylm::transpose(x, a, b); }
  static Tensor<T> permute(const Tensor<T>& x, const Shape& dims) { return ::tinylm::permute(x, dims); }
  static Tensor<T> narrow(const Tensor<T>& x, int64_t d, int64_t s, int64_t n) { return ::tinylm::narrow(x, d, s, n); }
  static Tensor<T> slice(const Tensor<T>& x, int64_t d, int64_t s, int64_t e, int64_t st) {
    return ::tinylm::slice(x, d, s, e, st);
  }
  static Tensor<T> select(const Tensor<T>& x, int64_t d, int64_t i) { return ::tinylm::select(x, d, i); }
  static Tensor<T> expand(const Tensor<T>& x, const Shape& s) { return ::tinylm::expand(x, s); }
  static Tensor<T> squeeze(const Tensor<T>& x, int64_t d) { return ::tinylm::squeeze(x, d); }
  static Tensor<T> unsqueeze(const Tensor<T>& x, int64_t d) { return ::tinylm::unsqueeze(x, d); }
};

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> reshape(const Tensor<float>&, const Shape&);
TINYLM_EXTERN_TEMPLATE Tensor<int32_t> reshape(const Tensor<int32_t>&, const Shape&);
TINYLM_EXTERN_TEMPLATE Tensor<bool> reshape(const Tensor<bool>&, const Shape&);
TINYLM_EXTERN_TEMPLATE Tensor<float> transpose(const Tensor<float>&, int64_t, int64_t);
TINYLM_EXTERN_TEMPLATE Tensor<float> slice(const Tensor<float>&, int64_t, int64_t, int64_t, int64_t);
TINYLM_EXTERN_TEMPLATE Tensor<float> narrow(const Tensor<float>&, int64_t, int64_t, int64_t);
TINYLM_EXTERN_TEMPLATE Tensor<float> select(const Tensor<float>&, int64_t, int64_t);
TINYLM_EXTERN_TEMPLATE Tensor<float> expand(const Tensor<float>&, const Shape&);
TINYLM_EXTERN_TEMPLATE Tensor<bool> expand(const Tensor<bool>&, const Shape&);
}  // namespace tinylm
#endif
