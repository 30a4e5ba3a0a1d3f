// RUN: llama-opt --help | FileCheck %s --check-prefix=HELP
// RUN: llama-opt %s -llama-lower-to-linalg -mlir-print-ir-after-all 2>&1 >/dev/null | FileCheck %s --check-prefix=IR

// llama-opt lists the llama passes next to the upstream ones it registers
// for the pipeline, and the pass-manager flags work.
// HELP-DAG: --llama-lower-to-linalg
// HELP-DAG: --one-shot-bufferize
// HELP-DAG: --convert-linalg-to-loops
// HELP: --mlir-print-ir-after-all

// IR: // -----// IR Dump After LlamaLowerToLinalgPass (llama-lower-to-linalg)
// IR: linalg.generic
func.func @f(%g: tensor<4xf32>, %u: tensor<4xf32>) -> tensor<4xf32> {
  %h = llama.swiglu %g, %u : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %h : tensor<4xf32>
}
