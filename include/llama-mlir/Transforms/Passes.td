//===- Passes.td - Passes of llama-mlir --------------------*- tablegen -*-===//
//
// Every llama-mlir pass: one def here (those of the kernel ops in
// KernelPasses.td and the GPU pipeline's in GPUPasses.td, included below),
// one .cpp named after the flag (in lib/Transforms,
// lib/Conversion/LlamaTo* or lib/Codegen), one lit file in test/Transforms
// (test/Codegen for the kernel configuration).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_PASSES_TD
#define LLAMA_MLIR_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LlamaLowerToLinalgPass : Pass<"llama-lower-to-linalg"> {
  let summary = "Lower element-wise llama ops to linalg.generic on tensors";
  let description = [{
    Rewrites the `llama` ops whose semantics need no weight bytes into
    `linalg.generic` ops on tensors, with the math in the `arith` and `math`
    dialects:

    * `llama.swiglu` becomes one element-wise generic computing
      `gate / (1 + exp(-gate)) * up`;
    * `llama.rope` becomes one generic over `[seq, heads, head_dim / 2, 2]`
      (the input expanded so that each adjacent pair is addressable with
      affine maps) that reads both members of the pair, computes the angle
      `positions[s] * theta ^ (-2i / n_rot)` from the loop index, rotates the
      pairs below `n_rot`, and copies the rest.

    Input invariant: `llama` ops on ranked tensors (verified).
    Output IR: `linalg.generic`, `tensor.empty`, `tensor.expand_shape` /
    `tensor.collapse_shape`, `arith` and `math` ops; the weight-reading ops
    (`llama.matmul`, `llama.embedding`, `llama.rms_norm`) and
    `llama.attention` are left for the lowering that binds weights and the
    KV cache to runtime buffers.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def LlamaConfigureKernelsPass : Pass<"llama-configure-kernels", "ModuleOp"> {
  let summary = "Give every model-level op a #llama.kernel_config from its "
                "target family's table";
  let description = [{
    Attaches `llama.kernel_config = #llama.kernel_config<...>` (LlamaAttrs.td)
    to every `llama.embedding`, `llama.rms_norm`, `llama.matmul`,
    `llama.matmul_swiglu`, `llama.qkv_rope`, `llama.attention` and
    `llama.gqa_attention` that has none; `llama-lower-to-loops` then writes
    each op's kernel from its configuration alone.

    `target` names a row of the CPU table (lib/Codegen/CPU/KernelConfig.cpp:
    `avx512vnni`, `avx512`, `avx2`, `sve-dotprod`, `sve`, `neon-dotprod`,
    `generic`) or the GPU table (`nvptx`, lib/Codegen/GPU/KernelConfig.cpp).
    A row gives the int8 dot instructions, the prefill token block, 16-row
    tiles and the vector form; per op they apply where the weights allow
    (Formats.h):

    * `int_dot`: the row's, where `int-dot` is on, K is a multiple of 32 and
      a weight of the op has integer dots (every quantized type);
      else `none`.
    * `tile_rows = 16`: on rows with tiles, with `int-dot` on, where every
      weight has a multiple of 16 rows and packs (the quantized types with
      int8 activations; F16, BF16 without).
    * `token_block`: where the op takes tiles, the row's integer or float
      tile block (AVX-512: 8 / 24, AVX2: 4 / 6, AVX-VNNI: 2 / 6; AVX-512
      without VNNI: 4 / 24; NEON with dot products: 4 / 6); where every weight has vectorized block dots,
      the row's block for rows (8 on AVX-512, else 4); else 1.
      `token-block` overrides both.
    * `kv_block` (llama.gqa_attention): the row's cache-row block of the
      online softmax (16 on every row); `kv-block` overrides it.
    * `layout = rows16` (`packed-weights`): on the tiled ops all of whose
      quantized, F16 or BF16 weights are used only by tiled ops of one kind
      of tile (an op takes the layout for all its weights or none, to a
      fixed point); llama-compile then writes PROGRAM.weights. Such ops
      also get the row's `prefetch` distance (36864 bytes on `avx512vnni`,
      4608 on the others); the `prefetch` option overrides it.
    * `nvptx`: `dot = scalar`, `block_threads`, `dispatch = threads` (a
      thread per row) or `warps` (`gpu-warps`: a warp per row, with
      `token_block` where the weights have 8-element units or blocks of at
      most 32), `tensor_cores` and `row_norms` as asked; the CPU options
      `int-dot` and `packed-weights` are refused there.

    Output IR: the input, with the attribute on every such op.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"generic\"",
           "The kernel table row: amx, avx512vnni, avx512, avxvnni, avx2, "
           "sve-dotprod, sve, neon-dotprod, generic, or nvptx">,
    Option<"intDot", "int-dot", "bool", /*default=*/"false",
           "CPU: int8 activations and the row's integer dot instructions, "
           "and the row's 16-row tiles (off: f32 dot products, no tiles; "
           "llama-compile turns it on unless --int-dot=off)">,
    Option<"tokenBlock", "token-block", "int64_t", /*default=*/"0",
           "Tokens per register block of the prefill GEMM, 0..32 (0: the "
           "row's)">,
    Option<"kvBlock", "kv-block", "int64_t", /*default=*/"0",
           "CPU: cache rows per online-softmax step of the GQA attention "
           "(0: the row's)">,
    Option<"prefetch", "prefetch", "int64_t", /*default=*/"-1",
           "CPU, with packed-weights: bytes ahead of its loads that a tile "
           "loop prefetches (a multiple of 64, at most 1 MiB; 0: none; "
           "-1: the row's)">,
    Option<"packedWeights", "packed-weights", "bool", /*default=*/"false",
           "CPU rows with 16-row tiles: read the tiled ops' weights in the "
           "rows16 layout packed at compile time where they can">,
    Option<"gpuWarps", "gpu-warps", "bool", /*default=*/"false",
           "nvptx: a warp of 32 threads per weight row (lane l taking "
           "units l, l+32, ...; sums by gpu.subgroup_reduce), norms a block per "
           "token, every buffer loop a flat parallel loop">,
    Option<"blockThreads", "block-threads", "int64_t", /*default=*/"128",
           "nvptx: threads per block (a multiple of 32 in 32..1024)">,
    Option<"tensorCores", "tensor-cores", "bool", /*default=*/"false",
           "nvptx with gpu-warps: prefill GEMMs in shared memory on tensor "
           "cores (nvgpu.mma.sync m16n8k16 on f16 high and low parts)">,
    Option<"quantizedRowNorms", "quantized-row-norms", "bool",
           /*default=*/"false",
           "nvptx with gpu-warps: in a decode step quantized rows' warps "
           "compute their RMSNorm scale, as f32/f16/bf16 rows' do">,
  ];
}

def LlamaShareLayersPass : Pass<"llama-share-layers", "ModuleOp"> {
  let summary = "Outline each decoder layer into a function that every layer "
                "with the same weight types and kernels calls";
  let description = [{
    In every public function, the ops of layer N (those that use a weight
    named `blk.N.*`, an attention op with `layer = N`, and the ops computed
    only from layer N's results and values from before it) become a call of
    a private function `@<function>_layer_<k>` that takes what the layer
    uses (the hidden state, positions, weights, index values; constants are
    cloned in) and returns what later ops use. Where the layer uses the KV
    cache, the call gets `llama.kv_cache_layer %cache[N]` and the function's
    attention ops use layer 0 of that one-layer cache. Functions whose text
    (generic form, without locations, under one name) is equal are kept
    once: a model whose layers have the same weight types compiles one
    layer per entry point, so that compile time no longer grows with depth.

    Each function records in `llama.result_rows` (one i64 per result) which
    argument its result's row count (dimension 0) comes from: the argument's
    dimension 0 for a tensor, its value for an index, -1 where the rows are
    static; `llama-lower-to-loops` sizes the callers' result buffers from
    it.

    A layer whose result the function returns is left in place (the
    lowering computes only the rows of a returned matmul its caller asks
    for, which a call could not know). One is left in place with a remark
    where its ops cannot move to one point (an op outside the layer that
    uses its results, or has side effects, lies between its first and last
    op), an op uses the KV cache without a `layer`, or a result's rows
    cannot be traced to an argument.

    Input: llama ops after fusion and `llama-configure-kernels` (the
    configurations take part in the comparison). Output IR: the entry
    points as calls of the layer functions.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def LlamaLowerToLoopsPass : Pass<"llama-lower-to-loops", "ModuleOp"> {
  let summary = "Lower weight-reading llama ops and attention to loops over "
                "runtime buffers, and give entry points the runtime ABI";
  let description = [{
    The model-to-buffers step of the compiler. For every function that uses
    llama ops:

    * The signature becomes the runtime ABI (all memrefs, no results):
      `(%file: memref<?xi8>, %offsets: memref<?xi64>, <tensor arguments as
      memrefs>, %k_cache, %v_cache, <results as out-memrefs>)`, with
      `llvm.emit_c_interface`. `%file` is the mapped GGUF file and
      `%offsets[i]` the absolute byte offset of weight `i`; each
      `!llama.kv_cache` argument becomes two memrefs
      `[n_layers, n_ctx, n_kv_heads, head_dim]` (K and V); each result is
      written into its out-memref with `bufferization.materialize_in_destination`.
    * A layer function of `llama-share-layers` (private, with
      `llama.result_rows`) takes buffers instead: each tensor its memref,
      each one-layer KV cache its K and V as memrefs with any offset, each
      weight the view its caller made, then one out-memref per result. A
      call of it passes those (`llama.kv_cache_layer` becomes subviews of
      the caller's K and V, cast to any offset) and allocates the results
      with the rows `llama.result_rows` names.
    * `llama.weight "name"` becomes a `memref.view` of `%file` at
      `%offsets[i]`: `[rows, K] x f32`, `[rows, K] x i16` (f16, bf16) or
      `[rows, row_bytes] x i8` (block-quantized). The module attribute
      `llama.weight_table` lists the weights in index order (name, ggml type,
      GGUF shape) for the runtime to bind and check.
    * `llama.matmul`, `llama.matmul_swiglu` and `llama.qkv_rope` on CPUs
      and in GPU thread kernels (`dispatch = threads`) become their
      activation prologue (RMSNorm row scales, int8 quantization) and
      `llama.kernel_matmul` on tensors (below); in GPU warp kernels
      `scf` nests that dequantize each weight element in the inner loop (no
      dequantized copy of a weight is ever made), for f32, f16, bf16, q8_0,
      q4_0, q4_1, q5_0, q5_1, q4_k, q5_k and q6_k, with the formulas of
      shared/docs/GGUF.md (one rounding per operation, as the reference).
    * On CPUs and in GPU thread kernels the RMSNorm row scales (of the
      prologues and of
      `llama.rms_norm`) are structured ops on tensors: a `linalg.fill`, a
      `linalg.generic` sum of squares over k and an element-wise
      `linalg.generic` for `1/sqrt(ss/dim + eps)` in place of the sums;
      `llama.rms_norm` then one generic `x * scale * gamma` over (tokens,
      k), an f32 gamma an operand, and `llama.embedding` one gather generic
      over (tokens, k) that decodes `table[tokens[s], k]` in its body. In a
      prefill (a dynamic token count) the scale, product and gather ops get
      a `llama.kernel_config` with `distribute` (one token per parallel
      task) for `llama-tile-kernels`; a decode step's stay whole. Where the
      model op's configuration has vector dots, the sum of squares, the
      product (with an f32 gamma) and `qkv_rope`'s rotation table also get
      `vector_sizes` (16 f32 lanes along the innermost loop, fewer where 16
      does not divide it) for `llama-vectorize-structured`; the gather,
      whose body reads the table's bytes, does not. In GPU warp kernels
      these ops are `scf` nests, a block of threads per token for the
      norms.
    * `llama.attention` stores the step's keys and values into the cache at
      `positions`, then computes, per token and query head, the scaled
      scores against cache rows `0..pos`, a max-subtracted softmax, and the
      weighted sum of the value rows of KV head `h / kv_mul`.
    * `llama.gqa_attention` stores them likewise, then on CPUs and in GPU
      thread kernels becomes a `llama.kernel_attention` on tensors over the
      layer's cache views (`outside_in` in a prefill), which
      `llama-tile-kernels` and `llama-lower-kernel-attention` take from
      there; in GPU warp kernels a warp per (token, KV head) task with an
      online softmax.

    Each op's operands are read through `bufferization.to_buffer` and its
    result is a fresh buffer wrapped by `bufferization.to_tensor restrict`,
    so One-Shot Bufferize can take over the remaining tensor code.

    Each op's kernel follows its `llama.kernel_config` (LlamaAttrs.td, from
    `llama-configure-kernels`) and nothing else: `dispatch`, `dot` and
    `int_dot` choose the loops and dot products (int8 activations quantized
    per block of 32 and `llama.int8_dot`, or f32), `token_block` the prefill
    register block, `tile_rows = 16` the packed 16-row tiles (PackedRowTiles.h,
    `llama.dot4_acc`; with `dot = amx` blocks of 16 tokens multiply in
    `amx.tile_muli`), `tile_rows = 0` on CPUs and in GPU thread kernels
    the row kernels (RowDots.cpp). Either way `llama.matmul` and
    `llama.matmul_swiglu` write their activation prologue and then a
    `llama.kernel_matmul` on tensors with the configuration (without
    tiles in a decode step whose weights are not prepacked);
    `llama.qkv_rope` its prologue, a rotation
    table (`linalg.generic`) and three, Q and K with `epilogue = rope`, its
    keys and values then appended to the cache by the attention;
    `llama-tile-kernels` and `llama-lower-kernel-matmul` take them from
    there,
    `layout = rows16` weights packed at compile time,
    viewed as `memref<n/16 x k/32 x bytes x i8>` and listed with
    `layout = "rows16"` in `llama.weight_table`; the GPU fields the warp,
    block and tensor-core forms. A configuration the op's weights cannot
    take (tiles of unpackable rows, rows16 of a weight another op reads in
    the GGUF layout) is an error.

    Input invariant: `llama.rope` and `llama.swiglu` already lowered
    (`llama-lower-to-linalg`); every model-level op configured; functions
    with `!llama.kv_cache` or weights.
    Output IR: `scf`, `memref`, `arith`, `math`, `bufferization` and tensor
    ops, `llama.kernel_matmul`, `llama.kernel_attention` (matmuls and
    attention on CPUs and in GPU thread kernels), `linalg.fill` and
    `linalg.generic` (their norms and embedding; RoPE tables).
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

include "llama-mlir/Transforms/KernelPasses.td"
include "llama-mlir/Transforms/GPUPasses.td"

def LlamaFuseRMSNormPass : Pass<"llama-fuse-rmsnorm"> {
  let summary = "Fold RMSNorm into the matmuls that consume it";
  let description = [{
    Rewrites

        %y = llama.rms_norm %x, %g {epsilon = e}
        %a = llama.matmul %y, %w1            (or matmul_swiglu, qkv_rope)
        %b = llama.matmul %y, %w2

    into `llama.matmul %x, %w1 norm(%g) {epsilon = e}` (and so on) when every
    user of `%y` reads it as its `[seq, K]` input and has no prologue yet.
    The normalized activation is then never written: each consumer computes
    the row scale `1/sqrt(mean(x^2) + e)` once per token, multiplies `g` into
    the activations as it loads them, and applies the row scale to each dot
    product in its epilogue. Run after `llama-fuse-rope` and
    `llama-fuse-swiglu` so that the attention and FFN norms each feed one
    fused op and their row scale is computed once.

    Misses are explained (`notifyMatchFailure`): a norm whose input is not
    rank 2, or a user that cannot take the prologue (e.g. a residual add, or
    a matmul that already has one).
  }];
}

def LlamaFuseRoPEPass : Pass<"llama-fuse-rope"> {
  let summary = "Fuse the Q/K/V projections with RoPE into one op";
  let description = [{
    Rewrites the projections feeding a `llama.attention` (or
    `llama.gqa_attention`)

        %q = llama.rope (expand_shape (llama.matmul %x, %wq)), %pos
        %k = llama.rope (expand_shape (llama.matmul %x, %wk)), %pos
        %v =             expand_shape (llama.matmul %x, %wv)

    into `%q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %pos`: one
    activation prologue for the three, and the rotation in the epilogue of
    the dot products (`llama-lower-to-loops`: the packed tiles' `rope`
    epilogue, or one parallel pass over row pairs), so that the unrotated Q
    and K are never stored. Requires one `%x`,
    equal positions, `n_rot` and `theta` on both ropes, an even head_dim,
    and that every intermediate has no other user; misses are explained.
  }];
}

def LlamaFuseGQAPass : Pass<"llama-fuse-gqa"> {
  let summary = "Attention as one online-softmax kernel per KV head";
  let description = [{
    Rewrites `llama.attention` into `llama.gqa_attention` (same operands and
    math), whose lowering runs one task per (token, KV head): it walks the
    cache rows once, reading each K and V row a single time for all
    `kv_mul` query heads that share it, and keeps a running maximum, sum and
    output row per head (online softmax, as in flash attention), so no score
    row is stored and nothing is re-read.

    The `kv_mul x head_dim` output accumulators of one task stay in
    registers or on the stack; attention whose accumulators exceed
    `max-accumulator-floats` is left unfused (explained as a match failure).
  }];
  let options = [
    Option<"maxAccumulatorFloats", "max-accumulator-floats", "int64_t",
           /*default=*/"8192",
           "Largest kv_mul x head_dim for which attention is fused">,
  ];
}

def LlamaFuseSwiGLUPass : Pass<"llama-fuse-swiglu"> {
  let summary = "Fuse the gate and up projections with the SwiGLU activation";
  let description = [{
    Rewrites

        %g = llama.matmul %x, %wg
        %u = llama.matmul %x, %wu
        %h = llama.swiglu %g, %u

    into `%h = llama.matmul_swiglu %x, %wg, %wu` when both matmuls read the
    same activations and have no other user. The algebra is unchanged
    (silu(x Wg^T) * (x Wu^T)); what changes is the schedule: one pass over
    `x` computes both dot products of a hidden unit and applies the
    activation in the epilogue, so the gate and up activations are never
    written to memory.

    Misses are explained (`notifyMatchFailure`): different inputs, or a
    projection that is used elsewhere.
  }];
}

def LlamaApproximateMathPass : Pass<"llama-approximate-math"> {
  let summary = "Replace transcendental math ops by polynomial approximations";
  let description = [{
    Rewrites `math.exp`, `math.tanh`, `math.log`, `math.sin`, `math.cos`, ...
    on f32 scalars and vectors into MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`), so that softmax and SiLU
    compile to straight-line arithmetic that vectorizes, instead of scalar
    libm calls in inner loops. `math.sqrt`/`math.rsqrt` map to hardware
    instructions and are kept.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaLegalizeFloatOpsPass : Pass<"llama-legalize-float-ops"> {
  let summary = "Write f16 -> f32 conversions and FMAs as plain arithmetic "
                "for CPUs without F16C or FMA";
  let description = [{
    For a CPU without the instructions (baseline x86-64: SSE2 only), LLVM
    lowers every element of an `arith.extf` from f16 to f32 to a call of
    `__extendhfsf2` and every `math.fma` / `vector.fma` element to a call
    of `fmaf`: calls in the inner loops of the weight decoders, which no
    longer vectorize.

    With `f16c=false`, `arith.extf` from f16 to f32 (scalar or vector)
    becomes integer code that vectorizes with SSE2 and is exact for every
    input: the sign moved to bit 31, exponent and mantissa shifted into
    place and the exponent rebiased by 112; the exponent all ones (inf,
    NaN) rebiased by 112 more (to 255), NaNs made quiet (bit 22, as
    `vcvtph2ps` does); zero and subnormals as (1 + m/1024) 2^-14 - 2^-14
    in f32, an exact subtraction. Tensors and other conversions are left
    alone.

    With `fma=false`, `math.fma` and `vector.fma` become `arith.mulf` and
    `arith.addf` (one rounding more than a fused multiply-add, as such a
    CPU computes it).

    Both options default to true (the instructions exist: nothing
    changes). `llama-compile` sets them from the target's features, after
    `llama-approximate-math` (whose polynomials use FMAs).
  }];
  let options = [
    Option<"f16c", "f16c", "bool", /*default=*/"true",
           "The CPU converts f16 to f32 (F16C, or any AArch64): keep extf">,
    Option<"fma", "fma", "bool", /*default=*/"true",
           "The CPU has fused multiply-adds: keep math.fma and vector.fma">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LlamaPlanMemoryPass : Pass<"llama-plan-memory", "ModuleOp"> {
  let summary = "Place the entry points' intermediate buffers in one static "
                "arena, reusing the bytes of dead ones";
  let description = [{
    A static memory plan for CPU code. In every public function that no
    other function calls, each `memref.alloc` of the function's top-level
    block whose buffer is freed by a `memref.dealloc` of that block and
    never escapes (returned, passed to a call, yielded out of a region, or
    stored) gets a live interval: from the alloc to the last top-level op
    that uses the buffer or a memref an op derives from it (subview,
    reshape, cast, view, a loop's result). Buffers whose intervals overlap get disjoint byte ranges; the
    others share bytes. Offsets are chosen greedily, largest buffer first,
    each at the lowest 64-byte-aligned offset that fits.

    Output IR: one private `memref.global @__llama_arena : memref<Nxi8>`
    (uninitialized, 64-byte aligned: zero pages in `.bss`, touched once
    and then reused by every call), each planned alloc replaced by
    `memref.view %arena[%offset][%dynamic_sizes]`, its dealloc erased. All
    public functions share the arena (they are never run at once: the
    produced program calls prefill or decode, one at a time). The module
    gets `llama.memory_plan`, a dictionary per function: `buffers`
    (planned), `bytes` (their sum: what separate allocations would take at
    the bound), `arena` (the plan's bytes) and `planned`, and
    `arena_bytes` overall. A function whose plan would exceed 1 GiB keeps
    its allocations (`planned = false`): the arena is a static global and
    programs use the small code model.

    Dynamic sizes are bounded by `max-dynamic-size`, or else the module's
    `llama.hparams` `n_ctx` (every dynamic dimension of the entry points'
    intermediates is a token count, at most the context length); a
    `cf.assert` before the first view of each dynamic size checks it is
    within the bound. Without a bound, allocs with dynamic sizes are left
    alone; so are allocs in nested regions, allocs without a top-level
    dealloc, allocs aligned beyond 64 bytes, and private functions.
  }];
  let options = [
    Option<"maxDynamicSize", "max-dynamic-size", "int64_t", "0",
           "Upper bound of every dynamic dimension (0: the module's n_ctx)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::cf::ControlFlowDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def LlamaOutlineParallelLoopsPass
    : Pass<"llama-outline-parallel-loops", "ModuleOp"> {
  let summary = "Outline one-dimensional scf.parallel loops for the runtime's "
                "thread pool";
  let description = [{
    Every one-dimensional `scf.parallel` (lower bound, upper bound, step 1) in
    a function on buffers becomes

    * a private function `@__llama_par_N(captures..., %lo, %hi)` that runs the
      loop body sequentially for `lo <= i < hi` (`scf.for`), and
    * a call of the declaration `@__llama_par_N_dispatch(captures..., %lb,
      %ub)`, marked `llama.parallel_body = @__llama_par_N`.

    Captures are the values defined above the loop and used in it;
    constants are cloned into the body instead. `llama-materialize-parallel`
    later defines each dispatch function, once the module is in the LLVM
    dialect, as a call of the runtime's `llama_rt_parallel_for`, which splits
    `[lb, ub)` across the thread pool.

    Input invariant: buffers (after bufferization); no `scf.reduce` in the
    loops (their iterations are independent).
  
    Scalable vectors (SVE) have no size and cannot be captured: a pure op
    above the loop that defines one (e.g. a tail mask hoisted by LICM) is
    cloned into the loop body first, and its operands are captured instead.

    Identical bodies are kept once: every layer's loops are the same code on
    other views of the weights, the KV cache and the arena. A body's view
    arguments with a static offset that it only loads from, stores to and
    asks the sizes of take the offset at run time (the calls pass them
    through `memref.cast`); then bodies whose text (generic form, without
    locations, under one name) is equal share the first one's body and
    dispatch function, the others' are erased. `dedupe=false` keeps one
    body per loop.
  }];
  let options = [
    Option<"dedupe", "dedupe", "bool", /*default=*/"true",
           "Keep one of each set of identical bodies">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def LlamaHoistLoopAllocasPass
    : Pass<"llama-hoist-loop-allocas", "::mlir::func::FuncOp"> {
  let summary = "Move fixed-size stack buffers out of sequential loops";
  let description = [{
    Every `memref.alloca` of static shape (no operands) that is nested in
    the function through `scf.for` and `scf.if` only, inside at least one
    `scf.for`, moves to the start of the function's entry block; nothing
    else changes.

    `scf.for` is an automatic allocation scope: its body's allocas are freed
    at the end of each iteration. `convert-scf-to-cf` emits no stack
    save/restore for that, so the alloca would take new stack on every
    iteration (the packed row tiles of `llama-lower-to-loops`: about 100 KiB
    per tile). As the iterations run one after another and each buffer is
    dead at its iteration's end, one buffer serves them all. Allocas under
    an `scf.parallel` (concurrent iterations) or of dynamic size stay. The
    CPU pipeline runs this after `llama-outline-parallel-loops` (whose body
    functions run their share of a parallel loop as an `scf.for`) or after
    the serial pipeline's parallel-to-for conversion.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def LlamaMaterializeParallelPass
    : Pass<"llama-materialize-parallel", "ModuleOp"> {
  let summary = "Define the dispatch functions of outlined parallel loops";
  let description = [{
    Runs on the LLVM dialect. For each `llvm.func` declaration marked
    `llama.parallel_body = @body` (see `llama-outline-parallel-loops`), whose
    parameters are `(captures..., lb: i64, ub: i64)`:

    * defines `@body_thunk(%ctx: !llvm.ptr, %lo: i64, %hi: i64)`, which loads
      the captures from the struct at `%ctx` and calls `@body(captures...,
      %lo, %hi)`;
    * defines the dispatch function: it stores its captures into a stack
      struct and calls `llama_rt_parallel_for(@body_thunk, %ctx, %lb, %ub)`.

    The runtime (runtime/core/ThreadPool.cpp) runs the thunk on each thread
    for contiguous chunks of `[lb, ub)` and returns when all are done.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // LLAMA_MLIR_TRANSFORMS_PASSES_TD
