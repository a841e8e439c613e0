#pragma once
// The per-element functions of tinylm's elementwise ops, as named
// TINYLM_HD function objects rather than lambdas, so that one definition
// runs in the CPU loops (kernels/cpu/elementwise.hpp) and in the CUDA
// kernels (kernels/cuda/elementwise.cu), which are compiled ahead of time
// for each of them. An op passes one of these to kernels::map / map2 /
// binary_strided; a lambda still works on the CPU, and on a CUDA device it
// ends in an error naming the kernel.
//
// The CUDA library instantiates the kernels for the signatures listed in
// the TINYLM_CUDA_*_FUNCTORS lists below (out = f(x), f(a, b), f(c, a, b);
// most for float and double), and CudaUnary / CudaBinary / CudaTernary say
// which (types, function) it has: the dispatch only takes the CUDA branch
// for those, so a missing instantiation is a clear runtime error, never a
// link error.

#include <cmath>
#include <cstdint>
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

// ---- comparisons, logic, selection, clamping, casts -------------------------

#define TINYLM_COMPARISON_FUNCTORS(Name, op)                \
  struct Name {                                             \
    template <class T>                                      \
    TINYLM_HD bool operator()(T x, T y) const {             \
      return x op y;                                        \
    }                                                       \
  };                                                        \
  template <class T>                                        \
  struct Name##Scalar {                                     \
    T y;                                                    \
    TINYLM_HD bool operator()(T x) const { return x op y; } \
  };
TINYLM_COMPARISON_FUNCTORS(Eq, ==)
TINYLM_COMPARISON_FUNCTORS(Ne, !=)
TINYLM_COMPARISON_FUNCTORS(Lt, <)
TINYLM_COMPARISON_FUNCTORS(Le, <=)
TINYLM_COMPARISON_FUNCTORS(Gt, >)
TINYLM_COMPARISON_FUNCTORS(Ge, >=)
#undef TINYLM_COMPARISON_FUNCTORS

struct LogicalNot {
  TINYLM_HD bool operator()(bool v) const { return !v; }
};
struct LogicalAnd {
  TINYLM_HD bool operator()(bool x, bool y) const { return x && y; }
};
struct LogicalOr {
  TINYLM_HD bool operator()(bool x, bool y) const { return x || y; }
};
/// c ? x : y.
struct Select {
  template <class T>
  TINYLM_HD T operator()(bool c, T x, T y) const {
    return c ? x : y;
  }
};
/// m ? v : a.
template <class T>
struct MaskedFill {
  T v;
  TINYLM_HD T operator()(T a, bool m) const { return m ? v : a; }
};
/// m ? 0 : a (masked_fill's backward).
struct MaskedZero {
  template <class T>
  TINYLM_HD T operator()(T a, bool m) const {
    return m ? T(0) : a;
  }
};
/// v limited to [lo, hi] where a bound is given; NaN stays NaN.
template <class T>
struct Clamp {
  bool has_lo, has_hi;
  T lo, hi;
  TINYLM_HD T operator()(T v) const {
    if (v != v) return v;
    if (has_lo && v < lo) v = lo;
    if (has_hi && v > hi) v = hi;
    return v;
  }
};
/// g where clamp passed v through, 0 where it clipped.
template <class T>
struct ClampGrad {
  bool has_lo, has_hi;
  T lo, hi;
  TINYLM_HD T operator()(T g, T v) const { return (has_lo && v < lo) || (has_hi && v > hi) ? T(0) : g; }
};
/// The larger (take_max) or smaller of x and y; a NaN wins.
struct MinMax {
  bool take_max;
  template <class T>
  TINYLM_HD T operator()(T x, T y) const {
    if (x != x || y != y) return x != x ? x : y;
    return take_max ? (x > y ? x : y) : (x < y ? x : y);
  }
};
/// The share of MinMax's gradient that goes to x: 1 where x wins, 1/2 at a tie, 0 where y wins.
struct MinMaxShare {
  bool take_max;
  template <class T>
  TINYLM_HD T operator()(T x, T y) const {
    return x == y ? T(0.5) : ((take_max ? x > y : x < y) || x != x) ? T(1) : T(0);
  }
};
/// g * (1 - s).
struct MulOneMinus {
  template <class T>
  TINYLM_HD T operator()(T g, T s) const {
    return g * (T(1) - s);
  }
};
/// static_cast<U>(v).
template <class U>
struct Cast {
  template <class T>
  TINYLM_HD U operator()(T v) const {
    return static_cast<U>(v);
  }
};

