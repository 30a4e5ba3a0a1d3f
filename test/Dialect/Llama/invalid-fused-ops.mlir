// RUN: llama-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the fused llama ops (LlamaOps.td:
// matmul_swiglu, the matmuls' RMSNorm prologue, gqa_attention, qkv_rope).
// Cases are named `<op>_c<N>_...` after the constraint (C<N>) they break.

func.func @gqa_attention_c3_zero_kv_heads(%q: tensor<?x8x8xf32>, %k: tensor<?x0x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.gqa_attention' op n_heads 8 must be a multiple of n_kv_heads 0}}
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x0x8xf32>, tensor<?x0x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c1_rank(%x: tensor<64xf32>, %g: !llama.weight<8x64xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op input must have rank 2 [seq, K], got rank 1}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<64xf32>, !llama.weight<8x64xf32>, !llama.weight<8x64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c2_rank(%x: tensor<1x64xf32>, %g: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op gate and up must have rank 2 [hidden_dim, K]}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<1x64xf32>, !llama.weight<64xf32>, !llama.weight<64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c2_shapes(%x: tensor<1x64xf32>, %g: !llama.weight<8x64xf32>, %u: !llama.weight<9x64xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op gate shape 8x64 and up shape 9x64 must be equal}}
  %h = llama.matmul_swiglu %x, %g, %u : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<9x64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c3_k(%x: tensor<1x32xf32>, %g: !llama.weight<8x64xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op input row length 32 must equal the weights' row length K = 64}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<1x32xf32>, !llama.weight<8x64xf32>, !llama.weight<8x64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c4_result(%x: tensor<2x64xf32>, %g: !llama.weight<8x64xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op result type 'tensor<2x9xf32>' must be [seq, hidden_dim] = [2, 8]}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<2x64xf32>, !llama.weight<8x64xf32>, !llama.weight<8x64xf32>) -> tensor<2x9xf32>
  return
}

// -----

func.func @matmul_c5_epsilon_without_norm(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>) {
  // expected-error @+1 {{'llama.matmul' op epsilon is given without a norm weight}}
  %y = llama.matmul %x, %w {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<8x64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_c5_norm_shape(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>, %g: !llama.weight<32xf32>) {
  // expected-error @+1 {{'llama.matmul' op norm weight must have shape [64] (the input row length), got '!llama.weight<32xf32>'}}
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<32xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_c5_norm_quantized(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>, %g: !llama.weight<64xq8_0>) {
  // expected-error @+1 {{'llama.matmul' op norm weight must be f32, f16 or bf16, got q8_0}}
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<64xq8_0>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_c5_norm_without_epsilon(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>, %g: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.matmul' op a norm weight needs an epsilon}}
  %y = llama.matmul %x, %w norm(%g) : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_c5_epsilon_negative(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>, %g: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.matmul' op epsilon must be finite and positive, got -1}}
  %y = llama.matmul %x, %w norm(%g) {epsilon = -1.0 : f32} : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_swiglu_c5_norm_shape(%x: tensor<1x64xf32>, %w: !llama.weight<8x64xf32>, %g: !llama.weight<8xf32>) {
  // expected-error @+1 {{'llama.matmul_swiglu' op norm weight must have shape [64] (the input row length), got '!llama.weight<8xf32>'}}
  %h = llama.matmul_swiglu %x, %w, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<8x64xf32>, !llama.weight<8x64xf32>, !llama.weight<8xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @gqa_attention_c3_heads(%q: tensor<?x6x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.gqa_attention' op n_heads 6 must be a multiple of n_kv_heads 4}}
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x6x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x6x8xf32>
  return
}

// -----

func.func @qkv_rope_c1_rank(%x: tensor<64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op input must have rank 2 [seq, K], got rank 1}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c2_row_length(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %wk: !llama.weight<64x32xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op wk must have shape [N, 64], got '!llama.weight<64x32xf32>'}}
  %q, %k, %v = llama.qkv_rope %x, %w, %wk, %wk, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x32xf32>, !llama.weight<64x32xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c2_kv_shapes(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %wk: !llama.weight<32x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op wk and wv must have the same shape}}
  %q, %k, %v = llama.qkv_rope %x, %w, %wk, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<32x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>)
  return
}

// -----

func.func @qkv_rope_c3_rank(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op query and key must have rank 3 [seq, heads, head_dim]}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x64xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c3_key_value(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op key type 'tensor<?x8x8xf32>' and value type 'tensor<?x4x16xf32>' must be equal}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x4x16xf32>)
  return
}

// -----

func.func @qkv_rope_c3_head_dim(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op heads and head_dim must be static, and one head_dim for query and key}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>)
  return
}

// -----

func.func @qkv_rope_c3_rows(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op heads x head_dim of query (4x8) and key (8x8) must equal the row counts of wq and wk}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x4x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c3_seq(%x: tensor<2x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op results and input disagree on seq}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<2x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<3x8x8xf32>, tensor<3x8x8xf32>, tensor<3x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c4_odd_head_dim(%x: tensor<?x63xf32>, %w: !llama.weight<63x63xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op head_dim must be even, got 7}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 6 : i64, theta = 1.0e+04 : f32} : (tensor<?x63xf32>, !llama.weight<63x63xf32>, !llama.weight<63x63xf32>, !llama.weight<63x63xf32>, tensor<?xi32>) -> (tensor<?x9x7xf32>, tensor<?x9x7xf32>, tensor<?x9x7xf32>)
  return
}

// -----

func.func @qkv_rope_c4_n_rot(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op n_rot must be even, positive and at most head_dim 8, got 10}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 10 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c5_theta(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op theta must be finite and positive, got 0}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 0.0 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c6_positions(%x: tensor<2x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<3xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op positions must have rank 1 and one entry per token, got 'tensor<3xi32>'}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<2x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<3xi32>) -> (tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>)
  return
}

// -----

func.func @qkv_rope_c7_norm(%x: tensor<?x64xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>, %g: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.qkv_rope' op a norm weight needs an epsilon}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p norm(%g) {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>, !llama.weight<64xf32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

func.func @matmul_swiglu_unranked(%x: tensor<?x64xf32>) {
  %g = llama.weight "g" : !llama.weight<172x64xf32>
  // expected-error @+1 {{'llama.matmul_swiglu' op result #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<?x64xf32>, !llama.weight<172x64xf32>, !llama.weight<172x64xf32>) -> tensor<*xf32>
  return
}
