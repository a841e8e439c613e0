// Fused, tiled attention on a CUDA device (declared and described in
// attention.hpp).

#include <cstdint>

#include "tinylm/core/error.hpp"
#include "tinylm/kernels/cuda/attention.hpp"
#include "tinylm/kernels/cuda/launch.cuh"
#include "tinylm/kernels/formulas.hpp"

namespace tinylm::kernels::cuda {

namespace f = tinylm::kernels::formula;

namespace {

constexpr int kWarps = 4;                            // per block
constexpr int kPerWarp = 4;                          // queries (forward, dQ) or keys (dK, dV) per warp
constexpr int kRows = kWarps * kPerWarp;             // 16 queries or keys per block
constexpr int kTile = 32;                            // keys (forward, dQ) or queries (dK, dV) per step: one per lane
constexpr int kChunks = kAttentionMaxHeadSize / 32;  // a lane holds columns lane, lane + 32, ...
constexpr unsigned kFull = 0xffffffffu;

template <class T>
__device__ T warp_sum(T v) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(kFull, v, o);
  return v;
}
template <class T>
__device__ T warp_max(T v) {
  for (int o = 16; o > 0; o /= 2) {
    const T w = __shfl_xor_sync(kFull, v, o);
    v = w > v ? w : v;
  }
  return v;
}

/// A HeadLayout the device can index.
template <class P>
struct Heads {
  P data;
  int64_t batch, head, row;
  __device__ P at(int64_t bh, int64_t NH) const { return data + (bh / NH) * batch + (bh % NH) * head; }
};
template <class P>
Heads<P> heads(const HeadLayout<P>& h) {
  return {h.data, h.batch, h.head, h.row};
}

template <class T>
struct Params {
  int64_t NH, Tq, Tk;
  int HS;
  bool causal;
  T scale;
  AttentionMaskArgs<T> mask;

