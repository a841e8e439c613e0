#pragma once
// Shape: the sizes (or strides) of a tensor, stored inline.
//
// A small fixed-capacity array rather than std::vector, so that making a view
// or an op's output in the training loop allocates nothing for its shape.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "tinylm/core/error.hpp"

namespace tinylm {

class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<int64_t>& dims) { assign(dims.begin(), dims.end()); }
  template <class It>
  Shape(It first, It last) {
    assign(first, last);
  }

  int size() const { return ndim_; }
  bool empty() const { return ndim_ == 0; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t* data() { return dims_; }
  const int64_t* data() const { return dims_; }
  int64_t* begin() { return dims_; }
  int64_t* end() { return dims_ + ndim_; }
  const int64_t* begin() const { return dims_; }
  const int64_t* end() const { return dims_ + ndim_; }
  int64_t back() const { return dims_[ndim_ - 1]; }

  void push_back(int64_t d) {
    TINYLM_CHECK(ndim_ < kMaxDims, "Shape: at most ", kMaxDims, " dimensions are supported");
    dims_[ndim_++] = d;
  }
  void insert(int pos, int64_t d) {
    push_back(0);
    for (int i = ndim_ - 1; i > pos; --i) dims_[i] = dims_[i - 1];
    dims_[pos] = d;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < ndim_; ++i) dims_[i] = dims_[i + 1];
    --ndim_;
  }
  void resize(int n, int64_t fill = 0) {
    TINYLM_CHECK(n >= 0 && n <= kMaxDims, "Shape: at most ", kMaxDims, " dimensions are supported");
    for (int i = ndim_; i < n; ++i) dims_[i] = fill;
    ndim_ = n;
  }

  /// Product of the sizes; 1 for a 0-d shape.
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) n *= dims_[i];
    return n;
  }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.ndim_ == b.ndim_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

  /// Printed as "[2, 3]", the form error messages use.
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) {
    os << '[';
    for (int i = 0; i < s.ndim_; ++i) os << (i ? ", " : "") << s.dims_[i];
    return os << ']';
  }
  std::string str() const { return detail::str_cat(*this); }

 private:
  template <class It>
  void assign(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }

  int64_t dims_[kMaxDims] = {};
  int ndim_ = 0;
};

/// Row-major (C-order) strides of a shape, in elements.
inline Shape contiguous_strides(const Shape& shape) {
  Shape strides;
  strides.resize(shape.size());
  int64_t s = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/// Maps a possibly negative dim into [0, ndim); `op` names the caller in the error.
inline int normalize_dim(int64_t dim, int ndim, const char* op) {
  TINYLM_CHECK(dim >= -ndim && dim < std::max(ndim, 1), op, ": dim ", dim, " is out of range for a tensor with ", ndim,
               " dimensions");
  return static_cast<int>(dim < 0 ? dim + ndim : dim);
}

/// NumPy broadcasting: align trailing dims; each pair must be equal or 1.
/// `a_name` and `b_name` are the op's names for its arguments, for the message.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op, const char* a_name = "a",
                              const char* b_name = "b") {
  const int n = std::max(a.size(), b.size());
  Shape out;
  out.resize(n);
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i, ib = b.size() - n + i;
    const int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    TINYLM_CHECK(da == db || da == 1 || db == 1, op, ": ", a_name, " is ", a, ", ", b_name, " is ", b,
                 ": shapes cannot be broadcast (dim ", i - n, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Strides that read a tensor of `shape`/`strides` as if it had `target`
/// shape: broadcast dims get stride 0. `target` must be a broadcast of `shape`.
inline Shape broadcast_strides(const Shape& shape, const Shape& strides, const Shape& target) {
  Shape out;
  out.resize(target.size());
  const int lead = target.size() - shape.size();
  for (int i = 0; i < target.size(); ++i) {
    const int j = i - lead;
    out[i] = (j < 0 || shape[j] == 1) ? 0 : strides[j];
  }
  return out;
}

}  // namespace tinylm
