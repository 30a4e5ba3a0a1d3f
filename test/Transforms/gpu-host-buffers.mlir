// RUN: llama-opt %s -split-input-file -llama-gpu-host-buffers -verify-diagnostics | FileCheck %s

// Host buffers become managed memory that the kernels can use; their
// deallocation goes to the runtime (declared once).
// CHECK-LABEL: func.func @host
// CHECK: %[[A:.*]] = gpu.alloc  host_shared () : memref<16xf32>
// CHECK: %[[B:.*]] = gpu.alloc  host_shared (%{{.*}}) : memref<?x8xf32>
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[A]] : memref<16xf32> -> index
// CHECK: %[[I:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: call @llama_rt_gpu_free(%[[I]]) : (i64) -> ()
// CHECK: call @llama_rt_gpu_free(
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref.dealloc
// CHECK: gpu.module @kernels
// CHECK: memref.alloca
// CHECK: func.func private @llama_rt_gpu_free(i64)
module attributes {gpu.container_module} {
  func.func @host(%n: index) {
    %a = memref.alloc() : memref<16xf32>
    %b = memref.alloc(%n) : memref<?x8xf32>
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %b : memref<?x8xf32>
    return
  }
  gpu.module @kernels {
    gpu.func @k() kernel {
      %s = memref.alloca() : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A function without buffers is left as it is, and nothing is declared.
// CHECK-LABEL: func.func @negative_no_buffers
// CHECK-NOT: llama_rt_gpu_free
func.func @negative_no_buffers(%m: memref<4xf32>) {
  return
}

// -----

// An alignment managed memory has (bufferization asks for 64) is fine.
// CHECK-LABEL: func.func @aligned
// CHECK: gpu.alloc  host_shared () : memref<16xf32>
func.func @aligned() {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  return
}

// -----

func.func @negative_overaligned() {
  // expected-error @+1 {{llama-gpu-host-buffers: alignment above 256 bytes and symbol operands are not supported}}
  %a = memref.alloc() {alignment = 4096 : i64} : memref<16xf32>
  return
}
