"""The produced program as a user meets it: text prompts through the
tokenizer, streamed text, sampling flags, seeds, chat, and errors."""

import json
import os
import subprocess

import pytest

from conftest import require_models
from test_compiled import compile_model, gen, tool


@pytest.fixture(scope="module")
def stories(tmp_path_factory):
    d = os.path.join(require_models(), "stories260K")
    exe = str(tmp_path_factory.mktemp("cli") / "stories260k")
    compile_model(os.path.join(d, "stories260K.gguf"), exe)
    return os.path.join(d, "stories260K.gguf"), exe, d


def run(exe, gguf, *args, stdin=None):
    r = subprocess.run([exe, "-m", gguf, *args], capture_output=True, text=True,
                       input=stdin)
    return r


@pytest.mark.parametrize("n", [1, 2, 3])
def test_text_prompt_reproduces_the_golden_text(stories, n):
    gguf, exe, d = stories
    with open(os.path.join(d, f"golden_{n}.json")) as f:
        g = json.load(f)
    r = run(exe, gguf, "-p", g["prompt"], "-n", str(len(g["generated_ids"])),
            "--temp", "0")
    assert r.returncode == 0, r.stderr
    # stdout: the prompt as given, then the continuation, then a newline.
    # The golden text is " " + prompt + continuation (the piece of the
    # prefixed space).
    assert g["text"].startswith(" " + g["prompt"])
    continuation = g["text"][len(g["prompt"]) + 1:]
    assert r.stdout == g["prompt"] + continuation + "\n"
    assert "prompt %d tokens" % len(g["prompt_ids"]) in r.stderr


def test_last_token_logits_only_change_nothing(stories, tmp_path):
    """Without --logits-out the prompt's prefill computes only the last
    token's logits (the output matmul of one row); with it, every row. Same
    text either way, and every row is in the file."""
    gguf, exe, _ = stories
    args = ["-p", "Once upon a time, there was a", "-n", "12", "--temp", "0"]
    a = run(exe, gguf, *args)
    out = tmp_path / "l.f32"
    b = run(exe, gguf, *args, "--logits-out", str(out))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout
    prompt = int(a.stderr.split("prompt ")[1].split()[0])
    assert out.stat().st_size == (prompt + 11) * 512 * 4


def test_prompt_from_file(stories, tmp_path):
    gguf, exe, _ = stories
    p = tmp_path / "prompt.txt"
    p.write_text("Once upon a time")
    a = run(exe, gguf, "-f", str(p), "-n", "20", "--temp", "0")
    b = run(exe, gguf, "-p", "Once upon a time", "-n", "20", "--temp", "0")
    assert a.returncode == 0 and a.stdout == b.stdout


def test_seeded_sampling_is_reproducible(stories):
    gguf, exe, _ = stories
    args = ["-p", "Once upon a time", "-n", "40", "--temp", "1.0"]
    a = run(exe, gguf, *args, "-s", "123")
    b = run(exe, gguf, *args, "--seed", "123")
    c = run(exe, gguf, *args, "-s", "124")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert a.stdout != c.stdout
    assert "seed 123" in a.stderr


def test_sampling_flags_change_the_output(stories):
    gguf, exe, _ = stories
    base = ["-p", "Once upon a time", "-n", "30", "-s", "5"]
    greedy = run(exe, gguf, *base, "--temp", "0").stdout
    # top-k 1 is greedy whatever the temperature.
    assert run(exe, gguf, *base, "--temp", "1.5", "--top-k", "1").stdout == greedy
    # A strong repetition penalty changes greedy text.
    pen = run(exe, gguf, *base, "--temp", "0", "--repeat-penalty", "2.0").stdout
    assert pen != greedy


def test_chat_keeps_the_cache_across_turns(stories):
    gguf, exe, _ = stories
    r = run(exe, gguf, "--chat", "--system", "You tell stories.", "-n", "12",
            "--temp", "0", stdin="Tell me a story.\nWhat happened next?\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert len([l for l in lines if l.strip()]) == 2, r.stdout
    # Two turns evaluated: the second prompt's tokens continue the first
    # conversation, so the total prompt count covers both turns.
    prompt_tokens = int(r.stderr.split("prompt ")[1].split(" tokens")[0])
    assert prompt_tokens > 20
    # The same turns give the same transcript (greedy).
    r2 = run(exe, gguf, "--chat", "--system", "You tell stories.", "-n", "12",
             "--temp", "0", stdin="Tell me a story.\nWhat happened next?\n")
    assert r2.stdout == r.stdout


def test_help_lists_every_flag_with_defaults(stories):
    gguf, exe, _ = stories
    r = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for flag in ["-m", "-p", "-f", "-n", "-c", "--seed", "--temp", "--top-k",
                 "--top-p", "--min-p", "--repeat-penalty", "--repeat-last-n",
                 "--ignore-eos", "--threads", "--kv-type", "--tokens",
                 "--print-ids", "--logits-out", "--chat", "--system"]:
        assert flag in r.stdout, flag
    assert "default: 0.8" in r.stdout and "default: 40" in r.stdout


def test_bpe_vocabulary_is_refused(tmp_path):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--layers", "1")
    exe = compile_model(gguf, str(tmp_path / "m"))
    data = bytearray(open(gguf, "rb").read())
    key = b"tokenizer.ggml.model"
    at = data.index(key) + len(key) + 4 + 8  # type, string length
    assert data[at:at + 5] == b"llama"
    data[at:at + 5] = b"gpt2\x00"[:5]
    bad = tmp_path / "bpe.gguf"
    bad.write_bytes(bytes(data))
    r = run(exe, str(bad), "-p", "hi")
    assert r.returncode == 1
    assert "tokenizer.ggml.model" in r.stderr


def test_thread_count_does_not_change_the_text(stories):
    gguf, exe, _ = stories
    args = ["-p", "Once upon a time", "-n", "40", "-s", "9"]
    outs = {run(exe, gguf, *args, "-t", str(t)).stdout for t in (1, 2, 3)}
    assert len(outs) == 1


def test_thread_count_and_split_do_not_change_the_logits(stories, tmp_path):
    """The pool hands out chunks of each loop as threads come free, so the
    split differs from run to run: every row's logits must not."""
    gguf, exe, _ = stories
    args = ["-p", "Once upon a time, there was a", "-n", "16", "--temp", "0"]
    files = set()
    for i, t in enumerate((1, 2, 2, 2, 3, 3)):
        out = tmp_path / f"l{i}.f32"
        r = run(exe, gguf, *args, "-t", str(t), "--logits-out", str(out))
        assert r.returncode == 0, r.stderr
        files.add(out.read_bytes())
    assert len(files) == 1
