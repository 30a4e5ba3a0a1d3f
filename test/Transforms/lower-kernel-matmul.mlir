// RUN: llama-opt %s -split-input-file -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s

// One tile of 16 Q4_0 rows (GGUF layout) on buffers: the rows are decoded
// into stack buffers (4 quants of each row per int32 lane, + 8, and the
// rows' scales), then every token multiplies the tile with one
// llama.dot4_acc per 4-quant step; with `accumulate` the 16 results are
// added to the destination's and stored back as one vector.
// CHECK-LABEL: func.func @tile_accumulate
// CHECK-DAG: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x8x16xi32>
// CHECK-DAG: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x16xf32>
// CHECK: llama.dot4_acc avx512vnni {{.*}} {lhs_max = 15 : i64, lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// CHECK: %[[OLD:.*]] = vector.load %[[OUT:.*]][%{{.*}}, %c0{{.*}}] : memref<?x16xf32, strided<[64, 1], offset: ?>>, vector<16xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[SUM]], %[[OUT]][%{{.*}}, %c0{{.*}}] : memref<?x16xf32, strided<[64, 1], offset: ?>>, vector<16xf32>
// CHECK-NOT: llama.kernel_matmul
func.func @tile_accumulate(%w: memref<16x36xi8, strided<[36, 1], offset: ?>>, %xq: memref<?x64xi8>, %xd: memref<?x2xf32>, %xs: memref<?x2xf32>, %out: memref<?x16xf32, strided<[64, 1], offset: ?>>) {
  llama.kernel_matmul none weights(%w : memref<16x36xi8, strided<[36, 1], offset: ?>>) xq(%xq : memref<?x64xi8>) xd(%xd : memref<?x2xf32>) xs(%xs : memref<?x2xf32>) outs(%out : memref<?x16xf32, strided<[64, 1], offset: ?>>) {accumulate, weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 4, tile_rows = 16>}
  return
}

// -----

