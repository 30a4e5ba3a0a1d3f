//===- LlamaKernelOps.td - Kernel-level ops of the llama dialect -*- tablegen -*-===//
//
// The ops that the lowering of the model-level ops produces and later
// passes expand: the configured, tileable matmul over packed row tiles or
// rows, the configured attention over a cache layer, and the integer dot
// products of the kernels. Included by LlamaOps.td (one
// generated op list); the same constraint labels (C1, C2, ...) as there.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_KERNEL_OPS_TD
#define LLAMA_KERNEL_OPS_TD

include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/TilingInterface.td"

//===----------------------------------------------------------------------===//
// llama.kernel_matmul
//===----------------------------------------------------------------------===//

def Llama_KernelMatmulOp : Llama_Op<"kernel_matmul", [
    AttrSizedOperandSegments,
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<TilingInterface, [
        "getLoopIteratorTypes", "getIterationDomain",
        "getTiledImplementation", "getResultTilePosition"]>,
    DeclareOpInterfaceMethods<BufferizableOpInterface, [
        "bufferizesToMemoryRead", "bufferizesToMemoryWrite",
        "getAliasingValues", "bufferize"]>]> {
  let summary = "a configured, tileable matmul over weight rows or 16-row "
                "tiles";
  let description = [{
    The structured form of the CPU matmuls: `llama-lower-to-loops` writes it
    for `llama.matmul`, `llama.matmul_swiglu` and `llama.qkv_rope` after
    their activation prologue (on GPUs for the thread kernels: row kernels
    with scalar code, a task per row). With one weight `W` (N x K) and
    `epilogue = none`:

        init[s, n] = (accumulate ? init[s, n] : 0) + r[s] * sum_k W[n, k] x[s, k]

    for every token s and row n, where x is the activation row (times the
    RMSNorm weight `gamma` where given) and r[s] the token's RMSNorm scale
    (`scales`, 1 when absent). With `epilogue = swiglu` and two weights
    `G`, `U`: `init[s, n] = silu(g) * u` of the two dot products. With
    `epilogue = rope` and one weight whose rows are pairs (2j, 2j + 1) of
    features, and the rotation table `rotation` (f32 [tokens, 2, W]):

        init[s, n] = y[s, n] * rotation[s, 0, n mod W]
                   + y[s, n xor 1] * rotation[s, 1, n mod W]

    of the dot products y. For RoPE the table holds, per token and column
    j (feature d = j mod head_dim, angle t = pos * theta^(-2 floor(d/2) /
    n_rot)), cos t in row 0 and -sin t (d even) or sin t (d odd) in row 1;
    (1, 0) where d >= n_rot. `llama-lower-to-loops` writes it for
    `llama.qkv_rope` with W = lcm(head_dim, 16) for tiles (every tile of 16
    rows reads 16 consecutive columns) and W = head_dim for row kernels.

    The configuration's `tile_rows` says how the rows are computed, and
    the op's row step (the rows one kernel step takes) follows from it:
    * `tile_rows = 16`: packed row tiles (docs/Tiles.md), 16 rows per
      step, one per lane. The dot products are the exact int32 block sums
      of the weights' quants with the activations quantized per block of
      32 (`xq`, scales `xd`, quant sums `xs`; Q6_K tiles also `xl`, AMX
      also `xt`), scaled in f32 as `llama-lower-to-loops` documents, or
      for f16/bf16 weights f32 dot products of `x` (prefills: full blocks
      of tokens also as `xf`, `gamma` multiplied into the other tokens).
    * `tile_rows = 0`: row kernels, each row's dot products reduced along K
      in the GGUF layout, the prefill's tokens in blocks of `token_block`.
      One row per step, two (a RoPE pair) with `epilogue = rope`. `x` and
      `gamma` are the raw activations and the norm weight; `xq`, `xd`,
      `xs`, where given, serve the weights that have integer dots.

    The weights are buffers (views of the mapped file, in the GGUF layout
    or, with `layout = rows16` in the configuration, packed at compile
    time); `gamma` too. Everything else is a tensor before bufferization
    and a buffer after it (then the op has no result and writes `init`).

    The iteration space is (tokens, rows), both parallel
    (`TilingInterface`): `llama-tile-kernels` tiles it by the
    configuration's `distribute` ([tokens, rows] per task), by default all
    tokens and the row step, into an `scf.forall`, and a tile slices `init`
    and the per-token
    operands and views each weight from the tile's first row to its end
    (the op reads a weight's first N rows; the packed tiles' software
    prefetch reaches into the next tile). On buffers,
    `llama-lower-kernel-matmul` writes each step as its kernel.

    Constraints:
    (C1) one weight with `epilogue = none` or `rope`, two with `swiglu`;
         `weight_types` names one GGML type per weight; `accumulate` only
         with `none`;
    (C2) integer tiles (`xq` given) have `xd` and `xs` and no `x`, `xf` or
         `gamma`; float tiles have `x` and none of `xq`, `xd`, `xs`, `xl`,
         `xt`; row kernels have `x`, `xq` with `xd` and `xs` or none of
         them, `xl` only with `xq` (and always with `xq` for `q2_k`
         weights, whose groups have a min per 16 elements), and no `xt`
         or `xf`;
    (C3) `init` is f32 [tokens, N] with N a multiple of the row step; a
         tensor `init` has the result of its type, a buffer none;
    (C4) the configuration is a CPU one (`block_threads = 0`; its
         `tile_rows` is 16 or 0) or a GPU one of thread kernels
         (`dispatch = threads`, `tile_rows = 0`);
    (C5) `rotation` is given exactly with `epilogue = rope`: f32
         [tokens, 2, W] (the tokens of `init`), W a static positive
         multiple of the row step that divides N; a buffer exactly when
         `init` is;
    (C6) `x` is f32 [tokens, K] and `xq` i8 [tokens, K], K static (the
         same for both); the activations are buffers exactly when `init`
         is one;
    (C7) `xf` is f32 [blocks, K, T] with the K of `x` and T the
         configuration's `token_block` (the blocks the tiles read from it);
    (C8) the configuration's `distribute`, where given, is [tokens, rows]:
         rows a positive multiple of the row step that divides N, tokens
         0 (all) or, without `xt` and `xf` (tokens in blocks), 1.

    Example (a Q4_0 decode step on AVX-512 VNNI, with its residual add):
    ```mlir
    %y = llama.kernel_matmul none weights(%w : memref<4x2x576xi8>)
        xq(%q : tensor<1x64xi8>) xd(%d : tensor<1x2xf32>)
        xs(%s : tensor<1x2xf32>) outs(%r : tensor<1x64xf32>)
        {accumulate, weight_types = ["q4_0"],
         kernel_config = #llama.kernel_config<dispatch = threads,
             dot = vector, int_dot = avx512vnni, token_block = 8,
             tile_rows = 16, layout = rows16>} -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyMemRef>:$weights,
                       Optional<AnyShaped>:$x, Optional<AnyShaped>:$xq,
                       Optional<AnyShaped>:$xd, Optional<AnyShaped>:$xs,
                       Optional<AnyShaped>:$xl, Optional<AnyShaped>:$xt,
                       Optional<AnyShaped>:$xf, Optional<AnyMemRef>:$gamma,
                       Optional<AnyShaped>:$scales,
                       Optional<AnyShaped>:$rotation, AnyShaped:$init,
                       StrArrayAttr:$weight_types,
                       Llama_TileEpilogue:$epilogue, UnitAttr:$accumulate,
                       Llama_KernelConfigAttr:$kernel_config);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    $epilogue `weights` `(` $weights `:` type($weights) `)`
    (`x` `(` $x^ `:` type($x) `)`)?
    (`xq` `(` $xq^ `:` type($xq) `)`)?
    (`xd` `(` $xd^ `:` type($xd) `)`)?
    (`xs` `(` $xs^ `:` type($xs) `)`)?
    (`xl` `(` $xl^ `:` type($xl) `)`)?
    (`xt` `(` $xt^ `:` type($xt) `)`)?
    (`xf` `(` $xf^ `:` type($xf) `)`)?
    (`gamma` `(` $gamma^ `:` type($gamma) `)`)?
    (`scales` `(` $scales^ `:` type($scales) `)`)?
    (`rotation` `(` $rotation^ `:` type($rotation) `)`)?
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// The operands indexed by token alone (sliced when tokens are tiled;
    /// `rotation`, indexed by token and row, is not one of them).
    ::llvm::SmallVector<::mlir::OpOperand *> getTokenOperands();
    /// The rows one step of the kernel computes: the configuration's
    /// `tile_rows` for tiles; for row kernels 2 with `epilogue = rope` (a
    /// pair), else 1. Row tiles are multiples of it.
    int64_t getRowStep();
  }];
}

//===----------------------------------------------------------------------===//
// llama.kernel_attention
//===----------------------------------------------------------------------===//

def Llama_KernelAttentionOp : Llama_Op<"kernel_attention", [
    DestinationStyleOpInterface,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
    DeclareOpInterfaceMethods<TilingInterface, [
        "getLoopIteratorTypes", "getIterationDomain",
        "getTiledImplementation", "getResultTilePosition"]>,
    DeclareOpInterfaceMethods<BufferizableOpInterface, [
        "bufferizesToMemoryRead", "bufferizesToMemoryWrite",
        "getAliasingValues", "bufferize"]>]> {
  let summary = "configured, tileable causal GQA attention over a cache layer";
  let description = [{
    The structured form of the CPU's (and the GPU thread kernels')
    `llama.gqa_attention` after its keys and values are in the cache:
    `llama-lower-to-loops` writes the cache append, then this op, which
    only reads the cache layer (`keys`, `values`: [n_ctx, n_kv_heads,
    head_dim], f32 or f16, views of the runtime's cache). With kv_mul =
    n_heads / n_kv_heads and g(h) = h / kv_mul, for every token s and
    query head h:

        x_t = scale * dot(query[s, h, :], keys[t, g(h), :])
              for 0 <= t <= positions[s]
        init[s, h, :] = sum_t softmax_t(x)_t * values[t, g(h), :]

    The iteration space is (tokens, KV heads), both parallel
    (`TilingInterface`): `llama-tile-kernels` tiles it by (1, 1) into an
    `scf.forall`, one task per token and KV head, each of which walks the
    cache rows once for the kv_mul query heads that share them (an online
    softmax, `llama-lower-kernel-attention`). A tile of KV heads
    [g0, g0 + n) takes the query heads [g0 kv_mul, (g0 + n) kv_mul) and the
    cache columns [g0, g0 + n).

    With `outside_in`, iteration i of the token dimension computes token
    i / 2 for even i and tokens - 1 - i / 2 for odd i: a causal token's
    cost grows with its position, and the thread pool hands out
    contiguous chunks of the tasks, the first ones long, so that in token
    order the thread that took the last chunk would do most of a prefill's
    work. Such a token dimension can only be tiled by 1 or taken whole; KV
    heads by static sizes that divide n_kv_heads.

    The configuration's `kv_block` B is the cache rows of one
    online-softmax step of a task: with B > 1 a head's B scores are one
    vector<B> (one max, one vector exp, one rescale of the head's state per
    block), the rows past the last whole block one by one (the CPU kernel
    table chooses B per target).

    `query`, `positions` and `init` are tensors before bufferization and
    buffers after it (then the op has no result and writes `init`).

    Constraints:
    (C1) `query`, `positions` and `init` are ranked tensors or buffers;
         `query` is f32 [tokens, n_heads, head_dim] with static heads and
         head_dim, `init` of a compatible shape;
    (C2) `keys` and `values` are buffers of one type, f32 or f16
         [n_ctx, n_kv_heads, head_dim] with n_ctx not 0, n_kv_heads a
         static divisor of n_heads and head_dim that of `query`;
    (C3) `positions` is i32 or i64 [tokens];
    (C4) the configuration is a CPU one (`block_threads = 0`; the kernel
         is the same for every `dot`) or a GPU one of thread kernels
         (`dispatch = threads`);
    (C5) `query` and `positions` are buffers exactly when `init` is one; a
         tensor `init` has one result of its type, a buffer none;
    (C6) `scale` is finite and positive.

    Example (a stories260K prefill: 8 query heads share 4 KV heads):
    ```mlir
    %o = llama.kernel_attention q(%q : tensor<?x8x8xf32>)
        positions(%p : tensor<?xi32>)
        cache(%k, %v : memref<128x4x8xf32>, memref<128x4x8xf32>)
        outs(%init : tensor<?x8x8xf32>) {outside_in, scale = 0.353553385 : f32,
        kernel_config = #llama.kernel_config<dispatch = threads, dot = vector,
                                             kv_block = 16>}
        -> tensor<?x8x8xf32>
    ```
  }];
  let arguments = (ins AnyShaped:$query, AnyShaped:$positions,
                       AnyMemRef:$keys, AnyMemRef:$values, AnyShaped:$init,
                       F32Attr:$scale, UnitAttr:$outside_in,
                       Llama_KernelConfigAttr:$kernel_config);
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    `q` `(` $query `:` type($query) `)`
    `positions` `(` $positions `:` type($positions) `)`
    `cache` `(` $keys `,` $values `:` type($keys) `,` type($values) `)`
    `outs` `(` $init `:` type($init) `)` attr-dict (`->` type($result)^)?
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getInitMutable();
    }
    /// Query heads per KV head.
    int64_t getKVMul();
    /// Token `i` of `n` in outside-in order: i / 2 for even i,
    /// n - 1 - i / 2 for odd i (index values).
    static ::mlir::Value outsideInToken(::mlir::OpBuilder &b,
                                        ::mlir::Location loc,
                                        ::mlir::Value i, ::mlir::Value n);
  }];
}

//===----------------------------------------------------------------------===//
// llama.int8_dot
//===----------------------------------------------------------------------===//

def Llama_Int8DotOp : Llama_Op<"int8_dot", [Pure]> {
  let summary = "exact int8 dot product of a 32-element block, 8 partial sums";
  let description = [{
    The kernel building block of the integer dot products (quantized
    weights times activations quantized to int8), emitted by
    `llama-lower-to-loops{int-dot=...}` and lowered by
    `llama-lower-int8-dot` to the instructions `kind` names:

        out[j] = sum_{i = 4j}^{4j+3} lhs[i] * rhs[i]     (int32, exact)

    for j = 0..7: lanes 0-3 hold the first 16 elements' products, lanes 4-7
    the last 16 (so that 16-element sub-blocks can be scaled separately);
    the lanes add up to `sum_i lhs[i] * rhs[i]`. Operands must lie in
    [-128, 127] for `lhs` and [-127, 127] for `rhs` (the x86 forms multiply
    |lhs| as unsigned with rhs carrying lhs's sign).

    `kind` (an `IntDotKind`, written first): `generic` (sign-extend and
    multiply in vector ops, any target), `avx2` (vpsignb, vpmaddubsw,
    vpmaddwd), `avx512vnni` and `avxvnni` (vpsignb, vpdpbusd: EVEX or VEX),
    `neon_dotprod` (two sdot).

    `lhs_nonneg` promises that every `lhs` element lies in [0, 127] (the
    unsigned K-quant quants): the result is the same, and the x86 forms
    multiply `lhs` as unsigned bytes directly, without the two vpsignb. If
    the promise is broken the result is undefined (like `nsw`), so only
    code that constructs `lhs` from such values sets it.

    Constraints:
    (C1) `lhs` and `rhs` are vector<32xi8>;
    (C2) the result is vector<8xi32>;
    (C3) `kind` is one of the five above (the parser enforces it).

    Example:
    ```mlir
    %s = llama.int8_dot avx2 %w, %x
        : vector<32xi8>, vector<32xi8> -> vector<8xi32>
    %u = llama.int8_dot avx512vnni %q4k, %x {lhs_nonneg}
        : vector<32xi8>, vector<32xi8> -> vector<8xi32>
    ```
  }];
  let arguments = (ins VectorOfNonZeroRankOf<[I8]>:$lhs,
                       VectorOfNonZeroRankOf<[I8]>:$rhs, Llama_IntDotKind:$kind,
                       UnitAttr:$lhs_nonneg);
  let results = (outs VectorOfNonZeroRankOf<[I32]>:$result);
  let assemblyFormat = [{
    $kind $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->`
    type($result)
  }];
}

