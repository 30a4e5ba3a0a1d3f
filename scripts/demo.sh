#!/usr/bin/env bash
#===- scripts/demo.sh - The main job on the built-in default ---------------===#
#
# Builds llama-mlir and runs it on the built-in sample: the 2-layer Llama-2
# model of examples/llama2-block.mlir is parsed and verified, then lowered by
# the llama passes (llama-lower-to-linalg turns RoPE and SwiGLU into
# linalg.generic), and the result is printed.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
export BUILD_DIR
"$ROOT/scripts/build.sh" >/dev/null
MODEL="${1:-$ROOT/examples/llama2-block.mlir}"
echo "== llama-opt $MODEL --llama-lower-to-linalg" >&2
"$BUILD_DIR/bin/llama-opt" "$MODEL" --llama-lower-to-linalg