// ---- what the CUDA library has ---------------------------------------------
// X(To, Ti..., F) for every signature it instantiates: out To = F(inputs
// Ti...). In the first three lists T is the element type, each of float and
// double; the FIXED lists name their types.

// clang-format off
#define TINYLM_CUDA_UNARY_FUNCTORS(X)                 \
  X(T, T, ::tinylm::kernels::fn::Neg)                 \
  X(T, T, ::tinylm::kernels::fn::AddScalar<T>)        \
  X(T, T, ::tinylm::kernels::fn::MulScalar<T>)        \
  X(T, T, ::tinylm::kernels::fn::RDivScalar<T>)       \
  X(T, T, ::tinylm::kernels::fn::PowScalar<T>)        \
  X(T, T, ::tinylm::kernels::fn::PowScalarGrad<T>)    \
  X(T, T, ::tinylm::kernels::fn::Exp)                 \
  X(T, T, ::tinylm::kernels::fn::Log)                 \
  X(T, T, ::tinylm::kernels::fn::Sqrt)                \
  X(T, T, ::tinylm::kernels::fn::Tanh)                \
  X(T, T, ::tinylm::kernels::fn::Sigmoid)             \
  X(T, T, ::tinylm::kernels::fn::Relu)                \
  X(T, T, ::tinylm::kernels::fn::Sin)                 \
  X(T, T, ::tinylm::kernels::fn::Cos)                 \
  X(T, T, ::tinylm::kernels::fn::Abs)                 \
  X(T, T, ::tinylm::kernels::fn::Silu)                \
  X(T, T, ::tinylm::kernels::fn::Clamp<T>)            \
  X(bool, T, ::tinylm::kernels::fn::EqScalar<T>)      \
  X(bool, T, ::tinylm::kernels::fn::NeScalar<T>)      \
  X(bool, T, ::tinylm::kernels::fn::LtScalar<T>)      \
  X(bool, T, ::tinylm::kernels::fn::LeScalar<T>)      \
  X(bool, T, ::tinylm::kernels::fn::GtScalar<T>)      \
  X(bool, T, ::tinylm::kernels::fn::GeScalar<T>)      \
  X(T, float, ::tinylm::kernels::fn::Cast<T>)         \
  X(T, double, ::tinylm::kernels::fn::Cast<T>)        \
  X(T, int64_t, ::tinylm::kernels::fn::Cast<T>)       \
  X(T, int32_t, ::tinylm::kernels::fn::Cast<T>)       \
  X(T, bool, ::tinylm::kernels::fn::Cast<T>)          \
  X(int64_t, T, ::tinylm::kernels::fn::Cast<int64_t>) \
  X(int32_t, T, ::tinylm::kernels::fn::Cast<int32_t>)

