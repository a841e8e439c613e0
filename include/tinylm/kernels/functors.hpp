#pragma once
// The per-element functions of tinylm's elementwise ops, as named
// TINYLM_HD function objects rather than lambdas, so that one definition
// runs in the CPU loops (kernels/cpu/elementwise.hpp) and in the CUDA
// kernels (kernels/cuda/elementwise.cu), which are compiled ahead of time
// for each of them. An op passes one of these to kernels::map / map2 /
// binary_strided; a lambda still works on the CPU, and on a CUDA device it
// ends in an error naming the kernel.
//
// The CUDA library instantiates the kernels for the functions listed in
// TINYLM_CUDA_UNARY_FUNCTORS (out = f(x)) and TINYLM_CUDA_BINARY_FUNCTORS
// (out = f(a, b)), each for float and double, and CudaUnary / CudaBinary
// say which (type, function) pairs it has: the dispatch only takes the
// CUDA branch for those, so a missing instantiation is a clear runtime
// error, never a link error.

#include <cmath>
#include <type_traits>

#include "tinylm/core/dtype.hpp"
#include "tinylm/core/host_device.hpp"

// std::f on the host, the CUDA math library's f in device code.
#if defined(__CUDA_ARCH__)
#define TINYLM_MATH(f) ::f
#else
#define TINYLM_MATH(f) std::f
#endif

namespace tinylm::kernels::fn {

// ---- arithmetic ----------------------------------------------------------

struct Add {
  template <class T>
  TINYLM_HD T operator()(T a, T b) const {
    return a + b;
  }
};
struct Sub {
  template <class T>
  TINYLM_HD T operator()(T a, T b) const {
    return a - b;
  }
};
struct Mul {
  template <class T>
  TINYLM_HD T operator()(T a, T b) const {
    return a * b;
  }
};
struct Div {
  template <class T>
  TINYLM_HD T operator()(T a, T b) const {
    return a / b;
  }
};
/// d(a / b)/db times nothing: -a / b^2.
struct DivGradB {
  template <class T>
  TINYLM_HD T operator()(T a, T b) const {
    return -a / (b * b);
  }
};
/// -y / x: d(v / x)/dx written with y = v / x.
struct NegDiv {
  template <class T>
  TINYLM_HD T operator()(T y, T x) const {
    return -y / x;
  }
};
struct Neg {
  template <class T>
  TINYLM_HD T operator()(T x) const {
    return -x;
  }
};
template <class T>
struct AddScalar {
  T v;
  TINYLM_HD T operator()(T x) const { return x + v; }
};
template <class T>
struct MulScalar {
  T v;
  TINYLM_HD T operator()(T x) const { return x * v; }
};
/// v / x.
template <class T>
struct RDivScalar {
  T v;
  TINYLM_HD T operator()(T x) const { return v / x; }
};
/// x^e.
template <class T>
struct PowScalar {
  T e;
  TINYLM_HD T operator()(T x) const { return static_cast<T>(TINYLM_MATH(pow)(x, e)); }
};
/// d(x^e)/dx = e x^(e-1), 0 for e = 0.
template <class T>
struct PowScalarGrad {
  T e;
  TINYLM_HD T operator()(T x) const { return e == T(0) ? T(0) : e * static_cast<T>(TINYLM_MATH(pow)(x, e - T(1))); }
};
struct Pow {
  template <class T>
  TINYLM_HD T operator()(T x, T y) const {
    return static_cast<T>(TINYLM_MATH(pow)(x, y));
  }
};
/// d(x^y)/dx = y x^(y-1), 0 for y = 0.
struct PowGradBase {
  template <class T>
  TINYLM_HD T operator()(T x, T y) const {
    return y == T(0) ? T(0) : y * static_cast<T>(TINYLM_MATH(pow)(x, y - T(1)));
  }
};
/// d(x^y)/dy = x^y ln x, written with out = x^y; 0 for x = 0.
struct PowGradExponent {
  template <class T>
  TINYLM_HD T operator()(T out, T x) const {
    return x == T(0) ? T(0) : out * TINYLM_MATH(log)(x);
  }
};

// ---- functions and the derivatives their backward multiplies by ----------
// (a derivative takes what the op saved: the input x or the output y)

struct Exp {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(exp)(v);
  }
};
struct Log {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(log)(v);
  }
};
struct Sqrt {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(sqrt)(v);
  }
};
struct Tanh {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(tanh)(v);
  }
};
/// Written so that neither branch overflows exp().
struct Sigmoid {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return v >= T(0) ? T(1) / (T(1) + TINYLM_MATH(exp)(-v)) : TINYLM_MATH(exp)(v) / (T(1) + TINYLM_MATH(exp)(v));
  }
};
struct Relu {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return v > T(0) ? v : T(0);
  }
};
struct Sin {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(sin)(v);
  }
};
struct Cos {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(cos)(v);
  }
};
struct Abs {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return TINYLM_MATH(fabs)(v);
  }
};
struct Silu {
  template <class T>
  TINYLM_HD T operator()(T v) const {
    return v * Sigmoid{}(v);
  }
};

