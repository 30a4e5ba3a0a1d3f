#!/usr/bin/env bash
#===- bench/avx512.sh - AVX-512 vs AVX2 programs: outputs and speed -------===#
#
#   bench/avx512.sh [--dir DIR] [--type q4_0] [--reps N] [--threads N]
#                   [--no-build]
#
# On a machine with an AVX-512 CPU: compiles (unless --no-build, then DIR
# must hold the programs and models, e.g. carried from a build machine) the
# stories260K model and a TinyLlama-1.1B-shaped model (llama-gguf gen) for
# --target=avx2 and --target=avx512, checks that both programs generate the
# same greedy tokens with logits within 1e-4 (stories260K: also llama.cpp's
# golden ids), and prints the speed of each (the programs' --bench: pp512 and
# tg128 medians). Refuses to run where the CPU lacks AVX-512.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
SHARED="${LLAMA_MLIR_SHARED_DIR:-$ROOT/../shared}"
dir="$BUILD_DIR/bench-avx512"
type=q4_0
reps=5
threads=$(nproc)
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --type) type="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "bench/avx512.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
for f in avx512f avx512bw avx512dq avx512vl; do
  grep -qw "$f" /proc/cpuinfo || { echo "bench/avx512.sh: this CPU lacks $f" >&2; exit 1; }
done
mkdir -p "$dir"
# Debian's python3 has numpy (a python3 earlier on PATH may not).
PY="${PYTHON:-/usr/bin/python3}"
stories="$SHARED/models/stories260K/stories260K.gguf"
tiny="$dir/tinyllama-$type.gguf"
if [ "$build" = 1 ]; then
  [ -f "$tiny" ] || "$BUILD_DIR/bin/llama-gguf" gen -o "$tiny" --preset tinyllama --type "$type" >&2
  for t in avx2 avx512; do
    [ -f "$stories" ] && "$BUILD_DIR/bin/llama-compile" "$stories" -o "$dir/stories-$t" --target=$t
    "$BUILD_DIR/bin/llama-compile" "$tiny" -o "$dir/tinyllama-$type-$t" --target=$t
  done
fi
[ -f "$dir/stories-avx2" ] && [ -f "$stories" ] || stories=""

compare() {  # compare NAME MODEL PROMPT N
  local name=$1 model=$2 prompt=$3 n=$4
  for t in avx2 avx512; do
    "$dir/$name-$t" -m "$model" --tokens "$prompt" -n "$n" --temp 0 --ignore-eos \
      --print-ids --logits-out "$dir/$name-$t.logits" -t "$threads" \
      > "$dir/$name-$t.ids" 2>/dev/null
  done
  "$PY" - "$dir/$name-avx2" "$dir/$name-avx512" "$name" <<'PY'
import sys
import numpy as np
a, b, name = sys.argv[1:4]
ia, ib = open(a + ".ids").read().split(), open(b + ".ids").read().split()
la = np.fromfile(a + ".logits", "<f4"); lb = np.fromfile(b + ".logits", "<f4")
err = float(np.abs(la - lb).max())
ok = ia == ib and err <= 1e-4
print(f"{name}: avx2 vs avx512: {len(ia)} greedy tokens {'identical' if ia == ib else 'DIFFER'}, "
      f"max |dlogit| {err:.2e} -> {'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
}

status=0
if [ -n "$stories" ]; then
  compare stories "$stories" 1,403,407,261,378 64 || status=1
fi
compare "tinyllama-$type" "$tiny" 1,450,4996,3196,29871,13,1576,263 16 || status=1
echo
echo "| program | test | t/s (median) | min - max |"
echo "| --- | --- | ---: | ---: |"
for t in avx2 avx512; do
  "$dir/tinyllama-$type-$t" -m "$tiny" --bench --bench-reps "$reps" -t "$threads" \
    --bench-format json > "$dir/bench-$t.json"
  "$PY" - "$t" "$dir/bench-$t.json" <<'PY'
import json, sys
t, path = sys.argv[1:3]
for x in json.load(open(path))["tests"]:
    print(f"| {t} | {x['test']} | {x['tokens_per_s']:.2f} | "
          f"{x['min']:.2f} - {x['max']:.2f} |")
PY
done
exit $status
