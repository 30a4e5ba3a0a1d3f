// RUN: llama-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the model-level llama ops (LlamaOps.td:
// embedding, rms_norm, matmul, rope, attention, kv_cache_layer, swiglu),
// and every op's refusal of unranked tensors. Cases are named
// `<op>_c<N>_...` after the constraint (C<N>) they break.

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

func.func @qkv_rope_unranked(%x: tensor<*xf32>, %w: !llama.weight<64x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'llama.qkv_rope' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %q, %k, %v = llama.qkv_rope %x, %w, %w, %w, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<*xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, !llama.weight<64x64xf32>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return
}
