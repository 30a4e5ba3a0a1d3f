#!/usr/bin/env bash
#===- scripts/test.sh - Build llama-mlir and run every test ---------------===#
#
# Builds the project (scripts/build.sh) and runs the whole test suite through
# ctest: the lit/FileCheck regression tests, the GoogleTest unit tests and the
# Python (numpy reference) tests. ctest's closing line summarises the run.
# Run scripts/setup.sh first on a fresh machine.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR

start=$(date +%s)
"$ROOT/scripts/build.sh" "$@"
built=$(date +%s)
cd "$BUILD_DIR"
status=0
ctest --output-on-failure -j"${JOBS:-$(nproc)}" || status=$?
end=$(date +%s)
echo "test.sh: build $((built - start)) s, tests $((end - built)) s"
exit $status