// Gate and up prepacked (rows16: read in place, no stack buffers), the
// AVX2 step, two tiles of 16 rows in a loop; the SwiGLU epilogue on the
// 16 lanes (silu(g) * u, one vector store per token and tile).
// CHECK-LABEL: func.func @tiles_swiglu_rows16
// CHECK-NOT: memref.alloca
// CHECK: scf.for %[[R0:.*]] = %c0{{.*}} to %c32{{.*}} step %c16
// CHECK: llama.dot4_acc avx2 {{.*}} {lhs_max = 15 : i64, lhs_small}
// CHECK: %[[NG:.*]] = arith.negf %[[G:.*]] : vector<16xf32>
// CHECK: %[[EX:.*]] = math.exp %[[NG]] : vector<16xf32>
// CHECK: %[[D:.*]] = arith.addf %{{.*}}, %[[EX]] : vector<16xf32>
// CHECK: %[[SILU:.*]] = arith.divf %[[G]], %[[D]] : vector<16xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[SILU]], %{{.*}} : vector<16xf32>
// CHECK: vector.store %[[Y]], %{{.*}}[%{{.*}}, %[[R0]]] : memref<?x32xf32>, vector<16xf32>
// CHECK-NOT: memref.store
func.func @tiles_swiglu_rows16(%g: memref<2x2x288xi8>, %u: memref<2x2x288xi8>, %xq: memref<?x64xi8>, %xd: memref<?x2xf32>, %xs: memref<?x2xf32>, %out: memref<?x32xf32>) {
  llama.kernel_matmul swiglu weights(%g, %u : memref<2x2x288xi8>, memref<2x2x288xi8>) xq(%xq : memref<?x64xi8>) xd(%xd : memref<?x2xf32>) xs(%xs : memref<?x2xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["q4_0", "q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2, token_block = 2, tile_rows = 16, layout = rows16>}
  return
}

// -----

// A task of two row tiles of one F16 weight (distribute = [0, 32]) with
// blocks of 24 tokens: the two tiles side by side, each half of a block at
// a time (12 tokens x 2 tiles = 24 sums), one load of each tile's 16
// weights per element, stores of rows 0-15 and 16-31 per token.
// negative_: blocks of 6 tokens (AVX2's) keep one tile at a time (a loop
// over the task's two tiles).
// CHECK-LABEL: func.func @float_tile_pairs
// CHECK: %[[R1:.*]] = arith.addi %[[R0:.*]], %c16{{.*}} : index
// CHECK: %[[T0:.*]] = arith.divui %[[R0]], %c16
// CHECK: %[[T1:.*]] = arith.divui %[[R1]], %c16
// CHECK-NOT: step %c16
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step %c4{{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.load %{{.*}}[%[[T0]], %{{.*}}, %{{.*}}] : memref<2x2x1024xi8>, vector<32xi8>
// CHECK: vector.load %{{.*}}[%[[T1]], %{{.*}}, %{{.*}}] : memref<2x2x1024xi8>, vector<32xi8>
// CHECK: vector.store %[[Y:.*]]#0, %{{.*}}[%{{.*}}, %[[R0]]] : memref<?x32xf32>, vector<16xf32>
// CHECK: vector.store %[[Y]]#12, %{{.*}}[%{{.*}}, %[[R1]]] : memref<?x32xf32>, vector<16xf32>
// CHECK-LABEL: func.func @negative_float_tile_pairs_small_block
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step %c16
func.func @float_tile_pairs(%w: memref<2x2x1024xi8>, %x: memref<?x64xf32>, %xf: memref<?x64x24xf32>, %out: memref<?x32xf32>) {
  llama.kernel_matmul none weights(%w : memref<2x2x1024xi8>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x64x24xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, layout = rows16, distribute = [0, 32]>}
  return
}
func.func @negative_float_tile_pairs_small_block(%w: memref<2x2x1024xi8>, %x: memref<?x64xf32>, %xf: memref<?x64x6xf32>, %out: memref<?x32xf32>) {
  llama.kernel_matmul none weights(%w : memref<2x2x1024xi8>) x(%x : memref<?x64xf32>) xf(%xf : memref<?x64x6xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["f16"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16, layout = rows16, distribute = [0, 32]>}
  return
}

// -----

// Each tile's steps promise their format's largest stored quant: Q5_0's
// quants + 16 take 5 bits (lhs_max = 31); Q8_0's, + 128, take 8 and are
// flipped back to signed on AVX2 (lhs_signed, no lhs_max).
// CHECK-LABEL: func.func @tiles_lhs_max
// CHECK: llama.dot4_acc avx2 {{.*}} {lhs_max = 31 : i64, lhs_small}
// CHECK-NOT: lhs_max = 15
// CHECK-LABEL: func.func @tiles_q8_0_signed
// CHECK: llama.dot4_acc avx2 {{.*}} {lhs_signed}
// CHECK-NOT: lhs_max
func.func @tiles_lhs_max(%w: memref<16x44xi8>, %xq: memref<?x64xi8>, %xd: memref<?x2xf32>, %xs: memref<?x2xf32>, %out: memref<?x16xf32>) {
  llama.kernel_matmul none weights(%w : memref<16x44xi8>) xq(%xq : memref<?x64xi8>) xd(%xd : memref<?x2xf32>) xs(%xs : memref<?x2xf32>) outs(%out : memref<?x16xf32>) {weight_types = ["q5_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>}
  return
}
func.func @tiles_q8_0_signed(%w: memref<16x68xi8>, %xq: memref<?x64xi8>, %xd: memref<?x2xf32>, %xs: memref<?x2xf32>, %out: memref<?x16xf32>) {
  llama.kernel_matmul none weights(%w : memref<16x68xi8>) xq(%xq : memref<?x64xi8>) xd(%xd : memref<?x2xf32>) xs(%xs : memref<?x2xf32>) outs(%out : memref<?x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>}
  return
}

// -----

// The rope epilogue on two tiles whose table has 16 columns: each token's
// 16 dot products y, their pair-swapped copy, and the table's cos and
// (-sin | sin) rows at column r0 mod 16, y * cos + swap(y) * sin stored
// as one vector.
// CHECK-LABEL: func.func @tiles_rope
// CHECK: scf.for %[[R0:.*]] = %c0{{.*}} to %c32{{.*}} step %c16
// CHECK: %[[COL:.*]] = arith.remui %[[R0]], %c16{{.*}} : index
// CHECK: llama.dot4_acc avx512vnni
// CHECK: %[[SW:.*]] = vector.shuffle %[[Y:.*]], %[[Y]] [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14] : vector<16xf32>, vector<16xf32>
// CHECK: %[[COS:.*]] = vector.load %[[ROT:.*]][%[[S:.*]], %c0{{.*}}, %[[COL]]] : memref<?x2x16xf32>, vector<16xf32>
// CHECK: %[[A:.*]] = arith.mulf %[[Y]], %[[COS]] : vector<16xf32>
// CHECK: %[[SIN:.*]] = vector.load %[[ROT]][%[[S]], %c1{{.*}}, %[[COL]]] : memref<?x2x16xf32>, vector<16xf32>
// CHECK: %[[B:.*]] = arith.mulf %[[SW]], %[[SIN]] : vector<16xf32>
// CHECK: %[[R:.*]] = arith.addf %[[A]], %[[B]] : vector<16xf32>
// CHECK: vector.store %[[R]], %{{.*}}[%[[S]], %[[R0]]] : memref<?x32xf32>, vector<16xf32>
func.func @tiles_rope(%w: memref<32x68xi8>, %xq: memref<?x64xi8>, %xd: memref<?x2xf32>, %xs: memref<?x2xf32>, %rot: memref<?x2x16xf32>, %out: memref<?x32xf32>) {
  llama.kernel_matmul rope weights(%w : memref<32x68xi8>) xq(%xq : memref<?x64xi8>) xd(%xd : memref<?x2xf32>) xs(%xs : memref<?x2xf32>) rotation(%rot : memref<?x2x16xf32>) outs(%out : memref<?x32xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 1, tile_rows = 16>}
  return
}

// -----

// Row kernels (tile_rows = 0) on buffers: a prefill's Q8_0 row reduced
// along K in the GGUF layout, 4 tokens per block (each weight block
// decoded once for them: 4 accumulators), the rest one token at a time;
// with `accumulate` each result is added to the destination's as a
// scalar.
// CHECK-LABEL: func.func @row_kernel_accumulate
// CHECK: %[[N:.*]] = memref.dim %[[OUT:.*]], %c0
// CHECK: %[[FULL:.*]] = arith.subi %[[N]], %{{.*}} : index
// CHECK: scf.for %[[S0:.*]] = %c0{{.*}} to %[[FULL]] step %c4
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: vector.reduction <add>
// CHECK: %[[T0:.*]] = arith.addi %[[S0]], %c0
// CHECK: %[[OLD:.*]] = memref.load %[[OUT]][%[[T0]], %c0{{.*}}] : memref<?x1xf32, strided<[3, 1], offset: ?>>
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %{{.*}} : f32
// CHECK: memref.store %[[SUM]], %[[OUT]][%[[T0]], %c0{{.*}}]
// CHECK-COUNT-3: memref.store
// CHECK: scf.for %{{.*}} = %[[FULL]] to %[[N]] step %c1
// CHECK-NOT: llama.kernel_matmul
func.func @row_kernel_accumulate(%w: memref<?x68xi8, strided<[68, 1], offset: ?>>, %x: memref<?x64xf32>, %out: memref<?x1xf32, strided<[3, 1], offset: ?>>) {
  llama.kernel_matmul none weights(%w : memref<?x68xi8, strided<[68, 1], offset: ?>>) x(%x : memref<?x64xf32>) outs(%out : memref<?x1xf32, strided<[3, 1], offset: ?>>) {accumulate, weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>}
  return
}

// -----

// Row kernels with integer dots: Q4_0 gate and up rows meet the int8
// activations in llama.int8_dot of the configuration's kind (no RMSNorm
// here: no row scales), and the SwiGLU epilogue, silu(g) * u, is stored
// per row and token as a scalar.
// CHECK-LABEL: func.func @row_kernels_swiglu_int
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c2{{.*}} step %c1
// CHECK: llama.int8_dot avx2
// CHECK: %[[G:.*]] = vector.reduction <add>
// CHECK: llama.int8_dot avx2
// CHECK: %[[U:.*]] = vector.reduction <add>
// CHECK: %[[NG:.*]] = arith.negf %[[G]] : f32
// CHECK: math.exp %[[NG]] : f32
// CHECK: %[[SILU:.*]] = arith.divf %[[G]], %{{.*}} : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[SILU]], %[[U]] : f32
// CHECK: memref.store %[[Y]], %{{.*}}[%{{.*}}, %{{.*}}] : memref<1x2xf32>
func.func @row_kernels_swiglu_int(%g: memref<2x36xi8>, %u: memref<2x36xi8>, %x: memref<1x64xf32>, %xq: memref<1x64xi8>, %xd: memref<1x2xf32>, %xs: memref<1x2xf32>, %out: memref<1x2xf32>) {
  llama.kernel_matmul swiglu weights(%g, %u : memref<2x36xi8>, memref<2x36xi8>) x(%x : memref<1x64xf32>) xq(%xq : memref<1x64xi8>) xd(%xd : memref<1x2xf32>) xs(%xs : memref<1x2xf32>) outs(%out : memref<1x2xf32>) {weight_types = ["q4_0", "q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>}
  return
}

// -----

// The rope epilogue of row kernels: a pair of f32 rows (a, b) per step,
// both rows' dot products (times the RMSNorm row scale, gamma multiplied
// into the loads), then a cos + b (-sin) and b cos + a sin from the
// table's columns r0 mod 8 and r0 mod 8 + 1.
// CHECK-LABEL: func.func @row_pairs_rope
// CHECK: scf.for %[[R0:.*]] = %c0{{.*}} to %c16{{.*}} step %c2
// CHECK: %[[R1:.*]] = arith.addi %[[R0]], %c1
// CHECK: %[[A:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[B:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[C0:.*]] = arith.remui %[[R0]], %c8
// CHECK: %[[COS0:.*]] = memref.load %[[ROT:.*]][%[[S:.*]], %c0{{.*}}, %[[C0]]] : memref<1x2x8xf32>
// CHECK: %[[X0:.*]] = arith.mulf %[[A]], %[[COS0]]
// CHECK: %[[SIN0:.*]] = memref.load %[[ROT]][%[[S]], %c1{{.*}}, %[[C0]]]
// CHECK: %[[X1:.*]] = arith.mulf %[[B]], %[[SIN0]]
// CHECK: %[[Y0:.*]] = arith.addf %[[X0]], %[[X1]] : f32
// CHECK: memref.store %[[Y0]], %{{.*}}[%[[S]], %[[R0]]]
// CHECK: %[[C1:.*]] = arith.addi %[[C0]], %c1
// CHECK: %[[COS1:.*]] = memref.load %[[ROT]][%[[S]], %c0{{.*}}, %[[C1]]]
// CHECK: arith.mulf %[[B]], %[[COS1]]
// CHECK: %[[SIN1:.*]] = memref.load %[[ROT]][%[[S]], %c1{{.*}}, %[[C1]]]
// CHECK: arith.mulf %[[A]], %[[SIN1]]
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[S]], %{{.*}}]
func.func @row_pairs_rope(%w: memref<16x64xf32>, %x: memref<1x64xf32>, %gamma: memref<64xf32>, %r: memref<1xf32>, %rot: memref<1x2x8xf32>, %out: memref<1x16xf32>) {
  llama.kernel_matmul rope weights(%w : memref<16x64xf32>) x(%x : memref<1x64xf32>) gamma(%gamma : memref<64xf32>) scales(%r : memref<1xf32>) rotation(%rot : memref<1x2x8xf32>) outs(%out : memref<1x16xf32>) {weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>}
  return
}

// -----

// negative_: on tensors the op is not lowered (bufferize first).
func.func @negative_tensors(%w: memref<16x36xi8>, %xq: tensor<?x64xi8>, %xd: tensor<?x2xf32>, %xs: tensor<?x2xf32>, %init: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{llama-lower-kernel-matmul: bufferize the op first (init is a tensor)}}
  %y = llama.kernel_matmul none weights(%w : memref<16x36xi8>) xq(%xq : tensor<?x64xi8>) xd(%xd : tensor<?x2xf32>) xs(%xs : tensor<?x2xf32>) outs(%init : tensor<?x16xf32>) {weight_types = ["q4_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// negative_: f32 rows have no packed tile (float tiles are f16/bf16).
func.func @negative_unpackable(%w: memref<16x64xf32>, %x: memref<?x64xf32>, %out: memref<?x16xf32>) {
  // expected-error @+1 {{llama-lower-kernel-matmul: f32 rows of 64 elements cannot be packed in 16-row tiles}}
  llama.kernel_matmul none weights(%w : memref<16x64xf32>) x(%x : memref<?x64xf32>) outs(%out : memref<?x16xf32>) {weight_types = ["f32"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>}
  return
}

// -----

// negative_: row kernels check the weights' GGUF rows against K (here Q8_0
// rows of 64 elements are 68 bytes, not 72).
func.func @negative_row_kernel_row_bytes(%w: memref<16x72xi8>, %x: memref<1x64xf32>, %out: memref<1x16xf32>) {
  // expected-error @+1 {{llama-lower-kernel-matmul: the row kernels need q8_0 weights of 16 GGUF rows of 64 elements, got 'memref<16x72xi8>'}}
  llama.kernel_matmul none weights(%w : memref<16x72xi8>) x(%x : memref<1x64xf32>) outs(%out : memref<1x16xf32>) {weight_types = ["q8_0"], kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}
