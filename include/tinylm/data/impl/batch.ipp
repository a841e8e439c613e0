#pragma once
// The bodies of data/batch.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/data/batch.hpp"

namespace tinylm::data {

TINYLM_DECL TokenDataset::TokenDataset(std::vector<int32_t> tokens, std::string name) : name_(std::move(name)) {
  auto src = std::make_shared<Source>();
  src->owned = std::move(tokens);
  src->bytes = reinterpret_cast<const unsigned char*>(src->owned.data());
  src->width = 4;
  size_ = static_cast<int64_t>(src->owned.size());
  src_ = std::move(src);
}

TINYLM_DECL TokenDataset TokenDataset::map_shard(const std::string& path, int64_t vocab_size) {
  MappedFile map = MappedFile::open(path);
  TINYLM_CHECK(map.size() >= kShardHeaderBytes, "read_shard: '", path, "' has ", map.size(), " bytes, fewer than the ",
               kShardHeaderBytes, "-byte header");
  int32_t header[256];
  std::memcpy(header, map.data(), sizeof header);
  const auto h = detail::parse_shard_header(header, map.size(), path);
  TINYLM_CHECK(h.count > 0, "'", path, "' holds no tokens");
  return from_mapped(std::move(map), h.width, static_cast<int64_t>(h.count), vocab_size, path);
}

TINYLM_DECL Batch TokenDataset::sample(int64_t B, int64_t T, Generator& gen, int64_t part, int64_t parts) const {
  check_fits(T);
  TINYLM_CHECK(parts >= 1 && part >= 0 && part < parts, "TokenDataset::sample: part ", part, " of ", parts,
               " does not exist");
  Batch b{Tensor<int32_t>::empty({B, T}), Tensor<int32_t>::empty({B, T})};
  const auto starts = static_cast<uint64_t>(size() - T);
  for (int64_t r = 0; r < parts; ++r)
    for (int64_t i = 0; i < B; ++i) {
      const int64_t s = static_cast<int64_t>(gen.below(starts));
      if (r != part) continue;
      read(s, T, b.x.data() + i * T);
      read(s + 1, T, b.y.data() + i * T);
    }
  return b;
}

TINYLM_DECL std::pair<TokenDataset, TokenDataset> TokenDataset::split(double fraction) const {
  TINYLM_CHECK(fraction > 0 && fraction < 1, "TokenDataset::split: fraction must be in (0, 1), got ", fraction);
  const auto cut = static_cast<int64_t>(static_cast<double>(size()) * (1.0 - fraction));
  return {range(0, cut, name_ + " (train split)"), range(cut, size_, name_ + " (validation split)")};
}

TINYLM_DECL TokenDataset TokenDataset::from_mapped(MappedFile map, std::size_t width, int64_t count, int64_t vocab_size,
                                                   const std::string& name) {
  auto src = std::make_shared<Source>();
  src->bytes = map.data() + kShardHeaderBytes;
  src->width = width;
  // One pass over every token, read ahead and dropped behind.
  map.advise_sequential();
  const int64_t bound = vocab_size > 0 ? vocab_size : int64_t{0x7FFFFFFF} + 1;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t t = token_at(src->bytes, width, i);
    TINYLM_CHECK(t<bound, "'", name, "': token ", t, " at position ", i, vocab_size> 0
                     ? tinylm::detail::str_cat(" is not below the vocabulary size ", vocab_size)
                     : std::string(" does not fit an int32 id"));
  }
  map.advise_random();  // from now on: windows at random places
  src->map = std::move(map);
  TokenDataset d;
  d.name_ = name;
  d.size_ = count;
  d.src_ = std::move(src);
  return d;
}

}  // namespace tinylm::data
