#include "helpers.hpp"

using tinylm::Shape;

TEST_CASE("Shape stores dims inline and prints like an error message") {
  Shape s{2, 3, 4};
  CHECK(s.size() == 3);
  CHECK(s.numel() == 24);
  CHECK(s.str() == "[2, 3, 4]");
  CHECK(Shape{}.numel() == 1);
  CHECK(Shape{}.str() == "[]");
  s.insert(1, 7);
  CHECK(s == Shape{2, 7, 3, 4});
  s.erase(0);
  CHECK(s == Shape{7, 3, 4});
  CHECK(s != Shape{7, 3});
}

TEST_CASE("Shape refuses more than kMaxDims dims") {
  Shape s;
  for (int i = 0; i < Shape::kMaxDims; ++i) s.push_back(1);
  CHECK_THROWS_WITH_AS(s.push_back(1), "Shape: at most 8 dimensions are supported", tinylm::Error);
}

TEST_CASE("contiguous strides are row-major") {
  CHECK(tinylm::contiguous_strides({2, 3, 4}) == Shape{12, 4, 1});
  CHECK(tinylm::contiguous_strides({5}) == Shape{1});
  CHECK(tinylm::contiguous_strides({}) == Shape{});
}

TEST_CASE("broadcasting follows NumPy rules") {
  CHECK(tinylm::broadcast_shapes({2, 1, 4}, {3, 1}, "t") == Shape{2, 3, 4});
  CHECK(tinylm::broadcast_shapes({}, {3}, "t") == Shape{3});
  CHECK(tinylm::broadcast_shapes({5, 1}, {1, 6}, "t") == Shape{5, 6});
  CHECK_THROWS_WITH_AS(tinylm::broadcast_shapes({2, 3}, {4}, "add"),
                       "add: a is [2, 3], b is [4]: shapes cannot be broadcast (dim -1: 3 vs 4)", tinylm::Error);
  CHECK(tinylm::broadcast_strides({3, 1}, {1, 1}, {2, 3, 4}) == Shape{0, 1, 0});
}

TEST_CASE("normalize_dim accepts negative dims and names the op when out of range") {
  CHECK(tinylm::normalize_dim(-1, 3, "t") == 2);
  CHECK(tinylm::normalize_dim(0, 3, "t") == 0);
  CHECK_THROWS_WITH_AS(tinylm::normalize_dim(3, 3, "softmax"),
                       "softmax: dim 3 is out of range for a tensor with 3 dimensions", tinylm::Error);
  CHECK_THROWS_WITH_AS(tinylm::normalize_dim(-4, 3, "sum"),
                       "sum: dim -4 is out of range for a tensor with 3 dimensions", tinylm::Error);
}
