#include <string>
#include <string_view>

#include "helpers.hpp"

namespace test_error {

// A check's message is its parts streamed in order, whatever their types:
// literals, strings (temporaries included), integers, floating point, Shape,
// Device, views and pointers.
std::string message_of(bool ok, const std::string& name, int64_t n) {
  try {
    const std::string_view view = "view";
    char buffer[] = "buf";
    char* ptr = buffer;
    TINYLM_CHECK(ok, "op: ", name, " is ", tinylm::Shape{2, 3}, " on ", tinylm::Device::cpu(), ", n = ", n,
                 ", x = ", 0.5, ", ", std::string("temp") + "orary", ' ', view, ' ', ptr, ' ', 7u, ' ', true);
  } catch (const tinylm::Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_CASE("TINYLM_CHECK streams its message parts in order and throws only when the condition fails") {
  CHECK(message_of(false, "linear", -4) == "op: linear is [2, 3] on cpu, n = -4, x = 0.5, temporary view buf 7 1");
  CHECK(message_of(true, "linear", -4) == "no error");
  CHECK(tinylm::detail::str_cat("a", 1, std::string("b"), tinylm::Shape{4}, 2.25) == "a1b[4]2.25");
  CHECK(tinylm::detail::str_cat() == "");
}

}  // namespace test_error
