// RUN: llama-opt %s -split-input-file -llama-outline-parallel-loops -verify-diagnostics | FileCheck %s

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
