// RUN: llama-opt %s -split-input-file -llama-merge-gpu-modules -verify-diagnostics | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-merge-gpu-modules="dedupe-kernels=true" -verify-diagnostics | FileCheck %s --check-prefix=DEDUP
// RUN: llama-opt %s -split-input-file -llama-merge-gpu-modules="dedupe-kernels=true" -verify-diagnostics -mlir-print-debuginfo | FileCheck %s --check-prefix=LOCS
module attributes {gpu.container_module} {

  // Two outlined kernels (one per gpu.module, as gpu-kernel-outlining gives
  // them) end up in one gpu.module; the launches follow them.
  // CHECK-LABEL: func.func @two_kernels
  // CHECK: gpu.launch_func @llama_kernels::@k0
  // CHECK: gpu.launch_func @llama_kernels::@k1
  // CHECK: gpu.module @llama_kernels {
  // CHECK-NEXT: gpu.func @k0(%{{.*}}: memref<4xf32>) kernel
  // CHECK: gpu.func @k1(%{{.*}}: memref<4xf32>) kernel
  // CHECK-NOT: gpu.module
  func.func @two_kernels(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @k1::@k1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @k0 {
    gpu.func @k0(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k1 {
    gpu.func @k1(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Two modules that both define @k: the second is renamed, and its launch
// follows the new name.
// CHECK-LABEL: func.func @clash
// CHECK: gpu.launch_func @llama_kernels::@k blocks
// CHECK: gpu.launch_func @llama_kernels::@[[K2:k_[0-9]+]] blocks
// CHECK: gpu.module @llama_kernels {
// CHECK: gpu.func @k(
// CHECK: gpu.func @[[K2]](
module attributes {gpu.container_module} {
  func.func @clash(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @b::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @a {
    gpu.func @k(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @b {
    gpu.func @k(%m: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Two modules whose kernels call a helper of the same name: the second
// module's helper is renamed together with the call to it, so each kernel
// still calls its own module's helper.
// CHECK-LABEL: func.func @helper_clash
// CHECK: gpu.module @llama_kernels {
// CHECK: func.func @helper(%{{.*}}: f32) -> f32
// CHECK: arith.addf
// CHECK: gpu.func @ka(
// CHECK: call @helper(
// CHECK: func.func @[[H2:helper_[0-9]+]](%{{.*}}: f32) -> f32
// CHECK: arith.mulf
// CHECK: gpu.func @kb(
// CHECK: call @[[H2]](
module attributes {gpu.container_module} {
  func.func @helper_clash(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@ka blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @b::@kb blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @a {
    func.func @helper(%x: f32) -> f32 {
      %y = arith.addf %x, %x : f32
      return %y : f32
    }
    gpu.func @ka(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = func.call @helper(%v) : (f32) -> f32
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @b {
    func.func @helper(%x: f32) -> f32 {
      %y = arith.mulf %x, %x : f32
      return %y : f32
    }
    gpu.func @kb(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = func.call @helper(%v) : (f32) -> f32
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// No gpu.module: nothing changes.
// CHECK-LABEL: func.func @negative_no_kernels
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @negative_no_kernels() {
    return
  }
}

// -----

// A module that already has a target was lowered past this pass's place.
module attributes {gpu.container_module} {
  // expected-error @+1 {{has targets or an offloading handler; llama-merge-gpu-modules runs before nvvm-attach-target}}
  gpu.module @negative_with_target [#nvvm.target<chip = "sm_90">] {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// -----

// The merged module's name is taken.
// expected-error @+1 {{llama-merge-gpu-modules: a symbol named 'llama_kernels' exists already}}
module attributes {gpu.container_module} {
  func.func private @llama_kernels()
  gpu.module @negative_name_taken {
    gpu.func @k() kernel {
      gpu.return
    }
  }
}

// -----

// dedupe-kernels: kernels that differ in name only (two layers' projections)
// become one, and both launches use it; a kernel with another body stays.
// DEDUP-LABEL: func.func @layers
// DEDUP: gpu.launch_func @llama_kernels::@layer0 {{.*}} args(%[[M:.*]] : memref<4xf32>)
// DEDUP-NEXT: gpu.launch_func @llama_kernels::@layer0 {{.*}} args(%[[M]] : memref<4xf32>)
// DEDUP-NEXT: gpu.launch_func @llama_kernels::@other
// DEDUP: gpu.module @llama_kernels {
// DEDUP: gpu.func @layer0(
// DEDUP-NOT: gpu.func @layer1(
// DEDUP: gpu.func @other(
// Their ops' locations differ (blk.0 / blk.1): still one kernel, also when
// locations are printed (-mlir-print-debuginfo).
// LOCS-LABEL: func.func @layers
// LOCS: gpu.func @layer0(
// LOCS-NOT: gpu.func @layer1(
// LOCS: gpu.func @other(
// Without the option both stay.
// CHECK-LABEL: func.func @layers
// CHECK: gpu.func @layer0(
// CHECK: gpu.func @layer1(
module attributes {gpu.container_module} {
  func.func @layers(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @m0::@layer0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @m1::@layer1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @m2::@other blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @m0 {
    gpu.func @layer0(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = arith.addf %v, %v : f32 loc("blk.0.attn")
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @m1 {
    gpu.func @layer1(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = arith.addf %v, %v : f32 loc("blk.1.attn")
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @m2 {
    gpu.func @other(%m: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %m[%c0] : memref<4xf32>
      %r = arith.mulf %v, %v : f32
      memref.store %r, %m[%c0] : memref<4xf32>
      gpu.return
    }
  }
}

// -----

// dedupe-kernels: two layers' KV-cache views differ in their static offset
// only; the kernels take it at run time (offset: ?) and become one, each
// launch casting its view. A view the kernel takes a subview of keeps its
// type (negative_subview), so those two kernels stay apart.
// DEDUP-LABEL: func.func @cache_layers
// DEDUP: %[[V0:.*]] = memref.subview %{{.*}}[0, 0, 0] [1, 16, 8] [1, 1, 1]
// DEDUP: %[[V1:.*]] = memref.subview %{{.*}}[1, 0, 0] [1, 16, 8] [1, 1, 1]
// DEDUP: %[[C0:.*]] = memref.cast %[[V0]] : memref<16x8xf32, strided<[8, 1]>> to memref<16x8xf32, strided<[8, 1], offset: ?>>
// DEDUP: gpu.launch_func @llama_kernels::@write0 {{.*}} args(%[[C0]] : memref<16x8xf32, strided<[8, 1], offset: ?>>)
// DEDUP: %[[C1:.*]] = memref.cast %[[V1]] : memref<16x8xf32, strided<[8, 1], offset: 128>> to memref<16x8xf32, strided<[8, 1], offset: ?>>
// DEDUP: gpu.launch_func @llama_kernels::@write0 {{.*}} args(%[[C1]] : memref<16x8xf32, strided<[8, 1], offset: ?>>)
// DEDUP: gpu.launch_func @llama_kernels::@negative_subview0 {{.*}} args(%[[V0]] : memref<16x8xf32, strided<[8, 1]>>)
// DEDUP: gpu.launch_func @llama_kernels::@negative_subview1 {{.*}} args(%[[V1]] : memref<16x8xf32, strided<[8, 1], offset: 128>>)
// DEDUP: gpu.func @write0(%{{.*}}: memref<16x8xf32, strided<[8, 1], offset: ?>>) kernel
// DEDUP-NOT: gpu.func @write1(
// DEDUP: gpu.func @negative_subview0(%{{.*}}: memref<16x8xf32, strided<[8, 1]>>) kernel
// DEDUP: gpu.func @negative_subview1(%{{.*}}: memref<16x8xf32, strided<[8, 1], offset: 128>>) kernel
// Without the option the types stay as they are.
// CHECK-LABEL: func.func @cache_layers
// CHECK-NOT: memref.cast
// CHECK: gpu.func @write0(%{{.*}}: memref<16x8xf32, strided<[8, 1]>>) kernel
// CHECK: gpu.func @write1(%{{.*}}: memref<16x8xf32, strided<[8, 1], offset: 128>>) kernel
module attributes {gpu.container_module} {
  func.func @cache_layers(%cache: memref<2x16x8xf32>) {
    %c1 = arith.constant 1 : index
    %v0 = memref.subview %cache[0, 0, 0] [1, 16, 8] [1, 1, 1] : memref<2x16x8xf32> to memref<16x8xf32, strided<[8, 1]>>
    %v1 = memref.subview %cache[1, 0, 0] [1, 16, 8] [1, 1, 1] : memref<2x16x8xf32> to memref<16x8xf32, strided<[8, 1], offset: 128>>
    gpu.launch_func @m0::@write0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v0 : memref<16x8xf32, strided<[8, 1]>>)
    gpu.launch_func @m1::@write1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v1 : memref<16x8xf32, strided<[8, 1], offset: 128>>)
    gpu.launch_func @m2::@negative_subview0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v0 : memref<16x8xf32, strided<[8, 1]>>)
    gpu.launch_func @m3::@negative_subview1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v1 : memref<16x8xf32, strided<[8, 1], offset: 128>>)
    return
  }
  gpu.module @m0 {
    gpu.func @write0(%v: memref<16x8xf32, strided<[8, 1]>>) kernel {
      %c0 = arith.constant 0 : index
      %f = arith.constant 1.0 : f32
      memref.store %f, %v[%c0, %c0] : memref<16x8xf32, strided<[8, 1]>>
      gpu.return
    }
  }
  gpu.module @m1 {
    gpu.func @write1(%v: memref<16x8xf32, strided<[8, 1], offset: 128>>) kernel {
      %c0 = arith.constant 0 : index
      %f = arith.constant 1.0 : f32
      memref.store %f, %v[%c0, %c0] : memref<16x8xf32, strided<[8, 1], offset: 128>>
      gpu.return
    }
  }
  gpu.module @m2 {
    gpu.func @negative_subview0(%v: memref<16x8xf32, strided<[8, 1]>>) kernel {
      %r = memref.subview %v[0, 0] [1, 8] [1, 1] : memref<16x8xf32, strided<[8, 1]>> to memref<8xf32, strided<[1]>>
      gpu.return
    }
  }
  gpu.module @m3 {
    gpu.func @negative_subview1(%v: memref<16x8xf32, strided<[8, 1], offset: 128>>) kernel {
      %r = memref.subview %v[0, 0] [1, 8] [1, 1] : memref<16x8xf32, strided<[8, 1], offset: 128>> to memref<8xf32, strided<[1], offset: 128>>
      gpu.return
    }
  }
}
