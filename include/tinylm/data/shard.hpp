#pragma once
// Token shards in llm.c's .bin layout: a header of 256 little-endian int32
// (magic 20240520, version 1, token count, then zeros) followed by the
// tokens as little-endian uint16.

#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/error.hpp"

namespace tinylm::data {

inline constexpr int32_t kShardMagic = 20240520;
inline constexpr int32_t kShardVersion = 1;
inline constexpr std::size_t kShardHeaderBytes = 256 * sizeof(int32_t);

/// Writes tokens as a shard, atomically.
inline void write_shard(const std::string& path, const std::vector<uint16_t>& tokens) {
  static_assert(std::endian::native == std::endian::little, "tinylm writes shards on little-endian machines");
  int32_t header[256] = {};
  header[0] = kShardMagic;
  header[1] = kShardVersion;
  TINYLM_CHECK(tokens.size() <= 0x7FFFFFFFu, "write_shard: ", tokens.size(), " tokens do not fit one shard");
  header[2] = static_cast<int32_t>(tokens.size());
  write_file_atomic(path, {std::string_view(reinterpret_cast<const char*>(header), sizeof header),
                           std::string_view(reinterpret_cast<const char*>(tokens.data()), tokens.size() * 2)});
}

/// Reads a shard, checking its header against the file size.
inline std::vector<uint16_t> read_shard(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TINYLM_CHECK(in.good(), "read_shard: cannot open '", path, "'");
  const auto size = static_cast<std::size_t>(in.tellg());
  TINYLM_CHECK(size >= kShardHeaderBytes, "read_shard: '", path, "' has ", size, " bytes, fewer than the ",
               kShardHeaderBytes, "-byte header");
  in.seekg(0);
  int32_t header[256];
  in.read(reinterpret_cast<char*>(header), sizeof header);
  TINYLM_CHECK(header[0] == kShardMagic, "read_shard: '", path, "': magic number ", header[0], " at byte 0, expected ",
               kShardMagic);
  TINYLM_CHECK(header[1] == kShardVersion, "read_shard: '", path, "': version ", header[1], " at byte 4, expected ",
               kShardVersion);
  TINYLM_CHECK(header[2] >= 0, "read_shard: '", path, "': negative token count ", header[2], " at byte 8");
  const std::size_t n = static_cast<std::size_t>(header[2]);
  TINYLM_CHECK(size == kShardHeaderBytes + 2 * n, "read_shard: '", path, "': header (byte 8) says ", n,
               " tokens, which need ", kShardHeaderBytes + 2 * n, " bytes, but the file has ", size);
  std::vector<uint16_t> tokens(n);
  in.read(reinterpret_cast<char*>(tokens.data()), static_cast<std::streamsize>(2 * n));
  TINYLM_CHECK(in.good(), "read_shard: error while reading '", path, "'");
  return tokens;
}

}  // namespace tinylm::data
