#!/usr/bin/env bash
#===- bench/gpu.sh - GPU programs: outputs against the CPU, and speed -----===#
#
#   bench/gpu.sh prepare [--dir DIR] [--big]      # here (the build machine)
#   bench/gpu.sh run [--dir DIR] [--hbm-gbps G] [--reps N] [--deadline S]
#                                                 # on a GPU machine
#
# The GPU machine has a CUDA driver but none of our toolchain, so `prepare`
# builds everything it needs into DIR (default build/bench-gpu; carry it
# there): llama-gguf, the stories260K model and small synthetic models
# (tiny preset: Q4_0, Q8_0, F16, Q4_K, Q6_K, GQA 8:4), and for each a CPU
# program (--target=avx2 --int-dot=off: float dot products like the GPU's)
# and two GPU programs (--target=sm_90): NAME-gpu with the default kernels
# and NAME-warp with --gpu-kernels=warp (for quantized models also
# NAME-warpqn, adding --gpu-quantized-row-norms; for all NAME-warptc,
# adding --gpu-tensor-cores: the prefill GEMMs on tensor cores). With --big
# also these GPU
# programs for TinyLlama-1.1B- and Llama-2-7B-shaped F16 and Q4_0 models; their
# multi-GB files are not kept: `run` writes them again with
# the same `llama-gguf gen` command (the program checks names, types and
# shapes, not values, so the files need not be the same bytes).
#
# `run` checks that every GPU program generates the CPU program's greedy
# tokens with logits within 1e-3 (float32 sums in another order; the warp
# programs waiting after every launch, with LLAMA_MLIR_GPU_ASYNC=1, and
# with LLAMA_MLIR_GPU_GRAPHS=1: each evaluation's launches replayed as a
# CUDA graph; the warp programs also on a 45-token prompt: the prefill
# GEMMs' full and partial token tiles), then runs
# the big models' --bench and prints tg128/pp512 tokens/s and the percent
# of the HBM roofline: tokens/s x weight bytes per token / (G GB/s; default
# 4300, an H200's copy bandwidth; about 3000 for an H100), tg and pp in
# separate runs, each cut off at what is left of --deadline seconds, and the
# kernel launches per token with the time per launch (stories260K's time
# per token is nearly all launch and synchronization overhead; the warp
# programs run with graphs and with asynchronous launches, so the difference
# is the launch overhead graphs save). Between the
# tg and pp runs, the 7B F16 and TinyLlama Q4_0 warp programs are profiled
# (LLAMA_MLIR_GPU_PROFILE=1: device time per kernel, with the model ops
# each kernel runs, from the map `prepare` writes: NAME-warp.kernels).
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
SHARED="${LLAMA_MLIR_SHARED_DIR:-$ROOT/../shared}"
mode="${1:-}"
[ $# -gt 0 ] && shift
dir="$BUILD_DIR/bench-gpu"
big=0
hbm=
reps=5
deadline=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --big) big=1; shift ;;
    --hbm-gbps) hbm="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --deadline) deadline="$2"; shift 2 ;;
    *) echo "bench/gpu.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
SMALL="q4_0 q8_0 f16 q4_k q6_k"
# Extra llama-compile flags for the GPU programs: BENCH_GPU_FLAGS=--gpu-emulate
# makes `prepare` (without --big) and `run` work here, on the emulator, to
# try the script itself before a GPU session.
GPU_FLAGS="${BENCH_GPU_FLAGS:-}"
# The 7B models first: the roofline target is about them.
BIG="llama2-7b:f16 llama2-7b:q4_0 tinyllama:f16 tinyllama:q4_0"