struct Identity {  // exp: dy/dx = y
  template <class T>
  TINYLM_HD T operator()(T y) const {
    return y;
  }
};
struct Reciprocal {  // log: 1 / x
  template <class T>
  TINYLM_HD T operator()(T x) const {
    return T(1) / x;
  }
};
struct SqrtGrad {  // 1 / (2 y)
  template <class T>
  TINYLM_HD T operator()(T y) const {
    return T(0.5) / y;
  }
};
struct TanhGrad {  // 1 - y^2
  template <class T>
  TINYLM_HD T operator()(T y) const {
    return T(1) - y * y;
  }
};
struct SigmoidGrad {  // y (1 - y)
  template <class T>
  TINYLM_HD T operator()(T y) const {
    return y * (T(1) - y);
  }
};
struct Step {  // relu: [x > 0]
  template <class T>
  TINYLM_HD T operator()(T x) const {
    return x > T(0) ? T(1) : T(0);
  }
};
struct NegSin {  // cos: -sin x
  template <class T>
  TINYLM_HD T operator()(T x) const {
    return -TINYLM_MATH(sin)(x);
  }
};
struct Sign {  // abs: sign x (0 at 0, as PyTorch)
  template <class T>
  TINYLM_HD T operator()(T x) const {
    return x > T(0) ? T(1) : x < T(0) ? T(-1) : T(0);
  }
};
struct SiluGrad {  // s (1 + x (1 - s)), s = sigmoid x
  template <class T>
  TINYLM_HD T operator()(T x) const {
    const T s = Sigmoid{}(x);
    return s * (T(1) + x * (T(1) - s));
  }
};

/// g * D(saved): the backward of out = f(x) when D is f's derivative.
template <class D>
struct GradTimes {
  template <class T>
  TINYLM_HD T operator()(T g, T saved) const {
    return g * D{}(saved);
  }
};

// ---- what the CUDA library has ---------------------------------------------
// X(F) for every function it instantiates; F may name T, the element type.

// clang-format off
#define TINYLM_CUDA_UNARY_FUNCTORS(X)        \
  X(::tinylm::kernels::fn::Neg)              \
  X(::tinylm::kernels::fn::AddScalar<T>)     \
  X(::tinylm::kernels::fn::MulScalar<T>)     \
  X(::tinylm::kernels::fn::RDivScalar<T>)    \
  X(::tinylm::kernels::fn::PowScalar<T>)     \
  X(::tinylm::kernels::fn::PowScalarGrad<T>) \
  X(::tinylm::kernels::fn::Exp)              \
  X(::tinylm::kernels::fn::Log)              \
  X(::tinylm::kernels::fn::Sqrt)             \
  X(::tinylm::kernels::fn::Tanh)             \
  X(::tinylm::kernels::fn::Sigmoid)          \
  X(::tinylm::kernels::fn::Relu)             \
  X(::tinylm::kernels::fn::Sin)              \
  X(::tinylm::kernels::fn::Cos)              \
  X(::tinylm::kernels::fn::Abs)              \
  X(::tinylm::kernels::fn::Silu)

#define TINYLM_CUDA_BINARY_FUNCTORS(X)                                    \
  X(::tinylm::kernels::fn::Add)                                           \
  X(::tinylm::kernels::fn::Sub)                                           \
  X(::tinylm::kernels::fn::Mul)                                           \
  X(::tinylm::kernels::fn::Div)                                           \
  X(::tinylm::kernels::fn::DivGradB)                                      \
  X(::tinylm::kernels::fn::NegDiv)                                        \
  X(::tinylm::kernels::fn::Pow)                                           \
  X(::tinylm::kernels::fn::PowGradBase)                                   \
  X(::tinylm::kernels::fn::PowGradExponent)                               \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Identity>)    \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Reciprocal>)  \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SqrtGrad>)    \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::TanhGrad>)    \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SigmoidGrad>) \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Step>)        \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Cos>)         \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::NegSin>)      \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Sign>)        \
  X(::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SiluGrad>)
// clang-format on

/// Whether the CUDA library has out = F(x) for element type T.
template <class T, class F>
struct CudaUnary : std::false_type {};
/// Whether the CUDA library has out = F(a, b) for element type T.
template <class T, class F>
struct CudaBinary : std::false_type {};

#define TINYLM_DECLARE_UNARY(F) \
  template <FloatElement T>     \
  struct CudaUnary<T, F> : std::true_type {};
#define TINYLM_DECLARE_BINARY(F) \
  template <FloatElement T>      \
  struct CudaBinary<T, F> : std::true_type {};
TINYLM_CUDA_UNARY_FUNCTORS(TINYLM_DECLARE_UNARY)
TINYLM_CUDA_BINARY_FUNCTORS(TINYLM_DECLARE_BINARY)
#undef TINYLM_DECLARE_UNARY
#undef TINYLM_DECLARE_BINARY

}  // namespace tinylm::kernels::fn
