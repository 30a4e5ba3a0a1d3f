// RUN: llama-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the llama types (LlamaTypes.td), the
// llama.weight op, the module's #llama.hparams and the #llama.kernel_config
// attribute (LlamaAttrs.td). Cases are named `<type>_c<N>_...` after the
// constraint (C<N>) they break. The ops' cases: invalid-ops.mlir,
// invalid-fused-ops.mlir, invalid-kernel-ops.mlir.

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

// expected-error @+1 {{unknown GGML element type 'iq4_xs'; expected one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k}}
func.func @weight_type_unknown_element(%w: !llama.weight<2x256xiq4_xs>)

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
  // expected-error @+1 {{token_block must be in 1..32, got 33}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 33>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
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

// kernel_config_c3_prefetch_layout
func.func @kernel_config_c3_prefetch_layout(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{prefetch needs layout = rows16}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, prefetch = 4608>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c3_prefetch_multiple
func.func @kernel_config_c3_prefetch_multiple(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{prefetch must be a multiple of 64 in 0..1048576, got 100}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 100>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// kernel_config_c3_prefetch_range
func.func @kernel_config_c3_prefetch_range(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{prefetch must be a multiple of 64 in 0..1048576, got -64}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = -64>} : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
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

// kernel_config_c7_distribute_dispatch
func.func @kernel_config_c7_distribute_dispatch(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{distribute needs dispatch = threads}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%x : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, block_threads = 128, distribute = [1]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// kernel_config_c7_distribute_negative
func.func @kernel_config_c7_distribute_negative(%x: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{distribute sizes must be >= 0 with at least one > 0, got [-1]}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%x : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [-1]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// kernel_config_c7_distribute_nothing
func.func @kernel_config_c7_distribute_nothing(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{distribute sizes must be >= 0 with at least one > 0, got [0, 0]}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<?x4xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [0, 0]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// kernel_config_c7_distribute_loops
func.func @kernel_config_c7_distribute_loops(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'linalg.generic' op distribute has 1 sizes for 2 loops}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<?x4xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// kernel_config_c7_distribute_llama_op
func.func @kernel_config_c7_distribute_llama_op(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = llama.weight "w" : !llama.weight<64xf32>
  // expected-error @+1 {{'llama.rms_norm' op distribute configures structured ops outside the llama dialect and the matmuls}}
  %y = llama.rms_norm %x, %w {epsilon = 1.0e-05 : f32, llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1, 0]>} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// kernel_config_c7_distribute_matmul_rows
func.func @kernel_config_c7_distribute_matmul_rows(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{'llama.matmul' op distribute of a matmul is [tokens, rows] with tokens 0 or 1 and rows a positive multiple of 16, got [0, 8]}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, distribute = [0, 8]>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// kernel_config_c7_distribute_matmul_sizes
func.func @kernel_config_c7_distribute_matmul_sizes(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{'llama.matmul' op distribute of a matmul is [tokens, rows] with tokens 0 or 1 and rows a positive multiple of 1, got [2, 4]}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [2, 4]>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// kernel_config_c7_distribute_untileable
func.func @kernel_config_c7_distribute_untileable() -> f32 {
  // expected-error @+1 {{'arith.constant' op distribute configures structured ops outside the llama dialect}}
  %c = arith.constant {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} 1.0 : f32
  return %c : f32
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

// kernel_config_c8_vector_sizes_positive
func.func @kernel_config_c8_vector_sizes_positive(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{vector_sizes must all be >= 1, got [0, 16]}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [0, 16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// kernel_config_c8_vector_sizes_gpu
func.func @kernel_config_c8_vector_sizes_gpu(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{vector_sizes is a CPU choice (block_threads = 0)}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128, vector_sizes = [1, 16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// kernel_config_c8_vector_sizes_loops
func.func @kernel_config_c8_vector_sizes_loops(%x: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'linalg.generic' op vector_sizes has 1 sizes for 2 loops}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// kernel_config_c8_vector_sizes_llama_op
func.func @kernel_config_c8_vector_sizes_llama_op(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  // expected-error @+1 {{'llama.matmul' op vector_sizes configures linalg ops (the upstream vectorizer takes those)}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
