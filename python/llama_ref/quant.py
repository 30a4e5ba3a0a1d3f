"""Dequantization (and reference quantization) of GGML block formats.

Every formula follows the block layouts of shared/docs/GGUF.md, evaluated in
float32 with one rounding per operation (no fused multiply-add), so that the
C++ reference dequantizers can be compared bit for bit.
"""

import numpy as np

from .gguf import GGML_TYPES, GGML_TYPE_IDS

F32 = np.float32


def _f16(b, off):
    """The float16 at byte `off` of every block (rows of `b`) as float32."""
    return b[:, off:off + 2].copy().view(np.float16).astype(F32)[:, 0]


def _blocks(raw, ggml_type):
    _, block, nbytes = GGML_TYPES[ggml_type]
    raw = np.asarray(raw, dtype=np.uint8)
    if raw.size % nbytes:
        raise ValueError(f"{raw.size} bytes is not a whole number of "
                         f"{nbytes}-byte blocks")
    return raw.reshape(-1, nbytes), block


def _q4_0(b):
    d = _f16(b, 0)[:, None]
    qs = b[:, 2:18]
    q = np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(np.int32) - 8
    return q.astype(F32) * d


def _q4_1(b):
    d, m = _f16(b, 0)[:, None], _f16(b, 2)[:, None]
    qs = b[:, 4:20]
    q = np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(F32)
    return q * d + m


def _q5_bits(qh_bytes, qs):
    qh = qh_bytes.copy().view("<u4")[:, 0].astype(np.uint32)
    j = np.arange(16, dtype=np.uint32)
    hi0 = ((qh[:, None] >> j) & 1) << 4
    hi1 = ((qh[:, None] >> (j + 16)) & 1) << 4
    lo = np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(np.uint32)
    return lo | np.concatenate([hi0, hi1], axis=1)


def _q5_0(b):
    d = _f16(b, 0)[:, None]
    q = _q5_bits(b[:, 2:6], b[:, 6:22]).astype(np.int32) - 16
    return q.astype(F32) * d


def _q5_1(b):
    d, m = _f16(b, 0)[:, None], _f16(b, 2)[:, None]
    q = _q5_bits(b[:, 4:8], b[:, 8:24]).astype(F32)
    return q * d + m


def _q8_0(b):
    d = _f16(b, 0)[:, None]
    return b[:, 2:34].view(np.int8).astype(F32) * d


def _k_scales(s):
    """The 8 six-bit (scale, min) pairs of a Q4_K/Q5_K block's 12 bytes."""
    s = s.astype(np.uint32)
    sc = np.empty((s.shape[0], 8), np.uint32)
    mn = np.empty((s.shape[0], 8), np.uint32)
    for j in range(4):
        sc[:, j] = s[:, j] & 63
        mn[:, j] = s[:, j + 4] & 63
    for j in range(4, 8):
        sc[:, j] = (s[:, j + 4] & 0xF) | ((s[:, j - 4] >> 6) << 4)
        mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc.astype(F32), mn.astype(F32)


def _k_quant(b, five):
    """Q4_K (five=False) and Q5_K: 8 sub-blocks of 32, x = d·sc·q − dmin·m."""
    d, dmin = _f16(b, 0)[:, None], _f16(b, 2)[:, None]
    sc, mn = _k_scales(b[:, 4:16])
    qh = b[:, 16:48] if five else None
    qs = b[:, 48:176] if five else b[:, 16:144]
    out = np.empty((b.shape[0], 256), F32)
    for c in range(4):
        chunk = qs[:, 32 * c:32 * c + 32]
        for half, q in enumerate((chunk & 0xF, chunk >> 4)):
            j = 2 * c + half
            if five:
                q = q | (((qh >> j) & 1) << 4)
            d1 = d[:, 0] * sc[:, j]
            m1 = dmin[:, 0] * mn[:, j]
            out[:, 32 * j:32 * j + 32] = d1[:, None] * q.astype(F32) - m1[:, None]
    return out


def _q4_k(b):
    return _k_quant(b, five=False)


def _q5_k(b):
    return _k_quant(b, five=True)


