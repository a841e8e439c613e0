#pragma once
// Reading text files and UTF-8 <-> code points, with errors that name the
// file and the byte offset.

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/utf8.hpp"

namespace tinylm::data {

/// The whole file as bytes. Missing, unreadable and empty files are errors.
TINYLM_DECL std::string read_text_file(const std::string& path);

/// Decodes UTF-8 into code points; `what` names the source in errors.
TINYLM_DECL std::vector<char32_t> utf8_decode(std::string_view s, const std::string& what = "text");

/// True where a text file may be cut into pieces that tokenize as the whole
/// does: just after a line end with a printable ASCII character on each side
/// ("x\ny" cut as "x\n" | "y"). No UTF-8 sequence, word, number or run of
/// whitespace spans such a point, and no pre-tokenizer of the byte-level
/// BPEs (GPT-2's, cl100k's, o200k's) joins a line end to the text after it.
inline bool is_text_cut_point(std::string_view s, std::size_t i) {
  auto printable = [](char c) { return c > ' ' && c < 0x7F; };
  return i >= 2 && i < s.size() && s[i - 1] == '\n' && printable(s[i - 2]) && printable(s[i]);
}

/// A text file read in pieces of about `chunk_bytes` (longer where no cut
/// point comes sooner; the last piece is the rest), each ending at an
/// is_text_cut_point, so that memory holds about one piece whatever the
/// file's size and the pieces tokenize as the whole file does:
///
///   tinylm::data::TextChunks text("corpus.txt");
///   for (std::string piece; text.next(piece);) writer.append(tok.encode(piece));
///
/// Missing, unreadable and empty files are errors, as in read_text_file.
class TextChunks {
 public:
  static constexpr std::size_t kDefaultChunkBytes = std::size_t{4} << 20;

  explicit TextChunks(std::string path, std::size_t chunk_bytes = kDefaultChunkBytes);

  /// The next piece into `piece`; false once the file is read.
  bool next(std::string& piece) {
    std::size_t scan_from = 2;  // cut points below this were looked for already
    while (!eof_) {
      if (buf_.size() >= chunk_) {
        for (std::size_t i = buf_.size() - 1; i >= scan_from; --i)
          if (is_text_cut_point(buf_, i)) return take(i, piece);
        scan_from = buf_.size();  // a cut point depends only on the bytes up to it
      }
      const std::size_t had = buf_.size();
      buf_.resize(had + chunk_);
      in_.read(buf_.data() + had, static_cast<std::streamsize>(chunk_));
      TINYLM_CHECK(!in_.bad(), "read_text_file: error while reading '", path_, "'");
      buf_.resize(had + static_cast<std::size_t>(in_.gcount()));
      eof_ = in_.eof();
    }
    if (buf_.empty()) return false;
    return take(buf_.size(), piece);
  }

  /// The byte offset in the file of the piece next() returned last.
  uint64_t offset() const { return offset_; }
  uint64_t file_size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  bool take(std::size_t n, std::string& piece) {
    offset_ = next_offset_;
    next_offset_ += n;
    piece.assign(buf_, 0, n);
    buf_.erase(0, n);
    return true;
  }

  std::string path_;
  std::size_t chunk_;
  std::ifstream in_;
  std::string buf_;
  uint64_t size_ = 0, offset_ = 0, next_offset_ = 0;
  bool eof_ = false;
};

/// The first pieces of the text file at `path`, as TextChunks cuts it, up to
/// about `max_bytes` (the whole file when it is shorter): a sample of a
/// corpus too big to hold, to train a tokenizer on.
TINYLM_DECL std::string read_text_prefix(const std::string& path, std::size_t max_bytes);

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/text.ipp"
#endif
