#!/usr/bin/env bash
#===- bench/run.sh - Side-by-side benchmark with llama.cpp, like llama-bench ===#
#
#   bench/run.sh [--types "q4_0 q8_0 q4_k_m f16"] [--reps N] [--threads N]
#                [--preset tinyllama|llama2-7b] [--pp N] [--tg N]
#                [--target T] [--llama-bench /path/to/llama-bench] [--out DIR]
#
# Writes TinyLlama-1.1B-shaped models (or another llama-gguf gen preset's:
# --preset llama2-7b --types q4_0 --pp 128 --tg 32 for the 7B comparison)
# with random weights, compiles each with llama-compile --target=host (or
# --target T: e.g. avx2, against a llama.cpp built for AVX2 only), and
# runs the program's --bench (pp512 and tg128 unless --pp/--tg say
# otherwise; median of N runs, against the measured memory bandwidth and
# FMA / int8-dot / AMX peaks). With --llama-bench, runs that binary
# on the same file right after ours, type by type, and ends with a table of
# both medians and their ratios (ours / llama.cpp: above 1 is faster), the
# only comparison that holds on a machine whose speed moves by the hour
# (this script never fetches or builds llama.cpp; ../shared/docs/PEER.md
# says how). Results: DIR/bench.md, DIR/bench.json (ours) and
# DIR/llama-bench.jsonl (theirs).
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
preset=tinyllama
pp=512
tg=128
target=host
while [ $# -gt 0 ]; do
  case "$1" in
    --types) types="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --llama-bench) llama_bench="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --preset) preset="$2"; shift 2 ;;
    --pp) pp="$2"; shift 2 ;;
    --tg) tg="$2"; shift 2 ;;
    --target) target="$2"; shift 2 ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/build.sh" >/dev/null
# The real Llama-2 vocabulary where ../shared has it: llama.cpp cannot load
# the synthetic one.
shared="${LLAMA_MLIR_SHARED_DIR:-$ROOT/../shared}"
vocab=()
if [ -f "$shared/models/llama2-vocab/llama2-vocab.gguf" ]; then
  vocab=(--vocab-from "$shared/models/llama2-vocab/llama2-vocab.gguf")
elif [ -n "$llama_bench" ]; then
  echo "bench/run.sh: no $shared/models/llama2-vocab (llama.cpp needs a real vocabulary)" >&2
  exit 2
fi
mkdir -p "$out"
: > "$out/bench.md"
: > "$out/bench.json"
: > "$out/llama-bench.jsonl"
for t in $types; do
  model="$out/$preset-$t.gguf"
  [ -f "$model" ] || "$BUILD_DIR/bin/llama-gguf" gen -o "$model" --preset "$preset" --type "$t" \
    "${vocab[@]}" >&2
  exe="$out/$preset-$t"
  "$BUILD_DIR/bin/llama-compile" "$model" -o "$exe" --target="$target" >&2
  # The model, program and weights file just written are dirty pages; their
  # writeback would take memory bandwidth from the probes and timings below
  # (a first --bench probe read 21 GB/s where the next types' read 30-34).
  sync
  echo "== $t" | tee -a "$out/bench.md"
  "$exe" -m "$model" --bench --bench-pp "$pp" --bench-tg "$tg" --bench-reps "$reps" \
    -t "$threads" --bench-format json |
    tee -a "$out/bench.json" |
    /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("machine: read %.1f GB/s, fp32 FMA %.0f GFLOP/s, int8 dot %.0f GOP/s, AMX int8 %.0f GOP/s" % (
    r["read_bandwidth_gb_s"], r["fma_peak_gflop_s"], r["int8_dot_peak_gop_s"],
    r.get("amx_int8_peak_gop_s", 0)))
for t in r["tests"]:
    print("| %s | %s | %.2f (%.2f - %.2f) | %.1f%% of %.2f |" % (r["model"], t["test"],
          t["tokens_per_s"], t["min"], t["max"], t["percent_of_roofline"], t["roofline_tokens_per_s"]))
' | tee -a "$out/bench.md"
  if [ -n "$llama_bench" ]; then
    echo "== llama.cpp ($llama_bench)" | tee -a "$out/bench.md"
    "$llama_bench" -m "$model" -p "$pp" -n "$tg" -t "$threads" -r "$reps" -o jsonl |
      tee -a "$out/llama-bench.jsonl" |
      /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    test = "pp%d" % r["n_prompt"] if r["n_prompt"] else "tg%d" % r["n_gen"]
    print("| %s | %s | %.2f +- %.2f |" % (r["model_filename"].split("/")[-1], test, r["avg_ts"], r["stddev_ts"]))
' | tee -a "$out/bench.md"
  fi
done
if [ -n "$llama_bench" ]; then
  echo "== ours / llama.cpp, same machine, one run after the other" | tee -a "$out/bench.md"
  /usr/bin/python3 - "$out/bench.json" "$out/llama-bench.jsonl" <<'PY' | tee -a "$out/bench.md"
import json, sys
ours = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    for t in r["tests"]:
        ours[(r["model"], t["test"])] = t["tokens_per_s"]
print("| model | test | ours t/s (median) | llama.cpp t/s (mean) | ratio |")
print("| --- | --- | ---: | ---: | ---: |")
for line in open(sys.argv[2]):
    r = json.loads(line)
    model = r["model_filename"].split("/")[-1]
    test = "pp%d" % r["n_prompt"] if r["n_prompt"] else "tg%d" % r["n_gen"]
    mine = ours.get((model, test))
    if mine:
        print("| %s | %s | %.2f | %.2f | %.2f |" % (model, test, mine, r["avg_ts"], mine / r["avg_ts"]))
PY
fi
echo "bench/run.sh: results in $out/bench.md and $out/bench.json"
