"""Hostile GGUF files (hostile_gguf.py) against every tool that reads one:
`llama-gguf info`, `llama-gguf dequant`, `llama-compile --emit=llama` (the
import) and a program compiled once from the valid base model (its file
check against the compiled manifest, and for tokenizer cases its text path).

Every run has a timeout and (outside the sanitized build, whose shadow
memory needs an unlimited address space) a 4 GiB address-space limit. The
contract checked for each (case, tool):

  - it finishes before the timeout and is not killed by a signal, and
    nothing it prints looks like a crash report;
  - exit 0 only where the case lists the tool as acceptable (with a reason),
    and always where the case is a valid file; an accepting `run` prints one
    token id in the vocabulary;
  - a rejection exits 1 with a message that names the problem (one of the
    case's `mention` substrings): for `llama-gguf dequant`, `llama-compile`
    and the program exactly one stderr line, prefixed with the program's
    name; for `llama-gguf info` either that one line (a file it cannot
    parse) or, for a well-formed file that is not a valid Llama model, the
    header "llama-gguf: FILE is not a valid Llama model (N errors):"
    followed by exactly N lines "  [category] message" (its stdout then
    describes the file).

Known product defects are listed in XFAIL (case -> tool -> reason) and run
as strict xfails: when the product is fixed the test reports XPASS and the
entry must go.
"""

import concurrent.futures
import os
import re
import subprocess
import time

import pytest

import hostile_gguf as H
from test_compiled import compile_model, gen, sanitized_build, tool

# case name -> {tool: reason}: known product defects, run as strict xfails
# (none today; the four this suite found are fixed: multi-line compile
# errors, raw names with newlines in messages, a 64 MiB array taking over
# 4 GiB, a RoPE-scaled file accepted by a program compiled without it).
XFAIL = {}

# One xdist worker runs this module (--dist loadgroup): its `results`
# fixture runs the whole campaign on every core, once per worker that takes
# a test of the module, and two at once took each case three times longer.
pytestmark = pytest.mark.xdist_group("adversarial")

TIMEOUT_S = 30
AS_LIMIT_KIB = 4 << 20  # 4 GiB
SANITIZED = sanitized_build()
CRASH_MARKERS = ("Assertion", "terminate called", "Segmentation",
                 "AddressSanitizer", "LeakSanitizer", "runtime error:",
                 "Traceback", "Stack dump", "PLEASE submit a bug report",
                 "core dumped", "Aborted", "stack overflow")
TEXT_PROMPT = "Hello w\u00f6rld <0x41> </s> 123"
N_VOCAB = 512

# The sanitized build's compiler is several times slower: there the import
# runs on a representative subset (every other tool runs on every case).
SANITIZED_COMPILE = {
    "version_2", "trunc_in_tokens_array", "context_length_0",
    "embedding_length_0", "head_count_kv_3", "rms_epsilon_nan",
    "rope_scaling_linear_x4", "tokens_empty_consistent",
    "nested_array_depth_100000", "duplicate_key_with_newline",
    "tensor_offset_past_end", "dims_overflow_2p32_x_2p32", "ggml_type_iq4_xs",
    "attn_q_wrong_shape", "missing_output_weight", "attn_q_as_f16",
    "alignment_1_misaligned_data", "output_weight_nan", "block_count_2",
    "tokenizer_model_gpt2",
}


def selected(case, tool_name):
    if SANITIZED and case.big:
        return False
    if SANITIZED and tool_name == "compile":
        return case.name in SANITIZED_COMPILE
    return True


def params():
    out = []
    for c in H.CASES:
        for t in c.tools():
            marks = []
            reason = XFAIL.get(c.name, {}).get(t)
            if reason:
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            out.append(pytest.param(c.name, t, id=f"{c.name}-{t}",
                                    marks=marks))
    return out


class Result:
    def __init__(self, cmd, rc, stdout, stderr, timed_out, seconds,
                 output_ok=None):
        self.cmd, self.rc, self.stdout, self.stderr = cmd, rc, stdout, stderr
        self.timed_out, self.seconds, self.output_ok = (timed_out, seconds,
                                                        output_ok)

    def describe(self):
        return (f"command: {' '.join(self.cmd)}\nexit: {self.rc}"
                f"{' (timed out)' if self.timed_out else ''}\n"
                f"stderr: {self.stderr[:2000]!r}\nstdout: {self.stdout[:500]!r}")


