// The docs quote tinylm's code; these tests keep the quotes true.

#include <fstream>
#include <regex>
#include <sstream>

#include "helpers.hpp"

namespace {

std::string read(const std::string& rel) {
  std::ifstream in(std::string(TINYLM_SOURCE_DIR) + "/" + rel);
  REQUIRE_MESSAGE(in.good(), "cannot open " << rel);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every line of code docs/backprop-attention.md quotes exists in the file it names") {
  const std::string doc = read("docs/backprop-attention.md");
  // [`path`](link) `quoted code`
  const std::regex quote(R"(\[`([^`]+)`\]\([^)]*\) `([^`]+)`)");
  int n = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), quote); it != std::sregex_iterator(); ++it, ++n) {
    const std::string path = (*it)[1], code = (*it)[2];
    INFO(path << ": " << code);
    CHECK(read(path).find(code) != std::string::npos);
  }
  CHECK(n >= 30);
}
