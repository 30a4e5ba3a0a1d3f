// RUN: llama-opt %s -split-input-file -llama-tile-kernels -verify-diagnostics | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-tile-kernels -cse -verify-diagnostics | FileCheck %s --check-prefix=CSE

// A Q4_0 prefill's llama.kernel_matmul (64 rows) becomes an scf.forall of
// 4 row tiles: each takes rows [16 i, 16 i + 16) of the destination, all
// tokens, the weight's GGUF view from row 16 i on (the tile reads 16 rows,
// its prefetch the next tile's), and keeps the configuration.
// CHECK-LABEL: func.func @tile_rows
// CHECK: %[[R:.*]] = scf.forall (%[[I:.*]]) in (4) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[REST:.*]] = arith.subi %c64{{.*}}, %[[R0]] : index
// CHECK: %[[W:.*]] = memref.subview %{{.*}}[%[[R0]], 0] [%[[REST]], 36] [1, 1] : memref<64x36xi8> to memref<?x36xi8, strided<[36, 1], offset: ?>>
// CHECK: %[[T:.*]] = tensor.extract_slice %[[O]][0, %[[R0]]] [%{{.*}}, 16] [1, 1] : tensor<?x64xf32> to tensor<?x16xf32>
// CHECK: %[[Y:.*]] = llama.kernel_matmul none weights(%[[W]] : memref<?x36xi8, strided<[36, 1], offset: ?>>) xq(%{{.*}} : tensor<?x64xi8>) xd(%{{.*}} : tensor<?x2xf32>) xs(%{{.*}} : tensor<?x2xf32>) outs(%[[T]] : tensor<?x16xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>, weight_types = ["q4_0"]} -> tensor<?x16xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %[[Y]] into %[[O]][0, %[[R0]]] [%{{.*}}, 16] [1, 1]
// CHECK: return %[[R]]
func.func @tile_rows(%w: memref<64x36xi8>, %xq: tensor<?x64xi8>, %xd: tensor<?x2xf32>, %xs: tensor<?x2xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = llama.kernel_matmul none weights(%w : memref<64x36xi8>) xq(%xq : tensor<?x64xi8>) xd(%xd : tensor<?x2xf32>) xs(%xs : tensor<?x2xf32>) outs(%init : tensor<?x64xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// The configuration's `distribute` sets the task: [0, 32] (the CPU table's
// choice for float tiles of one weight on AVX-512) takes two row tiles per
// iteration, 64 rows in 2, the weight's rows16 view from tile 2 i on.
// CHECK-LABEL: func.func @distribute_kernel_matmul
// CHECK: scf.forall (%[[I:.*]]) in (2) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[TILE:.*]] = arith.divui %[[R0]], %c16
// CHECK: memref.subview %{{.*}}[%[[TILE]], 0, 0] [%{{.*}}, 2, 1024] [1, 1, 1] : memref<4x2x1024xi8>
// CHECK: %[[T:.*]] = tensor.extract_slice %[[O]][0, %[[R0]]] [%{{.*}}, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
// CHECK: llama.kernel_matmul none {{.*}}outs(%[[T]] : tensor<?x32xf32>) {{.*}}distribute = [0, 32]>{{.*}} -> tensor<?x32xf32>
func.func @distribute_kernel_matmul(%w: memref<4x2x1024xi8>, %x: tensor<?x64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = llama.kernel_matmul none weights(%w : memref<4x2x1024xi8>) x(%x : tensor<?x64xf32>) outs(%init : tensor<?x64xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, layout = rows16, distribute = [0, 32]>} -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Weights prepacked at compile time (layout = rows16) are viewed as
// [tiles, groups, bytes]: a row tile views each from its tile on, gate
// and up side by side; the residual accumulation of a decode step keeps its one
// token.
// CHECK-LABEL: func.func @tile_rows16_swiglu
// CHECK: scf.forall (%[[I:.*]]) in (2) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<1x32xf32>)
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[TILE:.*]] = arith.divui %[[R0]], %c16
// CHECK: %[[REST:.*]] = arith.subi %c2{{.*}}, %[[TILE]] : index
// CHECK: memref.subview %{{.*}}[%[[TILE]], 0, 0] [%[[REST]], 2, 288] [1, 1, 1] : memref<2x2x288xi8> to memref<?x2x288xi8, strided<[576, 288, 1], offset: ?>>
// CHECK: memref.subview %{{.*}}[%[[TILE]], 0, 0] [%{{.*}}, 2, 288] [1, 1, 1] : memref<2x2x288xi8> to memref<?x2x288xi8, strided<[576, 288, 1], offset: ?>>
// CHECK: tensor.extract_slice %[[O]][0, %[[R0]]] [1, 16] [1, 1] : tensor<1x32xf32> to tensor<1x16xf32>
// CHECK: llama.kernel_matmul swiglu weights({{.*}}) xq({{.*}}) xd({{.*}}) xs({{.*}}) scales(%{{.*}} : tensor<1xf32>) outs(%{{.*}} : tensor<1x16xf32>)
func.func @tile_rows16_swiglu(%g: memref<2x2x288xi8>, %u: memref<2x2x288xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %xs: tensor<1x2xf32>, %r: tensor<1xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %y = llama.kernel_matmul swiglu weights(%g, %u : memref<2x2x288xi8>, memref<2x2x288xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xs : tensor<1x2xf32>) scales(%r : tensor<1xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["q4_0", "q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// A query projection with the rope epilogue (2 heads of 32 features): its
// rotation table (W = 32 columns) is indexed by row mod 32, so a tile of
// 16 rows takes the table's columns [r0 mod 32, + 16) of all tokens.
// CHECK-LABEL: func.func @tile_rope
// CHECK: scf.forall (%[[I:.*]]) in (4) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[C:.*]] = arith.remui %[[R0]], %c32{{.*}} : index
// CHECK: %[[T:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[C]]] [%{{.*}}, 2, 16] [1, 1, 1] : tensor<?x2x32xf32> to tensor<?x2x16xf32>
// CHECK: llama.kernel_matmul rope weights({{.*}}) xq({{.*}}) xd({{.*}}) xs({{.*}}) rotation(%[[T]] : tensor<?x2x16xf32>) outs(%{{.*}} : tensor<?x16xf32>)
func.func @tile_rope(%w: memref<64x68xi8>, %xq: tensor<?x64xi8>, %xd: tensor<?x2xf32>, %xs: tensor<?x2xf32>, %rot: tensor<?x2x32xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = llama.kernel_matmul rope weights(%w : memref<64x68xi8>) xq(%xq : tensor<?x64xi8>) xd(%xd : tensor<?x2xf32>) xs(%xs : tensor<?x2xf32>) rotation(%rot : tensor<?x2x32xf32>) outs(%init : tensor<?x64xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A table of 16 columns (heads of 8 features, two per tile) serves every
// tile whole: a decode step's one token is not sliced either.
// CHECK-LABEL: func.func @tile_rope_whole_table
// CHECK: scf.forall
// CHECK-NOT: tensor.extract_slice %{{.*}} : tensor<1x2x16xf32>
// CHECK: llama.kernel_matmul rope {{.*}} rotation(%{{.*}} : tensor<1x2x16xf32>) outs(%{{.*}} : tensor<1x16xf32>)
func.func @tile_rope_whole_table(%w: memref<32x68xi8>, %xq: tensor<1x64xi8>, %xd: tensor<1x2xf32>, %xs: tensor<1x2xf32>, %rot: tensor<1x2x16xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %y = llama.kernel_matmul rope weights(%w : memref<32x68xi8>) xq(%xq : tensor<1x64xi8>) xd(%xd : tensor<1x2xf32>) xs(%xs : tensor<1x2xf32>) rotation(%rot : tensor<1x2x16xf32>) outs(%init : tensor<1x32xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// Row kernels (tile_rows = 0): a task per row. A Q8_0 decode step's 3 rows
// (not a multiple of 16) become an scf.forall of 3 one-row tiles, each with
// the weight's GGUF view from its row on.
// CHECK-LABEL: func.func @tile_row_kernels
// CHECK: scf.forall (%[[I:.*]]) in (3) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<1x3xf32>)
// CHECK: %[[REST:.*]] = arith.subi %c3{{.*}}, %[[I]] : index
// CHECK: %[[W:.*]] = memref.subview %{{.*}}[%[[I]], 0] [%[[REST]], 68] [1, 1] : memref<3x68xi8> to memref<?x68xi8, strided<[68, 1], offset: ?>>
// CHECK: %[[T:.*]] = tensor.extract_slice %[[O]][0, %[[I]]] [1, 1] [1, 1] : tensor<1x3xf32> to tensor<1x1xf32>
// CHECK: llama.kernel_matmul none weights(%[[W]] : {{.*}}) x(%{{.*}} : tensor<1x64xf32>) outs(%[[T]] : tensor<1x1xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>, weight_types = ["q8_0"]} -> tensor<1x1xf32>
func.func @tile_row_kernels(%w: memref<3x68xi8>, %x: tensor<1x64xf32>, %init: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %y = llama.kernel_matmul none weights(%w : memref<3x68xi8>) x(%x : tensor<1x64xf32>) outs(%init : tensor<1x3xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A GPU configuration of thread kernels (a thread per row: dot = scalar,
// block_threads) tiles the same way; the GPU pipeline maps the loop to
// blocks and threads.
// CHECK-LABEL: func.func @tile_row_kernels_gpu_threads
// CHECK: scf.forall (%{{.*}}) in (64) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK: llama.kernel_matmul none weights(%{{.*}} : memref<?x64xf32, strided<[64, 1], offset: ?>>) x(%{{.*}} : tensor<?x64xf32>) outs(%{{.*}} : tensor<?x1xf32>) {accumulate, kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>, weight_types = ["f32"]} -> tensor<?x1xf32>
func.func @tile_row_kernels_gpu_threads(%w: memref<64x64xf32>, %x: tensor<?x64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = llama.kernel_matmul none weights(%w : memref<64x64xf32>) x(%x : tensor<?x64xf32>) outs(%init : tensor<?x64xf32>) {accumulate, weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>} -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Row kernels with the rope epilogue take a RoPE pair per task: 32 rows in
// 16 tiles of 2, each with the table's 2 columns [r0 mod 8, + 2) (a head of
// 8 features).
// CHECK-LABEL: func.func @tile_row_pairs_rope
// CHECK: scf.forall (%[[I:.*]]) in (16) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?x32xf32>)
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[C:.*]] = arith.remui %[[R0]], %c8{{.*}} : index
// CHECK: %[[T:.*]] = tensor.extract_slice %{{.*}}[0, 0, %[[C]]] [%{{.*}}, 2, 2] [1, 1, 1] : tensor<?x2x8xf32> to tensor<?x2x2xf32>
// CHECK: llama.kernel_matmul rope {{.*}} rotation(%[[T]] : tensor<?x2x2xf32>) outs(%{{.*}} : tensor<?x2xf32>)
func.func @tile_row_pairs_rope(%w: memref<32x64xf32>, %x: tensor<?x64xf32>, %rot: tensor<?x2x8xf32>, %init: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = llama.kernel_matmul rope weights(%w : memref<32x64xf32>) x(%x : tensor<?x64xf32>) rotation(%rot : tensor<?x2x8xf32>) outs(%init : tensor<?x32xf32>) {weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// negative_: an op already inside an scf.forall (a tile) and the
// model-level ops, which are not structured, are left alone.
// CHECK-LABEL: func.func @negative_tiled_or_model_level
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK-NOT: scf.forall (
// CHECK: llama.matmul
func.func @negative_tiled_or_model_level(%w: memref<16x36xi8>, %xq: tensor<?x64xi8>, %xd: tensor<?x2xf32>, %xs: tensor<?x2xf32>, %init: tensor<?x16xf32>, %x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %t = scf.forall (%i) in (1) shared_outs(%o = %init) -> (tensor<?x16xf32>) {
    %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<?x64xi8>) xd(%xd : tensor<?x2xf32>) xs(%xs : tensor<?x2xf32>) outs(%o : tensor<?x16xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} -> tensor<?x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[0, 0] [%i, 16] [1, 1] : tensor<?x16xf32> into tensor<?x16xf32>
    }
  }
  %wm = llama.weight "w" : !llama.weight<16x64xq4_0>
  %m = llama.matmul %x, %wm {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} : (tensor<?x64xf32>, !llama.weight<16x64xq4_0>) -> tensor<?x16xf32>
  return %t, %m : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// A prefill's llama.kernel_attention becomes a two-dimensional scf.forall
// over (tokens, KV heads): iteration (i, g) takes token i / 2 (i even) or
// seq - 1 - i / 2 (i odd), the query heads [4 g, 4 g + 4) of it, its
// position, the cache column g of keys and values (all rows), and the same
// slice of the destination. The tile (one token) is in no order.
// CHECK-LABEL: func.func @tile_attention_prefill
// CHECK: %[[SEQ:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x8x8xf32>
// CHECK: scf.forall (%[[I:.*]], %[[G:.*]]) in (%[[SEQ]], 2) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?x8x8xf32>)
// CHECK: %[[HALF:.*]] = arith.divui %[[I]], %c2
// CHECK: %[[ODD:.*]] = arith.cmpi ne
// CHECK: %[[BACK:.*]] = arith.subi %{{.*}}, %[[HALF]] : index
// CHECK: %[[S:.*]] = arith.select %[[ODD]], %[[BACK]], %[[HALF]] : index
// CHECK: %[[H:.*]] = arith.muli %[[G]], %c4
// CHECK: %[[Q:.*]] = tensor.extract_slice %{{.*}}[%[[S]], %[[H]], 0] [1, 4, 8] [1, 1, 1] : tensor<?x8x8xf32> to tensor<1x4x8xf32>
// CHECK: %[[P:.*]] = tensor.extract_slice %{{.*}}[%[[S]]] [1] [1] : tensor<?xi32> to tensor<1xi32>
// CHECK: %[[K:.*]] = memref.subview %{{.*}}[0, %[[G]], 0] [16, 1, 8] [1, 1, 1] : memref<16x2x8xf32> to memref<16x1x8xf32, strided<[16, 8, 1], offset: ?>>
// CHECK: %[[V:.*]] = memref.subview %{{.*}}[0, %[[G]], 0] [16, 1, 8] [1, 1, 1] : memref<16x2x8xf32> to memref<16x1x8xf32, strided<[16, 8, 1], offset: ?>>
// CHECK: %[[T:.*]] = tensor.extract_slice %[[O]][%[[S]], %[[H]], 0] [1, 4, 8]
// CHECK: %[[R:.*]] = llama.kernel_attention q(%[[Q]] : tensor<1x4x8xf32>) positions(%[[P]] : tensor<1xi32>) cache(%[[K]], %[[V]] : {{.*}}) outs(%[[T]] : tensor<1x4x8xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>, scale = 3.535530e-01 : f32} -> tensor<1x4x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %[[R]] into %[[O]][%{{.*}}, %{{.*}}, 0] [1, 4, 8] [1, 1, 1]
// With CSE, the result goes back where the iteration read its slices.
// CSE-LABEL: func.func @tile_attention_prefill
// CSE: %[[S:.*]] = arith.select
// CSE: %[[H:.*]] = arith.muli
// CSE: tensor.extract_slice %{{.*}}[%[[S]], %[[H]], 0] [1, 4, 8]
// CSE: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[S]], %[[H]], 0] [1, 4, 8] [1, 1, 1]
func.func @tile_attention_prefill(%q: tensor<?x8x8xf32>, %p: tensor<?xi32>, %k: memref<16x2x8xf32>, %v: memref<16x2x8xf32>, %init: tensor<?x8x8xf32>) -> tensor<?x8x8xf32> {
  %o = llama.kernel_attention q(%q : tensor<?x8x8xf32>) positions(%p : tensor<?xi32>) cache(%k, %v : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%init : tensor<?x8x8xf32>) {outside_in, scale = 0.353553 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// A decode step (no outside_in): tokens in order, one task per KV head.
// CHECK-LABEL: func.func @tile_attention_decode
// CHECK: scf.forall (%[[I:.*]], %[[G:.*]]) in (1, 2)
// CHECK-NOT: arith.select
// CHECK: tensor.extract_slice %{{.*}}[%[[I]], %{{.*}}, 0] [1, 4, 8]
// CHECK: llama.kernel_attention {{.*}} -> tensor<1x4x8xf32>
func.func @tile_attention_decode(%q: tensor<1x8x8xf32>, %p: tensor<1xi32>, %k: memref<16x2x8xf16>, %init: tensor<1x8x8xf32>) -> tensor<1x8x8xf32> {
  %o = llama.kernel_attention q(%q : tensor<1x8x8xf32>) positions(%p : tensor<1xi32>) cache(%k, %k : memref<16x2x8xf16>, memref<16x2x8xf16>) outs(%init : tensor<1x8x8xf32>) {scale = 0.353553 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// negative_: an attention on buffers (already a tile, or bufferized) is
// left alone.
// CHECK-LABEL: func.func @negative_attention_on_buffers
// CHECK-NOT: scf.forall
// CHECK: llama.kernel_attention
func.func @negative_attention_on_buffers(%q: memref<4x8x8xf32>, %p: memref<4xi32>, %k: memref<16x2x8xf32>, %o: memref<4x8x8xf32>) {
  llama.kernel_attention q(%q : memref<4x8x8xf32>) positions(%p : memref<4xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%o : memref<4x8x8xf32>) {outside_in, scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

// A structured op whose configuration has `distribute` (here a prefill's
// RMSNorm scales, as llama-lower-to-loops writes them) is tiled by those
// sizes with its unconfigured structured producers fused in: each task
// fills, sums and scales its token's element of the one destination, the
// fill's (through the scale's destination, the sum's); nothing is left
// computed whole.
// CHECK-LABEL: func.func @distribute_structured
// CHECK-NOT: linalg.
// CHECK: %[[R:.*]] = scf.forall (%[[I:.*]]) in (%{{.*}}) shared_outs(%[[O:.*]] = %{{.*}}) -> (tensor<?xf32>)
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}}[%[[I]], 0] [1, 8] [1, 1] : tensor<?x8xf32> to tensor<1x8xf32>
// CHECK: %[[D:.*]] = tensor.extract_slice %[[O]][%[[I]]] [1] [1]
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[D]] : tensor<1xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}}ins(%[[X]] : tensor<1x8xf32>) outs(%[[Z]] : tensor<1xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}outs(%[[S]] : tensor<1xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>}
// CHECK: tensor.parallel_insert_slice %[[Y]] into %[[O]][%[[I]]] [1] [1]
// CHECK-NOT: linalg.
// CHECK: return %[[R]]
func.func @distribute_structured(%x: tensor<?x8xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x8xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%s : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    %q = math.sqrt %o : f32
    linalg.yield %q : f32
  } -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

// Two norms' sums from one fill (CSE merges their identical fills): the
// fill goes into each consumer, so each scale's tasks fill, sum and scale
// their own element and nothing is left computed whole.
// CHECK-LABEL: func.func @distribute_structured_shared_fill
// CHECK-NOT: linalg.
// CHECK: scf.forall
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: distribute = [1]
// CHECK: scf.forall
// CHECK: linalg.fill
// CHECK: "reduction"
// CHECK: distribute = [1]
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: linalg.
// CHECK: return
func.func @distribute_structured_shared_fill(%x: tensor<?x8xf32>, %x2: tensor<?x8xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x8xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%s : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    %q = math.sqrt %o : f32
    linalg.yield %q : f32
  } -> tensor<?xf32>
  %s2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x2 : tensor<?x8xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %y2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%s2 : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    %q = math.sqrt %o : f32
    linalg.yield %q : f32
  } -> tensor<?xf32>
  return %y, %y2 : tensor<?xf32>, tensor<?xf32>
}

// -----

// negative_: a producer that something else reads whole (here the
// function's second result) stays whole, ahead of the loop, and is not
// computed again in the tasks; a structured op without `distribute` is
// left alone.
// CHECK-LABEL: func.func @negative_distribute_shared_producer
// CHECK: linalg.fill
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
// CHECK: %[[R:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[S]])
// CHECK-NOT: linalg.fill
// CHECK-NOT: "reduction"
// CHECK: distribute = [1]
// CHECK: %[[U:.*]] = linalg.generic {{.*}}outs(%[[S]] : tensor<?xf32>) {
// CHECK-NEXT: ^bb0
// CHECK-NEXT: math.exp
// CHECK: return %[[R]], %[[S]], %[[U]]
func.func @negative_distribute_shared_producer(%x: tensor<?x8xf32>) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x8xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%s : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    %q = math.sqrt %o : f32
    linalg.yield %q : f32
  } -> tensor<?xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%s : tensor<?xf32>) {
  ^bb0(%o: f32):
    %q = math.exp %o : f32
    linalg.yield %q : f32
  } -> tensor<?xf32>
  return %y, %s, %u : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// negative_: tasks of 2 tokens of a dynamic token count are refused (the
// loop's normalization to unit steps is built for static extents only);
// of a static extent they are taken.
func.func @negative_distribute_dynamic_size(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'linalg.generic' op llama-tile-kernels: distribute size 2 of loop 0, whose extent is dynamic: only 0 or 1 there}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<?x4xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [2, 0]>} {
  ^bb0(%o: f32):
    %q = math.exp %o : f32
    linalg.yield %q : f32
  } -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @distribute_static_size
// CHECK: scf.forall (%[[I:.*]]) in (3) shared_outs(%[[O:.*]] = %{{.*}})
// CHECK: %[[R0:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: tensor.extract_slice %[[O]][%[[R0]], 0] [2, 4] [1, 1] : tensor<6x4xf32> to tensor<2x4xf32>
// CHECK: math.exp
func.func @distribute_static_size(%x: tensor<6x4xf32>) -> tensor<6x4xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<6x4xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [2, 0]>} {
  ^bb0(%o: f32):
    %q = math.exp %o : f32
    linalg.yield %q : f32
  } -> tensor<6x4xf32>
  return %y : tensor<6x4xf32>
}
