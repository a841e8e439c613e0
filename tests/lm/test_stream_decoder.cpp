// StreamDecoder: pieces of whole UTF-8 characters, a stop string found
// across tokens and held back while it may be coming, U+FFFD for bytes
// that are not UTF-8.

#include "helpers.hpp"

namespace {

/// Feeds token i = the i-th string of `tokens`; returns the pieces and
/// whether a stop string ended it.
std::pair<std::vector<std::string>, bool> decode_pieces(const std::vector<std::string>& tokens,
                                                        const std::vector<std::string>& stops) {
  tinylm::lm::StreamDecoder d([&](int32_t t) { return tokens[static_cast<std::size_t>(t)]; }, stops);
  std::vector<std::string> pieces;
  bool stopped = false;
  for (std::size_t t = 0; t < tokens.size() && !stopped; ++t)
    pieces.push_back(d.push(static_cast<int32_t>(t), stopped));
  if (!stopped) pieces.push_back(d.flush());
  return {pieces, stopped};
}

}  // namespace

TEST_CASE("StreamDecoder: a character split across tokens goes out whole, with the token that ends it") {
  const auto [pieces, stopped] = decode_pieces({"ab", "\xC3",
                                                "\xA9"
                                                "c",
                                                "\xE2\x82", "\xAC"},
                                               {});
  CHECK(pieces == std::vector<std::string>{"ab", "",
                                           "\xC3\xA9"
                                           "c",
                                           "", "\xE2\x82\xAC", ""});
  CHECK_FALSE(stopped);
}

TEST_CASE("StreamDecoder: a stop string across tokens is held back while it may come, and cut at") {
  {
    const auto [pieces, stopped] = decode_pieces({"so 5", " E", "N", "D and more"}, {" END"});
    CHECK(pieces == std::vector<std::string>{"so 5", "", "", ""});
    CHECK(stopped);
  }
  {  // a false start is let go when it turns out not to be one
    const auto [pieces, stopped] = decode_pieces({"x E", "N", "O", "!"}, {" END"});
    CHECK(pieces == std::vector<std::string>{"x", "", " ENO", "!", ""});
    CHECK_FALSE(stopped);
  }
  {  // the earliest of several, inside one token
    const auto [pieces, stopped] = decode_pieces({"a;b.c", "d"}, {".", ";"});
    CHECK(pieces == std::vector<std::string>{"a"});
    CHECK(stopped);
  }
  {  // held at the end of the generation: flush gives it
    const auto [pieces, stopped] = decode_pieces({"a", " EN"}, {" END"});
    CHECK(pieces == std::vector<std::string>{"a", "", " EN"});
    CHECK_FALSE(stopped);
  }
  CHECK_THROWS_WITH_AS(tinylm::lm::StreamDecoder([](int32_t) { return std::string(); }, {""}),
                       doctest::Contains("stop string is empty"), tinylm::Error);
}

TEST_CASE("StreamDecoder: bytes that are not UTF-8 go out as U+FFFD") {
  const std::string R = "\xEF\xBF\xBD";
  const auto [pieces, stopped] = decode_pieces({"a\x80", "b", "\xF0\x9F"}, {});
  CHECK(pieces == std::vector<std::string>{"a" + R, "b", "", R});  // held, then flushed as one U+FFFD
  CHECK_FALSE(stopped);
}
