// RUN: llama-opt %s -split-input-file -llama-flatten-parallel-loops | FileCheck %s

// A tokens x features loop (a residual add) becomes one loop over all
// elements; the body gets its indices back by division and remainder.
// CHECK-LABEL: func.func @add_2d
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-DAG: %[[D:.*]] = arith.remsi %[[I]], %c4096{{.*}} : index
// CHECK-DAG: %[[S:.*]] = arith.divsi %[[I]], %c4096{{.*}} : index
// CHECK: memref.load %{{.*}}[%[[S]], %[[D]]]
// CHECK-NOT: scf.parallel
func.func @add_2d(%a: memref<?x4096xf32>, %b: memref<?x4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  %n = memref.dim %a, %c0 : memref<?x4096xf32>
  scf.parallel (%s, %d) = (%c0, %c0) to (%n, %c4096) step (%c1, %c1) {
    %x = memref.load %a[%s, %d] : memref<?x4096xf32>
    %y = memref.load %b[%s, %d] : memref<?x4096xf32>
    %z = arith.addf %x, %y : f32
    memref.store %z, %a[%s, %d] : memref<?x4096xf32>
    scf.reduce
  }
  return
}

// -----

// A one-dimensional loop is left as it is.
// CHECK-LABEL: func.func @negative_one_dimension
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1)
func.func @negative_one_dimension(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %f, %a[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A loop nested in a parallel loop is serial code of one thread there:
// only the outer loop is flattened.
// CHECK-LABEL: func.func @negative_nested
// CHECK: scf.parallel (%{{.*}}) = (%c0{{.*}}) to (%{{.*}}) step (%c1{{.*}}) {
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c2, %c2)
func.func @negative_nested(%a: memref<4x4x2x2xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    scf.parallel (%k, %l) = (%c0, %c0) to (%c2, %c2) step (%c1, %c1) {
      memref.store %f, %a[%i, %j, %k, %l] : memref<4x4x2x2xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
