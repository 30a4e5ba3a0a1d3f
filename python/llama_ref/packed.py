"""Weight layouts packed at compile time, written from their definition in
include/llama-mlir/Codegen/PackedWeights.h (an independent check of the
C++ packer and of the kernels that read the layout).

rows16: per tile of 16 rows and unit (a GGUF block of 32, a super-block of
256 for the K-quants, 32 elements of F16/BF16), the unit's bytes of the 16
rows rearranged; 4 consecutive quants of row r at bytes 4r..4r+3 of each
64-byte step.
  Q8_0: 8 steps; step j holds elements 4j..4j+3, each quant + 128; then
        the 16 float16 d.
  Nibble formats (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K), per group s of 32:
        4 steps of nibble pairs at byte 256s; step c's low nibbles are the
        low 4 bits of elements 4c..4c+3, its high nibbles those of
        16+4c..16+4c+3 (the stored unsigned quants: q + 8 for Q4_0, q + 16
        for Q5_0). Q5_x: one 64-byte plane per group whose byte 4r + i
        holds at bit j the fifth bit of step j's quant (step j < 4:
        element 4j + i, else 16 + 4(j - 4) + i).
        Q4_0: d at 256. Q5_0: d at 256, plane at 288. Q4_1: d at 256, m at
        288. Q5_1: d, m, plane at 320.
        Q4_K/Q5_K: byte 2048 + 16s + r = (sc & 15) | (m & 15) << 4; the
        uint32 at 2176 + 4r holds sc >> 4 at bits 4s, m >> 4 at bits
        4s + 2; d at 2240, dmin at 2272; Q5_K's planes at 2304 + 64s.
  Q6_K: per super-block of 256 (8 sub-blocks s of 32), q the 6-bit quant:
        the low 4 bits of sub-block s as the nibble steps at byte 256s;
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
NIBBLE_TYPES = ("q4_0", "q4_1", "q5_0", "q5_1", "q4_k", "q5_k")
K_TYPES = ("q4_k", "q5_k", "q6_k")


def has_rows16(type_name, n, k):
    unit = 256 if type_name in K_TYPES else GROUP
    return (type_name in ("q8_0", "q6_k", "f16", "bf16") + NIBBLE_TYPES
            and n % TILE_ROWS == 0 and k % unit == 0)


def _nibble_steps(q):
    """[..., 32] quants (0..15) of each row of a tile [..., 16, 32] as 4
    64-byte steps: step c, byte 4r + i = q[r, 4c + i] | q[r, 16 + 4c + i] << 4."""
    lo, hi = q[..., :16], q[..., 16:]
    b = (lo | (hi << 4)).astype(np.uint8)           # [..., row, 16]
    b = b.reshape(b.shape[:-1] + (4, 4))            # [..., row, c, i]
    return np.swapaxes(b, -3, -2)                   # [..., c, row, i]


def _fifth_plane(q):
    """[..., 16 rows, 32] 5-bit quants: the 64-byte plane whose byte 4r + i
    holds at bit j the fifth bit of step j's element of lane i."""
    bit = (q >> 4) & 1                              # [..., row, 32]
    # Step j < 4 is element 4j + i, step 4 + c element 16 + 4c + i: the
    # element order is already step-major.
    bit = bit.reshape(bit.shape[:-1] + (8, 4))      # [..., row, j, i]
    plane = np.zeros(bit.shape[:-2] + (4,), np.uint8)
    for j in range(8):
        plane |= (bit[..., j, :] << j).astype(np.uint8)
    return plane.reshape(plane.shape[:-2] + (64,))  # [..., 4r + i]


