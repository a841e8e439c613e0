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
#include "tinylm/core/config.hpp"
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
  static SafetensorsFile read(const std::string& path);

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

  void save(const std::string& path) const;

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

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/io/impl/safetensors.ipp"
#endif
