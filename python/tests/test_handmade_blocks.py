"""Decoders checked against hand-made blocks of every supported type.

The blocks are made in handmade_blocks.py, byte by byte, from the format's
definition (shared/docs/GGUF.md; the Q4_1/Q5_0/Q5_1/Q5_K layouts as ggml
defines them: see DECODERS there), not by the project's quantizer, and
their values are computed there too, in float64, from per-element
formulas written from the same definition (independent of
llama_ref/quant.py and of the C++ code).
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

With integer dot products (--int-dot=auto for every quantized type:
lib/Codegen/Common/Formats.cpp canIntDot) the
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

import numpy as np
import pytest

import gguf_edit as ge
from handmade_blocks import (
    DECODERS, DIM, EPS, FLOAT_RTOL, GAMMA, GATHER_RTOL, INT_DOT, MATMUL_RTOL,
    ONE_HOT, QMAX, SANITIZED_TYPES, TINY, TYPES, VOCAB, dec_q2_k, dec_q3_k,
    dec_q5_0,
    dec_q5_k, dec_q6_k, decode, get_half, half_value, handmade, k_scales,
    one_hot_rows, pack_k_scales, pack_q3k_scales, q3k_scales,
)
from llama_ref.gguf import read_gguf
from test_compiled import compile_model, gen, light_in_sanitized_build, tool


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
    assert np.array_equal(pack_k_scales(sc, mn)[0], s)


def test_q3k_scales_match_a_hand_decoded_table():
    # s0..s7 low | high nibbles, s8..s11 four 2-bit fields (bits 1-0 for
    # scales 0-3, 3-2 for 4-7, 5-4 for 8-11, 7-6 for 12-15, of s[8 + t % 4]):
    # scale t = nibble (t // 8) of s[t % 8] | field << 4.
    s = [0x21, 0x43, 0x65, 0x87, 0xA9, 0xCB, 0xED, 0x0F,
         0b11_10_01_00, 0b00_01_10_11, 0b01_01_01_01, 0b10_00_11_00]
    v = q3k_scales(np.array([s]))[0].tolist()
    # t < 8: low nibbles 1, 3, 5, 7, 9, B, D, F; fields of s8..s11 for
    # t = 0..3: 0, 3, 1, 0; t = 4..7: 1, 2, 1, 3
    assert v[:8] == [1, 3 | 3 << 4, 5 | 1 << 4, 7, 9 | 1 << 4, 11 | 2 << 4,
                     13 | 1 << 4, 15 | 3 << 4]
    # t >= 8: high nibbles 2, 4, 6, 8, A, C, E, 0; t = 8..11: fields 2, 1,
    # 1, 0 (bits 5-4); t = 12..15: 3, 0, 1, 2 (bits 7-6)
    assert v[8:] == [2 | 2 << 4, 4 | 1 << 4, 6 | 1 << 4, 8, 10 | 3 << 4, 12,
                     14 | 1 << 4, 0 | 2 << 4]
    assert np.array_equal(pack_q3k_scales(np.array([v]))[0], s)


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
    # Q3_K: d = 0.5 (0x3800). Element 165: h 1, j 1, l 5: low bits 3-2 of
    # qs[32 + 32 + 5], third bit = bit 5 of hmask[5]; sub-block 10, whose
    # scale is the high nibble of s[2] | bits 5-4 of s[10] << 4.
    # Element 3: h 0, j 0, l 3: bits 1-0 of qs[32 + 3], bit 0 of hmask[3]
    # (clear: minus 4); sub-block 0: low nibble of s[0] | bits 1-0 of s[8].
    blk = bytearray(110)
    blk[32 + 32 + 5] = 0b0000_10_00  # element 165: low bits 2
    blk[5] = 1 << 5                  # element 165: third bit set -> q = 2
    blk[96 + 2] = 0x70               # scale 10: low 7
    blk[96 + 10] = 0b10 << 4         # scale 10: high 2 -> 39, minus 32 = 7
    blk[32 + 3] = 0b01               # element 3: low 1, bit clear -> q = -3
    blk[96 + 0] = 0x0C               # scale 0: low 12, high 0 -> 12 - 32
    blk[108:110] = (0x3800).to_bytes(2, "little")
    v, _, _ = dec_q3_k(np.frombuffer(bytes(blk), np.uint8))
    assert v[0, 165] == 0.5 * 7 * 2
    assert v[0, 3] == 0.5 * -20 * -3
    assert v[0, 4] == 0.5 * -20 * -4  # all fields 0: q = -4
    # Q2_K: d = 2 (0x4000), dmin = 0.25 (0x3400). Element 200: h 1, j 2,
    # l 8: bits 5-4 of qs[32 + 8]; sub-block 12: scales[12] = m 3 | sc 5.
    blk = bytearray(84)
    blk[16 + 32 + 8] = 0b00_11_00_00  # element 200: q = 3
    blk[12] = 0x35
    blk[80:82], blk[82:84] = (0x4000).to_bytes(2, "little"), \
        (0x3400).to_bytes(2, "little")
    v, _, _ = dec_q2_k(np.frombuffer(bytes(blk), np.uint8))
    assert v[0, 200] == 2 * 5 * 3 - 0.25 * 3
    assert v[0, 192] == 2 * 5 * 0 - 0.25 * 3  # sub-block 12, q = 0
    assert v[0, 72] == 0  # h 0, j 2, l 8: qs[8] (zero), sub-block 4: 0


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
    if typ == "q2_k":
        out["scale/min nibbles swapped"] = nib_swap(0, 16)
        out["d and dmin swapped"] = swap_bytes(80, 82, 2)
        out["qs halves swapped"] = swap_bytes(16, 48, 32)
    if typ == "q3_k":
        out["qs halves swapped"] = swap_bytes(32, 64, 32)
        out["hmask bits inverted"] = lambda r: np.concatenate(
            [r[:, :32] ^ 0xFF, r[:, 32:]], 1)
        out["scale nibbles swapped"] = nib_swap(96, 104)

        def high_fields(r):  # bits 1-0 and 7-6 of s[8..11] swapped
            r = r.copy()
            s = r[:, 104:108]
            r[:, 104:108] = (s & 0x3C) | ((s & 3) << 6) | (s >> 6)
            return r
        out["scales' high-bit fields swapped"] = high_fields
    if typ == "q6_k":
        out["ql halves swapped"] = swap_bytes(0, 32, 32)
        out["scale pairs swapped"] = lambda r: np.concatenate(
            [r[:, :192], r[:, 192:208].reshape(-1, 8, 2)[:, :, ::-1]
             .reshape(-1, 16), r[:, 208:]], 1)
    d_at = {"q6_k": 208, "q3_k": 108, "q2_k": 80}.get(typ, 0)
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
        if typ == "q3_k":
            for t in range(16):
                assert np.unique(f["sc"][:, t]).size == 64
            assert all(np.unique(r).size == 16 for r in f["sc"])
        if typ == "q2_k":
            for t in range(16):
                assert np.unique(f["sc"][:, t]).size == 16
                assert np.unique(f["mins"][:, t]).size == 16
            assert all(np.unique(r).size == 16 for r in f["sc"])
            assert all(np.unique(r).size == 16 for r in f["mins"])
        d = half_value(get_half(blocks.astype(np.int64),
                                {"q6_k": 208, "q3_k": 108,
                                 "q2_k": 80}.get(typ, 0)))
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
