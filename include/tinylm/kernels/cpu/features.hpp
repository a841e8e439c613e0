#pragma once
// What the CPU running this process can do, asked once at run time: the
// kernels that need AVX-512, AVX-512 BF16 or AMX check here before they
// run, so one binary runs on any x86-64 CPU and takes the fastest path the
// CPU and the operating system allow.
//
// A feature counts only when the CPU has it (cpuid), the operating system
// saves its registers on a context switch (xgetbv: the AVX-512 and AMX state
// bits of XCR0), and, for AMX, Linux has granted this process the tile data
// state (arch_prctl(ARCH_REQ_XCOMP_PERM), asked once; kernels before 5.16
// have no such call, and AMX is then off). Tests and benchmarks mask
// features off (set_cpu_feature_mask) to run the fallback paths on a CPU
// that has the fast ones.

#include <atomic>
#include <cstdint>
#include <string>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#define TINYLM_X86_64 1
#endif

namespace tinylm {

/// CPU features tinylm's kernels choose between, as bits of a mask.
enum class CpuFeature : uint32_t {
  avx2 = 1u << 0,         // with FMA
  avx512f = 1u << 1,      // with AVX-512 BW and VL
  avx512_bf16 = 1u << 2,  // vdpbf16ps: bf16 pairs multiplied, summed into float32
  amx_bf16 = 1u << 3,     // AMX tiles and tdpbf16ps, with the OS's permission
};

inline constexpr CpuFeature kCpuFeatures[] = {CpuFeature::avx2, CpuFeature::avx512f, CpuFeature::avx512_bf16,
                                              CpuFeature::amx_bf16};

inline const char* cpu_feature_name(CpuFeature f) {
  switch (f) {
    case CpuFeature::avx2: return "avx2";
    case CpuFeature::avx512f: return "avx512f";
    case CpuFeature::avx512_bf16: return "avx512_bf16";
    case CpuFeature::amx_bf16: return "amx_bf16";
  }
  return "?";
}

namespace detail {

#ifdef TINYLM_X86_64
inline uint64_t xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

/// Asks Linux for the AMX tile data state (XFEATURE_XTILEDATA, 18) for this process.
inline bool request_amx_permission() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kReqXcompPerm = 0x1023, kXtileData = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
#else
  return false;
#endif
}
#endif

/// The features the CPU and the OS give this process (asks cpuid; for AMX, asks Linux for permission).
inline uint32_t detect_cpu_features() {
  uint32_t found = 0;
#ifdef TINYLM_X86_64
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28);
  if (!osxsave || !avx) return 0;
  const uint64_t xcr = xcr0();
  const bool os_avx = (xcr & 0x6) == 0x6;                 // SSE and AVX state
  const bool os_avx512 = os_avx && (xcr & 0xe0) == 0xe0;  // opmask, ZMM_Hi256, Hi16_ZMM
  const bool os_amx = (xcr & 0x60000) == 0x60000;         // XTILECFG, XTILEDATA
  if (!os_avx || __get_cpuid_max(0, nullptr) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  const unsigned subleaves = a;
  const bool avx2 = b & (1u << 5), avx512f = b & (1u << 16), avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  const bool amx_bf16 = d & (1u << 22), amx_tile = d & (1u << 24);
  a = 0;
  if (subleaves >= 1) __cpuid_count(7, 1, a, b, c, d);
  const bool avx512_bf16 = a & (1u << 5);
  if (avx2 && fma) found |= static_cast<uint32_t>(CpuFeature::avx2);
  if (avx512f && avx512bw && avx512vl && os_avx512) {
    found |= static_cast<uint32_t>(CpuFeature::avx512f);
    if (avx512_bf16) found |= static_cast<uint32_t>(CpuFeature::avx512_bf16);
    if (amx_tile && amx_bf16 && os_amx && request_amx_permission())
      found |= static_cast<uint32_t>(CpuFeature::amx_bf16);
  }
#endif
  return found;
}

inline uint32_t detected_cpu_features_bits() {
  static const uint32_t bits = detect_cpu_features();  // thread-safe, once
  return bits;
}

inline std::atomic<uint32_t>& cpu_feature_mask() {
  static std::atomic<uint32_t> mask{~0u};
  return mask;
}

}  // namespace detail

/// The features this process may use: detected, less those masked off.
class CpuFeatures {
 public:
  explicit constexpr CpuFeatures(uint32_t bits) : bits_(bits) {}
  constexpr bool has(CpuFeature f) const { return (bits_ & static_cast<uint32_t>(f)) != 0; }
  constexpr uint32_t bits() const { return bits_; }
  /// "avx2 avx512f avx512_bf16", or "none".
  std::string str() const {
    std::string s;
    for (CpuFeature f : kCpuFeatures) {
      if (!has(f)) continue;
      if (!s.empty()) s.push_back(' ');
      s.append(cpu_feature_name(f));
    }
    return s.empty() ? "none" : s;
  }

 private:
  uint32_t bits_;
};

/// What the CPU and the OS offer, masks aside.
inline CpuFeatures detected_cpu_features() { return CpuFeatures(detail::detected_cpu_features_bits()); }

/// What the kernels may use now: detected_cpu_features() & the mask.
inline CpuFeatures cpu_features() {
  return CpuFeatures(detail::detected_cpu_features_bits() & detail::cpu_feature_mask().load());
}

/// Lets the kernels use only the features whose bits are set in `mask`
/// (~0u: all the CPU has). Tests use it to run a fallback path.
inline void set_cpu_feature_mask(uint32_t mask) { detail::cpu_feature_mask().store(mask); }

/// Masks features off for a scope, then restores the previous mask.
class CpuFeatureMaskGuard {
 public:
  explicit CpuFeatureMaskGuard(uint32_t mask) : previous_(detail::cpu_feature_mask().load()) {
    set_cpu_feature_mask(mask);
  }
  ~CpuFeatureMaskGuard() { set_cpu_feature_mask(previous_); }
  CpuFeatureMaskGuard(const CpuFeatureMaskGuard&) = delete;
  CpuFeatureMaskGuard& operator=(const CpuFeatureMaskGuard&) = delete;

 private:
  uint32_t previous_;
};

}  // namespace tinylm

#undef TINYLM_X86_64
