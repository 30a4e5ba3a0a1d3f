"""Weight layouts packed at compile time, written from their definition in
include/llama-mlir/Codegen/PackedWeights.h (an independent check of the
C++ packer and of the kernels that read the layout).

rows16: for each tile of 16 rows and each group of 32 elements, the quants
of the 16 rows as unsigned bytes, 4 consecutive quants of row r at bytes
4r..4r+3 of each 64-byte step, then the 16 rows' float16 scales.
  Q8_0: 8 steps; step j holds elements 4j..4j+3, each quant + 128.
  Q4_0: 4 steps of nibble pairs; step c's low nibbles are elements
        4c..4c+3, its high nibbles elements 16+4c..16+4c+3 (quant + 8).
F16/BF16: no scales; element e of row r at bytes 32e + 2r of the group.
"""

import numpy as np

from .gguf import GGML_TYPE_IDS, GGML_TYPES

TILE_ROWS = 16
GROUP = 32


def has_rows16(type_name, n, k):
    return (type_name in ("q8_0", "q4_0", "f16", "bf16")
            and n % TILE_ROWS == 0 and k % GROUP == 0)


def pack_rows16(type_name, raw, n, k):
    """The rows16 bytes of `n` rows of `k` elements given as GGUF bytes."""
    if type_name in ("f16", "bf16"):
        # Per tile and group, element e of row r at bytes 32e + 2r.
        assert has_rows16(type_name, n, k)
        w = np.asarray(raw, dtype=np.uint8).view("<u2").reshape(
            n // TILE_ROWS, TILE_ROWS, k // GROUP, GROUP)
        return w.transpose(0, 2, 3, 1).copy().reshape(-1).view(np.uint8)
    _, block, nbytes = GGML_TYPES[GGML_TYPE_IDS[type_name]]
    assert block == GROUP and has_rows16(type_name, n, k)
    groups = k // GROUP
    b = np.asarray(raw, dtype=np.uint8).reshape(n // TILE_ROWS, TILE_ROWS,
                                                groups, nbytes)
    d = b[..., :2]                                   # [tile, row, group, 2]
    if type_name == "q8_0":
        # Element e = 4j + i of row r goes to byte 64j + 4r + i.
        q = (b[..., 2:] ^ 0x80).reshape(-1, TILE_ROWS, groups, 8, 4)
    else:
        # The GGUF byte qs[4c + i] (elements 4c + i and 16 + 4c + i) goes
        # to byte 64c + 4r + i unchanged.
        q = b[..., 2:].reshape(-1, TILE_ROWS, groups, 4, 4)
    q = q.transpose(0, 2, 3, 1, 4)                   # [tile, group, j, row, i]
    q = q.reshape(q.shape[0], groups, -1)
    d = d.transpose(0, 2, 1, 3).reshape(d.shape[0], groups, -1)
    return np.concatenate([q, d], axis=2).reshape(-1)
