#pragma once
// Helpers every op uses: a contiguous read of an input, running an
// elementwise kernel over broadcast operands into a new tensor, and summing
// a broadcast gradient back. None of these record graph nodes; ops do that
// themselves, beside the forward. (Every op header includes this one, and
// through it autograd/engine.hpp, so that x.backward() works wherever an
// op does.)

#include <type_traits>
#include <vector>

#include "tinylm/autograd/engine.hpp"
#include "tinylm/autograd/node.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/kernels/copy.hpp"
#include "tinylm/kernels/elementwise.hpp"
#include "tinylm/kernels/reduce.hpp"

namespace tinylm::detail {

/// `t` itself when already contiguous, else a contiguous copy (no graph).
using kernels::contiguous_data;

/// out = f(a) elementwise, as a new contiguous tensor.
template <class To, class T, class F>
Tensor<To> map_unary(const Tensor<T>& a, F f) {
  const Tensor<T> ac = contiguous_data(a);
  Tensor<To> out = Tensor<To>::empty(a.shape(), a.device());
  kernels::map(a.device(), out.data(), ac.data(), a.numel(), f);
  return out;
}

/// Throws unless a and b live on one device (an op never moves data itself).
template <class Ta, class Tb>
void check_same_device(const Tensor<Ta>& a, const Tensor<Tb>& b, const char* op) {
  TINYLM_CHECK(a.device() == b.device(), op, ": a is on ", a.device(), " and b on ", b.device(),
               "; move one with .to(device) first");
}

/// out = f(a, b) elementwise with NumPy broadcasting.
template <class To, class Ta, class Tb, class F>
Tensor<To> map_binary(const Tensor<Ta>& a, const Tensor<Tb>& b, const char* op, F f) {
  check_same_device(a, b, op);
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor<To> out = Tensor<To>::empty(shape, a.device());
  if (a.is_contiguous() && b.is_contiguous() && a.shape() == shape && b.shape() == shape) {
    kernels::map2(a.device(), out.data(), a.data(), b.data(), shape.numel(), f);
    return out;
  }
  const Shape sa = broadcast_strides(a.shape(), a.strides(), shape);
  const Shape sb = broadcast_strides(b.shape(), b.strides(), shape);
  kernels::binary_strided(a.device(), out.data(), a.data(), sa.data(), b.data(), sb.data(), shape.data(), shape.size(),
                          f);
  return out;
}

/// Sums dims (sorted) of x without recording; the result has the keepdim
/// shape. Reductions and the backward of broadcasting use it.
template <class T>
Tensor<T> sum_dims(const Tensor<T>& x, const std::vector<int>& dims) {
  Tensor<T> cur = contiguous_data(x);
  // Reduce runs of adjacent dims from the last run to the first, so earlier
  // dim indices stay valid.
  std::size_t hi = dims.size();
  while (hi > 0) {
    std::size_t lo = hi - 1;
    while (lo > 0 && dims[lo - 1] == dims[lo] - 1) --lo;
    const int d0 = dims[lo], d1 = dims[hi - 1];
    const Shape& s = cur.shape();
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < d0; ++i) outer *= s[i];
    for (int i = d0; i <= d1; ++i) n *= s[i];
    for (int i = d1 + 1; i < s.size(); ++i) inner *= s[i];
    Shape os = s;
    for (int i = d0; i <= d1; ++i) os[i] = 1;
    Tensor<T> next = Tensor<T>::empty(os, x.device());
    if (n == 0) kernels::fill(x.device(), next.data(), T(0), next.numel());
    else kernels::sum_axis(x.device(), next.data(), cur.data(), outer, n, inner);
    cur = next;
    hi = lo;
  }
  return cur;
}

/// The dims of `from` that broadcasting `to` up to `from` created or
/// stretched (sorted); throws when `to` does not broadcast to `from`.
inline std::vector<int> broadcast_dims(const Shape& from, const Shape& to, const char* op) {
  const int lead = from.size() - to.size();
  TINYLM_CHECK(lead >= 0, op, ": cannot reduce ", from, " to ", to);
  std::vector<int> dims;
  for (int i = 0; i < from.size(); ++i) {
    const int j = i - lead;
    if (j < 0 || (to[j] == 1 && from[i] != 1)) dims.push_back(i);
    else TINYLM_CHECK(to[j] == from[i], op, ": cannot reduce ", from, " to ", to);
  }
  return dims;
}

/// g summed back to `shape` (the inverse of broadcasting), without
/// recording: what the backward of a broadcasting view uses.
template <class T>
Tensor<T> sum_to_shape(const Tensor<T>& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const std::vector<int> dims = broadcast_dims(g.shape(), shape, "sum_to");
  const Tensor<T> r = dims.empty() ? contiguous_data(g) : sum_dims(g, dims);
  return r.alias(shape, contiguous_strides(shape), r.offset());
}

/// Throws unless `t` is defined; `what` names the argument in the message.
template <class T>
void check_defined(const Tensor<T>& t, const char* op, const char* what) {
  TINYLM_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

}  // namespace tinylm::detail
