//===- LlamaAttrs.td - Attributes of the llama dialect -----*- tablegen -*-===//
//
// #llama.hparams: a model's hyperparameters, typed.
// #llama.kernel_config: the kernel an op is lowered to.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_ATTRS_TD
#define LLAMA_ATTRS_TD

include "llama-mlir/Dialect/Llama/IR/LlamaDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"
include "llama-mlir/Dialect/Llama/IR/LlamaTypes.td"

def Llama_HParamsAttr : AttrDef<Llama_Dialect, "HParams"> {
  let mnemonic = "hparams";
  let summary = "the hyperparameters a module was compiled for";
  let description = [{
    The module attribute `llama.hparams` of an imported model: its shape
    (`dim`, `hidden_dim`, `n_layers`, `n_heads`, `n_kv_heads`, `head_dim`,
    `n_rot`, `n_vocab`), the context the program is compiled for (`n_ctx`)
    and the one the model was trained with (`n_ctx_train`), RoPE's base
    frequency (`rope_theta`), RMSNorm's epsilon (`rms_eps`) and whether the
    output matrix is the embedding (`tied_output`). The names are the
    manifest's hyperparameter keys (llama_abi.h); `llama-compile` writes
    the manifest from this attribute and passes read the context length
    from it.

    Constraints:
    (C1) every count is positive;
    (C2) `n_kv_heads` divides `n_heads`;
    (C3) `n_rot` is even and at most `head_dim`;
    (C4) `rope_theta` and `rms_eps` are positive f32.

    Example:
    ```mlir
    module attributes {llama.hparams = #llama.hparams<dim = 64,
        hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 4,
        head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128,
        n_ctx_train = 512, rope_theta = 10000.0 : f32,
        rms_eps = 9.99999974E-6 : f32, tied_output = false>} {}
    ```
  }];
  let parameters = (ins "int64_t":$dim, "int64_t":$hidden_dim,
                        "int64_t":$n_layers, "int64_t":$n_heads,
                        "int64_t":$n_kv_heads, "int64_t":$head_dim,
                        "int64_t":$n_rot, "int64_t":$n_vocab,
                        "int64_t":$n_ctx, "int64_t":$n_ctx_train,
                        "FloatAttr":$rope_theta, "FloatAttr":$rms_eps,
                        "BoolAttr":$tied_output);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

class Llama_DefaultEnumParameter<EnumAttrInfo info, string value>
    : EnumParameter<info> {
  let defaultValue = value;
}

def Llama_KernelConfigAttr : AttrDef<Llama_Dialect, "KernelConfig"> {
  let mnemonic = "kernel_config";
  let summary = "the kernel a llama op is lowered to on its target";
  let description = [{
    The discardable attribute `llama.kernel_config` of a model-level op says
    how `llama-lower-to-loops` writes its kernel. `llama-configure-kernels`
    chooses it from the target family's table (lib/Codegen/CPU/KernelConfig.cpp,
    lib/Codegen/GPU/KernelConfig.cpp) and the op's weight formats and shapes;
    the lowering reads it and nothing else, so every target choice is in
    the IR. A configuration written by hand is kept by the configure pass
    (the lowering rejects one the op's weights cannot take).

    * `dispatch`: `threads` (scf.parallel over rows, row tiles, tokens or
      heads: the CPU thread pool, on GPUs a thread per iteration) or
      `warps` (GPUs: a warp per weight row).
    * `dot`: `scalar` (one element at a time), `vector` (vector<16xf32>
      partial sums, a weight block per step), `scalable` (f32/f16/bf16
      rows in SVE vectors) or `amx` (integer 16-row tiles whose prefill
      multiplies blocks of 16 tokens in AMX tile registers, PackedRowTiles.h;
      the remaining tokens as `vector`).
    * `int_dot`: `none` (f32 activations) or the int8 dot instruction family
      of activations quantized per block of 32 (`generic`, `avx2`,
      `avx512vnni`, `neon_dotprod`), for the weights that have one.
    * `token_block`: tokens per register block of a prefill (each weight
      block decoded once for them); 1: none.
    * `tile_rows`: 16 for a matmul computed in tiles of 16 weight rows, one
      row per int32 or f32 lane of a 512-bit vector (PackedRowTiles.h); 0:
      row by row.
    * `layout`: `gguf` (the file's blocks) or `rows16` (the weights packed
      at compile time for the 16-row tiles, PackedWeights.h).
    * `prefetch`: with `rows16`, how many bytes ahead of the group a tile
      loop multiplies it asks for the packed weights to be brought into L2
      (`memref.prefetch`, locality 2; the distance carries on into the
      thread's next tile); 0: none, the hardware prefetchers alone.
    * `kv_block`: CPU GQA attention (`llama.kernel_attention`): cache rows
      per online-softmax step, whose scores are computed before one max,
      one vector exp and one rescale per head; 1: row by row.
    * GPUs only: `block_threads` (threads per block, the tiling of the
      parallel loops), `tensor_cores` (prefill GEMMs on nvgpu.mma.sync),
      `row_norms` (in a decode step, quantized rows' warps compute their
      RMSNorm scale themselves).
    * `distribute`: the tile size of each loop of an op's iteration space
      that `llama-tile-kernels` distributes over the thread pool (0: not
      distributed). On the structured ops that `llama-lower-to-loops`
      writes (a prefill's RMSNorm scales and embedding rows) one size per
      loop; absent: not distributed; on such an op `dispatch` and `dot`
      say no more than its body does. On `llama.matmul`,
      `llama.matmul_swiglu` and `llama.qkv_rope` (carried to their
      `llama.kernel_matmul`s) [tokens, rows] per task; absent: all tokens
      and the row step (`tile_rows`, or the row kernels' 1 or 2 rows). The
      CPU table gives a matmul of one float weight in tiles whose token
      block has 16 tokens or more `[0, 32]`: two tiles per task, which the
      kernel multiplies side by side. The other `llama` ops are
      distributed by their own rule (one token and KV head of an
      attention) and take none.
    * `vector_sizes` (structured ops only, CPUs): the vector tile of each
      loop of the op's iteration space. `llama-vectorize-structured` tiles
      the op to these sizes with scf.for (a reduction loop into one partial
      sum per vector lane, which a final reduction adds up) and turns each
      tile into vector ops with the upstream linalg vectorizer; absent:
      scalar loops. `llama-lower-to-loops` writes 16 lanes of f32 along the
      innermost loop (the largest power of two up to 16 that divides its
      extent) and 1 along the others for an op of a model op configured
      `dot = vector` or `scalable`.

    Constraints:
    (C1) `token_block` in 1..32 (the AVX-512 float tiles take 24); `tile_rows`
         0 or 16;
    (C2) `tile_rows = 16` needs `dispatch = threads`, `dot = vector` or
         `amx`; `dot = amx` needs `tile_rows = 16` and
         `int_dot = avx512vnni`;
    (C3) `layout = rows16` needs `tile_rows = 16`; `prefetch` is a
         multiple of 64 in 0..1048576, nonzero only with `layout = rows16`;
    (C4) `warps`, `block_threads`, `tensor_cores` and `row_norms` are GPU
         choices: `block_threads` is 0 or a multiple of 32 in 32..1024, and
         nonzero exactly when `dot = scalar` (GPU code);
         `tensor_cores` and `row_norms` need `warps`;
    (C5) `int_dot` and `kv_block` > 1 need a CPU configuration
         (`block_threads = 0`);
    (C6) `kv_block` in 1..64;
    (C7) `distribute` needs `dispatch = threads`, has no negative size
         and at least one that is not 0; on an op, it needs a
         TilingInterface op outside the llama dialect with one size per
         loop, or a matmul (above) with [tokens, rows]: tokens 0 or 1,
         rows a positive multiple of `tile_rows` (where not 0);
    (C8) `vector_sizes` are all >= 1 and need a CPU configuration
         (`block_threads = 0`); on an op, it needs a `linalg` op with
         one size per loop.

    Example (a Q4_0 matmul on AVX-512 VNNI, weights packed at compile
    time; parameters at their default values are not printed):
    ```mlir
    %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<
        dispatch = threads, dot = vector, int_dot = avx512vnni,
        token_block = 8, tile_rows = 16, layout = rows16, prefetch = 36864>}
        : (tensor<?x2048xf32>, !llama.weight<2048x2048xq4_0>)
        -> tensor<?x2048xf32>
    ```
  }];
  let parameters = (ins
    EnumParameter<Llama_KernelDispatch>:$dispatch,
    EnumParameter<Llama_KernelDot>:$dot,
    Llama_DefaultEnumParameter<Llama_IntDotISA,
                               "::mlir::llama::IntDotISA::None">:$int_dot,
    DefaultValuedParameter<"int64_t", "1">:$token_block,
    DefaultValuedParameter<"int64_t", "0">:$tile_rows,
    Llama_DefaultEnumParameter<Llama_WeightLayout,
                               "::mlir::llama::WeightLayout::GGUF">:$layout,
    DefaultValuedParameter<"int64_t", "0">:$prefetch,
    DefaultValuedParameter<"int64_t", "1">:$kv_block,
    DefaultValuedParameter<"int64_t", "0">:$block_threads,
    DefaultValuedParameter<"bool", "false">:$tensor_cores,
    DefaultValuedParameter<"bool", "false">:$row_norms,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$distribute,
    OptionalParameter<"::mlir::DenseI64ArrayAttr">:$vector_sizes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The name of the discardable attribute that holds it on an op.
    static constexpr ::llvm::StringLiteral kAttrName = "llama.kernel_config";
  }];
}

#endif // LLAMA_ATTRS_TD
