#pragma once
// Tensor<T>: a cheap shared handle to an n-dimensional array.
//
// Copying a Tensor aliases it, as in PyTorch: both handles see the same
// storage, shape and autograd state. A view (reshape, transpose, narrow, ...)
// is a new handle with its own shape, strides and offset over the same
// storage. Besides the data, a handle carries what reverse-mode autograd
// needs: requires_grad, the accumulated .grad(), and grad_fn, the graph node
// that produced it (null for leaves). The rules for how each op propagates
// gradients live in ops/; this file only holds the state.
//
// Methods that are ops (reshape(), sum(), backward(), ...) are written here
// as calls to the header that defines the op, through the structs in
// tinylm::methods below: x.reshape(s) works once tinylm/ops/view.hpp is
// included (tinylm/tinylm.hpp includes them all), and without it the
// compiler stops with an error that names the header,
// "incomplete type 'tinylm::methods::ops_view_hpp<...>'". Core itself stays
// free of ops.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinylm/core/cuda_runtime.hpp"
#include "tinylm/core/device.hpp"
#include "tinylm/core/dtype.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/shape.hpp"
#include "tinylm/core/storage.hpp"

namespace tinylm {

namespace autograd {
/// What core knows of a graph node: the name of the op that made it.
/// autograd/node.hpp defines Node<T>, which is one.
class NodeBase {
 public:
  explicit NodeBase(std::string name) : name_(std::move(name)) {}
  virtual ~NodeBase() = default;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};
template <class T>
class Node;
}  // namespace autograd
template <class T>
struct MaxResult;

/// Each is completed by the header it is named after (ops/view.hpp defines
/// ops_view_hpp<Tensor<T>>, and so on) with the bodies of Tensor's methods.
namespace methods {
template <class Tensor>
struct ops_view_hpp;
template <class Tensor>
struct ops_reduce_hpp;
template <class Tensor>
struct ops_copy_hpp;
template <class Tensor>
struct autograd_engine_hpp;
}  // namespace methods

template <Element T>
class Tensor;

template <Element T>
struct TensorImpl {
  std::shared_ptr<Storage<T>> storage;
  Shape shape;
  Shape strides;
  int64_t offset = 0;
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<TensorImpl<T>> grad;
  std::shared_ptr<autograd::Node<T>> grad_fn;
  const autograd::NodeBase* grad_fn_base = nullptr;  // grad_fn, as core sees it
  int output_nr = 0;                                 // which output of grad_fn this tensor is
  /// A leaf's grad-ready hooks (autograd/hooks.hpp), by id: called with the
  /// leaf when a backward has added every contribution to .grad().
  std::vector<std::pair<int64_t, std::function<void(const Tensor<T>&)>>> grad_ready_hooks;
};

namespace detail {

/// Calls f(offset) for every element of a strided layout, in row-major order.
template <class F>
void for_each_offset(const Shape& shape, const Shape& strides, int64_t offset, F&& f) {
  const int nd = shape.size();
  const int64_t n = shape.numel();
  if (n == 0) return;
  Shape idx;
  idx.resize(nd);
  int64_t off = offset;
  for (int64_t i = 0; i < n; ++i) {
    f(off);
    for (int d = nd - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

/// Copies between a tensor on any device and host values (defined below Tensor).
template <Element T>
std::vector<T> copy_to_host(const Tensor<T>& t);
template <Element T>
void copy_to_device(const Tensor<T>& t, const std::vector<T>& values);

}  // namespace detail

template <Element T>
class Tensor {
 public:
  using value_type = T;
  using Impl = TensorImpl<T>;

  /// An undefined tensor (like a null pointer); defined() is false.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  // ---- factories -------------------------------------------------------

  /// Uninitialized contiguous tensor.
  static Tensor empty(const Shape& shape, Device device = Device::cpu()) {
    int64_t n = 1;  // the product of the non-zero sizes: the largest stride must fit too
    bool zero = false;
    for (int64_t d : shape) {
      TINYLM_CHECK(d >= 0, "Tensor::empty: negative size in shape ", shape);
      if (d == 0) zero = true;
      else
        TINYLM_CHECK(!__builtin_mul_overflow(n, d, &n), "Tensor::empty: shape ", shape,
                     " has more elements than a 64-bit count holds");
    }
    auto impl = std::make_shared<Impl>();
    impl->storage = std::make_shared<Storage<T>>(zero ? 0 : n, device);
    impl->shape = shape;
    impl->strides = contiguous_strides(shape);
    return Tensor(std::move(impl));
  }
  /// A tensor of `shape` with every element `value`, on `device`.
  static Tensor full(const Shape& shape, T value, Device device = Device::cpu()) {
    Tensor t = empty(shape, device);
    const int64_t n = t.numel();
    if (device.is_cpu()) {
      T* p = t.data();
      for (int64_t i = 0; i < n; ++i) p[i] = value;
    } else {
      detail::copy_to_device(t, std::vector<T>(static_cast<std::size_t>(n), value));
    }
    return t;
  }
  static Tensor zeros(const Shape& shape, Device device = Device::cpu()) { return full(shape, T(0), device); }
  static Tensor ones(const Shape& shape, Device device = Device::cpu()) { return full(shape, T(1), device); }
  /// A 0-d tensor holding one value.
  static Tensor scalar(T value) { return full(Shape{}, value); }

  /// [start, start + step, ...) up to but excluding end.
  static Tensor arange(T start, T end, T step = T(1)) {
    TINYLM_CHECK(step != T(0), "Tensor::arange: step must be nonzero");
    const double span = (static_cast<double>(end) - static_cast<double>(start)) / static_cast<double>(step);
    const int64_t n = span > 0 ? static_cast<int64_t>(std::ceil(span)) : 0;
    Tensor t = empty({n});
    for (int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<T>(start + static_cast<T>(i) * step);
    return t;
  }
  static Tensor arange(T end) { return arange(T(0), end, T(1)); }

  /// Copies `values` into a new tensor of `shape` (1-D when shape is omitted).
  static Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu()) {
    TINYLM_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "Tensor::from_vector: ", values.size(),
                 " values cannot fill shape ", shape, " (", shape.numel(), " elements)");
    Tensor t = empty(shape, device);
    if (device.is_cpu()) std::copy(values.begin(), values.end(), t.data());
    else detail::copy_to_device(t, values);
    return t;
  }
  static Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<int64_t>(values.size())});
  }

