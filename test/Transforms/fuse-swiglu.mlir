// RUN: llama-opt %s -split-input-file -llama-fuse-swiglu | FileCheck %s

// swiglu(x Wg^T, x Wu^T) becomes one op; the two projections vanish.
// CHECK-LABEL: func.func @ffn
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[WG:.*]] = llama.weight "blk.0.ffn_gate.weight"
// CHECK: %[[WU:.*]] = llama.weight "blk.0.ffn_up.weight"
// CHECK-NOT: llama.matmul %
// CHECK-NOT: llama.swiglu
// CHECK: %[[H:.*]] = llama.matmul_swiglu %[[X]], %[[WG]], %[[WU]] : (tensor<?x64xf32>, !llama.weight<96x64xq4_0>, !llama.weight<96x64xq8_0>) -> tensor<?x96xf32>
// CHECK: return %[[H]]
func.func @ffn(%x: tensor<?x64xf32>) -> tensor<?x96xf32> {
  %wg = llama.weight "blk.0.ffn_gate.weight" : !llama.weight<96x64xq4_0>
  %wu = llama.weight "blk.0.ffn_up.weight" : !llama.weight<96x64xq8_0>
  %g = llama.matmul %x, %wg : (tensor<?x64xf32>, !llama.weight<96x64xq4_0>) -> tensor<?x96xf32>
  %u = llama.matmul %x, %wu : (tensor<?x64xf32>, !llama.weight<96x64xq8_0>) -> tensor<?x96xf32>
  %h = llama.swiglu %g, %u : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  return %h : tensor<?x96xf32>
}

// -----

// Projections of different activations are not fused.
// CHECK-LABEL: func.func @negative_different_inputs
// CHECK: llama.matmul
// CHECK: llama.matmul
// CHECK: llama.swiglu
// CHECK-NOT: llama.matmul_swiglu
func.func @negative_different_inputs(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>) -> tensor<1x96xf32> {
  %wg = llama.weight "g" : !llama.weight<96x64xf32>
  %wu = llama.weight "u" : !llama.weight<96x64xf32>
  %g = llama.matmul %x, %wg : (tensor<1x64xf32>, !llama.weight<96x64xf32>) -> tensor<1x96xf32>
  %u = llama.matmul %y, %wu : (tensor<1x64xf32>, !llama.weight<96x64xf32>) -> tensor<1x96xf32>
  %h = llama.swiglu %g, %u : (tensor<1x96xf32>, tensor<1x96xf32>) -> tensor<1x96xf32>
  return %h : tensor<1x96xf32>
}

// -----

// A projection needed elsewhere must still be materialized: no fusion.
// CHECK-LABEL: func.func @negative_gate_used_elsewhere
// CHECK: llama.swiglu
// CHECK-NOT: llama.matmul_swiglu
func.func @negative_gate_used_elsewhere(%x: tensor<1x64xf32>) -> (tensor<1x96xf32>, tensor<1x96xf32>) {
  %wg = llama.weight "g" : !llama.weight<96x64xf32>
  %wu = llama.weight "u" : !llama.weight<96x64xf32>
  %g = llama.matmul %x, %wg : (tensor<1x64xf32>, !llama.weight<96x64xf32>) -> tensor<1x96xf32>
  %u = llama.matmul %x, %wu : (tensor<1x64xf32>, !llama.weight<96x64xf32>) -> tensor<1x96xf32>
  %h = llama.swiglu %g, %u : (tensor<1x96xf32>, tensor<1x96xf32>) -> tensor<1x96xf32>
  return %h, %g : tensor<1x96xf32>, tensor<1x96xf32>
}

// -----

// Element-wise SwiGLU of values that are not projections stays as it is.
// CHECK-LABEL: func.func @negative_not_projections
// CHECK: llama.swiglu
func.func @negative_not_projections(%g: tensor<4xf32>, %u: tensor<4xf32>) -> tensor<4xf32> {
  %h = llama.swiglu %g, %u : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %h : tensor<4xf32>
}