  /// Keys query i of head bh may see before the bool and additive masks.
  __device__ int64_t visible(int64_t bh, int64_t i) const {
    int64_t n = causal ? Tk - Tq + i + 1 : Tk;
    n = n < 0 ? 0 : (n > Tk ? Tk : n);
    if (mask.key_lengths) {
      int64_t len = mask.key_lengths[bh / NH];
      len = len < 0 ? 0 : (len > Tk ? Tk : len);
      n = n < len ? n : len;
    }
    return n;
  }
  /// The score of a visible key j for query i: scale q.k plus the additive mask, -inf when blocked.
  __device__ T score(T dot, int64_t bh, int64_t i, int64_t j) const {
    T s = dot * scale;
    const int64_t b = bh / NH, h = bh % NH;
    if (mask.additive.data) {
      const auto& a = mask.additive;
      s += a.data[b * a.batch + h * a.head + i * a.query + j * a.key];
    }
    if (mask.blocked.data) {
      const auto& m = mask.blocked;
      if (m.data[b * m.batch + h * m.head + i * m.query + j * m.key]) s = -INFINITY;
    }
    return s;
  }
};

/// rows [r0, r0 + n) of one head (row stride ld) into shared memory at
/// stride sld, zeros past `limit`.
template <class T>
__device__ void load_rows(T* dst, int sld, const T* src, int64_t ld, int64_t r0, int n, int64_t limit, int HS) {
  for (int e = threadIdx.x; e < n * HS; e += blockDim.x) {
    const int r = e / HS, c = e % HS;
    dst[r * sld + c] = r0 + r < limit ? src[(r0 + r) * ld + c] : T(0);
  }
}

template <class T>
__device__ T dot_rows(const T* a, const T* b, int HS) {
  T d = 0;
  for (int c = 0; c < HS; ++c) d += a[c] * b[c];
  return d;
}

template <class T>
__global__ void __launch_bounds__(kWarps * 32)
    forward_kernel(Heads<T*> out, T* lse, Heads<const T*> q, Heads<const T*> k, Heads<const T*> v, Params<T> p) {
  extern __shared__ unsigned char smem[];
  const int HS = p.HS;
  T* sQ = reinterpret_cast<T*>(smem);  // [kRows][HS]
  T* sK = sQ + kRows * HS;             // [kTile][HS + 1]: lane j reads row j, padded off the banks
  T* sV = sK + kTile * (HS + 1);       // [kTile][HS]
  const int64_t bh = blockIdx.x, i0 = int64_t(blockIdx.y) * kRows;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const T* qh = q.at(bh, p.NH);
  const T* kh = k.at(bh, p.NH);
  const T* vh = v.at(bh, p.NH);
  load_rows(sQ, HS, qh, q.row, i0, kRows, p.Tq, HS);

  T m[kPerWarp], l[kPerWarp], o[kPerWarp][kChunks];
#pragma unroll
  for (int rr = 0; rr < kPerWarp; ++rr) {
    m[rr] = -INFINITY;
    l[rr] = 0;
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) o[rr][cc] = 0;
  }
  const int64_t last = (i0 + kRows < p.Tq ? i0 + kRows : p.Tq) - 1;
  const int64_t kn = p.visible(bh, last);  // the most any query of the block sees
  for (int64_t j0 = 0; j0 < kn; j0 += kTile) {
    __syncthreads();
    load_rows(sK, HS + 1, kh, k.row, j0, kTile, p.Tk, HS);
    load_rows(sV, HS, vh, v.row, j0, kTile, p.Tk, HS);
    __syncthreads();
#pragma unroll
    for (int rr = 0; rr < kPerWarp; ++rr) {
      const int r = warp * kPerWarp + rr;
      const int64_t i = i0 + r, j = j0 + lane;
      if (i >= p.Tq) continue;  // the same for the whole warp
      T s = -INFINITY;
      if (j < p.visible(bh, i)) s = p.score(dot_rows(sQ + r * HS, sK + lane * (HS + 1), HS), bh, i, j);
      const T tile_max = warp_max(s);
      const T nm = tile_max > m[rr] ? tile_max : m[rr];
      if (nm == -INFINITY) continue;  // nothing visible yet (uniform: warp_max is)
      const T corr = m[rr] == -INFINITY ? T(0) : f::exp(m[rr] - nm);
      const T pj = s == -INFINITY ? T(0) : f::exp(s - nm);
      l[rr] = l[rr] * corr + warp_sum(pj);
#pragma unroll
      for (int cc = 0; cc < kChunks; ++cc) o[rr][cc] *= corr;
      for (int jj = 0; jj < kTile; ++jj) {
        const T pjj = __shfl_sync(kFull, pj, jj);
#pragma unroll
        for (int cc = 0; cc < kChunks; ++cc) {
          const int c = lane + 32 * cc;
          if (c < HS) o[rr][cc] += pjj * sV[jj * HS + c];
        }
      }
      m[rr] = nm;
    }
  }
#pragma unroll
  for (int rr = 0; rr < kPerWarp; ++rr) {
    const int64_t i = i0 + warp * kPerWarp + rr;
    if (i >= p.Tq) continue;
    const bool none = m[rr] == -INFINITY;
    const T inv = none ? T(0) : T(1) / l[rr];
    T* orow = out.at(bh, p.NH) + i * out.row;
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) {
      const int c = lane + 32 * cc;
      if (c < HS) orow[c] = o[rr][cc] * inv;
    }
    if (lane == 0) lse[bh * p.Tq + i] = none ? T(-INFINITY) : m[rr] + ::log(l[rr]);
  }
}

/// delta[bh * Tq + i] = dO_i . O_i, one thread per query.
template <class T>
__global__ void delta_kernel(T* delta, Heads<const T*> dout, Heads<const T*> out, int64_t BH, int64_t NH, int64_t Tq,
                             int HS) {
  TINYLM_CUDA_FOR(e, BH * Tq) {
    const int64_t bh = e / Tq, i = e % Tq;
    delta[e] = dot_rows(dout.at(bh, NH) + i * dout.row, out.at(bh, NH) + i * out.row, HS);
  }
}

