// RUN: llama-opt %s -split-input-file -llama-fuse-gqa | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-fuse-gqa="max-accumulator-floats=32" | FileCheck %s --check-prefix=SMALL

// Attention becomes the one-kernel-per-KV-head form with the same operands
// and attributes.
// CHECK-LABEL: func.func @gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x8xf32>, %[[K:.*]]: tensor<?x4x8xf32>, %[[V:.*]]: tensor<?x4x8xf32>, %[[P:.*]]: tensor<?xi32>, %[[C:.*]]: !llama.kv_cache
// CHECK-NOT: llama.attention
// CHECK: llama.gqa_attention %[[Q]], %[[K]], %[[V]], %[[P]], %[[C]] {layer = 1 : i64, scale = 2.500000e-01 : f32}
// SMALL-LABEL: func.func @gqa
// SMALL: llama.gqa_attention
func.func @gqa(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %v: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<2x16x4x8xf16>) -> tensor<?x8x8xf32> {
  %o = llama.attention %q, %k, %v, %p, %c {layer = 1 : i64, scale = 0.25 : f32} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<2x16x4x8xf16>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// kv_mul x head_dim = 8 x 8 = 64 accumulators exceed a budget of 32: left
// as it is.
// CHECK-LABEL: func.func @negative_accumulators_over_budget
// CHECK: llama.gqa_attention
// SMALL-LABEL: func.func @negative_accumulators_over_budget
// SMALL: llama.attention
// SMALL-NOT: llama.gqa_attention
func.func @negative_accumulators_over_budget(%q: tensor<1x8x8xf32>, %k: tensor<1x1x8xf32>, %p: tensor<1xi32>, %c: !llama.kv_cache<1x16x1x8xf32>) -> tensor<1x8x8xf32> {
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x1x8xf32>, tensor<1x1x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x1x8xf32>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}
