// utf8_replace_invalid: one U+FFFD per maximal ill-formed subpart, the
// expected strings as Python's bytes.decode("utf-8", "replace") gives them.

#include "helpers.hpp"

TEST_CASE("utf8_replace_invalid: well-formed text is kept, each ill-formed part becomes one U+FFFD") {
  using tinylm::utf8_replace_invalid;
  const std::string R = "\xEF\xBF\xBD";
  CHECK(utf8_replace_invalid("caf\xC3\xA9 \xF0\x9F\x98\x80!") == "caf\xC3\xA9 \xF0\x9F\x98\x80!");
  CHECK(utf8_replace_invalid("") == "");
  CHECK(utf8_replace_invalid("a\xC3") == "a" + R);                    // cut short at the end
  CHECK(utf8_replace_invalid("\xE2\x82x") == R + "x");                // cut short by an ASCII byte
  CHECK(utf8_replace_invalid("\xF0\x9F\x98") == R);                   // three of four bytes: one replacement
  CHECK(utf8_replace_invalid("\xF0\x9F\xC3\xA9") == R + "\xC3\xA9");  // cut short by a new character
  CHECK(utf8_replace_invalid("\x80\xBF") == R + R);                   // continuation bytes alone
  CHECK(utf8_replace_invalid("\xC0\xAF") == R + R);                   // an overlong '/'
  CHECK(utf8_replace_invalid("\xE0\x80\xAF") == R + R + R);           // overlong, three bytes
  CHECK(utf8_replace_invalid("\xED\xA0\x80") == R + R + R);           // a surrogate
  CHECK(utf8_replace_invalid("\xF4\x90\x80\x80") == R + R + R + R);   // above U+10FFFF
}
