// RUN: llama-opt %s -split-input-file -llama-fuse-rmsnorm | FileCheck %s

// A norm feeding two matmuls becomes the prologue of both; the normalized
// tensor is gone.
// CHECK-LABEL: func.func @two_matmuls
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[G:.*]] = llama.weight "blk.0.attn_norm.weight"
// CHECK-NOT: llama.rms_norm
// CHECK: llama.matmul %[[X]], %{{.*}} norm(%[[G]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<64xf32>) -> tensor<?x64xf32>
// CHECK: llama.matmul %[[X]], %{{.*}} norm(%[[G]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>, !llama.weight<64xf32>) -> tensor<?x32xf32>
func.func @two_matmuls(%x: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>) {
  %g = llama.weight "blk.0.attn_norm.weight" : !llama.weight<64xf32>
  %w1 = llama.weight "w1" : !llama.weight<64x64xq8_0>
  %w2 = llama.weight "w2" : !llama.weight<32x64xq4_0>
  %n = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %a = llama.matmul %n, %w1 : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>) -> tensor<?x64xf32>
  %b = llama.matmul %n, %w2 : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %a, %b : tensor<?x64xf32>, tensor<?x32xf32>
}

// -----

// The FFN norm folds into the fused gate/up op, the attention norm into
// qkv_rope.
// CHECK-LABEL: func.func @fused_consumers
// CHECK-NOT: llama.rms_norm
// CHECK: llama.matmul_swiglu %{{.*}}, %{{.*}}, %{{.*}} norm(%{{.*}}) {epsilon = 9.99999997E-7 : f32}
// CHECK: llama.qkv_rope %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} norm(%{{.*}}) {epsilon = 9.99999997E-7 : f32, n_rot = 8 : i64, theta = 1.000000e+04 : f32}
func.func @fused_consumers(%x: tensor<?x64xf32>, %pos: tensor<?xi32>) -> (tensor<?x96xf32>, tensor<?x8x8xf32>) {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %wg = llama.weight "wg" : !llama.weight<96x64xq8_0>
  %wu = llama.weight "wu" : !llama.weight<96x64xq8_0>
  %n = llama.rms_norm %x, %g {epsilon = 1.0e-06 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  %h = llama.matmul_swiglu %n, %wg, %wu : (tensor<?x64xf32>, !llama.weight<96x64xq8_0>, !llama.weight<96x64xq8_0>) -> tensor<?x96xf32>
  %g2 = llama.weight "g2" : !llama.weight<64xbf16>
  %wq = llama.weight "wq" : !llama.weight<64x64xf16>
  %wk = llama.weight "wk" : !llama.weight<32x64xf16>
  %n2 = llama.rms_norm %x, %g2 {epsilon = 1.0e-06 : f32} : (tensor<?x64xf32>, !llama.weight<64xbf16>) -> tensor<?x64xf32>
  %q, %k, %v = llama.qkv_rope %n2, %wq, %wk, %wk, %pos {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf16>, !llama.weight<32x64xf16>, !llama.weight<32x64xf16>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
  return %h, %q : tensor<?x96xf32>, tensor<?x8x8xf32>
}

// -----

// The normalized tensor is needed by an op that cannot normalize on the fly
// (here the function's result): nothing changes.
// CHECK-LABEL: func.func @negative_other_user
// CHECK: %[[N:.*]] = llama.rms_norm
// CHECK: llama.matmul %[[N]], %{{.*}} :
// CHECK: return %{{.*}}, %[[N]]
func.func @negative_other_user(%x: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %w = llama.weight "w" : !llama.weight<64x64xf32>
  %n = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<64xf32>) -> tensor<1x64xf32>
  %a = llama.matmul %n, %w : (tensor<1x64xf32>, !llama.weight<64x64xf32>) -> tensor<1x64xf32>
  return %a, %n : tensor<1x64xf32>, tensor<1x64xf32>
}

// -----

// A matmul that already normalizes its input cannot take a second prologue.
// CHECK-LABEL: func.func @negative_already_normalized
// CHECK: %[[N:.*]] = llama.rms_norm
// CHECK: llama.matmul %[[N]], %{{.*}} norm(
func.func @negative_already_normalized(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %w = llama.weight "w" : !llama.weight<64x64xf32>
  %n = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<64xf32>) -> tensor<1x64xf32>
  %a = llama.matmul %n, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64xf32>) -> tensor<1x64xf32>
  return %a : tensor<1x64xf32>
}

// -----

// A norm over a rank-3 tensor has no [seq, K] consumer to fold into.
// CHECK-LABEL: func.func @negative_rank3
// CHECK: llama.rms_norm
func.func @negative_rank3(%x: tensor<2x4x64xf32>) -> tensor<2x4x64xf32> {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %n = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<2x4x64xf32>, !llama.weight<64xf32>) -> tensor<2x4x64xf32>
  return %n : tensor<2x4x64xf32>
}
