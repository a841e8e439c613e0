#pragma once
// Token shards in llm.c's .bin layouts: a header of 256 little-endian int32
// (magic, version, token count, then zeros) followed by the tokens. GPT-2's
// layout (magic 20240520, version 1) holds uint16 tokens, for vocabularies of
// up to 65,536; llm.c's 32-bit layout (magic 20240801, version 7, the one its
// Llama 3 data uses) holds uint32 tokens, for bigger ones.

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/mapped_file.hpp"

namespace tinylm::data {

inline constexpr int32_t kShardMagic = 20240520;  // uint16 tokens
inline constexpr int32_t kShardVersion = 1;
inline constexpr int32_t kShard32Magic = 20240801;  // uint32 tokens
inline constexpr int32_t kShard32Version = 7;
inline constexpr std::size_t kShardHeaderBytes = 256 * sizeof(int32_t);

namespace detail {

/// The header of shard `path`, checked: its token width (2 or 4 bytes) and count.
struct ShardHeader {
  std::size_t width = 2, count = 0;
};

/// Checks the 1024-byte `header` of shard `path`, a file of `size` bytes.
inline ShardHeader parse_shard_header(const int32_t (&header)[256], uint64_t size, const std::string& path) {
  ShardHeader h;
  if (header[0] == kShardMagic) {
    TINYLM_CHECK(header[1] == kShardVersion, "read_shard: '", path, "': version ", header[1], " at byte 4, expected ",
                 kShardVersion, " for magic ", kShardMagic);
  } else if (header[0] == kShard32Magic) {
    TINYLM_CHECK(header[1] == kShard32Version, "read_shard: '", path, "': version ", header[1], " at byte 4, expected ",
                 kShard32Version, " for magic ", kShard32Magic);
    h.width = 4;
  } else {
    throw Error(tinylm::detail::str_cat("read_shard: '", path, "': magic number ", header[0], " at byte 0, expected ",
                                        kShardMagic, " (uint16 tokens) or ", kShard32Magic, " (uint32 tokens)"));
  }
  TINYLM_CHECK(header[2] >= 0, "read_shard: '", path, "': negative token count ", header[2], " at byte 8");
  h.count = static_cast<std::size_t>(header[2]);
  TINYLM_CHECK(size == kShardHeaderBytes + h.width * h.count, "read_shard: '", path, "': header (byte 8) says ",
               h.count, " tokens, which need ", kShardHeaderBytes + h.width * h.count, " bytes, but the file has ",
               size);
  return h;
}

inline ShardHeader read_shard_header(std::ifstream& in, const std::string& path) {
  TINYLM_CHECK(in.good(), "read_shard: cannot open '", path, "'");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  TINYLM_CHECK(size >= kShardHeaderBytes, "read_shard: '", path, "' has ", size, " bytes, fewer than the ",
               kShardHeaderBytes, "-byte header");
  in.seekg(0);
  int32_t header[256];
  in.read(reinterpret_cast<char*>(header), sizeof header);
  return parse_shard_header(header, size, path);
}

/// The header of a shard of `count` tokens of `width` bytes.
inline void make_shard_header(int32_t (&header)[256], std::size_t width, uint64_t count, const std::string& path) {
  static_assert(std::endian::native == std::endian::little, "tinylm writes shards on little-endian machines");
  TINYLM_CHECK(count <= 0x7FFFFFFFu, "write_shard: ", count, " tokens do not fit one shard ('", path,
               "'; its header counts at most 2^31 - 1)");
  std::fill(std::begin(header), std::end(header), 0);
  header[0] = width == 2 ? kShardMagic : kShard32Magic;
  header[1] = width == 2 ? kShardVersion : kShard32Version;
  header[2] = static_cast<int32_t>(count);
}

template <class Token>
void write_shard_as(const std::string& path, std::span<const Token> tokens) {
  int32_t header[256];
  make_shard_header(header, sizeof(Token), tokens.size(), path);
  write_file_atomic(path, {std::string_view(reinterpret_cast<const char*>(header), sizeof header),
                           std::string_view(reinterpret_cast<const char*>(tokens.data()), tokens.size_bytes())});
}

template <class Token>
std::vector<Token> read_shard_tokens(std::ifstream& in, const std::string& path, std::size_t n) {
  std::vector<Token> tokens(n);
  in.read(reinterpret_cast<char*>(tokens.data()), static_cast<std::streamsize>(n * sizeof(Token)));
  TINYLM_CHECK(in.good(), "read_shard: error while reading '", path, "'");
  return tokens;
}

}  // namespace detail

/// Writes uint16 tokens as a shard in GPT-2's layout, atomically.
inline void write_shard(const std::string& path, std::span<const uint16_t> tokens) {
  detail::write_shard_as(path, tokens);
}
inline void write_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  write_shard(path, std::span<const uint16_t>(tokens));
}

/// Writes token ids of a `vocab_size`-token vocabulary as a shard, atomically:
/// uint16 when the vocabulary fits (up to 65,536 tokens), else the 32-bit
/// layout. Every id must be in [0, vocab_size).
inline void write_shard_ids(const std::string& path, std::span<const int32_t> ids, int64_t vocab_size) {
  TINYLM_CHECK(vocab_size >= 1, "write_shard_ids: vocabulary size must be >= 1, got ", vocab_size);
  for (std::size_t i = 0; i < ids.size(); ++i)
    TINYLM_CHECK(ids[i] >= 0 && ids[i] < vocab_size, "write_shard_ids: id ", ids[i], " at position ", i,
                 " is out of range for a vocabulary of ", vocab_size);
  if (vocab_size <= 65536) {
    const std::vector<uint16_t> t(ids.begin(), ids.end());
    write_shard(path, t);
  } else {
    const std::vector<uint32_t> t(ids.begin(), ids.end());
    detail::write_shard_as(path, std::span<const uint32_t>(t));
  }
}

