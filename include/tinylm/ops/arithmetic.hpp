#pragma once
// Arithmetic with NumPy broadcasting, and with scalars.
//
//   c = a + b   da = sum_to(g, a)        db = sum_to(g, b)
//   c = a - b   da = sum_to(g, a)        db = -sum_to(g, b)
//   c = a * b   da = sum_to(g * b, a)    db = sum_to(g * a, b)
//   c = a / b   da = sum_to(g / b, a)    db = -sum_to(g * a / b^2, b)
//   c = -a      da = -g
//   c = a^p     da = g * p * a^(p-1)                 (scalar p)
//   c = a^b     da = g * b * a^(b-1),  db = g * c * log(a)
//
// Scalars (any arithmetic type, converted to T) skip the broadcast machinery.

#include <cmath>
#include <type_traits>
#include <vector>

#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/ops/detail.hpp"
#include "tinylm/ops/reduce.hpp"

namespace tinylm {

template <class S>
concept Scalar = std::is_arithmetic_v<S>;

namespace detail {

/// Runs g-dependent backward only for inputs that need it.
template <class T>
Tensor<T> grad_if(bool needed, auto&& compute) {
  return needed ? Tensor<T>(compute()) : Tensor<T>();
}

}  // namespace detail

template <class T>
Tensor<T> add(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "add", "a");
  detail::check_defined(b, "add", "b");
  Tensor<T> out = detail::map_binary<T>(a, b, "add", kernels::fn::Add{});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      autograd::record(out, "add", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor<T>& g) {
        return std::vector{sum_to(g, sa), sum_to(g, sb)};
      });
    }
  }
  return out;
}

template <class T>
Tensor<T> neg(const Tensor<T>& a) {
  detail::check_defined(a, "neg", "a");
  Tensor<T> out = detail::map_unary<T>(a, kernels::fn::Neg{});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a))
      autograd::record(out, "neg", {a}, [](const Tensor<T>& g) { return std::vector{neg(g)}; });
  }
  return out;
}

template <class T>
Tensor<T> sub(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "sub", "a");
  detail::check_defined(b, "sub", "b");
  Tensor<T> out = detail::map_binary<T>(a, b, "sub", kernels::fn::Sub{});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      autograd::record(out, "sub", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor<T>& g) {
        return std::vector{sum_to(g, sa), neg(sum_to(g, sb))};
      });
    }
  }
  return out;
}

template <class T>
Tensor<T> mul(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "mul", "a");
  detail::check_defined(b, "mul", "b");
  Tensor<T> out = detail::map_binary<T>(a, b, "mul", kernels::fn::Mul{});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      const bool ga = a.requires_grad(), gb = b.requires_grad();
      autograd::record(out, "mul", {a, b}, [a = a.detach(), b = b.detach(), ga, gb](const Tensor<T>& g) {
        return std::vector{detail::grad_if<T>(ga, [&] { return sum_to(mul(g, b), a.shape()); }),
                           detail::grad_if<T>(gb, [&] { return sum_to(mul(g, a), b.shape()); })};
      });
    }
  }
  return out;
}

template <class T>
Tensor<T> div(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "div", "a");
  detail::check_defined(b, "div", "b");
  Tensor<T> out = detail::map_binary<T>(a, b, "div", kernels::fn::Div{});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a, b)) {
      const bool ga = a.requires_grad(), gb = b.requires_grad();
      autograd::record(out, "div", {a, b}, [a = a.detach(), b = b.detach(), ga, gb](const Tensor<T>& g) {
        return std::vector{detail::grad_if<T>(ga, [&] { return sum_to(div(g, b), a.shape()); }),
                           detail::grad_if<T>(gb, [&] {
                             const Tensor<T> q = detail::map_binary<T>(a, b, "div", kernels::fn::DivGradB{});
                             return sum_to(mul(g, q), b.shape());
                           })};
      });
    }
  }
  return out;
}

/// a + s
template <class T, Scalar S>
Tensor<T> add(const Tensor<T>& a, S s) {
  detail::check_defined(a, "add", "a");
  const T v = static_cast<T>(s);
  Tensor<T> out = detail::map_unary<T>(a, kernels::fn::AddScalar<T>{v});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a))
      autograd::record(out, "add_scalar", {a}, [](const Tensor<T>& g) { return std::vector{g}; });
  }
  return out;
}

/// a * s
template <class T, Scalar S>
Tensor<T> mul(const Tensor<T>& a, S s) {
  detail::check_defined(a, "mul", "a");
  const T v = static_cast<T>(s);
  Tensor<T> out = detail::map_unary<T>(a, kernels::fn::MulScalar<T>{v});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a))
      autograd::record(out, "mul_scalar", {a}, [v](const Tensor<T>& g) { return std::vector{mul(g, v)}; });
  }
  return out;
}

