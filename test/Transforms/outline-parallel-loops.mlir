// RUN: llama-opt %s -split-input-file -llama-outline-parallel-loops -verify-diagnostics | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-outline-parallel-loops=dedupe=false -verify-diagnostics | FileCheck %s --check-prefix=NODEDUPE

// A parallel loop over rows becomes a body function over [lo, hi) and a call
// of its dispatch declaration; constants are cloned, buffers captured.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[IN:.*]]: memref<8xf32>, %[[OUT:.*]]: memref<8xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NOT: scf.parallel
// CHECK: call @__llama_par_0_dispatch(%[[IN]], %[[OUT]], %[[C0]], %[[C8]]) : (memref<8xf32>, memref<8xf32>, index, index) -> ()
// CHECK: func.func private @__llama_par_0(%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>, %[[LO:.*]]: index, %[[HI:.*]]: index)
// CHECK: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: scf.for %[[I:.*]] = %[[LO]] to %[[HI]]
// CHECK: memref.load %[[A]][%[[I]]]
// CHECK: arith.mulf %{{.*}}, %[[TWO]]
// CHECK: memref.store %{{.*}}, %[[B]][%[[I]]]
// CHECK: func.func private @__llama_par_0_dispatch(memref<8xf32>, memref<8xf32>, index, index) attributes {llama.parallel_body = @__llama_par_0}
func.func @rows(%in: memref<8xf32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %in[%i] : memref<8xf32>
    %d = arith.mulf %v, %two : f32
    memref.store %d, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// Sequential loops are not touched.
// CHECK-LABEL: func.func @negative_sequential
// CHECK: scf.for
// CHECK-NOT: dispatch
func.func @negative_sequential(%m: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %z, %m[%i] : memref<4xf32>
  }
  return
}

// -----

func.func @negative_two_dimensional(%m: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  // expected-error @+1 {{llama-outline-parallel-loops handles one-dimensional loops without reductions}}
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    memref.store %z, %m[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  return
}

// -----

// A scalable vector (SVE) defined above the loop cannot be captured (it has
// no size): its pure defining op moves into the body and its operand is
// captured instead (the original, now unused, is left to the canonicalizer).
// CHECK-LABEL: func.func @scalable_mask
// CHECK-SAME: (%[[N:.*]]: index, %[[OUT:.*]]: memref<8x64xf32>)
// CHECK: call @__llama_par_0_dispatch(%[[N]], %[[OUT]], %{{.*}}, %{{.*}}) : (index, memref<8x64xf32>, index, index) -> ()
// CHECK: func.func private @__llama_par_0(%[[AN:.*]]: index, %{{.*}}: memref<8x64xf32>, %{{.*}}: index, %{{.*}}: index)
// CHECK: scf.for
// CHECK: vector.create_mask %[[AN]] : vector<[4]xi1>
func.func @scalable_mask(%n: index, %out: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant dense<0.0> : vector<[4]xf32>
  %m = vector.create_mask %n : vector<[4]xi1>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    vector.maskedstore %out[%i, %c0], %m, %z : memref<8x64xf32>, vector<[4]xi1>, vector<[4]xf32>
    scf.reduce
  }
  return
}

// -----

// Two layers' loops: the same code (but for the locations) on two layers
// of a cache (views at static offsets 0 and 64, only loaded from) and two
// weights. One body and
// one dispatch stay; the views are passed with a dynamic offset.
// CHECK-LABEL: func.func @layers
// CHECK: %[[L0:.*]] = memref.subview %{{.*}}[0, 0] [1, 64] [1, 1]
// CHECK: %[[L1:.*]] = memref.subview %{{.*}}[1, 0] [1, 64] [1, 1]
// CHECK: %[[G0:.*]] = memref.cast %[[L0]] : memref<64xf32, strided<[1]>> to memref<64xf32, strided<[1], offset: ?>>
// CHECK: call @__llama_par_0_dispatch(%[[G0]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: %[[G1:.*]] = memref.cast %[[L1]] : memref<64xf32, strided<[1], offset: 64>> to memref<64xf32, strided<[1], offset: ?>>
// CHECK: call @__llama_par_0_dispatch(%[[G1]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: func.func private @__llama_par_0(%{{.*}}: memref<64xf32, strided<[1], offset: ?>>,
// CHECK-NOT: func.func private @__llama_par_1
// CHECK: func.func private @__llama_par_0_dispatch(memref<64xf32, strided<[1], offset: ?>>, memref<64xf32>, memref<64xf32>, index, index) attributes {llama.parallel_body = @__llama_par_0}
// CHECK-NOT: func.func private @__llama_par_1
// NODEDUPE-LABEL: func.func @layers
// NODEDUPE: call @__llama_par_0_dispatch
// NODEDUPE: call @__llama_par_1_dispatch
// NODEDUPE: func.func private @__llama_par_0(%{{.*}}: memref<64xf32, strided<[1]>>,
// NODEDUPE: func.func private @__llama_par_1(%{{.*}}: memref<64xf32, strided<[1], offset: 64>>,
func.func @layers(%cache: memref<2x64xf32>, %w0: memref<64xf32>, %w1: memref<64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %l0 = memref.subview %cache[0, 0] [1, 64] [1, 1] : memref<2x64xf32> to memref<64xf32, strided<[1]>>
  %l1 = memref.subview %cache[1, 0] [1, 64] [1, 1] : memref<2x64xf32> to memref<64xf32, strided<[1], offset: 64>>
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %k = memref.load %l0[%i] : memref<64xf32, strided<[1]>>
    %w = memref.load %w0[%i] : memref<64xf32>
    %p = arith.mulf %k, %w : f32 loc("blk.0.mul")
    memref.store %p, %out[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %k = memref.load %l1[%i] : memref<64xf32, strided<[1], offset: 64>>
    %w = memref.load %w1[%i] : memref<64xf32>
    %p = arith.mulf %k, %w : f32 loc("blk.1.mul")
    memref.store %p, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// negative_: bodies that differ (a constant, a view used by a subview, so
// its offset stays static) are kept apart.
// CHECK-LABEL: func.func @negative_different_bodies
// CHECK: call @__llama_par_0_dispatch
// CHECK: call @__llama_par_1_dispatch
// CHECK: call @__llama_par_2_dispatch
// CHECK: func.func private @__llama_par_0(
// CHECK: func.func private @__llama_par_1(
// CHECK: func.func private @__llama_par_2(%{{.*}}: memref<2x64xf32, strided<[64, 1], offset: 64>>
func.func @negative_different_bodies(%cache: memref<4x64xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  %v = memref.subview %cache[1, 0] [2, 64] [1, 1] : memref<4x64xf32> to memref<2x64xf32, strided<[64, 1], offset: 64>>
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %two, %out[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %three, %out[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %row = memref.subview %v[0, 0] [1, 64] [1, 1] : memref<2x64xf32, strided<[64, 1], offset: 64>> to memref<64xf32, strided<[1], offset: 64>>
    %k = memref.load %row[%i] : memref<64xf32, strided<[1], offset: 64>>
    memref.store %k, %out[%i] : memref<64xf32>
    scf.reduce
  }
  return
}
