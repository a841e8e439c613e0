#pragma once
// Copies and in-place writes.
//
//   contiguous(x)  x itself if already contiguous, else a dense copy; grad passes through
//   clone(x)       always a dense copy; grad passes through
//   cast<U>(x)     element type conversion; not differentiable (result is detached)
//   to(x, device)  x itself on its own device, else a dense copy on `device`;
//                  the gradient goes back to x's device
//   x.fill_(v), x.zero_(), x.copy_(src)   in-place; not differentiable
//
// In-place writes on a leaf that requires grad are refused while grad mode
// is on: they would change a value the graph may have saved. Optimizers
// update parameters under NoGradGuard.

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/cuda_runtime.hpp"
#include "tinylm/ops/detail.hpp"

namespace tinylm {

template <class T>
Tensor<T> clone(const Tensor<T>& x) {
  detail::check_defined(x, "clone", "x");
  Tensor<T> out = kernels::dense_copy(x);
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) autograd::record(out, "clone", {x}, [](const Tensor<T>& g) { return std::vector{g}; });
  }
  return out;
}

template <class T>
Tensor<T> contiguous(const Tensor<T>& x) {
  detail::check_defined(x, "contiguous", "x");
  if (x.is_contiguous()) return x;
  return clone(x);
}

/// x on `device`: x itself when it is there already, else a dense copy.
/// Throws tinylm::Error naming the device when the build has no CUDA
/// backend or the machine no such device.
template <class T>
Tensor<T> to(const Tensor<T>& x, Device device) {
  detail::check_defined(x, "to", "x");
  if (x.device() == device) return x;
  cuda::check_device(device, "to");
  Tensor<T> out = Tensor<T>::empty(x.shape(), device);
#ifdef TINYLM_CUDA
  const Tensor<T> src = kernels::contiguous_data(x);
  cuda::copy(out.data(), device, src.data(), src.device(), static_cast<std::size_t>(x.numel()) * sizeof(T));
#endif
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(x)) {
      const Device from = x.device();
      autograd::record(out, "to", {x}, [from](const Tensor<T>& g) { return std::vector{to(g, from)}; });
    }
  }
  return out;
}

/// Converts elements to type U (like static_cast per element).
template <class U, class T>
Tensor<U> cast(const Tensor<T>& x) {
  detail::check_defined(x, "cast", "x");
  return detail::map_unary<U>(x, kernels::fn::Cast<U>{});
}

namespace detail {

template <class T>
void check_inplace(const Tensor<T>& t, const char* op) {
  TINYLM_CHECK(t.defined(), op, ": undefined tensor");
  TINYLM_CHECK(!(t.requires_grad() && t.is_leaf() && GradMode::is_enabled()), op, ": tensor of shape ", t.shape(),
               " is a leaf that requires grad; modify it in place only under NoGradGuard");
  TINYLM_CHECK(t.grad_fn() == nullptr || !GradMode::is_enabled(), op, ": tensor of shape ", t.shape(),
               " was produced by '", t.grad_fn()->name(), "'; in-place writes to graph tensors are not supported");
  for (int d = 0; d < t.dim(); ++d)
    TINYLM_CHECK(t.stride(d) != 0 || t.size(d) == 1, op, ": tensor of shape ", t.shape(),
                 " is an expanded view (zero stride); writing into it would write one element many times");
}

}  // namespace detail

/// Fills x with `value`, in place.
template <class T>
Tensor<T>& fill_(Tensor<T>& x, T value) {
  detail::check_inplace(x, "fill_");
  if (x.is_contiguous()) {
    kernels::fill(x.device(), x.data(), value, x.numel());
  } else {  // every element of the view from one value, read with stride 0
    Shape zero;
    zero.resize(x.dim(), 0);
    const Tensor<T> one = Tensor<T>::full({}, value, x.device());  // where the kernel can read it
    kernels::copy_strided(x.device(), x.data(), x.strides().data(), one.data(), zero.data(), x.shape().data(), x.dim());
  }
  return x;
}

/// Copies src into x, in place; src broadcasts to x's shape.
template <class T>
Tensor<T>& copy_(Tensor<T>& x, const Tensor<T>& src) {
  detail::check_inplace(x, "copy_");
  detail::check_defined(src, "copy_", "src");
  const Shape target = broadcast_shapes(x.shape(), src.shape(), "copy_", "self", "src");
  TINYLM_CHECK(target == x.shape(), "copy_: src of shape ", src.shape(), " cannot be broadcast to ", x.shape());
  if (src.device() != x.device()) return copy_(x, to(src, x.device()));
  if (src.storage_ptr() == x.storage_ptr()) {  // overlapping source: go through a copy
    const Tensor<T> tmp = kernels::dense_copy(src);
    return copy_(x, tmp);
  }
  const Shape ss = broadcast_strides(src.shape(), src.strides(), x.shape());
  kernels::copy_strided(x.device(), x.data(), x.strides().data(), src.data(), ss.data(), x.shape().data(), x.dim());
  return x;
}

/// The bodies of Tensor's copy methods (see core/tensor.hpp).
template <class T>
struct methods::ops_copy_hpp<Tensor<T>> {
  static Tensor<T> contiguous(const Tensor<T>& x) { return ::tinylm::contiguous(x); }
  static Tensor<T> clone(const Tensor<T>& x) { return ::tinylm::clone(x); }
  static Tensor<T>& fill_(Tensor<T>& x, T value) { return ::tinylm::fill_(x, value); }
  static Tensor<T>& copy_(Tensor<T>& x, const Tensor<T>& src) { return ::tinylm::copy_(x, src); }
  static Tensor<T> to(const Tensor<T>& x, Device device) { return ::tinylm::to(x, device); }
};

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> clone(const Tensor<float>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> contiguous(const Tensor<float>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> to(const Tensor<float>&, Device);
TINYLM_EXTERN_TEMPLATE Tensor<int32_t> to(const Tensor<int32_t>&, Device);
}  // namespace tinylm
#endif
