// RUN: llama-opt %s -split-input-file -verify-diagnostics -llama-share-layers | FileCheck %s

// Two layers with the same weight types: one function, called twice, each
// call with its layer of the cache; the function's attention uses layer 0
// of its one-layer cache, the result's rows are those of argument 0 (the
// hidden state). The final norm and output matmul (not blk.N weights) stay
// in the entry point; the constant the layers use is cloned in.

// CHECK-LABEL: func.func private @model_layer_0
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[WQ:.*]]: !llama.weight<8x8xf32>, %[[WK:.*]]: !llama.weight<4x8xf32>, %[[P:.*]]: tensor<?xi32>, %[[C:.*]]: !llama.kv_cache<1x16x1x4xf32>) -> tensor<?x8xf32>
// CHECK-SAME: attributes {llama.result_rows = array<i64: 0>}
// CHECK: arith.constant 0 : index
// CHECK: llama.matmul %[[X]], %[[WQ]]
// CHECK: llama.attention %{{.*}}, %{{.*}}, %{{.*}}, %[[P]], %[[C]] {layer = 0 : i64}
// CHECK: return
// CHECK-NOT: func.func private
// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[T:.*]]: tensor<?x8xf32>, %[[POS:.*]]: tensor<?xi32>, %[[CACHE:.*]]: !llama.kv_cache<2x16x1x4xf32>)
// CHECK-DAG: %[[WQ0:.*]] = llama.weight "blk.0.attn_q.weight"
// CHECK-DAG: %[[WK0:.*]] = llama.weight "blk.0.attn_k.weight"
// CHECK: %[[C0:.*]] = llama.kv_cache_layer %[[CACHE]][0] : !llama.kv_cache<2x16x1x4xf32> -> !llama.kv_cache<1x16x1x4xf32>
// CHECK: %[[H0:.*]] = call @model_layer_0(%[[T]], %[[WQ0]], %[[WK0]], %[[POS]], %[[C0]])
// CHECK: %[[C1:.*]] = llama.kv_cache_layer %[[CACHE]][1]
// CHECK: %[[H1:.*]] = call @model_layer_0(%[[H0]], %{{.*}}, %{{.*}}, %[[POS]], %[[C1]])
// CHECK: llama.rms_norm %[[H1]]
func.func @model(%x: tensor<?x8xf32>, %pos: tensor<?xi32>, %cache: !llama.kv_cache<2x16x1x4xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %wq0 = llama.weight "blk.0.attn_q.weight" : !llama.weight<8x8xf32>
  %wk0 = llama.weight "blk.0.attn_k.weight" : !llama.weight<4x8xf32>
  %q0 = llama.matmul %x, %wq0 : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  %k0 = llama.matmul %x, %wk0 : (tensor<?x8xf32>, !llama.weight<4x8xf32>) -> tensor<?x4xf32>
  %n0 = tensor.dim %q0, %c0 : tensor<?x8xf32>
  %q0e = tensor.expand_shape %q0 [[0], [1, 2]] output_shape [%n0, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
  %k0e = tensor.expand_shape %k0 [[0], [1, 2]] output_shape [%n0, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
  %a0 = llama.attention %q0e, %k0e, %k0e, %pos, %cache {layer = 0 : i64} : (tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<?xi32>, !llama.kv_cache<2x16x1x4xf32>) -> tensor<?x2x4xf32>
  %a0c = tensor.collapse_shape %a0 [[0], [1, 2]] : tensor<?x2x4xf32> into tensor<?x8xf32>
  %m0 = arith.mulf %a0c, %a0c : tensor<?x8xf32>
  %r0 = arith.addf %x, %m0 : tensor<?x8xf32>
  %wq1 = llama.weight "blk.1.attn_q.weight" : !llama.weight<8x8xf32>
  %wk1 = llama.weight "blk.1.attn_k.weight" : !llama.weight<4x8xf32>
  %q1 = llama.matmul %r0, %wq1 : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  %k1 = llama.matmul %r0, %wk1 : (tensor<?x8xf32>, !llama.weight<4x8xf32>) -> tensor<?x4xf32>
  %n1 = tensor.dim %q1, %c0 : tensor<?x8xf32>
  %q1e = tensor.expand_shape %q1 [[0], [1, 2]] output_shape [%n1, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
  %k1e = tensor.expand_shape %k1 [[0], [1, 2]] output_shape [%n1, 1, 4] : tensor<?x4xf32> into tensor<?x1x4xf32>
  %a1 = llama.attention %q1e, %k1e, %k1e, %pos, %cache {layer = 1 : i64} : (tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<?xi32>, !llama.kv_cache<2x16x1x4xf32>) -> tensor<?x2x4xf32>
  %a1c = tensor.collapse_shape %a1 [[0], [1, 2]] : tensor<?x2x4xf32> into tensor<?x8xf32>
  %m1 = arith.mulf %a1c, %a1c : tensor<?x8xf32>
  %r1 = arith.addf %r0, %m1 : tensor<?x8xf32>
  %wn = llama.weight "output_norm.weight" : !llama.weight<8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %n = llama.rms_norm %r1, %wn {epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>, !llama.weight<8xf32>) -> tensor<?x8xf32>
  %o = llama.matmul %n, %wo : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// Layers with other weight types are other code: two functions. Rows
// traced through the matmul to the hidden state (argument 0); static rows
// are -1.
// CHECK-LABEL: func.func private @mixed_layer_0
// CHECK-SAME: !llama.weight<8x8xbf16>
// CHECK-SAME: attributes {llama.result_rows = array<i64: 0>}
// CHECK-LABEL: func.func private @mixed_layer_1
// CHECK-SAME: !llama.weight<8x8xf16>
// CHECK-LABEL: func.func @mixed
// CHECK: call @mixed_layer_0
// CHECK: call @mixed_layer_1
// CHECK: call @mixed_layer_0
// CHECK-LABEL: func.func private @static_layer_0
// CHECK-SAME: attributes {llama.result_rows = array<i64: -1>}
func.func @mixed(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xbf16>
  %m0 = llama.matmul %x, %w0 : (tensor<?x8xf32>, !llama.weight<8x8xbf16>) -> tensor<?x8xf32>
  %r0 = arith.addf %x, %m0 : tensor<?x8xf32>
  %w1 = llama.weight "blk.1.ffn_down.weight" : !llama.weight<8x8xf16>
  %m1 = llama.matmul %r0, %w1 : (tensor<?x8xf32>, !llama.weight<8x8xf16>) -> tensor<?x8xf32>
  %r1 = arith.addf %r0, %m1 : tensor<?x8xf32>
  %w2 = llama.weight "blk.2.ffn_down.weight" : !llama.weight<8x8xbf16>
  %m2 = llama.matmul %r1, %w2 : (tensor<?x8xf32>, !llama.weight<8x8xbf16>) -> tensor<?x8xf32>
  %r2 = arith.addf %r1, %m2 : tensor<?x8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %o = llama.matmul %r2, %wo : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
func.func @static(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xbf16>
  %m0 = llama.matmul %x, %w0 : (tensor<1x8xf32>, !llama.weight<8x8xbf16>) -> tensor<1x8xf32>
  %r0 = arith.addf %x, %m0 : tensor<1x8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %o = llama.matmul %r0, %wo : (tensor<1x8xf32>, !llama.weight<8x8xf32>) -> tensor<1x8xf32>
  return %o : tensor<1x8xf32>
}

// -----

// negative_: a layer whose result the function returns stays (its caller
// may take fewer rows of it); private functions are not looked into.
// CHECK-NOT: func.func private @negative_returned_layer
// CHECK-LABEL: func.func @negative_returned
// CHECK: llama.matmul
// CHECK-NOT: call
// CHECK-LABEL: func.func private @negative_private
// CHECK-NOT: call
func.func @negative_returned(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xf32>
  %m0 = llama.matmul %x, %w0 : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %m0 : tensor<?x8xf32>
}
func.func private @negative_private(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xf32>
  %m0 = llama.matmul %x, %w0 : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  %r0 = arith.addf %x, %m0 : tensor<?x8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %o = llama.matmul %r0, %wo : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// -----

// negative_: an op with side effects between a layer's ops, and a result
// whose rows come through an op the pass does not follow: left in place.
func.func private @sink()
// CHECK-LABEL: func.func @negative_effects
// CHECK-NOT: call @negative_effects_layer
func.func @negative_effects(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xf32>
  // expected-remark @+1 {{llama-share-layers: layer 0 left in place: an op with side effects lies between its ops}}
  %m0 = llama.matmul %x, %w0 : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  func.call @sink() : () -> ()
  %r0 = arith.addf %x, %m0 : tensor<?x8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %o = llama.matmul %r0, %wo : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
// CHECK-LABEL: func.func @negative_rows
// CHECK-NOT: call
func.func @negative_rows(%x: tensor<4x8xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.ffn_down.weight" : !llama.weight<8x8xf32>
  // expected-remark @+1 {{llama-share-layers: layer 0 left in place: a result's rows cannot be traced to an argument}}
  %m0 = llama.matmul %x, %w0 : (tensor<4x8xf32>, !llama.weight<8x8xf32>) -> tensor<4x8xf32>
  %d = tensor.cast %m0 : tensor<4x8xf32> to tensor<?x8xf32>
  %wo = llama.weight "output.weight" : !llama.weight<8x8xf32>
  %o = llama.matmul %d, %wo : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}
