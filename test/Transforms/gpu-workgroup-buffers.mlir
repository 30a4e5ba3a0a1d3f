// RUN: llama-opt %s -split-input-file -verify-diagnostics --pass-pipeline='builtin.module(gpu.module(llama-gpu-workgroup-buffers))' | FileCheck %s

// A block's workgroup alloca (the norms' cross-warp sums) becomes the
// kernel's workgroup attribution, two of them two, in order, in NVVM's
// shared address space 3 and aligned to 16 bytes at least (one asking for
// 64 gets 64); a barrier follows the op marked llama.barrier_after, whose
// marker goes; private allocas stay.
// CHECK-LABEL: gpu.func @block_sum
// CHECK-SAME: workgroup(%[[W:.*]] : memref<4xf32, 3> {llvm.align = 16 : i64}, %[[X:.*]] : memref<2xi32, 3> {llvm.align = 64 : i64})
// CHECK-NOT: #gpu.address_space<workgroup>
// CHECK: memref.alloca() : memref<2xf32>
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[W]][%{{.*}}]
// CHECK: }
// CHECK-NOT: llama.barrier_after
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: memref.load %[[W]]
// CHECK: memref.store %{{.*}}, %[[X]]
// CHECK: gpu.return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @block_sum(%a: memref<?xf32>, %c: i1) kernel {
      %c0 = arith.constant 0 : index
      %t = gpu.thread_id x
      %v = memref.load %a[%t] : memref<?xf32>
      %w = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
      %p = memref.alloca() : memref<2xf32>
      scf.if %c {
        memref.store %v, %w[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      } {llama.barrier_after}
      %s = memref.load %w[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %s, %a[%t] : memref<?xf32>
      %x = memref.alloca() {alignment = 64 : i64} : memref<2xi32, #gpu.address_space<workgroup>>
      %i = arith.constant 1 : i32
      memref.store %i, %x[%c0] : memref<2xi32, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

// A kernel without workgroup allocas or markers is left as it is.
// CHECK-LABEL: gpu.func @negative_no_buffers
// CHECK-SAME: (%{{.*}}: memref<?xf32>) kernel
// CHECK-NOT: workgroup(
// CHECK-NOT: gpu.barrier
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @negative_no_buffers(%a: memref<?xf32>) kernel {
      %p = memref.alloca() : memref<2xf32>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @negative_dynamic(%n: index) kernel {
      // expected-error @+1 {{llama-gpu-workgroup-buffers: a workgroup buffer needs a static shape and the identity layout, got 'memref<?xf32, #gpu.address_space<workgroup>>'}}
      %w = memref.alloca(%n) : memref<?xf32, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @negative_not_a_kernel() {
      // expected-error @+1 {{llama-gpu-workgroup-buffers: a workgroup buffer outside a kernel}}
      %w = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @negative_marker_outside_kernel(%c: i1) {
      // expected-error @+1 {{llama-gpu-workgroup-buffers: a barrier marker outside a kernel}}
      scf.if %c {
      } {llama.barrier_after}
      gpu.return
    }
  }
}
