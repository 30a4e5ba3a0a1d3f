// RUN: llama-opt %s -split-input-file -llama-lower-kernel-attention -verify-diagnostics | FileCheck %s

// A tile (one token, one KV head of an f16 cache, kv_mul = 4): no loops
// around the task. The 4 query rows are loaded once; cache row 0 starts
// every head (its score, sum 1, output V[0]); one loop over rows
// 1 .. positions[0] loads K and V once per row (widened from f16) and
// carries the 4 heads' max, sum and output; each head's output is
// o * (1 / l).
// CHECK-LABEL: func.func @attention_tile
// CHECK-SAME: (%[[Q:.*]]: memref<1x4x8xf32{{.*}}>, %[[P:.*]]: memref<1xi32{{.*}}>, %[[K:.*]]: memref<16x1x8xf16{{.*}}>, %[[V:.*]]: memref<16x1x8xf16{{.*}}>, %[[O:.*]]: memref<1x4x8xf32{{.*}}>)
// CHECK-NOT: scf.for
// CHECK: %[[POS:.*]] = memref.load %[[P]][%c0]
// CHECK: %[[PI:.*]] = arith.index_cast %[[POS]] : i32 to index
// CHECK: %[[END:.*]] = arith.addi %[[PI]], %c1
// CHECK-COUNT-4: vector.load %[[Q]]
// CHECK: %[[K0:.*]] = vector.load %[[K]][%c0{{.*}}, %c0{{.*}}, %c0{{.*}}]
// CHECK: arith.extf %[[K0]] : vector<8xf16> to vector<8xf32>
// CHECK: %[[V0:.*]] = vector.load %[[V]][%c0{{.*}}, %c0{{.*}}, %c0{{.*}}]
// CHECK: %[[V0F:.*]] = arith.extf %[[V0]] : vector<8xf16> to vector<8xf32>
// CHECK-COUNT-4: vector.reduction <add>
// CHECK: scf.for %[[T:.*]] = %c1{{.*}} to %[[END]] step %c1{{.*}} iter_args({{.*}} = %[[V0F]], {{.*}} = %[[V0F]], {{.*}} = %[[V0F]], {{.*}} = %[[V0F]]) -> (f32, f32, f32, f32, f32, f32, f32, f32, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[K]][%[[T]], %c0{{.*}}, %c0{{.*}}]
// CHECK: vector.load %[[V]][%[[T]], %c0{{.*}}, %c0{{.*}}]
// CHECK-NOT: vector.load
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: math.exp
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: arith.divf
// CHECK: vector.store %{{.*}}, %[[O]][%c0{{.*}}, %{{.*}}, %c0{{.*}}]
// CHECK-COUNT-3: vector.store %{{.*}}, %[[O]]
// CHECK-NOT: llama.kernel_attention
func.func @attention_tile(%q: memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>, %p: memref<1xi32, strided<[1], offset: ?>>, %k: memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, %v: memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, %o: memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) {
  llama.kernel_attention q(%q : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) positions(%p : memref<1xi32, strided<[1], offset: ?>>) cache(%k, %v : memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>, memref<16x1x8xf16, strided<[16, 8, 1], offset: ?>>) outs(%o : memref<1x4x8xf32, strided<[64, 8, 1], offset: ?>>) {scale = 0.353553 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

// A whole prefill on buffers (as after bufferization without tiling): a
// loop over the tokens, taken outside-in (token i / 2, or seq - 1 - i / 2
// for odd i), and inside it one over the 2 KV heads; an f32 cache is read
// as it is.
// CHECK-LABEL: func.func @attention_whole_outside_in
// CHECK: %[[SEQ:.*]] = memref.dim %{{.*}}, %c0
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %[[SEQ]] step
// CHECK: %[[H:.*]] = arith.divui %[[I]], %c2
// CHECK: %[[ODD:.*]] = arith.cmpi ne
// CHECK: %[[S:.*]] = arith.select %[[ODD]], %{{.*}}, %[[H]] : index
// CHECK: memref.load %{{.*}}[%[[S]]] : memref<?xi32>
// CHECK: scf.for %[[G:.*]] = %c0{{.*}} to %c2{{.*}} step
// CHECK-NOT: arith.extf
// CHECK: vector.load %{{.*}}[%[[S]], %{{.*}}, %c0{{.*}}] : memref<?x4x8xf32>, vector<8xf32>
// CHECK: vector.load %{{.*}}[%{{.*}}, %[[G]], %c0{{.*}}] : memref<16x2x8xf32>, vector<8xf32>
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, vector<8xf32>, vector<8xf32>)
func.func @attention_whole_outside_in(%q: memref<?x4x8xf32>, %p: memref<?xi32>, %k: memref<16x2x8xf32>, %o: memref<?x4x8xf32>) {
  llama.kernel_attention q(%q : memref<?x4x8xf32>) positions(%p : memref<?xi32>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%o : memref<?x4x8xf32>) {outside_in, scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

// negative_: tokens in order without outside_in: no select (i64
// positions, as the model-level attention allows).
// CHECK-LABEL: func.func @negative_attention_in_order
// CHECK: scf.for %[[I:.*]] = %c0
// CHECK-NOT: arith.select
// CHECK: %[[P:.*]] = memref.load %{{.*}}[%[[I]]] : memref<3xi64>
// CHECK: arith.index_cast %[[P]] : i64 to index
func.func @negative_attention_in_order(%q: memref<3x4x8xf32>, %p: memref<3xi64>, %k: memref<16x2x8xf32>, %o: memref<3x4x8xf32>) {
  llama.kernel_attention q(%q : memref<3x4x8xf32>) positions(%p : memref<3xi64>) cache(%k, %k : memref<16x2x8xf32>, memref<16x2x8xf32>) outs(%o : memref<3x4x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

// negative_: an op on tensors is not lowered (bufferize first).
func.func @negative_attention_on_tensors(%q: tensor<1x4x8xf32>, %p: tensor<1xi32>, %k: memref<16x1x8xf32>, %init: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  // expected-error @+1 {{'llama.kernel_attention' op llama-lower-kernel-attention: the op must be on buffers (bufferize first)}}
  %o = llama.kernel_attention q(%q : tensor<1x4x8xf32>) positions(%p : tensor<1xi32>) cache(%k, %k : memref<16x1x8xf32>, memref<16x1x8xf32>) outs(%init : tensor<1x4x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>} -> tensor<1x4x8xf32>
  return %o : tensor<1x4x8xf32>
}

// -----

// negative_: head_dim rows that are not contiguous cannot be loaded as
// vectors.
func.func @negative_attention_strided_rows(%q: memref<1x4x8xf32, strided<[64, 16, 2]>>, %p: memref<1xi32>, %k: memref<16x1x8xf32>, %o: memref<1x4x8xf32>) {
  // expected-error @+1 {{'llama.kernel_attention' op llama-lower-kernel-attention: rows of head_dim must be contiguous (unit innermost stride), got 'memref<1x4x8xf32, strided<[64, 16, 2]>>'}}
  llama.kernel_attention q(%q : memref<1x4x8xf32, strided<[64, 16, 2]>>) positions(%p : memref<1xi32>) cache(%k, %k : memref<16x1x8xf32>, memref<16x1x8xf32>) outs(%o : memref<1x4x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
  return
}

// -----

// kv_block = 4: after row 0, rows [1, 1 + 4 nb) in blocks of 4, nb =
// positions[s] / 4 (a signed quotient), then the rows left (fewer than 4)
// one by one. A block:
// a loop over its 4 rows loads each K row once and stores both heads'
// scores into a [2, 4] stack buffer; per head, the 4 scores as one
// vector: their max against the running one, one vector exp (stored back
// as the weights), the sum, and one rescale of l and o; a loop over the 4
// rows loads each V row once and adds p_i V_i to both heads' outputs.
// CHECK-LABEL: func.func @attention_row_blocks
// CHECK-SAME: (%[[Q:.*]]: memref<1x2x8xf32>, %[[P:.*]]: memref<1xi32>, %[[K:.*]]: memref<16x1x8xf32>, %[[V:.*]]: memref<16x1x8xf32>, %[[O:.*]]: memref<1x2x8xf32>)
// CHECK: %[[END:.*]] = arith.addi %{{.*}}, %c1
// CHECK: %[[V0:.*]] = vector.load %[[V]][%c0{{.*}}, %c0{{.*}}, %c0{{.*}}]
// CHECK: %[[W:.*]] = memref.alloca() {alignment = 64 : i64} : memref<2x4xf32>
// CHECK: %[[LAST:.*]] = arith.subi %[[END]], %c1
// CHECK: %[[NB:.*]] = arith.divsi %[[LAST]], %c4
// CHECK: %[[N:.*]] = arith.muli %[[NB]], %c4
// CHECK: %[[FIRST:.*]] = arith.addi %c1{{.*}}, %[[N]]
// CHECK: %[[B:.*]]:6 = scf.for %[[R:.*]] = %c1{{.*}} to %[[FIRST]] step %c4{{.*}} iter_args(%[[M0:.*]] = %{{.*}}, %[[M1:.*]] = %{{.*}}, %[[L0:.*]] = %{{.*}}, %[[L1:.*]] = %{{.*}}, %[[O0:.*]] = %[[V0]], %[[O1:.*]] = %[[V0]]) -> (f32, f32, f32, f32, vector<8xf32>, vector<8xf32>)
// CHECK: scf.for %[[I:.*]] = %c0{{.*}} to %c4{{.*}} step
// CHECK: %[[T:.*]] = arith.addi %[[R]], %[[I]]
// CHECK: vector.load %[[K]][%[[T]], %c0{{.*}}, %c0{{.*}}] : memref<16x1x8xf32>, vector<8xf32>
// CHECK: memref.store %{{.*}}, %[[W]][%c0{{.*}}, %[[I]]]
// CHECK: memref.store %{{.*}}, %[[W]][%c1{{.*}}, %[[I]]]
// CHECK: %[[X:.*]] = vector.load %[[W]][%c0{{.*}}, %c0{{.*}}] : memref<2x4xf32>, vector<4xf32>
// CHECK: %[[BM:.*]] = vector.reduction <maximumf>, %[[X]] : vector<4xf32> into f32
// CHECK: %[[MN:.*]] = arith.maximumf %[[M0]], %[[BM]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[M0]], %[[MN]] : f32
// CHECK: %[[C:.*]] = math.exp %[[D]] : f32
// CHECK: %[[XB:.*]] = vector.broadcast %[[MN]] : f32 to vector<4xf32>
// CHECK: %[[XS:.*]] = arith.subf %[[X]], %[[XB]] : vector<4xf32>
// CHECK: %[[PR:.*]] = math.exp %[[XS]] : vector<4xf32>
// CHECK: vector.store %[[PR]], %[[W]][%c0{{.*}}, %c0{{.*}}]
// CHECK: %[[LC:.*]] = arith.mulf %[[L0]], %[[C]] : f32
// CHECK: %[[PS:.*]] = vector.reduction <add>, %[[PR]] : vector<4xf32> into f32
// CHECK: %[[LN:.*]] = arith.addf %[[LC]], %[[PS]] : f32
// CHECK: %[[CB:.*]] = vector.broadcast %[[C]] : f32 to vector<8xf32>
// CHECK: %[[OC:.*]] = arith.mulf %[[O0]], %[[CB]] : vector<8xf32>
// The second head: its own scores (row 1 of the buffer) and state.
// CHECK: %[[X1:.*]] = vector.load %[[W]][%c1{{.*}}, %c0{{.*}}] : memref<2x4xf32>, vector<4xf32>
// CHECK: %[[BM1:.*]] = vector.reduction <maximumf>, %[[X1]]
// CHECK: %[[MN1:.*]] = arith.maximumf %[[M1]], %[[BM1]] : f32
// CHECK: %[[PR1:.*]] = math.exp %{{.*}} : vector<4xf32>
// CHECK: vector.store %[[PR1]], %[[W]][%c1{{.*}}, %c0{{.*}}]
// CHECK: %[[LC1:.*]] = arith.mulf %[[L1]], %{{.*}} : f32
// CHECK: %[[LN1:.*]] = arith.addf %[[LC1]], %{{.*}} : f32
// CHECK: %[[OC1:.*]] = arith.mulf %[[O1]], %{{.*}} : vector<8xf32>
// CHECK: %[[PV:.*]]:2 = scf.for %[[J:.*]] = %c0{{.*}} to %c4{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[OC]], %[[A1:.*]] = %[[OC1]]) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[VT:.*]] = arith.addi %[[R]], %[[J]]
// CHECK: %[[VR:.*]] = vector.load %[[V]][%[[VT]], %c0{{.*}}, %c0{{.*}}] : memref<16x1x8xf32>, vector<8xf32>
// CHECK: %[[PJ:.*]] = memref.load %[[W]][%c0{{.*}}, %[[J]]]
// CHECK: %[[PB:.*]] = vector.broadcast %[[PJ]] : f32 to vector<8xf32>
// CHECK: %[[F0:.*]] = vector.fma %[[PB]], %[[VR]], %[[A0]] : vector<8xf32>
// CHECK: %[[PJ1:.*]] = memref.load %[[W]][%c1{{.*}}, %[[J]]]
// CHECK: %[[PB1:.*]] = vector.broadcast %[[PJ1]] : f32 to vector<8xf32>
// CHECK: %[[F1:.*]] = vector.fma %[[PB1]], %[[VR]], %[[A1]] : vector<8xf32>
// CHECK: scf.yield %[[F0]], %[[F1]] : vector<8xf32>, vector<8xf32>
// CHECK: scf.yield %[[MN]], %[[MN1]], %[[LN]], %[[LN1]], %[[PV]]#0, %[[PV]]#1 : f32, f32, f32, f32, vector<8xf32>, vector<8xf32>
// CHECK: scf.for %{{.*}} = %[[FIRST]] to %[[END]] step %c1{{.*}} iter_args(%{{.*}} = %[[B]]#0, %{{.*}} = %[[B]]#1, %{{.*}} = %[[B]]#2, %{{.*}} = %[[B]]#3, %{{.*}} = %[[B]]#4, %{{.*}} = %[[B]]#5)
func.func @attention_row_blocks(%q: memref<1x2x8xf32>, %p: memref<1xi32>, %k: memref<16x1x8xf32>, %v: memref<16x1x8xf32>, %o: memref<1x2x8xf32>) {
  llama.kernel_attention q(%q : memref<1x2x8xf32>) positions(%p : memref<1xi32>) cache(%k, %v : memref<16x1x8xf32>, memref<16x1x8xf32>) outs(%o : memref<1x2x8xf32>) {scale = 0.5 : f32, kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 4>}
  return
}
