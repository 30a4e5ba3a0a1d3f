"""Hostile GGUF files: a generator of malformed, absurd and odd variants of a
small valid Llama model, for test_adversarial.py.

The files are written with gguf_edit.py (a typed GGUF reader and a writer
that re-emits a parsed file with any change, fields the format forbids
included).

Each case is a `Case`: a name, a builder from the parsed base model to the
file's bytes, and what the tools may do with it:

  level "format"  the file is not a well-formed GGUF file: every tool must
                  reject it;
  level "model"   well-formed GGUF but not a valid Llama model: `llama-gguf
                  info`, `llama-compile` and the compiled program must reject
                  it; `llama-gguf dequant` (which reads one tensor and does not
                  validate the model) may accept it;
  level "type"    a valid Llama model whose weights use a type of the GGUF
                  format that llama-mlir does not decode: `llama-gguf info`
                  must describe it (it names those tensors), every other
                  tool must reject it;
  level "bind"    a valid Llama model that is not the one the program was
                  compiled for: the program must reject it, the other tools
                  may accept it;
  level "odd"     valid but unusual (or hostile in a way a tool may tolerate):
                  every tool may accept it (`why` says why); `valid=True`
                  means every tool must accept it.

Whatever a tool does it must terminate, must not die of a signal and must not
report a crash; a rejection is one line naming the problem (`mention`: one of
these substrings, case-insensitively, when given).

    python3 hostile_gguf.py BASE.gguf OUTDIR   # write every case to OUTDIR

BASE.gguf is `llama-gguf gen -o BASE.gguf --preset tiny --layers 1` (f32).
"""

import json
import os
import sys

from gguf_edit import parse  # noqa: F401 (test_adversarial reads H.parse)
from hostile_case import CASES, Case  # noqa: F401
import hostile_cases_header  # noqa: F401,E402 (registers its cases)
import hostile_cases_tensors  # noqa: F401,E402 (registers its cases)


def generate(base_bytes, names=None):
    """[(name, bytes)] for every case (or those in `names`)."""
    base = parse(base_bytes)
    return [(c.name, c.build(base.copy())) for c in CASES
            if names is None or c.name in names]


def write_cases(base_path, outdir, names=None):
    """Writes OUTDIR/NAME.gguf for every case and OUTDIR/cases.json (the
    expectations); returns {name: path}."""
    with open(base_path, "rb") as f:
        base = f.read()
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name, data in generate(base, names):
        paths[name] = os.path.join(outdir, name + ".gguf")
        with open(paths[name], "wb") as f:
            f.write(data)
    with open(os.path.join(outdir, "cases.json"), "w") as f:
        json.dump({c.name: {"level": c.level, "why": c.why,
                            "mention": list(c.mention),
                            "acceptable": c.acceptable(), "valid": c.valid}
                   for c in CASES if c.name in paths}, f, indent=1)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: hostile_gguf.py BASE.gguf OUTDIR")
    for name in write_cases(sys.argv[1], sys.argv[2]):
        print(name)
