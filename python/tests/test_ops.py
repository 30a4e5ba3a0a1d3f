"""The reference ops against definitions written differently (loops, the
rotate-as-complex-number form of RoPE), so a slip in one shows in the other."""

import numpy as np

from llama_ref import ops


def test_rope_is_complex_rotation():
    rng = np.random.default_rng(0)
    seq, heads, hd, n_rot, theta = 3, 2, 8, 6, 500000.0
    x = rng.standard_normal((seq, heads, hd))
    pos = np.array([0, 5, 17])
    y = ops.rope(x, pos, n_rot, theta)
    for s in range(seq):
        for h in range(heads):
            for i in range(n_rot // 2):
                z = complex(x[s, h, 2 * i], x[s, h, 2 * i + 1])
                z *= np.exp(1j * pos[s] * theta ** (-2 * i / n_rot))
                assert np.isclose(y[s, h, 2 * i], z.real)
                assert np.isclose(y[s, h, 2 * i + 1], z.imag)
            np.testing.assert_array_equal(y[s, h, n_rot:], x[s, h, n_rot:])


def test_attention_matches_loops_with_gqa():
    rng = np.random.default_rng(1)
    seq, nh, nkv, hd, ctx = 4, 6, 2, 5, 16
    q = rng.standard_normal((seq, nh, hd))
    k = rng.standard_normal((seq, nkv, hd))
    v = rng.standard_normal((seq, nkv, hd))
    pos = np.arange(3, 3 + seq)
    kc = rng.standard_normal((ctx, nkv, hd))  # earlier tokens at 0..2
    vc = rng.standard_normal((ctx, nkv, hd))
    kc0, vc0 = kc.copy(), vc.copy()
    out = ops.attention(q, k, v, pos, kc, vc)
    for s in range(seq):
        for h in range(nh):
            g = h // (nh // nkv)
            keys = [kc0[t, g] if t < 3 else k[t - 3, g] for t in range(pos[s] + 1)]
            vals = [vc0[t, g] if t < 3 else v[t - 3, g] for t in range(pos[s] + 1)]
            sc = np.array([q[s, h] @ kk for kk in keys]) / np.sqrt(hd)
            p = np.exp(sc - sc.max())
            p /= p.sum()
            np.testing.assert_allclose(out[s, h], sum(pi * vv for pi, vv in zip(p, vals)))


def test_rms_norm_and_swiglu():
    x = np.array([[3.0, 4.0]])
    w = np.array([1.0, 2.0])
    # mean(x^2) = 12.5
    np.testing.assert_allclose(ops.rms_norm(x, w, 0.0), [[3 / 12.5 ** 0.5, 8 / 12.5 ** 0.5]])
    np.testing.assert_allclose(ops.swiglu(np.array([0.0, 1.0]), np.array([5.0, 2.0])),
                               [0.0, 2.0 / (1.0 + np.exp(-1.0))])
