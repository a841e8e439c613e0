#!/usr/bin/env bash
# Builds and runs every test tinylm has, from a fresh clone:
#   1. the code is formatted as .clang-format says (Debian's clang-format);
#   2. a Release build with g++ and MPI: unit tests, every header used on
#      its own, the examples, data parallelism on 2 MPI ranks, and a
#      separate project built against the installed package; where nvcc
#      is, the CUDA configuration too (its tests skip without a GPU);
#   3. the unit tests and examples built again with Clang, Debian 12's
#      default (14) and the newest Clang the package index has, with
#      -fopenmp, and run;
#   4. the unit tests built under AddressSanitizer + UBSan, and run (they
#      replay every committed fuzz regression input and seed);
#   5. every fuzz target run for 30 s with libFuzzer (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-2}"

./scripts/install-deps.sh --test

# 1. Formatting.
git ls-files -z '*.hpp' '*.ipp' '*.cpp' '*.cu' '*.cuh' | xargs -0 clang-format --style=file --dry-run -Werror

# 2. g++, Release, with MPI (tests on 2 ranks of this machine).
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYLM_MPI=ON
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

# 2b. The CUDA configuration, wherever nvcc is (a GPU need not be): the
#     kernels compile and link, the CUDA tests run or report themselves
#     skipped, and a consumer project builds against the installed CUDA build.
if command -v nvcc >/dev/null; then
  cmake -S . -B build/cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DTINYLM_CUDA=ON -DTINYLM_HEADER_CHECK=OFF \
    -DTINYLM_DOC_EXAMPLES=OFF -DTINYLM_BUILD_EXAMPLES=OFF -DTINYLM_BUILD_BENCHMARKS=OFF
  cmake --build build/cuda -j "$jobs" --target test_cuda test_core
  ctest --test-dir build/cuda --output-on-failure -R '^(test_cuda|test_core|consumer_project)$'
fi

# 3. Clang, with -fopenmp (libgomp, which GCC brings), as a program that
#    uses OpenMP itself would compile tinylm's headers. The header check and
#    the consumer project are compiler-neutral CMake logic already covered
#    above, the docs' example programs are built by g++ above and run under
#    the sanitizers below, serve's load and browser tests (client-side
#    checks of the same program) run once above; benchmarks are not tests.
newest=$(ls /usr/bin/clang++-[0-9]* | sort -V | tail -n 1)
#    The examples and their CLI tests are built with Clang 14 only (the
#    newest Clang compiles the same code in the unit tests).
for cxx in /usr/bin/clang++-14 "$newest"; do
  dir="build/clang-${cxx##*-}"  # no "++" in the path: CLI tests match it in regexes
  examples=ON
  [ "$cxx" = /usr/bin/clang++-14 ] || examples=OFF
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS=-fopenmp=libgomp \
    -DTINYLM_HEADER_CHECK=OFF -DTINYLM_DOC_EXAMPLES=OFF -DTINYLM_BUILD_EXAMPLES="$examples" \
    -DTINYLM_CONSUMER_TEST=OFF -DTINYLM_BUILD_BENCHMARKS=OFF -DTINYLM_SERVE_SLOW_TESTS=OFF
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs"
done

# 4. Sanitizers. -O1 with line tables: fast to build, fast enough to run, readable reports.
cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DTINYLM_SANITIZE=ON \
  -DTINYLM_HEADER_CHECK=OFF -DTINYLM_CONSUMER_TEST=OFF -DTINYLM_BUILD_EXAMPLES=OFF -DTINYLM_BUILD_BENCHMARKS=OFF
cmake --build build/sanitize -j "$jobs"
ctest --test-dir build/sanitize --output-on-failure -j "$jobs"

# 5. A short run of every fuzz target (long campaigns: scripts/fuzz.sh SECONDS).
JOBS="$jobs" ./scripts/fuzz.sh 30

echo "test.sh: all tests passed (format, g++ release, clang $(basename "$newest") and 14, sanitizers, fuzzing)"
