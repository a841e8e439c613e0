#!/usr/bin/env bash
# Builds and runs every test tinylm has, from a fresh clone:
#   1. a Release build: unit tests, every header compiled on its own, the
#      examples, and a separate project built against the installed package;
#   2. a second build of the unit tests under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-2}"

./scripts/install-deps.sh

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

# -O1 with line tables: fast to build, fast enough to run, readable reports.
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DTINYLM_SANITIZE=ON \
  -DTINYLM_HEADER_CHECK=OFF -DTINYLM_CONSUMER_TEST=OFF -DTINYLM_BUILD_EXAMPLES=OFF -DTINYLM_BUILD_BENCHMARKS=OFF
cmake --build build/sanitize -j "$jobs"
ctest --test-dir build/sanitize --output-on-failure -j "$jobs"

echo "test.sh: all tests passed (release and sanitizer builds)"
