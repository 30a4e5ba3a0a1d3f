// RUN: llama-opt %s -split-input-file -llama-configure-kernels -llama-lower-to-loops -verify-diagnostics | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 int-dot=true" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=INT
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=sve" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=SVE
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx gpu-warps=true" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=GPU
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx gpu-warps=true quantized-row-norms=true" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=GPUQ
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx gpu-warps=true tensor-cores=true" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=GPUTC
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true token-block=4" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=PACK
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true token-block=4 packed-weights=true" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=PACKW
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true token-block=4 packed-weights=true prefetch=0" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=PACKW0
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=amx int-dot=true packed-weights=true" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=AMX
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 int-dot=true packed-weights=true" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=AVX2T
// RUN: llama-opt %s -split-input-file -llama-configure-kernels -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-flatten-parallel-loops -llama-lower-kernel-matmul -llama-lower-kernel-attention -verify-diagnostics | FileCheck %s --check-prefix=RK
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 int-dot=true" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=INTRK
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=sve" -llama-lower-to-loops -llama-tile-kernels -convert-elementwise-to-linalg -one-shot-bufferize -canonicalize -scf-forall-to-parallel -llama-lower-kernel-matmul -verify-diagnostics | FileCheck %s --check-prefix=SVERK
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx" -llama-lower-to-loops -verify-diagnostics | FileCheck %s --check-prefix=GPUT
// RUN: not llama-opt %s -split-input-file -llama-lower-to-loops 2>&1 | FileCheck %s --check-prefix=NOCONFIG
// NOCONFIG: error: 'llama.matmul' op needs a llama.kernel_config (run llama-configure-kernels first)

// A decode-shaped function: the signature becomes the runtime ABI, the
// weight a view of the file at its offset, the matmul (on CPUs) the
// structured llama.kernel_matmul of the row kernels, configured without
// tiles, the result an out-buffer. After tiling and bufferization
// (ROWS) each row is a parallel task whose kernel dequantizes q8_0 in the
// inner loop.

// CHECK: module attributes {llama.weight_table = [{name = "blk.0.attn_q.weight", ne = [64, 16], type = 8 : i64}]}
// GPU code: two rows per warp (8 warps of 32 threads); lane l takes the
// 8-element parts l, l+32, ... of both rows (part p: elements 8p .. 8p+7,
// so that consecutive lanes load consecutive activations), dequantized
// with vector loads marked with the alignment their indices give (2:
// 34-byte blocks, quants at byte 2, rows of 68 bytes), and each row's
// partial sums meet in an xor-shuffle butterfly.
// GPU-LABEL: func.func @q8_0_matmul
// GPU: %[[N:.*]] = arith.muli %c8, %c32 : index
// GPU: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[N]]) step
// GPU: %[[LANE:.*]] = arith.remui %[[I]], %{{.*}} : index
// GPU: %[[P:.*]] = arith.divui %[[I]], %{{.*}} : index
// GPU: %[[R0:.*]] = arith.muli %[[P]], %c2
// GPU: %[[R1:.*]] = arith.addi %[[R0]], %c1
// GPU: scf.for %[[U:.*]] = %[[LANE]] to %c8{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>)
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x64xf32>, vector<8xf32>
// GPU: vector.load %{{.*}}[%[[R0]], %{{.*}}] {alignment = 2 : i64} : memref<16x68xi8>, vector<8xi8>
// GPU: vector.load %{{.*}}[%[[R1]], %{{.*}}] {alignment = 2 : i64} : memref<16x68xi8>, vector<8xi8>
// GPU: scf.yield
// GPU: gpu.subgroup_reduce add %{{.*}} uniform : (f32) -> f32
// GPU: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %[[R0]]] : memref<1x16xf32>
// GPU: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %[[R1]]] : memref<1x16xf32>
// CHECK-LABEL: func.func @q8_0_matmul
// CHECK-SAME: (%[[FILE:.*]]: memref<?xi8>, %[[OFF:.*]]: memref<?xi64>, %[[X:.*]]: memref<1x64xf32>, %[[OUT:.*]]: memref<1x16xf32>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[XT:.*]] = bufferization.to_tensor %[[X]] restrict
// CHECK: %[[O:.*]] = memref.load %[[OFF]][%{{.*}}] : memref<?xi64>
// CHECK: %[[OI:.*]] = arith.index_cast %[[O]] : i64 to index
// CHECK: %[[W:.*]] = memref.view %[[FILE]][%[[OI]]][] : memref<?xi8> to memref<16x68xi8>
// CHECK: %[[Y:.*]] = llama.kernel_matmul none weights(%[[W]] : memref<16x68xi8>) x(%[[XT]] : tensor<1x64xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK-SAME: {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>, weight_types = ["q8_0"]} -> tensor<1x16xf32>
// CHECK: bufferization.materialize_in_destination %[[Y]] in restrict writable %[[OUT]]
// CHECK-NOT: llama.
// CHECK: return
// RK-LABEL: func.func @q8_0_matmul
// RK: %[[W:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<16x68xi8>
// RK: scf.parallel (%[[R:.*]]) = (%{{.*}}) to (%{{.*}}) step
// RK: %[[WR:.*]] = memref.subview %[[W]][%[[R]], 0]
// RK: scf.for
// RK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// RK: memref.load %[[WR]]
// RK: arith.bitcast %{{.*}} : i16 to f16
// RK: vector.load %[[WR]][%{{.*}}, %{{.*}}] : memref<?x68xi8, strided<[68, 1], offset: ?>>, vector<16xi8>
// RK: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi32>
// RK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// RK: vector.fma
// RK: vector.reduction <add>, %[[ACC]] : vector<16xf32> into f32
// RK-NOT: llama.
// RK: return
// With integer dot products the activations are quantized once per block
// of 32 (max |x| / 127, round), then every weight block meets them in
// llama.int8_dot and the two scales in one FMA. One token: the groups go
// round-robin to independent accumulators (here two blocks per step, two
// chains), added before the horizontal sum.
// INT-LABEL: func.func @q8_0_matmul
// INT: %[[XQ:.*]] = memref.alloc(%{{.*}}) : memref<?x64xi8>
// INT: %[[XD:.*]] = memref.alloc(%{{.*}}) : memref<?x2xf32>
// INT: vector.reduction <maxnumf>
// INT: math.round %{{.*}} : vector<32xf32>
// INT: arith.fptosi %{{.*}} : vector<32xf32> to vector<32xi8>
// INT: vector.store %{{.*}}, %[[XQ]]
// INT: llama.kernel_matmul none weights(%{{.*}} : memref<16x68xi8>) x(%{{.*}} : tensor<1x64xf32>) xq(%{{.*}} : tensor<?x64xi8>) xd(%{{.*}} : tensor<?x2xf32>) xs(%{{.*}} : tensor<?x2xf32>)
// INT-SAME: kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2>,
// INTRK-LABEL: func.func @q8_0_matmul
// INTRK: %[[XQ:.*]] = memref.cast %{{.*}} : memref<1x64xi8> to memref<?x64xi8>
// INTRK: %[[XD:.*]] = memref.cast %{{.*}} : memref<1x2xf32> to memref<?x2xf32>
// INTRK: scf.parallel
// INTRK: %[[CH:.*]]:2 = scf.for {{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>)
// INTRK: %[[WQ:.*]] = vector.load %{{.*}} : memref<?x68xi8, strided<[68, 1], offset: ?>>, vector<32xi8>
// INTRK: %[[XV:.*]] = vector.load %[[XQ]][%{{.*}}, %{{.*}}] : memref<?x64xi8>, vector<32xi8>
// INTRK: llama.int8_dot avx2 %[[WQ]], %[[XV]]
// INTRK: memref.load %[[XD]]
// INTRK: arith.sitofp %{{.*}} : vector<8xi32> to vector<8xf32>
// INTRK: vector.fma
// INTRK: %[[SUM:.*]] = arith.addf %[[CH]]#0, %[[CH]]#1 : vector<8xf32>
// INTRK: vector.reduction <add>, %[[SUM]]
func.func @q8_0_matmul(%x: tensor<1x64xf32>) -> tensor<1x16xf32> {
  %w = llama.weight "blk.0.attn_q.weight" : !llama.weight<16x64xq8_0>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<16x64xq8_0>) -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

// The KV cache argument becomes two memrefs; attention stores this step's
// keys and values into its layer's views of them, then loops over cache
// rows 0..pos with a softmax.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: %[[KC:[a-z0-9]+]]: memref<2x16x2x8xf16>, %[[VC:[a-z0-9]+]]: memref<2x16x2x8xf16>
// CHECK: %[[KL:.*]] = memref.subview %[[KC]][1, 0, 0, 0] [1, 16, 2, 8] [1, 1, 1, 1] : memref<2x16x2x8xf16> to memref<16x2x8xf16, strided<[16, 8, 1], offset: 256>>
// CHECK: %[[VL:.*]] = memref.subview %[[VC]][1, 0, 0, 0]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}}, %[[KL]]
// CHECK: memref.store %{{.*}}, %[[VL]]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.extf %{{.*}} : f16 to f32
func.func @attention(%q: tensor<?x4x8xf32>, %k: tensor<?x2x8xf32>, %p: tensor<?xi32>,
                     %c: !llama.kv_cache<2x16x2x8xf16>) -> tensor<?x4x8xf32> {
  %o = llama.attention %q, %k, %k, %p, %c {layer = 1 : i64}
      : (tensor<?x4x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, tensor<?xi32>, !llama.kv_cache<2x16x2x8xf16>) -> tensor<?x4x8xf32>
  return %o : tensor<?x4x8xf32>
}

// -----

