// RUN: llama-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of every llama type and op. Cases are named
// `<op>_c<N>_...` after the constraint (C<N>) of LlamaOps.td / LlamaTypes.td
// that they break.

// expected-error @+1 {{!llama.weight must have rank 1 to 4, got rank 0}}
func.func @weight_type_c1_rank0(%w: !llama.weight<f32>)

// -----

// expected-error @+1 {{!llama.weight must have rank 1 to 4, got rank 5}}
func.func @weight_type_c1_rank5(%w: !llama.weight<1x1x1x1x32xq8_0>)

// -----

// expected-error @+1 {{!llama.weight dimension 0 must be static and positive, got 0}}
func.func @weight_type_c2_zero(%w: !llama.weight<0x32xf32>)

// -----

// expected-error @+1 {{expected static shape}}
func.func @weight_type_c2_dynamic(%w: !llama.weight<?x32xf32>)

// -----

// expected-error @+1 {{!llama.weight row length 100 is not a multiple of the 32-element block of q4_0}}
func.func @weight_type_c3_partial_block(%w: !llama.weight<2x100xq4_0>)

// -----

// expected-error @+1 {{!llama.weight row length 288 is not a multiple of the 256-element block of q6_k}}
func.func @weight_type_c3_partial_superblock(%w: !llama.weight<2x288xq6_k>)

// -----

// expected-error @+1 {{unknown GGML element type 'q3_k'; expected one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k}}
func.func @weight_type_unknown_element(%w: !llama.weight<2x256xq3_k>)

// -----

// expected-error @+1 {{!llama.kv_cache must have 4 dimensions (n_layers x n_ctx x n_kv_heads x head_dim), got 3}}
func.func @kv_cache_type_c1_rank(%c: !llama.kv_cache<5x128x4xf32>)

// -----

// expected-error @+1 {{!llama.kv_cache dimension 1 must be static and positive, got 0}}
func.func @kv_cache_type_c1_zero(%c: !llama.kv_cache<5x0x4x8xf32>)

// -----

// expected-error @+1 {{!llama.kv_cache element type must be f32 or f16, got 'bf16'}}
func.func @kv_cache_type_c2_element(%c: !llama.kv_cache<5x128x4x8xbf16>)

// -----

func.func @weight_c1_empty_name() {
  // expected-error @+1 {{'llama.weight' op weight name must not be empty}}
  %w = llama.weight "" : !llama.weight<64xf32>
  return
}

// -----

func.func @weight_c1_nul_in_name() {
  // expected-error @+1 {{'llama.weight' op weight name must not contain a NUL byte}}
  %w = llama.weight "blk.0\00.attn_q" : !llama.weight<64xf32>
  return
}

// -----