def _raw_quants(type_name, b):
    """The stored unsigned quants [..., elements] of GGUF blocks b[..., bytes]
    of a nibble format."""
    def small(qs):
        q = b[..., qs:qs + 16]
        return np.concatenate([q & 0xF, q >> 4], axis=-1)

    def fifth(qh):
        h = b[..., qh:qh + 4].copy().view("<u4")     # [..., 1]
        return ((h >> np.arange(32, dtype=np.uint32)) & 1).astype(np.uint8)

    if type_name == "q4_0":
        return small(2)
    if type_name == "q4_1":
        return small(4)
    if type_name == "q5_0":
        return small(6) | (fifth(2) << 4)
    if type_name == "q5_1":
        return small(8) | (fifth(4) << 4)
    # Q4_K/Q5_K: element 64c + 32h + l is nibble h of qs[32c + l]; Q5_K's
    # fifth bit of sub-block j = 2c + h is bit j of qh[l].
    qs = b[..., 48:176] if type_name == "q5_k" else b[..., 16:144]
    qs = qs.reshape(qs.shape[:-1] + (4, 32))
    q = np.stack([qs & 0xF, qs >> 4], axis=-2)       # [..., c, h, l]
    q = q.reshape(q.shape[:-3] + (256,))
    if type_name == "q5_k":
        qh = b[..., 16:48]                            # [..., l]
        hb = (qh[..., None, :] >> np.arange(8, dtype=np.uint8)[:, None]) & 1
        q = q | (hb.reshape(q.shape) << 4)
    return q


def _pack_nibbles(type_name, raw, n, k):
    _, block, nbytes = GGML_TYPES[GGML_TYPE_IDS[type_name]]
    b = np.asarray(raw, dtype=np.uint8).reshape(n // TILE_ROWS, TILE_ROWS,
                                                k // block, nbytes)
    b = b.transpose(0, 2, 1, 3)                     # [tile, unit, row, byte]
    lead = b.shape[:2]
    groups = block // GROUP
    q = _raw_quants(type_name, b).reshape(b.shape[:3] + (groups, GROUP))
    q = np.swapaxes(q, -3, -2)                      # [.., s, row, 32]
    steps = _nibble_steps(q & 0xF).reshape(lead + (256 * groups,))
    parts = [steps]
    five = type_name in ("q5_0", "q5_1", "q5_k")
    if groups == 8:
        sc, mn = _k_scales(b[..., 4:16].reshape(-1, 12))
        sc = sc.astype(np.uint32).reshape(b.shape[:3] + (8,))
        mn = mn.astype(np.uint32).reshape(b.shape[:3] + (8,))
        low = ((sc & 15) | ((mn & 15) << 4)).astype(np.uint8)
        parts.append(np.swapaxes(low, -1, -2).reshape(lead + (128,)))
        high = np.zeros(b.shape[:3], np.uint32)
        for s in range(8):
            high |= ((sc[..., s] >> 4) | ((mn[..., s] >> 4) << 2)) << (4 * s)
        parts.append(high.astype("<u4").view(np.uint8).reshape(lead + (64,)))
    parts.append(b[..., 0:2].reshape(lead + (32,)))               # d
    if type_name in ("q4_1", "q5_1", "q4_k", "q5_k"):
        parts.append(b[..., 2:4].reshape(lead + (32,)))           # m, dmin
    if five:
        parts.append(_fifth_plane(q).reshape(lead + (64 * groups,)))
    return np.concatenate(parts, axis=2).reshape(-1)


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


def pack_rows16(type_name, raw, n, k):
    """The rows16 bytes of `n` rows of `k` elements given as GGUF bytes."""
    assert has_rows16(type_name, n, k)
    if type_name in ("f16", "bf16"):
        # Per tile and group, element e of row r at bytes 32e + 2r.
        w = np.asarray(raw, dtype=np.uint8).view("<u2").reshape(
            n // TILE_ROWS, TILE_ROWS, k // GROUP, GROUP)
        return w.transpose(0, 2, 3, 1).copy().reshape(-1).view(np.uint8)
    if type_name in NIBBLE_TYPES:
        return _pack_nibbles(type_name, raw, n, k)
    if type_name == "q6_k":
        return _pack_q6_k(raw, n, k)
    # Q8_0: element e = 4j + i of row r goes to byte 64j + 4r + i.
    groups = k // GROUP
    b = np.asarray(raw, dtype=np.uint8).reshape(n // TILE_ROWS, TILE_ROWS,
                                                groups, 34)
    q = (b[..., 2:] ^ 0x80).reshape(-1, TILE_ROWS, groups, 8, 4)
    q = q.transpose(0, 2, 3, 1, 4).reshape(q.shape[0], groups, -1)
    d = b[..., :2].transpose(0, 2, 1, 3).reshape(b.shape[0], groups, -1)
    return np.concatenate([q, d], axis=2).reshape(-1)
