#pragma once
// Element types a Tensor<T> may hold, and their names.
//
// float and double are differentiable (double is what gradcheck runs in);
// integer types hold token ids and indices; bool holds masks.

#include <concepts>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tinylm {

template <class T>
concept Element =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t> ||
    std::is_same_v<T, int16_t> || std::is_same_v<T, uint16_t> || std::is_same_v<T, uint8_t> || std::is_same_v<T, bool>;

/// Types that carry gradients.
template <class T>
concept FloatElement = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Integer types usable as token ids or gather indices.
template <class T>
concept IndexElement = std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t> || std::is_same_v<T, int16_t> ||
    std::is_same_v<T, uint16_t> || std::is_same_v<T, uint8_t>;

/// The PyTorch-style name of an element type ("float32", "int64", ...).
template <class T>
constexpr std::string_view dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, int16_t>) return "int16";
  else if constexpr (std::is_same_v<T, uint16_t>) return "uint16";
  else if constexpr (std::is_same_v<T, uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else static_assert(sizeof(T) == 0, "tinylm: unsupported element type");
}

}  // namespace tinylm
