#!/usr/bin/env bash
#===- bench/run.sh - TinyLlama-shaped benchmark, like llama-bench ---------===#
#
#   bench/run.sh [--types "q4_0 q8_0 q4_k_m f16"] [--reps N] [--threads N]
#                [--llama-bench /path/to/llama-bench] [--out DIR]
#
# Writes TinyLlama-1.1B-shaped models (random weights) with llama-gguf gen,
# compiles each with llama-compile --target=host, and runs the program's
# --bench (pp512 and tg128, median of N runs, against the measured memory
# bandwidth and FMA peak). With --llama-bench, runs that binary on the same
# files and prints its table after ours (this script never fetches or builds
# llama.cpp). Results: DIR/bench.md and DIR/bench.json.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
types="q4_0 q8_0 q4_k_m f16"
reps=5
threads=$(nproc)
llama_bench=""
out="$BUILD_DIR/bench"
while [ $# -gt 0 ]; do
  case "$1" in
    --types) types="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --llama-bench) llama_bench="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh" >/dev/null
mkdir -p "$out"
: > "$out/bench.md"
: > "$out/bench.json"
for t in $types; do
  model="$out/tinyllama-$t.gguf"
  [ -f "$model" ] || "$BUILD_DIR/bin/llama-gguf" gen -o "$model" --preset tinyllama --type "$t" >&2
  exe="$out/tinyllama-$t"
  "$BUILD_DIR/bin/llama-compile" "$model" -o "$exe" --target=host >&2
  echo "== $t" | tee -a "$out/bench.md"
  "$exe" -m "$model" --bench --bench-reps "$reps" -t "$threads" | tee -a "$out/bench.md"
  "$exe" -m "$model" --bench --bench-reps "$reps" -t "$threads" --bench-format json >> "$out/bench.json"
  if [ -n "$llama_bench" ]; then
    echo "== llama.cpp ($llama_bench)" | tee -a "$out/bench.md"
    "$llama_bench" -m "$model" -p 512 -n 128 -t "$threads" -r "$reps" | tee -a "$out/bench.md"
  fi
done
echo "bench/run.sh: results in $out/bench.md and $out/bench.json"