// Each weight type gets its own dequantization; spot-check the landmarks.
// With scalable vectors the f32 and bf16 rows step by 4 x vscale with a
// masked remainder; the quantized types keep their fixed-width blocks.
// SVE-LABEL: func.func @types
// SVE: llama.kernel_matmul none weights(%{{.*}} : memref<2x64xf32>) {{.*}}kernel_config = #llama.kernel_config<dispatch = threads, dot = scalable, token_block = 4>, weight_types = ["f32"]}
// SVE: llama.kernel_matmul none weights(%{{.*}} : memref<2x64xi16>) {{.*}}kernel_config = #llama.kernel_config<dispatch = threads, dot = scalable, token_block = 4>, weight_types = ["bf16"]}
// SVERK-LABEL: func.func @types
// SVERK: %[[VS:.*]] = vector.vscale
// SVERK: %[[VL:.*]] = arith.muli %[[VS]], %{{.*}} : index
// SVERK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[VL]] iter_args(%{{.*}} = %{{.*}}) -> (vector<[4]xf32>)
// SVERK: vector.load %{{.*}} : memref<?x64xf32, strided<[64, 1], offset: ?>>, vector<[4]xf32>
// SVERK: vector.fma %{{.*}} : vector<[4]xf32>
// SVERK: %[[M:.*]] = vector.create_mask %{{.*}} : vector<[4]xi1>
// SVERK: vector.maskedload %{{.*}}, %[[M]], %{{.*}} : memref<1x64xf32>, vector<[4]xi1>, vector<[4]xf32> into vector<[4]xf32>
// SVERK: vector.reduction <add>, %{{.*}} : vector<[4]xf32> into f32
// SVERK: vector.load %{{.*}} : memref<?x64xi16, strided<[64, 1], offset: ?>>, vector<[4]xi16>
// SVERK: vector.load %{{.*}} : memref<?x36xi8, strided<[36, 1], offset: ?>>, vector<16xi8>
// On GPUs every vector load is marked with the alignment its indices give:
// 8-element pieces of f32/bf16 rows (consecutive lanes, consecutive pieces)
// 16, Q4_K's quants (8 bytes at 16 + 32c + 8i of 144-byte blocks) 8, Q4_0's
// quants (byte 2 of 18-byte blocks) and all of Q6_K (210-byte blocks) 2. A
// lane takes 8 elements of a quantized block (a quarter of Q4_0's, a 32nd
// of a K-quant block), so that consecutive lanes load consecutive
// activations and a row of 16 K-quant blocks keeps all lanes busy.
// GPU-LABEL: func.func @types
// GPU-DAG: {alignment = 16 : i64} : memref<2x64xf32>, vector<8xf32>
// GPU-DAG: {alignment = 16 : i64} : memref<2x64xi16>, vector<8xi16>
// GPU-DAG: {alignment = 2 : i64} : memref<2x36xi8>, vector<8xi8>
// GPU-DAG: {alignment = 8 : i64} : memref<2x144xi8>, vector<8xi8>
// GPU-DAG: {alignment = 2 : i64} : memref<2x210xi8>, vector<8xi8>
// GPU-DAG: {alignment = 16 : i64} : memref<1x256xf32>, vector<8xf32>
// GPU-NOT: {alignment = 16 : i64} : memref<2x144xi8>
// GPU-NOT: {alignment = {{[48]|16}} : i64} : memref<2x210xi8>
// GPU-NOT: {alignment = {{[48]|16}} : i64} : memref<2x36xi8>
// CHECK-LABEL: func.func @types
// CHECK-DAG: memref.view {{.*}} to memref<2x64xf32>
// CHECK-DAG: memref.view {{.*}} to memref<2x64xi16>
// CHECK-DAG: memref.view {{.*}} to memref<2x36xi8>
// CHECK-DAG: memref.view {{.*}} to memref<2x144xi8>
// CHECK-DAG: memref.view {{.*}} to memref<2x210xi8>
func.func @types(%x: tensor<1x64xf32>, %x2: tensor<1x256xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  %a = llama.weight "a" : !llama.weight<2x64xf32>
  %b = llama.weight "b" : !llama.weight<2x64xbf16>
  %c = llama.weight "c" : !llama.weight<2x64xq4_0>
  %d = llama.weight "d" : !llama.weight<2x256xq4_k>
  %e = llama.weight "e" : !llama.weight<2x256xq6_k>
  %ya = llama.matmul %x, %a : (tensor<1x64xf32>, !llama.weight<2x64xf32>) -> tensor<1x2xf32>
  %yb = llama.matmul %x, %b : (tensor<1x64xf32>, !llama.weight<2x64xbf16>) -> tensor<1x2xf32>
  %yc = llama.matmul %x, %c : (tensor<1x64xf32>, !llama.weight<2x64xq4_0>) -> tensor<1x2xf32>
  %yd = llama.matmul %x2, %d : (tensor<1x256xf32>, !llama.weight<2x256xq4_k>) -> tensor<1x2xf32>
  %ye = llama.matmul %x2, %e : (tensor<1x256xf32>, !llama.weight<2x256xq6_k>) -> tensor<1x2xf32>
  return %ya, %yb, %yc, %yd, %ye : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// In a decode step (one token) a lane loads 4 pieces of each f16 row (and
// of the activations) before its first multiply-add: a loop of 4 pieces
// per step over the first 128 pieces, marked for llama-gpu-launch-bounds,
// then one piece per step for the other 32, the accumulators passed on.
// GPU-LABEL: func.func @decode_loads_in_flight
// GPU: scf.parallel
// GPU: %[[LANE:.*]] = arith.remui
// GPU: %[[MAIN:.*]]:2 = scf.for %[[U:.*]] = %[[LANE]] to %c128{{.*}} step %c128{{.*}} iter_args
// GPU-NOT: vector.fma
// GPU-COUNT-12: vector.load %{{.*}} : memref<{{1|4}}x1280x{{f32|i16}}>, vector<8x{{f32|i16}}>
// GPU-NOT: vector.load
// GPU-COUNT-8: vector.fma
// GPU-NOT: vector.fma
// GPU: } {llama.batched_loads}
// GPU: %[[REST:.*]] = arith.addi %[[LANE]], %c128
// GPU: scf.for %{{.*}} = %[[REST]] to %c160{{.*}} step %c32{{.*}} iter_args(%{{.*}} = %[[MAIN]]#0, %{{.*}} = %[[MAIN]]#1)
// GPU-COUNT-2: vector.fma
// GPU-NOT: vector.fma
// GPU: scf.yield
// GPU-NOT: llama.batched_loads
// GPU: gpu.subgroup_reduce
func.func @decode_loads_in_flight(%x: tensor<1x1280xf32>) -> tensor<1x4xf32> {
  %w = llama.weight "w" : !llama.weight<4x1280xf16>
  %y = llama.matmul %x, %w : (tensor<1x1280xf32>, !llama.weight<4x1280xf16>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// negative_: in a prefill (rows not known) nothing is marked: the tokens
// left after the blocks of 4 take one piece per step, as the prefill
// kernels need their registers for the token blocks.
// GPU-LABEL: func.func @negative_prefill_one_unit_per_step
// GPU: scf.for %{{.*}} = %{{.*}} to %c256{{.*}} step %c32{{.*}} iter_args
// GPU-NOT: llama.batched_loads
// GPU: return
func.func @negative_prefill_one_unit_per_step(%x: tensor<?x2048xf32>) -> tensor<?x4xf32> {
  %w = llama.weight "w" : !llama.weight<4x2048xf16>
  %y = llama.matmul %x, %w : (tensor<?x2048xf32>, !llama.weight<4x2048xf16>) -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
// -----

// Rows that are not whole 16-element vectors use the scalar dot product.
// CHECK-LABEL: func.func @scalar_dot_for_odd_rows
// CHECK: llama.kernel_matmul none weights(%{{.*}} : memref<3x37xf32>)
// RK-LABEL: func.func @scalar_dot_for_odd_rows
// RK-NOT: vector.
// RK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32)
// RK: memref.load
// RK-NOT: vector.
// RK: return
func.func @scalar_dot_for_odd_rows(%x: tensor<1x37xf32>) -> tensor<1x3xf32> {
  %w = llama.weight "w" : !llama.weight<3x37xf32>
  %y = llama.matmul %x, %w : (tensor<1x37xf32>, !llama.weight<3x37xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// The fused projections on CPUs: after the RMSNorm prologue (the row
// scales; the f32 norm weight used in place, not copied) one table of the
// tokens' rotations, a head wide (the row kernels take RoPE pairs), and
// three llama.kernel_matmul of the row kernels, Q and K with the rope
// epilogue. After tiling (ROWS) each task is a pair of rows: both rows'
// dot products, then (a cos - b sin, b cos + a sin) from the pair's two
// columns of the table.
// GPU thread kernels (the GPU table without warps) take the same three
// row-kernel ops with their scalar configuration.
// GPUT-LABEL: func.func @qkv_rope
// GPUT: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x8xf32>)
// GPUT: llama.kernel_matmul rope weights(%{{.*}} : memref<64x68xi8>) {{.*}}kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>
// GPUT: llama.kernel_matmul rope weights(%{{.*}} : memref<16x68xi8>)
// GPUT: llama.kernel_matmul none weights(%{{.*}} : memref<16x68xi8>)
// GPUT-NOT: memref.store
// GPUT: return
// CHECK-LABEL: func.func @qkv_rope
// CHECK: %[[G:.*]] = memref.view %{{.*}} : memref<?xi8> to memref<1x64xf32>
// CHECK: %[[GC:.*]] = memref.collapse_shape %[[G]] {{\[\[}}0, 1]] : memref<1x64xf32> into memref<64xf32>
// CHECK-NOT: memref.alloc() : memref<64xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1xf32>)
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<1x64xf32>) outs(%[[Z]] : tensor<1xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%[[SS]] : tensor<1xf32>) {
// CHECK: math.sqrt
// CHECK: %[[T:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x8xf32>)
// CHECK: math.sin
// CHECK: math.cos
// CHECK: llama.kernel_matmul rope weights(%{{.*}} : memref<64x68xi8>) x(%{{.*}} : tensor<1x64xf32>) gamma(%[[GC]] : memref<64xf32>) scales(%{{.*}} : tensor<1xf32>) rotation(%[[T]] : tensor<1x2x8xf32>) outs(%{{.*}} : tensor<1x64xf32>)
// CHECK-SAME: kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>
// CHECK: tensor.expand_shape
// CHECK: llama.kernel_matmul rope weights(%{{.*}} : memref<16x68xi8>) {{.*}} rotation(%[[T]] : tensor<1x2x8xf32>)
// CHECK: llama.kernel_matmul none weights(%{{.*}} : memref<16x68xi8>)
// CHECK: return
// RK-LABEL: func.func @qkv_rope
// RK: %[[T:.*]] = memref.alloc() {{.*}}: memref<1x2x8xf32>
// RK: linalg.generic {{.*}} outs(%[[T]] : memref<1x2x8xf32>)
// RK: scf.parallel (%[[P:.*]]) = (%{{.*}}) to (%c32) step
// RK: %[[R0:.*]] = affine.apply #{{.*}}(%[[P]])
// RK: %[[C:.*]] = arith.remui %[[R0]], %c8
// RK: %[[TT:.*]] = memref.subview %[[T]][0, 0, %[[C]]] [1, 2, 2] [1, 1, 1]
// RK: %[[A:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// RK: scf.for
// RK: %[[B:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// RK: %[[COS0:.*]] = memref.load %[[TT]][%{{.*}}, %c0{{.*}}, %c0{{.*}}]
// RK: %[[ACOS:.*]] = arith.mulf %[[A]], %[[COS0]] : f32
// RK: %[[SIN0:.*]] = memref.load %[[TT]][%{{.*}}, %c1{{.*}}, %c0{{.*}}]
// RK: %[[BSIN:.*]] = arith.mulf %[[B]], %[[SIN0]] : f32
// RK: arith.addf %[[ACOS]], %[[BSIN]] : f32
// RK: %[[COS1:.*]] = memref.load %[[TT]][%{{.*}}, %c0{{.*}}, %{{.*}}]
// RK: %[[BCOS:.*]] = arith.mulf %[[B]], %[[COS1]] : f32
// RK: %[[SIN1:.*]] = memref.load %[[TT]][%{{.*}}, %c1{{.*}}, %{{.*}}]
// RK: %[[ASIN:.*]] = arith.mulf %[[A]], %[[SIN1]] : f32
// RK: arith.addf %[[BCOS]], %[[ASIN]] : f32
// RK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c8{{.*}}) step
// RK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c16{{.*}}) step
// On GPUs a block per token computes its scale and writes the normalized
// row (x * scale * gamma) once; the row loops then read that row alone.
// GPU-LABEL: func.func @qkv_rope
// GPU: %[[G:.*]] = memref.collapse_shape
// GPU: %[[XN:.*]] = memref.alloc() : memref<1x64xf32>
// GPU: scf.parallel
// GPU: gpu.subgroup_reduce
// GPU: math.sqrt
// GPU: scf.for %[[U:.*]] = %{{.*}} to %c16{{.*}} step %c128
// GPU: %[[K:.*]] = arith.muli %[[U]], %c4
// GPU: vector.load %[[G]][%[[K]]] {alignment = 16 : i64} : memref<64xf32>, vector<4xf32>
// GPU: vector.store %{{.*}}, %[[XN]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<1x64xf32>, vector<4xf32>
// GPU: scf.parallel
// GPU-NOT: {{(memref|vector)}}.load %[[G]]
// GPU: vector.load %[[XN]]
// GPU-NOT: {{(memref|vector)}}.load %[[G]]
// GPU: math.cos
func.func @qkv_rope(%x: tensor<1x64xf32>, %p: tensor<1xi32>) -> tensor<1x8x8xf32> {
  %g = llama.weight "g" : !llama.weight<64xf32>
  %wq = llama.weight "wq" : !llama.weight<64x64xq8_0>
  %wk = llama.weight "wk" : !llama.weight<16x64xq8_0>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wk, %p norm(%g) {epsilon = 1.0e-05 : f32, n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<16x64xq8_0>, !llama.weight<16x64xq8_0>, tensor<1xi32>, !llama.weight<64xf32>) -> (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>)
  return %q : tensor<1x8x8xf32>
}

// -----

// On GPUs the normalizing kernel (ahead of quantized rows; see
// @decode_norm_in_row_warps) takes a block of 128 threads per token (the
// pipeline's block size), which reads the row in 16-byte pieces, 8 a
// thread per step (loads first; marked for llama-gpu-launch-bounds), the
// other 128 pieces one per step: the sum of squares, each warp's sum
// (shuffles) written to a workgroup buffer by its lane 0, a barrier (the
// marker llama-gpu-workgroup-buffers turns into gpu.barrier), the 4 warps'
// sums added, then x * scale * gamma with 16-byte stores.
// CHECK-LABEL: func.func @normalized_rows_in_pieces
// GPU-LABEL: func.func @normalized_rows_in_pieces
// GPU: %[[XN:.*]] = memref.alloc() : memref<1x4608xf32>
// GPU: %[[N:.*]] = arith.muli %{{.*}}, %c128
// GPU: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[N]])
// GPU: %[[T:.*]] = arith.remui %[[I]], %c128
// GPU: %[[LANE:.*]] = arith.remui %[[T]], %c32
// GPU: scf.for %{{.*}} = %[[T]] to %c1024{{.*}} step %c1024{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (vector<4xf32>)
// GPU-NOT: vector.fma
// GPU-COUNT-8: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x4608xf32>, vector<4xf32>
// GPU-COUNT-8: vector.fma
// GPU: } {llama.batched_loads}
// GPU: scf.for %{{.*}} = %{{.*}} to %c1152{{.*}} step %c128{{.*}} iter_args
// GPU: gpu.subgroup_reduce add
// GPU: %[[SUMS:.*]] = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
// GPU: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %c0
// GPU: scf.if %[[FIRST]] {
// GPU: %[[W:.*]] = arith.divui %[[T]], %c32
// GPU: memref.store %{{.*}}, %[[SUMS]][%[[W]]]
// GPU: } {llama.barrier_after}
// GPU-COUNT-4: memref.load %[[SUMS]]
// GPU: math.sqrt
// GPU: scf.for %{{.*}} = %[[T]] to %c1024{{.*}} step %c1024
// GPU-NOT: vector.store
// GPU-COUNT-16: vector.load %{{.*}} {alignment = 16 : i64} : memref<{{1x4608|4608}}xf32>, vector<4xf32>
// GPU-COUNT-8: vector.store %{{.*}}, %[[XN]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<1x4608xf32>, vector<4xf32>
// GPU: } {llama.batched_loads}
// GPU: scf.for %{{.*}} = %{{.*}} to %c1152{{.*}} step %c128
// GPU: vector.store %{{.*}}, %[[XN]]
// GPU: scf.parallel
// GPU: vector.load %[[XN]]
func.func @normalized_rows_in_pieces(%x: tensor<1x4608xf32>) -> tensor<1x2xf32> {
  %g = llama.weight "g" : !llama.weight<4608xf32>
  %w = llama.weight "w" : !llama.weight<2x4608xq8_0>
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x4608xf32>, !llama.weight<2x4608xq8_0>, !llama.weight<4608xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A standalone norm on GPUs: a block per token computes the scale (rows
// not a whole number of 16-byte pieces element by element, thread t taking
// t, t + 128, ...), thread 0 stores it, and a parallel loop writes
// x * scale * gamma.
// GPU-LABEL: func.func @rms_norm_blocks
// GPU: scf.parallel (%[[I:.*]]) =
// GPU: %[[T:.*]] = arith.remui %[[I]], %c128
// GPU: %[[S:.*]] = arith.divui %[[I]], %c128
// GPU: scf.for %{{.*}} = %[[T]] to %c6{{.*}} step %c128{{.*}} iter_args
// GPU: memref.load %{{.*}}[%[[S]], %{{.*}}] : memref<?x6xf32>
// GPU: gpu.subgroup_reduce add
// GPU: memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
// GPU: } {llama.barrier_after}
// GPU: math.sqrt
// GPU: %[[T0:.*]] = arith.cmpi eq, %[[T]], %c0
// GPU: scf.if %[[T0]] {
// GPU-NEXT: memref.store %{{.*}}, %{{.*}}[%[[S]]] : memref<?xf32>
// GPU: scf.parallel
// GPU: return
func.func @rms_norm_blocks(%x: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %g = llama.weight "g" : !llama.weight<6xf32>
  %y = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x6xf32>, !llama.weight<6xf32>) -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// With gpu-quantized-row-norms, quantized rows' warps compute the decode
// norm scale too (quantized rows as in @normalized_rows_in_pieces, which keep
// their normalizing kernel without the option): x and gamma pieces, the sum
// of squares a third accumulator, no normalized row.
// GPUQ-LABEL: func.func @quantized_row_norms
// GPUQ-NOT: memref.alloc() : memref<1x1280xf32>
// GPUQ: scf.parallel
// GPUQ-NOT: scf.parallel
// GPUQ: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// GPUQ: vector.load %{{.*}} : memref<1280xf32>, vector<8xf32>
// GPUQ: vector.fma %[[X:.*]], %[[X]], %{{.*}} : vector<8xf32>
// GPUQ: } {llama.batched_loads}
// GPUQ: math.sqrt
// GPUQ-NOT: scf.parallel
// GPUQ: return
func.func @quantized_row_norms(%x: tensor<1x1280xf32>) -> tensor<1x2xf32> {
  %g = llama.weight "g" : !llama.weight<1280xf32>
  %w = llama.weight "w" : !llama.weight<2x1280xq8_0>
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x1280xf32>, !llama.weight<2x1280xq8_0>, !llama.weight<1280xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A GPU decode step of f16 rows normalizes nowhere: each warp sums the
// squares of the x pieces it loads for its dot products (a third
// accumulator), multiplies gamma (the f32 weight in place) into them where
// they are used, and scales each dot product once after the loop.
// GPU-LABEL: func.func @decode_norm_in_row_warps
// GPU-NOT: memref.alloc() : memref<1x1280xf32>
// GPU: scf.parallel
// GPU-NOT: scf.parallel
// GPU: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// GPU-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1280xf32>, vector<8xf32>
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<1280xf32>, vector<8xf32>
// GPU: vector.fma %[[X:.*]], %[[X]], %{{.*}} : vector<8xf32>
// GPU: arith.mulf %[[X]], %{{.*}} : vector<8xf32>
// GPU: } {llama.batched_loads}
// GPU: math.sqrt
// GPU: arith.mulf
// GPU: arith.mulf
// GPU-NOT: scf.parallel
// GPU: return
func.func @decode_norm_in_row_warps(%x: tensor<1x1280xf32>) -> tensor<1x2xf32> {
  %g = llama.weight "g" : !llama.weight<1280xf32>
  %w = llama.weight "w" : !llama.weight<2x1280xf16>
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<1x1280xf32>, !llama.weight<2x1280xf16>, !llama.weight<1280xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// negative_: a prefill of the same rows keeps the normalizing kernel (the
// row kernels take 4 tokens at a time, from one normalized piece each).
// GPU-LABEL: func.func @negative_prefill_norm_kernel
// GPU: %[[XN:.*]] = memref.alloc(%{{.*}}) : memref<?x1280xf32>
// GPU: math.sqrt
// GPU: scf.parallel
// GPU: vector.load %[[XN]]
// GPU-NOT: math.sqrt
// GPU: return
func.func @negative_prefill_norm_kernel(%x: tensor<?x1280xf32>) -> tensor<?x2xf32> {
  %g = llama.weight "g" : !llama.weight<1280xf32>
  %w = llama.weight "w" : !llama.weight<2x1280xf16>
  %y = llama.matmul %x, %w norm(%g) {epsilon = 1.0e-05 : f32} : (tensor<?x1280xf32>, !llama.weight<2x1280xf16>, !llama.weight<1280xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
// -----

// On GPUs keys and values whose only user is the attention of the same
// positions go from the projection straight into the cache (layer 1's
// view, f16, at the token's position); the attention copies nothing (a
// launch fewer).
// GPU-LABEL: func.func @qkv_into_cache
// GPU: %[[KC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// GPU: %[[VC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// GPU: scf.parallel
// GPU: %[[ROW:.*]] = arith.index_cast %{{.*}} : i32 to index
// GPU-NEXT: arith.truncf %{{.*}} : f32 to f16
// GPU: memref.store %{{.*}}, %[[KC]][%[[ROW]], %{{.*}}, %{{.*}}]
// GPU: memref.store %{{.*}}, %[[VC]][%{{.*}}, %{{.*}}, %{{.*}}]
// GPU: memref.store %{{.*}}, %[[VC]][%{{.*}}, %{{.*}}, %{{.*}}]
// GPU-NOT: memref.store %{{.*}} : memref<16x2x8xf16
// GPU: scf.parallel
// GPU-NOT: memref.store %{{.*}} : memref<16x2x8xf16
// GPU: return
// On CPUs the projections (row kernels here) store only their results;
// the attention then appends K and V to layer 1 of the cache itself.
// CHECK-LABEL: func.func @qkv_into_cache
// CHECK-COUNT-3: llama.kernel_matmul
// CHECK: %[[KC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// CHECK: %[[VC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}}, %[[KC]][
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}}, %[[VC]][
// CHECK: llama.kernel_attention {{.*}} cache(%[[KCL:.*]], %[[VCL:.*]] : memref<16x2x8xf16
// CHECK: return
// In packed tiles the projections store only their results (K and V of
// one tile each: a loop over tokens, not a parallel one); the attention
// then appends K and V to layer 1 of the cache itself.
// PACKW-LABEL: func.func @qkv_into_cache
// PACKW: linalg.generic
// PACKW: vector.shuffle
// PACKW-NOT: memref.store %{{.*}} : memref<16x2x8xf16
// PACKW: %[[KC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// PACKW: %[[VC:.*]] = memref.subview %{{.*}}[1, 0, 0, 0] [1, 16, 2, 8]
// PACKW: arith.truncf %{{.*}} : f32 to f16
// PACKW: memref.store %{{.*}}, %[[KC]][
// PACKW: arith.truncf %{{.*}} : f32 to f16
// PACKW: memref.store %{{.*}}, %[[VC]][
// PACKW: scf.parallel
// PACKW: return
func.func @qkv_into_cache(%x: tensor<1x64xf32>, %p: tensor<1xi32>, %c: !llama.kv_cache<2x16x2x8xf16>) -> tensor<1x8x8xf32> {
  %wq = llama.weight "wq" : !llama.weight<64x64xq8_0>
  %wk = llama.weight "wk" : !llama.weight<16x64xq8_0>
  %wv = llama.weight "wv" : !llama.weight<16x64xq8_0>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<16x64xq8_0>, !llama.weight<16x64xq8_0>, tensor<1xi32>) -> (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>)
  %o = llama.gqa_attention %q, %k, %v, %p, %c {layer = 1 : i64} : (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1xi32>, !llama.kv_cache<2x16x2x8xf16>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// negative_: on GPUs keys with another user (returned here) are not
// stored into the cache by the projection; the attention appends them
// itself.
// GPU-LABEL: func.func @negative_qkv_keys_used_twice
// GPU: scf.parallel
// GPU-NOT: ] : memref<16x2x8xf16
// GPU: memref.subview
// GPU: memref.subview
// GPU: memref.store %{{.*}} : memref<16x2x8xf16
// GPU: memref.store %{{.*}} : memref<16x2x8xf16
// GPU: scf.parallel
// GPU: return
func.func @negative_qkv_keys_used_twice(%x: tensor<1x64xf32>, %p: tensor<1xi32>, %c: !llama.kv_cache<2x16x2x8xf16>) -> (tensor<1x8x8xf32>, tensor<1x2x8xf32>) {
  %wq = llama.weight "wq" : !llama.weight<64x64xq8_0>
  %wk = llama.weight "wk" : !llama.weight<16x64xq8_0>
  %wv = llama.weight "wv" : !llama.weight<16x64xq8_0>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<1x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<16x64xq8_0>, !llama.weight<16x64xq8_0>, tensor<1xi32>) -> (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>)
  %o = llama.gqa_attention %q, %k, %v, %p, %c {layer = 1 : i64} : (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1xi32>, !llama.kv_cache<2x16x2x8xf16>) -> tensor<1x8x8xf32>
  return %o, %k : tensor<1x8x8xf32>, tensor<1x2x8xf32>
}
// -----

// GQA attention on CPUs: the cache append, then the structured op over
// the layer's cache views, with the CPU configuration (its kv_block the
// blocks of cache rows below) and the default scale 1/sqrt(8); a decode
// step keeps its one token in order.
// GPU thread kernels: the cache append as a parallel loop (a kernel:
// the cache stays device memory), then the same structured op.
// GPUT-LABEL: func.func @gqa_attention
// GPUT: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %c2{{.*}}, %c8{{.*}})
// GPUT: memref.store
// GPUT: llama.kernel_attention q(%{{.*}} : tensor<1x8x8xf32>) {{.*}}kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>
// CHECK-LABEL: func.func @gqa_attention
// CHECK: memref.store
// CHECK: %[[KC:.*]] = memref.subview %{{.*}}[0, 0, 0, 0] [1, 16, 2, 8]
// CHECK: %[[VC:.*]] = memref.subview %{{.*}}[0, 0, 0, 0] [1, 16, 2, 8]
// CHECK: llama.kernel_attention q(%{{.*}} : tensor<1x8x8xf32>) positions(%{{.*}} : tensor<1xi32>) cache(%[[KC]], %[[VC]] : memref<16x2x8xf16, strided<[16, 8, 1]>>, memref<16x2x8xf16, strided<[16, 8, 1]>>) outs(%{{.*}} : tensor<1x8x8xf32>) {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>, scale = 0.353553385 : f32} -> tensor<1x8x8xf32>
// CHECK-NOT: scf.parallel
// After tiling, bufferization and llama-lower-kernel-attention: one task
// per (token, KV head), 2 here (the forall's unit token dimension folded
// away); the task's 4 query heads and their cache column as views; cache
// rows are loaded once per step as whole vectors and shared by the
// kv_mul = 4 query heads, whose running max, sum and output row (4 + 4 + 4
// values) are loop-carried: after row 0, blocks of 16 rows (each head's
// 16 scores in a [4, 16] stack buffer, then one vector<16xf32>: its max,
// one vector exp), then the rows left one by one.
// RK-LABEL: func.func @gqa_attention
// RK: scf.parallel (%[[G:.*]]) = (%c0{{.*}}) to (%c2{{.*}}) step
// RK: %[[H0:.*]] = arith.muli %[[G]], %c4
// RK: %[[Q:.*]] = memref.subview %{{.*}}[0, %[[H0]], 0] [1, 4, 8]
// RK: memref.subview %{{.*}}[0, %[[G]], 0] [16, 1, 8]
// RK: memref.subview %{{.*}}[0, %[[G]], 0] [16, 1, 8]
// RK-COUNT-4: vector.load %[[Q]]
// RK: %[[NB:.*]] = arith.divsi %{{.*}}, %c16
// RK: %[[BLOCKS:.*]] = arith.muli %[[NB]], %c16
// RK: %[[FIRST:.*]] = arith.addi %c1{{.*}}, %[[BLOCKS]]
// RK: scf.for %{{.*}} = %c1{{.*}} to %[[FIRST]] step %c16{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// RK: scf.for
// RK: vector.load %{{.*}} : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, vector<8xf16>
// RK-COUNT-4: memref.store %{{.*}} : memref<4x16xf32>
// RK: vector.load %{{.*}} : memref<4x16xf32>, vector<16xf32>
// RK: vector.reduction <maximumf>, %{{.*}} : vector<16xf32> into f32
// RK: math.exp %{{.*}} : vector<16xf32>
// RK: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// RK: scf.for
// RK: vector.load %{{.*}} : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, vector<8xf16>
// RK-COUNT-4: vector.fma
// RK: scf.yield
// RK: scf.yield
// RK: scf.for %{{.*}} = %[[FIRST]] to %{{.*}} step %c1{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// RK-COUNT-2: vector.load %{{.*}} : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, vector<8xf16>
// RK-NOT: vector.load
// RK: scf.yield
// RK-COUNT-4: vector.store %{{.*}} : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>, vector<8xf32>
// RK: scf.reduce
// On GPUs (decode: a static number of tokens) a warp per (task, run of
// cache rows): up to 16 runs (the cache's 16 rows) of at least 4 rows each,
// head_dim 8 over the lanes (lanes 8..31 read dim 7 and count zero); per
// cache row each of the 4 heads' scores is a warp sum; the state (m, l, one
// output dim per head) is scalar. A non-empty run writes its output, max
// and sum to the partial buffer; a second parallel loop, a thread per
// (task, head, dim), merges the runs and normalizes.
// GPU-LABEL: func.func @gqa_attention
// GPU: %[[PART:.*]] = memref.alloc() : memref<2x16x4x10xf32>
// GPU: scf.parallel (%[[I:.*]]) =
// GPU: %[[LANE:.*]] = arith.remui %[[I]], %c32
// GPU: %[[W:.*]] = arith.divui %[[I]], %c32
// GPU: %[[TASK:.*]] = arith.divui %[[W]], %c16
// GPU: %[[R:.*]] = arith.remui %[[W]], %c16
// GPU: arith.maxui %{{.*}}, %c4
// GPU: %[[LAST:.*]] = arith.minui %{{.*}}, %{{.*}} : index
// GPU: %[[OK:.*]] = arith.cmpi ult, %{{.*}}, %c8
// GPU: %[[DC:.*]] = arith.minui %{{.*}}, %c7
// GPU: %[[NONEMPTY:.*]] = arith.cmpi ult, %{{.*}}, %[[LAST]] : index
// GPU: scf.if %[[NONEMPTY]] {
// GPU: scf.for %{{.*}} = %{{.*}} to %[[LAST]] step %{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// GPU: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %[[DC]]] : memref<16x2x8xf16, strided<[16, 8, 1]>>
// GPU: gpu.subgroup_reduce add
// GPU: math.exp
// GPU: scf.yield
// GPU: memref.store %{{.*}}, %[[PART]][%[[TASK]], %[[R]], %c0{{.*}}, %c8{{.*}}]
// GPU: memref.store %{{.*}}, %[[PART]][%[[TASK]], %[[R]], %c0{{.*}}, %c9{{.*}}]
// GPU: scf.if %[[OK]]
// GPU: memref.store %{{.*}}, %[[PART]][%[[TASK]], %[[R]], %c0{{.*}}, %[[DC]]]
// GPU: scf.parallel (%{{.*}}, %{{.*}}, %[[D:.*]]) = ({{.*}}) to (%{{.*}}, %c4, %c8{{.*}})
// GPU: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// GPU: math.exp
// GPU: math.exp
// GPU: scf.yield
// GPU: arith.divf
// GPU: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %[[D]]] : memref<1x8x8xf32>
func.func @gqa_attention(%q: tensor<1x8x8xf32>, %k: tensor<1x2x8xf32>, %p: tensor<1xi32>, %c: !llama.kv_cache<1x16x2x8xf16>) -> tensor<1x8x8xf32> {
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<1x8x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1xi32>, !llama.kv_cache<1x16x2x8xf16>) -> tensor<1x8x8xf32>
  return %o : tensor<1x8x8xf32>
}

// -----

// A CPU prefill takes its tokens in the order 0, seq - 1, 1, seq - 2, ...
// (`outside_in`; task i: j = i / n_kv_heads, token j / 2 or seq - 1 - j / 2
// for odd j), so that the contiguous task ranges of the thread pool cost
// the same under the causal mask.
// CHECK-LABEL: func.func @gqa_attention_prefill_order
// CHECK: llama.kernel_attention {{.*}} {kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>, outside_in, scale = 0.353553385 : f32} -> tensor<?x8x8xf32>
// RK-LABEL: func.func @gqa_attention_prefill_order
// RK: scf.parallel (%[[I:.*]]) =
// RK: %[[J:.*]] = arith.divsi %[[I]], %c2
// RK: %[[SEQ:.*]] = memref.dim %{{.*}}, %c0{{.*}} : memref<?x8x8xf32>
// RK: %[[H:.*]] = arith.divui %[[J]], %c2
// RK: %[[R:.*]] = arith.remui %[[J]], %c2
// RK: %[[ODD:.*]] = arith.cmpi ne, %[[R]], %c0
// RK: %[[LAST:.*]] = arith.subi %[[SEQ]], %c1{{.*}}
// RK: %[[BACK:.*]] = arith.subi %[[LAST]], %[[H]]
// RK: %[[S:.*]] = arith.select %[[ODD]], %[[BACK]], %[[H]] : index
// RK: %[[Q:.*]] = memref.subview %{{.*}}[%[[S]], %[[HEAD:.*]], 0] [1, 4, 8] [1, 1, 1] : memref<?x8x8xf32>
// RK: %[[P:.*]] = memref.subview %{{.*}}[%[[S]]] [1] [1] : memref<?xi32>
// RK: %[[O:.*]] = memref.subview %{{.*}}[%[[S]], %[[HEAD]], 0] [1, 4, 8] [1, 1, 1] : memref<?x8x8xf32>
// RK: memref.load %[[P]][%c0{{.*}}]
// RK: vector.load %[[Q]]
// RK: vector.store %{{.*}}, %[[O]]
func.func @gqa_attention_prefill_order(%q: tensor<?x8x8xf32>, %k: tensor<?x2x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<1x16x2x8xf16>) -> tensor<?x8x8xf32> {
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x2x8xf16>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// A prefill (a dynamic number of tokens: tasks enough) is not split into
// runs: a warp per (token, KV head) walks rows 0 .. pos and writes the
// output.
// GPU-LABEL: func.func @negative_gqa_attention_prefill_not_split
// GPU-NOT: memref.alloc() : memref<{{.*}}x16x4x10xf32>
// GPU: scf.parallel
// GPU: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// GPU: scf.yield
// GPU: memref.store %{{.*}} : memref<?x8x8xf32>
// GPU-NOT: scf.parallel
// GPU: return
func.func @negative_gqa_attention_prefill_not_split(%q: tensor<?x8x8xf32>, %k: tensor<?x2x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<1x16x2x8xf16>) -> tensor<?x8x8xf32> {
  %o = llama.gqa_attention %q, %k, %k, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x2x8xf16>) -> tensor<?x8x8xf32>
  return %o : tensor<?x8x8xf32>
}

// -----

// Functions without llama ops are left alone.
// CHECK-LABEL: func.func @negative_plain_function
// CHECK-SAME: (%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT: llvm.emit_c_interface
func.func @negative_plain_function(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A layer function of llama-share-layers takes buffers: its tensors', the K
// and V of its one-layer cache (any offset), its weights' views and, last,
// the buffer of its result; no runtime ABI. The caller passes subviews of
// its cache's layer, cast to any offset, and allocates the result with the
// rows of argument 0 (llama.result_rows).
// CHECK-LABEL: func.func private @m_layer_0
// CHECK-SAME: (%{{.*}}: memref<?x8xf32>, %{{.*}}: memref<8x8xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<1x16x2x4xf32, strided<[128, 8, 4, 1], offset: ?>>, %{{.*}}: memref<1x16x2x4xf32, strided<[128, 8, 4, 1], offset: ?>>, %[[OUT:.*]]: memref<?x8xf32>) {
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]]
// CHECK-NEXT: return
// CHECK-LABEL: func.func @m
// CHECK-SAME: (%{{.*}}: memref<?xi8>, %{{.*}}: memref<?xi64>, %[[X:.*]]: memref<?x8xf32>, %{{.*}}: memref<?xi32>, %[[K:.*]]: memref<2x16x2x4xf32>, %{{.*}}: memref<2x16x2x4xf32>, %{{.*}}: memref<?x8xf32>) attributes {llvm.emit_c_interface}
// CHECK: %[[K0:.*]] = memref.subview %[[K]][0, 0, 0, 0] [1, 16, 2, 4] [1, 1, 1, 1]
// CHECK: %[[K0C:.*]] = memref.cast %[[K0]] : {{.*}} to memref<1x16x2x4xf32, strided<[128, 8, 4, 1], offset: ?>>
// CHECK: %[[ROWS:.*]] = memref.dim %{{.*}}, %{{.*}} : memref<?x8xf32>
// CHECK: %[[H:.*]] = memref.alloc(%[[ROWS]]) : memref<?x8xf32>
// CHECK: call @m_layer_0(%{{.*}}, %{{.*}}, %{{.*}}, %[[K0C]], %{{.*}}, %[[H]])
// CHECK: memref.subview %[[K]][1, 0, 0, 0] [1, 16, 2, 4] [1, 1, 1, 1] : memref<2x16x2x4xf32> to memref<1x16x2x4xf32, strided<[128, 8, 4, 1], offset: 128>>
// CHECK: call @m_layer_0
// CHECK-NOT: llama.kv_cache_layer
// CHECK-NOT: llama.result_rows
func.func private @m_layer_0(%x: tensor<?x8xf32>, %w: !llama.weight<8x8xf32>, %p: tensor<?xi32>, %c: !llama.kv_cache<1x16x2x4xf32>) -> tensor<?x8xf32> attributes {llama.result_rows = array<i64: 0>} {
  %c0 = arith.constant 0 : index
  %q = llama.matmul %x, %w : (tensor<?x8xf32>, !llama.weight<8x8xf32>) -> tensor<?x8xf32>
  %n = tensor.dim %q, %c0 : tensor<?x8xf32>
  %qe = tensor.expand_shape %q [[0], [1, 2]] output_shape [%n, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
  %a = llama.attention %qe, %qe, %qe, %p, %c {layer = 0 : i64} : (tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?x2x4xf32>, tensor<?xi32>, !llama.kv_cache<1x16x2x4xf32>) -> tensor<?x2x4xf32>
  %ac = tensor.collapse_shape %a [[0], [1, 2]] : tensor<?x2x4xf32> into tensor<?x8xf32>
  %r = arith.addf %x, %ac : tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func @m(%x: tensor<?x8xf32>, %p: tensor<?xi32>, %cache: !llama.kv_cache<2x16x2x4xf32>) -> tensor<?x8xf32> {
  %w0 = llama.weight "blk.0.attn_q.weight" : !llama.weight<8x8xf32>
  %c0 = llama.kv_cache_layer %cache[0] : !llama.kv_cache<2x16x2x4xf32> -> !llama.kv_cache<1x16x2x4xf32>
  %h0 = func.call @m_layer_0(%x, %w0, %p, %c0) : (tensor<?x8xf32>, !llama.weight<8x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x2x4xf32>) -> tensor<?x8xf32>
  %w1 = llama.weight "blk.1.attn_q.weight" : !llama.weight<8x8xf32>
  %c1 = llama.kv_cache_layer %cache[1] : !llama.kv_cache<2x16x2x4xf32> -> !llama.kv_cache<1x16x2x4xf32>
  %h1 = func.call @m_layer_0(%h0, %w1, %p, %c1) : (tensor<?x8xf32>, !llama.weight<8x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x2x4xf32>) -> tensor<?x8xf32>
  return %h1 : tensor<?x8xf32>
}

// -----

// negative_: a layer function whose llama.result_rows does not cover its
// results.
// expected-error @+1 {{'func.func' op llama-lower-to-loops: llama.result_rows must have one entry per result}}
func.func private @negative_rows_layer_0(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {llama.result_rows = array<i64>} {
  return %x : tensor<?x8xf32>
}
func.func @negative_rows(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %h = func.call @negative_rows_layer_0(%x) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %h : tensor<?x8xf32>
}

// -----

// RoPE must have been lowered by llama-lower-to-linalg first.
func.func @negative_rope_not_lowered(%x: tensor<1x2x8xf32>, %p: tensor<1xi32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{must be lowered before llama-lower-to-loops}}
  %y = llama.rope %x, %p {n_rot = 8 : i64, theta = 10000.0 : f32} : (tensor<1x2x8xf32>, tensor<1xi32>) -> tensor<1x2x8xf32>
  return %y : tensor<1x2x8xf32>
}

// -----

// The residual add of a matmul's result is folded into the matmul: it
// accumulates into the residual, each row kernel's store r + y (in that
// order); no tensor add is left.
// CHECK-LABEL: func.func @matmul_residual
// CHECK: %[[R:.*]] = bufferization.to_tensor %arg3
// CHECK: llama.kernel_matmul none weights(%{{.*}} : memref<16x64xf32>) x(%{{.*}} : tensor<1x64xf32>) outs(%[[R]] : tensor<1x16xf32>) {accumulate,
// CHECK-NOT: arith.addf %{{.*}} : tensor
// RK-LABEL: func.func @matmul_residual
// RK: scf.parallel
// RK: %[[Y:.*]] = vector.reduction <add>
// RK-NEXT: %[[R:.*]] = memref.load %{{.*}} : memref<1x1xf32, strided<[16, 1], offset: ?>>
// RK-NEXT: %[[Z:.*]] = arith.addf %[[R]], %[[Y]] : f32
// RK-NEXT: memref.store %[[Z]]
// On GPUs two f32 rows (2p, 2p+1) per warp, in one loop over 8-element
// pieces (lane l takes pieces l, l + 32, ...: a load instruction reads 32
// consecutive pieces), the activation piece loaded once for both rows.
// GPU-LABEL: func.func @matmul_residual
// GPU: %[[N:.*]] = arith.muli %c8, %c32 : index
// GPU: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[N]])
// GPU: %[[LANE:.*]] = arith.remui %[[I]]
// GPU: %[[P:.*]] = arith.divui %[[I]]
// GPU: %[[R0:.*]] = arith.muli %[[P]], %c2
// GPU: %[[R1:.*]] = arith.addi %[[R0]], %c1
// GPU: scf.for %[[U:.*]] = %[[LANE]] to %c8{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>)
// GPU: %[[K0:.*]] = arith.muli %[[U]], %c8
// GPU: %[[XV:.*]] = vector.load %{{.*}}[%{{.*}}, %[[K0]]] {alignment = 16 : i64} : memref<1x64xf32>, vector<8xf32>
// GPU: %[[W0:.*]] = vector.load %{{.*}}[%[[R0]], %[[K0]]] {alignment = 16 : i64} : memref<16x64xf32>
// GPU-NOT: memref<1x64xf32>, vector<8xf32>
// GPU: %[[W1:.*]] = vector.load %{{.*}}[%[[R1]], %[[K0]]] {alignment = 16 : i64} : memref<16x64xf32>
// GPU: vector.fma %[[XV]], %[[W0]]
// GPU: vector.fma %[[XV]], %[[W1]]
// GPU: scf.yield
// GPU-COUNT-2: gpu.subgroup_reduce add
// GPU: arith.addf %{{.*}}, %{{.*}} : f32
// GPU: memref.store %{{.*}}[%{{.*}}, %[[R0]]]
// GPU: arith.addf %{{.*}}, %{{.*}} : f32
// GPU: memref.store %{{.*}}[%{{.*}}, %[[R1]]]
// GPU-NOT: arith.addf %{{.*}} : tensor
func.func @matmul_residual(%x: tensor<1x64xf32>, %r: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xf32>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<16x64xf32>) -> tensor<1x16xf32>
  %z = arith.addf %r, %y : tensor<1x16xf32>
  return %z : tensor<1x16xf32>
}

// -----

// A GPU prefill whose rows come in whole tiles of 64: a GEMM tiled in
// shared memory. A block of 128 threads per (row tile, token tile of 32),
// row tile by row tile; per 32-wide step of K the block stages its rows'
// 8-element units, dequantized (2 a thread), and its tokens' 4-element
// activation pieces (2 a thread; tokens past the last load the last), each
// transposed into a workgroup buffer, waits (the marker on the last
// store), adds 4 rows x 4 tokens of products per k from two 16-byte
// shared loads, and waits again; then each thread stores its tokens that
// exist, the residual added.
// GPU-LABEL: func.func @prefill_tiled_gemm
// GPU: %[[SEQ:.*]] = memref.dim %{{.*}}, %c0{{.*}} : memref<?x64xf32>
// GPU: %[[LAST:.*]] = arith.subi %[[SEQ]], %c1
// GPU: arith.divui %{{.*}}, %c32
// GPU: %[[N:.*]] = arith.muli %{{.*}}, %c128
// GPU: scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[N]])
// GPU: %[[W:.*]] = memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// GPU: %[[X:.*]] = memref.alloca() : memref<32x32xf32, #gpu.address_space<workgroup>>
// GPU: scf.for %{{.*}} = %{{.*}} to %c64{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// GPU: vector.load %{{.*}} {alignment = 2 : i64} : memref<64x36xi8>, vector<8xi8>
// GPU-COUNT-8: memref.store %{{.*}}, %[[W]]
// GPU: arith.minui %{{.*}}, %[[LAST]]
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// GPU-COUNT-4: memref.store %{{.*}}, %[[X]]
// GPU: vector.load %{{.*}} {alignment = 2 : i64} : memref<64x36xi8>, vector<8xi8>
// GPU-COUNT-8: memref.store %{{.*}}, %[[W]]
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// GPU-COUNT-3: memref.store %{{.*}}, %[[X]]
// GPU-NEXT: arith.constant 3
// GPU-NEXT: arith.addi
// GPU-NEXT: vector.extract
// GPU-NEXT: memref.store %{{.*}}, %[[X]][{{.*}}] {llama.barrier_after}
// GPU: scf.for %[[KK:.*]] = %{{.*}} to %c32{{.*}} step %c1{{.*}} iter_args
// GPU: vector.load %[[W]][%[[KK]], %{{.*}}] {alignment = 16 : i64} : memref<32x64xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// GPU: vector.load %[[X]][%[[KK]], %{{.*}}] {alignment = 16 : i64} : memref<32x32xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// GPU-COUNT-4: vector.fma
// GPU: } {llama.barrier_after}
// GPU: %[[OK:.*]] = arith.cmpi ult, %[[S:.*]], %[[SEQ]]
// GPU: scf.if %[[OK]] {
// GPU: memref.load %{{.*}}[%[[S]], %{{.*}}] : memref<?x64xf32>
// GPU: arith.addf
// GPU: memref.store %{{.*}}, %{{.*}}[%[[S]], %{{.*}}] : memref<?x64xf32>
// GPU-NOT: gpu.subgroup_reduce
// GPU: return
// With gpu-tensor-cores: the same tiles as f16 rows ([slot][k] and
// [token][k], 40 halves apart), each value staged as a high and a low
// half with 16-byte stores; warp w takes slots 16w .. 16w + 15 and the 32
// tokens as 4 m16n8k16 mma.sync per 16 of K, three per product (hi x lo,
// lo x hi, hi x hi): 2 x 4 x 3 per step, the last marked for the barrier.
// GPUTC-LABEL: func.func @prefill_tiled_gemm
// GPUTC: scf.parallel
// GPUTC: %[[WH:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// GPUTC: %[[WL:.*]] = memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// GPUTC: %[[XH:.*]] = memref.alloca() : memref<32x40xf16, #gpu.address_space<workgroup>>
// GPUTC: %[[XL:.*]] = memref.alloca() : memref<32x40xf16, #gpu.address_space<workgroup>>
// GPUTC: scf.for %{{.*}} iter_args({{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// GPUTC: %[[HI:.*]] = arith.truncf %[[W:.*]] : vector<8xf32> to vector<8xf16>
// GPUTC: %[[HIF:.*]] = arith.extf %[[HI]]
// GPUTC: %[[REST:.*]] = arith.subf %[[W]], %[[HIF]]
// GPUTC: %[[LO:.*]] = arith.truncf %[[REST]]
// GPUTC: vector.store %[[HI]], %[[WH]][{{.*}}] {alignment = 16 : i64}
// GPUTC: vector.store %[[LO]], %[[WL]][{{.*}}] {alignment = 16 : i64}
// GPUTC: vector.store %{{.*}}, %[[WH]]
// GPUTC: vector.store %{{.*}}, %[[WL]]
// GPUTC: arith.minui
// GPUTC: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xf32>, vector<8xf32>
// GPUTC: vector.store %{{.*}}, %[[XH]]
// GPUTC: vector.store %{{.*}}, %[[XL]][{{.*}}] {alignment = 16 : i64, llama.barrier_after}
// GPUTC: vector.load %[[WH]][{{.*}}] {alignment = 4 : i64} : memref<64x40xf16, #gpu.address_space<workgroup>>, vector<2xf16>
// GPUTC: %[[A:.*]] = vector.from_elements {{.*}} : vector<4x2xf16>
// GPUTC: %[[AL:.*]] = vector.from_elements {{.*}} : vector<4x2xf16>
// GPUTC: %[[B:.*]] = vector.from_elements {{.*}} : vector<2x2xf16>
// GPUTC: %[[BL:.*]] = vector.from_elements {{.*}} : vector<2x2xf16>
// GPUTC: %[[D0:.*]] = nvgpu.mma.sync(%[[A]], %[[BL]], %{{.*}}) {mmaShape = [16, 8, 16]}
// GPUTC: %[[D1:.*]] = nvgpu.mma.sync(%[[AL]], %[[B]], %[[D0]])
// GPUTC: nvgpu.mma.sync(%[[A]], %[[B]], %[[D1]])
// GPUTC-COUNT-20: nvgpu.mma.sync
// GPUTC: nvgpu.mma.sync{{.*}} {llama.barrier_after, mmaShape = [16, 8, 16]}
// GPUTC-NOT: nvgpu.mma.sync
// GPUTC: %[[OK:.*]] = arith.cmpi ult
// GPUTC: scf.if %[[OK]] {
// GPUTC: vector.extract %{{.*}}[0, 0] : f32 from vector<2x2xf32>
// GPUTC: memref.store
// GPUTC: vector.extract %{{.*}}[1, 0] : f32 from vector<2x2xf32>
// GPUTC: memref.store
// GPUTC: return
func.func @prefill_tiled_gemm(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = llama.weight "w" : !llama.weight<64x64xq4_0>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<64x64xq4_0>) -> tensor<?x64xf32>
  %z = arith.addf %r, %y : tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// The tiled GEMM of gate and up: a tile's 64 slots are 32 rows of each,
// interleaved (a thread's 4 slots are 2 rows' gate and up); a warp stages
// one weight's units (a warp-uniform branch), and the epilogue is SwiGLU.
// GPU-LABEL: func.func @prefill_tiled_swiglu
// GPU: scf.parallel
// GPU: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// GPU: scf.for
// GPU: %[[GATE:.*]] = scf.if %{{.*}} -> (vector<8xf32>) {
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<32x64xi16>, vector<8xi16>
// GPU: } else {
// GPU: vector.load %{{.*}} {alignment = 16 : i64} : memref<32x64xi16>, vector<8xi16>
// GPU: vector.extract %[[GATE]][0]
// GPU: } {llama.barrier_after}
// GPU: scf.if
// GPU: math.exp
// GPU: memref.store %{{.*}} : memref<?x32xf32>
// GPU-NOT: gpu.subgroup_reduce
// GPU: return
// With gpu-tensor-cores: f16 weights need no low half (2 mma.sync per
// product); a warp's 16 slots are 8 gate rows then the same 8 up rows, so
// a lane's two D rows are one row's gate and up.
// GPUTC-LABEL: func.func @prefill_tiled_swiglu
// GPUTC: memref.alloca() : memref<64x40xf16, #gpu.address_space<workgroup>>
// GPUTC-NOT: memref<64x40xf16
// GPUTC: memref.alloca() : memref<32x40xf16, #gpu.address_space<workgroup>>
// GPUTC: memref.alloca() : memref<32x40xf16, #gpu.address_space<workgroup>>
// GPUTC-COUNT-15: nvgpu.mma.sync
// GPUTC: nvgpu.mma.sync{{.*}} {llama.barrier_after, mmaShape = [16, 8, 16]}
// GPUTC-NOT: nvgpu.mma.sync
// GPUTC: scf.if
// GPUTC: %[[GATE:.*]] = vector.extract %{{.*}}[0, 0] : f32 from vector<2x2xf32>
// GPUTC: %[[UP:.*]] = vector.extract %{{.*}}[1, 0] : f32 from vector<2x2xf32>
// GPUTC: math.exp
// GPUTC: return
func.func @prefill_tiled_swiglu(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %g = llama.weight "g" : !llama.weight<32x64xf16>
  %u = llama.weight "u" : !llama.weight<32x64xf16>
  %y = llama.matmul_swiglu %x, %g, %u : (tensor<?x64xf32>, !llama.weight<32x64xf16>, !llama.weight<32x64xf16>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// The Q/K/V projection of a GPU prefill: Q, K and V each a tiled GEMM
// whose groups are RoPE pairs (rows 2g and 2g + 1, staged by alternate
// warps), rotated in the epilogue; V unrotated.
// GPU-LABEL: func.func @prefill_tiled_qkv_rope
// GPU: scf.parallel
// GPU: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// GPU: scf.if %{{.*}} -> (vector<8xf32>) {
// GPU: %[[R0:.*]] = arith.muli %{{.*}}, %c2
// GPU: vector.load %{{.*}}[%[[R0]], %{{.*}}] {{.*}} : memref<64x64xi16>, vector<8xi16>
// GPU: } else {
// GPU: %[[R1:.*]] = arith.muli %{{.*}}, %c2
// GPU: %[[R1P:.*]] = arith.addi %[[R1]], %c1
// GPU: vector.load %{{.*}}[%[[R1P]], %{{.*}}] {{.*}} : memref<64x64xi16>, vector<8xi16>
// GPU: math.cos
// GPU: math.sin
// GPU: scf.parallel
// GPU: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// GPU: math.cos
// GPU: scf.parallel
// GPU: memref.alloca() : memref<32x64xf32, #gpu.address_space<workgroup>>
// GPU-NOT: math.cos
// GPU: return
func.func @prefill_tiled_qkv_rope(%x: tensor<?x64xf32>, %p: tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>) {
  %wq = llama.weight "wq" : !llama.weight<64x64xf16>
  %wk = llama.weight "wk" : !llama.weight<64x64xf16>
  %wv = llama.weight "wv" : !llama.weight<64x64xf16>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf16>, !llama.weight<64x64xf16>, !llama.weight<64x64xf16>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>)
  return %q, %k, %v : tensor<?x8x8xf32>, tensor<?x8x8xf32>, tensor<?x8x8xf32>
}

// -----

// negative_: rows not in whole tiles (48; a Q/K/V projection whose keys
// are 16 rows, 8 pairs), and a decode step (one token), keep the warp row
// kernels: no workgroup buffer.
// GPU-LABEL: func.func @negative_tiled_rows_not_whole
// GPU-NOT: #gpu.address_space<workgroup>
// GPU: gpu.subgroup_reduce
// GPU-LABEL: func.func @negative_tiled_qkv_small_keys
// GPU-NOT: #gpu.address_space<workgroup>
// GPU: gpu.subgroup_reduce
// GPU-LABEL: func.func @negative_tiled_decode
// GPU-NOT: #gpu.address_space<workgroup>
// GPU: gpu.subgroup_reduce
// GPU: return
// negative_: with gpu-tensor-cores too, they take no tensor cores.
// GPUTC-LABEL: func.func @negative_tiled_rows_not_whole
// GPUTC-NOT: nvgpu.mma.sync
// GPUTC: gpu.subgroup_reduce
// GPUTC-LABEL: func.func @negative_tiled_qkv_small_keys
// GPUTC-NOT: nvgpu.mma.sync
// GPUTC: gpu.subgroup_reduce
// GPUTC-LABEL: func.func @negative_tiled_decode
// GPUTC-NOT: nvgpu.mma.sync
// GPUTC: gpu.subgroup_reduce
// GPUTC: return
func.func @negative_tiled_rows_not_whole(%x: tensor<?x64xf32>) -> tensor<?x48xf32> {
  %w = llama.weight "w" : !llama.weight<48x64xf16>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<48x64xf16>) -> tensor<?x48xf32>
  return %y : tensor<?x48xf32>
}
func.func @negative_tiled_qkv_small_keys(%x: tensor<?x64xf32>, %p: tensor<?xi32>) -> tensor<?x8x8xf32> {
  %wq = llama.weight "wq3" : !llama.weight<64x64xf16>
  %wk = llama.weight "wk3" : !llama.weight<16x64xf16>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wk, %p {n_rot = 8 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xf16>, !llama.weight<16x64xf16>, !llama.weight<16x64xf16>, tensor<?xi32>) -> (tensor<?x8x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>)
  return %q : tensor<?x8x8xf32>
}
func.func @negative_tiled_decode(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %w = llama.weight "w2" : !llama.weight<64x64xf16>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<64x64xf16>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// A GPU prefill of f16 rows: a warp per row pair takes 4 tokens at a time
// (each lane's 8-element piece of a row loaded once for the tokens, each
// token's activation piece once for the rows: 8 accumulators, 8 warp
// sums), then the remaining tokens one by one.
// GPU-LABEL: func.func @prefill_blocked_tokens
// GPU: scf.parallel
// GPU: %[[LANE:.*]] = arith.remui
// GPU: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4
// GPU: scf.for %{{.*}} = %[[LANE]] to %c8{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// GPU-COUNT-4: vector.load %{{.*}} : memref<?x64xf32>, vector<8xf32>
// GPU-COUNT-2: vector.load %{{.*}} : memref<16x64xi16>, vector<8xi16>
// GPU-NOT: vector.load
// GPU-COUNT-8: vector.fma
// GPU: scf.yield
// GPU-COUNT-8: gpu.subgroup_reduce add
// GPU-COUNT-8: memref.store %{{.*}} : memref<?x16xf32>
// GPU: scf.for
// GPU: scf.for %{{.*}} = %[[LANE]] to %c8{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>) {
func.func @prefill_blocked_tokens(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xf16>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<16x64xf16>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A GPU prefill of K-quant rows: 8-element parts (32 per block), each
// loaded and dequantized once for 4 tokens (d sc q - dmin m: one FMA, then
// one per token) and both rows of a pair, whose activation pieces they
// share (a whole 256-element block would be too many registers).
// GPU-LABEL: func.func @prefill_kquant_parts_blocked
// GPU: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4
// GPU: scf.for %{{.*}} = %{{.*}} to %c32{{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// GPU-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x256xf32>, vector<8xf32>
// GPU-NOT: vector.fma
// GPU: vector.load %{{.*}} {alignment = 8 : i64} : memref<2x144xi8>, vector<8xi8>
// GPU-COUNT-5: vector.fma
// GPU-NOT: vector.fma
// GPU: vector.load %{{.*}} {alignment = 8 : i64} : memref<2x144xi8>, vector<8xi8>
// GPU-COUNT-5: vector.fma
// GPU-NOT: vector.fma
// GPU: scf.yield
// GPU-COUNT-8: gpu.subgroup_reduce add
func.func @prefill_kquant_parts_blocked(%x: tensor<?x256xf32>) -> tensor<?x2xf32> {
  %w = llama.weight "w" : !llama.weight<2x256xq4_k>
  %y = llama.matmul %x, %w : (tensor<?x256xf32>, !llama.weight<2x256xq4_k>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// A GPU prefill of Q5_1 rows: 4 parts of 8 elements per block, like
// Q4_0's; a part's quants are 8 bytes (8-byte aligned in 24-byte blocks),
// its fifth bits one qh byte spread to the 8 lanes and tested against each
// lane's bit, then d q + m (one FMA) and one FMA per token, for both rows
// of a pair.
// GPU-LABEL: func.func @prefill_q5_1_parts
// GPU: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c4
// GPU: scf.for {{.*}} step %c32{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// GPU-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xf32>, vector<8xf32>
// GPU: vector.load %{{.*}} {alignment = 8 : i64} : memref<2x48xi8>, vector<8xi8>
// GPU: vector.load %{{.*}} : memref<2x48xi8>, vector<1xi8>
// GPU: vector.shuffle %{{.*}} [0, 0, 0, 0, 0, 0, 0, 0] : vector<1xi8>, vector<1xi8>
// GPU: arith.cmpi ne, %{{.*}} : vector<8xi8>
// GPU-COUNT-5: vector.fma
// GPU-NOT: vector.fma
// GPU: vector.load %{{.*}} {alignment = 8 : i64} : memref<2x48xi8>, vector<8xi8>
// GPU-COUNT-5: vector.fma
// GPU-NOT: vector.fma
// GPU: scf.yield
func.func @prefill_q5_1_parts(%x: tensor<?x64xf32>) -> tensor<?x2xf32> {
  %w = llama.weight "w" : !llama.weight<2x64xq5_1>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<2x64xq5_1>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// negative_: Q5_0 blocks are 22 bytes, so a part's 8 quant bytes are only
// 2-byte aligned, and the load says so (an 8-byte claim would fault on a
// GPU); a decode step still takes 4 parts per lane.
// GPU-LABEL: func.func @negative_decode_q5_0_parts_2_byte_aligned
// GPU: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>)
// GPU-COUNT-4: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1024xf32>, vector<8xf32>
// GPU-NOT: alignment = 8
// GPU: vector.load %{{.*}} {alignment = 2 : i64} : memref<2x704xi8>, vector<8xi8>
// GPU-NOT: alignment = 8
// GPU: } {llama.batched_loads}
func.func @negative_decode_q5_0_parts_2_byte_aligned(%x: tensor<1x1024xf32>) -> tensor<1x2xf32> {
  %w = llama.weight "w" : !llama.weight<2x1024xq5_0>
  %y = llama.matmul %x, %w : (tensor<1x1024xf32>, !llama.weight<2x1024xq5_0>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Not folded: the matmul's result has another use.
// CHECK-LABEL: func.func @negative_matmul_residual_two_uses
// GPU-LABEL: func.func @negative_matmul_residual_two_uses
// CHECK: arith.addf %{{.*}} : tensor<1x16xf32>
// CHECK: arith.addf %{{.*}} : tensor<1x16xf32>
func.func @negative_matmul_residual_two_uses(%x: tensor<1x64xf32>, %r: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xf32>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<16x64xf32>) -> tensor<1x16xf32>
  %z = arith.addf %r, %y : tensor<1x16xf32>
  %z2 = arith.addf %z, %y : tensor<1x16xf32>
  return %z2 : tensor<1x16xf32>
}

// -----

// An odd number of rows: a warp per row (one accumulator), on GPUs.
// GPU-LABEL: func.func @negative_matmul_odd_rows_one_per_warp
// GPU: %[[N:.*]] = arith.muli %c15, %c32 : index
// GPU: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>) {
func.func @negative_matmul_odd_rows_one_per_warp(%x: tensor<1x64xf32>) -> tensor<1x15xf32> {
  %w = llama.weight "w" : !llama.weight<15x64xf32>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<15x64xf32>) -> tensor<1x15xf32>
  return %y : tensor<1x15xf32>
}

// -----

// Not folded: the other operand is computed after the matmul.
// CHECK-LABEL: func.func @negative_matmul_residual_after
// CHECK: arith.addf %{{.*}} : tensor<1x16xf32>
func.func @negative_matmul_residual_after(%x: tensor<1x64xf32>, %r: tensor<1x16xf32>) -> tensor<1x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xf32>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<16x64xf32>) -> tensor<1x16xf32>
  %r2 = arith.mulf %r, %r : tensor<1x16xf32>
  %z = arith.addf %r2, %y : tensor<1x16xf32>
  return %z : tensor<1x16xf32>
}

// -----

// tile_rows = 16: a prefill (dynamic token count) of Q4_0 rows runs in
// tiles of 16 rows, in parallel. Each tile is decoded into stack buffers,
// 4 quants of each row per int32 lane ([group][4-quant step][row]), stored
// + 8 (Q4_0's offset: 4-bit unsigned, so the dots are lhs_small, with
// lhs_max = 15) with
// the group scales per row; then per token one llama.dot4_acc per step for
// all 16 rows, the dot corrected by 8 * sum(xq), scaled by the rows'
// scales as a vector, and the 16 results stored as one vector.
// PACK-LABEL: func.func @packed_prefill
// PACK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%c2{{.*}})
// PACK: %[[R0:.*]] = affine.apply #{{.*}}(%[[T]])
// PACK: %[[OUT:.*]] = memref.subview %{{.*}}[0, %[[R0]]] [%{{.*}}, 16] [1, 1] : memref<?x32xf32> to memref<?x16xf32, strided<[32, 1], offset: ?>>
// PACK-DAG: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x8x16xi32>
// PACK-DAG: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x16xf32>
// PACK: %[[EIGHT:.*]] = arith.constant dense<8> : vector<32xi8>
// PACK: arith.addi %{{.*}}, %[[EIGHT]] : vector<32xi8>
// PACK: memref.store %{{.*}}, %[[Q]][
// PACK: memref.store %{{.*}}, %[[S]][
// PACK: vector.load %[[Q]][{{.*}}] : memref<2x8x16xi32>, vector<16xi32>
// PACK: llama.dot4_acc avx512vnni {{.*}} {lhs_max = 15 : i64, lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// PACK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// PACK: %[[B:.*]] = arith.constant 8.000000e+00 : f32
// PACK: arith.mulf %{{.*}}, %[[B]] : f32
// PACK: arith.subf %{{.*}} : vector<16xf32>
// PACK: vector.load %[[S]][{{.*}}] : memref<2x16xf32>, vector<16xf32>
// PACK: vector.fma
// PACK: vector.store %{{.*}}, %[[OUT]][%{{.*}}, %c0{{.*}}] : memref<?x16xf32, strided<[32, 1], offset: ?>>, vector<16xf32>
func.func @packed_prefill(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Q6_K tiles: each group of 32 has two scales (16-element sub-blocks),
// packed per half; the activations also keep the sum of each block's first
// 16 quants. Steps 0..3 and 4..7 sum apart, and each half's sum is
// scaled with its own scale and bias sum (the second half's: xs - xl).
// PACK-LABEL: func.func @packed_prefill_q6_k
// PACK: vector.extract_strided_slice %{{.*}} {offsets = [0], sizes = [16], strides = [1]} : vector<32xf32> to vector<16xf32>
// PACK: %[[SUM:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// PACK: memref.store %[[SUM]], %[[XL:[a-z0-9_]+]][
// PACK: scf.parallel
// PACK: memref.alloca() {alignment = 64 : i64} : memref<8x8x16xi32>
// PACK: memref.alloca() {alignment = 64 : i64} : memref<8x2x16xf32>
// PACK: %[[LO:.*]] = llama.dot4_acc avx512vnni %cst{{.*}}
// PACK: %[[HI:.*]] = llama.dot4_acc avx512vnni %cst{{.*}}
// PACK: %[[L:.*]] = memref.load %[[XL]]
// PACK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// PACK: vector.fma
// PACK: arith.sitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// PACK: vector.fma
// PACK: return
func.func @packed_prefill_q6_k(%x: tensor<?x256xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w6" : !llama.weight<32x256xq6_k>
  %y = llama.matmul %x, %w : (tensor<?x256xf32>, !llama.weight<32x256xq6_k>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// negative_: a decode step (one token: packing would cost more than the
// dot products) and a row count that is not a multiple of 16 keep the row
// kernels.
// PACK-LABEL: func.func @negative_packed
// PACK-NOT: llama.dot4_acc
// PACK-NOT: memref.alloca
// PACK: return
func.func @negative_packed(%x: tensor<1x256xf32>, %p: tensor<?x256xf32>) -> (tensor<1x32xf32>, tensor<?x40xf32>) {
  %w = llama.weight "w" : !llama.weight<32x256xq4_0>
  %d = llama.matmul %x, %w : (tensor<1x256xf32>, !llama.weight<32x256xq4_0>) -> tensor<1x32xf32>
  %w40 = llama.weight "w40" : !llama.weight<40x256xq8_0>
  %f = llama.matmul %p, %w40 : (tensor<?x256xf32>, !llama.weight<40x256xq8_0>) -> tensor<?x40xf32>
  return %d, %f : tensor<1x32xf32>, tensor<?x40xf32>
}

// -----

// tile_rows = 16 with F16 rows (activations not quantized): each tile is
// the 16 rows in f32, transposed ([K][16]), and each token costs one
// broadcast vector.fma per element. The prompt's full blocks of T = 4
// tokens (token_block 4, one weight) are first copied, in parallel over the
// tokens, element-major ([seq/4, K, 4]: a block's activations of one
// element share a cache line), and the blocks read them from there; the
// last seq % 4 tokens read x itself.
// PACK-LABEL: func.func @packed_f16_prefill
// PACK: %[[XB:.*]] = memref.alloc(%{{.*}}) : memref<?x64xf32>
// PACK: %[[XC:.*]] = memref.collapse_shape %[[XB]]
// PACK: %[[XF:.*]] = memref.expand_shape %[[XC]] {{.*}} output_shape [%{{.*}}, 64, 4] : memref<?xf32> into memref<?x64x4xf32>
// PACK: scf.parallel
// PACK: memref.store %{{.*}}, %[[XF]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<?x64x4xf32>
// PACK: scf.parallel
// PACK: %[[T:.*]] = memref.alloca() {alignment = 64 : i64} : memref<64x16xf32>
// PACK: memref.store %{{.*}}, %[[T]][
// PACK: %[[W:.*]] = vector.load %[[T]][{{.*}}] : memref<64x16xf32>, vector<16xf32>
// PACK: %[[XS:.*]] = memref.load %[[XF]][%{{.*}}, %{{.*}}, %c0{{.*}}] : memref<?x64x4xf32>
// PACK: %[[X:.*]] = vector.broadcast %[[XS]] : f32 to vector<16xf32>
// PACK: vector.fma %[[X]], %[[W]], %{{.*}} : vector<16xf32>
// PACK: memref.load %[[XF]][%{{.*}}, %{{.*}}, %c3{{.*}}] : memref<?x64x4xf32>
// PACK: memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x64xf32>
// PACK: vector.fma
// PACK-NOT: llama.dot4_acc
// PACK: vector.store %{{.*}} : memref<?x16xf32, strided<[32, 1], offset: ?>>, vector<16xf32>
func.func @packed_f16_prefill(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xf16>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<32x64xf16>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// packed-weights=true: a Q4_0 weight that only a matmul reads is prepacked
// in the rows16 layout (the weight table says so; llama-compile writes the
// bytes) and viewed as tiles x groups x 288 bytes. Even a decode step takes
// the tiles, reading them in place: no stack buffers, a software prefetch
// of the group 128 ahead (the avx512vnni row's 36 KiB; past the tile's end,
// in the next tile, clamped to the last tile: here 2 groups a tile, so
// tile + 64, group 0), one 64-byte load per 4-quant
// step (low nibbles, then high nibbles shifted down), the 16 rows' f16
// scales converted as one vector.
// negative_: "e", a Q8_0 table that llama.embedding reads too, keeps the
// GGUF layout and the row kernel.
// negative_ (prefetch=0): no software prefetch at all.
// PACKW0-LABEL: func.func @prepacked
// PACKW0-NOT: memref.prefetch
// PACKW0: llama.dot4_acc avx512vnni
// PACKW0-NOT: memref.prefetch
// PACKW0: return
// PACKW: llama.weight_table = [{layout = "rows16", name = "wp", ne = [64, 32], type = 2 : i64}, {name = "e", ne = [64, 32], type = 8 : i64}]
// PACKW-LABEL: func.func @prepacked
// PACKW: memref.view %{{.*}} : memref<?xi8> to memref<2x2x288xi8>
// PACKW: scf.parallel
// PACKW-NOT: memref.alloca
// PACKW: %[[A:.*]] = arith.addi %{{.*}}, %c128{{.*}} : index
// PACKW: %[[TD:.*]] = arith.divui %[[A]], %c2{{.*}} : index
// PACKW: %[[TA:.*]] = arith.addi %{{.*}}, %[[TD]] : index
// PACKW: %[[T:.*]] = arith.minui %[[TA]], %{{.*}} : index
// PACKW: %[[G:.*]] = arith.remui %[[A]], %c2{{.*}} : index
// PACKW: memref.prefetch %{{.*}}[%[[T]], %[[G]], %{{.*}}], read, locality<2>, data : memref<?x2x288xi8, strided<[{{[0-9]+}}, 288, 1], offset: ?>>
// PACKW: %[[L:.*]] = vector.load %{{.*}} : memref<?x2x288xi8, strided<[{{[0-9]+}}, 288, 1], offset: ?>>, vector<64xi8>
// PACKW: %[[LO:.*]] = arith.andi %[[L]], %{{.*}} : vector<64xi8>
// PACKW: llama.dot4_acc avx512vnni %{{.*}}, %[[LO]], %{{.*}} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// PACKW: %[[H:.*]] = vector.load %{{.*}}[%{{.*}}, %{{.*}}, %c0{{.*}}] : memref<?x2x288xi8, strided<[{{[0-9]+}}, 288, 1], offset: ?>>, vector<64xi8>
// PACKW-NEXT: arith.constant dense<4> : vector<64xi8>
// PACKW-NEXT: arith.shrui %[[H]], %{{.*}} : vector<64xi8>
// PACKW: %[[S:.*]] = vector.load %{{.*}}[%{{.*}}, %{{.*}}, %c256{{.*}}] : memref<?x2x288xi8, strided<[{{[0-9]+}}, 288, 1], offset: ?>>, vector<32xi8>
// PACKW: %[[SH:.*]] = vector.bitcast %[[S]] : vector<32xi8> to vector<16xf16>
// PACKW: arith.extf %[[SH]] : vector<16xf16> to vector<16xf32>
// PACKW: vector.store %{{.*}} : memref<1x16xf32, strided<[32, 1], offset: ?>>, vector<16xf32>
// PACKW: memref.view %{{.*}} : memref<?xi8> to memref<32x68xi8>
// PACKW: llama.int8_dot
// PACKW: return
func.func @prepacked(%x: tensor<1x64xf32>, %t: tensor<1xi32>) -> (tensor<1x32xf32>, tensor<1x32xf32>) {
  %w = llama.weight "wp" : !llama.weight<32x64xq4_0>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  %e = llama.weight "e" : !llama.weight<32x64xq8_0>
  %emb = llama.embedding %e, %t : (!llama.weight<32x64xq8_0>, tensor<1xi32>) -> tensor<1x64xf32>
  %z = llama.matmul %emb, %e : (tensor<1x64xf32>, !llama.weight<32x64xq8_0>) -> tensor<1x32xf32>
  return %y, %z : tensor<1x32xf32>, tensor<1x32xf32>
}

// -----

// packed-weights=true with F16 rows: prepacked as 2-byte elements [group]
// [element][row]; per element one 32-byte load of the 16 rows, converted
// to f32, and a broadcast FMA per token; a group's 32 elements in a loop
// of steps of 4 (the whole group unrolled is too much code for the
// decoded-instruction cache). A decode step has no token blocks to copy.
// negative_: gate and up share one op, and "u" (Q8_0) is also read by
// llama.embedding, so neither it nor "g" is prepacked (an op takes the
// tiles for all of its weights or none); "q" (Q8_0) and "h" (F16) would
// need two kinds of tile in one op and are not prepacked either.
// PACKW: llama.weight_table = [{layout = "rows16", name = "wf", ne = [64, 32], type = 1 : i64}, {name = "g", {{.*}}}, {name = "u", {{.*}}}, {name = "q", {{.*}}}, {name = "h", {{.*}}}]
// PACKW-LABEL: func.func @prepacked_f16
// PACKW: memref.view %{{.*}} : memref<?xi8> to memref<2x2x1024xi8>
// PACKW-NOT: memref.expand_shape
// PACKW: scf.parallel
// PACKW-NOT: memref.alloca
// PACKW: scf.for %{{.*}} = %c0{{.*}} to %c32{{.*}} step %c4
// PACKW: %[[L:.*]] = vector.load %{{.*}} : memref<?x2x1024xi8, strided<[{{[0-9]+}}, 1024, 1], offset: ?>>, vector<32xi8>
// PACKW-NEXT: %[[H:.*]] = vector.bitcast %[[L]] : vector<32xi8> to vector<16xf16>
// PACKW-NEXT: %[[W:.*]] = arith.extf %[[H]] : vector<16xf16> to vector<16xf32>
// PACKW: vector.fma %{{.*}}, %[[W]], %{{.*}} : vector<16xf32>
// PACKW: return
func.func @prepacked_f16(%x: tensor<1x64xf32>, %t: tensor<1xi32>) -> (tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>) {
  %w = llama.weight "wf" : !llama.weight<32x64xf16>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<32x64xf16>) -> tensor<1x32xf32>
  %g = llama.weight "g" : !llama.weight<32x64xq8_0>
  %u = llama.weight "u" : !llama.weight<32x64xq8_0>
  %s = llama.matmul_swiglu %x, %g, %u : (tensor<1x64xf32>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xq8_0>) -> tensor<1x32xf32>
  %e = llama.embedding %u, %t : (!llama.weight<32x64xq8_0>, tensor<1xi32>) -> tensor<1x64xf32>
  %q = llama.weight "q" : !llama.weight<32x64xq8_0>
  %h = llama.weight "h" : !llama.weight<32x64xf16>
  %m = llama.matmul_swiglu %x, %q, %h : (tensor<1x64xf32>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xf16>) -> tensor<1x32xf32>
  return %y, %s, %e : tensor<1x32xf32>, tensor<1x32xf32>, tensor<1x64xf32>
}

// -----

// packed-weights=true: a Q4_K weight is prepacked per tile and super-block
// (tiles x super-blocks x 2304 bytes). Group g is sub-block g % 8 of unit
// g / 8; each group prefetches its share (5 lines, clamped to the unit) of
// the unit 2 ahead (in the next tile past the last unit); the quants are nibble steps like Q4_0's; the 16 rows'
// 6-bit scales and mins are rebuilt from one byte of low bits per row and
// the word of high bits shifted by 4 (g % 8), times d and dmin.
// PACKW: llama.weight_table = [{layout = "rows16", name = "wk", ne = [512, 32], type = 12 : i64}]
// PACKW-LABEL: func.func @prepacked_q4_k
// PACKW: memref.view %{{.*}} : memref<?xi8> to memref<2x2x2304xi8>
// PACKW: scf.parallel
// PACKW-NOT: memref.alloca
// PACKW: %[[U:.*]] = arith.divui %[[G:.*]], %c8 : index
// PACKW: arith.minui %{{.*}}, %c2240 : index
// PACKW: memref.prefetch
// PACKW: %[[SUB:.*]] = arith.remui %[[G]], %c8
// PACKW: vector.load %{{.*}}[%{{.*}}, %[[UNIT:.*]], %{{.*}}] : memref<?x2x2304xi8, strided<[{{[0-9]+}}, 2304, 1], offset: ?>>, vector<64xi8>
// PACKW: llama.dot4_acc avx512vnni
// PACKW: %[[D:.*]] = vector.load %{{.*}}[%{{.*}}, %[[UNIT]], %c2240{{.*}}] : memref<?x2x2304xi8, strided<[{{[0-9]+}}, 2304, 1], offset: ?>>, vector<32xi8>
// PACKW: %[[LOW:.*]] = vector.load %{{.*}} : memref<?x2x2304xi8, strided<[{{[0-9]+}}, 2304, 1], offset: ?>>, vector<16xi8>
// PACKW: arith.extui %[[LOW]] : vector<16xi8> to vector<16xi32>
// PACKW: %[[HI:.*]] = vector.load %{{.*}}[%{{.*}}, %[[UNIT]], %c2176] : memref<?x2x2304xi8, strided<[{{[0-9]+}}, 2304, 1], offset: ?>>, vector<64xi8>
// PACKW: arith.shrui %{{.*}}, %{{.*}} : vector<16xi32>
// PACKW: arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// PACKW: arith.uitofp %{{.*}} : vector<16xi32> to vector<16xf32>
// PACKW: vector.load %{{.*}}[%{{.*}}, %[[UNIT]], %c2272] : memref<?x2x2304xi8, strided<[{{[0-9]+}}, 2304, 1], offset: ?>>, vector<32xi8>
// PACKW: return
func.func @prepacked_q4_k(%x: tensor<1x512xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "wk" : !llama.weight<32x512xq4_k>
  %y = llama.matmul %x, %w : (tensor<1x512xf32>, !llama.weight<32x512xq4_k>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// packed-weights=true: a Q6_K weight is prepacked per tile and super-block
// (3360 bytes). Each step's quants are the nibble of one load or'ed with
// the high 2 bits of another (at 2048 + 128 (g % 8) + 64 (step / 4)),
// shifted to bits 4 and 5 and masked; steps 0..3 and 4..7 sum apart; the
// two halves' int8 scales (at 3072) are converted and times d (at 3328).
// PACKW: llama.weight_table = [{layout = "rows16", name = "w6", ne = [512, 32], type = 14 : i64}]
// PACKW-LABEL: func.func @prepacked_q6_k
// PACKW: memref.view %{{.*}} : memref<?xi8> to memref<2x2x3360xi8>
// PACKW: scf.parallel
// PACKW-NOT: memref.alloca
// PACKW: %[[NIB:.*]] = vector.load %{{.*}} : memref<?x2x3360xi8, strided<[{{[0-9]+}}, 3360, 1], offset: ?>>, vector<64xi8>
// PACKW: %[[HIGH:.*]] = vector.load %{{.*}} : memref<?x2x3360xi8, strided<[{{[0-9]+}}, 3360, 1], offset: ?>>, vector<64xi8>
// PACKW-NEXT: arith.constant dense<4> : vector<64xi8>
// PACKW-NEXT: %[[SH:.*]] = arith.shli %[[HIGH]], %{{.*}} : vector<64xi8>
// PACKW-NEXT: arith.constant dense<48> : vector<64xi8>
// PACKW-NEXT: %[[HB:.*]] = arith.andi %[[SH]], %{{.*}} : vector<64xi8>
// PACKW-NEXT: %[[Q:.*]] = arith.ori %{{.*}}, %[[HB]] : vector<64xi8>
// PACKW-NEXT: llama.dot4_acc avx512vnni %{{.*}}, %[[Q]], %{{.*}}
// PACKW: vector.load %{{.*}}[%{{.*}}, %{{.*}}, %c3328{{.*}}] : memref<?x2x3360xi8, strided<[{{[0-9]+}}, 3360, 1], offset: ?>>, vector<32xi8>
// PACKW: %[[SC:.*]] = vector.load %{{.*}} : memref<?x2x3360xi8, strided<[{{[0-9]+}}, 3360, 1], offset: ?>>, vector<16xi8>
// PACKW: arith.sitofp %[[SC]] : vector<16xi8> to vector<16xf32>
// PACKW: return
func.func @prepacked_q6_k(%x: tensor<1x512xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w6" : !llama.weight<32x512xq6_k>
  %y = llama.matmul %x, %w : (tensor<1x512xf32>, !llama.weight<32x512xq6_k>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// dot = amx: the prefill's activations are quantized in parallel over the
// tokens, and each full block of 16 tokens written again tile by tile
// ([seq/16, K/32, 16, 32]). Per 16-row tile, where the prompt has a block
// of 16 tokens, the weight's quants are decoded once, made signed, into a stack buffer ([K/32, 8, 64]) with the
// groups' scales; then blocks of 16 tokens multiply in AMX tiles, two
// groups per chunk (both products' operands loaded first), their int32 sums
// through a two-slot stack buffer, a chunk scaled while the next one
// multiplies; the remaining tokens take llama.dot4_acc as on avx512vnni.
// AMX-LABEL: func.func @amx_prefill_q4_0
// The buffer is allocated as [blocks * 16, K] (the memory plan bounds every
// dynamic size by the context length) and viewed as [blocks, K/32, 16, 32].
// AMX: %[[XF:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<?x256xi8> into memref<?xi8>
// AMX: %[[XT:.*]] = memref.expand_shape %[[XF]] {{\[\[}}0, 1, 2, 3]] output_shape [%{{.*}}, 8, 16, 32] : memref<?xi8> into memref<?x8x16x32xi8>
// AMX: scf.parallel
// AMX: scf.if
// AMX: vector.store %{{.*}}, %[[XT]]{{.*}} : memref<?x8x16x32xi8>, vector<32xi8>
// AMX: scf.parallel
// AMX: %[[ANY:.*]] = arith.cmpi ne, %{{.*}}, %c0{{.*}} : index
// AMX: scf.if %[[ANY]] {
// AMX: %[[Q:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x8x64xi8>
// AMX: %[[SC:.*]] = memref.alloca() {alignment = 64 : i64} : memref<8x1x16xf32>
// AMX: scf.for
// AMX: arith.subi %{{.*}}, %{{.*}} : vector<64xi8>
// AMX: vector.store %{{.*}}, %[[Q]]
// AMX: vector.store %{{.*}}, %[[SC]]
// AMX: scf.for %{{.*}} step %c16
// AMX: %[[S:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x2x1x16x16xi32>
// AMX: %[[A0:.*]] = amx.tile_load %[[XT]][{{.*}}] : memref<?x8x16x32xi8> into !amx.tile<16x32xi8>
// AMX: %[[B0:.*]] = amx.tile_load %[[Q]][{{.*}}] : memref<8x8x64xi8> into !amx.tile<8x64xi8>
// AMX: %[[A1:.*]] = amx.tile_load %[[XT]]
// AMX: %[[B1:.*]] = amx.tile_load %[[Q]]
// AMX: %[[Z:.*]] = amx.tile_zero : !amx.tile<16x16xi32>
// AMX: amx.tile_muli %[[A0]], %[[B0]], %[[Z]] : !amx.tile<16x32xi8>, !amx.tile<8x64xi8>, !amx.tile<16x16xi32>
// AMX: amx.tile_muli %[[A1]], %[[B1]]
// AMX: amx.tile_store %[[S]][{{.*}}], %{{.*}} : memref<2x2x1x16x16xi32>, !amx.tile<16x16xi32>
// AMX: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AMX: vector.load %[[SC]]
// AMX: vector.load %[[S]]{{.*}} : memref<2x2x1x16x16xi32>, vector<16xi32>
// AMX: vector.fma
// AMX: amx.tile_muli
// AMX: llama.dot4_acc avx512vnni
// AMX: return
func.func @amx_prefill_q4_0(%x: tensor<?x256xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w4" : !llama.weight<32x256xq4_0>
  %y = llama.matmul %x, %w : (tensor<?x256xf32>, !llama.weight<32x256xq4_0>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Q6_K in AMX tiles: each group's two halves of 16 multiply apart
// (16x16 activation tiles, 4x64 quant tiles) with two scales per group.
// AMX-LABEL: func.func @amx_prefill_q6_k
// AMX: memref.alloca() {alignment = 64 : i64} : memref<16x8x64xi8>
// AMX: memref.alloca() {alignment = 64 : i64} : memref<16x2x16xf32>
// AMX: memref.alloca() {alignment = 64 : i64} : memref<2x1x2x16x16xi32>
// AMX: amx.tile_load %{{.*}} : memref<?x16x16x32xi8> into !amx.tile<16x16xi8>
// AMX: amx.tile_load %{{.*}} : memref<16x8x64xi8> into !amx.tile<4x64xi8>
// AMX: amx.tile_muli {{.*}} : !amx.tile<16x16xi8>, !amx.tile<4x64xi8>, !amx.tile<16x16xi32>
// AMX: return
func.func @amx_prefill_q6_k(%x: tensor<?x512xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w6" : !llama.weight<32x512xq6_k>
  %y = llama.matmul %x, %w : (tensor<?x512xf32>, !llama.weight<32x512xq6_k>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// negative_: a decode step (one token) has no block of 16 tokens: no AMX
// tiles, and its activations are quantized without a tile copy.
// AMX-LABEL: func.func @negative_amx_decode
// AMX-NOT: amx.
// AMX-NOT: memref<?x2x16x32xi8>
// AMX: llama.dot4_acc avx512vnni
// AMX-NOT: amx.
// AMX: return
func.func @negative_amx_decode(%x: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = llama.weight "w4" : !llama.weight<32x64xq4_0>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// A result with a dynamic token count made by a matmul (the logits): the
// matmul reads only the last rows of its input, as many as the caller's
// out-buffer has (generation asks for the last token's only), copied into
// a tensor of their own.
// CHECK-LABEL: func.func @last_rows
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<?x16xf32>)
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x64xf32>
// CHECK: %[[R:.*]] = memref.dim %[[OUT]], %{{.*}} : memref<?x16xf32>
// CHECK: %[[M:.*]] = arith.minui %[[R]], %[[N]] : index
// CHECK: %[[F:.*]] = arith.subi %[[N]], %[[M]] : index
// CHECK: %[[S:.*]] = tensor.extract_slice %{{.*}}[%[[F]], 0] [%[[M]], 64] [1, 1]
// CHECK: linalg.copy ins(%[[S]] : tensor<?x64xf32>)
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[OUT]]
func.func @last_rows(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xf32>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<16x64xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// negative_: a decode step's (static) result and a dynamic one with another
// use keep every row.
// CHECK-LABEL: func.func @negative_last_rows
// CHECK-NOT: tensor.extract_slice
// CHECK: return
func.func @negative_last_rows(%x: tensor<1x64xf32>, %p: tensor<?x64xf32>) -> (tensor<1x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %w = llama.weight "w" : !llama.weight<16x64xf32>
  %y = llama.matmul %x, %w : (tensor<1x64xf32>, !llama.weight<16x64xf32>) -> tensor<1x16xf32>
  %z = llama.matmul %p, %w : (tensor<?x64xf32>, !llama.weight<16x64xf32>) -> tensor<?x16xf32>
  return %y, %z, %z : tensor<1x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// A configuration written by hand is obeyed, whatever the run's target:
// int8 activations and the AVX2 dot instructions, 2 tokens per block.
// CHECK-LABEL: func.func @configured_by_hand
// CHECK: math.round %{{.*}} : vector<32xf32>
// CHECK: llama.kernel_matmul none {{.*}}kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2, token_block = 2>
// CHECK: return
// RK-LABEL: func.func @configured_by_hand
// RK: math.round %{{.*}} : vector<32xf32>
// RK: scf.parallel
// RK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2
// RK: llama.int8_dot avx2
// RK: return
func.func @configured_by_hand(%x: tensor<?x64xf32>) -> tensor<?x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x64xq8_0>
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = avx2, token_block = 2>} : (tensor<?x64xf32>, !llama.weight<16x64xq8_0>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// negative_: 16-row tiles of 24 rows (not a whole number of tiles) are not
// a kernel this op can have.
func.func @negative_config_tiles_24_rows(%x: tensor<?x64xf32>) -> tensor<?x24xf32> {
  %w = llama.weight "w" : !llama.weight<24x64xq4_0>
  // expected-error @+1 {{kernel_config tile_rows = 16, but the op's weights cannot be packed in 16-row tiles}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 4, tile_rows = 16>} : (tensor<?x64xf32>, !llama.weight<24x64xq4_0>) -> tensor<?x24xf32>
  return %y : tensor<?x24xf32>
}

// -----

// negative_: the rows16 layout of a weight that has none (F32).
func.func @negative_config_rows16_f32(%x: tensor<?x256xf32>) -> tensor<?x16xf32> {
  %w = llama.weight "w" : !llama.weight<16x256xf32>
  // expected-error @+1 {{layout = rows16, but weight 'w' ('!llama.weight<16x256xf32>') has no rows16 layout}}
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 4, tile_rows = 16, layout = rows16>} : (tensor<?x256xf32>, !llama.weight<16x256xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// negative_: a weight read in the rows16 layout by one op and in the GGUF
// layout by another (the packed file holds one layout per weight).
func.func @negative_config_rows16_shared(%x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %w = llama.weight "w" : !llama.weight<16x64xq8_0>
  %y = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 4, tile_rows = 16, layout = rows16>} : (tensor<?x64xf32>, !llama.weight<16x64xq8_0>) -> tensor<?x16xf32>
  // expected-error @+1 {{weight 'w' is read in the rows16 layout by another op, but in the GGUF layout here}}
  %z = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 4>} : (tensor<?x64xf32>, !llama.weight<16x64xq8_0>) -> tensor<?x16xf32>
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// negative_: only the matmul-family ops read packed tiles.
func.func @negative_config_rows16_embedding(%tok: tensor<?xi32>) -> tensor<?x64xf32> {
  %t = llama.weight "t" : !llama.weight<512x64xq8_0>
  // expected-error @+1 {{layout = rows16 is for llama.matmul, llama.matmul_swiglu and llama.qkv_rope}}
  %x = llama.embedding %t, %tok {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 4, tile_rows = 16, layout = rows16>} : (!llama.weight<512x64xq8_0>, tensor<?xi32>) -> tensor<?x64xf32>
  return %x : tensor<?x64xf32>
}

// -----

// AVX2 takes the same 16-row tiles, prepacked, with llama.dot4_acc avx2
// (two 256-bit halves each, lowered by llama-lower-int8-dot): Q8_0's
// quants stored + 128 take 8 bits, so each step flips them back to signed
// (one xor for all the block's tokens) and multiplies them {lhs_signed},
// the dots then carrying no bias; Q4_0's nibbles take 4 bits (lhs_small,
// lhs_max = 15). 4 tokens per block.
// AVX2T-LABEL: func.func @avx2_tiles
// AVX2T: scf.parallel
// AVX2T: %[[FLIP:.*]] = arith.xori %{{.*}}, %{{.*}} : vector<64xi8>
// AVX2T: llama.dot4_acc avx2 %{{.*}}, %[[FLIP]], %{{.*}} {lhs_signed} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// AVX2T: llama.dot4_acc avx2 %{{.*}}, %[[FLIP]], %{{.*}} {lhs_signed} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// AVX2T-NOT: arith.constant 1.280000e+02
// AVX2T: scf.parallel
// AVX2T: llama.dot4_acc avx2 %{{.*}}, %{{.*}}, %{{.*}} {lhs_max = 15 : i64, lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
// AVX2T-NOT: llama.int8_dot
// AVX2T: return
func.func @avx2_tiles(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %w8 = llama.weight "w8" : !llama.weight<32x64xq8_0>
  %w4 = llama.weight "w4" : !llama.weight<32x64xq4_0>
  %a = llama.matmul %x, %w8 : (tensor<?x64xf32>, !llama.weight<32x64xq8_0>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %w4 : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// llama.qkv_rope in packed tiles: one activation prologue, the rotation
// table of the tokens' angles (a linalg.generic: [tokens, 2, 32] for heads
// of 32 features, a token's row per parallel task), then Q, K and V as three row-tiled llama.kernel_matmul,
// Q and K with the rope epilogue reading their tile's 16 columns of the
// table (y * cos + swap(y) * sin), V plain; features from n_rot = 16 on
// are left as they are (cos 1, sin 0 in the table). The outputs are the
// [tokens, rows] results viewed as [tokens, heads, head_dim].
// PACK-LABEL: func.func @packed_qkv_rope
// PACK: %[[TABLE:.*]] = memref.alloc(%{{.*}}) {{.*}}: memref<?x2x32xf32>
// PACK: scf.parallel (%[[I:.*]]) =
// PACK: %[[ROW:.*]] = memref.subview %[[TABLE]][%[[I]], 0, 0] [1, 2, 32] [1, 1, 1]
// PACK: linalg.generic {{.*}} ins(%{{.*}} : memref<1xi32, {{.*}}>) outs(%[[ROW]] : memref<1x2x32xf32, {{.*}}>)
// PACK: math.exp
// PACK: math.sin
// PACK: arith.cmpi ult, %{{.*}}, %c16{{.*}} : index
// PACK: math.cos
// PACK: arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f32
// PACK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c4{{.*}})
// PACK: %[[COL:.*]] = arith.remui %{{.*}}, %c32{{.*}} : index
// PACK: %[[T:.*]] = memref.subview %[[TABLE]][0, 0, %[[COL]]] [%{{.*}}, 2, 16] [1, 1, 1]
// PACK: llama.dot4_acc avx512vnni
// PACK: vector.shuffle
// PACK: vector.load %[[T]]
// PACK: memref.expand_shape %{{.*}} {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 2, 32] : memref<?x64xf32> into memref<?x2x32xf32>
// PACK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c2{{.*}})
// PACK: vector.shuffle
// PACK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%c2{{.*}})
// PACK-NOT: vector.shuffle
// PACK: return
func.func @packed_qkv_rope(%x: tensor<?x64xf32>, %p: tensor<?xi32>) -> (tensor<?x2x32xf32>, tensor<?x1x32xf32>, tensor<?x1x32xf32>) {
  %wq = llama.weight "wq" : !llama.weight<64x64xq8_0>
  %wk = llama.weight "wk" : !llama.weight<32x64xq8_0>
  %wv = llama.weight "wv" : !llama.weight<32x64xq8_0>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 16 : i64, theta = 1.0e+04 : f32} : (tensor<?x64xf32>, !llama.weight<64x64xq8_0>, !llama.weight<32x64xq8_0>, !llama.weight<32x64xq8_0>, tensor<?xi32>) -> (tensor<?x2x32xf32>, tensor<?x1x32xf32>, tensor<?x1x32xf32>)
  return %q, %k, %v : tensor<?x2x32xf32>, tensor<?x1x32xf32>, tensor<?x1x32xf32>
}

// -----

// On CPUs llama.embedding and llama.rms_norm are structured ops on tensors.
// The embedding is a gather: out[s, k] = table[tokens[s], k], decoded in
// the body. The norm is the scales' fill, sum of squares and scale (in
// place of the sums) and then x * scale * gamma over (tokens, k). In a
// prefill (a dynamic token count) the gather, the scale and the product
// carry `distribute`: one token per parallel task. The sum of squares and
// the product, whose bodies only compute, carry `vector_sizes`: 16 lanes
// along k (the f32 gamma is an operand); the gather, whose body reads the
// table's bytes, does not.
// CHECK-LABEL: func.func @structured_embedding_and_norm
// CHECK: %[[E:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x64xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1, 0]>}
// CHECK: arith.index_cast
// CHECK: linalg.index 1
// CHECK: arith.sitofp
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[E]] : tensor<?x64xf32>) outs(%[[Z]] : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>}
// CHECK: %[[SC:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} outs(%[[SS]] : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>}
// CHECK: math.sqrt
// CHECK: %[[GV:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1]] : memref<1x64xf32> into memref<64xf32>
// CHECK: %[[G:.*]] = bufferization.to_tensor %[[GV]] restrict : memref<64xf32> to tensor<64xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[E]], %[[SC]], %[[G]] : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>) outs(%{{.*}} : tensor<?x64xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1, 0], vector_sizes = [1, 16]>}
// CHECK-NOT: scf.for
// CHECK: return
// After tiling and bufferization each is a parallel loop over tokens,
// the scale's task the fill and sum of its token, all three into its
// token's element of one buffer (no buffer per task).
// RK-LABEL: func.func @structured_embedding_and_norm
// RK: scf.parallel
// RK: linalg.generic {{.*}}ins(%{{.*}} : memref<1xi32, {{.*}}>) outs(%{{.*}} : memref<1x64xf32, {{.*}}>)
// RK: %[[SB:.*]] = memref.alloc(%{{.*}}) {{.*}}: memref<?xf32>
// RK-NOT: memref.alloc
// RK: scf.parallel (%[[I:.*]]) =
// RK: %[[S:.*]] = memref.subview %[[SB]][%[[I]]] [1] [1]
// RK-NOT: memref.alloc
// RK: linalg.fill ins(%{{.*}} : f32) outs(%[[S]] : memref<1xf32, {{.*}}>)
// RK: linalg.generic {{.*}}outs(%[[S]] : memref<1xf32, {{.*}}>)
// RK: linalg.generic {{.*}}outs(%[[S]] : memref<1xf32, {{.*}}>)
// RK: scf.parallel
// RK-NOT: memref.alloc
// RK: linalg.generic {{.*}}ins(%{{.*}}, %{{.*}}, %{{.*}} : memref<1x64xf32, {{.*}}>, memref<1xf32, {{.*}}>, memref<64xf32>) outs(%{{.*}} : memref<1x64xf32, {{.*}}>)
// RK: return
func.func @structured_embedding_and_norm(%t: tensor<?xi32>) -> tensor<?x64xf32> {
  %e = llama.weight "e" : !llama.weight<32x64xq8_0>
  %g = llama.weight "g" : !llama.weight<64xf32>
  %x = llama.embedding %e, %t : (!llama.weight<32x64xq8_0>, tensor<?xi32>) -> tensor<?x64xf32>
  %y = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<?x64xf32>, !llama.weight<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A decode step's single token stays in the calling thread: no
// `distribute`.
// CHECK-LABEL: func.func @negative_structured_single_token
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<1xi32>) outs(%{{.*}} : tensor<1x64xf32>) {
// CHECK-NOT: distribute
// CHECK: return
func.func @negative_structured_single_token(%t: tensor<1xi32>) -> tensor<1x64xf32> {
  %e = llama.weight "e" : !llama.weight<32x64xf32>
  %g = llama.weight "g" : !llama.weight<64xf32>
  %x = llama.embedding %e, %t : (!llama.weight<32x64xf32>, tensor<1xi32>) -> tensor<1x64xf32>
  %y = llama.rms_norm %x, %g {epsilon = 1.0e-05 : f32} : (tensor<1x64xf32>, !llama.weight<64xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