#define TINYLM_CUDA_BINARY_FUNCTORS(X)                                             \
  X(T, T, T, ::tinylm::kernels::fn::Add)                                           \
  X(T, T, T, ::tinylm::kernels::fn::Sub)                                           \
  X(T, T, T, ::tinylm::kernels::fn::Mul)                                           \
  X(T, T, T, ::tinylm::kernels::fn::Div)                                           \
  X(T, T, T, ::tinylm::kernels::fn::DivGradB)                                      \
  X(T, T, T, ::tinylm::kernels::fn::NegDiv)                                        \
  X(T, T, T, ::tinylm::kernels::fn::Pow)                                           \
  X(T, T, T, ::tinylm::kernels::fn::PowGradBase)                                   \
  X(T, T, T, ::tinylm::kernels::fn::PowGradExponent)                               \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Identity>)    \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Reciprocal>)  \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SqrtGrad>)    \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::TanhGrad>)    \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SigmoidGrad>) \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Step>)        \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Cos>)         \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::NegSin>)      \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::Sign>)        \
  X(T, T, T, ::tinylm::kernels::fn::GradTimes<::tinylm::kernels::fn::SiluGrad>)    \
  X(T, T, T, ::tinylm::kernels::fn::ClampGrad<T>)                                  \
  X(T, T, T, ::tinylm::kernels::fn::MinMax)                                        \
  X(T, T, T, ::tinylm::kernels::fn::MinMaxShare)                                   \
  X(T, T, T, ::tinylm::kernels::fn::MulOneMinus)                                   \
  X(bool, T, T, ::tinylm::kernels::fn::Eq)                                         \
  X(bool, T, T, ::tinylm::kernels::fn::Ne)                                         \
  X(bool, T, T, ::tinylm::kernels::fn::Lt)                                         \
  X(bool, T, T, ::tinylm::kernels::fn::Le)                                         \
  X(bool, T, T, ::tinylm::kernels::fn::Gt)                                         \
  X(bool, T, T, ::tinylm::kernels::fn::Ge)                                         \
  X(T, T, bool, ::tinylm::kernels::fn::MaskedFill<T>)                              \
  X(T, T, bool, ::tinylm::kernels::fn::MaskedZero)

#define TINYLM_CUDA_TERNARY_FUNCTORS(X)           \
  X(T, bool, T, T, ::tinylm::kernels::fn::Select)

#define TINYLM_CUDA_FIXED_UNARY_FUNCTORS(X)        \
  X(bool, bool, ::tinylm::kernels::fn::LogicalNot)

#define TINYLM_CUDA_FIXED_BINARY_FUNCTORS(X)             \
  X(bool, bool, bool, ::tinylm::kernels::fn::LogicalAnd) \
  X(bool, bool, bool, ::tinylm::kernels::fn::LogicalOr)
// clang-format on

/// Whether the CUDA library has out = F(x) with these element types.
template <class To, class Ti, class F>
struct CudaUnary : std::false_type {};
/// Whether the CUDA library has out = F(a, b) with these element types.
template <class To, class Ta, class Tb, class F>
struct CudaBinary : std::false_type {};
/// Whether the CUDA library has out = F(c, a, b) with these element types.
template <class To, class Tc, class Ta, class Tb, class F>
struct CudaTernary : std::false_type {};

#define TINYLM_DECLARE_UNARY(To, Ti, F) \
  template <FloatElement T>             \
  struct CudaUnary<To, Ti, F> : std::true_type {};
#define TINYLM_DECLARE_BINARY(To, Ta, Tb, F) \
  template <FloatElement T>                  \
  struct CudaBinary<To, Ta, Tb, F> : std::true_type {};
#define TINYLM_DECLARE_TERNARY(To, Tc, Ta, Tb, F) \
  template <FloatElement T>                       \
  struct CudaTernary<To, Tc, Ta, Tb, F> : std::true_type {};
#define TINYLM_DECLARE_FIXED_UNARY(To, Ti, F) \
  template <>                                 \
  struct CudaUnary<To, Ti, F> : std::true_type {};
#define TINYLM_DECLARE_FIXED_BINARY(To, Ta, Tb, F) \
  template <>                                      \
  struct CudaBinary<To, Ta, Tb, F> : std::true_type {};
TINYLM_CUDA_UNARY_FUNCTORS(TINYLM_DECLARE_UNARY)
TINYLM_CUDA_BINARY_FUNCTORS(TINYLM_DECLARE_BINARY)
TINYLM_CUDA_TERNARY_FUNCTORS(TINYLM_DECLARE_TERNARY)
TINYLM_CUDA_FIXED_UNARY_FUNCTORS(TINYLM_DECLARE_FIXED_UNARY)
TINYLM_CUDA_FIXED_BINARY_FUNCTORS(TINYLM_DECLARE_FIXED_BINARY)
#undef TINYLM_DECLARE_UNARY
#undef TINYLM_DECLARE_BINARY
#undef TINYLM_DECLARE_TERNARY
#undef TINYLM_DECLARE_FIXED_UNARY
#undef TINYLM_DECLARE_FIXED_BINARY

}  // namespace tinylm::kernels::fn
