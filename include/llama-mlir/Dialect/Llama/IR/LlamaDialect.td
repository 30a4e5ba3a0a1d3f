//===- LlamaDialect.td - The llama dialect definition ------*- tablegen -*-===//
//
// Declares the `llama` dialect: a Llama-2 family model at model level, before
// any lowering. Types and ops live in LlamaTypes.td and LlamaOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_DIALECT_TD
#define LLAMA_DIALECT_TD

include "mlir/IR/OpBase.td"

def Llama_Dialect : Dialect {
  let name = "llama";
  let cppNamespace = "::mlir::llama";
  let summary = "A Llama-2 family transformer at model level";
  let description = [{
    The `llama` dialect describes one evaluation step of a Llama-2
    architecture model (embedding, RMSNorm, RoPE, grouped-query attention
    with a KV cache, SwiGLU feed-forward, quantized matrix products) in the
    model's own words. Weights are referenced by their GGUF tensor name and
    never embedded: `!llama.weight` carries their shape and GGUF element type,
    so the compiler can specialise kernels while the bytes stay in the file
    that the produced program maps at run time. Activations are ordinary
    `f32` tensors; residual additions use `arith.addf` and head reshapes use
    `tensor.expand_shape` / `tensor.collapse_shape`.

    Shape conventions: a 2-D weight `!llama.weight<N x K x type>` holds `N`
    rows of `K` contiguous elements (GGUF `ne = [K, N]`, PyTorch
    `[out, in]`); quantization blocks run along `K`. Activation tensors are
    `[seq, features]` or `[seq, heads, head_dim]`; `seq` may be dynamic.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  // `llama.kernel_config` on an op must be a #llama.kernel_config.
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

#endif // LLAMA_DIALECT_TD
