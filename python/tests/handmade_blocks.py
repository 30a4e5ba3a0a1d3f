"""Hand-made blocks of every supported GGML type, and their decoders
written from the formats' definitions (shared/docs/GGUF.md), one element at
a time: the independent oracle of test_handmade_blocks.py. Nothing here
calls the code under test.
"""

import zlib

import numpy as np

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
    "q5_1": (7, 32, 24), "q2_k": (10, 256, 84), "q3_k": (11, 256, 110),
    "q4_k": (12, 256, 144),
    "q5_k": (13, 256, 176), "q6_k": (14, 256, 210),
}
INT_DOT = ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q4_k",
           "q5_k", "q6_k")
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


def dec_q2_k(raw):
    # u8 scales[16] (scale: low nibble, min: high nibble); u8 qs[64];
    # f16 d; f16 dmin. Element i: h = i / 128, j = (i % 128) / 32,
    # l = i % 32: q = bits 2j of qs[32h + l]; sub-block i / 16.
    # x = d·sc·q − dmin·m.
    b, i = _blocks(raw, "q2_k")
    h, j, l = i // 128, (i % 128) // 32, i % 32
    q = (b[:, 16 + 32 * h + l] >> (2 * j)) & 3
    sc, mn = b[:, 0:16] & 0xF, b[:, 0:16] >> 4
    d = half_value(get_half(b, 80))[:, None]
    dmin = half_value(get_half(b, 82))[:, None]
    t1, t2 = d * sc[:, i // 16] * q, dmin * mn[:, i // 16]
    return t1 - t2, np.abs(t1) + np.abs(t2), {"q": q, "sc": sc, "mins": mn}


def q3k_scales(s):
    """The 16 six-bit scales (0..63; the scale is the value - 32) of a Q3_K
    block's 12 bytes s: scale t's low 4 bits are nibble t // 8 of s[t % 8],
    its high 2 bits are bits 2 (t // 4) of s[8 + t % 4]."""
    s = np.asarray(s, np.int64)
    t = np.arange(16)
    low = (s[..., t % 8] >> (4 * (t // 8))) & 0xF
    high = (s[..., 8 + t % 4] >> (2 * (t // 4))) & 3
    return low | high << 4


def pack_q3k_scales(v):
    """12 bytes holding the 16 six-bit values v, the inverse of q3k_scales."""
    s = np.zeros(v.shape[:-1] + (12,), np.int64)
    for t in range(16):
        s[..., t % 8] |= (v[..., t] & 0xF) << (4 * (t // 8))
        s[..., 8 + t % 4] |= (v[..., t] >> 4) << (2 * (t // 4))
    return s


def dec_q3_k(raw):
    # u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d (last). Element i:
    # h = i / 128, j = (i % 128) / 32, l = i % 32: its low 2 bits are bits
    # 2j of qs[32h + l], its third bit bit 4h + j of hmask[l]; the stored
    # u = low | third << 2 is q + 4 (the format subtracts 4 where the hmask
    # bit is clear); sub-block i / 16 has scale sc - 32.
    # x = d·(sc - 32)·(u - 4).
    b, i = _blocks(raw, "q3_k")
    h, j, l = i // 128, (i % 128) // 32, i % 32
    low = (b[:, 32 + 32 * h + l] >> (2 * j)) & 3
    third = (b[:, l] >> (4 * h + j)) & 1
    u = low | third << 2
    sc = q3k_scales(b[:, 96:108])
    d = half_value(get_half(b, 108))[:, None]
    v = d * (sc[:, i // 16] - 32) * (u - 4)
    return v, np.abs(v), {"q": u, "sc": sc}


DECODERS = {
    "f16": dec_f16, "bf16": dec_bf16, "q8_0": dec_q8_0, "q4_0": dec_q4_0,
    "q4_1": dec_q4_1, "q5_0": dec_q5_0, "q5_1": dec_q5_1, "q4_k": dec_q4_k,
    "q5_k": dec_q5_k, "q6_k": dec_q6_k, "q3_k": dec_q3_k, "q2_k": dec_q2_k,
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


def pack_k_scales(sc, mn):
    """12 bytes holding (sc_j, m_j), the inverse of k_scales (GGUF.md)."""
    s = np.zeros(sc.shape[:-1] + (12,), np.int64)
    for j in range(4):
        s[..., j] = sc[..., j] | (sc[..., j + 4] >> 4) << 6
        s[..., j + 4] = mn[..., j] | (mn[..., j + 4] >> 4) << 6
        s[..., j + 8] = (sc[..., j + 4] & 0xF) | (mn[..., j + 4] & 0xF) << 4
    return s


QMAX = {"q8_0": 256, "q4_0": 16, "q4_1": 16, "q5_0": 32, "q5_1": 32,
        "q2_k": 4, "q3_k": 8, "q4_k": 16, "q5_k": 32, "q6_k": 64}


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
    elif typ == "q2_k":
        h, j, l = i // 128, (i % 128) // 32, i % 32
        put(16 + 32 * h + l, 2 * j, q)
    elif typ == "q3_k":
        h, j, l = i // 128, (i % 128) // 32, i % 32
        put(32 + 32 * h + l, 2 * j, q & 3)
        put(l, 4 * h + j, q >> 2)


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
        raw[:, 4:16] = pack_k_scales(vals[:, :8], vals[:, 8:])

        def redraw(r, bad, g):
            dm = get_half(r, 2)
            dm[bad] = near_halves(g, get_half(r, 0)[bad])
            put_half(r, 2, dm)
    elif typ == "q2_k":
        put_half(raw, 80, d)
        put_half(raw, 82, near_halves(rng, d))
        # Scales and mins of block b: (b + pi(t)) mod 16 and (b + pi'(t))
        # mod 16, pi and pi' permutations drawn per run of 16 blocks: in a
        # block all distinct; at each position every value once per run.
        b = np.arange(nb)
        runs = nb // 16 + 1
        ps = np.stack([rng.permutation(16) for _ in range(runs)])
        pm = np.stack([rng.permutation(16) for _ in range(runs)])
        sc = (b[:, None] + ps[b // 16]) % 16
        mn = (b[:, None] + pm[b // 16]) % 16
        raw[:, 0:16] = sc | mn << 4

        def redraw(r, bad, g):
            dm = get_half(r, 82)
            dm[bad] = near_halves(g, get_half(r, 80)[bad])
            put_half(r, 82, dm)
    elif typ == "q3_k":
        put_half(raw, 108, d)
        # The 16 six-bit scales of block b: (b + 4 pi(t)) mod 64, as for
        # the K-quants' scales and mins above.
        b = np.arange(nb)
        perms = np.stack([rng.permutation(16) for _ in range(nb // 64 + 1)])
        raw[:, 96:108] = pack_q3k_scales((b[:, None] + 4 * perms[b // 64]) % 64)
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
    if typ == "q2_k":
        # d = value / 4, every scale 2 and min 0, q = 0 everywhere but at
        # `at`: q = 2.
        put_half(rows, 80, np.full(DIM, d))
        rows[:, 0:16] = 2
        h, j, l = at // 128, (at % 128) // 32, at % 32
        rows[r, 16 + 32 * h + l] |= 2 << (2 * j)
        raw[r, blk] = rows
        return raw.astype(np.uint8).ravel()
    if typ == "q3_k":
        # d = value / 4, every scale 2 (stored 34), q = 0 (stored 4: hmask
        # bits set, qs 0) everywhere but at `at`: q = 2 (stored 6).
        put_half(rows, 108, np.full(DIM, d))
        rows[:, 96:108] = pack_q3k_scales(np.full((DIM, 16), 34, np.int64))
        rows[:, 0:32] = 0xFF
        h, j, l = at // 128, (at % 128) // 32, at % 32
        rows[r, 32 + 32 * h + l] |= 2 << (2 * j)
        raw[r, blk] = rows
        return raw.astype(np.uint8).ravel()
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
        rows[:, 4:16] = pack_k_scales(np.ones((DIM, 8), np.int64),
                                       np.zeros((DIM, 8), np.int64))
        qs = 48 if typ == "q5_k" else 16
        j = at // 32
        rows[r, qs + 32 * (at // 64) + at % 32] = 4 << (4 * (j % 2))
    raw[r, blk] = rows  # the row's other blocks: all zero, d = 0
    return raw.astype(np.uint8).ravel()
