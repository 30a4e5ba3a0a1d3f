#!/usr/bin/env bash
#===- scripts/demo.sh - The main job: compile a model and generate text ----===#
#
#   scripts/demo.sh [MODEL.gguf] [program flags...]
#
# Builds llama-mlir, compiles MODEL.gguf with llama-compile into a native
# program and runs it on a prompt. Without a model, the built-in default is a
# synthetic Llama model written by `llama-gguf gen` (random weights: the text
# is gibberish, but every step is the real one). Extra arguments go to the
# program (default: -p "Once upon a time" -n 64).
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR
"$ROOT/scripts/build.sh" >/dev/null
work="$BUILD_DIR/demo"
mkdir -p "$work"
if [ $# -ge 1 ] && [ -f "$1" ]; then
  model="$1"
  shift
else
  model="$work/synthetic-tiny-q8_0.gguf"
  echo "== no model given: writing a synthetic one with llama-gguf gen" >&2
  "$BUILD_DIR/bin/llama-gguf" gen -o "$model" --preset tiny --type q8_0 >&2
fi
exe="$work/$(basename "${model%.gguf}")"
echo "== llama-compile $model -o $exe" >&2
"$BUILD_DIR/bin/llama-compile" "$model" -o "$exe" -v
if [ $# -eq 0 ]; then
  set -- -p "Once upon a time" -n 64
fi
echo "== $exe -m $model $*" >&2
"$exe" -m "$model" "$@"
