"""A plain Llama-2 forward pass over a GGUF file, with a KV cache.

Written as the specification, in the spirit of llama2.c's forward():
embedding, then per layer RMSNorm -> Q/K/V -> RoPE -> causal GQA attention
-> output projection -> residual, RMSNorm -> SwiGLU FFN -> residual; then the
final norm and the output projection (tied to the embedding when
output.weight is absent).
"""

from dataclasses import dataclass

import numpy as np

from . import ops
from .gguf import read_gguf


def _int_key(md, key, default=None):
    v = md.get(key, default)
    if v is None:
        raise KeyError(f"missing required GGUF key '{key}'")
    if isinstance(v, list):  # per-layer arrays: all entries must agree here
        if len(set(v)) != 1:
            raise ValueError(f"'{key}' varies per layer: {v}")
        v = v[0]
    return int(v)


@dataclass
class HParams:
    dim: int
    hidden_dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    n_rot: int
    n_vocab: int
    n_ctx: int
    eps: float
    theta: float

    @staticmethod
    def from_gguf(f):
        md = f.metadata
        arch = md.get("general.architecture")
        if arch != "llama":
            raise ValueError(f"{f.path}: architecture '{arch}', expected 'llama'")
        dim = _int_key(md, "llama.embedding_length")
        n_heads = _int_key(md, "llama.attention.head_count")
        head_dim = _int_key(md, "llama.attention.key_length", dim // n_heads)
        n_vocab = md.get("llama.vocab_size")
        if n_vocab is None:
            n_vocab = f.tensors["token_embd.weight"].ne[1]
        return HParams(
            dim=dim,
            hidden_dim=_int_key(md, "llama.feed_forward_length"),
            n_layers=_int_key(md, "llama.block_count"),
            n_heads=n_heads,
            n_kv_heads=_int_key(md, "llama.attention.head_count_kv", n_heads),
            head_dim=head_dim,
            n_rot=_int_key(md, "llama.rope.dimension_count", head_dim),
            n_vocab=int(n_vocab),
            n_ctx=_int_key(md, "llama.context_length"),
            eps=float(md["llama.attention.layer_norm_rms_epsilon"]),
            theta=float(md.get("llama.rope.freq_base", 10000.0)),
        )


# The weight types the compiled programs multiply with int8 activations
# (llama-compile --int-dot=auto; lib/Codegen/Common/Formats.cpp hasIntDot).
INT_DOT_TYPES = ("q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k",
                 "q4_k", "q5_k", "q6_k")


class Model:
    def __init__(self, path, dtype=np.float64, n_ctx=None, int_dot=True):
        """`int_dot`: multiply INT_DOT_TYPES weights with activations
        quantized per block of 32 (ops.matmul_int8), as llama.cpp and the
        compiled programs do (llama-compile --int-dot=off: float)."""
        self.f = read_gguf(path)
        self.hp = HParams.from_gguf(self.f)
        self.dtype = dtype
        hp = self.hp
        self.n_ctx = n_ctx or hp.n_ctx
        self.int8 = set()  # ids of the weight arrays multiplied in int8

        def w(name):
            t = self.f.tensor(name).astype(dtype)
            if (int_dot and self.f.tensors[name].type_name in INT_DOT_TYPES
                    and t.shape[-1] % 32 == 0):
                self.int8.add(id(t))
            return t
        self.tok_embd = w("token_embd.weight")
        self.output_norm = w("output_norm.weight")
        self.output = (w("output.weight") if "output.weight" in self.f.tensors
                       else self.tok_embd)
        self.layers = []
        for l in range(hp.n_layers):
            p = f"blk.{l}."
            self.layers.append({k: w(p + k + ".weight") for k in (
                "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                "ffn_norm", "ffn_gate", "ffn_up", "ffn_down")})
        shape = (hp.n_layers, self.n_ctx, hp.n_kv_heads, hp.head_dim)
        self.k_cache = np.zeros(shape, dtype)
        self.v_cache = np.zeros(shape, dtype)

    def mm(self, x, w):
        """x (seq, K) times the weight w (N, K) transposed."""
        return ops.matmul_int8(x, w) if id(w) in self.int8 else ops.matmul(x, w)

    def forward(self, tokens, positions):
        """Logits (seq, n_vocab) of `tokens` at `positions`; fills the cache."""
        hp = self.hp
        tokens = np.asarray(tokens)
        positions = np.asarray(positions)
        if positions.max(initial=0) >= self.n_ctx:
            raise ValueError(f"position {positions.max()} is past n_ctx {self.n_ctx}")
        seq = len(tokens)
        x = ops.embedding(self.tok_embd, tokens)                 # (seq, dim)
        for l, L in enumerate(self.layers):
            xb = ops.rms_norm(x, L["attn_norm"], hp.eps)
            q = self.mm(xb, L["attn_q"]).reshape(seq, hp.n_heads, hp.head_dim)
            k = self.mm(xb, L["attn_k"]).reshape(seq, hp.n_kv_heads, hp.head_dim)
            v = self.mm(xb, L["attn_v"]).reshape(seq, hp.n_kv_heads, hp.head_dim)
            q = ops.rope(q, positions, hp.n_rot, hp.theta)
            k = ops.rope(k, positions, hp.n_rot, hp.theta)
            att = ops.attention(q, k, v, positions, self.k_cache[l], self.v_cache[l])
            x = x + self.mm(att.reshape(seq, -1), L["attn_output"])
            xb = ops.rms_norm(x, L["ffn_norm"], hp.eps)
            h = ops.swiglu(self.mm(xb, L["ffn_gate"]), self.mm(xb, L["ffn_up"]))
            x = x + self.mm(h, L["ffn_down"])
        x = ops.rms_norm(x, self.output_norm, hp.eps)
        return self.mm(x, self.output)                         # (seq, n_vocab)


def greedy(model, prompt_ids, n_predict, batch_prompt=True):
    """Greedy continuation: returns (generated ids, logits of every fed token).

    The prompt is evaluated in one batch (or token by token), then one token
    per step. Logit row r belongs to the r-th fed token.
    """
    rows = []
    if batch_prompt:
        rows.append(model.forward(prompt_ids, np.arange(len(prompt_ids))))
    else:
        for p, t in enumerate(prompt_ids):
            rows.append(model.forward([t], [p]))
    logits = np.concatenate(rows)
    generated = []
    pos = len(prompt_ids)
    last = logits[-1]
    all_rows = [logits]
    for _ in range(n_predict):
        nxt = int(np.argmax(last))
        generated.append(nxt)
        if pos >= model.n_ctx or len(generated) == n_predict:
            break
        last = model.forward([nxt], [pos])[0]
        all_rows.append(last[None, :])
        pos += 1
    return generated, np.concatenate(all_rows)