def execute(cmd):
    """Runs cmd with the timeout and (outside the sanitized build) the
    address-space limit, set by a shell that then execs the command: a
    preexec_fn is not safe in the threads that run the cases in parallel."""
    full = cmd if SANITIZED else [
        "/bin/sh", "-c", f"ulimit -v {AS_LIMIT_KIB} && exec \"$@\"", "sh",
        *cmd]
    t0 = time.monotonic()
    try:
        r = subprocess.run(full, capture_output=True, timeout=TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
        rc, out, err, timed_out = r.returncode, r.stdout, r.stderr, False
    except subprocess.TimeoutExpired as e:
        rc, out, err, timed_out = None, e.stdout or b"", e.stderr or b"", True
    return Result(cmd, rc, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"), timed_out,
                  time.monotonic() - t0)


def command(tool_name, path, case_tensor, work, exe):
    if tool_name == "info":
        return [tool("llama-gguf"), "info", path]
    if tool_name == "dequant":
        return [tool("llama-gguf"), "dequant", path, case_tensor, "-o",
                work + ".f32"]
    if tool_name == "compile":
        return [tool("llama-compile"), path, "-o", work + ".mlir",
                "--emit=llama"]
    if tool_name == "run":
        return [exe, "-m", path, "--tokens", "1,2", "-n", "1", "--print-ids"]
    if tool_name == "run_text":
        return [exe, "-m", path, "-p", TEXT_PROMPT, "-n", "3", "-s", "7"]
    raise ValueError(tool_name)


def run_tool(tool_name, path, case_tensor, work, exe):
    r = execute(command(tool_name, path, case_tensor, work, exe))
    out = {"dequant": work + ".f32", "compile": work + ".mlir"}.get(tool_name)
    if out:
        r.output_ok = os.path.exists(out) and os.path.getsize(out) > 0
        if os.path.exists(out):
            os.remove(out)
    return r


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("adversarial")
    base = gen(str(d / "base.gguf"), "--preset", "tiny", "--layers", "1")
    exe = compile_model(base, str(d / "prog"))
    with open(base, "rb") as f:
        data = f.read()
    return str(d), base, exe, data


@pytest.fixture(scope="module")
def results(env):
    """(case, tool) -> Result for every selected run, in parallel; each case
    file exists only while its tools run."""
    d, _, exe, base = env
    parsed = H.parse(base)

    def job(index, case):
        tools = [t for t in case.tools() if selected(case, t)]
        if not tools:
            return {}
        # Numbered files: a message that names the file must not satisfy
        # the `mention` check through the case's name.
        path = os.path.join(d, f"{index:03d}.gguf")
        with open(path, "wb") as f:
            f.write(case.build(parsed.copy()))
        try:
            return {(case.name, t): run_tool(t, path, case.tensor,
                                             os.path.join(d, f"{index:03d}"),
                                             exe)
                    for t in tools}
        finally:
            os.remove(path)

    out = {}
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for r in pool.map(lambda a: job(*a), enumerate(H.CASES)):
            out.update(r)
    return out


def stderr_lines(r):
    return r.stderr.rstrip("\n").split("\n") if r.stderr.strip() else []


def check_not_crashed(r):
    assert not r.timed_out, f"did not finish in {TIMEOUT_S} s\n{r.describe()}"
    assert r.rc >= 0, f"killed by signal {-r.rc}\n{r.describe()}"
    assert r.rc < 128, f"exit {r.rc} (a signal?)\n{r.describe()}"
    for m in CRASH_MARKERS:
        assert m not in r.stderr and m not in r.stdout, \
            f"crash report ({m!r})\n{r.describe()}"


def check_accepted_output(tool_name, r):
    if tool_name == "run":
        ids = r.stdout.split()
        assert len(ids) == 1 and ids[0].isdigit() and int(ids[0]) < N_VOCAB, \
            f"expected one token id in [0, {N_VOCAB})\n{r.describe()}"
    if tool_name in ("dequant", "compile"):
        assert r.output_ok, f"exit 0 without an output file\n{r.describe()}"


def prefix(tool_name, exe):
    return {"info": "llama-gguf: ", "dequant": "llama-gguf: ",
            "compile": "llama-compile: "}.get(tool_name, exe + ": ")


def check_rejection(case, tool_name, r, exe):
    assert r.rc == 1, f"expected exit 1 for an invalid file\n{r.describe()}"
    lines = stderr_lines(r)
    assert lines, f"no error message\n{r.describe()}"
    assert lines[0].startswith(prefix(tool_name, exe)) and \
        lines[0][len(prefix(tool_name, exe)):].strip(), \
        f"the error does not start with {prefix(tool_name, exe)!r}\n" \
        f"{r.describe()}"
    header = re.search(r"is not a valid Llama model \((\d+) errors?\):$",
                       lines[0])
    if tool_name == "info" and header:
        n = int(header.group(1))
        assert n >= 1 and len(lines) == 1 + n, \
            f"expected {n} error lines after the header\n{r.describe()}"
        for line in lines[1:]:
            assert re.match(r"  \[[a-z-]+\] \S", line), \
                f"malformed error line {line!r}\n{r.describe()}"
    else:
        assert len(lines) == 1, \
            f"expected exactly one stderr line, got {len(lines)}\n" \
            f"{r.describe()}"
    if case.mention and tool_name not in case.acceptable():
        text = r.stderr.lower()
        assert any(m.lower() in text for m in case.mention), \
            f"the error names none of {case.mention}\n{r.describe()}"


CASES = {c.name: c for c in H.CASES}


@pytest.mark.parametrize("case_name,tool_name", params())
def test_hostile_file(results, env, case_name, tool_name):
    case = CASES[case_name]
    if (case_name, tool_name) not in results:
        pytest.skip("not run in the sanitized build (slow or large)")
    r = results[(case_name, tool_name)]
    exe = env[2]
    check_not_crashed(r)
    if case.level == "type" and tool_name == "info":
        # A valid file: described, its undecoded tensors named by type.
        assert r.rc == 0 and case.mention[0] in r.stdout, \
            f"info must describe the file and name {case.mention[0]!r}\n" \
            f"{r.describe()}"
    if r.rc == 0:
        acceptable = case.acceptable()
        assert tool_name in acceptable, \
            f"accepted a file it must reject ({case.level} error)\n" \
            f"{r.describe()}"
        check_accepted_output(tool_name, r)
    else:
        assert not case.valid, f"rejected a valid file\n{r.describe()}"
        check_rejection(case, tool_name, r, exe)


def test_writer_round_trips_the_base(env):
    """The generator's reader and writer reproduce the base file byte for
    byte, so every case differs from it only where the case says."""
    base = env[3]
    assert H.parse(base).emit() == base


def test_cases_are_many_distinct_and_differ_from_the_base(env):
    base = env[3]
    names = [c.name for c in H.CASES]
    assert len(names) == len(set(names)) and len(names) >= 60
    seen = {}
    for name, data in H.generate(base, [c.name for c in H.CASES
                                        if not c.big]):
        assert data != base, name
        assert data not in seen, f"{name} is the same file as {seen.get(data)}"
        seen[data] = name
    for c in H.CASES:
        assert c.level in ("format", "model", "type", "bind", "odd"), c.name
        if c.level in ("bind", "odd"):
            assert c.why, f"{c.name}: an acceptable case needs a reason"
        assert set(XFAIL.get(c.name, {})) <= set(c.tools()), c.name
    assert set(XFAIL) <= set(names), set(XFAIL) - set(names)


def test_base_is_accepted_by_every_tool(env):
    """The suite cannot pass vacuously: the unmodified base file passes
    every command the cases run."""
    d, base, exe, _ = env
    for t in H.Case.TOOLS + ("run_text",):
        r = run_tool(t, base, "blk.0.attn_q.weight",
                     os.path.join(d, "base-out"), exe)
        check_not_crashed(r)
        assert r.rc == 0, r.describe()
        check_accepted_output(t, r)
