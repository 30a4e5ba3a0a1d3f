// RUN: llama-opt %s -split-input-file -llama-lower-to-linalg | FileCheck %s

// CHECK-DAG: #[[$ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[G:.*]]: tensor<?x172xf32>, %[[U:.*]]: tensor<?x172xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x172xf32>
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: indexing_maps = [#[[$ID2]], #[[$ID2]], #[[$ID2]]]
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[G]], %[[U]] : tensor<?x172xf32>, tensor<?x172xf32>) outs(%[[INIT]] : tensor<?x172xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[NEG:.*]] = arith.negf %[[A]]
// CHECK: %[[E:.*]] = math.exp %[[NEG]]
// CHECK: %[[DEN:.*]] = arith.addf %[[E]], %{{.*}}
// CHECK: %[[SILU:.*]] = arith.divf %[[A]], %[[DEN]]
// CHECK: %[[M:.*]] = arith.mulf %[[SILU]], %[[B]]
// CHECK: linalg.yield %[[M]]
// CHECK-NOT: llama.swiglu
// CHECK: return %[[R]]
func.func @swiglu(%g: tensor<?x172xf32>, %u: tensor<?x172xf32>) -> tensor<?x172xf32> {
  %h = llama.swiglu %g, %u : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  return %h : tensor<?x172xf32>
}

// -----

// CHECK-DAG: #[[$A0:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0)>
// CHECK-DAG: #[[$A1:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 1)>
// CHECK-DAG: #[[$AP:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[$AID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x8xf32>, %[[P:.*]]: tensor<?xi32>)
// theta^(-2/n_rot) as exp(i * -2 ln(10000) / 8).
// CHECK-DAG: %[[SCALE:.*]] = arith.constant -2.30258512 : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 4 : index
// CHECK: %[[PAIRS:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, 8, 4, 2] : tensor<?x8x8xf32> into tensor<?x8x4x2xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[$A0]], #[[$A1]], #[[$AP]], #[[$AID]]]
// CHECK-SAME: ins(%[[PAIRS]], %[[PAIRS]], %[[P]] : tensor<?x8x4x2xf32>, tensor<?x8x4x2xf32>, tensor<?xi32>)
// CHECK: %[[I:.*]] = linalg.index 2
// CHECK: %[[C:.*]] = linalg.index 3
// CHECK: arith.mulf %{{.*}}, %[[SCALE]]
// CHECK: math.cos
// CHECK: math.sin
// CHECK: arith.cmpi ult, %[[I]], %[[HALF]]
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1], [2, 3]] : tensor<?x8x4x2xf32> into tensor<?x8x8xf32>
// CHECK-NOT: llama.rope
// CHECK: return %[[OUT]]
func.func @rope(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) -> tensor<?x8x8xf32> {
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return %y : tensor<?x8x8xf32>
}

// -----

// Partial rotation: only the first n_rot / 2 = 2 pairs of each head rotate.
// CHECK-LABEL: func.func @rope_partial_n_rot
// CHECK-DAG: %[[HALF:.*]] = arith.constant 2 : index
// CHECK: linalg.generic
// CHECK: arith.cmpi ult, %{{.*}}, %[[HALF]]
// CHECK-NOT: llama.rope
func.func @rope_partial_n_rot(%x: tensor<3x2x16xf32>, %p: tensor<3xi64>) -> tensor<3x2x16xf32> {
  %y = llama.rope %x, %p {n_rot = 4 : i64, theta = 500000.0 : f32} : (tensor<3x2x16xf32>, tensor<3xi64>) -> tensor<3x2x16xf32>
  return %y : tensor<3x2x16xf32>
}

// -----

// An odd head_dim cannot be viewed as pairs: the op is left alone.
// CHECK-LABEL: func.func @negative_rope_odd_head_dim
// CHECK-NOT: linalg.generic
// CHECK: llama.rope
func.func @negative_rope_odd_head_dim(%x: tensor<?x2x7xf32>, %p: tensor<?xi32>) -> tensor<?x2x7xf32> {
  %y = llama.rope %x, %p {n_rot = 6 : i64, theta = 10000.0 : f32} : (tensor<?x2x7xf32>, tensor<?xi32>) -> tensor<?x2x7xf32>
  return %y : tensor<?x2x7xf32>
}

// -----

// Ops that read weights or the KV cache are not this pass's business.
// CHECK-LABEL: func.func @negative_weight_ops_untouched
// CHECK-NOT: linalg.generic
// CHECK: llama.rms_norm
// CHECK: llama.matmul
func.func @negative_weight_ops_untouched(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %n = llama.weight "n" : !llama.weight<64xf32>
  %w = llama.weight "w" : !llama.weight<16x64xq8_0>
  %xn = llama.rms_norm %x, %n {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %y = llama.matmul %xn, %w : (tensor<?x64xf32>, !llama.weight<16x64xq8_0>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
