"""Targets (llama-compile --target): every named target compiles; AArch64
programs (cross-built here, linked against the cross-built runtime) run under
user-mode QEMU and give the x86 results; AVX-512 programs use 512-bit
instructions, run where the CPU has AVX-512 and give the AVX2 results; every
program refuses, with a message naming the missing features, a CPU that
lacks what it was compiled for (checked under QEMU CPU models without them).

Tolerances as in test_compiled.py: identical greedy ids; logits within 1e-4
of the x86 (AVX2) program for synthetic models (assert_logits_close: with
integer dot products, a rare activation rounding tie may move one position
by up to int_dot_tolerance) and within 1e-3 of llama.cpp's
goldens for stories260K (float32, other instruction selection and vector
widths change the rounding only).
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import require_models
from llama_ref.model import Model, greedy
from test_compiled import (TOL, assert_logits_close, compile_model, gen,
                           has_avx512_vnni, int_tol_if_used,
                           light_in_sanitized_build, sanitized_build, tool)

QEMU_ARM = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
QEMU_X86 = shutil.which("qemu-x86_64-static") or shutil.which("qemu-x86_64")
PROMPT = [1, 259, 262, 270, 280]

# (target, QEMU -cpu model) for the AArch64 runs: SVE at three vector lengths.
ARM_RUNS = [("neon", "max,sve=off"), ("neon-dotprod", "max,sve=off"),
            ("sve", "max,sve128=on"), ("sve", "max,sve256=on"),
            ("sve", "max,sve512=on"), ("sve2", "max,sve256=on"),
            ("aarch64-linux-gnu+sve+i8mm", "max,sve512=on")]


def need_x86_qemu():
    if sanitized_build():
        pytest.skip("sanitized x86 programs are not run under QEMU (the "
                    "normal build's test tier runs this)")
    return need(QEMU_X86, "qemu-x86_64-static")


def need(qemu, what):
    if not qemu:
        pytest.skip(f"{what} not found (scripts/setup.sh installs "
                    "qemu-user-static)")
    return qemu


def run(cmd, gguf, prompt, n, logits):
    r = subprocess.run([*cmd, "-m", gguf, "--tokens",
                        ",".join(map(str, prompt)), "-n", str(n),
                        "--print-ids", "--logits-out", logits, "--temp", "0",
                        "--ignore-eos", "-t", "2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return [int(t) for t in r.stdout.split()], np.fromfile(logits, "<f4")


def has_avx512():
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return all(f in flags.split() for f in
               ("avx512f", "avx512bw", "avx512dq", "avx512vl"))


def test_list_targets():
    r = subprocess.run([tool("llama-compile"), "--list-targets"],
                       capture_output=True, text=True)
    assert r.returncode == 0
    for name in ("host", "avx2", "avx2-vnni", "avx512", "avx512-vnni",
                 "avx512-amx", "neon",
                 "neon-dotprod", "sve", "sve2", "x86-64"):
        assert f"\n  {name} " in r.stdout, name


@pytest.mark.parametrize("spec,msg", [
    ("avx9000", "unknown target 'avx9000'"),
    ("riscv64-linux-gnu", "unknown target 'riscv64-linux-gnu'"),
    ("aarch64-linux-gnu+warp", "unknown aarch64 feature 'warp'"),
    ("x86_64-linux-gnu+sve", "unknown x86_64 feature 'sve'"),
])
def test_bad_targets_are_refused(tmp_path, spec, msg):
    gguf = gen(str(tmp_path / "m.gguf"), "--layers", "1")
    r = subprocess.run([tool("llama-compile"), gguf, "-o", str(tmp_path / "x"),
                        f"--target={spec}"], capture_output=True, text=True)
    assert r.returncode == 1 and msg in r.stderr, r.stderr


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A GQA model in a mixed quantization and its AVX2 program's output."""
    d = tmp_path_factory.mktemp("targets")
    gguf = gen(str(d / "m.gguf"), "--preset", "tiny", "--type", "q4_k_m",
               "--layers", "2", "--kv-heads", "2")
    exe = compile_model(gguf, str(d / "avx2"), "--target=avx2")
    return d, gguf, run([exe], gguf, PROMPT, 6, str(d / "avx2.logits"))


