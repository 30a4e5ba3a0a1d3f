#!/usr/bin/env bash
#===- scripts/test.sh - Build llama-mlir and run every test ---------------===#
#
# The whole test suite, in three tiers:
#   1. an AddressSanitizer + UBSan build ($ASAN_BUILD_DIR, default
#      build-asan/) running every ctest test (lit, GoogleTest, pytest);
#   2. the GGUF reader, a produced program's check of its model file and the
#      tokenizer fuzzed for $FUZZ_SECONDS (default 60) seconds in all;
#   3. the normal build ($BUILD_DIR, default build/) running every ctest test;
#      ctest's closing line summarises this last run.
# LLAMA_MLIR_QUICK=1 runs tier 3 only. Any failure fails the script.
# Run scripts/setup.sh first on a fresh machine.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
ASAN_BUILD_DIR="${ASAN_BUILD_DIR:-$ROOT/build-asan}"
JOBS="${JOBS:-$(nproc)}"
export BUILD_DIR JOBS

# ctest shows a test's output only when it fails: print pytest's own
# summary line (with its skip count), each skip's reason (pytest -rs) and
# the slowest tests (pytest --durations).
report_pytest() { # BUILD_DIR
  local log="$1/Testing/Temporary/LastTest.log" line
  line=$(grep -Eo '[0-9]+ (passed|failed|skipped)[^=]* in [0-9.]+s' "$log" | tail -1 || true)
  echo "== pytest inside ctest: ${line:-no summary found}"
  grep -E '^SKIPPED' "$log" | sed 's/^/   /' || true
  echo "== slowest pytest tests"
  grep -E '^[0-9.]+s (setup|call|teardown) ' "$log" | head -15 | sed 's/^/   /' || true
}

t0=$(date +%s)
"$ROOT/scripts/build.sh"
t1=$(date +%s)
timing="build $((t1 - t0)) s"

if [ "${LLAMA_MLIR_QUICK:-0}" != 1 ]; then
  echo "== tier 1: ASan + UBSan build and tests ($ASAN_BUILD_DIR)"
  BUILD_DIR="$ASAN_BUILD_DIR" "$ROOT/scripts/build.sh" -DLLAMA_MLIR_SANITIZE=ON
  (cd "$ASAN_BUILD_DIR" &&
   ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j"$JOBS")
  report_pytest "$ASAN_BUILD_DIR"
  t2=$(date +%s)
  echo "== tier 2: fuzzing the GGUF reader, a program's model check, prompts"
  "$ROOT/scripts/fuzz.sh" "${FUZZ_SECONDS:-60}"
  t3=$(date +%s)
  timing="$timing, sanitizers $((t2 - t1)) s, fuzzing $((t3 - t2)) s"
fi

echo "== tier 3: tests of the normal build ($BUILD_DIR) [$timing]"
cd "$BUILD_DIR"
status=0
# (pipefail: the status is ctest's.)
ctest --output-on-failure -j"$JOBS" | tee ctest.out || status=$?
report_pytest "$BUILD_DIR"
# ctest's summary last: the run's closing line.
grep -E '^[0-9]+% tests passed' ctest.out | tail -1 || true
exit "$status"