def Llama_Dot4AccOp : Llama_Op<"dot4_acc",
    [Pure, AllTypesMatch<["acc", "result"]>, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "unsigned-by-signed int8 dot products of 4-element groups, "
            "accumulated";
  let description = [{
    The building block of the packed row-tile kernels (`llama-lower-to-loops`,
    `tile_rows = 16`): each int32 lane adds the dot product of its 4 bytes of
    `lhs`, read as unsigned, with its 4 bytes of `rhs`, read as signed:

        out[j] = acc[j] + sum_{i = 4j}^{4j+3} zext(lhs[i]) * sext(rhs[i])

    for j = 0..N-1 (int32, wrapping; no intermediate saturates). In a packed
    tile, lane j is weight row j and the 4 bytes are 4 consecutive quants of
    that row; `rhs` is one token's 4 activation quants broadcast to every
    lane. Lowered by `llama-lower-int8-dot` to what `kind` names:
    `avx512vnni` (one `vpdpbusd` on ZMM, YMM or XMM for N = 16, 8, 4),
    `avxvnni` (the VEX `vpdpbusd` per 256 or 128 bits), `avx2` (per 256 or
    128 bits: `vpmaddubsw`, `vpmaddwd` against ones,
    `vpaddd`), `neon_dotprod` (one `sdot` per 4 lanes: signed by signed, so
    only with `lhs_small` or `lhs_signed`, below) or `generic`
    (`arith.extui`/`extsi` to i32, `muli`, and three adds of strided
    shuffles; any target).

    `vpmaddubsw` adds two unsigned-by-signed byte products in 16 bits with
    signed saturation, exact only while both lie within 127 x 128. So the
    `avx2` form multiplies `lhs`'s low 7 bits and its top bit apart (two of
    each instruction), unless `lhs_small` promises that every `lhs` byte
    is at most 127 (the packed tiles of formats whose quants, offset to
    unsigned, take 7 bits or fewer: all but Q8_0). If the promise is
    broken the result is undefined (like `nsw`); the VNNI and generic
    kinds ignore it.

    With `lhs_signed` `lhs` is read as signed instead,
    `out[j] = acc[j] + sum sext(lhs[i]) * sext(rhs[i])`, and `rhs` must lie
    in [-127, 127]: the x86 forms multiply |lhs| by `rhs` carrying lhs's
    sign (`vpsignb`), as `llama.int8_dot` does; `neon_dotprod` is one
    `sdot`. The AVX2 and NEON tiles of Q8_0 use it: their stored quants +
    128, flipped back to signed once per tile step for all tokens, then
    cost on AVX2 one `vpsignb` per token instead of a second `vpmaddubsw`,
    `vpmaddwd` and add.

    `lhs_max` promises more: every `lhs` byte is at most that value (the
    packed tiles set it to their format's largest stored quant: 15 for the
    4-bit formats, 31 for the 5-bit ones, 63 for Q6_K). Then a chain of
    `avx2` steps, each the accumulator of the next, can add its
    `vpmaddubsw` pair sums in 16 bits before one `vpmaddwd`: the lane sums
    of L steps stay within L x 2 x lhs_max x 128, exact in 16 bits for up
    to 8, 4 or 2 steps of those formats (`llama-lower-int8-dot`). Broken,
    the result is undefined, as for `lhs_small`.

    Constraints:
    (C1) `lhs` and `rhs` are vector<4N x i8> and `acc` and the result
         vector<N x i32>, N one of 4, 8, 16;
    (C2) `kind` `neon_dotprod` needs `lhs_small` or `lhs_signed` (`sdot`
         has no unsigned-by-signed form; bytes of at most 127 read as
         signed are the same numbers);
    (C3) `lhs_small` and `lhs_signed` are not both set;
    (C4) `lhs_max` lies in [1, 127] and comes with `lhs_small`.

    Example:
    ```mlir
    %s = llama.dot4_acc avx512vnni %acc, %w, %x
        : vector<64xi8>, vector<64xi8> -> vector<16xi32>
    %t = llama.dot4_acc avx2 %acc, %q4, %x {lhs_small}
        : vector<64xi8>, vector<64xi8> -> vector<16xi32>
    %v = llama.dot4_acc avx2 %t, %q4b, %y {lhs_small, lhs_max = 15}
        : vector<64xi8>, vector<64xi8> -> vector<16xi32>
    %u = llama.dot4_acc avx2 %acc, %q8, %x {lhs_signed}
        : vector<64xi8>, vector<64xi8> -> vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfNonZeroRankOf<[I32]>:$acc,
                       VectorOfNonZeroRankOf<[I8]>:$lhs,
                       VectorOfNonZeroRankOf<[I8]>:$rhs,
                       Llama_IntDotKind:$kind, UnitAttr:$lhs_small,
                       UnitAttr:$lhs_signed,
                       OptionalAttr<I64Attr>:$lhs_max);
  let results = (outs VectorOfNonZeroRankOf<[I32]>:$result);
  let assemblyFormat = [{
    $kind $acc `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->`
    type($result)
  }];
}

#endif // LLAMA_KERNEL_OPS_TD
