#pragma once
// The bodies of io/safetensors.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/io/safetensors.hpp"

namespace tinylm::io {

TINYLM_DECL void SafetensorsWriter::save(const std::string& path) const {
  Json header = Json::object();
  if (!metadata_.empty()) {
    Json m = Json::object();
    for (const auto& [k, v] : metadata_) m.set(k, v);
    header.set("__metadata__", m);
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    const std::size_t end = i + 1 < entries_.size() ? entries_[i + 1].offset : data_.size();
    Json shape = Json::array();
    for (int64_t d : e.shape) shape.push_back(Json(d));
    Json obj = Json::object();
    obj.set("dtype", e.dtype);
    obj.set("shape", shape);
    obj.set("data_offsets", Json::array({Json(static_cast<int64_t>(e.offset)), Json(static_cast<int64_t>(end))}));
    header.set(e.name, obj);
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // pad so the data starts 8-byte aligned
  const uint64_t n = h.size();
  char len[8];
  std::memcpy(len, &n, 8);
  write_file_atomic(path, {std::string_view(len, 8), h, data_});
}

}  // namespace tinylm::io

namespace tinylm::io {

TINYLM_DECL SafetensorsFile SafetensorsFile::read(const std::string& path) {
  static_assert(std::endian::native == std::endian::little, "tinylm reads safetensors on little-endian machines");
  SafetensorsFile f;
  f.path_ = path;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TINYLM_CHECK(in.good(), "safetensors: cannot open '", path, "'");
  const auto size = static_cast<std::size_t>(in.tellg());
  TINYLM_CHECK(size >= 8, "safetensors: '", path, "' has ", size, " bytes, too few for the 8-byte header length");
  in.seekg(0);
  f.bytes_.resize(size);
  in.read(f.bytes_.data(), static_cast<std::streamsize>(size));
  TINYLM_CHECK(in.good(), "safetensors: error while reading '", path, "'");
  uint64_t n = 0;
  std::memcpy(&n, f.bytes_.data(), 8);
  TINYLM_CHECK(n <= size - 8, "safetensors: '", path, "': header length ", n, " (byte 0) runs past the end of the ",
               size, "-byte file");
  f.data_offset_ = 8 + static_cast<std::size_t>(n);
  const Json header = Json::parse(std::string_view(f.bytes_).substr(8, n),
                                  "safetensors: '" + path + "' header (which starts at byte 8)");
  TINYLM_CHECK(header.is_object(), "safetensors: '", path, "': the header is not a JSON object");
  const std::size_t data_size = size - f.data_offset_;
  for (const auto& [name, v] : header.as_object()) {
    if (name == "__metadata__") {
      TINYLM_CHECK(v.is_object(), "safetensors: '", path, "': __metadata__ is not an object");
      for (const auto& [k, mv] : v.as_object()) f.metadata_[k] = mv.as_string("__metadata__." + k);
      continue;
    }
    const std::string where = "safetensors: '" + path + "': tensor '" + name + "'";
    TINYLM_CHECK(v.is_object(), where, " is not an object");
    const Json* dt = v.find("dtype");
    const Json* sh = v.find("shape");
    const Json* off = v.find("data_offsets");
    TINYLM_CHECK(dt && sh && off, where, " needs dtype, shape and data_offsets");
    SafetensorsEntry e;
    e.dtype = dt->as_string(where + " dtype");
    const std::size_t item = detail::dtype_size(e.dtype);
    TINYLM_CHECK(item > 0, where, " has unknown dtype '", e.dtype, "'");
    const auto& dims = sh->as_array(where + " shape");
    TINYLM_CHECK(dims.size() <= static_cast<std::size_t>(Shape::kMaxDims), where, " has ", dims.size(),
                 " dimensions, tinylm holds at most ", Shape::kMaxDims);
    for (const auto& d : dims) {
      const int64_t dim = d.as_int(where + " shape");
      TINYLM_CHECK(dim >= 0, where, " has a negative dimension ", dim);
      e.shape.push_back(dim);
    }
    const auto& o = off->as_array(where + " data_offsets");
    TINYLM_CHECK(o.size() == 2, where, " data_offsets must have 2 entries");
    const int64_t b = o[0].as_int(where + " data_offsets"), en = o[1].as_int(where + " data_offsets");
    TINYLM_CHECK(b >= 0 && b <= en && static_cast<uint64_t>(en) <= data_size, where, " data_offsets [", b, ", ", en,
                 "] do not fit the ", data_size, " data bytes after byte ", f.data_offset_);
    e.begin = static_cast<std::size_t>(b);
    e.end = static_cast<std::size_t>(en);
    // The size the shape needs, with every product checked: a shape whose
    // byte count wraps around 64 bits must not pass as a small one.
    const std::size_t need =
        checked_mul<std::size_t>(checked_numel(e.shape, where + " shape " + e.shape.str()), item, where + " byte size");
    TINYLM_CHECK(e.end - e.begin == need, where, " of shape ", e.shape, " and dtype ", e.dtype, " needs ", need,
                 " bytes, its data_offsets span ", e.end - e.begin);
    f.order_.push_back(name);
    f.entries_[name] = e;
  }
  // Tensors may not overlap.
  std::vector<const SafetensorsEntry*> sorted;
  for (auto& [name, e] : f.entries_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < sorted.size(); ++i)
    TINYLM_CHECK(sorted[i]->begin >= sorted[i - 1]->end, "safetensors: '", path, "': tensors overlap at data byte ",
                 sorted[i]->begin);
  return f;
}

}  // namespace tinylm::io
