// One libFuzzer binary for every target of targets.hpp: TINYLM_FUZZ_TARGET
// names the one to run (scripts/fuzz.sh sets it; see the list there).

#include <cstdio>
#include <cstdlib>

#include "../targets.hpp"

namespace {

const fuzz::Target& target() {
  static const fuzz::Target* t = [] {
    const char* name = std::getenv("TINYLM_FUZZ_TARGET");
    const fuzz::Target* found = name ? fuzz::find_target(name) : nullptr;
    if (!found) {
      std::fprintf(stderr, "tinylm_fuzz: set TINYLM_FUZZ_TARGET to one of:");
      for (const auto& k : fuzz::kTargets) std::fprintf(stderr, " %s", k.name);
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
    return found;
  }();
  return *t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return target().run(data, size); }
