"""A GGUF reader and writer for tests that must write what the format
forbids: every value keeps its type, and a parsed file can be re-emitted with
any change (keys with typed values, arrays and nested arrays, tensor infos,
alignment, data), including fields no valid file has (`Raw` bytes, a
`RawStr` whose length field lies, header counts that disagree with the
entries). Written from the format definition (shared/docs/GGUF.md).
hostile_gguf.py builds its cases with it.
"""

import copy
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Callable

# Metadata value types.
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_FMT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i",
        F32: "<f", BOOL: "<B", U64: "<Q", I64: "<q", F64: "<d"}

# ggml_type id -> (elements per block, bytes per block), as the format
# defines them (including types the project does not support).
GGML_BLOCKS = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22),
               7: (32, 24), 8: (32, 34), 9: (32, 36), 10: (256, 84),
               11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
               15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98),
               19: (256, 50), 20: (32, 18), 21: (256, 110), 22: (256, 82),
               23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4), 27: (1, 8),
               28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54),
               35: (256, 66)}
F32_T, F16_T, Q8_0_T = 0, 1, 8

NAN, INF = float("nan"), float("inf")


def tensor_nbytes(ne, ggml_type):
    block, nbytes = GGML_BLOCKS[ggml_type]
    count = 1
    for d in ne:
        count *= d
    return count // block * nbytes


def align_up(x, a):
    return (x + a - 1) // a * a


# ---------------------------------------------------------------------------
# Model of a file


class Raw:
    """Bytes written as they are in place of an encoded value."""

    def __init__(self, data):
        self.data = bytes(data)


class RawStr:
    """A gguf_string whose u64 length field says `length` but which is
    followed by `payload` only."""

    def __init__(self, length, payload=b""):
        self.length, self.payload = length, bytes(payload)


@dataclass
class Arr:
    etype: int
    items: object          # list of elements, or bytes for a U8/I8 array
    count: int = None      # the count field written; None: len(items)


@dataclass
class KV:
    key: object            # str, bytes or RawStr
    vtype: int
    value: object          # scalar, bytes/str (STRING), Arr, or Raw


@dataclass
class Tensor:
    name: object           # str, bytes or RawStr
    ne: list
    ggml_type: int
    data: bytes = b""
    offset: int = None     # None: laid out after the previous tensor
    n_dims: int = None     # None: len(ne)


def _key_str(k):
    return k if isinstance(k, str) else None


@dataclass
class GGUF:
    kvs: list = field(default_factory=list)
    tensors: list = field(default_factory=list)
    magic: bytes = b"GGUF"
    version: int = 3
    n_tensors: int = None  # header count written; None: len(tensors)
    n_kv: int = None       # likewise for kvs
    layout_align: int = None  # alignment used to lay out; None: the key's
    tail: bytes = b""      # appended after the data section

    def copy(self):
        return copy.deepcopy(self)

    # -- metadata
    def find(self, key):
        for kv in self.kvs:
            if _key_str(kv.key) == key:
                return kv
        return None

    def set(self, key, vtype, value):
        kv = self.find(key)
        if kv:
            kv.vtype, kv.value = vtype, value
        else:
            self.kvs.append(KV(key, vtype, value))
        return self

    def drop(self, key):
        kv = self.find(key)
        assert kv is not None, key
        self.kvs.remove(kv)
        return self

    # -- tensors
    def tensor(self, name):
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    def drop_tensor(self, name):
        self.tensors.remove(self.tensor(name))
        return self

    def alignment(self):
        if self.layout_align:
            return self.layout_align
        kv = self.find("general.alignment")
        if kv and isinstance(kv.value, int) and kv.vtype in _FMT \
                and 0 < kv.value <= 1 << 20 and kv.value & (kv.value - 1) == 0:
            return kv.value
        return 32

    def offsets(self):
        """Each tensor's offset in the data section (explicit or laid out)."""
        align, cursor, out = self.alignment(), 0, []
        for t in self.tensors:
            if t.offset is None:
                off = align_up(cursor, align)
                cursor = off + len(t.data)
            else:
                off = t.offset
            out.append(off)
        return out

    def freeze(self):
        """Makes every tensor's current offset explicit."""
        for t, off in zip(self.tensors, self.offsets()):
            t.offset = off
        return self

    def emit(self, marks=None):
        """The file's bytes; `marks` (a dict) receives byte positions of its
        parts: 'kv:KEY', 'kv:KEY:type', 'kv:KEY:value', 'ti:NAME',
        'ti:NAME:dims', 'ti:NAME:type', 'ti:NAME:offset', 'infos_end',
        'data_start', 'data_end'."""
        marks = {} if marks is None else marks
        out = bytearray()
        out += self.magic
        out += struct.pack("<I", self.version & 0xFFFFFFFF)
        out += struct.pack("<Q", len(self.tensors) if self.n_tensors is None
                           else self.n_tensors)
        out += struct.pack("<Q", len(self.kvs) if self.n_kv is None
                           else self.n_kv)
        for kv in self.kvs:
            name = _mark_name(kv.key)
            marks.setdefault(f"kv:{name}", len(out))
            out += enc_str(kv.key)
            marks.setdefault(f"kv:{name}:type", len(out))
            out += struct.pack("<I", kv.vtype)
            marks.setdefault(f"kv:{name}:value", len(out))
            out += enc_value(kv.vtype, kv.value)
        offsets = self.offsets()
        for t, off in zip(self.tensors, offsets):
            name = _mark_name(t.name)
            marks.setdefault(f"ti:{name}", len(out))
            out += enc_str(t.name)
            marks.setdefault(f"ti:{name}:dims", len(out))
            out += struct.pack("<I", len(t.ne) if t.n_dims is None
                               else t.n_dims)
            for d in t.ne:
                out += struct.pack("<Q", d)
            marks.setdefault(f"ti:{name}:type", len(out))
            out += struct.pack("<I", t.ggml_type)
            marks.setdefault(f"ti:{name}:offset", len(out))
            out += struct.pack("<Q", off)
        marks["infos_end"] = len(out)
        start = align_up(len(out), self.alignment())
        out += bytes(start - len(out))
        marks["data_start"] = start
        data = bytearray()
        for t, off in zip(self.tensors, offsets):
            end = off + len(t.data)
            if not t.data or end > 1 << 30:
                continue  # absurd offsets: nothing to write there
            if end > len(data):
                data += bytes(end - len(data))
            data[off:end] = t.data
        out += data
        marks["data_end"] = len(out)
        out += self.tail
        return bytes(out)


