#pragma once
// Printing a tensor the way PyTorch prints it:
//
//   tensor([[1.0000, 2.5000],
//           [3.0000, 4.0000]], requires_grad=True)
//
// Floats: all-integer values print as "1.", others with 4 decimals, and in
// scientific notation when the magnitudes span more than 1000x or leave
// [1e-4, 1e8). Tensors over 1000 elements are summarized with "..." (three
// items at each edge). Rows wrap at 80 columns. Non-default dtypes (float32
// and int64 are the defaults) are named after the data. The grad_fn's name
// needs autograd/node.hpp, which <tinylm/tinylm.hpp> includes.

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "tinylm/core/tensor.hpp"

namespace tinylm {
namespace detail {

struct PrintOptions {
  static constexpr int64_t threshold = 1000;
  static constexpr int64_t edgeitems = 3;
  static constexpr int linewidth = 80;
};

/// Formats every element of one tensor with a common width, as PyTorch's _Formatter.
template <class T>
class ElementFormatter {
 public:
  explicit ElementFormatter(const std::vector<T>& values) {
    if constexpr (FloatElement<T>) {
      double lo = 0, hi = 0;
      bool any = false;
      for (T v : values) {
        if (!std::isfinite(static_cast<double>(v)) || v == T(0)) continue;
        const double a = std::fabs(static_cast<double>(v));
        lo = any ? std::min(lo, a) : a;
        hi = any ? std::max(hi, a) : a;
        any = true;
        if (std::ceil(static_cast<double>(v)) != static_cast<double>(v)) int_mode_ = false;
      }
      if (any) {
        if (int_mode_) sci_mode_ = hi / lo > 1000.0 || hi > 1e8;
        else sci_mode_ = hi / lo > 1000.0 || hi > 1e8 || lo < 1e-4;
      }
    }
    for (T v : values) width_ = std::max(width_, static_cast<int>(raw(v).size()));
  }

  int width() const { return width_; }
  std::string operator()(T v) const {
    std::string s = raw(v);
    return std::string(static_cast<std::size_t>(std::max(0, width_ - static_cast<int>(s.size()))), ' ') + s;
  }

 private:
  std::string raw(T v) const {
    char buf[64];
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "True" : "False";
    } else if constexpr (FloatElement<T>) {
      const double d = static_cast<double>(v);
      if (std::isnan(d)) return "nan";
      if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
      if (sci_mode_) std::snprintf(buf, sizeof buf, "%.4e", d);
      else if (int_mode_) std::snprintf(buf, sizeof buf, "%.0f.", d);
      else std::snprintf(buf, sizeof buf, "%.4f", d);
      return buf;
    } else {
      return std::to_string(static_cast<long long>(v));
    }
  }

  bool int_mode_ = true;
  bool sci_mode_ = false;
  int width_ = 1;
};

/// The elements that will be shown (all of them, or the edges when summarizing).
template <class T>
void collect_shown(const Tensor<T>& t, const T* base, int d, int64_t off, bool summarize, std::vector<T>& out) {
  if (t.dim() == 0) {
    out.push_back(base[off]);
    return;
  }
  const int64_t n = t.shape()[d];
  for (int64_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * PrintOptions::edgeitems && i == PrintOptions::edgeitems) i = n - PrintOptions::edgeitems;
    const int64_t o = off + i * t.strides()[d];
    if (d + 1 == t.dim()) out.push_back(base[o]);
    else collect_shown(t, base, d + 1, o, summarize, out);
  }
}

template <class T>
std::string format_dim(const Tensor<T>& t, const T* base, int d, int64_t off, int indent, bool summarize,
                       const ElementFormatter<T>& fmt) {
  const int64_t n = t.shape()[d];
  const bool cut = summarize && n > 2 * PrintOptions::edgeitems;
  if (d + 1 == t.dim()) {
    std::vector<std::string> items;
    for (int64_t i = 0; i < n; ++i) {
      if (cut && i == PrintOptions::edgeitems) {
        items.push_back(" ...");
        i = n - PrintOptions::edgeitems;
      }
      items.push_back(fmt(base[off + i * t.strides()[d]]));
    }
    const int per_line = std::max(1, (PrintOptions::linewidth - indent) / (fmt.width() + 2));
    std::string s = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) s += (i % static_cast<std::size_t>(per_line) == 0) ? ",\n" + std::string(indent + 1, ' ') : ", ";
      s += items[i];
    }
    return s + "]";
  }
  const std::string sep = "," + std::string(static_cast<std::size_t>(t.dim() - d - 1), '\n') +
                          std::string(static_cast<std::size_t>(indent + 1), ' ');
  std::string s = "[";
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0) s += sep;
    if (cut && i == PrintOptions::edgeitems) {
      s += "..." + sep;
      i = n - PrintOptions::edgeitems;
    }
    s += format_dim(t, base, d + 1, off + i * t.strides()[d], indent + 1, summarize, fmt);
  }
  return s + "]";
}

}  // namespace detail

/// PyTorch-style text of a tensor, e.g. "tensor([1., 2.], requires_grad=True)".
template <class T>
std::string to_string(const Tensor<T>& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::string body;
  std::vector<std::string> suffix;
  const int indent = 7;  // strlen("tensor(")
  if (t.numel() == 0) {
    body = "[]";
    if (t.dim() != 1) {
      std::ostringstream os;
      os << "size=(";
      for (int i = 0; i < t.dim(); ++i) os << (i ? ", " : "") << t.shape()[i];
      os << (t.dim() == 1 ? ",)" : ")");
      suffix.push_back(os.str());
    }
  } else {
    const bool summarize = t.numel() > detail::PrintOptions::threshold;
    std::vector<T> shown;
    detail::collect_shown(t, t.storage().data(), 0, t.offset(), summarize, shown);
    detail::ElementFormatter<T> fmt(shown);
    body = t.dim() == 0 ? fmt(*t.data())
                        : detail::format_dim(t, t.storage().data(), 0, t.offset(), indent, summarize, fmt);
  }
  if (!t.device().is_cpu()) suffix.push_back("device='" + t.device().str() + "'");
  if (!std::is_same_v<T, float> && !std::is_same_v<T, int64_t> && !std::is_same_v<T, bool>)
    suffix.push_back("dtype=" + std::string(dtype_name<T>()));
  if (t.grad_fn()) suffix.push_back("grad_fn=<" + t.grad_fn_name() + ">");
  else if (t.requires_grad()) suffix.push_back("requires_grad=True");
  std::string s = "tensor(" + body;
  for (const auto& x : suffix) s += ", " + x;
  return s + ")";
}

template <class T>
std::ostream& operator<<(std::ostream& os, const Tensor<T>& t) {
  return os << to_string(t);
}

}  // namespace tinylm