prepare() {
  mkdir -p "$dir"
  cp "$BUILD_DIR/bin/llama-gguf" "$dir/"
  local stories="$SHARED/models/stories260K/stories260K.gguf"
  [ -f "$stories" ] && cp "$stories" "$dir/stories.gguf"
  for t in $SMALL; do
    "$dir/llama-gguf" gen -o "$dir/tiny-$t.gguf" --preset tiny --type "$t" >&2
  done
  for m in "$dir"/*.gguf; do
    local name; name=$(basename "$m" .gguf)
    # Float dot products, as on the GPU (the CPU's default quantizes the
    # activations to int8 for Q8_0/Q4_0/K-quant weights: other logits).
    "$BUILD_DIR/bin/llama-compile" "$m" -o "$dir/$name-cpu" --target=avx2 --int-dot=off
    "$BUILD_DIR/bin/llama-compile" "$m" -o "$dir/$name-gpu" --target=sm_90 $GPU_FLAGS
    "$BUILD_DIR/bin/llama-compile" "$m" -o "$dir/$name-warp" --target=sm_90 --gpu-kernels=warp $GPU_FLAGS
    quantized "$name" &&
      "$BUILD_DIR/bin/llama-compile" "$m" -o "$dir/$name-warpqn" --target=sm_90 \
        --gpu-kernels=warp --gpu-quantized-row-norms $GPU_FLAGS
    "$BUILD_DIR/bin/llama-compile" "$m" -o "$dir/$name-warptc" --target=sm_90 \
      --gpu-kernels=warp --gpu-tensor-cores $GPU_FLAGS
  done
  if [ "$big" = 1 ]; then
    for pt in $BIG; do
      local preset=${pt%%:*} type=${pt##*:}
      local model="$dir/$preset-$type.gguf"
      "$dir/llama-gguf" gen -o "$model" --preset "$preset" --type "$type" >&2
      "$BUILD_DIR/bin/llama-compile" "$model" -o "$dir/$preset-$type-gpu" --target=sm_90
      "$BUILD_DIR/bin/llama-compile" "$model" -o "$dir/$preset-$type-warp" --target=sm_90 --gpu-kernels=warp
      kernel_map "$model" "$dir/$preset-$type-warp.kernels"
      quantized "$type" &&
        "$BUILD_DIR/bin/llama-compile" "$model" -o "$dir/$preset-$type-warpqn" --target=sm_90 \
          --gpu-kernels=warp --gpu-quantized-row-norms
      "$BUILD_DIR/bin/llama-compile" "$model" -o "$dir/$preset-$type-warptc" --target=sm_90 \
        --gpu-kernels=warp --gpu-tensor-cores
      rm -f "$model"
    done
  fi
  du -sh "$dir"
  echo "bench/gpu.sh: carry $dir to the GPU machine and run: bench/gpu.sh run --dir DIR"
}

quantized() {  # quantized NAME: whether NAME (a model or type) has quantized weights
  case "$1" in *f16 | *f32 | *bf16 | stories) return 1 ;; *) return 0 ;; esac
}

kernel_map() {  # kernel_map MODEL OUT: each warp kernel and the model ops it runs
  "$BUILD_DIR/bin/llama-compile" "$1" --target=sm_90 --gpu-kernels=warp --emit=gpu \
    --mlir-print-debuginfo -o - | python3 -c '
import re, sys
text = sys.stdin.read()
locs = dict(re.findall(r"^(#loc\d+) = loc\((.*)\)$", text, re.M))
def names(ref, seen=()):
    body = locs.get(ref, ref)
    out = re.findall(r"\"([^\"]+)\"", body)
    for r in re.findall(r"#loc\d+", body):
        if r not in seen:
            out += names(r, seen + (r,))
    return out
ops = {}
for k, ref in re.findall(r"gpu\.launch_func\s+@llama_kernels::@(\w+).*loc\((#loc\d+)\)", text):
    for n in names(ref):
        n = re.sub(r"^blk\.\d+\.", "blk.N.", n)
        ops.setdefault(k, [])
        if n not in ops[k]:
            ops[k].append(n)
for k, v in ops.items():
    print(k, " ".join(v))
' > "$2"
}

profile() {  # profile NAME EXE MODEL: device time per kernel (16 tokens)
  local name=$1 exe=$2 model=$3
  [ -f "$exe" ] && [ -f "$model" ] || return 0
  local t; t=$(left 120)
  [ "$t" -ge 10 ] || { echo "$name: profile skipped (deadline)"; return 0; }
  LLAMA_MLIR_GPU_PROFILE=1 timeout "$t" "$exe" -m "$model" --tokens 1,403,407,261,378 \
    -n 16 --temp 0 --ignore-eos --print-ids > /dev/null 2> "$dir/profile-$name.err" || {
      echo "$name: profile run failed:"; tail -5 "$dir/profile-$name.err"; return 1; }
  echo "$name: device time per kernel (LLAMA_MLIR_GPU_PROFILE=1; prompt of 5 + 16 tokens):"
  python3 - "$dir/profile-$name.err" "$exe.kernels" <<'PY'
import os, re, sys
err, kmap = sys.argv[1:3]
ops = {}
if os.path.exists(kmap):
    for line in open(kmap):
        k, *v = line.split()
        ops[k] = " ".join(v)
lines = open(err).read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith("llama-mlir GPU profile"))
print("  " + lines[start])
print("  " + lines[start + 1] + "  ops")
for l in lines[start + 2:start + 18]:
    print("  " + l + "  " + ops.get(l.split()[0], ""))
PY
}

# The prompts: 5 tokens, and 45 (a prefill GEMM's full token tile of 32
# and a partial one).
SHORT=1,403,407,261,378
LONG=$(python3 -c 'print(",".join(str(1 + (7 * i) % 250) for i in range(45)))')

generate() {  # generate NAME K [PROMPT [TAG]]: NAME-K's 16 greedy tokens and logits (env as given) in NAME-K[TAG].*
  local name=$1 k=$2 prompt=${3:-$SHORT} tag=${4:-}
  timeout 60 "$dir/$name-$k" -m "$dir/$name.gguf" --tokens "$prompt" -n 16 --temp 0 \
    --ignore-eos --print-ids --logits-out "$dir/$name-$k$tag.logits" \
    > "$dir/$name-$k$tag.ids" 2> "$dir/$name-$k$tag.err" || {
      echo "$name: the $k program failed:"; cat "$dir/$name-$k$tag.err"; return 1; }
}

compare() {  # compare NAME VARIANT ASYNC [GRAPHS [PROMPT TAG]]: NAME-VARIANT against the CPU's output (run generate NAME cpu PROMPT TAG first)
  local name=$1 variant=$2 async=$3 graphs=${4:-0} prompt=${5:-$SHORT} tag=${6:-}
  [ -f "$dir/$name-$variant" ] || return 0
  LLAMA_MLIR_GPU_ASYNC=$async LLAMA_MLIR_GPU_GRAPHS=$graphs generate "$name" "$variant" "$prompt" "$tag" || return 1
  python3 - "$dir/$name" "$name" "$variant" "$async" "$graphs" "$tag" <<'PY'
import sys
import numpy as np
base, name, variant, async_, graphs, tag = sys.argv[1:7]
ia = open(base + f"-cpu{tag}.ids").read().split()
ib = open(base + f"-{variant}{tag}.ids").read().split()
la = np.fromfile(base + f"-cpu{tag}.logits", "<f4")
lb = np.fromfile(base + f"-{variant}{tag}.logits", "<f4")
name = (f"{name} ({variant}{', async' if async_ == '1' else ''}"
        f"{', graphs' if graphs == '1' else ''}"
        f"{', 45-token prompt' if tag else ''})")
err = float(np.abs(la - lb).max()) if la.shape == lb.shape else float("inf")
ok = ia == ib and err <= 1e-3
print(f"{name}: cpu vs gpu: {len(ia)} greedy tokens "
      f"{'identical' if ia == ib else 'DIFFER'}, max |dlogit| {err:.2e} -> "
      f"{'PASS' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
}

# Seconds left before --deadline (from the start of `run`), at most $1.
left() {
  local l=$((deadline - SECONDS))
  [ "$l" -gt "$1" ] && l=$1
  echo "$l"
}

bench() {  # bench NAME EXE MODEL ARGS...: one --bench, printed as table rows
  local name=$1 exe=$2 model=$3; shift 3
  [ -f "$exe" ] || return 0
  local t; t=$(left 240)
  [ "$t" -ge 10 ] || { echo "$name: skipped (deadline)"; return 0; }
  timeout "$t" "$exe" -m "$model" --bench --bench-reps "$reps" --bench-format json "$@" \
    > "$dir/bench-$name.json" 2> "$dir/bench-$name.err" || {
      echo "$name $*: failed or timed out after ${t}s:"; tail -5 "$dir/bench-$name.err"; return 1; }
  python3 - "$name" "$dir/bench-$name.json" "$hbm" <<'PY'
import json, sys
name, path, hbm = sys.argv[1], sys.argv[2], float(sys.argv[3])
b = json.load(open(path))
gb = b["weight_bytes_per_token"] / 1e9
for x in b["tests"]:
    tg = x["test"].startswith("tg")
    pct = 100 * x["tokens_per_s"] * gb / hbm if tg else float("nan")
    extra = ""
    if tg and b.get("gpu_launches_per_token"):
        n = b["gpu_launches_per_token"]
        extra = f" | {n} | {1e6 / x['tokens_per_s'] / n:.1f}"
    print(f"| {name} | {x['test']} | {x['tokens_per_s']:.2f} | {x['min']:.2f} - {x['max']:.2f} "
          f"| {gb:.3f} | {pct:.1f}{extra} |")
PY
}

run() {
  local gpu=""
  command -v nvidia-smi >/dev/null &&
    gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)
  echo "GPU: ${gpu:-unknown (no nvidia-smi)}"
  # Device-to-device copy bandwidth measured on this workplace's machines
  # (bytes read + written): H200 4.3 TB/s, H100 3.0 TB/s.
  if [ -z "$hbm" ]; then
    case "$gpu" in *H100*) hbm=3000 ;; *) hbm=4300 ;; esac
  fi
  local status=0
  # The big models' files, written in the background while the small
  # models are compared.
  local gens=()
  for pt in $BIG; do
    local preset=${pt%%:*} type=${pt##*:}
    local model="$dir/$preset-$type.gguf"
    [ -f "$dir/$preset-$type-gpu" ] || [ -f "$dir/$preset-$type-warp" ] || continue
    [ ! -f "$model" ] || continue
    "$dir/llama-gguf" gen -o "$model" --preset "$preset" --type "$type" \
      > "$dir/gen-$preset-$type.log" 2>&1 &
    gens+=($!)
  done
  for p in "$dir"/*-gpu; do
    local name; name=$(basename "$p" -gpu)
    [ -f "$dir/$name.gguf" ] && [ -f "$dir/$name-cpu" ] || continue
    # The CPU program once; then the default kernels; the warp kernels
    # waiting after every launch, then asynchronous (these two tell a kernel
    # bug from a missing wait), then replayed as graphs.
    generate "$name" cpu || { status=1; continue; }
    compare "$name" gpu 0 || status=1
    compare "$name" warp 0 || status=1
    compare "$name" warp 1 || status=1
    compare "$name" warp 1 1 || status=1
    compare "$name" warpqn 1 1 || status=1
    compare "$name" warptc 1 1 || status=1
    # A longer prompt: full and partial token tiles of the prefill GEMMs.
    generate "$name" cpu "$LONG" -long || { status=1; continue; }
    compare "$name" warp 1 1 "$LONG" -long || status=1
    compare "$name" warptc 1 1 "$LONG" -long || status=1
  done
  for g in "${gens[@]}"; do wait "$g" || status=1; done
  echo
  echo "| model | test | t/s (median) | min - max | weight GB/token | % of ${hbm} GB/s | launches/token | us/launch (all time) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  # stories260K: time per token is nearly all launch and sync overhead.
  [ -f "$dir/stories-gpu" ] && { bench stories "$dir/stories-gpu" "$dir/stories.gguf" --bench-pp 0 || status=1; }
  [ -f "$dir/stories-warp" ] && { LLAMA_MLIR_GPU_ASYNC=1 bench stories-warp "$dir/stories-warp" "$dir/stories.gguf" --bench-pp 0 || status=1; }
  [ -f "$dir/stories-warp" ] && { LLAMA_MLIR_GPU_GRAPHS=1 bench stories-warp-graphs "$dir/stories-warp" "$dir/stories.gguf" --bench-pp 0 || status=1; }
  for pt in $BIG; do
    local preset=${pt%%:*} type=${pt##*:}
    local model="$dir/$preset-$type.gguf"
    [ -f "$model" ] || continue
    LLAMA_MLIR_GPU_GRAPHS=1 bench "$preset-$type-warp-graphs" "$dir/$preset-$type-warp" "$model" --bench-pp 0 || status=1
    # Quantized rows computing their own norm scales (a launch fewer per
    # norm, more L1 reads): which wins decides the default.
    LLAMA_MLIR_GPU_GRAPHS=1 bench "$preset-$type-warpqn-graphs" "$dir/$preset-$type-warpqn" "$model" --bench-pp 0 || status=1
    LLAMA_MLIR_GPU_ASYNC=1 bench "$preset-$type-warp" "$dir/$preset-$type-warp" "$model" --bench-pp 0 || status=1
    bench "$preset-$type" "$dir/$preset-$type-gpu" "$model" --bench-pp 0 || status=1
  done
  echo
  # Where the time goes: the 7B F16 and TinyLlama Q4_0 warp programs.
  profile llama2-7b-f16-warp "$dir/llama2-7b-f16-warp" "$dir/llama2-7b-f16.gguf" || status=1
  profile tinyllama-q4_0-warp "$dir/tinyllama-q4_0-warp" "$dir/tinyllama-q4_0.gguf" || status=1
  echo
  for pt in $BIG; do
    local preset=${pt%%:*} type=${pt##*:}
    local model="$dir/$preset-$type.gguf"
    [ -f "$model" ] || continue
    LLAMA_MLIR_GPU_GRAPHS=1 bench "$preset-$type-warp-graphs" "$dir/$preset-$type-warp" "$model" --bench-tg 0 || status=1
    # The prefill GEMMs on tensor cores: which pp512 wins.
    LLAMA_MLIR_GPU_GRAPHS=1 bench "$preset-$type-warptc-graphs" "$dir/$preset-$type-warptc" "$model" --bench-tg 0 || status=1
  done
  return $status
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: bench/gpu.sh prepare|run [--dir DIR] [--big] [--hbm-gbps G] [--reps N] [--deadline S]" >&2; exit 2 ;;
esac
