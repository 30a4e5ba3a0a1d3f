"""What a hostile or careless user can do to the tools and the produced
program, and what must happen: one line naming the file, flag or field and a
non-zero exit, never a lost file, a signal, a hang or unbounded memory.

Each test here failed before the fix it guards (the program overwrote its
input, read /dev/zero to the end, generated from an unreadable -f, died of
SIGBUS without a word, exited 0 with its output lost, ...)."""

import os
import re
import resource
import shutil
import struct
import subprocess
import time

import pytest

from llama_ref.gguf import read_gguf
from test_adversarial import CRASH_MARKERS
from test_compiled import compile_model, gen, sanitized_build, tool

TIMEOUT = 60


def limited(limit_bytes):
    """A preexec_fn capping the address space (not under ASan, whose shadow
    memory needs terabytes of it)."""
    if sanitized_build():
        return None

    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return apply


def run(cmd, stdin=None, input=None, mem=None, timeout=TIMEOUT, **kw):
    return subprocess.run(cmd, capture_output=True, stdin=stdin, input=input,
                          timeout=timeout,
                          preexec_fn=limited(mem) if mem else None, **kw)


def one_line_error(r, *words, code=None):
    """A refusal: non-zero exit (not a signal), and stderr's last line names
    the problem (earlier lines may be the program's progress)."""
    err = r.stderr.decode(errors="replace") if isinstance(r.stderr, bytes) \
        else r.stderr
    assert r.returncode > 0, (r.returncode, err)
    if code is not None:
        assert r.returncode == code, (r.returncode, err)
    lines = [l for l in err.splitlines() if l.strip()]
    assert lines, "no message"
    for bad in CRASH_MARKERS:
        assert bad not in err, err
    for w in words:
        assert w in lines[-1], (w, err)
    return lines[-1]


#===----------------------------------------------------------------------===#
# llama-compile and llama-gguf outputs
#===----------------------------------------------------------------------===#

def test_compile_refuses_to_overwrite_its_input(tmp_path, stories_exe):
    model, _ = stories_exe
    own = tmp_path / "self.gguf"
    shutil.copy(model, own)
    link = tmp_path / "link.gguf"
    os.symlink(own, link)
    original = own.read_bytes()
    lc = tool("llama-compile")
    for args, cwd in [([str(own), "-o", str(own)], None),
                      (["self.gguf", "-o", "./self.gguf"], tmp_path),
                      ([str(link), "-o", str(own)], None),
                      ([str(own), "-o", str(link)], None),
                      ([str(own), "-o", str(own), "--emit=llama"], None)]:
        r = run([lc, *args], cwd=cwd)
        one_line_error(r, "is the input", "refusing to overwrite")
        assert own.read_bytes() == original
    r = run([lc, str(own), "-o", ""])
    one_line_error(r, "-o", "empty")
    assert not (tmp_path / "a.out").exists()


def test_failed_compile_leaves_an_existing_output_alone(tmp_path, stories_exe):
    model, _ = stories_exe
    out = tmp_path / "prog"
    out.write_bytes(b"keep me")
    bad = tmp_path / "bpe.gguf"
    bad.write_bytes(patch_string(open(model, "rb").read(),
                                 b"tokenizer.ggml.model", b"gpt2\0"))
    r = run([tool("llama-compile"), str(bad), "-o", str(out)])
    one_line_error(r, "tokenizer.ggml.model", "gpt2")
    assert out.read_bytes() == b"keep me"
    # A successful compile replaces it whole, executable, and leaves no
    # temporary beside it.
    r = run([tool("llama-compile"), model, "-o", str(out), "-O0"])
    assert r.returncode == 0, r.stderr
    assert os.access(out, os.X_OK) and out.read_bytes()[:4] == b"\x7fELF"
    assert sorted(os.listdir(tmp_path)) == ["bpe.gguf", "prog"]


