#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages tinylm's build, tests, examples and
# benchmarks need. Idempotent: installs only what is missing. Uses sudo when
# not run as root.
#
#   scripts/install-deps.sh          the build, the examples, the tests with g++
#   scripts/install-deps.sh --test   also what scripts/test.sh adds: Clang 14
#                                    (Debian 12's default) and the newest Clang
#                                    the package index has, clang-format, and
#                                    Chromium with its driver (serve's page test)
set -euo pipefail

packages=(
  cmake ninja-build g++             # build
  libeigen3-dev                     # the library: Eigen 3.4 (GEMM)
  libpcre2-dev libutf8proc-dev      # the library: the BPE pre-tokenizer (PCRE2, utf8proc's Unicode categories)
  pkg-config                        #   which CMake finds with pkg-config
  doctest-dev                       # tests
  libcpp-httplib-dev                # serve: its HTTP server (cpp-httplib: a header and a shared library)
  python3 python3-venv curl         #   tests: the chat REPL on a pseudo-terminal, serve's clients (a venv from PyPI)
  libbenchmark-dev libopenblas-dev  # benchmarks (OpenBLAS is the GEMM peak to compare against)
  libopenmpi-dev openmpi-bin        # TINYLM_MPI: data parallelism across processes (Open MPI, mpirun)
)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

if [ "${1:-}" = "--test" ]; then
  newest=$(apt-cache search --names-only '^clang-[0-9]+$' 2>/dev/null | cut -d' ' -f1 | sort -V | tail -n 1)
  if [ -z "$newest" ]; then
    $sudo apt-get update -qq
    newest=$(apt-cache search --names-only '^clang-[0-9]+$' | cut -d' ' -f1 | sort -V | tail -n 1)
  fi
  packages+=(clang-14 clang-format "$newest" chromium chromium-driver)  # chromium: serve's page, headless
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
