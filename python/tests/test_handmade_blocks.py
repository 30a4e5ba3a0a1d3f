"""Decoders checked against hand-made blocks of every supported type.

The blocks are made here, byte by byte, from the format's definition
(shared/docs/GGUF.md; the Q4_1/Q5_0/Q5_1/Q5_K layouts as ggml defines them:
see DECODERS below), not by the project's quantizer, and their values are
computed here too, in float64, from per-element formulas written from the
same definition (independent of llama_ref/quant.py and of the C++ code).
The fields are chosen so that every bit matters: every f16 / bf16 finite
bit pattern; every nibble / 5-bit / 6-bit quant value at every element
position; every 6-bit K-quant scale and min value at every sub-block
position, all 16 of a block distinct, so that swapping two of them (the
scale/min nibbles, say) changes the block's values; every Q6_K int8 scale
at every position; d, m and dmin with all 11 significant bits random,
both signs, subnormal and extreme halves. The values are chosen so that
float32 evaluation is exact (asserted): the runtime decoder
(`llama-gguf dequant`) and the numpy reference must match them bit for bit.

The compiler's decoders: a model whose layers contribute nothing
(attn_output and ffn_down all zero) and whose tensors are, for a type T:
  token_embd.weight (T)  rows 0..255: 16·e_t (one-hot), rows 256..511: E
  output.weight     (T)  rows 0..255: e_j (identity), rows 256..511: W
  output_norm.weight     1/32 everywhere; RMSNorm epsilon 2^-40
with E and W hand-made. Token t < 256 reaches the output as x = s·e_t with
s = 16 / sqrt(16²/256 + eps) / 32 (= 0.5 in float32), so its logits are
column t of output.weight times s: the matmul decoder, element by element.
Token t >= 256 reaches it as x = E[t] / rms(E[t]) / 32, and the identity
rows give x itself: the embedding gather decoder, element by element. A
prefill of all 512 tokens runs the prefill kernels, single tokens the
decode kernels.

With integer dot products (--int-dot=auto for Q8_0, Q4_0 and the K-quants:
lib/Transforms/Dequant.cpp canIntDot; Q4_1/Q5_0/Q5_1 have none) the
activations are quantized to int8 per block of 32: a one-hot block
quantizes exactly (q = 127, d = s/127), so the matmul check keeps a tight
tolerance (float32 rounding of a few products: 2^-19 of |d·sc·q| +
|dmin·m|; measured 1.2e-7); the float paths are bit-exact (measured; the
check allows 2^-22, an rsqrt an ulp off); the gather check's activations are general, so there its
tolerance is the int8 rounding (half a quantization step of the block), and
each of those types is also compiled with --int-dot=off, where the gather
check is tight (1e-5 relative: float32 sum of squares and rsqrt).
"""

import subprocess
import zlib

import numpy as np
import pytest

import gguf_edit as ge
from llama_ref.gguf import read_gguf
from test_compiled import compile_model, gen, light_in_sanitized_build, tool

DIM = 256          # row length: one K-quant super-block, 8 small blocks
ROWS = 256         # hand-made rows per tensor (E and W)
VOCAB = DIM + ROWS
EPS = 2.0 ** -40   # RMSNorm epsilon (float32-exact, 1 + eps rounds to 1)
ONE_HOT = 16.0     # token_embd one-hot value
GAMMA = 1.0 / 32   # output_norm weight

# name: (ggml_type id, elements per block, bytes per block)
TYPES = {
    "f16": (1, 1, 2), "bf16": (30, 1, 2), "q8_0": (8, 32, 34),
    "q4_0": (2, 32, 18), "q4_1": (3, 32, 20), "q5_0": (6, 32, 22),
    "q5_1": (7, 32, 24), "q4_k": (12, 256, 144), "q5_k": (13, 256, 176),
    "q6_k": (14, 256, 210),
}
INT_DOT = ("q8_0", "q4_0", "q4_k", "q5_k", "q6_k")
SANITIZED_TYPES = ("q4_k", "q5_1")  # compiled in the ASan+UBSan build
MATMUL_RTOL = 2.0 ** -19   # int8 path (float paths: measured bit-exact)
FLOAT_RTOL = 2.0 ** -22    # float paths: an rsqrt an ulp off at most
GATHER_RTOL = 1e-5
TINY = 2.0 ** -120  # float32 subnormal results may be flushed


# ---------------------------------------------------------------------------
# Half-precision fields, from their bit definitions


def half_value(bits):
    """IEEE binary16 bits -> float64: (-1)^s · 2^(e-15) · (1 + f/1024), or
    (-1)^s · 2^-14 · f/1024 for e = 0 (e = 31: Inf, NaN; never hand-made)."""
    bits = np.asarray(bits, np.int64)
    e, f = (bits >> 10) & 31, bits & 1023
    mag = np.where(e == 0, f * 2.0 ** -24, (1024 + f) * np.exp2(e - 25.0))
    mag = np.where(e == 31, np.where(f == 0, np.inf, np.nan), mag)
    return np.where(bits >> 15 & 1, -mag, mag)