  /// Standard normal samples from `gen`.
  static Tensor randn(const Shape& shape, Generator& gen = default_generator()) requires FloatElement<T> {
    Tensor t = empty(shape);
    for (int64_t i = 0, n = t.numel(); i < n; ++i) t.data()[i] = static_cast<T>(gen.normal());
    return t;
  }
  /// Uniform samples in [0, 1) from `gen`.
  static Tensor rand(const Shape& shape, Generator& gen = default_generator()) requires FloatElement<T> {
    Tensor t = empty(shape);
    for (int64_t i = 0, n = t.numel(); i < n; ++i) t.data()[i] = static_cast<T>(gen.uniform());
    return t;
  }
  /// Uniform integers in [low, high) from `gen`.
  static Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen = default_generator()) {
    TINYLM_CHECK(low < high, "Tensor::randint: low (", low, ") must be less than high (", high, ")");
    Tensor t = empty(shape);
    const auto range = static_cast<uint64_t>(high - low);
    for (int64_t i = 0, n = t.numel(); i < n; ++i)
      t.data()[i] = static_cast<T>(low + static_cast<int64_t>(gen.below(range)));
    return t;
  }

  // ---- layout ----------------------------------------------------------

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return checked().shape; }
  const Shape& strides() const { return checked().strides; }
  int dim() const { return shape().size(); }
  int64_t size(int64_t d) const { return shape()[normalize_dim(d, dim(), "Tensor::size")]; }
  int64_t stride(int64_t d) const { return strides()[normalize_dim(d, dim(), "Tensor::stride")]; }
  int64_t numel() const { return shape().numel(); }
  int64_t offset() const { return checked().offset; }
  Device device() const { return checked().storage->device(); }

  /// True when the elements are laid out densely in row-major order.
  bool is_contiguous() const {
    const Impl& m = checked();
    int64_t expected = 1;
    for (int i = m.shape.size() - 1; i >= 0; --i) {
      if (m.shape[i] == 1) continue;
      if (m.strides[i] != expected) return false;
      expected *= m.shape[i];
    }
    return true;
  }

  /// Pointer to the first element (storage + offset). Mind the strides.
  T* data() const { return checked().storage->data() + impl_->offset; }
  Storage<T>& storage() const { return *checked().storage; }
  const std::shared_ptr<Storage<T>>& storage_ptr() const { return checked().storage; }

  // ---- elements --------------------------------------------------------

  /// The value of a one-element tensor (copied to the host if need be).
  T item() const {
    TINYLM_CHECK(numel() == 1, "Tensor::item: tensor of shape ", shape(), " has ", numel(),
                 " elements, item() needs exactly one");
    if (!device().is_cpu()) return detail::copy_to_host(*this)[0];
    return *data();
  }

  /// Reference to one element, bounds-checked: t.at({i, j}).
  T& at(std::initializer_list<int64_t> index) const {
    const Impl& m = checked();
    TINYLM_CHECK(m.storage->device().is_cpu(), "Tensor::at: the tensor is on ", m.storage->device(),
                 "; at() refers to host memory (copy it with .to(Device::cpu()) first)");
    TINYLM_CHECK(static_cast<int>(index.size()) == m.shape.size(), "Tensor::at: ", index.size(),
                 " indices given for a tensor of shape ", m.shape);
    int64_t off = m.offset;
    int d = 0;
    for (int64_t i : index) {
      TINYLM_CHECK(i >= -m.shape[d] && i < m.shape[d], "Tensor::at: index ", i, " is out of range for dim ", d,
                   " of shape ", m.shape);
      off += (i < 0 ? i + m.shape[d] : i) * m.strides[d];
      ++d;
    }
    return m.storage->data()[off];
  }

  /// All elements in row-major order, whatever the strides.
  std::vector<T> to_vector() const {
    const Impl& m = checked();
    if (!m.storage->device().is_cpu()) return detail::copy_to_host(*this);
    std::vector<T> out;
    out.reserve(static_cast<std::size_t>(m.shape.numel()));
    const T* base = m.storage->data();
    detail::for_each_offset(m.shape, m.strides, m.offset, [&](int64_t off) { out.push_back(base[off]); });
    return out;
  }

  // ---- autograd state ----------------------------------------------------

  bool requires_grad() const { return defined() && impl_->requires_grad; }
  /// Marks a leaf as a parameter whose gradient backward() accumulates.
  Tensor& requires_grad_(bool on = true) {
    Impl& m = checked();
    if constexpr (!FloatElement<T>) {
      TINYLM_CHECK(!on, "requires_grad_: only float32 and float64 tensors can require grad (this one is ",
                   dtype_name<T>(), ")");
    }
    TINYLM_CHECK(on || !m.grad_fn, "requires_grad_: cannot turn off requires_grad of a non-leaf tensor; use detach()");
    m.requires_grad = on;
    return *this;
  }
  /// The gradient accumulated by backward(); undefined until then.
  Tensor grad() const { return defined() && impl_->grad ? Tensor(impl_->grad) : Tensor(); }
  void set_grad(const Tensor& g) const { checked().grad = g.impl_; }
  /// Drops the accumulated gradient (the next backward() starts from zero).
  void zero_grad() const { checked().grad.reset(); }
  /// True for tensors not produced by a recorded op.
  bool is_leaf() const { return !defined() || !impl_->grad_fn; }
  /// Asks backward() to keep this non-leaf tensor's gradient in grad().
  Tensor& retain_grad() {
    checked().retains_grad = true;
    return *this;
  }
  bool retains_grad() const { return defined() && impl_->retains_grad; }
  const std::shared_ptr<autograd::Node<T>>& grad_fn() const { return checked().grad_fn; }
  void set_grad_fn(std::shared_ptr<autograd::Node<T>> fn) const {
    checked().grad_fn_base = fn.get();
    checked().grad_fn = std::move(fn);
  }
  /// The name of the op that produced this tensor ("" for a leaf).
  std::string grad_fn_name() const { return defined() && impl_->grad_fn_base ? impl_->grad_fn_base->name() : ""; }

  /// Same data, no autograd history, requires_grad false.
  Tensor detach() const { return alias(shape(), strides(), offset()); }

  /// A handle over the same storage with the given layout and no autograd state.
  Tensor alias(const Shape& shape, const Shape& strides, int64_t offset) const {
    auto impl = std::make_shared<Impl>();
    impl->storage = checked().storage;
    impl->shape = shape;
    impl->strides = strides;
    impl->offset = offset;
    return Tensor(std::move(impl));
  }

  /// Identity of the underlying handle (two aliases compare equal).
  const Impl* impl() const { return impl_.get(); }
  const std::shared_ptr<Impl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- methods that are ops, defined by their op's header ---------------

  // tinylm/ops/view.hpp
  Tensor reshape(const Shape& shape) const { return methods::ops_view_hpp<Tensor>::reshape(*this, shape); }
  Tensor view(const Shape& shape) const { return methods::ops_view_hpp<Tensor>::view(*this, shape); }
  Tensor flatten() const { return methods::ops_view_hpp<Tensor>::flatten(*this); }
  Tensor transpose(int64_t dim0, int64_t dim1) const {
    return methods::ops_view_hpp<Tensor>::transpose(*this, dim0, dim1);
  }
  Tensor permute(const Shape& dims) const { return methods::ops_view_hpp<Tensor>::permute(*this, dims); }
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const {
    return methods::ops_view_hpp<Tensor>::narrow(*this, dim, start, length);
  }
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const {
    return methods::ops_view_hpp<Tensor>::slice(*this, dim, start, end, step);
  }
  Tensor select(int64_t dim, int64_t index) const { return methods::ops_view_hpp<Tensor>::select(*this, dim, index); }
  Tensor expand(const Shape& shape) const { return methods::ops_view_hpp<Tensor>::expand(*this, shape); }
  Tensor squeeze(int64_t dim) const { return methods::ops_view_hpp<Tensor>::squeeze(*this, dim); }
  Tensor unsqueeze(int64_t dim) const { return methods::ops_view_hpp<Tensor>::unsqueeze(*this, dim); }

  // tinylm/ops/copy.hpp
  Tensor contiguous() const { return methods::ops_copy_hpp<Tensor>::contiguous(*this); }
  Tensor clone() const { return methods::ops_copy_hpp<Tensor>::clone(*this); }
  Tensor& fill_(T value) { return methods::ops_copy_hpp<Tensor>::fill_(*this, value); }
  Tensor& zero_() { return methods::ops_copy_hpp<Tensor>::fill_(*this, T(0)); }
  Tensor& copy_(const Tensor& src) { return methods::ops_copy_hpp<Tensor>::copy_(*this, src); }
  /// This tensor on `device` (itself if it is there already); differentiable.
  Tensor to(Device device) const { return methods::ops_copy_hpp<Tensor>::to(*this, device); }

  // tinylm/ops/reduce.hpp
  Tensor sum() const { return methods::ops_reduce_hpp<Tensor>::sum(*this); }
  Tensor sum(const Shape& dims, bool keepdim = false) const {
    return methods::ops_reduce_hpp<Tensor>::sum(*this, dims, keepdim);
  }
  Tensor mean() const { return methods::ops_reduce_hpp<Tensor>::mean(*this); }
  Tensor mean(const Shape& dims, bool keepdim = false) const {
    return methods::ops_reduce_hpp<Tensor>::mean(*this, dims, keepdim);
  }
  Tensor max() const { return methods::ops_reduce_hpp<Tensor>::max(*this); }
  MaxResult<T> max(int64_t dim, bool keepdim = false) const {
    return methods::ops_reduce_hpp<Tensor>::max(*this, dim, keepdim);
  }

  // tinylm/autograd/engine.hpp
  /// Runs reverse-mode autograd from this tensor.
  void backward(const Tensor& grad_output = Tensor(), bool retain_graph = false) const {
    methods::autograd_engine_hpp<Tensor>::backward(*this, grad_output, retain_graph);
  }

 private:
  Impl& checked() const {
    TINYLM_CHECK(impl_ != nullptr, "Tensor: operation on an undefined tensor");
    return *impl_;
  }

  std::shared_ptr<Impl> impl_;
};

