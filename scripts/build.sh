#!/usr/bin/env bash
#===- scripts/build.sh - Configure and build llama-mlir -------------------===#
#
# Configures (once) and builds the project in $BUILD_DIR (default: build/)
# with clang-22, lld and Ninja against Debian's LLVM/MLIR 22. Extra arguments
# are passed to cmake at configure time, e.g. -DLLAMA_MLIR_SANITIZE=ON.
#
#===------------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build}"
LLVM=/usr/lib/llvm-22

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD_DIR" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR=$LLVM/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=$LLVM/bin/lit \
    "${launcher[@]}" "$@"
fi
ninja -C "$BUILD_DIR" -j"${JOBS:-$(nproc)}"
