// RUN: llama-opt %s -split-input-file -pass-pipeline='builtin.module(gpu.module(llama-gpu-launch-bounds))' -verify-diagnostics | FileCheck %s
// RUN: llama-opt %s -split-input-file -pass-pipeline='builtin.module(gpu.module(llama-gpu-launch-bounds{min-blocks=2}))' -verify-diagnostics | FileCheck %s --check-prefix=TWO
// RUN: not llama-opt %s -split-input-file -pass-pipeline='builtin.module(gpu.module(llama-gpu-launch-bounds{min-blocks=0}))' 2>&1 | FileCheck %s --check-prefix=ZERO

// negative_: a bound of no blocks is refused, naming the option.
// ZERO: error: llama-gpu-launch-bounds: min-blocks must be in [1, 64], got 0

// A kernel with a loop marked by llama-lower-to-loops gets an occupancy
// (PTX .minnctapersm) and loses the marker.
// CHECK-LABEL: gpu.func @rows
// CHECK-SAME: kernel
// CHECK-SAME: nvvm.minctasm = 4 : i32
// CHECK: scf.for
// CHECK-NOT: llama.batched_loads
// CHECK: gpu.return
// TWO-LABEL: gpu.func @rows
// TWO-SAME: nvvm.minctasm = 2 : i32
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @rows(%a: memref<64xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      scf.for %i = %c0 to %c64 step %c1 {
        %v = memref.load %a[%i] : memref<64xf32>
        memref.store %v, %a[%i] : memref<64xf32>
      } {llama.batched_loads}
      gpu.return
    }
  }
}

// -----

// negative_: a kernel without a marked loop gets no bound.
// CHECK-LABEL: gpu.func @negative_unmarked
// CHECK-NOT: nvvm.minctasm
// CHECK: gpu.return
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_unmarked(%a: memref<64xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<64xf32>
      memref.store %v, %a[%c0] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// negative_: a kernel's own bound stays; a device function (not a kernel)
// gets none; both lose their markers.
// CHECK-LABEL: gpu.func @negative_own_bound
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK-NOT: llama.batched_loads
// CHECK-LABEL: gpu.func @negative_not_a_kernel
// CHECK-NOT: nvvm.minctasm
// CHECK-NOT: llama.batched_loads
// CHECK: gpu.return
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_own_bound(%a: memref<64xf32>) kernel attributes {nvvm.minctasm = 1 : i32} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      scf.for %i = %c0 to %c64 step %c1 {
        %v = memref.load %a[%i] : memref<64xf32>
        memref.store %v, %a[%i] : memref<64xf32>
      } {llama.batched_loads}
      gpu.return
    }
    gpu.func @negative_not_a_kernel(%a: memref<64xf32>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c64 = arith.constant 64 : index
      scf.for %i = %c0 to %c64 step %c1 {
        %v = memref.load %a[%i] : memref<64xf32>
        memref.store %v, %a[%i] : memref<64xf32>
      } {llama.batched_loads}
      gpu.return
    }
  }
}
