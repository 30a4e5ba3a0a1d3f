#!/usr/bin/env bash
#===- scripts/demo.sh - The main job: compile a model and generate text ----===#
#
#   scripts/demo.sh [MODEL.gguf] [program flags...]
#
# Builds llama-mlir, compiles MODEL.gguf with llama-compile into a native
# program and runs it on a prompt. Without a model, the built-in default is
# the real stories260K model shipped in models/stories260K/ (a 1.2 MB Llama-2
# model trained on children's stories; MIT, see its README). Extra arguments
# go to the program (default: -p "Once upon a time" -n 64).
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR
# The model: a first argument that is not a flag names one, which must exist.
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then
  if [ ! -f "$1" ]; then
    echo "demo.sh: $1: the model file does not exist (or is not a file)" >&2
    exit 1
  fi
  model="$1"
  shift
else
  model="$ROOT/models/stories260K/stories260K.gguf"
  echo "== no model given: the built-in stories260K ($model)" >&2
fi
"$ROOT/scripts/build.sh" >/dev/null
work="$BUILD_DIR/demo"
mkdir -p "$work"
exe="$work/$(basename "${model%.gguf}")"
echo "== llama-compile $model -o $exe" >&2
"$BUILD_DIR/bin/llama-compile" "$model" -o "$exe" -v
if [ $# -eq 0 ]; then
  set -- -p "Once upon a time" -n 64
fi
echo "== $exe -m $model $*" >&2
"$exe" -m "$model" "$@"
