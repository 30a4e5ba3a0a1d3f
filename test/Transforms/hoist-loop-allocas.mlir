// RUN: llama-opt %s -split-input-file -llama-hoist-loop-allocas | FileCheck %s

// A fixed-size buffer of a loop body (in an scf.if inside nested scf.for
// loops) moves to the function's entry: one buffer for every iteration.
// CHECK-LABEL: func.func @serial_loops
// CHECK-NEXT: %[[A:.*]] = memref.alloca() {alignment = 64 : i64} : memref<4x16xi32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.if
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.*}}, %[[A]]
func.func @serial_loops(%n: index, %c: i1, %v: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      scf.if %c {
        %a = memref.alloca() {alignment = 64 : i64} : memref<4x16xi32>
        memref.store %v, %a[%c0, %c1] : memref<4x16xi32>
      }
    }
  }
  return
}

// -----

// negative_: iterations of an scf.parallel may run at once, each needs its
// own buffer; a dynamic size cannot be hoisted; an alloca outside loops is
// left where it is.
// CHECK-LABEL: func.func @negative_parallel_dynamic_toplevel
// CHECK: memref.alloca() : memref<8xf32>
// CHECK: scf.parallel
// CHECK: memref.alloca() : memref<16xf32>
// CHECK: scf.for
// CHECK: memref.alloca(%{{.*}}) : memref<?xf32>
func.func @negative_parallel_dynamic_toplevel(%n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %t = memref.alloca() : memref<8xf32>
  memref.store %v, %t[%c0] : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.alloca() : memref<16xf32>
      memref.store %v, %a[%c0] : memref<16xf32>
    }
    scf.reduce
  }
  scf.for %j = %c0 to %n step %c1 {
    %d = memref.alloca(%n) : memref<?xf32>
    memref.store %v, %d[%c0] : memref<?xf32>
  }
  return
}
