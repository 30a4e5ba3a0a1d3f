#!/usr/bin/env bash
#===- scripts/fuzz.sh - Fuzz the GGUF reader, the program's check, prompts -===#
#
# Builds fuzz/ (libFuzzer + ASan + UBSan), writes a seed corpus of small
# models with `llama-gguf gen` (from $BUILD_DIR, built first), and fuzzes for
# $1 seconds in all (default 60): half for the GGUF reader (gguf-fuzzer), a
# quarter each for a produced program's check of its model file
# (program-check-fuzzer) and for prompt bytes through the tokenizer
# (tokenizer-fuzzer, with the real Llama-2 vocabulary where ../shared has
# it). Fails if a fuzzer finds a crash, a leak, undefined behaviour or a
# broken invariant; prints each one's executions and executions per second.
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

vocab="$ROOT/../shared/models/llama2-vocab/llama2-vocab.gguf"
if [ -f "$vocab" ]; then export LLAMA_MLIR_FUZZ_VOCAB="$vocab"; fi
# Prompt seeds: a few texts of the kinds users type.
pseeds="$FUZZ_DIR/prompt-seeds"
rm -rf "$pseeds" && mkdir -p "$pseeds" "$FUZZ_DIR/prompt-corpus" "$FUZZ_DIR/check-corpus"
printf 'Once upon a time' >"$pseeds/1"
printf 'int main() {\n\treturn 0;\n}\n' >"$pseeds/2"
printf '\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80  1234567 \xff\xfe' >"$pseeds/3"

failed=0
fuzz() { # NAME SECONDS CORPUS SEEDS
  local name=$1 secs=$2 log="$FUZZ_DIR/$1.log" status=0
  ASAN_OPTIONS=detect_leaks=1 "$FUZZ_DIR/$name" "$3" "$4" \
    -max_total_time="$secs" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/$name-" >"$log" 2>&1 || status=$?
  local runs rate
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  echo "fuzz.sh: $name: ${secs} s, ${runs} executions, ${rate} exec/s, corpus $(ls "$3" | wc -l) files, findings $([ $status -eq 0 ] && echo 0 || echo 1)"
  if [ $status -ne 0 ]; then
    echo "fuzz.sh: $name failed (exit $status); the end of its log:"
    tail -40 "$log"
    failed=1
  fi
}
# At least a second each: libFuzzer reads -max_total_time=0 as "no limit".
half=$((SECONDS_TO_RUN / 2)); quarter=$((SECONDS_TO_RUN / 4))
[ "$half" -ge 1 ] || half=1
[ "$quarter" -ge 1 ] || quarter=1
fuzz gguf-fuzzer "$half" "$corpus" "$seeds"
fuzz program-check-fuzzer "$quarter" "$FUZZ_DIR/check-corpus" "$seeds"
fuzz tokenizer-fuzzer "$quarter" "$FUZZ_DIR/prompt-corpus" "$pseeds"
exit $failed
