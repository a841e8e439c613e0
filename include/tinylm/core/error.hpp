#pragma once
// tinylm::Error and the check macro every layer uses.
//
// Messages print the facts: the op, the shapes, the rule that was broken,
// e.g. "matmul: a is [4, 8, 32], b is [64, 128]: a.shape[-1] must equal
// b.shape[-2] (32 != 64)". Tests assert the text, so keep it stable.

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

/// Concatenates anything that has an operator<< into one string.
template <class... Args>
std::string str_cat(Args&&... args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}

}  // namespace detail
}  // namespace tinylm

/// Throws tinylm::Error with the streamed message parts when `cond` is false.
#define TINYLM_CHECK(cond, ...)                                                 \
  do {                                                                          \
    if (!(cond)) throw ::tinylm::Error(::tinylm::detail::str_cat(__VA_ARGS__)); \
  } while (0)
