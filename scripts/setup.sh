#!/usr/bin/env bash
#===- scripts/setup.sh - Install everything llama-mlir needs ---------------===#
#
# Installs, on a fresh Debian 12 (bookworm) machine, every package the build,
# the tests and the produced programs need. Idempotent: packages already
# present are left alone, and a second run costs one `dpkg -s` per package.
# Needs root (or sudo) for apt-get.
#
#===------------------------------------------------------------------------===#
set -euo pipefail

PKGS=(
  # LLVM/MLIR 22 toolchain: headers, libMLIR.so/libLLVM.so, tablegen, lit,
  # FileCheck, clang-22 for building and for linking produced programs.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  # Compiler-rt for the sanitizers and libFuzzer (clang-22 -fsanitize=...).
  libclang-rt-22-dev
  # Build system and tests.
  cmake ninja-build libgtest-dev ccache
  # numpy reference model and its pytest suite (Debian python, not pyenv);
  # xdist runs the suite on every core.
  python3 python3-numpy python3-pytest python3-pytest-xdist
  # AArch64 targets: the runtime is cross-built with clang-22 against
  # Debian's arm64 libc/libstdc++, and the produced programs are tested
  # under user-mode QEMU (also used to run x86 programs on a CPU model
  # without AVX-512).
  libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross libgcc-12-dev-arm64-cross
  qemu-user-static
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
