// Writes every fuzz target's seed inputs (tests/fuzz/seeds.hpp) as
// DIR/<target>/<name>: tinylm_fuzz_seeds DIR

#include <cstdio>

#include "../seeds.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tinylm_fuzz_seeds DIR\n");
    return 2;
  }
  try {
    fuzz::write_seeds(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tinylm_fuzz_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
