"""Weights packed at compile time (llama_abi.h "Packed weights file"):
llama-compile writes PROGRAM.weights for targets whose kernels read the
rows16 layout (the 16-row tiles of x86 CPUs with AVX2 and later), the
program maps it, and refuses one that is missing, damaged or another
program's with one line and exit 1.

The packed bytes are checked against llama_ref.packed, written from the
layout's definition, not against the C++ packer; that the programs compute
the same tokens as the generic (x86-64) ones, which read the GGUF rows, is
test_targets.py's test_every_int_dot_form_agrees.
"""

import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

from llama_ref.gguf import read_gguf
from llama_ref.packed import has_rows16, pack_rows16
from test_compiled import compile_model, gen

PROMPT = "1,259,262,270,280"
HEADER = struct.Struct("<8sQQQ32x")
ENTRY = struct.Struct("<QQ")


def has_avx2():
    cpu = open("/proc/cpuinfo").read().split()
    return all(f in cpu for f in ("avx2", "fma", "f16c"))


def manifest(exe):
    data = open(exe, "rb").read()
    start = data.index(b"llama-mlir manifest 1\n")
    return data[start:data.index(b"\0", start)].decode().splitlines()


@pytest.fixture(scope="module")
def packed_model(tmp_path_factory):
    """A Q4_0 model with Q8_0 layers' mix of both types, compiled for
    avx2: (dir, gguf, exe)."""
    d = tmp_path_factory.mktemp("packed")
    gguf = gen(str(d / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "2", "--kv-heads", "2")
    exe = compile_model(gguf, str(d / "m"), "--target=avx2")
    return d, gguf, exe


@pytest.mark.parametrize("typ", ["q4_0", "q4_1", "q5_0", "q5_1", "q8_0",
                                 "q4_k", "q5_k", "q6_k", "f16", "bf16"])
def test_weights_file_holds_every_weight_packed_by_its_definition(tmp_path,
                                                                  typ):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", typ,
               "--layers", "2", "--kv-heads", "2")
    exe = compile_model(gguf, str(tmp_path / "m"), "--target=avx2")
    lines = manifest(exe)
    names = [ln.split()[1] for ln in lines if ln.startswith("weight ")]
    (wf,) = [ln.split() for ln in lines if ln.startswith("weights_file ")]
    raw = open(exe + ".weights", "rb").read()
    magic, digest, size, count = HEADER.unpack_from(raw, 0)
    assert magic == b"LLMWGT01"
    assert (f"{digest:016x}", size, count) == (wf[1], int(wf[2]), len(names))
    assert size == len(raw)
    f = read_gguf(gguf)
    packed = 0
    for i, name in enumerate(names):
        off, nbytes = ENTRY.unpack_from(raw, HEADER.size + i * ENTRY.size)
        t = f.tensors[name]
        want = np.asarray(t.data).view(np.uint8).reshape(-1)
        n, k = t.shape if len(t.shape) == 2 else (1, t.shape[0])
        # Every matmul weight with the layout is packed; the embedding
        # table (read by llama.embedding) and the norms are not.
        if name != "token_embd.weight" and has_rows16(t.type_name, n, k):
            want = pack_rows16(t.type_name, want, n, k)
            packed += 1
        assert off % 64 == 0 and nbytes == want.size, name
        assert raw[off:off + nbytes] == want.tobytes(), name
    assert packed >= 2 * 7  # q, k, v, o, gate, up, down of both layers
    # One layout for every x86 tile: AVX-512 VNNI programs read the same.
    vnni = compile_model(gguf, str(tmp_path / "v"), "--target=avx512-vnni")
    assert open(vnni + ".weights", "rb").read() == raw


def test_shared_layers_read_their_packed_weights(tmp_path, packed_model):
    """The layer function reads each call's packed weights: the same
    logits, bit for bit, as the layers inline."""
    if not has_avx2():
        pytest.skip("this CPU has no AVX2")
    d, gguf, exe = packed_model
    inline = compile_model(gguf, str(tmp_path / "inline"),
                           "--target=avx2", "--share-layers=false")
    out = {}
    for name, e in (("shared", exe), ("inline", inline)):
        logits = str(tmp_path / (name + ".logits"))
        r = run(e, gguf, "--logits-out", logits)
        assert r.returncode == 0, r.stderr
        out[name] = open(logits, "rb").read()
    assert out["shared"] == out["inline"]


