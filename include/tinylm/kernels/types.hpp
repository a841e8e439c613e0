#pragma once
// The argument structs of kernels that every backend implements (CPU in
// kernels/cpu/, CUDA in kernels/cuda/): named fields instead of long lists
// of positional numbers and flags.

#include <cstdint>

namespace tinylm::kernels {

/// One operand of a GEMM: a row-major matrix at `data` with rows `ld`
/// elements apart, read as itself or, when `transposed`, as its transpose
/// (in place, never copied).
template <class T>
struct GemmOperand {
  const T* data = nullptr;
  int64_t ld = 0;
  bool transposed = false;
};

/// C[M, N] = alpha * op(A)[M, K] @ op(B)[K, N] + beta * C (+ bias[N] on every row).
/// With beta = 0, C is only written, never read.
template <class T>
struct GemmArgs {
  int64_t M = 0, N = 0, K = 0;
  GemmOperand<T> a{}, b{};
  T* c = nullptr;
  int64_t ldc = 0;
  T alpha = T(1), beta = T(0);
  const T* bias = nullptr;
};

/// `batch` GEMMs of one shape: product i reads A at gemm.a.data +
/// a_offsets[i] and B at gemm.b.data + b_offsets[i], and writes C at
/// gemm.c + i * c_stride.
template <class T>
struct GemmBatchArgs {
  GemmArgs<T> gemm;
  int64_t batch = 0;
  const int64_t* a_offsets = nullptr;
  const int64_t* b_offsets = nullptr;
  int64_t c_stride = 0;
};

/// One [B, NH, T, HS] operand of attention: element (b, h, t, c) is at
/// data[b * batch + h * head + t * row + c]; rows of HS are contiguous.
template <class P>
struct HeadLayout {
  P data;
  int64_t batch, head, row;
  /// The first row of head `bh` of B * NH.
  P at(int64_t bh, int64_t NH) const { return data + (bh / NH) * batch + (bh % NH) * head; }
};

/// B * NH heads; Tq queries attend over Tk keys of size HS. With causal,
/// query i (the last Tq of Tk positions) sees keys j <= Tk - Tq + i.
struct AttentionShape {
  int64_t B, NH, Tq, Tk, HS;
  bool causal;
};

/// A (B, NH, Tq, Tk) operand that may broadcast (a stride of 0): element
/// (b, h, i, j) is at data[b * batch + h * head + i * query + j * key].
template <class P>
struct MaskLayout {
  P data = nullptr;
  int64_t batch = 0, head = 0, query = 0, key = 0;
  explicit operator bool() const { return data != nullptr; }
  /// The row of query i of head h (of B * NH); element j is at [j * key].
  P row(int64_t bh, int64_t NH, int64_t i) const { return data + (bh / NH) * batch + (bh % NH) * head + i * query; }
};

/// What attention leaves out beyond the causal rule, and what it adds to
/// the scores. Any of them may be absent (null).
template <class T>
struct AttentionMaskArgs {
  const int64_t* key_lengths = nullptr;  // [B]: keys j >= key_lengths[b] are padding
  MaskLayout<const bool*> blocked{};     // true where a query must not see a key
  MaskLayout<const T*> additive{};       // added to the scaled scores; -inf blocks
};

}  // namespace tinylm::kernels