/// dQ_i = sum_j dS_ij K_j over blocks of queries.
template <class T>
__global__ void __launch_bounds__(kWarps * 32)
    dq_kernel(Heads<T*> dq, Heads<const T*> dout, Heads<const T*> q, Heads<const T*> k, Heads<const T*> v, const T* lse,
              const T* delta, Params<T> p) {
  extern __shared__ unsigned char smem[];
  const int HS = p.HS;
  T* sQ = reinterpret_cast<T*>(smem);  // [kRows][HS]
  T* sDO = sQ + kRows * HS;            // [kRows][HS]
  T* sK = sDO + kRows * HS;            // [kTile][HS + 1]
  T* sV = sK + kTile * (HS + 1);       // [kTile][HS + 1]
  const int64_t bh = blockIdx.x, i0 = int64_t(blockIdx.y) * kRows;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const T* kh = k.at(bh, p.NH);
  const T* vh = v.at(bh, p.NH);
  load_rows(sQ, HS, q.at(bh, p.NH), q.row, i0, kRows, p.Tq, HS);
  load_rows(sDO, HS, dout.at(bh, p.NH), dout.row, i0, kRows, p.Tq, HS);

  T acc[kPerWarp][kChunks];
#pragma unroll
  for (int rr = 0; rr < kPerWarp; ++rr)
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) acc[rr][cc] = 0;
  const int64_t last = (i0 + kRows < p.Tq ? i0 + kRows : p.Tq) - 1;
  const int64_t kn = p.visible(bh, last);
  for (int64_t j0 = 0; j0 < kn; j0 += kTile) {
    __syncthreads();
    load_rows(sK, HS + 1, kh, k.row, j0, kTile, p.Tk, HS);
    load_rows(sV, HS + 1, vh, v.row, j0, kTile, p.Tk, HS);
    __syncthreads();
#pragma unroll
    for (int rr = 0; rr < kPerWarp; ++rr) {
      const int r = warp * kPerWarp + rr;
      const int64_t i = i0 + r, j = j0 + lane;
      if (i >= p.Tq) continue;
      const T L = lse[bh * p.Tq + i];
      if (L == -INFINITY) continue;  // sees no key: no gradient
      T ds = 0;
      if (j < p.visible(bh, i)) {
        const T s = p.score(dot_rows(sQ + r * HS, sK + lane * (HS + 1), HS), bh, i, j);
        const T pj = s == -INFINITY ? T(0) : f::exp(s - L);
        const T dp = dot_rows(sDO + r * HS, sV + lane * (HS + 1), HS);
        ds = pj * (dp - delta[bh * p.Tq + i]) * p.scale;
      }
      for (int jj = 0; jj < kTile; ++jj) {
        const T d = __shfl_sync(kFull, ds, jj);
#pragma unroll
        for (int cc = 0; cc < kChunks; ++cc) {
          const int c = lane + 32 * cc;
          if (c < HS) acc[rr][cc] += d * sK[jj * (HS + 1) + c];
        }
      }
    }
  }
#pragma unroll
  for (int rr = 0; rr < kPerWarp; ++rr) {
    const int64_t i = i0 + warp * kPerWarp + rr;
    if (i >= p.Tq) continue;
    T* row = dq.at(bh, p.NH) + i * dq.row;
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) {
      const int c = lane + 32 * cc;
      if (c < HS) row[c] = acc[rr][cc];
    }
  }
}

