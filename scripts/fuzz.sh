#!/usr/bin/env bash
#===- scripts/fuzz.sh - Fuzz the GGUF reader for a bounded time ------------===#
#
# Builds fuzz/ (libFuzzer + ASan + UBSan), writes a seed corpus of small
# models with `llama-gguf gen` (from $BUILD_DIR, built first), and fuzzes for
# $1 seconds (default 60). Fails if the fuzzer finds a crash, a leak or
# undefined behaviour; prints the executions and executions per second.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
FUZZ_DIR="${FUZZ_DIR:-$ROOT/build-fuzz}"
SECONDS_TO_RUN="${1:-60}"

cmake -G Ninja -S "$ROOT/fuzz" -B "$FUZZ_DIR" -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$FUZZ_DIR" >/dev/null

seeds="$FUZZ_DIR/seeds"
corpus="$FUZZ_DIR/corpus"
rm -rf "$seeds" && mkdir -p "$seeds" "$corpus"
small=(--dim 32 --hidden-dim 64 --layers 1 --heads 4 --kv-heads 2 --vocab 262 --ctx 16)
for t in f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k q4_k_m; do
  "$BUILD_DIR/bin/llama-gguf" gen -o "$seeds/$t.gguf" --type "$t" "${small[@]}" 2>/dev/null
done
"$BUILD_DIR/bin/llama-gguf" gen -o "$seeds/tied.gguf" --tied "${small[@]}" 2>/dev/null
"$BUILD_DIR/bin/llama-gguf" gen -o "$seeds/k.gguf" --type q4_k --dim 256 \
  --hidden-dim 256 --layers 1 --heads 2 --kv-heads 1 --vocab 262 --ctx 8 2>/dev/null

log="$FUZZ_DIR/fuzz.log"
status=0
ASAN_OPTIONS=detect_leaks=1 "$FUZZ_DIR/gguf-fuzzer" "$corpus" "$seeds" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/" >"$log" 2>&1 || status=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
echo "fuzz.sh: ${SECONDS_TO_RUN} s, ${runs} executions, ${rate} exec/s, corpus $(ls "$corpus" | wc -l) files"
if [ $status -ne 0 ]; then
  echo "fuzz.sh: the fuzzer failed (exit $status); the end of its log:"
  tail -40 "$log"
  exit 1
fi