def _q2_k(b):
    """scales[16] (scale | min << 4), qs[64], d, dmin: element
    e = 128h + 32j + l is bits 2j of qs[32h + l]; x = d·sc·q − dmin·m of
    sub-block e // 16."""
    s, qs = b[:, 0:16], b[:, 16:80]
    d, dmin = _f16(b, 80), _f16(b, 82)
    out = np.empty((b.shape[0], 256), F32)
    for h in range(2):
        for j in range(4):
            q = ((qs[:, 32 * h:32 * h + 32] >> (2 * j)) & 3).astype(F32)
            for g in range(2):
                e0 = 128 * h + 32 * j + 16 * g
                t = e0 // 16
                d1 = d * (s[:, t] & 0xF).astype(F32)
                m1 = dmin * (s[:, t] >> 4).astype(F32)
                out[:, e0:e0 + 16] = d1[:, None] * q[:, 16 * g:16 * g + 16] \
                    - m1[:, None]
    return out


def _q3_k(b):
    """hmask[32], qs[64], scales[12], d: element e = 128h + 32j + l is bits
    2j of qs[32h + l], minus 4 where bit 4h + j of hmask[l] is clear; the
    6-bit scale of sub-block e // 16 (minus 32) times d."""
    hm, qs, s = b[:, 0:32], b[:, 32:96], b[:, 96:108].astype(np.int32)
    d = _f16(b, 108)
    i = np.arange(16)
    low = np.where(i < 8, s[:, i % 8] & 0xF, s[:, i % 8] >> 4)
    high = (s[:, 8 + i % 4] >> (2 * (i // 4))) & 3
    sc = (low | high << 4) - 32
    out = np.empty((b.shape[0], 256), F32)
    for h in range(2):
        for j in range(4):
            q = ((qs[:, 32 * h:32 * h + 32] >> (2 * j)) & 3).astype(np.int32)
            q = q - np.where((hm >> (4 * h + j)) & 1, 0, 4)
            for g in range(2):
                e0 = 128 * h + 32 * j + 16 * g
                dl = d * sc[:, e0 // 16].astype(F32)
                out[:, e0:e0 + 16] = dl[:, None] * \
                    q[:, 16 * g:16 * g + 16].astype(F32)
    return out


def _q6_k(b):
    ql, qh = b[:, 0:128], b[:, 128:192]
    sc = b[:, 192:208].view(np.int8).astype(F32)
    d = _f16(b, 208)
    out = np.empty((b.shape[0], 256), F32)
    for half in range(2):
        L = ql[:, 64 * half:64 * half + 64]
        H = qh[:, 32 * half:32 * half + 32]
        s = sc[:, 8 * half:8 * half + 8]
        base = 128 * half
        parts = [
            (L[:, 0:32] & 0xF) | (((H >> 0) & 3) << 4),
            (L[:, 32:64] & 0xF) | (((H >> 2) & 3) << 4),
            (L[:, 0:32] >> 4) | (((H >> 4) & 3) << 4),
            (L[:, 32:64] >> 4) | (((H >> 6) & 3) << 4),
        ]
        for p, q in enumerate(parts):
            q = q.astype(np.int32) - 32
            for g in range(2):  # 16 elements per scale
                scale = d * s[:, 2 * p + g]
                out[:, base + 32 * p + 16 * g:base + 32 * p + 16 * g + 16] = \
                    scale[:, None] * q[:, 16 * g:16 * g + 16].astype(F32)
    return out


def dequantize(raw, ggml_type, shape):
    """Raw bytes of a tensor of `ggml_type` -> float32 array of `shape`."""
    name = GGML_TYPES[ggml_type][0]
    raw = np.asarray(raw, dtype=np.uint8)
    if name == "f32":
        return raw.view("<f4").astype(F32).reshape(shape)
    if name == "f16":
        return raw.view("<f2").astype(F32).reshape(shape)
    if name == "bf16":
        bits = raw.view("<u2").astype(np.uint32) << 16
        return bits.view(F32).reshape(shape)
    b, _ = _blocks(raw, ggml_type)
    fn = {"q4_0": _q4_0, "q4_1": _q4_1, "q5_0": _q5_0, "q5_1": _q5_1,
          "q8_0": _q8_0, "q2_k": _q2_k, "q3_k": _q3_k, "q4_k": _q4_k, "q5_k": _q5_k,
          "q6_k": _q6_k}[name]
    return fn(b).reshape(shape)


def type_id(name):
    return GGML_TYPE_IDS[name]
