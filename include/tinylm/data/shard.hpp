#pragma once
// Token shards in llm.c's .bin layouts: a header of 256 little-endian int32
// (magic, version, token count, then zeros) followed by the tokens. GPT-2's
// layout (magic 20240520, version 1) holds uint16 tokens, for vocabularies of
// up to 65,536; llm.c's 32-bit layout (magic 20240801, version 7, the one its
// Llama 3 data uses) holds uint32 tokens, for bigger ones.

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/error.hpp"

namespace tinylm::data {

inline constexpr int32_t kShardMagic = 20240520;  // uint16 tokens
inline constexpr int32_t kShardVersion = 1;
inline constexpr int32_t kShard32Magic = 20240801;  // uint32 tokens
inline constexpr int32_t kShard32Version = 7;
inline constexpr std::size_t kShardHeaderBytes = 256 * sizeof(int32_t);

namespace detail {

template <class Token>
void write_shard_as(const std::string& path, std::span<const Token> tokens, int32_t magic, int32_t version) {
  static_assert(std::endian::native == std::endian::little, "tinylm writes shards on little-endian machines");
  int32_t header[256] = {};
  header[0] = magic;
  header[1] = version;
  TINYLM_CHECK(tokens.size() <= 0x7FFFFFFFu, "write_shard: ", tokens.size(), " tokens do not fit one shard");
  header[2] = static_cast<int32_t>(tokens.size());
  write_file_atomic(path, {std::string_view(reinterpret_cast<const char*>(header), sizeof header),
                           std::string_view(reinterpret_cast<const char*>(tokens.data()), tokens.size_bytes())});
}

/// The header of shard `path`, checked: its token width (2 or 4 bytes) and count.
struct ShardHeader {
  std::size_t width = 2, count = 0;
};

inline ShardHeader read_shard_header(std::ifstream& in, const std::string& path) {
  TINYLM_CHECK(in.good(), "read_shard: cannot open '", path, "'");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  TINYLM_CHECK(size >= kShardHeaderBytes, "read_shard: '", path, "' has ", size, " bytes, fewer than the ",
               kShardHeaderBytes, "-byte header");
  in.seekg(0);
  int32_t header[256];
  in.read(reinterpret_cast<char*>(header), sizeof header);
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
  detail::write_shard_as(path, tokens, kShardMagic, kShardVersion);
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
    detail::write_shard_as(path, std::span<const uint32_t>(t), kShard32Magic, kShard32Version);
  }
}

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
