#pragma once
// tinylm::Error and the check macro every layer uses.
//
// Messages print the facts: the op, the shapes, the rule that was broken,
// e.g. "matmul: a is [4, 8, 32], b is [64, 128]: a.shape[-1] must equal
// b.shape[-2] (32 != 64)". Tests assert the text, so keep it stable.

#include <initializer_list>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace tinylm {

/// The one exception type tinylm throws for misuse: wrong shapes, dtypes or
/// devices, bad files, bad flags.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// One part of an error message, type-erased: the address of the value and
/// the function that streams it. A failed check builds an array of these
/// and makes one call; the formatting is compiled once per type of part,
/// not once per check (compile time and code size).
class MessagePart {
 public:
  MessagePart(const char* s) : value_(s), append_(&append_c_string) {}  // NOLINT: implicit by design
  template <class T>
  MessagePart(const T& x) : value_(&x), append_(&append_streamed<T>) {}  // NOLINT: implicit by design

  void append_to(std::ostream& os) const { append_(os, value_); }

 private:
  static void append_c_string(std::ostream& os, const void* s) { os << static_cast<const char*>(s); }
  template <class T>
  static void append_streamed(std::ostream& os, const void* x) {
    os << *static_cast<const T*>(x);
  }

  const void* value_;
  void (*append_)(std::ostream&, const void*);
};

/// The parts streamed one after another into one string.
inline std::string concat(std::initializer_list<MessagePart> parts) {
  std::ostringstream os;
  for (const MessagePart& part : parts) part.append_to(os);
  return os.str();
}

/// Concatenates anything that has an operator<< into one string.
template <class... Args>
std::string str_cat(const Args&... args) {
  return concat({MessagePart(args)...});
}

/// Throws tinylm::Error with the parts' concatenation as its message.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_error(std::initializer_list<MessagePart> parts) {
  throw Error(concat(parts));
}

}  // namespace detail
}  // namespace tinylm

/// Throws tinylm::Error with the streamed message parts when `cond` is false.
#define TINYLM_CHECK(cond, ...)                     \
  do {                                              \
    if (!(cond)) [[unlikely]]                       \
      ::tinylm::detail::throw_error({__VA_ARGS__}); \
  } while (0)
