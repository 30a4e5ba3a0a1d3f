//===- LlamaOps.td - Operations of the llama dialect -------*- tablegen -*-===//
//
// The model-level operations of a Llama-2 block. Each op lists numbered
// constraints (C1, C2, ...); the verifier in LlamaOps.cpp checks them under the
// same labels and test/Dialect/Llama/invalid.mlir has one case per message,
// named `@<op>_c<N>_...`.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_OPS_TD
#define LLAMA_OPS_TD

include "llama-mlir/Dialect/Llama/IR/LlamaTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

class Llama_Op<string mnemonic, list<Trait> traits = []>
    : Op<Llama_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

def Llama_F32Tensor : TensorOf<[F32]>;
def Llama_IndexTensor : TensorOf<[I32, I64]>;

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
    (C4) the result has shape `[seq, N]`, `seq` compatible with the input's.

    Example:
    ```mlir
    %q = llama.matmul %xn, %wq
        : (tensor<?x64xf32>, !llama.weight<64x64xq4_k>) -> tensor<?x64xf32>
    ```
    (`q4_k` needs `K` to be a multiple of 256; the example is for syntax.)
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$weight);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` functional-type(operands, results)";
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
// llama.attention
//===----------------------------------------------------------------------===//

def Llama_AttentionOp : Llama_Op<"attention"> {
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
    (C4) the result has shape `[seq, hidden_dim]`.

    Example:
    ```mlir
    %h = llama.matmul_swiglu %xn, %wg, %wu
        : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>,
           !llama.weight<172x64xq4_0>) -> tensor<?x172xf32>
    ```
  }];
  let arguments = (ins Llama_F32Tensor:$input, Llama_WeightType:$gate,
                       Llama_WeightType:$up);
  let results = (outs Llama_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $up attr-dict `:` functional-type(operands, results)
  }];
}

#endif // LLAMA_OPS_TD
