#pragma once
// safetensors files: an 8-byte little-endian header length N, N bytes of
// JSON (name -> {dtype, shape, data_offsets}, plus string-to-string
// "__metadata__"), then the raw little-endian tensor data. Offsets are
// relative to the end of the header.
//
// Reading validates everything against the file's size before touching
// data, and errors name the file and the byte or tensor at fault. Writing is
// atomic (temp file + rename).

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/bf16.hpp"
#include "tinylm/core/checked.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/io/json.hpp"

namespace tinylm::io {

namespace detail {

template <class T>
constexpr const char* safetensors_dtype() {
  if constexpr (std::is_same_v<T, float>) return "F32";
  else if constexpr (std::is_same_v<T, double>) return "F64";
  else if constexpr (std::is_same_v<T, int64_t>) return "I64";
  else if constexpr (std::is_same_v<T, int32_t>) return "I32";
  else if constexpr (std::is_same_v<T, int16_t>) return "I16";
  else if constexpr (std::is_same_v<T, uint16_t>) return "U16";
  else if constexpr (std::is_same_v<T, uint8_t>) return "U8";
  else if constexpr (std::is_same_v<T, bool>) return "BOOL";
  else static_assert(sizeof(T) == 0, "no safetensors dtype for this type");
}

inline std::size_t dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL") return 1;
  return 0;
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalize
      int e = -1;
      uint32_t m = mant;
      do {
        ++e;
        m <<= 1;
      } while ((m & 0x400) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

}  // namespace detail

/// One tensor's entry in a safetensors header.
struct SafetensorsEntry {
  std::string dtype;
  Shape shape;
  std::size_t begin = 0, end = 0;  // byte range in the data section
};

/// A safetensors file read into memory and validated.
class SafetensorsFile {
 public:
  static SafetensorsFile read(const std::string& path) {
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
      const std::size_t need = checked_mul<std::size_t>(checked_numel(e.shape, where + " shape " + e.shape.str()), item,
                                                        where + " byte size");
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

  const std::string& path() const { return path_; }
  /// The bytes after the header: no tensor in the file holds more.
  std::size_t data_bytes() const { return bytes_.size() - data_offset_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Tensor names in header order.
  const std::vector<std::string>& names() const { return order_; }
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  const SafetensorsEntry& entry(const std::string& name) const {
    auto it = entries_.find(name);
    TINYLM_CHECK(it != entries_.end(), "safetensors: '", path_, "' has no tensor '", name, "'");
    return it->second;
  }

  /// The tensor converted to float type T (from F32, F64, F16 or BF16).
  template <FloatElement T>
  Tensor<T> get(const std::string& name) const {
    const SafetensorsEntry& e = entry(name);
    Tensor<T> t = Tensor<T>::empty(e.shape);
    const char* src = bytes_.data() + data_offset_ + e.begin;
    const int64_t n = e.shape.numel();
    auto convert = [&](auto tag) {
      using S = decltype(tag);
      for (int64_t i = 0; i < n; ++i) {
        S v;
        std::memcpy(&v, src + i * sizeof(S), sizeof(S));
        t.data()[i] = static_cast<T>(v);
      }
    };
    if (e.dtype == "F32") convert(float{});
    else if (e.dtype == "F64") convert(double{});
    else if (e.dtype == "F16" || e.dtype == "BF16") {
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + i * 2, 2);
        t.data()[i] = static_cast<T>(e.dtype == "F16" ? detail::half_to_float(h) : bf16::from_bits(h).to_float());
      }
    } else {
      throw Error(tinylm::detail::str_cat("safetensors: '", path_, "': tensor '", name, "' has dtype ", e.dtype,
                                          ", expected a float type"));
    }
    return t;
  }

  /// The tensor as integer type I; the stored dtype must be exactly I's.
  template <IndexElement I>
  Tensor<I> get_int(const std::string& name) const {
    const SafetensorsEntry& e = entry(name);
    TINYLM_CHECK(e.dtype == detail::safetensors_dtype<I>(), "safetensors: '", path_, "': tensor '", name,
                 "' has dtype ", e.dtype, ", expected ", detail::safetensors_dtype<I>());
    Tensor<I> t = Tensor<I>::empty(e.shape);
    std::memcpy(t.data(), bytes_.data() + data_offset_ + e.begin, e.end - e.begin);
    return t;
  }

 private:
  std::string path_;
  std::string bytes_;
  std::size_t data_offset_ = 0;
  std::map<std::string, std::string> metadata_;
  std::map<std::string, SafetensorsEntry> entries_;
  std::vector<std::string> order_;
};

/// Collects tensors and metadata, then writes one safetensors file atomically.
class SafetensorsWriter {
 public:
  template <Element T>
  void add(const std::string& name, const Tensor<T>& t) {
    TINYLM_CHECK(name != "__metadata__", "safetensors: '__metadata__' is not a valid tensor name");
    for (const auto& e : entries_) TINYLM_CHECK(e.name != name, "safetensors: tensor '", name, "' added twice");
    const std::vector<T> v = t.to_vector();
    Entry e{name, detail::safetensors_dtype<T>(), t.shape(), data_.size()};
    data_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    entries_.push_back(std::move(e));
  }
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  void save(const std::string& path) const {
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

 private:
  struct Entry {
    std::string name, dtype;
    Shape shape;
    std::size_t offset;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
  std::string data_;
};

}  // namespace tinylm::io
