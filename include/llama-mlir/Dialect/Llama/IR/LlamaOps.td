//===- LlamaOps.td - Operations of the llama dialect -------*- tablegen -*-===//
//
// The model-level operations of a Llama-2 block. Each op lists numbered
// constraints (C1, C2, ...); the verifier in LlamaOps.cpp checks them under the
// same labels and test/Dialect/Llama/invalid-ops.mlir (the fused ops:
// invalid-fused-ops.mlir) has one case per message, named `@<op>_c<N>_...`.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_OPS_TD
#define LLAMA_OPS_TD

include "llama-mlir/Dialect/Llama/IR/LlamaAttrs.td"
include "llama-mlir/Dialect/Llama/IR/LlamaTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

class Llama_Op<string mnemonic, list<Trait> traits = []>
    : Op<Llama_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

def Llama_F32Tensor : RankedTensorOf<[F32]>;
def Llama_IndexTensor : RankedTensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// llama.weight
//===----------------------------------------------------------------------===//

def Llama_WeightOp : Llama_Op<"weight", [Pure]> {
  let summary = "references a tensor of the GGUF file by name";
  let description = [{
    Produces a handle to the GGUF tensor called `name`. The IR carries only
    the name and, in the result type, the shape and element type the code is
    specialised for; the produced program maps the file at run time and checks
    that the tensor exists with exactly this shape and type.

    Constraints:
    (C1) `name` is not empty and contains no NUL byte (GGUF names are strings
         of printable bytes).

    Example:
    ```mlir
    %wq = llama.weight "blk.0.attn_q.weight" : !llama.weight<64x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Llama_WeightType:$result);
  let assemblyFormat = "$name attr-dict `:` qualified(type($result))";
}

//===----------------------------------------------------------------------===//
// llama.embedding
//===----------------------------------------------------------------------===//

def Llama_EmbeddingOp : Llama_Op<"embedding", [Pure]> {
  let summary = "gathers (and dequantizes) rows of the token embedding table";
  let description = [{
    For token ids `tokens[s]`, returns `out[s, :] = dequant(table[tokens[s], :])`
    as `f32`. Shapes: `table : [n_vocab, dim]`, `tokens : [seq]`,
    `out : [seq, dim]`. A token id outside `[0, n_vocab)` is a run-time error
    reported by the produced program, not undefined behaviour.

    Constraints:
    (C1) `table` has rank 2;
    (C2) `tokens` has rank 1;
    (C3) the result has shape `[seq, dim]`: `seq` compatible with the length of
         `tokens`, `dim` equal to the table's row length.

    Example:
    ```mlir
    %x = llama.embedding %table, %tokens
        : (!llama.weight<512x64xq8_0>, tensor<?xi32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Llama_WeightType:$table, Llama_IndexTensor:$tokens);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat =
      "$table `,` $tokens attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// llama.rms_norm
//===----------------------------------------------------------------------===//

def Llama_RMSNormOp : Llama_Op<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalisation with a learned scale";
  let description = [{
    Normalises every row of `input` over its last dimension and scales it by
    `weight`:

        out[s, i] = input[s, i] / sqrt(mean_j(input[s, j]^2) + epsilon) * weight[i]

    Shapes: `input : [..., dim]`, `weight : [dim]`, `out` of `input`'s type.

    Constraints:
    (C1) `weight` has rank 1 and a floating-point element type (`f32`, `f16`,
         `bf16`);
    (C2) `input` has rank at least 1 and its last dimension equals the length
         of `weight`;
    (C3) the result has the type of `input`;
    (C4) `epsilon` is finite and positive.

    Example:
    ```mlir
    %n = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32}
        : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$weight,
                       F32Attr:$epsilon);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// llama.matmul
//===----------------------------------------------------------------------===//

def Llama_MatmulOp : Llama_Op<"matmul", [Pure]> {
  let summary = "activations times the transpose of a (quantized) weight";
  let description = [{
    A linear layer without bias: every output feature is the dot product of
    an input row with a weight row, the weight dequantized on the fly:

        out[s, n] = sum_k input[s, k] * dequant(weight[n, k])

    Shapes: `input : [seq, K]`, `weight : [N, K]`, `out : [seq, N]`.
    With `seq = 1` this is the GEMV of decoding, otherwise the GEMM of prompt
    processing.

    Constraints:
    (C1) `input` has rank 2;
    (C2) `weight` has rank 2;
    (C3) the input's last dimension equals the weight's row length `K`;
    (C4) the result has shape `[seq, N]`, `seq` compatible with the input's;
    (C5) the RMSNorm prologue (below) is well formed.

    With the optional RMSNorm prologue `norm(%g) {epsilon = e}` (produced by
    `llama-fuse-rmsnorm`) the op multiplies the *normalized* input:

        r[s]      = 1 / sqrt(mean_k(input[s, k]^2) + e)
        out[s, n] = r[s] * sum_k input[s, k] * g[k] * dequant(weight[n, k])

    i.e. `matmul(rms_norm(input, g, e), weight)` without the normalized
    tensor: the row scale `r[s]` is computed once per token and applied in the
    epilogue, `g` is applied as the activations are loaded. A prologue needs
    `g : [K]` of type f32, f16 or bf16 and an `epsilon` that is finite and
    positive; `epsilon` without `norm` is an error.

    Example:
    ```mlir
    %q = llama.matmul %xn, %wq
        : (tensor<?x64xf32>, !llama.weight<64x64xq4_k>) -> tensor<?x64xf32>
    %y = llama.matmul %x, %wo norm(%g) {epsilon = 1.0e-05 : f32}
        : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<64xf32>)
        -> tensor<?x64xf32>
    ```
    (`q4_k` needs `K` to be a multiple of 256; the example is for syntax.)
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$weight,
                       Optional<Llama_WeightType>:$norm,
                       OptionalAttr<F32Attr>:$epsilon);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`norm` `(` $norm^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input, "Value":$weight), [{
      build($_builder, $_state, result, input, weight, Value(), FloatAttr());
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// llama.rope
//===----------------------------------------------------------------------===//

def Llama_RoPEOp : Llama_Op<"rope", [Pure]> {
  let summary = "rotary position embedding of adjacent pairs";
  let description = [{
    Rotates adjacent pairs `(x[2i], x[2i+1])` of every head by an angle that
    grows with the token's position (GGUF / llama.cpp "normal" RoPE, as in
    llama2.c; not the rotate-half NeoX layout):

        theta_i = theta ^ (-2i / n_rot)          for 0 <= i < n_rot / 2
        a       = positions[s] * theta_i
        out[s, h, 2i]   = x[s, h, 2i] * cos(a) - x[s, h, 2i+1] * sin(a)
        out[s, h, 2i+1] = x[s, h, 2i] * sin(a) + x[s, h, 2i+1] * cos(a)
        out[s, h, j]    = x[s, h, j]             for n_rot <= j < head_dim

    Shapes: `input : [seq, heads, head_dim]`, `positions : [seq]`,
    `out` of `input`'s type.

    Constraints:
    (C1) `input` has rank 3;
    (C2) `positions` has rank 1 and a length compatible with `seq`;
    (C3) `n_rot` is even, positive, and at most `head_dim`;
    (C4) `theta` is finite and positive;
    (C5) the result has the type of `input`.

    Example:
    ```mlir
    %qr = llama.rope %q, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32}
        : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_IndexTensor:$positions,
                       I64Attr:$n_rot, F32Attr:$theta);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $positions attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// llama.kv_cache_layer
//===----------------------------------------------------------------------===//

def Llama_KVCacheLayerOp : Llama_Op<"kv_cache_layer", [Pure]> {
  let summary = "one layer of the KV cache, as a cache of one layer";
  let description = [{
    A handle to layer `layer` of `cache`, typed as a cache of one layer. It
    is the same runtime buffer: what an attention op writes through the
    result at its layer 0 is layer `layer` of `cache`, and the reverse. With
    it one function serves every layer whose weights have the same types
    (`llama-share-layers` passes each call its layer's cache).

    Constraints:
    (C1) `0 <= layer < n_layers` of `cache`;
    (C2) the result has one layer and otherwise the shape and element type
         of `cache`.

    Example:
    ```mlir
    %c3 = llama.kv_cache_layer %cache[3]
        : !llama.kv_cache<5x128x4x8xf32> -> !llama.kv_cache<1x128x4x8xf32>
    ```
  }];
  let arguments = (ins Llama_KVCacheType:$cache, I64Attr:$layer);
  let results = (outs Llama_KVCacheType:$result);
  let assemblyFormat = [{
    $cache `[` $layer `]` attr-dict `:` qualified(type($cache)) `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// llama.attention
//===----------------------------------------------------------------------===//

class Llama_AttentionBase<string mnemonic> : Llama_Op<mnemonic> {
  let arguments = (ins Llama_F32Tensor:$query, Llama_F32Tensor:$key,
                       Llama_F32Tensor:$value, Llama_IndexTensor:$positions,
                       Arg<Llama_KVCacheType, "the KV cache",
                           [MemRead, MemWrite]>:$cache,
                       I64Attr:$layer, OptionalAttr<F32Attr>:$scale);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $positions `,` $cache attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    int64_t getNumHeads();
    int64_t getNumKVHeads();
    int64_t getHeadDim();
    /// Query heads per KV head (n_heads / n_kv_heads).
    int64_t getKVMul() { return getNumHeads() / getNumKVHeads(); }
    /// `scale`, or 1/sqrt(head_dim) when absent.
    float getScaleOrDefault();
  }];
}

def Llama_AttentionOp : Llama_AttentionBase<"attention"> {
  let summary = "causal grouped-query attention through the KV cache";
  let description = [{
    Appends this step's keys and values to layer `layer` of the KV cache at
    `positions`, then lets every query attend causally to the cache:

        cache.K[layer, positions[s], g, :] = key[s, g, :]
        cache.V[layer, positions[s], g, :] = value[s, g, :]
        kv_mul = n_heads / n_kv_heads,  g(h) = h / kv_mul
        score[s, h, t] = scale * dot(query[s, h, :], cache.K[layer, t, g(h), :])
                         for 0 <= t <= positions[s]
        p[s, h, :]     = softmax_t(score[s, h, :])
        out[s, h, :]   = sum_t p[s, h, t] * cache.V[layer, t, g(h), :]

    `scale` defaults to `1 / sqrt(head_dim)`. `n_heads`, `n_kv_heads` and
    `head_dim` are read from the operand shapes (`getNumHeads()`,
    `getNumKVHeads()`, `getHeadDim()`, `getKVMul()`). All writes happen before
    any read, so a prompt of several tokens (prefill) sees its own earlier
    tokens. The op reads and writes the cache, and is ordered with other
    accesses to it.

    Shapes: `query : [seq, n_heads, head_dim]`,
    `key, value : [seq, n_kv_heads, head_dim]`, `positions : [seq]`,
    `cache : !llama.kv_cache<n_layers x n_ctx x n_kv_heads x head_dim x T>`,
    `out` of `query`'s type.

    Constraints:
    (C1) `query`, `key` and `value` have rank 3;
    (C2) `key` and `value` have the same type;
    (C3) `n_heads` is a multiple of `n_kv_heads`;
    (C4) `head_dim` of query, keys and the cache agree, and the cache has
         `n_kv_heads` heads;
    (C5) `0 <= layer < n_layers`;
    (C6) `positions` has rank 1; `seq` of query, keys and positions are
         compatible;
    (C7) a static `seq` is at most `n_ctx`;
    (C8) `scale`, when given, is finite and positive;
    (C9) the result has the type of `query`.

    Example (stories260K: 8 query heads share 4 KV heads):
    ```mlir
    %o = llama.attention %q, %k, %v, %pos, %cache {layer = 0 : i64}
        : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>,
           tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// llama.gqa_attention
//===----------------------------------------------------------------------===//

def Llama_GQAAttentionOp : Llama_AttentionBase<"gqa_attention"> {
  let summary = "attention as one online-softmax kernel per KV head";
  let description = [{
    Exactly the math of `llama.attention` (same operands, attributes,
    constraints C1-C9 and cache effects), produced by `llama-fuse-gqa` to
    select a different schedule: one task per (token, KV head) walks the
    cache rows `t = 0 .. positions[s]` once, and for each row updates all
    `kv_mul` query heads that share it with an online (streaming) softmax:

        m_h = max(m_h, x),  x = scale * dot(query[s, h, :], K[t])
        l_h = l_h * exp(m_h_old - m_h) + exp(x - m_h)
        o_h = o_h * exp(m_h_old - m_h) + exp(x - m_h) * V[t]
        out[s, h, :] = o_h / l_h

    so each K and V row is read once per token for its `kv_mul` heads and no
    score row is stored.

    Example:
    ```mlir
    %o = llama.gqa_attention %q, %k, %v, %pos, %cache {layer = 0 : i64}
        : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>,
           tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// llama.swiglu
//===----------------------------------------------------------------------===//

def Llama_SwiGLUOp : Llama_Op<"swiglu", [Pure]> {
  let summary = "SiLU-gated linear unit: silu(gate) * up";
  let description = [{
    The activation of the Llama feed-forward block, element by element:

        silu(a)  = a * sigmoid(a) = a / (1 + exp(-a))
        out[i]   = silu(gate[i]) * up[i]

    Shapes: `gate`, `up` and `out` have one and the same type
    (`[seq, hidden_dim]` in a model).

    Constraints:
    (C1) `gate` and `up` have the same shape;
    (C2) the result has the type of `gate`.

    Example:
    ```mlir
    %h = llama.swiglu %g, %u
        : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$gate, Llama_F32Tensor:$up);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat =
      "$gate `,` $up attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// llama.matmul_swiglu
//===----------------------------------------------------------------------===//

def Llama_MatmulSwiGLUOp : Llama_Op<"matmul_swiglu", [Pure]> {
  let summary = "gate and up projections with the SwiGLU epilogue, fused";
  let description = [{
    The first half of the Llama feed-forward block in one op, as produced by
    `llama-fuse-swiglu`:

        g[s, h]   = sum_k input[s, k] * dequant(gate[h, k])
        u[s, h]   = sum_k input[s, k] * dequant(up[h, k])
        out[s, h] = silu(g[s, h]) * u[s, h]

    Lowered as one pass over the activations: both dot products of a row are
    computed together and only `out` is written (the gate and up activations
    are never stored).

    Shapes: `input : [seq, K]`, `gate, up : [hidden_dim, K]`,
    `out : [seq, hidden_dim]`.

    Constraints:
    (C1) `input` has rank 2;
    (C2) `gate` and `up` have rank 2 and the same shape (their element types
         may differ, as in mixed files);
    (C3) the input's last dimension equals the weights' row length `K`;
    (C4) the result has shape `[seq, hidden_dim]`;
    (C5) the RMSNorm prologue `norm(%g) {epsilon = e}`, when present, is well
         formed (as `llama.matmul` C5: `input` is normalized on the fly).

    Example:
    ```mlir
    %h = llama.matmul_swiglu %xn, %wg, %wu
        : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>,
           !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$gate,
                       Llama_WeightType:$up, Optional<Llama_WeightType>:$norm,
                       OptionalAttr<F32Attr>:$epsilon);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $up (`norm` `(` $norm^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$input, "Value":$gate,
                   "Value":$up), [{
      build($_builder, $_state, result, input, gate, up, Value(), FloatAttr());
    }]>
  ];
}

//===----------------------------------------------------------------------===//
// llama.qkv_rope
//===----------------------------------------------------------------------===//

def Llama_QKVRoPEOp : Llama_Op<"qkv_rope", [Pure]> {
  let summary = "the Q, K and V projections in one pass, RoPE in the epilogue";
  let description = [{
    The projections that feed attention, as produced by `llama-fuse-rope`:

        q = rope(heads(matmul(input, wq)), positions)
        k = rope(heads(matmul(input, wk)), positions)
        v =      heads(matmul(input, wv))

    where `heads` splits `[seq, n * head_dim]` into `[seq, n, head_dim]` and
    `rope` is `llama.rope` with `n_rot` and `theta`. Lowered as one parallel
    pass over the rows of `wq`, `wk` and `wv` taken two at a time: the dot
    products of an adjacent pair of output features are rotated together in
    the epilogue, so the unrotated projections are never stored.

    With the optional RMSNorm prologue `norm(%g) {epsilon = e}` (from
    `llama-fuse-rmsnorm`) `input` is normalized on the fly, as for
    `llama.matmul`: the row scale is computed once for all three projections.

    Shapes: `input : [seq, K]`, `wq : [n_heads * head_dim, K]`,
    `wk, wv : [n_kv_heads * head_dim, K]`, `positions : [seq]`, results
    `query : [seq, n_heads, head_dim]`, `key, value : [seq, n_kv_heads,
    head_dim]`.

    Constraints:
    (C1) `input` has rank 2;
    (C2) `wq`, `wk`, `wv` have rank 2 and row length `K` (the input's last
         dimension); `wk` and `wv` have the same shape;
    (C3) the results have rank 3, static heads and head_dim, one head_dim,
         `n_heads * head_dim` = rows of `wq`, `n_kv_heads * head_dim` = rows
         of `wk`, and a `seq` compatible with the input's; key and value
         have the same type;
    (C4) `head_dim` is even, `n_rot` is even, positive and at most `head_dim`;
    (C5) `theta` is finite and positive;
    (C6) `positions` has rank 1 and a length compatible with `seq`;
    (C7) the RMSNorm prologue, when present, is well formed (as
         `llama.matmul` C5).

    Example:
    ```mlir
    %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %pos norm(%g)
        {epsilon = 1.0e-05 : f32, n_rot = 8 : i64, theta = 1.0e+04 : f32}
        : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>,
           !llama.weight<32x64xq8_0>, !llama.weight<32x64xq8_0>,
           tensor<?xi32>, !llama.weight<64xf32>)
        -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$wq,
                       Llama_WeightType:$wk, Llama_WeightType:$wv,
                       Llama_IndexTensor:$positions,
                       Optional<Llama_WeightType>:$norm,
                       I64Attr:$n_rot, F32Attr:$theta,
                       OptionalAttr<F32Attr>:$epsilon);
  let results = (outs Llama_F32Tensor:$query, Llama_F32Tensor:$key,
                      Llama_F32Tensor:$value);
  let assemblyFormat = [{
    $input `,` $wq `,` $wk `,` $wv `,` $positions (`norm` `(` $norm^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
}

include "llama-mlir/Dialect/Llama/IR/LlamaKernelOps.td"

#endif // LLAMA_OPS_TD