@pytest.fixture(scope="module")
def stories(tmp_path_factory):
    d = os.path.join(require_models(), "stories260K")
    goldens = []
    for n in (1, 2, 3):
        with open(os.path.join(d, f"golden_{n}.json")) as f:
            g = json.load(f)
        goldens.append((g, np.fromfile(os.path.join(d, g["logits_file"]), "<f4")))
    return os.path.join(d, "stories260K.gguf"), goldens


def check(cmd, scmd, synthetic, stories, tmp):
    """`cmd` on the synthetic model gives the AVX2 program's output, `scmd`
    on stories260K gives llama.cpp's goldens."""
    _, gguf, (ids_ref, logits_ref) = synthetic
    ids, logits = run(cmd, gguf, PROMPT, 6, str(tmp / "m.logits"))
    assert ids == ids_ref
    assert_logits_close(logits, logits_ref.reshape(len(PROMPT) + 5, -1), 1e-4,
                        int_tol_if_used(gguf, list(PROMPT) + ids[:5]))
    sgguf, goldens = stories
    for g, gold in goldens:
        ids, logits = run(scmd, sgguf, g["prompt_ids"],
                          len(g["generated_ids"]), str(tmp / "g.logits"))
        assert ids == g["generated_ids"]
        assert np.abs(logits - gold).max() <= 1e-3


@pytest.mark.parametrize("target,cpu", ARM_RUNS)
def test_aarch64_programs_match_x86(tmp_path, synthetic, stories, target, cpu):
    qemu = need(QEMU_ARM, "qemu-aarch64-static")
    if (target, cpu) != ("sve", "max,sve256=on"):
        light_in_sanitized_build(f"{target} under -cpu {cpu}")
    _, gguf, _ = synthetic
    sgguf, _ = stories
    exe = compile_model(gguf, str(tmp_path / "m"), f"--target={target}")
    sexe = compile_model(sgguf, str(tmp_path / "s"), f"--target={target}")
    assert b"\x7fELF\x02\x01\x01" in open(exe, "rb").read(8)
    assert open(exe, "rb").read(20)[18] == 0xB7  # e_machine = EM_AARCH64
    # With the dot product extension the matmuls take the 16-row tiles
    # (llama.dot4_acc neon_dotprod: sdot) on weights packed at compile time.
    assert os.path.exists(exe + ".weights") == (target == "neon-dotprod")
    check([qemu, "-cpu", cpu, exe], [qemu, "-cpu", cpu, sexe], synthetic,
          stories, tmp_path)


def test_sve_programs_use_sve_and_refuse_cpus_without_it(tmp_path, stories):
    qemu = need(QEMU_ARM, "qemu-aarch64-static")
    sgguf, _ = stories
    exe = compile_model(sgguf, str(tmp_path / "s"),
                        "--target=aarch64-linux-gnu+sve+i8mm")
    dis = subprocess.run(["/usr/lib/llvm-22/bin/llvm-objdump", "-d",
                          "--mattr=+sve,+i8mm", exe], capture_output=True,
                         text=True).stdout
    # Vector-length-agnostic code: reads of the vector length (cnt*, rdvl)
    # and predicated tails (whilelo) exist only with scalable vectors.
    assert "whilelo" in dis and ("cntw" in dis or "rdvl" in dis)
    r = subprocess.run([qemu, "-cpu", "cortex-a53", exe, "-m", sgguf,
                        "--tokens", "1", "-n", "1"], capture_output=True,
                       text=True)
    assert r.returncode == 3
    assert "compiled for target 'aarch64-linux-gnu+sve+i8mm'" in r.stderr
    assert "lacks sve, i8mm" in r.stderr


def test_avx512_programs_use_zmm_and_match_avx2(tmp_path, synthetic, stories):
    _, gguf, _ = synthetic
    sgguf, _ = stories
    exe = compile_model(gguf, str(tmp_path / "m"), "--target=avx512")
    sexe = compile_model(sgguf, str(tmp_path / "s"), "--target=avx512")
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", exe],
                         capture_output=True, text=True).stdout
    assert "%zmm" in dis, "no 512-bit instructions in the avx512 program"
    if has_avx512():
        check([exe], [sexe], synthetic, stories, tmp_path)
    else:
        r = subprocess.run([exe, "-m", gguf, "--tokens", "1"],
                           capture_output=True, text=True)
        assert r.returncode == 3 and "lacks avx512f" in r.stderr, r.stderr