def test_compile_reports_lost_output(stories_exe):
    model, _ = stories_exe
    r = run([tool("llama-compile"), model, "--emit=llama", "-o", "/dev/full"])
    one_line_error(r, "/dev/full", "write failed")
    with open("/dev/full", "wb") as full:
        r = subprocess.run([tool("llama-compile"), model, "--emit=llama"],
                           stdout=full, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    one_line_error(r, "standard output", "write failed")


def test_dequant_refuses_to_overwrite_its_input(tmp_path, stories_exe):
    model, _ = stories_exe
    own = tmp_path / "m.gguf"
    shutil.copy(model, own)
    r = run([tool("llama-gguf"), "dequant", str(own), "token_embd.weight",
             "-o", str(own)])
    one_line_error(r, "is the input", code=2)
    assert own.read_bytes() == open(model, "rb").read()


def test_gen_refuses_a_file_larger_than_the_disk_before_writing(tmp_path):
    out = tmp_path / "huge.gguf"
    t = time.time()
    r = run([tool("llama-gguf"), "gen", "-o", str(out), "--dim", "65536",
             "--layers", "4096", "--hidden-dim", "1048576"], mem=2 << 30)
    one_line_error(r, str(out), "bytes", code=1)
    assert time.time() - t < 20
    assert os.listdir(tmp_path) == []


#===----------------------------------------------------------------------===#
# The produced program's inputs
#===----------------------------------------------------------------------===#

def test_prompt_reads_are_bounded_by_the_context(tmp_path, stories_exe):
    model, exe = stories_exe
    big = tmp_path / "big.txt"
    big.write_bytes(b"Once upon a time. " * ((3 << 20) // 18))  # 3 MB
    for r in [run([exe, "-m", model, "-f", "/dev/zero"], mem=1 << 30,
                  timeout=20),
              run([exe, "-m", model, "-f", str(big)], mem=1 << 30,
                  timeout=20),
              run([exe, "-m", model, "--chat"], stdin=open("/dev/zero"),
                  mem=1 << 30, timeout=20)]:
        line = one_line_error(r, "bytes", "context of 128 tokens", code=2)
        assert "-f" in line or "--chat" in line
    # What fits is read and tokenized as before.
    ok = tmp_path / "ok.txt"
    ok.write_text("Once upon a time")
    r = run([exe, "-m", model, "-f", str(ok), "-n", "4", "--temp", "0"])
    assert r.returncode == 0 and r.stdout.startswith(b"Once upon a time")


def test_an_unreadable_prompt_file_is_an_error(tmp_path, stories_exe):
    model, exe = stories_exe
    for path, why in [(str(tmp_path), "Is a directory"),
                      (str(tmp_path / "absent.txt"), "No such file"),
                      ("/proc/self/mem", "Input/output error")]:
        r = run([exe, "-m", model, "-f", path, "-n", "2"])
        one_line_error(r, "-f " + path, why, code=1)
        assert r.stdout == b""


def test_a_fifo_model_is_refused_without_waiting(tmp_path, stories_exe):
    _, exe = stories_exe
    fifo = tmp_path / "model.gguf"
    os.mkfifo(fifo)
    r = run([exe, "-m", str(fifo), "-p", "hi"], timeout=20)
    one_line_error(r, str(fifo), "not a regular file", code=1)


def test_model_truncated_while_in_use_is_reported(tmp_path, stories_exe):
    model, exe = stories_exe
    own = tmp_path / "m.gguf"
    shutil.copy(model, own)
    p = subprocess.Popen([exe, "-m", str(own), "--chat", "-n", "4", "--temp",
                          "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdin.write(b"Tell me a story.\n")
    p.stdin.flush()
    first = p.stdout.readline()  # the first answer: the weights are mapped
    assert first.strip(), first
    os.truncate(own, 4096)
    try:
        p.stdin.write(b"And then?\n")
        p.stdin.close()
    except BrokenPipeError:
        pass
    p.wait(timeout=TIMEOUT)
    err = p.stderr.read().decode()
    assert p.returncode == 1, (p.returncode, err)
    assert str(own) in err and "changed while in use" in err, err


#===----------------------------------------------------------------------===#
# The produced program's outputs
#===----------------------------------------------------------------------===#

def test_lost_output_is_an_error(tmp_path, stories_exe):
    model, exe = stories_exe
    with open("/dev/full", "wb") as full:
        r = subprocess.run([exe, "-m", model, "-p", "Once", "-n", "8"],
                           stdout=full, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    one_line_error(r, "standard output", "write failed", code=1)
    r = run([exe, "-m", model, "--tokens", "1,403", "-n", "4",
             "--print-ids", "--logits-out", "/dev/full"])
    one_line_error(r, "--logits-out", "/dev/full", code=1)


def test_logits_out_never_replaces_the_model(tmp_path, stories_exe):
    model, exe = stories_exe
    own = tmp_path / "m.gguf"
    shutil.copy(model, own)
    r = run([exe, "-m", str(own), "--tokens", "1,403", "-n", "2",
             "--logits-out", str(own)])
    one_line_error(r, "--logits-out", "is the input", code=2)
    assert own.read_bytes() == open(model, "rb").read()


def test_non_finite_logits_stop_with_the_position(tmp_path, stories_exe):
    model, exe = stories_exe
    f = read_gguf(model)
    t = f.tensors["output_norm.weight"]
    data = bytearray(open(model, "rb").read())
    # The tensor's bytes in the file: find them by content.
    raw = bytes(t.data)
    at = data.index(raw)
    data[at:at + 4] = struct.pack("<f", float("nan"))
    bad = tmp_path / "nan.gguf"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    r = run([exe, "-m", str(bad), "--tokens", "1,403,407", "-n", "4",
             "--print-ids", "--logits-out", str(out / "l.f32")])
    one_line_error(r, "not finite", "position 2", code=1)
    assert r.stdout == b""
    # The unfinished --logits-out is neither renamed into place nor left
    # behind as a temporary.
    assert os.listdir(out) == []


def test_n_minus_one_fills_the_context(stories_exe):
    model, exe = stories_exe
    counts = []
    for n in ["-1", "1000"]:
        r = run([exe, "-m", model, "--tokens", "1", "-c", "10", "-n", n,
                 "--print-ids", "--temp", "0", "--ignore-eos"])
        assert r.returncode == 0, r.stderr
        counts.append(len(r.stdout.split()))
    # 1 prompt token + 9 evaluated generated tokens fill 10 positions; the
    # 10th generated token needs no position.
    assert counts == [10, 10]


def test_bench_reps_zero_says_what_is_expected(stories_exe):
    model, exe = stories_exe
    r = run([exe, "-m", model, "--bench", "--bench-reps", "0"])
    one_line_error(r, "--bench-reps", "1..", code=2)


#===----------------------------------------------------------------------===#
# Files that are valid GGUF but that a program could not run
#===----------------------------------------------------------------------===#

def patch_string(data, key, value):
    """The GGUF bytes with string key `key`'s value overwritten in place by
    `value` (as long as the old one)."""
    data = bytearray(data)
    at = data.index(key) + len(key) + 4 + 8  # value type, string length
    n = struct.unpack("<Q", data[at - 8:at])[0]
    assert len(value) == n, (value, n)
    data[at:at + n] = value
    return bytes(data)


def patch_u32(data, key, value):
    data = bytearray(data)
    needle = struct.pack("<Q", len(key)) + key
    at = data.index(needle) + len(needle)
    vtype = struct.unpack("<I", data[at:at + 4])[0]
    assert vtype == 4, vtype  # u32
    data[at + 4:at + 8] = struct.pack("<I", value)
    return bytes(data)


def test_a_huge_context_length_is_capped_by_default(tmp_path):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--layers", "1")
    data = patch_u32(open(gguf, "rb").read(), b"llama.context_length", 1 << 24)
    big = tmp_path / "big.gguf"
    big.write_bytes(data)
    r = run([tool("llama-compile"), str(big), "--emit=llama"])
    assert r.returncode == 0, r.stderr
    assert "n_ctx = 4096" in r.stdout.decode()
    assert "context_length is 16777216" in r.stderr.decode()
    exe = compile_model(str(big), str(tmp_path / "m"))
    r = run([exe, "-m", str(big), "--tokens", "1,300", "-n", "3",
             "--print-ids", "--temp", "0", "--ignore-eos"], mem=4 << 30)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == 3


def test_a_bpe_vocabulary_is_refused_at_compile_time(tmp_path):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--layers", "1")
    bad = tmp_path / "bpe.gguf"
    bad.write_bytes(patch_string(open(gguf, "rb").read(),
                                 b"tokenizer.ggml.model", b"gpt2\0"))
    r = run([tool("llama-compile"), str(bad), "-o", str(tmp_path / "m")])
    one_line_error(r, str(bad), "tokenizer.ggml.model", "gpt2", code=1)
    assert not (tmp_path / "m").exists()


#===----------------------------------------------------------------------===#
# First contact
#===----------------------------------------------------------------------===#

def test_help_shows_our_options_and_every_subcommand_has_one():
    r = run([tool("llama-compile"), "--help"])
    out = r.stdout.decode()
    assert r.returncode == 0
    assert "--target" in out and "--emit" in out and "--kv-type" in out
    assert "--x86-asm-syntax" not in out
    assert "--mlir-print-ir-before-all" not in out
    assert len(out.splitlines()) < 80, len(out.splitlines())
    hidden = run([tool("llama-compile"), "--help-hidden"]).stdout.decode()
    assert "--mlir-print-ir-before-all" in hidden
    for sub in ["info", "gen", "dequant"]:
        for flag in ["-h", "--help"]:
            r = run([tool("llama-gguf"), sub, flag])
            assert r.returncode == 0, (sub, flag, r.stderr)
            assert b"llama-gguf gen" in r.stdout


def test_verbose_stage_times_are_readable(tmp_path, stories_exe):
    model, _ = stories_exe
    r = run([tool("llama-compile"), model, "-v", "--emit=llama", "-o",
             str(tmp_path / "m.mlir")])
    assert r.returncode == 0
    line = r.stderr.decode().splitlines()[0]
    assert re.fullmatch(r"llama-compile: import: \d+\.\d (ms|s)", line) or \
        re.fullmatch(r"llama-compile: import: \d+\.\d\d s", line), line


def test_mlir_timing_lists_the_pipeline_passes(tmp_path, stories_exe):
    """--mlir-timing prints MLIR's per-pass time report for the compiler's
    pipeline (its own passes named), once the pipeline is done."""
    model, _ = stories_exe
    r = run([tool("llama-compile"), model, "--mlir-timing",
             "--mlir-timing-display=list", "--emit=llvm-mlir", "-o",
             str(tmp_path / "m.mlir")])
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "Execution time report" in err
    for name in ("LlamaConfigureKernelsPass", "LlamaLowerToLoopsPass",
                 "LlamaPlanMemoryPass", "Canonicalizer"):
        assert name in err, name


def test_compile_shows_its_stages_on_a_terminal_only(tmp_path, stories_exe):
    import pty
    model, _ = stories_exe
    out = str(tmp_path / "m.mlir")
    args = [tool("llama-compile"), model, "--emit=linalg", "-o", out]
    pid, fd = pty.fork()
    if pid == 0:  # the child: stderr is the terminal
        os.execv(args[0], args)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, data
    assert b"llama-compile: import (" in data, data
    assert b"llama-compile: mlir pipeline (" in data, data
    assert data.endswith(b"\r\x1b[K"), data  # the line is cleared at the end
    # Not a terminal: nothing on stderr.
    r = run(args)
    assert r.returncode == 0 and r.stderr == b"", r.stderr


def test_demo_says_a_missing_model_does_not_exist():
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    env = dict(os.environ)
    r = run(["bash", os.path.join(root, "scripts", "demo.sh"),
             "/no/such/model.gguf", "-p", "hi"], env=env)
    one_line_error(r, "/no/such/model.gguf", "does not exist")