/// dV_j = sum_i P_ij dO_i and dK_j = sum_i dS_ij Q_i over blocks of keys;
/// dadditive_ij = dM_ij for the visible pairs (the rest was zeroed).
template <class T>
__global__ void __launch_bounds__(kWarps * 32)
    dkdv_kernel(Heads<T*> dk, Heads<T*> dv, T* dadditive, Heads<const T*> dout, Heads<const T*> q, Heads<const T*> k,
                Heads<const T*> v, const T* lse, const T* delta, Params<T> p) {
  extern __shared__ unsigned char smem[];
  const int HS = p.HS;
  T* sK = reinterpret_cast<T*>(smem);  // [kRows][HS]
  T* sV = sK + kRows * HS;             // [kRows][HS]
  T* sQ = sV + kRows * HS;             // [kTile][HS + 1]
  T* sDO = sQ + kTile * (HS + 1);      // [kTile][HS + 1]
  T* sL = sDO + kTile * (HS + 1);      // [kTile]
  T* sD = sL + kTile;                  // [kTile]
  const int64_t bh = blockIdx.x, j0 = int64_t(blockIdx.y) * kRows;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const T* qh = q.at(bh, p.NH);
  const T* doh = dout.at(bh, p.NH);
  load_rows(sK, HS, k.at(bh, p.NH), k.row, j0, kRows, p.Tk, HS);
  load_rows(sV, HS, v.at(bh, p.NH), v.row, j0, kRows, p.Tk, HS);

  T gk[kPerWarp][kChunks], gv[kPerWarp][kChunks];
#pragma unroll
  for (int kk = 0; kk < kPerWarp; ++kk)
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) gk[kk][cc] = gv[kk][cc] = 0;
  for (int64_t i0 = 0; i0 < p.Tq; i0 += kTile) {
    const int64_t last = (i0 + kTile < p.Tq ? i0 + kTile : p.Tq) - 1;
    if (p.visible(bh, last) <= j0) continue;  // no query of this tile sees a key of this block
    __syncthreads();
    load_rows(sQ, HS + 1, qh, q.row, i0, kTile, p.Tq, HS);
    load_rows(sDO, HS + 1, doh, dout.row, i0, kTile, p.Tq, HS);
    if (threadIdx.x < kTile) {
      const int64_t i = i0 + threadIdx.x;
      sL[threadIdx.x] = i < p.Tq ? lse[bh * p.Tq + i] : T(-INFINITY);
      sD[threadIdx.x] = i < p.Tq ? delta[bh * p.Tq + i] : T(0);
    }
    __syncthreads();
    const int64_t i = i0 + lane;
    const T L = sL[lane];
    const int64_t n = i < p.Tq && L != -INFINITY ? p.visible(bh, i) : 0;
#pragma unroll
    for (int kk = 0; kk < kPerWarp; ++kk) {
      const int key = warp * kPerWarp + kk;
      const int64_t j = j0 + key;
      if (j >= p.Tk) continue;
      T pj = 0, ds = 0;
      if (j < n) {
        const T s = p.score(dot_rows(sQ + lane * (HS + 1), sK + key * HS, HS), bh, i, j);
        pj = s == -INFINITY ? T(0) : f::exp(s - L);
        const T dp = dot_rows(sDO + lane * (HS + 1), sV + key * HS, HS);
        const T dm = pj * (dp - sD[lane]);
        if (dadditive) dadditive[(bh * p.Tq + i) * p.Tk + j] = dm;
        ds = dm * p.scale;
      }
      for (int ii = 0; ii < kTile; ++ii) {
        const T a = __shfl_sync(kFull, pj, ii), b = __shfl_sync(kFull, ds, ii);
#pragma unroll
        for (int cc = 0; cc < kChunks; ++cc) {
          const int c = lane + 32 * cc;
          if (c < HS) {
            gv[kk][cc] += a * sDO[ii * (HS + 1) + c];
            gk[kk][cc] += b * sQ[ii * (HS + 1) + c];
          }
        }
      }
    }
  }
#pragma unroll
  for (int kk = 0; kk < kPerWarp; ++kk) {
    const int64_t j = j0 + warp * kPerWarp + kk;
    if (j >= p.Tk) continue;
    T* krow = dk.at(bh, p.NH) + j * dk.row;
    T* vrow = dv.at(bh, p.NH) + j * dv.row;
#pragma unroll
    for (int cc = 0; cc < kChunks; ++cc) {
      const int c = lane + 32 * cc;
      if (c < HS) {
        krow[c] = gk[kk][cc];
        vrow[c] = gv[kk][cc];
      }
    }
  }
}

template <class T>
Params<T> params(const AttentionShape& shape, T scale, const AttentionMaskArgs<T>& mask) {
  TINYLM_CHECK(shape.HS <= kAttentionMaxHeadSize, "attention on CUDA: head size ", shape.HS, " is over the ",
               kAttentionMaxHeadSize, " the kernels take");
  return {shape.NH, shape.Tq, shape.Tk, static_cast<int>(shape.HS), shape.causal, scale, mask};
}