def test_generic_programs_have_no_weights_file(tmp_path):
    """Targets without 16-row tiles (x86-64: the generic row) read the GGUF
    rows and refuse a weights file."""
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "1")
    exe = compile_model(gguf, str(tmp_path / "m"), "--target=x86-64")
    assert not os.path.exists(exe + ".weights")
    assert not any(ln.startswith("weights_file") for ln in manifest(exe))
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1", "-n", "1",
                        "--weights", exe], capture_output=True, text=True)
    assert r.returncode == 2
    assert "reads its weights from the GGUF file" in r.stderr


def run(exe, gguf, *args):
    return subprocess.run([exe, "-m", gguf, "--tokens", PROMPT, "-n", "4",
                           "--print-ids", "--temp", "0", "--ignore-eos", *args],
                          capture_output=True, text=True)


def test_program_finds_its_weights_wherever_it_goes(tmp_path, packed_model):
    if not has_avx2():
        pytest.skip("this CPU has no AVX2")
    d, gguf, exe = packed_model
    r0 = run(exe, gguf)
    assert r0.returncode == 0, r0.stderr
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.copy(exe, moved / "prog")
    shutil.copy(exe + ".weights", moved / "prog.weights")
    r1 = run(str(moved / "prog"), gguf)
    assert r1.returncode == 0, r1.stderr
    assert r1.stdout == r0.stdout
    # --weights names another place.
    os.rename(moved / "prog.weights", tmp_path / "w.bin")
    r2 = run(str(moved / "prog"), gguf, "--weights", str(tmp_path / "w.bin"))
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r0.stdout
    # Without it: one line naming the file it looked for.
    r3 = run(str(moved / "prog"), gguf)
    assert r3.returncode == 1
    assert str(moved / "prog.weights") in r3.stderr
    assert "cannot open the program's packed weights" in r3.stderr
    assert len(r3.stderr.strip().splitlines()) == 1


def damaged(tmp_path, raw, how):
    data = bytearray(raw)
    if how == "truncated":
        data = data[:-100]
    elif how == "magic":
        data[0:8] = b"GGUF\x03\0\0\0"
    elif how == "entry":  # the last weight's offset past the end; same size
        off = HEADER.size + (HEADER.unpack_from(raw)[3] - 1) * ENTRY.size
        struct.pack_into("<Q", data, off, len(raw) + 64)
    elif how == "hash":
        struct.pack_into("<Q", data, 8, HEADER.unpack_from(raw)[1] ^ 1)
    p = tmp_path / f"{how}.weights"
    p.write_bytes(bytes(data))
    return str(p)


@pytest.mark.parametrize("how,message", [
    ("truncated", "do not belong to this program"),
    ("magic", "not a llama-mlir packed weights file"),
    ("entry", "expected"),
    ("hash", "do not belong to this program"),
])
def test_damaged_weights_files_are_refused(tmp_path, packed_model, how,
                                           message):
    if not has_avx2():
        pytest.skip("this CPU has no AVX2")
    _, gguf, exe = packed_model
    path = damaged(tmp_path, open(exe + ".weights", "rb").read(), how)
    r = run(exe, gguf, "--weights", path)
    assert r.returncode == 1, r.stderr
    assert path in r.stderr and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_another_programs_weights_are_refused(tmp_path, packed_model):
    if not has_avx2():
        pytest.skip("this CPU has no AVX2")
    _, gguf, exe = packed_model
    other = gen(str(tmp_path / "o.gguf"), "--preset", "tiny", "--type",
                "q4_0", "--layers", "2", "--kv-heads", "2", "--seed", "7")
    other_exe = compile_model(other, str(tmp_path / "o"), "--target=avx2")
    r = run(exe, gguf, "--weights", other_exe + ".weights")
    assert r.returncode == 1
    assert "do not belong to this program" in r.stderr
