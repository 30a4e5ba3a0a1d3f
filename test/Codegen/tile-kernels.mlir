// RUN: llama-opt %s -split-input-file -llama-tile-kernels -verify-diagnostics | FileCheck %s

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