/// Writes a shard a piece at a time, for token streams larger than memory:
/// tokens go to PATH.tmp.PID as they come, and finish() writes the header,
/// flushes the file and renames it over PATH, so readers see the old file or
/// the whole new one (as write_file_atomic). Ids must be in [0, vocab_size);
/// uint16 tokens when the vocabulary fits 65,536, else uint32. A writer
/// destroyed unfinished removes its temporary.
class ShardWriter {
 public:
  ShardWriter(std::string path, int64_t vocab_size) : path_(std::move(path)), vocab_(vocab_size) {
    TINYLM_CHECK(vocab_ >= 1, "ShardWriter: vocabulary size must be >= 1, got ", vocab_);
    width_ = vocab_ <= 65536 ? 2 : 4;
    tinylm::detail::remove_stale_temporaries(path_);
    tmp_ = path_ + ".tmp." + std::to_string(::getpid());
    fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    TINYLM_CHECK(fd_ >= 0, "ShardWriter: cannot create '", tmp_, "': ", std::strerror(errno));
    const std::string zeros(kShardHeaderBytes, '\0');  // the header, written by finish()
    write_all(zeros.data(), zeros.size());
  }
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;
  ~ShardWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  /// Appends ids (each checked against the vocabulary).
  void append(std::span<const int32_t> ids) {
    TINYLM_CHECK(fd_ >= 0, "ShardWriter: '", path_, "' is finished");
    TINYLM_CHECK(count_ + ids.size() <= 0x7FFFFFFFu, "ShardWriter: '", path_,
                 "' would hold more than 2^31 - 1 tokens, the most a shard's header counts; write several shards");
    for (std::size_t i = 0; i < ids.size(); ++i)
      TINYLM_CHECK(ids[i] >= 0 && ids[i] < vocab_, "ShardWriter: id ", ids[i], " at position ", count_ + i,
                   " is out of range for a vocabulary of ", vocab_);
    if (width_ == 2) {
      const std::vector<uint16_t> t(ids.begin(), ids.end());
      write_all(t.data(), t.size() * 2);
    } else {
      const std::vector<uint32_t> t(ids.begin(), ids.end());
      write_all(t.data(), t.size() * 4);
    }
    count_ += ids.size();
  }

  /// Tokens appended so far.
  uint64_t size() const { return count_; }
  const std::string& path() const { return path_; }

  /// Writes the header and puts the file in place at the path.
  void finish() {
    write_header();
    if (::fsync(fd_) != 0) fail("cannot flush");
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
      ::unlink(tmp_.c_str());
      throw Error(tinylm::detail::str_cat("ShardWriter: cannot close '", tmp_, "': ", std::strerror(errno)));
    }
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      const std::string reason = std::strerror(errno);
      ::unlink(tmp_.c_str());
      throw Error(tinylm::detail::str_cat("ShardWriter: cannot rename '", tmp_, "' to '", path_, "': ", reason));
    }
    tinylm::detail::sync_directory_of(path_);
  }

  /// Writes the header and maps the shard without ever giving it a name:
  /// the temporary is removed at once and its space freed when the mapping
  /// ends (or the process does, however it ends). For tokens needed only
  /// while the program runs.
  MappedFile finish_mapped() {
    write_header();
    MappedFile m = MappedFile::from_fd(fd_, path_);
    ::close(std::exchange(fd_, -1));
    ::unlink(tmp_.c_str());
    return m;
  }

 private:
  void write_header() {
    TINYLM_CHECK(fd_ >= 0, "ShardWriter: '", path_, "' is finished");
    int32_t header[256];
    detail::make_shard_header(header, width_, count_, path_);
    if (::pwrite(fd_, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) fail("cannot write");
  }
  void write_all(const void* data, std::size_t n) {
    if (!tinylm::detail::write_all(fd_, static_cast<const char*>(data), n)) fail("cannot write");
  }
  [[noreturn]] void fail(const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(std::exchange(fd_, -1));
    ::unlink(tmp_.c_str());
    throw Error(tinylm::detail::str_cat("ShardWriter: ", what, " '", tmp_, "': ", reason));
  }

  std::string path_, tmp_;
  int64_t vocab_;
  std::size_t width_ = 2;
  uint64_t count_ = 0;
  int fd_ = -1;
};

/// Reads a shard in GPT-2's uint16 layout, checking its header against the
/// file size. A 32-bit shard is an error here: read it with read_shard_ids.
inline std::vector<uint16_t> read_shard(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const auto h = detail::read_shard_header(in, path);
  TINYLM_CHECK(h.width == 2, "read_shard: '", path, "' holds uint32 tokens (magic ", kShard32Magic,
               "); read it with read_shard_ids");
  return detail::read_shard_tokens<uint16_t>(in, path, h.count);
}

/// Reads a shard in either layout as token ids.
inline std::vector<int32_t> read_shard_ids(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const auto h = detail::read_shard_header(in, path);
  if (h.width == 2) {
    const auto t = detail::read_shard_tokens<uint16_t>(in, path, h.count);
    return {t.begin(), t.end()};
  }
  const auto t = detail::read_shard_tokens<uint32_t>(in, path, h.count);
  for (std::size_t i = 0; i < t.size(); ++i)
    TINYLM_CHECK(t[i] <= 0x7FFFFFFFu, "read_shard: '", path, "': token ", t[i], " at position ", i,
                 " does not fit an int32 id");
  return {t.begin(), t.end()};
}

}  // namespace tinylm::data
