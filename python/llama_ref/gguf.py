"""GGUF reader for the numpy reference (format facts: shared/docs/GGUF.md).

read_gguf(path) returns a GGUFFile with the metadata as a dict and each
tensor's raw bytes as a zero-copy numpy view of a memory map;
GGUFFile.tensor(name) dequantizes a tensor to float32 with numpy's shape
reversed from GGUF's `ne` (so a matrix with ne = [K, N] becomes an (N, K)
array: N rows of K contiguous elements).
"""

import struct
from dataclasses import dataclass

import numpy as np

GGUF_MAGIC = b"GGUF"

# Metadata value types.
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR = {
    U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i",
    F32: "<f", BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d",
}

# ggml_type id -> (name, elements per block, bytes per block)
GGML_TYPES = {
    0: ("f32", 1, 4),
    1: ("f16", 1, 2),
    2: ("q4_0", 32, 18),
    3: ("q4_1", 32, 20),
    6: ("q5_0", 32, 22),
    7: ("q5_1", 32, 24),
    8: ("q8_0", 32, 34),
    10: ("q2_k", 256, 84),
    11: ("q3_k", 256, 110),
    12: ("q4_k", 256, 144),
    13: ("q5_k", 256, 176),
    14: ("q6_k", 256, 210),
    30: ("bf16", 1, 2),
}
GGML_TYPE_IDS = {name: tid for tid, (name, _, _) in GGML_TYPES.items()}


class GGUFError(Exception):
    pass


@dataclass
class TensorInfo:
    name: str
    ne: tuple          # GGUF order: ne[0] innermost
    ggml_type: int
    offset: int        # relative to the data section
    data: np.ndarray   # raw bytes (uint8 view into the map)

    @property
    def type_name(self):
        return GGML_TYPES[self.ggml_type][0]

    @property
    def shape(self):
        """numpy shape: ne reversed (outermost first)."""
        return tuple(reversed(self.ne))


class _Reader:
    def __init__(self, buf, path):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, n):
        if n < 0 or self.pos + n > len(self.buf):
            raise GGUFError(f"{self.path}: truncated at byte {self.pos} "
                            f"(wanted {n} more bytes of {len(self.buf)})")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def scalar(self, vtype):
        fmt = _SCALAR[vtype]
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self):
        n = self.scalar(U64)
        return bytes(self.take(n)).decode("utf-8", errors="replace")

    def value(self, vtype):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype = self.scalar(U32)
            count = self.scalar(U64)
            if etype in _SCALAR and etype != BOOL:
                dt = np.dtype(_SCALAR[etype])
                raw = self.take(count * dt.itemsize)
                return np.frombuffer(raw, dtype=dt).tolist()
            return [self.value(etype) for _ in range(count)]
        if vtype in _SCALAR:
            return self.scalar(vtype)
        raise GGUFError(f"{self.path}: unknown metadata value type {vtype} "
                        f"at byte {self.pos}")


class GGUFFile:
    def __init__(self, path):
        self.path = path
        self.mm = np.memmap(path, dtype=np.uint8, mode="r")
        r = _Reader(memoryview(self.mm), path)
        if bytes(r.take(4)) != GGUF_MAGIC:
            raise GGUFError(f"{path}: not a GGUF file (bad magic)")
        self.version = r.scalar(U32)
        if self.version not in (2, 3):
            raise GGUFError(f"{path}: unsupported GGUF version {self.version}")
        n_tensors = r.scalar(U64)
        n_kv = r.scalar(U64)
        self.metadata = {}
        for _ in range(n_kv):
            key = r.string()
            self.metadata[key] = r.value(r.scalar(U32))
        infos = []
        for _ in range(n_tensors):
            name = r.string()
            n_dims = r.scalar(U32)
            ne = tuple(r.scalar(U64) for _ in range(n_dims))
            infos.append((name, ne, r.scalar(U32), r.scalar(U64)))
        align = int(self.metadata.get("general.alignment", 32))
        data_start = (r.pos + align - 1) // align * align
        self.tensors = {}
        for name, ne, ttype, offset in infos:
            if ttype not in GGML_TYPES:
                raise GGUFError(f"{path}: tensor '{name}' has unsupported "
                                f"ggml_type {ttype}")
            _, block, nbytes = GGML_TYPES[ttype]
            count = int(np.prod(ne, dtype=np.uint64)) if ne else 1
            size = count // block * nbytes
            start = data_start + offset
            if start + size > len(self.mm):
                raise GGUFError(f"{path}: tensor '{name}' data "
                                f"[{start}, {start + size}) is past the end")
            self.tensors[name] = TensorInfo(
                name, ne, ttype, offset, self.mm[start:start + size])

    def get(self, key, default=None):
        return self.metadata.get(key, default)

    def tensor(self, name):
        """The tensor `name` dequantized to float32, numpy shape ne[::-1]."""
        from .quant import dequantize
        t = self.tensors[name]
        return dequantize(t.data, t.ggml_type, t.shape)


def read_gguf(path):
    return GGUFFile(path)
