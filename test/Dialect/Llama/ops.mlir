// RUN: llama-opt %s -split-input-file | llama-opt -split-input-file | FileCheck %s
// RUN: llama-opt %s -split-input-file -mlir-print-op-generic | llama-opt -split-input-file | FileCheck %s

// Round trip of every llama type and op, in custom and generic form.

// CHECK-LABEL: func.func @weight_types
// CHECK-SAME: !llama.weight<64xf32>
// CHECK-SAME: !llama.weight<64x64xf16>
// CHECK-SAME: !llama.weight<64x64xbf16>
// CHECK-SAME: !llama.weight<3x32xq8_0>
// CHECK-SAME: !llama.weight<3x32xq4_0>
// CHECK-SAME: !llama.weight<3x32xq4_1>
// CHECK-SAME: !llama.weight<3x32xq5_0>
// CHECK-SAME: !llama.weight<3x32xq5_1>
// CHECK-SAME: !llama.weight<2x256xq4_k>
// CHECK-SAME: !llama.weight<2x256xq5_k>
// CHECK-SAME: !llama.weight<2x256xq6_k>
// CHECK-SAME: !llama.weight<2x3x4x32xq8_0>
func.func @weight_types(%a: !llama.weight<64xf32>, %b: !llama.weight<64x64xf16>,
                        %c: !llama.weight<64x64xbf16>, %d: !llama.weight<3x32xq8_0>,
                        %e: !llama.weight<3x32xq4_0>, %f: !llama.weight<3x32xq4_1>,
                        %g: !llama.weight<3x32xq5_0>, %h: !llama.weight<3x32xq5_1>,
                        %i: !llama.weight<2x256xq4_k>, %j: !llama.weight<2x256xq5_k>,
                        %k: !llama.weight<2x256xq6_k>, %l: !llama.weight<2x3x4x32xq8_0>) {
  return
}

// -----

// CHECK-LABEL: func.func @kv_cache_types
// CHECK-SAME: !llama.kv_cache<5x128x4x8xf32>
// CHECK-SAME: !llama.kv_cache<32x4096x32x128xf16>
func.func @kv_cache_types(%a: !llama.kv_cache<5x128x4x8xf32>,
                          %b: !llama.kv_cache<32x4096x32x128xf16>) {
  return
}

// -----

// CHECK-LABEL: func.func @weight
// CHECK: %[[W:.*]] = llama.weight "blk.0.attn_q.weight" : !llama.weight<64x64xq8_0>
// CHECK: return %[[W]]
func.func @weight() -> !llama.weight<64x64xq8_0> {
  %w = llama.weight "blk.0.attn_q.weight" : !llama.weight<64x64xq8_0>
  return %w : !llama.weight<64x64xq8_0>
}

// -----

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[TOK:.*]]: tensor<?xi32>)
// CHECK: %[[T:.*]] = llama.weight "token_embd.weight"
// CHECK: llama.embedding %[[T]], %[[TOK]] : (!llama.weight<512x64xq4_0>, tensor<?xi32>) -> tensor<?x64xf32>
func.func @embedding(%tok: tensor<?xi32>) -> tensor<?x64xf32> {
  %t = llama.weight "token_embd.weight" : !llama.weight<512x64xq4_0>
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xq4_0>, tensor<?xi32>) -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @embedding_static_i64
// CHECK: llama.embedding %{{.*}}, %{{.*}} : (!llama.weight<512x64xf16>, tensor<3xi64>) -> tensor<3x64xf32>
func.func @embedding_static_i64(%tok: tensor<3xi64>) -> tensor<3x64xf32> {
  %t = llama.weight "token_embd.weight" : !llama.weight<512x64xf16>
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf16>, tensor<3xi64>) -> tensor<3x64xf32>
  return %x : tensor<3x64xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[W:.*]] = llama.weight "blk.0.attn_norm.weight"
