#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages tinylm's build, tests, examples and
# benchmarks need. Idempotent: installs only what is missing. Uses sudo when
# not run as root.
set -euo pipefail

packages=(
  cmake ninja-build g++          # build
  libeigen3-dev                  # the library: Eigen 3.4 (GEMM)
  doctest-dev                    # tests
  libbenchmark-dev libopenblas-dev  # benchmarks (OpenBLAS is the GEMM peak to compare against)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
