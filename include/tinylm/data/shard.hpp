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
#include "tinylm/core/config.hpp"
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
TINYLM_DECL ShardHeader parse_shard_header(const int32_t (&header)[256], uint64_t size, const std::string& path);

TINYLM_DECL ShardHeader read_shard_header(std::ifstream& in, const std::string& path);

/// The header of a shard of `count` tokens of `width` bytes.
TINYLM_DECL void make_shard_header(int32_t (&header)[256], std::size_t width, uint64_t count, const std::string& path);

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
TINYLM_DECL void write_shard(const std::string& path, std::span<const uint16_t> tokens);
inline void write_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  write_shard(path, std::span<const uint16_t>(tokens));
}

/// Writes token ids of a `vocab_size`-token vocabulary as a shard, atomically:
/// uint16 when the vocabulary fits (up to 65,536 tokens), else the 32-bit
/// layout. Every id must be in [0, vocab_size).
TINYLM_DECL void write_shard_ids(const std::string& path, std::span<const int32_t> ids, int64_t vocab_size);

/// Writes a shard a piece at a time, for token streams larger than memory:
/// tokens go to PATH.tmp.PID as they come, and finish() writes the header,
/// flushes the file and renames it over PATH, so readers see the old file or
/// the whole new one (as write_file_atomic). Ids must be in [0, vocab_size);
/// uint16 tokens when the vocabulary fits 65,536, else uint32. A writer
/// destroyed unfinished removes its temporary.
class ShardWriter {
 public:
  ShardWriter(std::string path, int64_t vocab_size);
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;
  ~ShardWriter() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  /// Appends ids (each checked against the vocabulary).
  void append(std::span<const int32_t> ids);

  /// Tokens appended so far.
  uint64_t size() const { return count_; }
  const std::string& path() const { return path_; }

  /// Writes the header and puts the file in place at the path.
  void finish();

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
TINYLM_DECL std::vector<uint16_t> read_shard(const std::string& path);

/// Reads a shard in either layout as token ids.
TINYLM_DECL std::vector<int32_t> read_shard_ids(const std::string& path);

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/shard.ipp"
#endif