def _mark_name(s):
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode("utf-8", "replace")
    return "<raw>"


def enc_str(s):
    if isinstance(s, RawStr):
        return struct.pack("<Q", s.length) + s.payload
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    return struct.pack("<Q", len(s)) + bytes(s)


def enc_value(vtype, v):
    if isinstance(v, Raw):
        return v.data
    if vtype == STRING:
        return enc_str(v)
    if vtype == ARRAY:
        assert isinstance(v, Arr)
        n = len(v.items) if v.count is None else v.count
        head = struct.pack("<IQ", v.etype, n)
        if isinstance(v.items, (bytes, bytearray)):
            return head + bytes(v.items)
        if v.etype in _FMT and v.etype != BOOL:
            return head + struct.pack(f"<{len(v.items)}{_FMT[v.etype][1]}",
                                      *v.items)
        return head + b"".join(enc_value(v.etype, x) for x in v.items)
    return struct.pack(_FMT[vtype], v)


# ---------------------------------------------------------------------------
# Reader (well-formed files only: it parses the base model)


class _Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError(f"truncated at byte {self.pos}")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def scalar(self, vtype):
        f = _FMT[vtype]
        return struct.unpack(f, self.take(struct.calcsize(f)))[0]

    def string(self):
        return bytes(self.take(self.scalar(U64)))

    def value(self, vtype):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype, n = self.scalar(U32), self.scalar(U64)
            if etype in (U8, I8):
                return Arr(etype, bytes(self.take(n)))
            return Arr(etype, [self.value(etype) for _ in range(n)])
        if vtype in _FMT:
            return self.scalar(vtype)
        raise ValueError(f"unknown value type {vtype}")


def parse(data):
    r = _Reader(memoryview(data))
    g = GGUF()
    g.magic = bytes(r.take(4))
    if g.magic != b"GGUF":
        raise ValueError("bad magic")
    g.version = r.scalar(U32)
    n_tensors, n_kv = r.scalar(U64), r.scalar(U64)
    for _ in range(n_kv):
        key = r.string().decode("utf-8", "surrogateescape")
        vtype = r.scalar(U32)
        g.kvs.append(KV(key, vtype, r.value(vtype)))
    infos = []
    for _ in range(n_tensors):
        name = r.string().decode("utf-8", "surrogateescape")
        ne = [r.scalar(U64) for _ in range(r.scalar(U32))]
        infos.append((name, ne, r.scalar(U32), r.scalar(U64)))
    start = align_up(r.pos, g.alignment())
    end = start
    for name, ne, ttype, off in infos:
        n = tensor_nbytes(ne, ttype)
        g.tensors.append(Tensor(name, ne, ttype,
                                bytes(data[start + off:start + off + n])))
        end = max(end, start + off + n)
    g.tail = bytes(data[end:])
    # Offsets are left to the layout; the base model's layout is the
    # canonical one (checked by test_adversarial's round trip).
    return g