def bf16_value(bits):
    """bfloat16 bits (the high half of a float32) -> float64."""
    bits = np.asarray(bits, np.int64)
    e, f = (bits >> 7) & 255, bits & 127
    mag = np.where(e == 0, f * 2.0 ** -133, (128 + f) * np.exp2(e - 134.0))
    mag = np.where(e == 255, np.where(f == 0, np.inf, np.nan), mag)
    return np.where(bits >> 15 & 1, -mag, mag)


def half_bits(x):
    """float16 bits of exactly representable values."""
    h = np.asarray(x, np.float64).astype(np.float16)
    assert np.array_equal(h.astype(np.float64), np.asarray(x, np.float64))
    return h.view(np.uint16).astype(np.int64)


def rand_halves(rng, n, exps=(0, 30)):
    """n half bit patterns: random sign, biased exponent in `exps` (0 means
    subnormal), all 10 fraction bits random; the first four are the
    smallest subnormal, the largest finite, -the largest subnormal and
    -the largest finite."""
    e = rng.integers(exps[0], exps[1] + 1, n)
    h = (rng.integers(0, 2, n) << 15) | (e << 10) | rng.integers(0, 1024, n)
    h[:4] = [0x0001, 0x7BFF, 0x83FF, 0xFBFF][:min(4, n)]
    return h


def near_halves(rng, h):
    """Halves whose exponent is within 3 of h's (so that d·q ± m stays exact
    in float32), random sign and fraction."""
    e = np.clip(((h >> 10) & 31) + rng.integers(-3, 4, h.shape), 0, 30)
    return (rng.integers(0, 2, h.shape) << 15) | (e << 10) | \
        rng.integers(0, 1024, h.shape)


def put_half(raw, off, bits):
    raw[:, off] = bits & 0xFF
    raw[:, off + 1] = bits >> 8


def get_half(raw, off):
    return raw[:, off].astype(np.int64) | (raw[:, off + 1].astype(np.int64) << 8)


# ---------------------------------------------------------------------------
# Decoders: the format's definition, one element at a time (as index
# arithmetic over all elements of all blocks at once). Each returns the
# values, the magnitude |terms| the compiled checks scale their tolerance
# with, and the unpacked fields (for the coverage checks).


def _blocks(raw, typ):
    _, n, nbytes = TYPES[typ]
    raw = np.asarray(raw, np.uint8).reshape(-1, nbytes).astype(np.int64)
    return raw, np.arange(n)


def dec_f16(raw):
    raw = np.asarray(raw, np.uint8).reshape(-1, 2).astype(np.int64)
    v = half_value(raw[:, 0] | raw[:, 1] << 8)
    return v, np.abs(v), {}


def dec_bf16(raw):
    raw = np.asarray(raw, np.uint8).reshape(-1, 2).astype(np.int64)
    v = bf16_value(raw[:, 0] | raw[:, 1] << 8)
    return v, np.abs(v), {}


def dec_q8_0(raw):
    # f16 d; i8 qs[32]: x[i] = qs[i]·d
    b, i = _blocks(raw, "q8_0")
    d = half_value(get_half(b, 0))[:, None]
    q = b[:, 2 + i]
    q = np.where(q >= 128, q - 256, q)
    v = q * d
    return v, np.abs(v), {"q": q}


