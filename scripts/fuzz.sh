#!/usr/bin/env bash
# Runs tinylm's fuzz targets (tests/fuzz/targets.hpp) with libFuzzer under
# AddressSanitizer + UBSan, built with Clang 14.
#
#   scripts/fuzz.sh SECONDS [TARGET...]    each target for SECONDS (default: every target)
#   RUNS=10000000 scripts/fuzz.sh 7200     ... or until it has run RUNS inputs
#
# A target starts from the seeds tinylm writes (build/fuzz/seeds/<target>),
# the committed regression inputs (tests/fuzz/regressions/<target>) and the
# corpus of earlier runs (fuzz-corpus/<target>, kept between runs, so a
# campaign resumes where it stopped), with the format's keywords
# (tests/fuzz/dict/<target>.dict). A crash, leak, timeout or sanitizer
# report stops that target: the input is written to fuzz-findings/ and the
# script exits 1 after the others ran; commit it under
# tests/fuzz/regressions/<target>/ with the fix. JOBS targets run at once
# (default 2); an input that runs longer than TIMEOUT seconds (default 10)
# is reported as a hang. Each target's last status line (executions, coverage, corpus)
# goes to fuzz-findings/summary.txt and, with the date and the time asked
# for, is appended to fuzz-findings/campaign.log (the record of a campaign
# that ran in several parts).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: scripts/fuzz.sh SECONDS [TARGET...]}"
shift
jobs="${JOBS:-2}"

cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++-14 \
  -DCMAKE_CXX_FLAGS="-O1 -g1 -fopenmp=libgomp" -DTINYLM_FUZZ=ON -DTINYLM_NATIVE=ON \
  -DTINYLM_BUILD_EXAMPLES=OFF -DTINYLM_BUILD_BENCHMARKS=OFF -DTINYLM_HEADER_CHECK=OFF \
  -DTINYLM_CONSUMER_TEST=OFF -DTINYLM_DOC_EXAMPLES=OFF >/dev/null
cmake --build build/fuzz -j "$jobs" --target tinylm_fuzz tinylm_fuzz_seeds
rm -rf build/fuzz/seeds
./build/fuzz/tests/tinylm_fuzz_seeds build/fuzz/seeds

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls build/fuzz/seeds)
fi
mkdir -p fuzz-findings
: > fuzz-findings/summary.txt

run_one() {
  local t="$1" log="fuzz-findings/$1.log"
  mkdir -p "fuzz-corpus/$t" "tests/fuzz/regressions/$t"
  local dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  if TINYLM_FUZZ_TARGET="$t" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ./build/fuzz/tests/tinylm_fuzz "fuzz-corpus/$t" "build/fuzz/seeds/$t" "tests/fuzz/regressions/$t" \
    -max_total_time="$seconds" -runs="${RUNS:--1}" -timeout="${TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="fuzz-findings/$t-" "${dict[@]}" >"$log" 2>&1; then
    local last
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    echo "$t: $last" >> fuzz-findings/summary.txt
    echo "$(date -u +%FT%TZ) $t max_total_time=$seconds runs=${RUNS:--1}: $last" >> fuzz-findings/campaign.log
  else
    echo "$t: FAILED, see $log" >> fuzz-findings/summary.txt
    tail -n 40 "$log" >&2
    return 1
  fi
}

status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
sort fuzz-findings/summary.txt
exit $status
