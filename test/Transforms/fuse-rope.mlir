// RUN: llama-opt %s -split-input-file -llama-fuse-rope | FileCheck %s

// The three projections, their head splits and both ropes become one
// qkv_rope feeding the attention.
// CHECK-LABEL: func.func @attention_block
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[POS:.*]]: tensor<?xi32>, %[[C:.*]]: !llama.kv_cache
// CHECK: %[[WQ:.*]] = llama.weight "wq"
// CHECK: %[[WK:.*]] = llama.weight "wk"
// CHECK: %[[WV:.*]] = llama.weight "wv"
// CHECK-NOT: llama.matmul
// CHECK-NOT: llama.rope
// CHECK-NOT: tensor.expand_shape
// CHECK: %[[Q:.*]], %[[K:.*]], %[[V:.*]] = llama.qkv_rope %[[X]], %[[WQ]], %[[WK]], %[[WV]], %[[POS]] {n_rot = 8 : i64, theta = 5.000000e+05 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>, !llama.weight<32x64xq4_0>, !llama.weight<32x64xq8_0>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
// CHECK: llama.attention %[[Q]], %[[K]], %[[V]], %[[POS]], %[[C]]
func.func @attention_block(%x: tensor<?x64xf32>, %pos: tensor<?xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32> {
  %c0 = arith.constant 0 : index
  %seq = tensor.dim %x, %c0 : tensor<?x64xf32>
  %wq = llama.weight "wq" : !llama.weight<64x64xq4_0>
  %wk = llama.weight "wk" : !llama.weight<32x64xq4_0>
  %wv = llama.weight "wv" : !llama.weight<32x64xq8_0>
  %q = llama.matmul %x, %wq : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %k = llama.matmul %x, %wk : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %v = llama.matmul %x, %wv : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>) -> tensor<?x32xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [%seq, 8, 8] : tensor<?x64xf32> into tensor<?x8x8xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [%seq, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
  %qr = llama.rope %q3, %pos {n_rot = 8 : i64, theta = 5.0e+05 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  %kr = llama.rope %k3, %pos {n_rot = 8 : i64, theta = 5.0e+05 : f32} : (tensor<?x4x8xf32>, tensor<?xi32>) -> tensor<?x4x8xf32>
  %o = llama.attention %qr, %kr, %v3, %pos, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// The same chain feeding llama.gqa_attention (the fusions commute).
// CHECK-LABEL: func.func @gqa_attention_block
// CHECK: llama.qkv_rope
// CHECK: llama.gqa_attention
func.func @gqa_attention_block(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32> {
  %wq = llama.weight "wq" : !llama.weight<64x64xf32>
  %wk = llama.weight "wk" : !llama.weight<32x64xf32>
  %q = llama.matmul %x, %wq : (tensor<1x64xf32>, !llama.weight<64x64xf32>) -> tensor<1x64xf32>
  %k = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %v = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [1, 8, 8] : tensor<1x64xf32> into tensor<1x8x8xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %qr = llama.rope %q3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x8x8xf32>, tensor<1xi32>) -> tensor<1x8x8xf32>
  %kr = llama.rope %k3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x4x8xf32>, tensor<1xi32>) -> tensor<1x4x8xf32>
  %o = llama.gqa_attention %qr, %kr, %v3, %pos, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// Q and K rotated with different theta: not one epilogue, no fusion.
// CHECK-LABEL: func.func @negative_different_theta
// CHECK-NOT: llama.qkv_rope
// CHECK-COUNT-2: llama.rope
func.func @negative_different_theta(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32> {
  %wq = llama.weight "wq" : !llama.weight<64x64xf32>
  %wk = llama.weight "wk" : !llama.weight<32x64xf32>
  %q = llama.matmul %x, %wq : (tensor<1x64xf32>, !llama.weight<64x64xf32>) -> tensor<1x64xf32>
  %k = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %v = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [1, 8, 8] : tensor<1x64xf32> into tensor<1x8x8xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %qr = llama.rope %q3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x8x8xf32>, tensor<1xi32>) -> tensor<1x8x8xf32>
  %kr = llama.rope %k3, %pos {n_rot = 8 : i64, theta = 2.0e+04 : f32} : (tensor<1x4x8xf32>, tensor<1xi32>) -> tensor<1x4x8xf32>
  %o = llama.attention %qr, %kr, %v3, %pos, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// V is projected from other activations: no single pass over x.
// CHECK-LABEL: func.func @negative_different_inputs
// CHECK-NOT: llama.qkv_rope
func.func @negative_different_inputs(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>, %pos: tensor<1xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32> {
  %wq = llama.weight "wq" : !llama.weight<64x64xf32>
  %wk = llama.weight "wk" : !llama.weight<32x64xf32>
  %q = llama.matmul %x, %wq : (tensor<1x64xf32>, !llama.weight<64x64xf32>) -> tensor<1x64xf32>
  %k = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %v = llama.matmul %y, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [1, 8, 8] : tensor<1x64xf32> into tensor<1x8x8xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %qr = llama.rope %q3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x8x8xf32>, tensor<1xi32>) -> tensor<1x8x8xf32>
  %kr = llama.rope %k3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x4x8xf32>, tensor<1xi32>) -> tensor<1x4x8xf32>
  %o = llama.attention %qr, %kr, %v3, %pos, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// The unrotated query is also returned, so it must be materialized.
// CHECK-LABEL: func.func @negative_projection_used_elsewhere
// CHECK-NOT: llama.qkv_rope
func.func @negative_projection_used_elsewhere(%x: tensor<1x64xf32>, %pos: tensor<1xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> (tensor<1x8x8xf32>, tensor<1x64xf32>) {
  %wq = llama.weight "wq" : !llama.weight<64x64xf32>
  %wk = llama.weight "wk" : !llama.weight<32x64xf32>
  %q = llama.matmul %x, %wq : (tensor<1x64xf32>, !llama.weight<64x64xf32>) -> tensor<1x64xf32>
  %k = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %v = llama.matmul %x, %wk : (tensor<1x64xf32>, !llama.weight<32x64xf32>) -> tensor<1x32xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [1, 8, 8] : tensor<1x64xf32> into tensor<1x8x8xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [1, 4, 8] : tensor<1x32xf32> into tensor<1x4x8xf32>
  %qr = llama.rope %q3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x8x8xf32>, tensor<1xi32>) -> tensor<1x8x8xf32>
  %kr = llama.rope %k3, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x4x8xf32>, tensor<1xi32>) -> tensor<1x4x8xf32>
  %o = llama.attention %qr, %kr, %v3, %pos, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<1x8x8xf32>
  return %o, %q : tensor<1x8x8xf32>, tensor<1x64xf32>
}