// CHECK: llama.rms_norm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
func.func @rms_norm(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = llama.weight "blk.0.attn_norm.weight" : !llama.weight<64xf32>
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x256xf32>)
// CHECK: %[[W:.*]] = llama.weight "blk.0.ffn_gate.weight"
// CHECK: llama.matmul %[[X]], %[[W]] : (tensor<?x256xf32>, !llama.weight<172x256xq4_k>) -> tensor<?x172xf32>
func.func @matmul(%x: tensor<?x256xf32>) -> tensor<?x172xf32> {
  %w = llama.weight "blk.0.ffn_gate.weight" : !llama.weight<172x256xq4_k>
  %y = llama.matmul %x, %w : (tensor<?x256xf32>, !llama.weight<172x256xq4_k>) -> tensor<?x172xf32>
  return %y : tensor<?x172xf32>
}

// -----

// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x8xf32>, %[[P:.*]]: tensor<?xi32>)
// CHECK: llama.rope %[[X]], %[[P]] {n_rot = 8 : i64, theta = 1.000000e+04 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
func.func @rope(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) -> tensor<?x8x8xf32> {
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return %y : tensor<?x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x8xf32>, %[[K:.*]]: tensor<?x4x8xf32>, %[[V:.*]]: tensor<?x4x8xf32>, %[[P:.*]]: tensor<?xi32>, %[[C:.*]]: !llama.kv_cache<5x128x4x8xf32>)
// CHECK: llama.attention %[[Q]], %[[K]], %[[V]], %[[P]], %[[C]] {layer = 4 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
func.func @attention(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %v: tensor<?x4x8xf32>,
                     %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32> {
  %o = llama.attention %q, %k, %v, %p, %c {layer = 4 : i64}
      : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @kv_cache_layer
// CHECK: llama.kv_cache_layer %{{.*}}[3] : !llama.kv_cache<5x128x4x8xf16> -> !llama.kv_cache<1x128x4x8xf16>
func.func @kv_cache_layer(%c: !llama.kv_cache<5x128x4x8xf16>) -> !llama.kv_cache<1x128x4x8xf16> {
  %l = llama.kv_cache_layer %c[3] : !llama.kv_cache<5x128x4x8xf16> -> !llama.kv_cache<1x128x4x8xf16>
  return %l : !llama.kv_cache<1x128x4x8xf16>
}

// -----

// CHECK-LABEL: func.func @attention_mha_scale_f16_cache
// CHECK: llama.attention {{.*}} {layer = 0 : i64, scale = 1.250000e-01 : f32} : (tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1xi64>, !llama.kv_cache<1x16x4x64xf16>) -> tensor<1x4x64xf32>
func.func @attention_mha_scale_f16_cache(%q: tensor<1x4x64xf32>, %p: tensor<1xi64>,
                                        %c: !llama.kv_cache<1x16x4x64xf16>) -> tensor<1x4x64xf32> {
  %o = llama.attention %q, %q, %q, %p, %c {layer = 0 : i64, scale = 0.125 : f32}
      : (tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>, tensor<1xi64>, !llama.kv_cache<1x16x4x64xf16>) -> tensor<1x4x64xf32>
  return %o : tensor<1x4x64xf32>
}

// -----

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[G:.*]]: tensor<?x172xf32>, %[[U:.*]]: tensor<?x172xf32>)
// CHECK: llama.swiglu %[[G]], %[[U]] : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
func.func @swiglu(%g: tensor<?x172xf32>, %u: tensor<?x172xf32>) -> tensor<?x172xf32> {
  %h = llama.swiglu %g, %u : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  return %h : tensor<?x172xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_swiglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: llama.matmul_swiglu %[[X]], %{{.*}}, %{{.*}} : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>, !llama.weight<172x64xq8_0>) -> tensor<?x172xf32>
func.func @matmul_swiglu(%x: tensor<?x64xf32>) -> tensor<?x172xf32> {
  %g = llama.weight "blk.0.ffn_gate.weight" : !llama.weight<172x64xq4_0>
  %u = llama.weight "blk.0.ffn_up.weight" : !llama.weight<172x64xq8_0>
  %h = llama.matmul_swiglu %x, %g, %u : (tensor<?x64xf32>, !llama.weight<172x64xq4_0>, !llama.weight<172x64xq8_0>) -> tensor<?x172xf32>
  return %h : tensor<?x172xf32>
}

