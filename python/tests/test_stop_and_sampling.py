"""Stop rules and sampler flags through the command line, built so that a
bug in each would be seen: EOS on a model where EOS really comes, and each
sampler flag on a setting where it changes the text (checked first) and a
setting where it must give the greedy text."""

import subprocess

import pytest

from test_compiled import compile_model, gen, tool


def run(exe, gguf, *args):
    r = subprocess.run([exe, "-m", gguf, *args], capture_output=True,
                       text=True, errors="replace", timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_eos_stops_generation_unless_ignored(tmp_path):
    # --eos-bias 10 scales EOS's output row: its logit then dominates at
    # some position within a few tokens.
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--layers", "1",
               "--eos-bias", "10")
    exe = compile_model(gguf, str(tmp_path / "m"))
    args = ["--tokens", "1,300", "-n", "50", "--temp", "0", "--print-ids"]
    ignored = run(exe, gguf, *args, "--ignore-eos").split()
    assert len(ignored) == 50
    assert "2" in ignored, "EOS never came: the test would prove nothing"
    stopped = run(exe, gguf, *args).split()
    assert stopped == ignored[:ignored.index("2")]
    # Text: the same tokens, EOS not printed.
    text = run(exe, gguf, "-p", "hello", "-n", "50", "--temp", "0")
    text_all = run(exe, gguf, "-p", "hello", "-n", "50", "--temp", "0",
                   "--ignore-eos")
    assert len(text) < len(text_all) and text_all.startswith(text[:-1])


def test_eos_bias_is_checked(tmp_path):
    r = subprocess.run([tool("llama-gguf"), "gen", "-o",
                        str(tmp_path / "m.gguf"), "--eos-bias", "-1"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--eos-bias" in r.stderr


BASE = ["-p", "Once upon a time", "-n", "40", "-s", "11", "--temp", "1.5"]
NONE = ["--top-k", "0", "--top-p", "1", "--min-p", "0"]  # no truncation


@pytest.mark.parametrize("flag,off,on", [
    ("--top-k", "0", "1"),
    ("--top-p", "1", "0"),
    ("--min-p", "0", "1"),
])
def test_each_truncation_flag_alone_gives_greedy_text(stories_exe, flag, off, on):
    gguf, exe = stories_exe
    greedy = run(exe, gguf, "-p", "Once upon a time", "-n", "40", "--temp",
                 "0")
    # Without truncation, temperature 1.5 strays from greedy...
    free = run(exe, gguf, *BASE, *NONE, flag, off)
    assert free != greedy
    # ...and this one flag alone brings it back.
    assert run(exe, gguf, *BASE, *NONE, flag, on) == greedy


def test_repeat_penalty_looks_back_repeat_last_n_tokens(stories_exe):
    gguf, exe = stories_exe
    base = ["-p", "Once upon a time", "-n", "60", "--temp", "0"]
    greedy = run(exe, gguf, *base)
    assert run(exe, gguf, *base, "--repeat-penalty", "2",
               "--repeat-last-n", "64") != greedy
    assert run(exe, gguf, *base, "--repeat-penalty", "2",
               "--repeat-last-n", "0") == greedy


def test_seeds(stories_exe):
    gguf, exe = stories_exe
    a = run(exe, gguf, *BASE, "-s", "5")
    assert a == run(exe, gguf, *BASE, "-s", "5")
    assert a != run(exe, gguf, *BASE, "-s", "6")
