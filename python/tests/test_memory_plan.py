"""The static memory plan (llama-plan-memory) in produced programs.

A program with the plan must compute exactly what one without it computes
(same bytes of logits), print its plan with llama-compile -v, and take no
fresh pages per generated token once warm."""

import os
import re
import resource
import subprocess

import pytest

from test_compiled import compile_model, sanitized_build, tool

# stories260K has a 512-token vocabulary.
PROMPT = [1, 403, 407, 261, 378, 263, 431, 292, 327, 471, 263, 217]


# Page faults count the production allocator's behaviour: ASan's allocator
# and shadow memory take pages of their own.
needs_plain_build = pytest.mark.skipif(
    sanitized_build(), reason="page faults: run by the normal build's tier")


def child_minor_faults(cmd):
    """Runs cmd to completion; the minor page faults it took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt
    r = subprocess.run(cmd, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt - before


def test_plan_printed_and_sized_for_the_context(stories_exe, tmp_path):
    gguf, _ = stories_exe
    r = subprocess.run([tool("llama-compile"), gguf, "-o", str(tmp_path / "m"),
                        "-O1", "-v", "-c", "64"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "memory plan (intermediates, sized for 64 tokens)" in r.stderr
    kib = lambda v, u: float(v) * (1024 if u == "MiB" else 1)
    plans = {m.group(1): (int(m.group(2)), kib(*m.group(3, 4)),
                          kib(*m.group(5, 6)))
             for m in re.finditer(r"(llama_\w+): (\d+) buffers, ([\d.]+) "
                                  r"(KiB|MiB) if allocated separately, "
                                  r"([\d.]+) (KiB|MiB) planned", r.stderr)}
    # The entry point and the one function its 5 layers share (the
    # layer's part of the arena is inside the entry point's plan).
    assert {"llama_prefill", "llama_prefill_layer_0"} <= plans.keys(), r.stderr
    assert "llama_prefill_layer_1" not in plans, r.stderr
    entry, layer = plans["llama_prefill"], plans["llama_prefill_layer_0"]
    assert layer[0] > 5, r.stderr
    # Without a plan every call's buffers would be separate allocations:
    # the entry's and 5 layers'. The plan reuses a dead layer's bytes.
    assert entry[2] < (entry[1] + 5 * layer[1]) / 2, r.stderr
    assert re.search(r"arena: [\d.]+ (KiB|MiB) \(peak", r.stderr)


def test_plan_gives_the_same_logits(stories_exe, tmp_path):
    gguf, planned = stories_exe
    unplanned = compile_model(gguf, str(tmp_path / "unplanned"),
                              "--memory-plan=false")
    out = {}
    for name, exe in (("planned", planned), ("unplanned", unplanned)):
        logits = str(tmp_path / (name + ".logits"))
        r = subprocess.run([exe, "-m", gguf, "--tokens",
                            ",".join(map(str, PROMPT)), "-n", "20",
                            "--temp", "0", "--ignore-eos", "--print-ids",
                            "--logits-out", logits],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        out[name] = (r.stdout, open(logits, "rb").read())
    assert out["planned"][0] == out["unplanned"][0]
    assert out["planned"][1] == out["unplanned"][1]


@needs_plain_build
def test_prefill_touches_fewer_pages_with_the_plan(stories_exe, tmp_path):
    """A 120-token prefill: without the plan and with the layers inline,
    every intermediate of the 5 layers is a separate allocation alive until
    the call returns (1.2 MiB); with it, the arena holds the live ones (0.3
    MiB at 128 tokens)."""
    gguf, planned = stories_exe
    unplanned = compile_model(gguf, str(tmp_path / "unplanned"),
                              "--memory-plan=false", "--share-layers=false")
    prompt = ",".join(str(1 + i * 37 % 500) for i in range(120))
    faults = {}
    for name, exe in (("planned", planned), ("unplanned", unplanned)):
        cmd = [exe, "-m", gguf, "--tokens", prompt, "-n", "1", "-t", "1"]
        faults[name] = min(child_minor_faults(cmd) for _ in range(3))
    # 4 KiB pages: about 230 fewer.
    assert faults["planned"] < faults["unplanned"] - 120, faults


@needs_plain_build
def test_decode_takes_no_fresh_pages_per_token(stories_exe):
    """Generating 100 more tokens may touch the KV cache rows they fill (5
    layers x K and V x 128 bytes per position: under 1 page per token in
    all) but allocate nothing: without a plan each prefill or decode buffer
    would be malloc'ed per call."""
    gguf, exe = stories_exe
    base = [exe, "-m", gguf, "--tokens", ",".join(map(str, PROMPT)),
            "--temp", "0", "--ignore-eos", "-t", "1"]
    short = min(child_minor_faults(base + ["-n", "8"]) for _ in range(3))
    long = min(child_minor_faults(base + ["-n", "108"]) for _ in range(3))
    assert long - short < 100, (short, long)
