#pragma once
// The bodies of data/shard.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/shard.hpp"

namespace tinylm::data::detail {

TINYLM_DECL ShardHeader parse_shard_header(const int32_t (&header)[256], uint64_t size, const std::string& path) {
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

TINYLM_DECL ShardHeader read_shard_header(std::ifstream& in, const std::string& path) {
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

TINYLM_DECL void make_shard_header(int32_t (&header)[256], std::size_t width, uint64_t count, const std::string& path) {
  static_assert(std::endian::native == std::endian::little, "tinylm writes shards on little-endian machines");
  TINYLM_CHECK(count <= 0x7FFFFFFFu, "write_shard: ", count, " tokens do not fit one shard ('", path,
               "'; its header counts at most 2^31 - 1)");
  std::fill(std::begin(header), std::end(header), 0);
  header[0] = width == 2 ? kShardMagic : kShard32Magic;
  header[1] = width == 2 ? kShardVersion : kShard32Version;
  header[2] = static_cast<int32_t>(count);
}

}  // namespace tinylm::data::detail

namespace tinylm::data {

TINYLM_DECL void write_shard(const std::string& path, std::span<const uint16_t> tokens) {
  detail::write_shard_as(path, tokens);
}

TINYLM_DECL void write_shard_ids(const std::string& path, std::span<const int32_t> ids, int64_t vocab_size) {
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

TINYLM_DECL std::vector<uint16_t> read_shard(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const auto h = detail::read_shard_header(in, path);
  TINYLM_CHECK(h.width == 2, "read_shard: '", path, "' holds uint32 tokens (magic ", kShard32Magic,
               "); read it with read_shard_ids");
  return detail::read_shard_tokens<uint16_t>(in, path, h.count);
}

TINYLM_DECL std::vector<int32_t> read_shard_ids(const std::string& path) {
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

namespace tinylm::data {

TINYLM_DECL ShardWriter::ShardWriter(std::string path, int64_t vocab_size)
    : path_(std::move(path)), vocab_(vocab_size) {
  TINYLM_CHECK(vocab_ >= 1, "ShardWriter: vocabulary size must be >= 1, got ", vocab_);
  width_ = vocab_ <= 65536 ? 2 : 4;
  tinylm::detail::remove_stale_temporaries(path_);
  tmp_ = path_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  TINYLM_CHECK(fd_ >= 0, "ShardWriter: cannot create '", tmp_, "': ", std::strerror(errno));
  const std::string zeros(kShardHeaderBytes, '\0');  // the header, written by finish()
  write_all(zeros.data(), zeros.size());
}

TINYLM_DECL void ShardWriter::append(std::span<const int32_t> ids) {
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

TINYLM_DECL void ShardWriter::finish() {
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

}  // namespace tinylm::data