// -----

// CHECK-LABEL: func.func @norm_prologues
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[G:.*]] = llama.weight "g"
// CHECK: llama.matmul %[[X]], %{{.*}} norm(%[[G]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>, !llama.weight<64xf32>) -> tensor<?x32xf32>
// CHECK: llama.matmul_swiglu %[[X]], %{{.*}}, %{{.*}} norm(%[[G]]) {epsilon = 9.99999974E-6 : f32} : (tensor<?x64xf32>, !llama.weight<96x64xq4_0>, !llama.weight<96x64xq4_0>, !llama.weight<64xf32>) -> tensor<?x96xf32>
func.func @norm_prologues(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x96xf32>) {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %w = llama.weight "w" : !llama.weight<32x64xq8_0>
  %wg = llama.weight "wg" : !llama.weight<96x64xq4_0>
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>, !llama.weight<64xf32>) -> tensor<?x32xf32>
  %h = llama.matmul_swiglu %x, %wg, %wg norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<96x64xq4_0>, !llama.weight<96x64xq4_0>, !llama.weight<64xf32>) -> tensor<?x96xf32>
  return %y, %h : tensor<?x32xf32>, tensor<?x96xf32>
}

// -----

// CHECK-LABEL: func.func @qkv_rope
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[P:.*]]: tensor<?xi32>)
// CHECK: %{{.*}}, %{{.*}}, %{{.*}} = llama.qkv_rope %[[X]], %{{.*}}, %{{.*}}, %{{.*}}, %[[P]] {n_rot = 4 : i64, theta = 1.000000e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xf16>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
// CHECK: llama.qkv_rope %[[X]], {{.*}} norm(%{{.*}}) {epsilon = 9.99999974E-6 : f32, n_rot = 8 : i64, theta = 1.000000e+04 : f32}
func.func @qkv_rope(%x: tensor<?x64xf32>, %p: tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>) {
  %wq = llama.weight "wq" : !llama.weight<64x64xq8_0>
  %wk = llama.weight "wk" : !llama.weight<32x64xq8_0>
  %wv = llama.weight "wv" : !llama.weight<32x64xf16>
  %g = llama.weight "g" : !llama.weight<64xf32>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 4 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xf16>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
  %q2, %k2, %v2 = llama.qkv_rope %x, %wq, %wk, %wv, %p norm(%g) {epsilon = 1.0e-05 : f32, n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xf16>, tensor<?xi32>, !llama.weight<64xf32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
  return %q, %k2 : tensor<?x8x8xf32>, tensor<?x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @gqa_attention
// CHECK: llama.gqa_attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {layer = 4 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf16>) -> tensor<?x8x8xf32>
func.func @gqa_attention(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf16>) -> tensor<?x8x8xf32> {
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 4 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf16>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @int8_dot
// CHECK: llama.int8_dot avx2 %{{.*}}, %{{.*}} {lhs_nonneg} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
// CHECK: llama.int8_dot neon_dotprod %{{.*}}, %{{.*}} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
func.func @int8_dot(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %u = llama.int8_dot avx2 %w, %x {lhs_nonneg} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s = llama.int8_dot neon_dotprod %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// CHECK-LABEL: func.func @dot4_acc
// CHECK: llama.dot4_acc avx512vnni %{{.*}}, %{{.*}}, %{{.*}} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// CHECK: llama.dot4_acc generic %{{.*}}, %{{.*}}, %{{.*}} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
// CHECK: llama.dot4_acc avx2 %{{.*}}, %{{.*}}, %{{.*}} {lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// CHECK: llama.dot4_acc avx2 %{{.*}}, %{{.*}}, %{{.*}} {lhs_max = 15 : i64, lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
func.func @dot4_acc(%a: vector<16xi32>, %w: vector<64xi8>, %b: vector<4xi32>, %v: vector<16xi8>) -> (vector<16xi32>, vector<4xi32>, vector<16xi32>, vector<16xi32>) {
  %s = llama.dot4_acc avx512vnni %a, %w, %w : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %t = llama.dot4_acc generic %b, %v, %v : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %u = llama.dot4_acc avx2 %a, %w, %w {lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %m = llama.dot4_acc avx2 %u, %w, %w {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s, %t, %u, %m : vector<16xi32>, vector<4xi32>, vector<16xi32>, vector<16xi32>
}

// -----

// The typed hyperparameters of a module.
// CHECK: module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 4, head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128, n_ctx_train = 512, rope_theta = 1.000000e+04 : f32, rms_eps = 9.99999974E-6 : f32, tied_output = true>}
module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 4, head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128, n_ctx_train = 512, rope_theta = 10000.0 : f32, rms_eps = 1.0e-05 : f32, tied_output = true>} {}

// -----

// Kernel configurations: parameters at their defaults are not printed (so
// the second spells out int_dot = none and layout = gguf for nothing).
// CHECK-LABEL: func.func @kernel_configs
// CHECK: {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 36864>}
// CHECK: {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalable>}
// CHECK: {llama.kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, token_block = 4, block_threads = 256, tensor_cores = true, row_norms = true>}
func.func @kernel_configs(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  %a = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 36864>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalable, int_dot = none, layout = gguf>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %c = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, token_block = 4, block_threads = 256, tensor_cores = true, row_norms = true>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %a, %b, %c : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// The AVX-512 float tiles' block of 24 tokens (C1 allows up to 32).
// CHECK-LABEL: func.func @kernel_config_float_block
// CHECK: {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16>}
func.func @kernel_config_float_block(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xf16>
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16>} : (tensor<?x64xf32>, !llama.weight<32x64xf16>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// A structured op's distribution over the thread pool: one token per task.
// CHECK-LABEL: func.func @kernel_config_distribute
// CHECK: llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1, 0]>
func.func @kernel_config_distribute(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<?x4xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1, 0]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// llama.kernel_matmul on tensors (integer tiles, accumulating) and on
// buffers (f16 float tiles in a prefill: xf and gamma, no result; a rope
// epilogue with its rotation table).
// CHECK-LABEL: func.func @kernel_matmul
// CHECK: llama.kernel_matmul none weights(%{{.*}} : memref<4x2x288xi8>) xq(%{{.*}} : tensor<1x64xi8>) xd(%{{.*}} : tensor<1x2xf32>) xs(%{{.*}} : tensor<1x2xf32>) outs(%{{.*}} : tensor<1x64xf32>) {accumulate, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16>, weight_types = ["q4_0"]} -> tensor<1x64xf32>
// CHECK: llama.kernel_matmul swiglu weights(%{{.*}}, %{{.*}} : memref<32x64xi16>, memref<32x64xi16>) x(%{{.*}} : memref<?x64xf32>) xf(%{{.*}} : memref<?x64x6xf32>) gamma(%{{.*}} : memref<64xf32>) scales(%{{.*}} : memref<?xf32>) outs(%{{.*}} : memref<?x32xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>, weight_types = ["f16", "bf16"]}
// CHECK: llama.kernel_matmul rope weights(%{{.*}} : memref<32x64xi16>) x(%{{.*}} : memref<?x64xf32>) rotation(%{{.*}} : memref<?x2x16xf32>) outs(%{{.*}} : memref<?x32xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>, weight_types = ["f16"]}
func.func @kernel_matmul(%w: memref<4x2x288xi8>, %q: tensor<1x64xi8>, %d: tensor<1x2xf32>, %s: tensor<1x2xf32>, %r: tensor<1x64xf32>, %g: memref<32x64xi16>, %u: memref<32x64xi16>, %x: memref<?x64xf32>, %xf: memref<?x64x6xf32>, %gamma: memref<64xf32>, %sc: memref<?xf32>, %out: memref<?x32xf32>, %rot: memref<?x2x16xf32>) -> tensor<1x64xf32> {
  %y = llama.kernel_matmul none weights(%w : memref<4x2x288xi8>) xq(%q : tensor<1x64xi8>) xd(%d : tensor<1x2xf32>) xs(%s : tensor<1x2xf32>) outs(%r : tensor<1x64xf32>) {accumulate, weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16>} -> tensor<1x64xf32>
  llama.kernel_matmul swiglu weights(%g, %u : memref<32x64xi16>, memref<32x64xi16>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x64x6xf32>) gamma(%gamma : memref<64xf32>) scales(%sc : memref<?xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16", "bf16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>}
  llama.kernel_matmul rope weights(%g : memref<32x64xi16>) x(%x : memref<?x64xf32>) rotation(%rot : memref<?x2x16xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>}
  return %y : tensor<1x64xf32>
}

// -----

// Row kernels (tile_rows = 0): the raw activations with gamma and the row
// scales, int8 quants for the weights with integer dots, and a RoPE table
// a head wide.
// CHECK-LABEL: func.func @kernel_matmul_row_kernels
// CHECK: llama.kernel_matmul rope weights(%{{.*}} : memref<16x68xi8>) x(%{{.*}} : tensor<?x64xf32>) xq(%{{.*}} : tensor<?x64xi8>) xd(%{{.*}} : tensor<?x2xf32>) xs(%{{.*}} : tensor<?x2xf32>) gamma(%{{.*}} : memref<64xf32>) scales(%{{.*}} : tensor<?xf32>) rotation(%{{.*}} : tensor<?x2x8xf32>) outs(%{{.*}} : tensor<?x16xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = neon_dotprod, token_block = 4>, weight_types = ["q8_0"]} -> tensor<?x16xf32>
func.func @kernel_matmul_row_kernels(%w: memref<16x68xi8>, %x: tensor<?x64xf32>, %q: tensor<?x64xi8>, %d: tensor<?x2xf32>, %s: tensor<?x2xf32>, %gamma: memref<64xf32>, %sc: tensor<?xf32>, %rot: tensor<?x2x8xf32>, %init: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = llama.kernel_matmul rope weights(%w : memref<16x68xi8>) x(%x : tensor<?x64xf32>) xq(%q : tensor<?x64xi8>) xd(%d : tensor<?x2xf32>) xs(%s : tensor<?x2xf32>) gamma(%gamma : memref<64xf32>) scales(%sc : tensor<?xf32>) rotation(%rot : tensor<?x2x8xf32>) outs(%init : tensor<?x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = neon_dotprod, token_block = 4>} -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// llama.kernel_attention on tensors (a prefill, outside-in, blocks of 16
// cache rows) and on buffers (a tile: one token, one KV head of an f16
// cache, no result; kv_block at its default 1 is not printed).
// CHECK-LABEL: func.func @kernel_attention
// CHECK: llama.kernel_attention q(%{{.*}} : tensor<?x8x8xf32>) positions(%{{.*}} : tensor<?xi32>) cache(%{{.*}}, %{{.*}} : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%{{.*}} : tensor<?x8x8xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>, outside_in, scale = 3.535530e-01 : f32} -> tensor<?x8x8xf32>
// CHECK: llama.kernel_attention q(%{{.*}} : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) positions(%{{.*}} : memref<1xi32, strided<[1], offset: ?>>) cache(%{{.*}}, %{{.*}} : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>) outs(%{{.*}} : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>, scale = 5.000000e-01 : f32}
func.func @kernel_attention(%q: tensor<?x8x8xf32>, %p: tensor<?xi32>, %k: memref<16x2x8xf32>, %init: tensor<?x8x8xf32>, %bq: memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>, %bp: memref<1xi32, strided<[1], offset: ?>>, %bk: memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, %bo: memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) -> tensor<?x8x8xf32> {
  %o = llama.kernel_attention q(%q : tensor<?x8x8xf32>) positions(%p : tensor<?xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<?x8x8xf32>) {outside_in, scale = 0.353553 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>} -> tensor<?x8x8xf32>
  llama.kernel_attention q(%bq : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) positions(%bp : memref<1xi32, strided<[1], offset: ?>>) cache(%bk, %bk : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>) outs(%bo : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return %o : tensor<?x8x8xf32>
}
