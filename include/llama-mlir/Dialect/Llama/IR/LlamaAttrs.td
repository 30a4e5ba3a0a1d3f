//===- LlamaAttrs.td - Attributes of the llama dialect -----*- tablegen -*-===//
//
// #llama.hparams: a model's hyperparameters, typed.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_ATTRS_TD
#define LLAMA_ATTRS_TD

include "llama-mlir/Dialect/Llama/IR/LlamaDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/BuiltinAttributes.td"

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

#endif // LLAMA_ATTRS_TD
