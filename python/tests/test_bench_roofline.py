"""The roofline a program's --bench reports: measured peaks of the widest
instructions the CPU has, and prefill's bound taken at the int8-dot peak (on
AMX CPUs, for the layers, the AMX peak) for the matmuls whose weights go
through integer dot products."""

import json
import re
import subprocess

import pytest

from test_compiled import compile_model, gen


def test_bench_divides_int_dot_matmuls_by_the_int8_peak(tmp_path):
    gguf = gen(str(tmp_path / "q8.gguf"), "--preset", "tiny", "--type", "q8_0")
    exe = compile_model(gguf, str(tmp_path / "q8"), "--target=host")
    r = subprocess.run([exe, "-m", gguf, "--bench", "--bench-pp", "16",
                        "--bench-tg", "4", "--bench-reps", "1",
                        "--bench-format", "json", "-t", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    b = json.loads(r.stdout)
    cpu = open("/proc/cpuinfo").read()
    vnni = re.search(r"\b(avx512_vnni|avx_vnni)\b", cpu) is not None
    # Without VNNI, x86 CPUs with AVX2 have the peak of vpmaddubsw chains
    # summed in 16 bits, then vpmaddwd.
    avx2 = re.search(r"\bavx2\b", cpu) is not None
    assert b["fma_peak_gflop_s"] > 0 and b["read_bandwidth_gb_s"] > 0
    assert b["int_dot_params"] == pytest.approx(b["matmul_params"])
    pp = next(t for t in b["tests"] if t["test"].startswith("pp"))
    # The output matmul runs once per prompt of 16 tokens (only the last
    # token's logits).
    out = b["output_params"]
    assert 0 < out < b["matmul_params"]
    if vnni:
        # One vpdpbusd does 4x the multiply-adds of an FMA on the same
        # width: the int8 peak is well above the fp32 one.
        assert b["int8_dot_peak_gop_s"] > 1.5 * b["fma_peak_gflop_s"]
        int_peak = b["int8_dot_peak_gop_s"]
    elif avx2:
        assert b["int8_dot_peak_gop_s"] > 0
        int_peak = b["int8_dot_peak_gop_s"]
    else:
        assert b["int8_dot_peak_gop_s"] == 0
        int_peak = b["fma_peak_gflop_s"]
    # On an AMX CPU the host program multiplies the prompt's blocks of 16
    # tokens in tile registers: the layers' matmuls at the AMX peak (well
    # above the vpdpbusd one), the output matmul (the last token only) at
    # the int8 dot peak.
    flags = cpu.split()
    amx = b["amx_int8_peak_gop_s"]
    if vnni and all(f in flags for f in ("avx512_vnni", "amx_tile",
                                         "amx_int8")):
        assert amx > 2 * b["int8_dot_peak_gop_s"]
        layer_peak = amx
    else:
        assert amx == 0
        layer_peak = int_peak
    seconds = (2 * (b["matmul_params"] - out) / (layer_peak * 1e9) +
               2 * out / 16 / (int_peak * 1e9))
    assert pp["roofline_tokens_per_s"] == pytest.approx(1 / seconds, rel=1e-3)
