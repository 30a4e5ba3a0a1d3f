#!/usr/bin/env bash
#===- scripts/mutation-check.sh - Plant known bugs, expect the tests to fail -===#
#
#   scripts/mutation-check.sh [NAME ...]
#
# Builds the normal build ($BUILD_DIR, default build/), then for each
# mutation of scripts/mutation_check.py (or the named ones) plants it,
# rebuilds incrementally, runs the tests that should see it and reports
# "caught" or "SURVIVED"; the source is restored each time. Exits 1 if any
# mutation survives. Not part of scripts/test.sh (it rebuilds ~15 times);
# run it after changing the tests or the code they guard.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh" >/dev/null
exec /usr/bin/python3 "$ROOT/scripts/mutation_check.py" "$@"
