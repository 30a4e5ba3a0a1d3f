// RUN: llama-opt %s -split-input-file -llama-gpu-host-buffers -verify-diagnostics | FileCheck %s

// Host buffers that host code touches become managed memory that the
// kernels can use too; their deallocation goes to the runtime (declared
// once).
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
  func.func @host(%n: index, %f: f32) -> f32 {
    %c0 = arith.constant 0 : index
    %a = memref.alloc() : memref<16xf32>
    %b = memref.alloc(%n) : memref<?x8xf32>
    memref.store %f, %a[%c0] : memref<16xf32>
    %v = memref.load %b[%c0, %c0] : memref<?x8xf32>
    memref.dealloc %a : memref<16xf32>
    memref.dealloc %b : memref<?x8xf32>
    return %v : f32
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
func.func @aligned(%f: f32) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.store %f, %a[%c0] : memref<16xf32>
  return
}

// -----

func.func @negative_overaligned() {
  // expected-error @+1 {{llama-gpu-host-buffers: alignment above 256 bytes and symbol operands are not supported}}
  %a = memref.alloc() {alignment = 4096 : i64} : memref<16xf32>
  return
}

// -----

// Host code that reads a buffer a kernel launched since the last wait
// uses (the final copy of the logits) waits first; a later read with no
// launch in between does not wait again.
// CHECK-LABEL: func.func @wait_before_host_access
// CHECK: gpu.launch_func @kernels::@k {{.*}} args(%[[A:.*]] : memref<4xf32>)
// CHECK-NEXT: call @llama_rt_gpu_sync() : () -> ()
// CHECK-NEXT: memref.copy %[[A]], %{{.*}}
// CHECK-NOT: call @llama_rt_gpu_sync
// CHECK: memref.load
// CHECK: func.func private @llama_rt_gpu_sync()
module attributes {gpu.container_module} {
  func.func @wait_before_host_access(%out: memref<4xf32>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    memref.copy %a, %out : memref<4xf32> to memref<4xf32>
    %v = memref.load %a[%c0] : memref<4xf32>
    return %v : f32
  }
  gpu.module @kernels {
    gpu.func @k(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A host loop that launches a kernel and then reads its buffer waits
// inside the loop; host reads of buffers no kernel uses (the offsets
// table) never wait.
// CHECK-LABEL: func.func @negative_untouched_buffers
// CHECK: memref.load %arg1
// CHECK: scf.for
// CHECK: gpu.launch_func
// CHECK-NEXT: call @llama_rt_gpu_sync
// CHECK-NEXT: memref.load %[[B:.*]][
// CHECK-NOT: call @llama_rt_gpu_sync
module attributes {gpu.container_module} {
  func.func @negative_untouched_buffers(%b: memref<4xf32>, %offsets: memref<2xi64>, %n: index) -> i64 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %o = memref.load %offsets[%c0] : memref<2xi64>
    scf.for %i = %c0 to %n step %c1 {
      gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<4xf32>)
      %v = memref.load %b[%c0] : memref<4xf32>
      memref.store %v, %b[%c1] : memref<4xf32>
    }
    %p = memref.load %offsets[%c1] : memref<2xi64>
    %s = arith.addi %o, %p : i64
    return %s : i64
  }
  gpu.module @kernels {
    gpu.func @k(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// The entry points' arguments that the host code only hands to kernels
// (directly, or through views) are recorded by number: the runtime puts
// those buffers (the weights, the KV cache) in device memory. The logits,
// which the host copies, are not.
// CHECK: module attributes {gpu.container_module, llama.gpu_device_only_args = array<i64: 0, 1>}
// CHECK-LABEL: func.func @device_only_prefill
// CHECK-LABEL: func.func @device_only_decode
module attributes {gpu.container_module} {
  func.func @device_only_prefill(%file: memref<?xi8>, %cache: memref<4xf32>, %out: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %file, %c0 : memref<?xi8>
    %w = memref.view %file[%c0][] : memref<?xi8> to memref<4xf32>
    %ws = memref.subview %w[0] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1]>>
    %a = memref.alloc() : memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xf32>, %cache : memref<4xf32>, %a : memref<4xf32>)
    gpu.launch_func @kernels::@half blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%ws : memref<2xf32, strided<[1]>>)
    memref.copy %a, %out : memref<4xf32> to memref<4xf32>
    return
  }
  func.func @device_only_decode(%file: memref<?xi8>, %cache: memref<4xf32>, %out: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %w = memref.view %file[%c0][] : memref<?xi8> to memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xf32>, %cache : memref<4xf32>, %out : memref<4xf32>)
    return
  }
  // Not an entry point (no C interface): its host load does not count.
  func.func @helper(%file: memref<?xi8>) -> i8 {
    %c0 = arith.constant 0 : index
    %v = memref.load %file[%c0] : memref<?xi8>
    return %v : i8
  }
  gpu.module @kernels {
    gpu.func @k(%w: memref<4xf32>, %c: memref<4xf32>, %o: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @half(%w: memref<2xf32, strided<[1]>>) kernel {
      gpu.return
    }
  }
}

// -----

// An argument the host code touches in any entry point stays in managed
// memory: a load through a view (in one entry point only), a call that gets
// it, a loop that carries it. Nothing is recorded.
// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: func.func @negative_host_uses_a
// CHECK-LABEL: func.func @negative_host_uses_b
module attributes {gpu.container_module} {
  func.func @negative_host_uses_a(%file: memref<?xi8>, %cache: memref<4xf32>, %x: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %w = memref.view %file[%c0][] : memref<?xi8> to memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xf32>, %cache : memref<4xf32>, %x : memref<4xf32>)
    call @consume(%cache) : (memref<4xf32>) -> ()
    %r = scf.for %i = %c0 to %c1 step %c1 iter_args(%m = %x) -> (memref<4xf32>) {
      scf.yield %m : memref<4xf32>
    }
    return
  }
  func.func @negative_host_uses_b(%file: memref<?xi8>, %cache: memref<4xf32>, %x: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %w = memref.view %file[%c0][] : memref<?xi8> to memref<4xf32>
    %v = memref.load %w[%c0] : memref<4xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4xf32>, %cache : memref<4xf32>, %x : memref<4xf32>)
    return
  }
  func.func private @consume(memref<4xf32>)
  gpu.module @kernels {
    gpu.func @k(%w: memref<4xf32>, %c: memref<4xf32>, %o: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Buffers that only kernels touch are device memory (an async gpu.alloc
// whose token no one waits for: gpu-to-llvm makes it mgpuMemAlloc with
// hostShared false). A whole, contiguous copy out of one (the logits)
// becomes the runtime's device-to-host copy of its bytes, after the wait
// for the launches. The arguments no kernel gets (the logits) are recorded
// as host memory.
// CHECK: module attributes {gpu.container_module, llama.gpu_device_only_args = array<i64: 0>, llama.gpu_host_only_args = array<i64: 1, 3>}
// CHECK-LABEL: func.func @device_buffers
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[X:.*]], %{{.*}} = gpu.alloc async [%[[T0]]] (%arg2) : memref<?x6xf32>
// CHECK: %[[T1:.*]] = gpu.wait async
// CHECK: %[[Y:.*]], %{{.*}} = gpu.alloc async [%[[T1]]] () : memref<2x3xf16>
// CHECK: gpu.launch_func @kernels::@k {{.*}} args(%[[X]] : memref<?x6xf32>, %[[Y]] : memref<2x3xf16>, %arg0 : memref<4xf32>)
// CHECK-NEXT: call @llama_rt_gpu_sync() : () -> ()
// CHECK-NEXT: %[[C4:.*]] = arith.constant 4 : index
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[N:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK-NEXT: %[[B0:.*]] = arith.muli %[[C4]], %[[N]] : index
// CHECK-NEXT: %[[C6:.*]] = arith.constant 6 : index
// CHECK-NEXT: %[[B:.*]] = arith.muli %[[B0]], %[[C6]] : index
// CHECK-NEXT: %[[D:.*]] = memref.extract_aligned_pointer_as_index %arg1
// CHECK-NEXT: %[[S:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK-NEXT: %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK-NEXT: %[[SI:.*]] = arith.index_cast %[[S]] : index to i64
// CHECK-NEXT: %[[BI:.*]] = arith.index_cast %[[B]] : index to i64
// CHECK-NEXT: call @llama_rt_gpu_download(%[[DI]], %[[SI]], %[[BI]]) : (i64, i64, i64) -> ()
// CHECK-NOT: memref.copy
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[C2B:.*]] = arith.muli %[[C2]], %{{.*}} : index
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: arith.muli %[[C2B]], %[[C3]] : index
// CHECK: call @llama_rt_gpu_download(
// CHECK: call @llama_rt_gpu_free(
// CHECK: call @llama_rt_gpu_free(
// CHECK: func.func private @llama_rt_gpu_download(i64, i64, i64)
module attributes {gpu.container_module} {
  func.func @device_buffers(%w: memref<4xf32>, %logits: memref<?x6xf32>, %n: index, %small: memref<2x3xf16>) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %x = memref.alloc(%n) : memref<?x6xf32>
    %y = memref.alloc() : memref<2x3xf16>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?x6xf32>, %y : memref<2x3xf16>, %w : memref<4xf32>)
    memref.copy %x, %logits : memref<?x6xf32> to memref<?x6xf32>
    memref.copy %y, %small : memref<2x3xf16> to memref<2x3xf16>
    memref.dealloc %x : memref<?x6xf32>
    memref.dealloc %y : memref<2x3xf16>
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<?x6xf32>, %y: memref<2x3xf16>, %w: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Buffers the host code touches stay managed memory, and their copies
// stay host copies: one the host loads from, one that is copied into, and
// one copied out through a strided view (not contiguous). An argument
// some kernel gets (%out) is not host memory; one only copied from is.
// CHECK: module attributes {gpu.container_module, llama.gpu_host_only_args = array<i64: 1>}
// CHECK-LABEL: func.func @negative_host_touched_buffers
// CHECK-NOT: gpu.alloc async
// CHECK-NOT: llama_rt_gpu_download
// CHECK-COUNT-3: gpu.alloc  host_shared
// CHECK-COUNT-2: memref.copy
// CHECK-NOT: llama_rt_gpu_download
module attributes {gpu.container_module} {
  func.func @negative_host_touched_buffers(%out: memref<4xf32>, %in: memref<4xf32>) -> f32 attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = memref.alloc() : memref<4xf32>
    %b = memref.alloc() : memref<4xf32>
    %c = memref.alloc() : memref<8xf32>
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>, %b : memref<4xf32>, %c : memref<8xf32>, %out : memref<4xf32>)
    %v = memref.load %a[%c0] : memref<4xf32>
    memref.copy %in, %b : memref<4xf32> to memref<4xf32>
    %s = memref.subview %c[0] [4] [2] : memref<8xf32> to memref<4xf32, strided<[2]>>
    memref.copy %s, %out : memref<4xf32, strided<[2]>> to memref<4xf32>
    return %v : f32
  }
  gpu.module @kernels {
    gpu.func @k(%a: memref<4xf32>, %b: memref<4xf32>, %c: memref<8xf32>, %o: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
