"""Weight layouts packed at compile time, written from their definition in
include/llama-mlir/Codegen/PackedWeights.h (an independent check of the
C++ packer and of the kernels that read the layout).

rows16: for each tile of 16 rows and each group of 32 elements, the quants
of the 16 rows as unsigned bytes, 4 consecutive quants of row r at bytes
4r..4r+3 of each 64-byte step, then the 16 rows' float16 scales.
  Q8_0: 8 steps; step j holds elements 4j..4j+3, each quant + 128.
  Q4_0: 4 steps of nibble pairs; step c's low nibbles are elements
        4c..4c+3, its high nibbles elements 16+4c..16+4c+3 (quant + 8).
  Q4_K: per super-block of 256 (8 sub-blocks s of 32): sub-block s's
        quants as Q4_0's nibble steps at byte 256s (unsigned, no bias);
        byte 2048 + 16s + r = (sc & 15) | (m & 15) << 4; the uint32 at
        2176 + 4r holds sc >> 4 at bits 4s, m >> 4 at bits 4s + 2; then
        the 16 float16 d, then the 16 float16 dmin.
  Q6_K: per super-block of 256 (8 sub-blocks s of 32), q the 6-bit quant:
        the low 4 bits of sub-block s as Q4_0's nibble steps at byte 256s;
        byte 2048 + 128s + 64h + 4r + i holds at bits 2c, 2c + 1 the high
        2 bits of q[r, 32s + 16h + 4c + i]; byte 3072 + 16t + r the int8
        scale of 16-element sub-block t; then the 16 float16 d.
F16/BF16: no scales; element e of row r at bytes 32e + 2r of the group.
"""

import numpy as np

from .gguf import GGML_TYPE_IDS, GGML_TYPES
from .quant import _k_scales

TILE_ROWS = 16
GROUP = 32


def has_rows16(type_name, n, k):
    unit = 256 if type_name in ("q4_k", "q6_k") else GROUP
    return (type_name in ("q8_0", "q4_0", "q4_k", "q6_k", "f16", "bf16")
            and n % TILE_ROWS == 0 and k % unit == 0)


def _nibble_steps(q):
    """[..., 32] quants (0..15) of each row of a tile [..., 16, 32] as 4
    64-byte steps: step c, byte 4r + i = q[r, 4c + i] | q[r, 16 + 4c + i] << 4."""
    lo, hi = q[..., :16], q[..., 16:]
    b = (lo | (hi << 4)).astype(np.uint8)           # [..., row, 16]
    b = b.reshape(b.shape[:-1] + (4, 4))            # [..., row, c, i]
    return np.swapaxes(b, -3, -2)                   # [..., c, row, i]


def _pack_q6_k(raw, n, k):
    units = k // 256
    b = np.asarray(raw, dtype=np.uint8).reshape(n // TILE_ROWS, TILE_ROWS,
                                                units, 210)
    b = b.transpose(0, 2, 1, 3)                     # [tile, unit, row, byte]
    lead = b.shape[:3]
    # Element e = 128h + 32p + l: low 4 bits in nibble p // 2 of
    # ql[64h + 32(p % 2) + l], high 2 bits at bit 2p of qh[32h + l].
    ql = b[..., :128].reshape(lead + (2, 2, 32))    # [.., h, p % 2, l]
    low = np.stack([ql & 0xF, ql >> 4], axis=-3)    # [.., h, p // 2, p % 2, l]
    low = low.reshape(lead + (256,))
    qh = b[..., 128:192].reshape(lead + (2, 1, 32))
    high = (qh >> (2 * np.arange(4, dtype=np.uint8)[:, None])) & 3
    high = high.reshape(lead + (256,))              # [.., h, p, l]
    low = low.reshape(lead + (8, 32))               # [.., row, s, 32]
    steps = _nibble_steps(np.swapaxes(low, -3, -2))  # [.., s, c, row, i]
    steps = steps.reshape(b.shape[:2] + (2048,))
    hi = high.reshape(lead + (8, 2, 4, 4))          # [.., row, s, h, c, i]
    hb = np.zeros(lead + (8, 2, 4), np.uint8)
    for c in range(4):
        hb |= (hi[..., c, :] << (2 * c)).astype(np.uint8)
    hb = hb.transpose(0, 1, 3, 4, 2, 5)             # [tile, unit, s, h, row, i]
    hb = hb.reshape(b.shape[:2] + (1024,))
    sc = np.swapaxes(b[..., 192:208], -1, -2).reshape(b.shape[:2] + (256,))
    d = b[..., 208:210].reshape(b.shape[:2] + (32,))
    return np.concatenate([steps, hb, sc, d], axis=2).reshape(-1)


def _pack_q4_k(raw, n, k):
    units = k // 256
    b = np.asarray(raw, dtype=np.uint8).reshape(n // TILE_ROWS, TILE_ROWS,
                                                units, 144)
    b = b.transpose(0, 2, 1, 3)                     # [tile, unit, row, byte]
    qs = b[..., 16:].reshape(b.shape[:3] + (4, 32))
    # Element 64c + 32h + l is nibble h of qs[32c + l].
    q = np.stack([qs & 0xF, qs >> 4], axis=-2)      # [.., row, c, h, 32]
    q = q.reshape(b.shape[:3] + (8, 32))            # [.., row, s, 32]
    steps = _nibble_steps(np.swapaxes(q, -3, -2))   # [.., s, c, row, i]
    steps = steps.reshape(b.shape[:2] + (2048,))
    sc, mn = _k_scales(b[..., 4:16].reshape(-1, 12))
    sc = sc.astype(np.uint32).reshape(b.shape[:3] + (8,))
    mn = mn.astype(np.uint32).reshape(b.shape[:3] + (8,))
    low = ((sc & 15) | ((mn & 15) << 4)).astype(np.uint8)
    low = np.swapaxes(low, -1, -2).reshape(b.shape[:2] + (128,))
    high = np.zeros(b.shape[:3], np.uint32)
    for s in range(8):
        high |= ((sc[..., s] >> 4) | ((mn[..., s] >> 4) << 2)) << (4 * s)
    high = high.astype("<u4").view(np.uint8).reshape(b.shape[:2] + (64,))
    d = b[..., 0:2].reshape(b.shape[:2] + (32,))
    dmin = b[..., 2:4].reshape(b.shape[:2] + (32,))
    return np.concatenate([steps, low, high, d, dmin], axis=2).reshape(-1)


def pack_rows16(type_name, raw, n, k):
    """The rows16 bytes of `n` rows of `k` elements given as GGUF bytes."""
    if type_name in ("q4_k", "q6_k"):
        assert has_rows16(type_name, n, k)
        return (_pack_q4_k if type_name == "q4_k" else _pack_q6_k)(raw, n, k)
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
