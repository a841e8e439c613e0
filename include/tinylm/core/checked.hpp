#pragma once
// Checked size arithmetic: every size, offset and count that comes from
// input (a file's header, a flag, a request) is computed with these, so an
// overflow is an error that names what overflowed instead of a wrapped
// number that passes the next bounds check.
//
//   const int64_t n = checked_numel(shape, "safetensors: 'a.st': tensor 'w'");
//   const std::size_t bytes = checked_mul<std::size_t>(n, 4, "tensor 'w' bytes");
//
// and parse_int for integers written as text (metadata, CSV, flags), which
// rejects what std::stoll lets through (leading spaces, trailing junk) and
// throws tinylm::Error, never std::invalid_argument or std::out_of_range.

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "tinylm/core/error.hpp"

namespace tinylm {

/// a * b in R (an integer type), or an Error naming `what` when it does not fit.
template <class R, class A, class B>
R checked_mul(A a, B b, std::string_view what) {
  static_assert(std::is_integral_v<R> && std::is_integral_v<A> && std::is_integral_v<B>);
  R r{};
  TINYLM_CHECK(!__builtin_mul_overflow(a, b, &r), what, ": ", a, " x ", b, " overflows a ",
               std::numeric_limits<R>::digits + std::is_signed_v<R>, "-bit integer");
  return r;
}

/// a + b in R, or an Error naming `what` when it does not fit.
template <class R, class A, class B>
R checked_add(A a, B b, std::string_view what) {
  static_assert(std::is_integral_v<R> && std::is_integral_v<A> && std::is_integral_v<B>);
  R r{};
  TINYLM_CHECK(!__builtin_add_overflow(a, b, &r), what, ": ", a, " + ", b, " overflows a ",
               std::numeric_limits<R>::digits + std::is_signed_v<R>, "-bit integer");
  return r;
}

/// `v` converted to R, or an Error naming `what` when R cannot hold it.
template <class R, class V>
R checked_cast(V v, std::string_view what) {
  static_assert(std::is_integral_v<R> && std::is_integral_v<V>);
  R r{};
  TINYLM_CHECK(!__builtin_add_overflow(v, V{0}, &r), what, ": ", v, " does not fit a ",
               std::numeric_limits<R>::digits + std::is_signed_v<R>, "-bit integer");
  return r;
}

/// The product of `dims` (each must be >= 0), or an Error naming `what`
/// when a size is negative or the product of the non-zero sizes overflows
/// int64_t: a shape such as [0, 2^62, 4] holds no element, but its strides
/// (2^64, 4, 1) do not fit either.
template <class Dims>
int64_t checked_numel(const Dims& dims, std::string_view what) {
  int64_t n = 1;
  bool zero = false;
  for (const auto d : dims) {
    TINYLM_CHECK(d >= 0, what, ": negative size ", d);
    if (d == 0) zero = true;
    else n = checked_mul<int64_t>(n, d, what);
  }
  return zero ? 0 : n;
}

/// The decimal integer `text` (an optional '-', then digits, nothing else),
/// or an Error naming `what` and the text.
inline int64_t parse_int(std::string_view text, std::string_view what) {
  const std::string s(text);
  bool ok = !s.empty();
  for (std::size_t i = 0; i < s.size() && ok; ++i) ok = (s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '-');
  ok = ok && s != "-";
  TINYLM_CHECK(ok, what, ": '", text, "' is not an integer");
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  TINYLM_CHECK(errno == 0 && end == s.c_str() + s.size(), what, ": '", text, "' does not fit a 64-bit integer");
  return static_cast<int64_t>(v);
}

/// The finite decimal number `text` (what strtod reads, nothing after it,
/// no leading space, not nan or inf), or an Error naming `what` and the text.
inline double parse_number(std::string_view text, std::string_view what) {
  const std::string s(text);
  char* end = nullptr;
  const double v = s.empty() || s[0] == ' ' || s[0] == '\t' ? NAN : std::strtod(s.c_str(), &end);
  TINYLM_CHECK(!s.empty() && end == s.c_str() + s.size() && std::isfinite(v), what, ": '", text,
               "' is not a finite number");
  return v;
}

}  // namespace tinylm