func.func @embedding_c1_table_rank(%t: !llama.weight<64xf32>, %tok: tensor<?xi32>) {
  // expected-error @+1 {{'llama.embedding' op table must have rank 2 [n_vocab, dim], got rank 1}}
  %x = llama.embedding %t, %tok : (!llama.weight<64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @embedding_c2_tokens_rank(%t: !llama.weight<512x64xf32>, %tok: tensor<2x3xi32>) {
  // expected-error @+1 {{'llama.embedding' op tokens must have rank 1 [seq], got rank 2}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<2x3xi32>) -> tensor<6x64xf32>
  return
}

// -----

func.func @embedding_c3_result_rank(%t: !llama.weight<512x64xf32>, %tok: tensor<?xi32>) {
  // expected-error @+1 {{'llama.embedding' op result must have rank 2 [seq, dim], got rank 3}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @embedding_c3_rows(%t: !llama.weight<512x64xf32>, %tok: tensor<3xi32>) {
  // expected-error @+1 {{'llama.embedding' op result has 4 rows but there are 3 tokens}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<3xi32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @embedding_c3_dim(%t: !llama.weight<512x64xf32>, %tok: tensor<?xi32>) {
  // expected-error @+1 {{'llama.embedding' op result row length 32 must equal the table's dim 64}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<?xi32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @rms_norm_c1_weight_rank(%x: tensor<?x64xf32>, %w: !llama.weight<1x64xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op weight must have rank 1 [dim], got rank 2}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<1x64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_c1_quantized_weight(%x: tensor<?x64xf32>, %w: !llama.weight<64xq8_0>) {
  // expected-error @+1 {{'llama.rms_norm' op weight must be f32, f16 or bf16, got q8_0}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xq8_0>) -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_c2_rank0(%x: tensor<f32>, %w: !llama.weight<1xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op input must have rank at least 1}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<f32>, !llama.weight<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @rms_norm_c2_dim(%x: tensor<?x32xf32>, %w: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op input's last dimension 32 must equal the weight length 64}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x32xf32>, !llama.weight<64xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @rms_norm_c3_result(%x: tensor<?x64xf32>, %w: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op result type 'tensor<2x64xf32>' must equal the input type 'tensor<?x64xf32>'}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<2x64xf32>
  return
}

// -----

func.func @rms_norm_c4_epsilon(%x: tensor<?x64xf32>, %w: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op epsilon must be finite and positive, got 0}}
  %y = llama.rms_norm %x, %w {epsilon = 0.0 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_c4_epsilon_nan(%x: tensor<?x64xf32>, %w: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.rms_norm' op epsilon must be finite and positive, got nan}}
  %y = llama.rms_norm %x, %w {epsilon = 0x7FC00000 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @matmul_c1_input_rank(%x: tensor<2x3x64xf32>, %w: !llama.weight<16x64xf32>) {
  // expected-error @+1 {{'llama.matmul' op input must have rank 2 [seq, K], got rank 3}}
  %y = llama.matmul %x, %w : (tensor<2x3x64xf32>, !llama.weight<16x64xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @matmul_c2_weight_rank(%x: tensor<2x64xf32>, %w: !llama.weight<64xf32>) {
  // expected-error @+1 {{'llama.matmul' op weight must have rank 2 [N, K], got rank 1}}
  %y = llama.matmul %x, %w : (tensor<2x64xf32>, !llama.weight<64xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @matmul_c3_k(%x: tensor<?x32xf32>, %w: !llama.weight<16x64xq8_0>) {
  // expected-error @+1 {{'llama.matmul' op input row length 32 must equal the weight's row length K = 64}}
  %y = llama.matmul %x, %w : (tensor<?x32xf32>, !llama.weight<16x64xq8_0>) -> tensor<?x16xf32>
  return
}

// -----

func.func @matmul_c4_result_rank(%x: tensor<?x64xf32>, %w: !llama.weight<16x64xf32>) {
  // expected-error @+1 {{'llama.matmul' op result must have rank 2 [seq, N], got rank 1}}
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<16x64xf32>) -> tensor<16xf32>
  return
}

// -----

func.func @matmul_c4_rows(%x: tensor<3x64xf32>, %w: !llama.weight<16x64xf32>) {
  // expected-error @+1 {{'llama.matmul' op result has 2 rows but the input has 3}}
  %y = llama.matmul %x, %w : (tensor<3x64xf32>, !llama.weight<16x64xf32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @matmul_c4_n(%x: tensor<?x64xf32>, %w: !llama.weight<16x64xf32>) {
  // expected-error @+1 {{'llama.matmul' op result row length 17 must equal the weight's row count N = 16}}
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<16x64xf32>) -> tensor<?x17xf32>
  return
}

// -----

func.func @rope_c1_rank(%x: tensor<?x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op input must have rank 3 [seq, heads, head_dim], got rank 2}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @rope_c2_positions_rank(%x: tensor<2x8x8xf32>, %p: tensor<2x1xi32>) {
  // expected-error @+1 {{'llama.rope' op positions must have rank 1 [seq], got rank 2}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<2x8x8xf32>, tensor<2x1xi32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @rope_c2_positions_count(%x: tensor<2x8x8xf32>, %p: tensor<3xi32>) {
  // expected-error @+1 {{'llama.rope' op there are 3 positions for 2 tokens}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<2x8x8xf32>, tensor<3xi32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @rope_c3_odd_n_rot(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op n_rot must be even and positive, got 7}}
  %y = llama.rope %x, %p {n_rot = 7 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @rope_c3_zero_n_rot(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op n_rot must be even and positive, got 0}}
  %y = llama.rope %x, %p {n_rot = 0 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @rope_c3_n_rot_too_large(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op n_rot 16 exceeds head_dim 8}}
  %y = llama.rope %x, %p {n_rot = 16 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @rope_c4_theta(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op theta must be finite and positive, got -1}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = -1.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @rope_c5_result(%x: tensor<?x8x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.rope' op result type 'tensor<?x4x16xf32>' must equal the input type 'tensor<?x8x8xf32>'}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<?xi32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @attention_c1_query_rank(%q: tensor<?x64xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op query must have rank 3 [seq, n_heads, head_dim], got rank 2}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x64xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @attention_c1_key_rank(%q: tensor<?x8x8xf32>, %k: tensor<?x32xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op key must have rank 3 [seq, n_kv_heads, head_dim], got rank 2}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c2_key_value(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %v: tensor<2x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op key type 'tensor<?x4x8xf32>' and value type 'tensor<2x4x8xf32>' must be equal}}
  %o = llama.attention %q, %k, %v, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<2x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c3_dynamic_heads(%q: tensor<?x?x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op n_heads and n_kv_heads must be static}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x?x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x?x8xf32>
  return
}

// -----

func.func @gqa_attention_c3_zero_kv_heads(%q: tensor<?x8x8xf32>, %k: tensor<?x0x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.gqa_attention' op n_heads 8 must be a multiple of n_kv_heads 0}}
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x0x8xf32>, tensor<?x0x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c3_grouping(%q: tensor<?x8x8xf32>, %k: tensor<?x3x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x3x8xf32>) {
  // expected-error @+1 {{'llama.attention' op n_heads 8 must be a multiple of n_kv_heads 3}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x3x8xf32>, tensor<?x3x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x3x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c4_key_head_dim(%q: tensor<?x8x8xf32>, %k: tensor<?x4x16xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op key head_dim 16 must equal query head_dim 8}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c4_cache_head_dim(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x16xf32>) {
  // expected-error @+1 {{'llama.attention' op KV cache head_dim 16 must equal query head_dim 8}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x16xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c4_cache_heads(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x2x8xf32>) {
  // expected-error @+1 {{'llama.attention' op KV cache has 2 KV heads but key has 4}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x2x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @kv_cache_layer_c1_layer(%c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.kv_cache_layer' op layer 5 is outside the KV cache's 5 layers}}
  %l = llama.kv_cache_layer %c[5] : !llama.kv_cache<5x128x4x8xf32> -> !llama.kv_cache<1x128x4x8xf32>
  return
}

// -----

func.func @kv_cache_layer_c2_shape(%c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.kv_cache_layer' op result must be the cache of one layer, '!llama.kv_cache<1x128x4x8xf32>', got '!llama.kv_cache<2x128x4x8xf32>'}}
  %l = llama.kv_cache_layer %c[1] : !llama.kv_cache<5x128x4x8xf32> -> !llama.kv_cache<2x128x4x8xf32>
  return
}

// -----

func.func @kv_cache_layer_c2_element(%c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.kv_cache_layer' op result must be the cache of one layer, '!llama.kv_cache<1x128x4x8xf32>', got '!llama.kv_cache<1x128x4x8xf16>'}}
  %l = llama.kv_cache_layer %c[1] : !llama.kv_cache<5x128x4x8xf32> -> !llama.kv_cache<1x128x4x8xf16>
  return
}

// -----

func.func @attention_c5_layer_too_large(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op layer 5 is outside the KV cache's 5 layers}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 5 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c5_layer_negative(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op layer -1 is outside the KV cache's 5 layers}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = -1 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c6_positions_rank(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<1x1xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op positions must have rank 1 [seq], got rank 2}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<1x1xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c6_seq(%q: tensor<2x8x8xf32>, %k: tensor<3x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op sequence lengths disagree: query has 2 tokens, key has 3, positions has ?}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<2x8x8xf32>, tensor<3x4x8xf32>, tensor<3x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<2x8x8xf32>
  return
}

// -----

func.func @attention_c7_seq_exceeds_ctx(%q: tensor<200x8x8xf32>, %k: tensor<200x4x8xf32>, %p: tensor<200xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op sequence length 200 exceeds the KV cache's n_ctx 128}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<200x8x8xf32>, tensor<200x4x8xf32>, tensor<200x4x8xf32>, tensor<200xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<200x8x8xf32>
  return
}

// -----

func.func @attention_c8_scale(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op scale must be finite and positive, got 0}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64, scale = 0.0 : f32} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_c9_result(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op result type 'tensor<?x4x8xf32>' must equal the query type 'tensor<?x8x8xf32>'}}
  %o = llama.attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x4x8xf32>
  return
}

// -----

func.func @swiglu_c1_shapes(%g: tensor<?x172xf32>, %u: tensor<?x64xf32>) {
  // expected-error @+1 {{'llama.swiglu' op gate type 'tensor<?x172xf32>' and up type 'tensor<?x64xf32>' must be equal}}
  %h = llama.swiglu %g, %u : (tensor<?x172xf32>, tensor<?x64xf32>) -> tensor<?x172xf32>
  return
}

// -----

func.func @swiglu_c2_result(%g: tensor<?x172xf32>, %u: tensor<?x172xf32>) {
  // expected-error @+1 {{'llama.swiglu' op result type 'tensor<2x172xf32>' must equal the gate type 'tensor<?x172xf32>'}}
  %h = llama.swiglu %g, %u : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<2x172xf32>
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

func.func @int8_dot_c1_operands(%w: vector<16xi8>, %x: vector<32xi8>) {
  // expected-error @+1 {{'llama.int8_dot' op operands must be vector<32xi8>}}
  %s = llama.int8_dot avx2 %w, %x : vector<16xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @int8_dot_c2_result(%w: vector<32xi8>, %x: vector<32xi8>) {
  // expected-error @+1 {{'llama.int8_dot' op result must be vector<8xi32>}}
  %s = llama.int8_dot avx2 %w, %x : vector<32xi8>, vector<32xi8> -> vector<4xi32>
  return
}

// -----

func.func @int8_dot_c3_kind(%w: vector<32xi8>, %x: vector<32xi8>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [generic, avx2, avx512vnni, neon_dotprod, avxvnni]}}
  %s = llama.int8_dot sse9 %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @dot4_acc_c1_width(%a: vector<2xi32>, %w: vector<8xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op accumulator must be vector<4xi32>, vector<8xi32> or vector<16xi32>}}
  %s = llama.dot4_acc generic %a, %w, %w : vector<8xi8>, vector<8xi8> -> vector<2xi32>
  return
}

// -----

func.func @dot4_acc_c1_operands(%a: vector<16xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op operands must be vector<64xi8> for a 'vector<16xi32>' accumulator}}
  %s = llama.dot4_acc avx512vnni %a, %w, %w : vector<32xi8>, vector<32xi8> -> vector<16xi32>
  return
}

// -----

func.func @dot4_acc_c1_operand_types(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op failed to verify that all of {lhs, rhs} have same type}}
  %s = llama.dot4_acc avx512vnni %a, %w, %x : vector<64xi8>, vector<32xi8> -> vector<16xi32>
  return
}

// -----

func.func @dot4_acc_c2_kind(%a: vector<8xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op kind neon_dotprod (sdot: signed by signed) needs lhs_small or lhs_signed}}
  %s = llama.dot4_acc neon_dotprod %a, %w, %w : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @dot4_acc_c3_small_and_signed(%a: vector<8xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op lhs_small and lhs_signed exclude each other}}
  %s = llama.dot4_acc avx2 %a, %w, %w {lhs_small, lhs_signed} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @dot4_acc_c4_max_range(%a: vector<8xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op lhs_max must lie in [1, 127], not 128}}
  %s = llama.dot4_acc avx2 %a, %w, %w {lhs_small, lhs_max = 128} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @dot4_acc_c4_max_zero(%a: vector<8xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op lhs_max must lie in [1, 127], not 0}}
  %s = llama.dot4_acc avx2 %a, %w, %w {lhs_small, lhs_max = 0} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