/// Launches `kernel` on (B * NH) x blocks with `smem` bytes of shared memory.
template <class Kernel, class... Args>
void launch(int device, Kernel kernel, int64_t BH, int64_t blocks, std::size_t smem, Args... args) {
  DeviceGuard guard(device);
  TINYLM_CHECK(blocks <= 65535, "attention on CUDA: ", blocks, " blocks of ", kRows, " positions is over 65535");
  if (smem > 48 * 1024)
    TINYLM_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  kernel<<<dim3(static_cast<unsigned>(BH), static_cast<unsigned>(blocks)), kWarps * 32, smem, stream(device)>>>(
      args...);
  TINYLM_CUDA_CHECK_LAUNCH();
}

}  // namespace

template <class T>
void attention_forward(int device, HeadLayout<T*> out, T* lse, HeadLayout<const T*> q, HeadLayout<const T*> k,
                       HeadLayout<const T*> v, const AttentionShape& shape, T scale, const AttentionMaskArgs<T>& mask) {
  const int64_t BH = shape.B * shape.NH;
  if (BH == 0 || shape.Tq == 0) return;
  const Params<T> p = params(shape, scale, mask);
  const std::size_t smem = sizeof(T) * (kRows * p.HS + kTile * (p.HS + 1) + kTile * p.HS);
  launch(device, forward_kernel<T>, BH, (shape.Tq + kRows - 1) / kRows, smem, heads(out), lse, heads(q), heads(k),
         heads(v), p);
}

template <class T>
void attention_backward(int device, HeadLayout<T*> dq, HeadLayout<T*> dk, HeadLayout<T*> dv, T* dadditive,
                        HeadLayout<const T*> dout, HeadLayout<const T*> q, HeadLayout<const T*> k,
                        HeadLayout<const T*> v, HeadLayout<const T*> out, const T* lse, const AttentionShape& shape,
                        T scale, const AttentionMaskArgs<T>& mask) {
  const int64_t BH = shape.B * shape.NH;
  if (BH == 0) return;
  const Params<T> p = params(shape, scale, mask);
  DeviceGuard guard(device);
  if (dadditive) detail::zero(device, dadditive, BH * shape.Tq * shape.Tk);
  detail::DeviceBuffer<T> delta(device, BH * shape.Tq);
  if (shape.Tq > 0) {
    TINYLM_LAUNCH(delta_kernel<T>, detail::blocks_for(BH * shape.Tq), delta.get(), heads(dout), heads(out), BH,
                  shape.NH, shape.Tq, p.HS);
    const std::size_t dq_smem = sizeof(T) * (2 * kRows * p.HS + 2 * kTile * (p.HS + 1));
    launch(device, dq_kernel<T>, BH, (shape.Tq + kRows - 1) / kRows, dq_smem, heads(dq), heads(dout), heads(q),
           heads(k), heads(v), lse, static_cast<const T*>(delta.get()), p);
  }
  if (shape.Tk > 0) {
    const std::size_t kv_smem = sizeof(T) * (2 * kRows * p.HS + 2 * kTile * (p.HS + 1) + 2 * kTile);
    launch(device, dkdv_kernel<T>, BH, (shape.Tk + kRows - 1) / kRows, kv_smem, heads(dk), heads(dv), dadditive,
           heads(dout), heads(q), heads(k), heads(v), lse, static_cast<const T*>(delta.get()), p);
  }
}

#define TINYLM_INSTANTIATE(T)                                                                                        \
  template void attention_forward<T>(int, HeadLayout<T*>, T*, HeadLayout<const T*>, HeadLayout<const T*>,            \
                                     HeadLayout<const T*>, const AttentionShape&, T, const AttentionMaskArgs<T>&);   \
  template void attention_backward<T>(int, HeadLayout<T*>, HeadLayout<T*>, HeadLayout<T*>, T*, HeadLayout<const T*>, \
                                      HeadLayout<const T*>, HeadLayout<const T*>, HeadLayout<const T*>,              \
                                      HeadLayout<const T*>, const T*, const AttentionShape&, T,                      \
                                      const AttentionMaskArgs<T>&);
TINYLM_INSTANTIATE(float)
TINYLM_INSTANTIATE(double)
#undef TINYLM_INSTANTIATE

}  // namespace tinylm::kernels::cuda
