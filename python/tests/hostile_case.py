"""The framework of the hostile GGUF cases (hostile_gguf.py): a `Case`, the
registry CASES that case() fills, and the builders the case files share.
The cases themselves are in hostile_cases_header.py (the header and the
key/value section) and hostile_cases_tensors.py (tensor infos and tensors
against the model); hostile_gguf.py says what each level means.
"""

import struct
from dataclasses import dataclass
from typing import Callable

from gguf_edit import *  # noqa: F401,F403 (the writer's types and helpers)


@dataclass
class Case:
    name: str
    build: Callable            # GGUF (a private copy of the base) -> bytes
    level: str                 # "format" | "model" | "type" | "bind" | "odd"
    why: str = ""              # why a tool may accept it (bind, odd)
    mention: tuple = ()        # a rejection names one of these
    tensor: str = "blk.0.attn_q.weight"  # what `llama-gguf dequant` reads
    text: bool = False         # also run the program on a text prompt
    text_rejects: bool = False  # ... which must then fail
    valid: bool = False        # every tool must accept it
    big: bool = False          # a large file: not in the sanitized build

    TOOLS = ("info", "dequant", "compile", "run")

    def tools(self):
        return self.TOOLS + (("run_text",) if self.text else ())

    def acceptable(self):
        """tool -> why exit 0 is fine; a tool not listed must reject."""
        if self.level == "format":
            return {}
        if self.level == "model":
            return {"dequant": "dequant reads one tensor of a well-formed "
                               "GGUF file and does not validate the model"}
        if self.level == "type":
            return {"info": "a valid GGUF file: info describes it and names "
                            "the tensors llama-mlir does not decode"}
        if self.level == "bind":
            return {t: self.why for t in self.tools()
                    if t not in ("run", "run_text")}
        assert self.level == "odd", self.level
        ok = {t: self.why for t in self.tools()}
        if self.text_rejects:
            ok.pop("run_text")
        return ok


CASES = []


def case(name, level, build, **kw):
    assert all(c.name != name for c in CASES), name
    if isinstance(kw.get("mention"), str):
        kw["mention"] = (kw["mention"],)
    CASES.append(Case(name, build, level, **kw))


def emitted(fn):
    """A builder that changes the model, then emits it."""
    def build(g):
        fn(g)
        return g.emit()
    return build


def set_kv(key, vtype, value):
    return emitted(lambda g: g.set(key, vtype, value))


def drop_kv(key):
    return emitted(lambda g: g.drop(key))


def patched(fn):
    """A builder that edits the base file's bytes: fn(bytearray, marks)."""
    def build(g):
        marks = {}
        b = bytearray(g.emit(marks))
        return bytes(fn(b, marks))
    return build


def truncated(at):
    """The base file cut at at(marks, size)."""
    def fn(b, marks):
        return b[:at(marks, len(b))]
    return patched(fn)


def with_tensor(name, fn, freeze=False):
    """Changes tensor `name` with fn(tensor, model); freeze: keep every
    other tensor's offset where it was."""
    def build(g):
        if freeze:
            g.freeze()
        fn(g.tensor(name), g)
        return g.emit()
    return build


def nested(depth):
    """An array nested `depth` levels deep, innermost one u8."""
    return Raw(struct.pack("<IQ", ARRAY, 1) * (depth - 1)
               + struct.pack("<IQ", U8, 1) + b"\x01")


def tokens(g):
    return g.find("tokenizer.ggml.tokens").value.items
