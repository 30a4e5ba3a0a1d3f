#!/usr/bin/env python3
# ===- bench/sass-loads.py - global loads ptxas issues together, per kernel -===#
#
#   ptxas -arch=sm_90 -O3 model.ptx -o model.cubin
#   bench/sass-loads.py model.cubin [KERNEL-SUBSTRING]
#
# Without a GPU (and without cuobjdump, which this machine's CUDA lacks),
# this shows how many global loads a kernel's machine code has in flight
# before it waits on one: for each kernel, the runs of LDG instructions
# that no FFMA/HADD2.F32 separates, in program order (a warp stalls at the
# first use of a load, so a run is what one step of a loop overlaps).
#
# sm_90 SASS instructions are 16 bytes; the low 12 bits hold the opcode.
# The opcodes are not documented; these were identified here by compiling
# PTX with a known number of each instruction (the LDG count of every
# kernel of a 7B-shaped F16 program equals its PTX ld.global count).
# ===------------------------------------------------------------------------===#
import struct
import sys

LDG, FFMA, HADD2_F32 = 0x981, 0x223, 0x230


def sections(data):
    """(name, bytes) of every section of an ELF64 little-endian file."""
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    heads = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
             for i in range(shnum)]
    strtab = heads[shstrndx][4]
    for name, _, _, _, off, size in heads:
        end = data.index(b"\0", strtab + name)
        yield data[strtab + name:end].decode(), data[off:off + size]


def load_runs(code):
    runs, run = [], 0
    for i in range(0, len(code) - 15, 16):
        op = struct.unpack_from("<Q", code, i)[0] & 0xFFF
        if op == LDG:
            run += 1
        elif op in (FFMA, HADD2_F32) and run:
            runs.append(run)
            run = 0
    if run:
        runs.append(run)
    return runs


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: sass-loads.py FILE.cubin [KERNEL-SUBSTRING]")
    try:
        data = open(sys.argv[1], "rb").read()
    except OSError as e:
        sys.exit(f"sass-loads.py: {e}")
    if data[:4] != b"\x7fELF" or data[4] != 2:
        sys.exit(f"sass-loads.py: {sys.argv[1]}: not an ELF64 cubin")
    want = sys.argv[2] if len(sys.argv) == 3 else ""
    for name, code in sections(data):
        if name.startswith(".text.") and want in name:
            runs = load_runs(code)
            print(f"{name[6:]}: {sum(runs)} LDG, runs {runs}")


if __name__ == "__main__":
    main()
