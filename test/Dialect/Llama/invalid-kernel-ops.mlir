// RUN: llama-opt %s -split-input-file -verify-diagnostics

// One case per verifier message of the kernel ops that the lowering emits
// (LlamaKernelOps.td: int8_dot, dot4_acc, kernel_matmul,
// kernel_attention). Cases are named `<op>_c<N>_...` after the constraint
// (C<N>) they break.

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
  // expected-error @+1 {{'llama.kernel_matmul' op unknown GGML type 'iq4_xs' in weight_types}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["iq4_xs"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, tile_rows = 16>} -> tensor<1x16xf32>
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
  // expected-error @+1 {{'llama.kernel_matmul' op kernel_config must be a CPU configuration (block_threads = 0) or a GPU one of row kernels (dispatch = threads, tile_rows = 0)}}
  %y = llama.kernel_matmul none weights(%w : memref<16x64xi16>) x(%x : tensor<1x64xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, block_threads = 128>} -> tensor<1x16xf32>
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
  // expected-error @+1 {{'llama.kernel_matmul' op xt and xf belong to packed row tiles}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xd : tensor<1x2xf32>) xf(%x : tensor<1x64xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_rows_xl_without_xq(%w: memref<16x68xi8>, %x: tensor<1x64xf32>, %xd: tensor<1x2xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op row kernels take xl only with xq}}
  %y = llama.kernel_matmul none weights(%w : memref<16x68xi8>) x(%x : tensor<1x64xf32>) xl(%xd : tensor<1x2xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @kernel_matmul_c2_rows_q2_k_without_xl(%w: memref<16x84xi8>, %x: tensor<1x256xf32>, %xq: tensor<1x256xi8>, %xd: tensor<1x8xf32>, %init: tensor<1x16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'llama.kernel_matmul' op row kernels of q2_k weights with xq need xl}}
  %y = llama.kernel_matmul none weights(%w : memref<16x84xi8>) x(%x : tensor<1x256xf32>) xq(%xq : tensor<1x256xi8>) xd(%xd : tensor<1x8xf32>) xs(%xd : tensor<1x8xf32>) outs(%init : tensor<1x16xf32>) {weight_types = ["q2_k"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>} -> tensor<1x16xf32>
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

func.func @kernel_matmul_c7_xf_block(%g: memref<32x64xi16>, %x: memref<?x64xf32>, %xf: memref<?x64x4xf32>, %out: memref<?x32xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op xf must be f32 [blocks, K, token_block] = [?, 64, 6], got 'memref<?x64x4xf32>'}}
  llama.kernel_matmul none weights(%g : memref<32x64xi16>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x64x4xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>}
  return
}

// -----

func.func @kernel_matmul_c7_xf_k(%g: memref<32x64xi16>, %x: memref<?x64xf32>, %xf: memref<?x32x6xf32>, %out: memref<?x32xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op xf must be f32 [blocks, K, token_block] = [?, 64, 6], got 'memref<?x32x6xf32>'}}
  llama.kernel_matmul none weights(%g : memref<32x64xi16>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x32x6xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>}
  return
}

// -----

func.func @kernel_matmul_c8_distribute_rows(%g: memref<48x64xi16>, %x: memref<?x64xf32>, %out: memref<?x48xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op distribute must be [tokens, rows] with rows a multiple of the row step 16 that divides N = 48 and tokens 0, or 1 without xt and xf; got [0, 32]}}
  llama.kernel_matmul none weights(%g : memref<48x64xi16>) x(%x : memref<?x64xf32>) outs(%out : memref<?x48xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, distribute = [0, 32]>}
  return
}

// -----

func.func @kernel_matmul_c8_distribute_blocked_tokens(%g: memref<32x64xi16>, %x: memref<?x64xf32>, %xf: memref<?x64x6xf32>, %out: memref<?x32xf32>) {
  // expected-error @+1 {{'llama.kernel_matmul' op distribute must be [tokens, rows] with rows a multiple of the row step 16 that divides N = 32 and tokens 0, or 1 without xt and xf; got [1, 16]}}
  llama.kernel_matmul none weights(%g : memref<32x64xi16>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x64x6xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16, distribute = [1, 16]>}
  return
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
  // expected-error @+1 {{'llama.kernel_attention' op kernel_config must be a CPU configuration (block_threads = 0) or a GPU one of thread kernels (dispatch = threads)}}
  %o = llama.kernel_attention q(%q : tensor<4x8x8xf32>) positions(%p : tensor<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<4x8x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = warps, dot = scalar, block_threads = 128>} -> tensor<4x8x8xf32>
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