/// s / a
template <class T, Scalar S>
Tensor<T> rdiv(S s, const Tensor<T>& a) {
  detail::check_defined(a, "div", "a");
  const T v = static_cast<T>(s);
  Tensor<T> out = detail::map_unary<T>(a, kernels::fn::RDivScalar<T>{v});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a)) {
      autograd::record(out, "rdiv_scalar", {a}, [a = a.detach(), o = out.detach()](const Tensor<T>& g) {
        // d(s/a)/da = -s/a^2 = -out/a
        const Tensor<T> q = detail::map_binary<T>(o, a, "div", kernels::fn::NegDiv{});
        return std::vector{mul(g, q)};
      });
    }
  }
  return out;
}

/// a^p for a scalar exponent.
template <class T, Scalar S>
Tensor<T> pow(const Tensor<T>& a, S p) {
  detail::check_defined(a, "pow", "a");
  const T e = static_cast<T>(p);
  Tensor<T> out = detail::map_unary<T>(a, kernels::fn::PowScalar<T>{e});
  if constexpr (FloatElement<T>) {
    if (autograd::needs_grad(a)) {
      autograd::record(out, "pow_scalar", {a}, [a = a.detach(), e](const Tensor<T>& g) {
        const Tensor<T> d = detail::map_unary<T>(a, kernels::fn::PowScalarGrad<T>{e});
        return std::vector{mul(g, d)};
      });
    }
  }
  return out;
}

/// a^b elementwise with broadcasting.
template <FloatElement T>
Tensor<T> pow(const Tensor<T>& a, const Tensor<T>& b) {
  detail::check_defined(a, "pow", "a");
  detail::check_defined(b, "pow", "b");
  Tensor<T> out = detail::map_binary<T>(a, b, "pow", kernels::fn::Pow{});
  if (autograd::needs_grad(a, b)) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    autograd::record(
        out, "pow", {a, b}, [a = a.detach(), b = b.detach(), o = out.detach(), ga, gb](const Tensor<T>& g) {
          return std::vector{detail::grad_if<T>(ga,
                                                [&] {
                                                  const Tensor<T> d =
                                                      detail::map_binary<T>(a, b, "pow", kernels::fn::PowGradBase{});
                                                  return sum_to(mul(g, d), a.shape());
                                                }),
                             detail::grad_if<T>(gb, [&] {
                               const Tensor<T> d = detail::map_binary<T>(o, a, "pow", kernels::fn::PowGradExponent{});
                               return sum_to(mul(g, d), b.shape());
                             })};
        });
  }
  return out;
}

// ---- operators ---------------------------------------------------------

template <class T>
Tensor<T> operator+(const Tensor<T>& a, const Tensor<T>& b) {
  return add(a, b);
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a, const Tensor<T>& b) {
  return sub(a, b);
}
template <class T>
Tensor<T> operator*(const Tensor<T>& a, const Tensor<T>& b) {
  return mul(a, b);
}
template <class T>
Tensor<T> operator/(const Tensor<T>& a, const Tensor<T>& b) {
  return div(a, b);
}
template <class T>
Tensor<T> operator-(const Tensor<T>& a) {
  return neg(a);
}

template <class T, Scalar S>
Tensor<T> operator+(const Tensor<T>& a, S s) {
  return add(a, s);
}
template <class T, Scalar S>
Tensor<T> operator+(S s, const Tensor<T>& a) {
  return add(a, s);
}
template <class T, Scalar S>
Tensor<T> operator-(const Tensor<T>& a, S s) {
  return add(a, -static_cast<T>(s));
}
template <class T, Scalar S>
Tensor<T> operator-(S s, const Tensor<T>& a) {
  return add(neg(a), s);
}
template <class T, Scalar S>
Tensor<T> operator*(const Tensor<T>& a, S s) {
  return mul(a, s);
}
template <class T, Scalar S>
Tensor<T> operator*(S s, const Tensor<T>& a) {
  return mul(a, s);
}
template <FloatElement T, Scalar S>
Tensor<T> operator/(const Tensor<T>& a, S s) {
  return mul(a, T(1) / static_cast<T>(s));
}
template <FloatElement T, Scalar S>
Tensor<T> operator/(S s, const Tensor<T>& a) {
  return rdiv(s, a);
}

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm {
TINYLM_EXTERN_TEMPLATE Tensor<float> add(const Tensor<float>&, const Tensor<float>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> mul(const Tensor<float>&, const Tensor<float>&);
TINYLM_EXTERN_TEMPLATE Tensor<float> mul(const Tensor<float>&, float);
TINYLM_EXTERN_TEMPLATE Tensor<float> mul(const Tensor<float>&, double);
}  // namespace tinylm
#endif
