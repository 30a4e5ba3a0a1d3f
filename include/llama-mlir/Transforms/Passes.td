//===- Passes.td - Passes of llama-mlir --------------------*- tablegen -*-===//
//
// Every llama-mlir pass: one def here, one .cpp in lib/Transforms named after
// the flag, one lit file in test/Transforms.
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

#endif // LLAMA_MLIR_TRANSFORMS_PASSES_TD