@pytest.mark.parametrize("target,cpu,missing", [
    ("avx512", "Haswell", "avx512f, avx512bw, avx512dq, avx512vl"),
    ("avx2", "Nehalem", "avx, avx2, fma, f16c"),
    ("avx2-vnni", "Haswell", "avxvnni"),
])
def test_x86_programs_refuse_cpus_without_their_features(tmp_path, target, cpu,
                                                         missing):
    qemu = need_x86_qemu()
    gguf = gen(str(tmp_path / "m.gguf"), "--layers", "1")
    exe = compile_model(gguf, str(tmp_path / "m"), f"--target={target}")
    r = subprocess.run([qemu, "-cpu", cpu, exe, "-m", gguf, "--tokens", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 3, r.stderr
    assert f"compiled for target '{target}'" in r.stderr
    assert f"lacks {missing};" in r.stderr


def test_avx2_program_runs_on_a_cpu_model_with_avx2(tmp_path, synthetic):
    qemu = need_x86_qemu()
    d, gguf, (ids_ref, logits_ref) = synthetic
    ids, logits = run([qemu, "-cpu", "Haswell", str(d / "avx2")], gguf, PROMPT,
                      6, str(tmp_path / "q.logits"))
    assert ids == ids_ref and np.abs(logits - logits_ref).max() == 0


def test_baseline_x86_program_runs_without_f16c_or_fma(tmp_path, synthetic):
    """The baseline x86-64 program converts the weights' f16 scales and
    multiplies-adds in plain SSE2 code (llama-legalize-float-ops): it
    neither calls fmaf nor links __extendhfsf2, runs on a CPU model without
    F16C and FMA, and gives the AVX2 program's tokens and its logits (the
    median position within 1e-5, each within the int8 bound)."""
    qemu = need_x86_qemu()
    _, gguf, (ids_ref, logits_ref) = synthetic
    exe = compile_model(gguf, str(tmp_path / "base"), "--target=x86-64")
    # Every symbol, defined or not: compiler-rt's __extendhfsf2 is linked
    # statically.
    nm = subprocess.run(["/usr/lib/llvm-22/bin/llvm-nm", exe],
                        capture_output=True, text=True, check=True)
    symbols = {line.split()[-1] for line in nm.stdout.splitlines() if line}
    assert not symbols & {"fmaf", "__extendhfsf2"}, "a libcall is left"
    ids, logits = run([qemu, "-cpu", "Nehalem", exe], gguf, PROMPT, 6,
                      str(tmp_path / "q.logits"))
    assert ids == ids_ref
    assert_logits_close(logits, logits_ref.reshape(len(PROMPT) + 5, -1), 1e-5,
                        int_tol_if_used(gguf, list(PROMPT) + ids[:5]))


def has_amx():
    try:
        flags = open("/proc/cpuinfo").read().split()
    except OSError:
        return False
    return has_avx512() and all(
        f in flags for f in ("avx512_vnni", "amx_tile", "amx_int8"))


def test_amx_prefill_is_the_vnni_prefill(tmp_path):
    """AMX tiles (blocks of 16 prompt tokens) sum the same exact int32 block
    dot products as AVX-512 VNNI and scale them with the same f32 operations:
    a 40-token prompt (two AMX blocks and 8 tokens left to VNNI) gives
    byte-identical logits, for a format with a bias (Q4_0), one read as
    signed bytes (Q8_0), one with mins (Q5_1) and the Q4_K/Q6_K mix (Q6_K's
    two halves per group). Where the CPU has no AMX the program refuses to
    start and names what is missing."""
    light_in_sanitized_build("AMX against VNNI")
    prompt = [1] + [20 + 11 * i for i in range(39)]
    for typ in ("q4_0", "q8_0", "q5_1", "q4_k_m"):
        gguf = gen(str(tmp_path / f"{typ}.gguf"), "--preset", "tiny", "--type",
                   typ, "--layers", "2", "--kv-heads", "2")
        amx = compile_model(gguf, str(tmp_path / f"{typ}-amx"),
                            "--target=avx512-amx")
        if not has_amx():
            r = subprocess.run([amx, "-m", gguf, "--tokens", "1"],
                               capture_output=True, text=True)
            assert r.returncode == 3, r.stderr
            assert "compiled for target 'avx512-amx'" in r.stderr
            assert "amx_int8" in r.stderr, r.stderr
            continue
        vnni = compile_model(gguf, str(tmp_path / f"{typ}-vnni"),
                             "--target=avx512-vnni")
        ids_a, l_a = run([amx], gguf, prompt, 6, str(tmp_path / "a.logits"))
        ids_v, l_v = run([vnni], gguf, prompt, 6, str(tmp_path / "v.logits"))
        assert ids_a == ids_v, typ
        assert l_a.tobytes() == l_v.tobytes(), (
            typ, float(np.abs(l_a - l_v).max()))


def test_every_int_dot_form_agrees(tmp_path):
    """Q4_0, Q8_0, Q4_K and Q6_K weights through the generic (x86-64)
    integer dot products on GGUF rows, and the tiles on weights packed at
    compile time of AVX2 and, where the CPU has them, AVX-VNNI and AVX-512
    VNNI: exact int32 sums, so the same tokens and logits up to the f32
    accumulation order."""
    light_in_sanitized_build("every integer dot product form")
    for typ in ("q4_0", "q8_0", "q4_k", "q6_k"):
        gguf = gen(str(tmp_path / f"{typ}.gguf"), "--preset", "tiny", "--type",
                   typ, "--layers", "2", "--kv-heads", "2")
        targets = ["x86-64", "avx2"]
        cpu = open("/proc/cpuinfo").read().split()
        if "avx_vnni" in cpu:
            targets.append("avx2-vnni")
        if all(f in cpu for f in ("avx512_vnni", "avx512vl", "avx512bw",
                                  "avx512dq", "avx512f")):
            targets.append("avx512-vnni")
        outs = {}
        for t in targets:
            exe = compile_model(gguf, str(tmp_path / f"{typ}-{t}"),
                                f"--target={t}")
            outs[t] = run([exe], gguf, PROMPT, 6, str(tmp_path / f"{t}.logits"))
        ids0, l0 = outs["avx2"]
        for t, (ids, logits) in outs.items():
            assert ids == ids0, t
            assert_logits_close(logits, l0.reshape(len(PROMPT) + 5, -1), 1e-5,
                                True)


@pytest.mark.parametrize("typ", ["q2_k", "q3_k"])
def test_row_kernel_types_on_every_cpu_target(tmp_path, typ):
    """Q2_K and Q3_K weights (row kernels: no packed tiles yet; Q2_K with a
    min per 16 elements) through every CPU target's integer dot products
    (the generic one on x86-64, AVX2, AVX-512 VNNI where the CPU has it,
    NEON without and with SDOT, SVE under QEMU), each against the numpy
    reference: the same tokens, logits within the tolerance of the
    activations' int8 rounding."""
    light_in_sanitized_build(f"{typ} on every CPU target")
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", typ,
               "--layers", "2", "--kv-heads", "2")
    prompt = [1] + [20 + 7 * i for i in range(18)]
    ref_ids, ref = greedy(Model(gguf), prompt, 4)
    runs = [("x86-64", []), ("avx2", [])]
    if has_avx512_vnni():
        runs.append(("avx512-vnni", []))
    if QEMU_ARM:
        runs += [("neon", [QEMU_ARM, "-cpu", "max,sve=off"]),
                 ("neon-dotprod", [QEMU_ARM, "-cpu", "max,sve=off"]),
                 ("sve", [QEMU_ARM, "-cpu", "max,sve256=on"])]
    for target, wrap in runs:
        exe = compile_model(gguf, str(tmp_path / target), f"--target={target}")
        ids, logits = run([*wrap, exe], gguf, prompt, 4,
                          str(tmp_path / f"{target}.logits"))
        assert ids == ref_ids, target
        assert_logits_close(logits, ref, TOL,
                            int_tol_if_used(gguf, prompt + ids[:-1]))