func.func @dot4_acc_c4_max_not_small(%a: vector<8xi32>, %w: vector<32xi8>) {
  // expected-error @+1 {{'llama.dot4_acc' op lhs_max needs lhs_small}}
  %s = llama.dot4_acc avx2 %a, %w, %w {lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return
}

// -----

// Unranked tensors are refused by every op's operand and result types (the
// verifiers and lowerings read static ranks).

func.func @embedding_unranked_tokens(%tok: tensor<*xi32>) {
  %t = llama.weight "token_embd.weight" : !llama.weight<512x64xf32>
  // expected-error @+1 {{'llama.embedding' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<*xi32>'}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<*xi32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @embedding_unranked_result(%tok: tensor<?xi32>) {
  %t = llama.weight "token_embd.weight" : !llama.weight<512x64xf32>
  // expected-error @+1 {{'llama.embedding' op result #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %x = llama.embedding %t, %tok : (!llama.weight<512x64xf32>, tensor<?xi32>) -> tensor<*xf32>
  return
}

// -----

func.func @rms_norm_unranked(%x: tensor<*xf32>) {
  %w = llama.weight "blk.0.attn_norm.weight" : !llama.weight<64xf32>
  // expected-error @+1 {{'llama.rms_norm' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : (tensor<*xf32>, !llama.weight<64xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_unranked(%x: tensor<*xf32>) {
  %w = llama.weight "w" : !llama.weight<32x64xf32>
  // expected-error @+1 {{'llama.matmul' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %y = llama.matmul %x, %w : (tensor<*xf32>, !llama.weight<32x64xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @rope_unranked_positions(%x: tensor<?x8x8xf32>, %p: tensor<*xi32>) {
  // expected-error @+1 {{'llama.rope' op operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values, but got 'tensor<*xi32>'}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<?x8x8xf32>, tensor<*xi32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @attention_unranked(%q: tensor<*xf32>, %k: tensor<?x4x8xf32>, %v: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.attention' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %o = llama.attention %q, %k, %v, %p, %c {layer = 4 : i64} : (tensor<*xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @gqa_attention_unranked(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %v: tensor<*xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<5x128x4x8xf32>) {
  // expected-error @+1 {{'llama.gqa_attention' op operand #2 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %o = llama.gqa_attention %q, %k, %v, %p, %c {layer = 4 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<*xf32>, tensor<?xi32>, !llama.kv_cache<5x128x4x8xf32>) -> tensor<?x8x8xf32>
  return
}

// -----

func.func @swiglu_unranked(%g: tensor<*xf32>, %u: tensor<*xf32>) {
  // expected-error @+1 {{'llama.swiglu' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %h = llama.swiglu %g, %u : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @matmul_swiglu_unranked(%x: tensor<?x64xf32>) {
  %g = llama.weight "g" : !llama.weight<172x64xf32>
  // expected-error @+1 {{'llama.matmul_swiglu' op result #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %h = llama.matmul_swiglu %x, %g, %g : (tensor<?x64xf32>, !llama.weight<172x64xf32>, !llama.weight<172x64xf32>) -> tensor<*xf32>
  return
}

// -----

func.func @qkv_rope_unranked(%x: tensor<*xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<*xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}

// -----

// hparams_c1_positive
// expected-error @+1 {{n_layers must be positive, got 0}}
module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 0, n_heads = 8, n_kv_heads = 4, head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128, n_ctx_train = 128, rope_theta = 1.000000e+04 : f32, rms_eps = 9.99999974E-6 : f32, tied_output = false>} {}