namespace detail {

/// t's elements in row-major order, read from its device (the span of
/// storage its view covers is copied to the host, then walked).
template <Element T>
std::vector<T> copy_to_host(const Tensor<T>& t) {
  std::vector<T> out;
  const int64_t n = t.numel();
  if (n == 0) return out;
  int64_t lo = t.offset(), hi = t.offset();
  for (int d = 0; d < t.dim(); ++d) (t.stride(d) < 0 ? lo : hi) += (t.size(d) - 1) * t.stride(d);
  const auto span = static_cast<std::size_t>(hi - lo + 1);
  std::unique_ptr<T[]> host(new T[span]);
#ifdef TINYLM_CUDA
  cuda::copy(host.get(), Device::cpu(), t.storage().data() + lo, t.device(), span * sizeof(T));
#else
  check_device_supported(t.device(), "Tensor: copy to host");
#endif
  out.reserve(static_cast<std::size_t>(n));
  for_each_offset(t.shape(), t.strides(), t.offset() - lo, [&](int64_t off) { out.push_back(host[off]); });
  return out;
}

/// The element at `p` in `device`'s memory, read to the host (an error
/// message quoting one bad value of a device tensor).
template <Element T>
T read_element(const T* p, Device device) {
  if (device.is_cpu()) return *p;
  T v{};
#ifdef TINYLM_CUDA
  cuda::copy(&v, Device::cpu(), p, device, sizeof(T));
#else
  check_device_supported(device, "Tensor: copy to host");
#endif
  return v;
}

/// Writes `values` (row-major, t.numel() of them) into contiguous t on its device.
template <Element T>
void copy_to_device(const Tensor<T>& t, const std::vector<T>& values) {
  TINYLM_CHECK(t.is_contiguous() && static_cast<int64_t>(values.size()) == t.numel(),
               "copy_to_device: needs a contiguous tensor and one value per element");
  std::unique_ptr<T[]> host(new T[values.size() + 1]);  // vector<bool> has no data()
  std::copy(values.begin(), values.end(), host.get());
#ifdef TINYLM_CUDA
  cuda::copy(t.data(), t.device(), host.get(), Device::cpu(), values.size() * sizeof(T));
#else
  check_device_supported(t.device(), "Tensor: copy to device");
#endif
}

}  // namespace detail

}  // namespace tinylm
