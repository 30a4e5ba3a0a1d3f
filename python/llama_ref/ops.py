"""The Llama-2 operations, one numpy function each (the semantics of the
`llama` dialect ops; see include/llama-mlir/Dialect/Llama/IR/LlamaOps.td).

Shapes use the dialect's conventions: activations [seq, features] or
[seq, heads, head_dim]; a weight matrix is (N, K): N rows of K elements.
"""

import numpy as np


def embedding(table, tokens):
    """table (n_vocab, dim), tokens (seq,) -> (seq, dim)."""
    return table[np.asarray(tokens)]


def rms_norm(x, weight, eps):
    """x (..., dim) / sqrt(mean(x^2) + eps) * weight (dim,)."""
    ms = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(ms + eps) * weight


def matmul(x, w):
    """x (seq, K) times w (N, K) transposed -> (seq, N)."""
    return x @ w.T


def quantize_q8_0(x):
    """Activations (..., K) quantized per block of 32 as llama.cpp's Q8_0
    (and the compiled code's integer dot products), in float32:
    d = max|x| / 127, q = round-half-away-from-zero(x * (1/d)).
    Returns q (..., K/32, 32) as float64 integers and d (..., K/32)."""
    b = np.asarray(x, dtype=np.float32).reshape(*np.shape(x)[:-1], -1, 32)
    d = (np.abs(b).max(axis=-1) / np.float32(127)).astype(np.float32)
    safe = np.where(d != 0, d, np.float32(1))
    inv = np.where(d != 0, np.float32(1) / safe, np.float32(0)).astype(np.float32)
    v = (b * inv[..., None]).astype(np.float32).astype(np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5), d.astype(np.float64)


def matmul_int8(x, w):
    """x (seq, K) times w (N, K) transposed, with x quantized per block of
    32 (quantize_q8_0): the integer dot products of Q8_0 / Q4_0 weights,
    sum_b d[s, b] * (w[n, b, :] . q[s, b, :])."""
    q, d = quantize_q8_0(x)
    wb = np.asarray(w, dtype=np.float64).reshape(w.shape[0], -1, 32)
    return np.einsum("sbi,nbi,sb->sn", q, wb, d)


def rope(x, positions, n_rot, theta):
    """Adjacent-pair rotary embedding of x (seq, heads, head_dim)."""
    x = np.array(x, copy=True)
    i = np.arange(n_rot // 2)
    freq = theta ** (-2.0 * i / n_rot)                     # (n_rot/2,)
    angle = np.asarray(positions)[:, None] * freq[None, :]  # (seq, n_rot/2)
    cos = np.cos(angle)[:, None, :]
    sin = np.sin(angle)[:, None, :]
    a = x[..., 0:n_rot:2].copy()
    b = x[..., 1:n_rot:2].copy()
    x[..., 0:n_rot:2] = a * cos - b * sin
    x[..., 1:n_rot:2] = a * sin + b * cos
    return x


def silu(a):
    return a / (1.0 + np.exp(-a))


def swiglu(gate, up):
    return silu(gate) * up


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def attention(q, k, v, positions, k_cache, v_cache, scale=None):
    """Causal grouped-query attention through one layer's KV cache.

    q (seq, n_heads, hd); k, v (seq, n_kv_heads, hd); positions (seq,);
    k_cache, v_cache (n_ctx, n_kv_heads, hd) are updated in place first.
    Query head h reads KV head h // (n_heads // n_kv_heads).
    """
    seq, n_heads, hd = q.shape
    n_kv = k.shape[1]
    kv_mul = n_heads // n_kv
    scale = 1.0 / np.sqrt(hd) if scale is None else scale
    positions = np.asarray(positions)
    k_cache[positions] = k
    v_cache[positions] = v
    out = np.zeros_like(q)
    for s in range(seq):
        t = positions[s] + 1
        for h in range(n_heads):
            g = h // kv_mul
            scores = k_cache[:t, g, :] @ q[s, h] * scale   # (t,)
            out[s, h] = softmax(scores) @ v_cache[:t, g, :]
    return out
