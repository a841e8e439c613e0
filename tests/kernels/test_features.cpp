// CPU feature detection against the kernel's own account (/proc/cpuinfo's
// flags), and the mask that turns features off for the fallback paths.

#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <tinylm/tinylm.hpp>

using tinylm::CpuFeature;

namespace {

/// The flags of /proc/cpuinfo's first "flags" line (empty when unreadable).
std::set<std::string> cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

}  // namespace

TEST_CASE("cpu features: what cpuid reports agrees with the kernel's /proc/cpuinfo") {
  const std::set<std::string> flags = cpuinfo_flags();
  if (flags.empty()) {
    MESSAGE("no /proc/cpuinfo here: only the mask is checked");
    return;
  }
  const tinylm::CpuFeatures f = tinylm::detected_cpu_features();
  CAPTURE(f.str());
  CHECK(f.has(CpuFeature::avx2) == (flags.count("avx2") && flags.count("fma")));
  CHECK(f.has(CpuFeature::avx512f) == (flags.count("avx512f") && flags.count("avx512bw") && flags.count("avx512vl")));
  CHECK(f.has(CpuFeature::avx512_bf16) == (f.has(CpuFeature::avx512f) && flags.count("avx512_bf16")));
  // AMX also needs Linux's permission for the tile state: the flag is necessary, not sufficient.
  if (f.has(CpuFeature::amx_bf16)) CHECK((flags.count("amx_bf16") && flags.count("amx_tile")));
}

TEST_CASE("cpu features: a mask turns features off for a scope, names list what is on") {
  const tinylm::CpuFeatures all = tinylm::cpu_features();
  CHECK(all.bits() == tinylm::detected_cpu_features().bits());
  {
    tinylm::CpuFeatureMaskGuard guard(~static_cast<uint32_t>(CpuFeature::avx512_bf16));
    CHECK_FALSE(tinylm::cpu_features().has(CpuFeature::avx512_bf16));
    CHECK(tinylm::cpu_features().has(CpuFeature::avx512f) == all.has(CpuFeature::avx512f));
    {
      tinylm::CpuFeatureMaskGuard none(0);
      CHECK(tinylm::cpu_features().str() == "none");
    }
    CHECK(tinylm::cpu_features().has(CpuFeature::avx512f) == all.has(CpuFeature::avx512f));
  }
  CHECK(tinylm::cpu_features().bits() == all.bits());
  CHECK(tinylm::CpuFeatures(static_cast<uint32_t>(CpuFeature::avx2) | static_cast<uint32_t>(CpuFeature::amx_bf16))
            .str() == "avx2 amx_bf16");
}