// -----

// hparams_c2_kv_heads
// expected-error @+1 {{n_kv_heads (3) must divide n_heads (8)}}
module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 3, head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128, n_ctx_train = 128, rope_theta = 1.000000e+04 : f32, rms_eps = 9.99999974E-6 : f32, tied_output = false>} {}

// -----

// hparams_c3_n_rot
// expected-error @+1 {{n_rot (10) must be even and at most head_dim (8)}}
module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 4, head_dim = 8, n_rot = 10, n_vocab = 512, n_ctx = 128, n_ctx_train = 128, rope_theta = 1.000000e+04 : f32, rms_eps = 9.99999974E-6 : f32, tied_output = false>} {}

// -----

// hparams_c4_rms_eps
// expected-error @+1 {{rms_eps must be a positive f32}}
module attributes {llama.hparams = #llama.hparams<dim = 64, hidden_dim = 172, n_layers = 5, n_heads = 8, n_kv_heads = 4, head_dim = 8, n_rot = 8, n_vocab = 512, n_ctx = 128, n_ctx_train = 128, rope_theta = 1.000000e+04 : f32, rms_eps = 1.0e-05 : f64, tied_output = false>} {}

// -----

// kernel_config_c1_token_block
func.func @kernel_config_c1_token_block(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{token_block must be in 1..16, got 17}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 17>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c1_tile_rows
func.func @kernel_config_c1_tile_rows(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{tile_rows must be 0 or 16, got 8}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 8>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c2_tiles_gpu
func.func @kernel_config_c2_tiles_gpu(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{tile_rows = 16 needs dispatch = threads and dot = vector or amx}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, tile_rows = 16, block_threads = 128>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c2_amx_rows
func.func @kernel_config_c2_amx_rows(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{dot = amx needs tile_rows = 16 and int_dot = avx512vnni}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = amx, int_dot = avx512vnni, token_block = 8>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c2_amx_float
func.func @kernel_config_c2_amx_float(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xf16>
  // expected-error @+1 {{dot = amx needs tile_rows = 16 and int_dot = avx512vnni}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = amx, token_block = 8, tile_rows = 16>} : (tensor<1x64xf32>, !llama.weight<32x64xf16>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c3_layout
func.func @kernel_config_c3_layout(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{layout = rows16 needs tile_rows = 16}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, layout = rows16>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c4_block_threads
func.func @kernel_config_c4_block_threads(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{block_threads must be 0 or a multiple of 32 in 32..1024, got 48}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 48>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c4_scalar_cpu
func.func @kernel_config_c4_scalar_cpu(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{block_threads is set exactly for GPU code (dot = scalar)}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c4_tensor_cores
func.func @kernel_config_c4_tensor_cores(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{tensor_cores and row_norms need dispatch = warps}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128, tensor_cores = true>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c5_int_dot_gpu
func.func @kernel_config_c5_int_dot_gpu(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{int_dot is a CPU choice (block_threads = 0)}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, int_dot = generic, block_threads = 128>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c5_kv_block_gpu
func.func @kernel_config_c5_kv_block_gpu(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32> {
  // expected-error @+1 {{kv_block is a CPU choice (block_threads = 0)}}
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64, llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, kv_block = 16, block_threads = 128>} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// kernel_config_c6_kv_block
func.func @kernel_config_c6_kv_block(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32> {
  // expected-error @+1 {{kv_block must be in 1..64, got 0}}
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64, llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 0>} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// kernel_config_kv_block_not_attention
func.func @kernel_config_kv_block_not_attention(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{'llama.matmul' op kv_block > 1 configures a llama.gqa_attention only}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_attribute_kind
func.func @kernel_config_attribute_kind(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{'llama.kernel_config' must be a #llama.kernel_config, got "avx512"}}
  %y = llama.matmul %x, %w {llama.kernel_config = "avx512"} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c1_weights(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op epilogue swiglu takes 2 weight(s), got 1}}
  %y = llama.kernel_matmul swiglu weights(%w : memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c1_types(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op weight_types must name one GGML type per weight}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q4_0", "q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c1_unknown_type(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op unknown GGML type 'q3_k' in weight_types}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q3_k"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c1_accumulate(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op accumulate needs epilogue none}}
  %y = llama.kernel_matmul swiglu weights(%w, %w : memref<16x36xi8>, memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {accumulate, weight_types = ["q4_0", "q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_int_operands(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op integer tiles (xq) need xd and xs}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_int_and_float(%w: memref<16x36xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %x: tensor<1x64xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op integer tiles (xq) take no x, xf or gamma}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) x(%x : tensor<1x64xf32>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_float_needs_x(%w: memref<16x64xi16>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op float tiles need x}}
  %y = llama.kernel_matmul none weights(%w : memref<16x64xi16>) outs(%init : tensor<1x16xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_float_with_int_operands(%w: memref<16x64xi16>, %x: tensor<1x64xf32>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op xd, xs, xl and xt belong to integer tiles (xq)}}
  %y = llama.kernel_matmul none weights(%w : memref<16x64xi16>) x(%x : tensor<1x64xf32>) xd(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c3_rows(%w: memref<24x64xi16>, %x: tensor<1x64xf32>, %init: tensor<1x24xf32>) -> tensor<1x24xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op init must be f32 [tokens, N] with N a static multiple of the row step 16, got 'tensor<1x24xf32>'}}
  %y = llama.kernel_matmul none weights(%w : memref<24x64xi16>) x(%x : tensor<1x64xf32>) outs(%init : tensor<1x24xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x24xf32>
  return %y : tensor<1x24xf32>
}

// -----

func.func @kernel_matmul_c3_result(%w: memref<16x64xi16>, %x: memref<1x64xf32>, %init: memref<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op a buffer init takes no result}}
  %y = llama.kernel_matmul none weights(%w : memref<16x64xi16>) x(%x : memref<1x64xf32>) outs(%init : memref<1x16xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c4_gpu_config(%w: memref<16x64xi16>, %x: tensor<1x64xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op kernel_config must be a CPU configuration (block_threads = 0)}}
  %y = llama.kernel_matmul none weights(%w : memref<16x64xi16>) x(%x : tensor<1x64xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_rows_need_x(%w: memref<16x68xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op row kernels need x}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_rows_partial_quants(%w: memref<16x68xi8>, %x: tensor<1x64xf32>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op row kernels take xq, xd and xs together or none}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_rows_tile_operands(%w: memref<16x68xi8>, %x: tensor<1x64xf32>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op xl, xt and xf belong to packed row tiles}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) xl(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c3_rope_pairs(%w: memref<3x64xf32>, %x: tensor<1x64xf32>, %r: tensor<1x2x3xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op init must be f32 [tokens, N] with N a static multiple of the row step 2, got 'tensor<1x3xf32>'}}
  %y = llama.kernel_matmul rope weights(%w : memref<3x64xf32>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x2x3xf32>) outs(%init : tensor<1x3xf32>) {weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

func.func @kernel_matmul_c5_rows_table_width(%w: memref<8x64xf32>, %x: tensor<1x64xf32>, %r: tensor<1x2x3xf32>, %init: tensor<1x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation must be f32 [tokens, 2, W] with W a static multiple of the row step 2 that divides N = 8, got 'tensor<1x2x3xf32>'}}
  %y = llama.kernel_matmul rope weights(%w : memref<8x64xf32>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x2x3xf32>) outs(%init : tensor<1x8xf32>) {weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<1x8xf32>
  return %y : tensor<1x8xf32>
}

// -----

func.func @kernel_matmul_c6_x_dynamic_k(%w: memref<16x68xi8>, %x: memref<1x?xf32>, %init: memref<1x16xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op x must be f32 [tokens, K] with a static K, got 'memref<1x?xf32>'}}
  llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : memref<1x?xf32>) outs(%init : memref<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

func.func @kernel_matmul_c6_x_unranked(%w: memref<16x68xi8>, %x: tensor<*xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op x must be f32 [tokens, K] with a static K, got 'tensor<*xf32>'}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<*xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c6_xq_k(%w: memref<16x68xi8>, %x: tensor<1x64xf32>, %xq: tensor<1x32xi8>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op xq must be i8 [tokens, K] with the K of x, got 'tensor<1x32xi8>'}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) xq(%xq : tensor<1x32xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c6_mixed_buffers(%w: memref<16x68xi8>, %x: tensor<1x64xf32>, %init: memref<1x16xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op the activations must be buffers exactly when init is one}}
  llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) outs(%init : memref<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

func.func @kernel_matmul_c5_rope_no_table(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op epilogue rope needs a rotation table}}
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_no_rope(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %r: tensor<1x2x16xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op a rotation table needs epilogue rope}}
  %y = llama.kernel_matmul none weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x2x16xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_shape(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %r: tensor<1x16xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation must be f32 [tokens, 2, W] with W a static multiple of the row step 16 that divides N = 32, got 'tensor<1x16xf32>'}}
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x16xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_width(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %r: tensor<1x2x64xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation must be f32 [tokens, 2, W] with W a static multiple of the row step 16 that divides N = 32, got 'tensor<1x2x64xf32>'}}
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x2x64xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_zero_width(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %r: tensor<1x2x0xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation must be f32 [tokens, 2, W] with W a static multiple of the row step 16 that divides N = 32, got 'tensor<1x2x0xf32>'}}
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<1x2x0xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_tokens(%w: memref<32x64xi16>, %x: tensor<1x64xf32>, %r: tensor<2x2x16xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation has 2 tokens, init 1}}
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : tensor<1x64xf32>) rotation(%r : tensor<2x2x16xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

func.func @kernel_matmul_c5_table_kind(%w: memref<32x64xi16>, %x: memref<1x64xf32>, %r: tensor<1x2x16xf32>, %init: memref<1x32xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op rotation must be a buffer exactly when init is one}}
  llama.kernel_matmul rope weights(%w : memref<32x64xi16>) x(%x : memref<1x64xf32>) rotation(%r : tensor<1x2x16xf32>) outs(%init : memref<1x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, tile_rows = 16>}
  return
}

// -----

func.func @kernel_attention_c1_query_rank(%q: tensor<4x64xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op query must be f32 [tokens, n_heads, head_dim] with static heads and head_dim, got 'tensor<4x64xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x64xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_unranked(%q: tensor<*xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op query, positions and init must be ranked tensors or buffers, got 'tensor<*xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<*xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_dynamic_heads(%q: tensor<4x?x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op query must be f32 [tokens, n_heads, head_dim] with static heads and head_dim, got 'tensor<4x?x8xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x?x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_init_shape(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x4xf32>) -> tensor<4x8x4xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op init must have the shape of query 'tensor<4x8x8xf32>', got 'tensor<4x8x4xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x4xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x4xf32>
  return %o : tensor<4x8x4xf32>
}

// -----

func.func @kernel_attention_c2_cache_heads(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x3x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache's KV heads must be a static divisor of the 8 query heads, got 'memref<16x3x8xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x3x8xf32>, memref<16x3x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c2_cache_type(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xbf16>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache must be f32 or f16 [n_ctx, n_kv_heads, head_dim], got 'memref<16x2x8xbf16>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xbf16>, memref<16x2x8xbf16>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c2_head_dim(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x4xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache's head_dim must be the query's 8, got 'memref<16x2x4xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x4xf32>, memref<16x2x4xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c3_positions(%q: tensor<4x8x8xf32>, %p: tensor<3xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op positions must be i32 or i64 [tokens] with the query's tokens, got 'tensor<3xi32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<3xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c2_values_type(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %v: memref<16x2x8xf16>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op keys and values must have one type, got 'memref<16x2x8xf32>' and 'memref<16x2x8xf16>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %v : memref<16x2x8xf32>, memref<16x2x8xf16>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c4_gpu_config(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op kernel_config must be a CPU configuration (block_threads = 0)}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c5_mixed(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: memref<4x8x8xf32>) {
  // expected-error @+1 {{'llama.kernel_attention' op query and positions must be buffers exactly when init is one}}
  llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : memref<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

func.func @kernel_attention_c5_no_result(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) {
  // expected-error @+1 {{'llama.kernel_attention' op a tensor init needs one result of its type}}
  llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

func.func @kernel_attention_c6_scale(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op scale must be finite and positive, got -5.000000e-01}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = -0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_vector_query(%q: vector<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op query, positions and init must be ranked tensors or buffers, got 'vector<4x8x8xf32>'}}
  %o = llama.kernel_attention q(%q : vector<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_vector_positions(%q: tensor<4x8x8xf32>, %p: vector<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op query, positions and init must be ranked tensors or buffers, got 'vector<4xi32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : vector<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c1_query_type(%q: tensor<4x8x8xf16>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf16>) -> tensor<4x8x8xf16> {
  // expected-error @+1 {{'llama.kernel_attention' op query must be f32 [tokens, n_heads, head_dim] with static heads and head_dim, got 'tensor<4x8x8xf16>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf16>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf16>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf16>
  return %o : tensor<4x8x8xf16>
}

// -----

func.func @kernel_attention_c2_zero_kv_heads(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x0x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache's KV heads must be a static divisor of the 8 query heads, got 'memref<16x0x8xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x0x8xf32>, memref<16x0x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c2_dynamic_kv_heads(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x?x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache's KV heads must be a static divisor of the 8 query heads, got 'memref<16x?x8xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x?x8xf32>, memref<16x?x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c2_no_rows(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<0x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op the cache must have rows, got 'memref<0x2x8xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<0x2x8xf32>, memref<0x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c3_positions_type(%q: tensor<4x8x8xf32>, %p: tensor<4xf32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op positions must be i32 or i64 [tokens] with the query's tokens, got 'tensor<4xf32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xf32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c3_positions_rank(%q: tensor<4x8x8xf32>, %p: tensor<4x1xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op positions must be i32 or i64 [tokens] with the query's tokens, got 'tensor<4x1xi32>'}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4x1xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c6_nan_scale(%q: tensor<4x8x8xf32>, %p: tensor<4xi32>, %k: memref<16x2x8xf32>, %init: tensor<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op scale must be finite and positive, got nan}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0x7FC00000 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}

// -----

func.func @kernel_attention_c5_buffer_result(%q: memref<4x8x8xf32>, %p: memref<4xi32>, %k: memref<16x2x8xf32>, %init: memref<4x8x8xf32>) -> tensor<4x8x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op a buffer init takes no result}}
  %o = llama.kernel_attention q(%q : memref<4x8x8xf32>) positions(%p : memref<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : memref<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<4x8x8xf32>
  return %o : tensor<4x8x8xf32>
}
