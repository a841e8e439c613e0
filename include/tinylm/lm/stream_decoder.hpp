#pragma once
// Decoding generated tokens into text as they come: lm::StreamDecoder.
//
// A streamed reply goes out piece by piece, and a piece must be text: a
// token can end inside a UTF-8 character (a byte-level BPE splits them
// anywhere), and a stop string can begin in one token and end in a later
// one. StreamDecoder holds back the bytes that more could complete, and
// the end of the text while it could be the start of a stop string; at a
// stop string it gives the text before it and says so. Bytes that are not
// UTF-8 go out as U+FFFD (utf8_replace_invalid), so every piece is
// well-formed text that JSON can carry.
//
// ```cpp
// #include <tinylm/lm/stream_decoder.hpp>
//
// int main() {
//   const std::string bytes = "caf\xC3\xA9 END!";  // token i is byte i
//   tinylm::lm::StreamDecoder d([&](int32_t t) { return std::string(1, bytes[static_cast<std::size_t>(t)]); },
//                               {" END"});
//   std::string text;
//   bool stopped = false;
//   for (int32_t t = 0; t < static_cast<int32_t>(bytes.size()) && !stopped; ++t) text += d.push(t, stopped);
//   return text == "caf\xC3\xA9" && stopped ? 0 : 1;
// }
// ```

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/utf8.hpp"

namespace tinylm::lm {

/// Tokens to text pieces (see the file comment). `bytes` gives a token's
/// bytes; no stop string may be empty.
class StreamDecoder {
 public:
  StreamDecoder(std::function<std::string(int32_t)> bytes, std::vector<std::string> stops)
      : bytes_(std::move(bytes)), stops_(std::move(stops)) {
    for (const auto& s : stops_) TINYLM_CHECK(!s.empty(), "StreamDecoder: a stop string is empty");
  }

  /// The text that can go out after this token. At a stop string: the text
  /// before it, and `stopped` is set (the tokens after are not wanted).
  std::string push(int32_t token, bool& stopped) {
    pending_ += utf8_.push(bytes_(token));
    std::size_t cut = std::string::npos;
    for (const auto& s : stops_) cut = std::min(cut, pending_.find(s));
    if (cut != std::string::npos) {
      stopped = true;
      const std::string before = pending_.substr(0, cut);
      pending_.clear();
      return utf8_replace_invalid(before);
    }
    std::size_t hold = 0;  // the longest end of pending_ that a stop string starts with
    for (const auto& s : stops_)
      for (std::size_t k = std::min(s.size() - 1, pending_.size()); k > hold; --k)
        if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
    std::string out = pending_.substr(0, pending_.size() - hold);
    pending_.erase(0, pending_.size() - hold);
    return utf8_replace_invalid(out);
  }
  /// What is held at the end of the generation.
  std::string flush() { return utf8_replace_invalid(std::exchange(pending_, std::string()) + utf8_.flush()); }

 private:
  std::function<std::string(int32_t)> bytes_;
  std::vector<std::string> stops_;
  data::Utf8Stream utf8_;
  std::string pending_;
};

}  // namespace tinylm::lm