def _nibble32(b, qs_off, i):
    """Element i < 32 of a 32-element block: low nibble of qs[i] for i < 16,
    high nibble of qs[i - 16] for i >= 16."""
    return (b[:, qs_off + i % 16] >> (4 * (i // 16))) & 0xF


def dec_q4_0(raw):
    # f16 d; u8 qs[16]: x = (q - 8)·d
    b, i = _blocks(raw, "q4_0")
    d = half_value(get_half(b, 0))[:, None]
    q = _nibble32(b, 2, i)
    v = (q - 8) * d
    return v, np.abs(v), {"q": q}


def dec_q4_1(raw):
    # f16 d; f16 m; u8 qs[16]: x = q·d + m
    b, i = _blocks(raw, "q4_1")
    d, m = half_value(get_half(b, 0))[:, None], half_value(get_half(b, 2))[:, None]
    q = _nibble32(b, 4, i)
    return q * d + m, np.abs(q * d) + np.abs(m) + 0 * q, {"q": q}


def _qh_bit(b, qh_off, i):
    """Bit i of the little-endian u32 qh: the 5th bit of element i."""
    return (b[:, qh_off + i // 8] >> (i % 8)) & 1


def dec_q5_0(raw):
    # f16 d; u8 qh[4]; u8 qs[16]: q = nibble | qh bit i << 4, x = (q - 16)·d
    b, i = _blocks(raw, "q5_0")
    d = half_value(get_half(b, 0))[:, None]
    q = _nibble32(b, 6, i) | _qh_bit(b, 2, i) << 4
    v = (q - 16) * d
    return v, np.abs(v), {"q": q}


def dec_q5_1(raw):
    # f16 d; f16 m; u8 qh[4]; u8 qs[16]: x = q·d + m
    b, i = _blocks(raw, "q5_1")
    d, m = half_value(get_half(b, 0))[:, None], half_value(get_half(b, 2))[:, None]
    q = _nibble32(b, 8, i) | _qh_bit(b, 4, i) << 4
    return q * d + m, np.abs(q * d) + np.abs(m) + 0 * q, {"q": q}


def k_scales(s):
    """The 8 (scale, min) 6-bit pairs of 12 bytes s (GGUF.md, Q4_K):
    j < 4: sc = s[j] & 63, m = s[j+4] & 63; j >= 4: sc = (s[j+4] & 0xF) |
    ((s[j-4] >> 6) << 4), m = (s[j+4] >> 4) | ((s[j] >> 6) << 4)."""
    s = np.asarray(s, np.int64)
    sc, mn = [], []
    for j in range(8):
        if j < 4:
            sc.append(s[..., j] & 63)
            mn.append(s[..., j + 4] & 63)
        else:
            sc.append((s[..., j + 4] & 0xF) | ((s[..., j - 4] >> 6) << 4))
            mn.append((s[..., j + 4] >> 4) | ((s[..., j] >> 6) << 4))
    return np.stack(sc, -1), np.stack(mn, -1)


def _dec_k(raw, typ, five):
    # f16 d; f16 dmin; u8 scales[12]; (Q5_K: u8 qh[32];) u8 qs[128].
    # Element i: sub-block j = i / 32 (scale sc_j, min m_j); the 64-element
    # chunk c = i / 64 takes qs[32c .. 32c + 31]: its first 32 elements the
    # low nibbles, the next 32 the high nibbles; Q5_K's 5th bit of element i
    # is bit j of qh[i % 32]. x = d·sc_j·q - dmin·m_j.
    b, i = _blocks(raw, typ)
    d = half_value(get_half(b, 0))[:, None]
    dmin = half_value(get_half(b, 2))[:, None]
    sc, mn = k_scales(b[:, 4:16])
    j = i // 32
    qs_off = 48 if five else 16
    q = (b[:, qs_off + 32 * (i // 64) + i % 32] >> (4 * (j % 2))) & 0xF
    if five:
        q = q | ((b[:, 16 + i % 32] >> j) & 1) << 4
    t1, t2 = d * sc[:, j] * q, dmin * mn[:, j]
    return t1 - t2, np.abs(t1) + np.abs(t2), {"q": q, "sc": sc, "m": mn}


def dec_q4_k(raw):
    return _dec_k(raw, "q4_k", False)


def dec_q5_k(raw):
    return _dec_k(raw, "q5_k", True)


def dec_q6_k(raw):
    # u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d (last). Element i: half
    # h = i / 128, p = (i % 128) / 32, l = i % 32: the low 4 bits are nibble
    # p / 2 of ql[64h + 32(p % 2) + l], the high 2 bits are bits 2p, 2p+1 of
    # qh[32h + l]; its scale is scales[8h + 2p + l / 16] = scales[i / 16].
    # x = d·scale·(q - 32).
    b, i = _blocks(raw, "q6_k")
    h, p, l = i // 128, (i % 128) // 32, i % 32
    lo = (b[:, 64 * h + 32 * (p % 2) + l] >> (4 * (p // 2))) & 0xF
    hi = (b[:, 128 + 32 * h + l] >> (2 * p)) & 3
    q = lo | hi << 4
    sc = b[:, 192:208]
    sc = np.where(sc >= 128, sc - 256, sc)
    d = half_value(get_half(b, 208))[:, None]
    v = d * sc[:, i // 16] * (q - 32)
    return v, np.abs(v), {"q": q, "sc": sc}


DECODERS = {
    "f16": dec_f16, "bf16": dec_bf16, "q8_0": dec_q8_0, "q4_0": dec_q4_0,
    "q4_1": dec_q4_1, "q5_0": dec_q5_0, "q5_1": dec_q5_1, "q4_k": dec_q4_k,
    "q5_k": dec_q5_k, "q6_k": dec_q6_k,
}


def decode(typ, raw, rows=None):
    """values and magnitudes of a tensor (or blocks), flat, float64."""
    v, mag, _ = DECODERS[typ](raw)
    v, mag = v.ravel(), mag.ravel()
    if rows:
        v, mag = v.reshape(rows, -1), mag.reshape(rows, -1)
    return v, mag


# ---------------------------------------------------------------------------
# Encoders: hand-made blocks


def _pack_k_scales(sc, mn):
    """12 bytes holding (sc_j, m_j), the inverse of k_scales (GGUF.md)."""
    s = np.zeros(sc.shape[:-1] + (12,), np.int64)
    for j in range(4):
        s[..., j] = sc[..., j] | (sc[..., j + 4] >> 4) << 6
        s[..., j + 4] = mn[..., j] | (mn[..., j + 4] >> 4) << 6
        s[..., j + 8] = (sc[..., j + 4] & 0xF) | (mn[..., j + 4] & 0xF) << 4
    return s


QMAX = {"q8_0": 256, "q4_0": 16, "q4_1": 16, "q5_0": 32, "q5_1": 32,
        "q4_k": 16, "q5_k": 32, "q6_k": 64}


def coverage_quants(rng, nb, n, qmax):
    """Quants of nb blocks of n elements: element i of block b takes
    perm_i[(b + o_i) mod qmax] (perm_i, o_i random), so every element
    position takes every value once per qmax blocks, the elements of a
    block unrelated."""
    perm = np.stack([rng.permutation(qmax) for _ in range(n)])
    o = rng.integers(0, qmax, n)
    return perm[np.arange(n), (np.arange(nb)[:, None] + o) % qmax]


def put_quants(typ, raw, q):
    """Stores the quants q (nb, n), as unsigned fields, at their places in
    the blocks (the layouts of the decoders above)."""
    i = np.arange(q.shape[1])
    b = np.arange(q.shape[0])[:, None]

    def put(byte, shift, bits):
        np.bitwise_or.at(raw, (b, byte[None, :]), bits << shift[None, :])

    if typ == "q8_0":
        raw[:, 2:34] = q
    elif typ in ("q4_0", "q4_1", "q5_0", "q5_1"):
        qs = {"q4_0": 2, "q4_1": 4, "q5_0": 6, "q5_1": 8}[typ]
        put(qs + i % 16, 4 * (i // 16), q & 0xF)
        if typ in ("q5_0", "q5_1"):
            put((qs - 4) + i // 8, i % 8, q >> 4)
    elif typ in ("q4_k", "q5_k"):
        qs = 48 if typ == "q5_k" else 16
        put(qs + 32 * (i // 64) + i % 32, 4 * ((i // 32) % 2), q & 0xF)
        if typ == "q5_k":
            put(16 + i % 32, i // 32, q >> 4)
    elif typ == "q6_k":
        h, p, l = i // 128, (i % 128) // 32, i % 32
        put(64 * h + 32 * (p % 2) + l, 4 * (p // 2), q & 0xF)
        put(128 + 32 * h + l, 2 * p, q >> 4)


def _exact_rows(typ, raw, redraw, rng):
    """Redraws the second f16 (m / dmin, via `redraw`) of blocks whose
    values float32 cannot hold exactly, until none is left."""
    for _ in range(100):
        v, _, _ = DECODERS[typ](raw)
        bad = np.flatnonzero(np.any(v.astype(np.float32) != v, axis=1))
        if not bad.size:
            return raw
        redraw(raw, bad, rng)
    raise AssertionError(f"{typ}: could not make exact blocks")


def handmade(typ, seed, narrow=False):
    """ROWS rows of DIM hand-made elements of `typ`, as uint8 bytes.
    `narrow` (bf16): exponents within 2^±40 (a row's sum of squares must
    not overflow float32 where the row is an activation)."""
    rng = np.random.default_rng([zlib.crc32(typ.encode()), seed])
    _, n, nbytes = TYPES[typ]
    nb = ROWS * DIM // n
    if typ == "f16":
        # Every finite half (both zeros, subnormals, ±65504), then random
        # finite ones; shuffled.
        allf = np.array([h for h in range(1 << 16) if (h >> 10) & 31 != 31])
        extra = rng.choice(allf, nb - allf.size)
        h = rng.permutation(np.concatenate([allf, extra]))
        return np.stack([h & 0xFF, h >> 8], 1).astype(np.uint8).ravel()
    if typ == "bf16":
        bits = np.arange(1 << 16)
        e = bits >> 7 & 255
        ok = e != 255
        if narrow:  # ±0 and normal numbers within 2^±40
            ok &= ((bits & 0x7FFF) == 0) | (np.abs(e - 127) <= 40)
        allf = np.flatnonzero(ok)
        if allf.size > nb:
            allf = rng.choice(allf, nb, replace=False)
        extra = rng.choice(allf, nb - allf.size)
        h = rng.permutation(np.concatenate([allf, extra]))
        return np.stack([h & 0xFF, h >> 8], 1).astype(np.uint8).ravel()

    raw = np.zeros((nb, nbytes), np.int64)
    put_quants(typ, raw, coverage_quants(rng, nb, n, QMAX[typ]))
    d = rand_halves(rng, nb)
    redraw = None
    if typ in ("q8_0", "q4_0", "q5_0"):
        put_half(raw, 0, d)
    elif typ in ("q4_1", "q5_1"):
        put_half(raw, 0, d)
        put_half(raw, 2, near_halves(rng, d))

        def redraw(r, bad, g):
            m = get_half(r, 2)
            m[bad] = near_halves(g, get_half(r, 0)[bad])
            put_half(r, 2, m)
    elif typ in ("q4_k", "q5_k"):
        put_half(raw, 0, d)
        put_half(raw, 2, near_halves(rng, d))
        # The 16 six-bit values of block b: (b + 4 pi(t)) mod 64, t < 16,
        # with pi a permutation drawn per run of 64 blocks: in a block all
        # distinct; at each position every value 0..63 once per run.
        b = np.arange(nb)
        perms = np.stack([rng.permutation(16) for _ in range(nb // 64 + 1)])
        vals = (b[:, None] + 4 * perms[b // 64]) % 64
        raw[:, 4:16] = _pack_k_scales(vals[:, :8], vals[:, 8:])

        def redraw(r, bad, g):
            dm = get_half(r, 2)
            dm[bad] = near_halves(g, get_half(r, 0)[bad])
            put_half(r, 2, dm)
    elif typ == "q6_k":
        put_half(raw, 208, d)
        # scales[b, t] = (b + 16 t) mod 256 as int8: distinct in a block,
        # every int8 at every position over 256 blocks.
        raw[:, 192:208] = (np.arange(nb)[:, None] + 16 * np.arange(16)) % 256
    if redraw:
        raw = _exact_rows(typ, raw, redraw, rng)
    return raw.astype(np.uint8).ravel()


def one_hot_rows(typ, value):
    """DIM rows of DIM elements, row r: `value` at column r, 0 elsewhere
    (encoded in `typ` from its definition: d = value/4 and a quant of
    4 above the type's offset at r, the offset elsewhere)."""
    _, n, nbytes = TYPES[typ]
    r = np.arange(DIM)
    if typ in ("f16", "bf16"):
        bits = half_bits(value) if typ == "f16" else \
            np.float32(value).view(np.uint32).astype(np.int64) >> 16
        h = np.zeros((DIM, DIM), np.int64)
        h[r, r] = bits
        return np.stack([h & 0xFF, h >> 8], -1).astype(np.uint8).ravel()
    raw = np.zeros((DIM, DIM // n, nbytes), np.int64)
    blk, at = r // n, r % n
    d = half_bits(value / 4)
    rows = raw[r, blk]  # the block of each row holding its non-zero
    if typ == "q6_k":
        put_half(rows, 208, np.full(DIM, d))
        rows[:, 192:208] = 1
        # q = 32 (zero) everywhere: ql nibbles 0, qh pairs 2 (0b10 = 32 >> 4)
        rows[:, 128:192] = 0xAA
        # element `at`: q = 36 -> low nibble 4 (of ql[64h + 32(p % 2) + l],
        # nibble p / 2), high pair 2 unchanged
        h, p, l = at // 128, (at % 128) // 32, at % 32
        rows[r, 64 * h + 32 * (p % 2) + l] |= 4 << (4 * (p // 2))
        raw[r, blk] = rows
        return raw.astype(np.uint8).ravel()
    put_half(rows, 0, np.full(DIM, d))
    if typ == "q8_0":
        rows[r, 2 + at] = 4
    elif typ in ("q4_0", "q5_0"):
        # q = offset (8 or 16) everywhere, offset + 4 at `at`
        qs = 2 if typ == "q4_0" else 6
        if typ == "q4_0":
            rows[:, qs:qs + 16] = 0x88
        else:
            rows[:, qs:qs + 16] = 0x00
            rows[:, 2:6] = 0xFF  # 5th bit set: 16
        rows[r, qs + at % 16] += 4 << (4 * (at // 16))
    elif typ in ("q4_1", "q5_1"):
        qs = 4 if typ == "q4_1" else 8
        rows[r, qs + at % 16] = 4 << (4 * (at // 16))  # m = 0
    elif typ in ("q4_k", "q5_k"):
        rows[:, 4:16] = _pack_k_scales(np.ones((DIM, 8), np.int64),
                                       np.zeros((DIM, 8), np.int64))
        qs = 48 if typ == "q5_k" else 16
        j = at // 32
        rows[r, qs + 32 * (at // 64) + at % 32] = 4 << (4 * (j % 2))
    raw[r, blk] = rows  # the row's other blocks: all zero, d = 0
    return raw.astype(np.uint8).ravel()


# ---------------------------------------------------------------------------
# Models


class Case:
    """One type's hand-made tensors, their expected values and the model."""

    def __init__(self, typ, path):
        self.typ, self.path = typ, path
        self.w_raw = np.concatenate([one_hot_rows(typ, 1.0), handmade(typ, 1)])
        self.e_raw = np.concatenate([one_hot_rows(typ, ONE_HOT),
                                     handmade(typ, 2, narrow=True)])
        self.w, self.w_mag = decode(typ, self.w_raw, VOCAB)
        self.e, _ = decode(typ, self.e_raw, VOCAB)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("handmade")
    path = gen(str(d / "base.gguf"), "--preset", "tiny", "--layers", "1",
               "--type", "f32", "--dim", str(DIM), "--heads", "4",
               "--kv-heads", "2", "--hidden-dim", "256",
               "--vocab", str(VOCAB), "--ctx", str(VOCAB))
    return d, open(path, "rb").read()


@pytest.fixture(scope="module")
def cases(base):
    d, data = base
    made = {}

    def get(typ):
        if typ not in made:
            c = Case(typ, str(d / f"{typ}.gguf"))
            g = ge.parse(data)
            tid = TYPES[typ][0]
            for name, raw in (("output.weight", c.w_raw),
                              ("token_embd.weight", c.e_raw)):
                t = g.tensor(name)
                assert t.ne == [DIM, VOCAB]
                t.ggml_type, t.data = tid, raw.tobytes()
            g.tensor("output_norm.weight").data = \
                np.full(DIM, GAMMA, "<f4").tobytes()
            for name in ("blk.0.attn_output.weight", "blk.0.ffn_down.weight"):
                t = g.tensor(name)
                t.data = bytes(len(t.data))
            g.set("llama.attention.layer_norm_rms_epsilon", ge.F32, EPS)
            with open(c.path, "wb") as f:
                f.write(g.emit())
            made[typ] = c
        return made[typ]
    return get


# ---------------------------------------------------------------------------
# Self-checks of the expectations


def test_k_scales_match_a_hand_decoded_table():
    # Bytes chosen by hand; the table decoded by hand from GGUF.md:
    # s0..s3 = 11|000001, 10|000010, 01|000011, 00|000100 (top 2 | low 6)
    # s4..s7 = 01|100101, 10|100110, 11|100111, 00|101000
    # s8..s11 = 9|A, 3|B, C|5, 6|F (high | low nibble)
    s = [0xC1, 0x82, 0x43, 0x04, 0x65, 0xA6, 0xE7, 0x28,
         0x9A, 0x3B, 0xC5, 0x6F]
    sc, mn = k_scales(np.array([s]))
    # j >= 4: sc = low nibble of s[j+4] | top2(s[j-4]) << 4,
    #         m = high nibble of s[j+4] | top2(s[j]) << 4
    # j=4: A|3<<4 = 58, 9|1<<4 = 25; j=5: B|2<<4 = 43, 3|2<<4 = 35;
    # j=6: 5|1<<4 = 21, C|3<<4 = 60; j=7: F|0 = 15, 6|0 = 6
    assert sc[0].tolist() == [1, 2, 3, 4, 58, 43, 21, 15]
    assert mn[0].tolist() == [37, 38, 39, 40, 25, 35, 60, 6]
    assert np.array_equal(_pack_k_scales(sc, mn)[0], s)


def test_element_formulas_match_hand_decoded_elements():
    """A few elements of literal blocks, decoded by hand from the layouts."""
    # Q5_0: d = 0.5 (0x3800); qh = 0x00020001: bit 0 (element 0) and bit 17
    # (element 17); qs[0] = 0x3A, qs[1] = 0x7C.
    blk = bytearray(22)
    blk[0:2] = (0x3800).to_bytes(2, "little")
    blk[2:6] = (0x00020001).to_bytes(4, "little")
    blk[6], blk[7] = 0x3A, 0x7C
    v, _, _ = dec_q5_0(np.frombuffer(bytes(blk), np.uint8))
    # element 0: 0xA | 16 = 26 -> 10·0.5; element 1: 0xC -> -4·0.5;
    # element 16: 0x3 -> -13·0.5; element 17: 0x7 | 16 = 23 -> 7·0.5;
    # element 2: 0 -> -16·0.5
    assert v[0, [0, 1, 16, 17, 2]].tolist() == [5.0, -2.0, -6.5, 3.5, -8.0]
    # Q6_K: d = -0.25 (0xB400). Element 100: h 0, p 3, l 4: low nibble is
    # the high nibble of ql[36], high pair bits 6-7 of qh[4], scale[6].
    # Element 200: h 1, p 2, l 8: high nibble of ql[72], bits 4-5 of
    # qh[40], scale[12].
    blk = bytearray(210)
    blk[36] = 0x5E   # element 100: 5 (element 36: 0xE)
    blk[128 + 4] = 0b10_000000  # element 100: high pair 2 -> q = 37
    blk[72] = 0xA0   # element 200: 0xA
    blk[128 + 40] = 0b00_11_0000  # element 200: high pair 3 -> q = 58
    blk[192 + 6] = 0xFD  # scale[6] = -3
    blk[192 + 12] = 7
    blk[208:210] = (0xB400).to_bytes(2, "little")
    v, _, _ = dec_q6_k(np.frombuffer(bytes(blk), np.uint8))
    assert v[0, 100] == -0.25 * -3 * (37 - 32)
    assert v[0, 200] == -0.25 * 7 * (58 - 32)
    # Q5_K: element 70 is sub-block 2 (chunk 1, low nibbles), byte qs[38],
    # 5th bit = bit 2 of qh[6]; d = 2, dmin = 0.5, sc_2 = 3, m_2 = 5.
    blk = bytearray(176)
    blk[0:2], blk[2:4] = (0x4000).to_bytes(2, "little"), \
        (0x3800).to_bytes(2, "little")
    blk[4 + 2], blk[4 + 6] = 3, 5
    blk[16 + 6] = 0b100
    blk[48 + 38] = 0x29  # element 70: 9 | 16 = 25; element 102: 2
    v, _, _ = dec_q5_k(np.frombuffer(bytes(blk), np.uint8))
    assert v[0, 70] == 2 * 3 * 25 - 0.5 * 5
    assert v[0, 102] == 2 * 0 * 2 - 0.5 * 0  # sub-block 3: sc = m = 0


def _mutants(typ):
    """Byte transforms T such that a decoder with a plausible bug equals the
    correct decoder applied to T(bytes)."""
    _, n, nbytes = TYPES[typ]
    out = {}

    def swap_bytes(a, b, k):
        def t(r):
            r = r.copy()
            r[:, a:a + k], r[:, b:b + k] = r[:, b:b + k].copy(), r[:, a:a + k].copy()
            return r
        return t

    def nib_swap(lo, hi):
        def t(r):
            r = r.copy()
            r[:, lo:hi] = (r[:, lo:hi] >> 4) | ((r[:, lo:hi] & 0xF) << 4)
            return r
        return t

    if typ in ("q4_k", "q5_k"):
        out["scale/min nibbles of scales[8..11] swapped"] = nib_swap(12, 16)
        out["d and dmin swapped"] = swap_bytes(0, 2, 2)

        def top_bits(r):  # the top 2 bits of sc_j / m_j (j >= 4) swapped
            r = r.copy()
            a, b = r[:, 4:8] & 0xC0, r[:, 8:12] & 0xC0
            r[:, 4:8] = (r[:, 4:8] & 63) | b
            r[:, 8:12] = (r[:, 8:12] & 63) | a
            return r
        out["sources of the scales' high bits swapped"] = top_bits
        qs = 48 if typ == "q5_k" else 16
        out["quant nibble order swapped"] = nib_swap(qs, qs + 128)
    if typ in ("q4_1", "q5_1"):
        out["d and m swapped"] = swap_bytes(0, 2, 2)
    if typ in ("q4_0", "q4_1", "q5_0", "q5_1"):
        qs = {"q4_0": 2, "q4_1": 4, "q5_0": 6, "q5_1": 8}[typ]
        out["element j / j+16 nibbles swapped"] = nib_swap(qs, qs + 16)
    if typ in ("q5_0", "q5_1"):
        qh = 2 if typ == "q5_0" else 4

        def reversed_qh(r):  # bit i read as bit 31 - i
            r = r.copy()
            u = sum(r[:, qh + k].astype(np.int64) << (8 * k) for k in range(4))
            u = sum(((u >> i) & 1) << (31 - i) for i in range(32))
            for k in range(4):
                r[:, qh + k] = (u >> (8 * k)) & 0xFF
            return r
        out["qh bit order reversed"] = reversed_qh
    if typ == "q6_k":
        out["ql halves swapped"] = swap_bytes(0, 32, 32)
        out["scale pairs swapped"] = lambda r: np.concatenate(
            [r[:, :192], r[:, 192:208].reshape(-1, 8, 2)[:, :, ::-1]
             .reshape(-1, 16), r[:, 208:]], 1)
    d_at = 208 if typ == "q6_k" else 0
    out["d read big-endian"] = swap_bytes(d_at, d_at + 1, 1)
    return out


@pytest.mark.parametrize("typ", list(TYPES))
def test_expectations_are_exact_and_every_bit_matters(typ):
    _, n, nbytes = TYPES[typ]
    for seed, narrow in ((1, False), (2, True)):
        raw = handmade(typ, seed, narrow)
        v, mag = decode(typ, raw)
        # float32 holds every expected value exactly
        assert np.array_equal(v.astype(np.float32).astype(np.float64), v)
        assert np.all(np.isfinite(v))
    one = decode(typ, one_hot_rows(typ, 1.0), DIM)[0]
    assert np.array_equal(one, np.eye(DIM))
    assert np.array_equal(decode(typ, one_hot_rows(typ, ONE_HOT), DIM)[0],
                          ONE_HOT * np.eye(DIM))

    raw = handmade(typ, 1)
    blocks = raw.reshape(-1, nbytes)
    v, mag, f = DECODERS[typ](blocks)
    # Coverage of the fields.
    if typ in ("f16", "bf16"):
        bits = blocks[:, 0].astype(np.int64) | blocks[:, 1].astype(np.int64) << 8
        e = bits >> (10 if typ == "f16" else 7) & (31 if typ == "f16" else 255)
        assert np.unique(bits[e != (31 if typ == "f16" else 255)]).size == \
            (63488 if typ == "f16" else 65280)
    else:
        qmax = QMAX[typ]
        q = f["q"] % 256
        for i in range(n):
            assert np.unique(q[:, i]).size == qmax, (typ, "element", i)
        if "m" in f:
            for j in range(8):
                assert np.unique(f["sc"][:, j]).size == 64
                assert np.unique(f["m"][:, j]).size == 64
            both = np.concatenate([f["sc"], f["m"]], 1)
            assert all(np.unique(r).size == 16 for r in both)
        if typ == "q6_k":
            for t in range(16):
                assert np.unique(f["sc"][:, t]).size == 256
            assert all(np.unique(r).size == 16 for r in f["sc"])
        d = half_value(get_half(blocks.astype(np.int64),
                                208 if typ == "q6_k" else 0))
        assert (d < 0).any() and (d > 0).any() and \
            (np.abs(d) < 2.0 ** -14).any() and (np.abs(d) == 65504).any()

    # Every bit of the block layout changes the values of some block (a
    # flip beyond the compiled checks' tolerance), in a sample of blocks.
    sample = blocks[:64].astype(np.int64)
    if typ in ("f16", "bf16"):
        sample = blocks[:4096].astype(np.int64)
    flips = np.repeat(sample[None], nbytes * 8, 0)
    for bit in range(nbytes * 8):
        flips[bit, :, bit // 8] ^= 1 << (bit % 8)
    flips = flips.reshape(-1, nbytes)
    with np.errstate(invalid="ignore"):  # flips to Inf: 0·Inf
        vf, _, _ = DECODERS[typ](flips.astype(np.uint8))
    vf = vf.reshape(nbytes * 8, sample.shape[0], n)
    v, mag = v.reshape(-1, n), mag.reshape(-1, n)
    tol = MATMUL_RTOL * mag[:sample.shape[0]]
    # (a value that became Inf/NaN changed too)
    changed = ~(np.abs(vf - v[None, :sample.shape[0]]) <= tol)
    if typ in ("f16", "bf16"):
        # each element is its own block: every flip must change it, but for
        # the sign of a zero (the runtime check compares those bit for bit)
        zero_sign = (v[:sample.shape[0]] == 0)[None] & \
            (np.arange(16) == 15)[:, None, None]
        assert (changed | zero_sign).all(), f"{typ}: a flip changes no value"
    unseen = np.flatnonzero(~changed.any(axis=(1, 2)))
    assert not unseen.size, f"{typ}: bits {unseen} change no value"
    if typ in ("f16", "bf16"):
        return

    # Plausible decoder bugs, as byte transforms, change most blocks.
    for name, t in _mutants(typ).items():
        with np.errstate(invalid="ignore"):
            vm, _, _ = DECODERS[typ](t(blocks.astype(np.int64))
                                     .astype(np.uint8))
        bad = (~(np.abs(vm - v) <= MATMUL_RTOL * mag)).any(axis=1)
        assert bad.mean() > 0.9, (typ, name, bad.mean())


# ---------------------------------------------------------------------------
# Runtime decoder and numpy reference


@pytest.mark.parametrize("typ", list(TYPES))
def test_runtime_and_numpy_decoders_match_handmade_blocks(cases, tmp_path, typ):
    c = cases(typ)
    f = read_gguf(c.path)
    for name, want in (("output.weight", c.w), ("token_embd.weight", c.e)):
        assert f.tensors[name].type_name == typ
        out = str(tmp_path / f"{name}.f32")
        r = subprocess.run([tool("llama-gguf"), "dequant", c.path, name, "-o",
                            out], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        cpp = np.fromfile(out, "<f4").reshape(VOCAB, DIM)
        ref = f.tensor(name)
        for who, got in (("llama-gguf dequant", cpp), ("numpy", ref)):
            diff = np.argwhere(got.astype(np.float64) != want)
            if typ in ("f16", "bf16"):  # a conversion: the sign of 0 too
                diff = np.argwhere(got.view("<u4") !=
                                   want.astype("<f4").view("<u4"))
            assert not diff.size, (
                f"{who} {name} ({typ}): {len(diff)} elements differ; first at "
                f"row {diff[0][0]} col {diff[0][1]}: {got[tuple(diff[0])]!r} "
                f"!= {want[tuple(diff[0])]!r}")


# ---------------------------------------------------------------------------
# Compiler's decoders


def run_program(exe, gguf, tokens, out):
    r = subprocess.run([exe, "-m", gguf, "--tokens", ",".join(map(str, tokens)),
                        "-n", "0", "--print-ids", "--logits-out", out,
                        "--temp", "0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return np.fromfile(out, "<f4").reshape(len(tokens), VOCAB)


def check_logits(c, tokens, got, int_dot):
    """Rows of logits of `tokens`: matmul check for t < DIM, gather check for
    t >= DIM (see the module docstring). Returns the gather errors."""
    s = ONE_HOT / np.sqrt(ONE_HOT ** 2 / DIM + np.float64(np.float32(EPS))) \
        * GAMMA
    gather_err = []
    for row, t in zip(got.astype(np.float64), tokens):
        if t < DIM:
            # column t of output.weight, times s
            want, mag = c.w[:, t] * s, c.w_mag[:, t] * s
            err = np.abs(row - want)
            rtol = MATMUL_RTOL if int_dot else FLOAT_RTOL
            bad = np.flatnonzero(err > rtol * mag + TINY)
            assert not bad.size, (
                f"{c.typ} matmul, token {t}: {bad.size} logits off; output."
                f"weight[{bad[0]}, {t}] gives {row[bad[0]] / s!r}, expected "
                f"{c.w[bad[0], t]!r}")
        else:
            e = c.e[t]
            x = e / np.sqrt(np.mean(e * e) + np.float64(np.float32(EPS))) * GAMMA
            got_x = row[:DIM]
            if int_dot:
                # int8 activations: within half a step of the block's max
                step = np.repeat(np.abs(x).reshape(-1, 32).max(1) / 127, 32)
                tol = 0.5 * step * (1 + 1e-4) + GATHER_RTOL * np.abs(x)
            else:
                tol = GATHER_RTOL * np.abs(x)
            err = np.abs(got_x - x)
            bad = np.flatnonzero(err > tol + TINY)
            assert not bad.size, (
                f"{c.typ} gather, token {t}: {bad.size} activations off; "
                f"token_embd[{t}, {bad[0]}] gives x = {got_x[bad[0]]!r}, "
                f"expected {x[bad[0]]!r}")
            gather_err.append(np.max(err / np.maximum(np.abs(x), TINY)))
    return gather_err


PROGRAMS = [(t, "auto") for t in TYPES] + [(t, "off") for t in INT_DOT]


@pytest.mark.parametrize("typ,int_dot", PROGRAMS,
                         ids=[f"{t}-int-dot-{m}" for t, m in PROGRAMS])
def test_compiled_decoders_match_handmade_blocks(cases, tmp_path, typ, int_dot):
    if typ not in SANITIZED_TYPES or int_dot == "off":
        light_in_sanitized_build(f"{typ} --int-dot={int_dot}")
    c = cases(typ)
    exe = compile_model(c.path, str(tmp_path / typ), f"--int-dot={int_dot}")
    int_path = int_dot == "auto" and typ in INT_DOT
    out = str(tmp_path / "logits.f32")
    # Prefill of every token: the matmul check of every element of
    # output.weight's columns, the gather check of every row of token_embd.
    tokens = list(range(VOCAB))
    errs = check_logits(c, tokens, run_program(exe, c.path, tokens, out),
                        int_path)
    if int_path:
        # the int8 path was taken: the activations show its rounding
        assert max(errs) > 1e-4
    # Decode steps (one token: the decode kernels).
    for t in (0, 77, 255, DIM + 5, VOCAB - 1):
        check_logits(c, [t], run_program(exe, c.path, [t], out), int_path)
