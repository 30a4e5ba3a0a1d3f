// RUN: llama-opt %s -split-input-file -verify-diagnostics -llama-emulate-gpu-kernels | FileCheck %s

// A warp-sum kernel: the copy is a public func.func with the kernel's
// arguments; index ops, the shuffle (its f32 value bitcast to i32, mode 0 =
// xor) and the barrier call the emulator; the kernel and the launch stay.
// CHECK-LABEL: gpu.module @llama_kernels
// CHECK: gpu.func @warp_sum(%{{.*}}: memref<?xf32>) kernel
// CHECK: gpu.shuffle xor
// CHECK-LABEL: func.func @host
// CHECK: gpu.launch_func @llama_kernels::@warp_sum
// CHECK-LABEL: func.func @__llama_emu_warp_sum(
// CHECK-SAME: %[[A:.*]]: memref<?xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : i32
// CHECK: %[[T:.*]] = call @llama_rt_emu_index(%[[C0]]) : (i32) -> index
// CHECK: %[[C3:.*]] = arith.constant 3 : i32
// CHECK: %[[B:.*]] = call @llama_rt_emu_index(%[[C3]]) : (i32) -> index
// CHECK: %[[V:.*]] = memref.load %[[A]][%[[T]]]
// CHECK: %[[VI:.*]] = arith.bitcast %[[V]] : f32 to i32
// CHECK: %[[M:.*]] = arith.constant 0 : i32
// CHECK: %[[R:.*]] = call @llama_rt_emu_shuffle(%[[VI]], %{{.*}}, %{{.*}}, %[[M]]) : (i32, i32, i32, i32) -> i32
// CHECK: %[[RF:.*]] = arith.bitcast %[[R]] : i32 to f32
// CHECK: arith.addf %[[V]], %[[RF]]
// CHECK: call @llama_rt_emu_barrier() : () -> ()
// CHECK: memref.store %{{.*}}, %[[A]][%[[B]]]
// CHECK: return
// CHECK-NOT: gpu.
// CHECK: func.func private @llama_rt_emu_index(i32) -> index
// CHECK: func.func private @llama_rt_emu_shuffle(i32, i32, i32, i32) -> i32
// CHECK: func.func private @llama_rt_emu_barrier()
module attributes {gpu.container_module} {
  gpu.module @llama_kernels {
    gpu.func @warp_sum(%a: memref<?xf32>) kernel {
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %v = memref.load %a[%t] : memref<?xf32>
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %s, %ok = gpu.shuffle xor %v, %c1, %c32 : f32
      %sum = arith.addf %v, %s : f32
      gpu.barrier
      memref.store %sum, %a[%b] : memref<?xf32>
      gpu.return
    }
  }
  func.func @host(%a: memref<?xf32>) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    gpu.launch_func @llama_kernels::@warp_sum blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1) args(%a : memref<?xf32>)
    return
  }
}

// -----

// Block and grid sizes, an i32 shuffle in idx mode (3), no value bitcast.
// CHECK-LABEL: func.func @__llama_emu_sizes
// CHECK-DAG: arith.constant 7 : i32
// CHECK-DAG: arith.constant 11 : i32
// CHECK-NOT: arith.bitcast
// CHECK: call @llama_rt_emu_shuffle
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @sizes(%a: memref<?xi32>) kernel {
      %bd = gpu.block_dim y
      %gd = gpu.grid_dim z
      %v = memref.load %a[%bd] : memref<?xi32>
      %c0 = arith.constant 0 : i32
      %c32 = arith.constant 32 : i32
      %s, %ok = gpu.shuffle idx %v, %c0, %c32 : i32
      memref.store %s, %a[%gd] : memref<?xi32>
      gpu.return
    }
  }
}

// -----

// A device function that is not a kernel gets no copy.
// CHECK-LABEL: gpu.module @k
// CHECK-NOT: func.func @__llama_emu_helper
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @helper(%x: f32) -> f32 {
      gpu.return %x : f32
    }
  }
}

// -----

// A kernel's workgroup buffer becomes a global of the host module (the
// emulator runs one block at a time, whose threads share it), without the
// address space; the copy takes the kernel's arguments only. Before each
// access to it, a call of the emulator's race check: the buffer's address
// and size (16 bytes), the access's byte offset and size, and whether it
// writes.
// CHECK: memref.global "private" @__llama_emu_block_sum_workgroup_0 : memref<4xf32> = uninitialized {alignment = 16 : i64}
// CHECK-LABEL: gpu.module @k
// CHECK: gpu.func @block_sum(%{{.*}}: memref<?xf32>) workgroup(%{{.*}} : memref<4xf32, #gpu.address_space<workgroup>>) kernel
// CHECK-LABEL: func.func @__llama_emu_block_sum(
// CHECK-SAME: %[[A:.*]]: memref<?xf32>) {
// CHECK: %[[W:.*]] = memref.get_global @__llama_emu_block_sum_workgroup_0 : memref<4xf32>
// CHECK: %[[T:.*]] = call @llama_rt_emu_index
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[SIZE:.*]] = arith.constant 16 : index
// CHECK: memref.extract_strided_metadata %[[W]]
// CHECK: arith.addi
// CHECK: %[[OFF:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK: %[[N:.*]] = arith.constant 4 : index
// CHECK: %[[WR:.*]] = arith.constant 1 : i32
// CHECK: call @llama_rt_emu_shared_access(%[[P]], %[[SIZE]], %[[OFF]], %[[N]], %[[WR]]) : (index, index, index, index, i32) -> ()
// CHECK-NEXT: memref.store %{{.*}}, %[[W]][%[[T]]] : memref<4xf32>
// CHECK: call @llama_rt_emu_barrier()
// CHECK: %[[RD:.*]] = arith.constant 0 : i32
// CHECK: call @llama_rt_emu_shared_access(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RD]])
// CHECK-NEXT: %[[V:.*]] = memref.load %[[W]][%{{.*}}] : memref<4xf32>
// CHECK: memref.store %[[V]], %[[A]]
// CHECK: func.func private @llama_rt_emu_shared_access(index, index, index, index, i32)
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @block_sum(%a: memref<?xf32>)
        workgroup(%w: memref<4xf32, #gpu.address_space<workgroup>>) kernel {
      %c0 = arith.constant 0 : index
      %t = gpu.thread_id x
      %v = memref.load %a[%t] : memref<?xf32>
      memref.store %v, %w[%t] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %s = memref.load %w[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %s, %a[%t] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_workgroup_view(%a: memref<?xf32>)
        workgroup(%w: memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      // expected-error @+1 {{cannot emulate kernel 'negative_workgroup_view': its workgroup buffer 0 is used by 'memref.subview' (loads and stores only)}}
      %s = memref.subview %w[0] [4] [1] : memref<32xf32, #gpu.address_space<workgroup>> to memref<4xf32, strided<[1]>, #gpu.address_space<workgroup>>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    // expected-error @+1 {{cannot emulate kernel 'negative_private': it has private memory}}
    gpu.func @negative_private(%a: memref<?xf32>)
        private(%p: memref<4xf32, #gpu.address_space<private>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_valid_used(%a: memref<?xf32>, %f: memref<?xi1>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<?xf32>
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      // expected-error @+1 {{cannot emulate kernel 'negative_valid_used': a shuffle's 'valid' is used}}
      %s, %ok = gpu.shuffle down %v, %c1, %c32 : f32
      memref.store %ok, %f[%c0] : memref<?xi1>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_f64(%a: memref<?xf64>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<?xf64>
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      // expected-error @+1 {{cannot emulate kernel 'negative_f64': shuffle of 'f64' (f32 and i32 only)}}
      %s, %ok = gpu.shuffle xor %v, %c1, %c32 : f64
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_lane_id(%a: memref<?xindex>) kernel {
      // expected-error @+1 {{cannot emulate kernel 'negative_lane_id': no emulation of 'gpu.lane_id'}}
      %l = gpu.lane_id
      %c0 = arith.constant 0 : index
      memref.store %l, %a[%c0] : memref<?xindex>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @a {
    gpu.func @twice() kernel {
      gpu.return
    }
  }
  gpu.module @b {
    // expected-error @+1 {{cannot emulate kernel 'twice': the module already has a symbol '__llama_emu_twice'}}
    gpu.func @twice() kernel {
      gpu.return
    }
  }
}

// -----

// A vector load that claims 16-byte alignment: its address (the aligned
// pointer plus (offset + i * stride) * 4 bytes) goes to the emulator's
// check first. The store claims only its element's 4 bytes: no check.
// CHECK-LABEL: func.func @__llama_emu_aligned(
// CHECK-SAME: %[[A:.*]]: memref<?xf32>, %[[I:.*]]: index)
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK: %{{.*}}, %[[OFF:.*]], %{{.*}}, %[[STRIDE:.*]] = memref.extract_strided_metadata %[[A]]
// CHECK: %[[IS:.*]] = arith.muli %[[I]], %[[STRIDE]] : index
// CHECK: %[[LIN:.*]] = arith.addi %[[OFF]], %[[IS]] : index
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[BYTES:.*]] = arith.muli %[[LIN]], %[[C4]] : index
// CHECK: %[[ADDR:.*]] = arith.addi %[[P]], %[[BYTES]] : index
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: call @llama_rt_emu_check_aligned(%[[ADDR]], %[[C16]]) : (index, index) -> ()
// CHECK: vector.load %[[A]][%[[I]]] {alignment = 16 : i64}
// CHECK-NOT: call @llama_rt_emu_check_aligned
// CHECK: vector.store
// CHECK: func.func private @llama_rt_emu_check_aligned(index, index)
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @aligned(%a: memref<?xf32>, %i: index) kernel {
      %v = vector.load %a[%i] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
      vector.store %v, %a[%i] {alignment = 4 : i64} : memref<?xf32>, vector<4xf32>
      gpu.return
    }
  }
}

// -----

// No alignment claimed: no check, no declaration.
// CHECK-LABEL: func.func @__llama_emu_negative_unaligned(
// CHECK-NOT: llama_rt_emu_check_aligned
// CHECK: return
// CHECK-NOT: llama_rt_emu_check_aligned
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_unaligned(%a: memref<?xf32>, %i: index) kernel {
      %v = vector.load %a[%i] : memref<?xf32>, vector<4xf32>
      vector.store %v, %a[%i] : memref<?xf32>, vector<4xf32>
      gpu.return
    }
  }
}

// -----

// A tensor-core mma (m16n8k16, f16 operands, f32 sums): the lane's A and B
// registers, each two halves bitcast to an i32, its four C values and the
// address of a 4-float buffer (one alloca of the copy for all its mmas)
// go to the emulator, which meets the warp's lanes there; D is read back.
// CHECK-LABEL: func.func @__llama_emu_mma(
// CHECK: %[[OUT:.*]] = memref.alloca() : memref<4xf32>
// CHECK: %[[A0:.*]] = vector.extract %{{.*}}[0] : vector<2xf16> from vector<4x2xf16>
// CHECK: %[[A0W:.*]] = vector.bitcast %[[A0]] : vector<2xf16> to vector<1xi32>
// CHECK: %[[A0I:.*]] = vector.extract %[[A0W]][0] : i32 from vector<1xi32>
// CHECK: %[[C11:.*]] = vector.extract %{{.*}}[1, 1] : f32 from vector<2x2xf32>
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK: call @llama_rt_emu_mma_m16n8k16(%[[A0I]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[C11]], %[[P]]) : (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, index) -> ()
// CHECK-COUNT-4: memref.load %[[OUT]]
// CHECK: %[[D:.*]] = vector.from_elements %{{.*}} : vector<2x2xf32>
// CHECK: call @llama_rt_emu_mma_m16n8k16
// CHECK-NOT: memref.alloca
// CHECK: return
// CHECK: func.func private @llama_rt_emu_mma_m16n8k16(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, index)
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @mma(%a: memref<4x2xf16>, %b: memref<2x2xf16>, %c: memref<2x2xf32>) kernel {
      %c0 = arith.constant 0 : index
      %va = vector.load %a[%c0, %c0] : memref<4x2xf16>, vector<4x2xf16>
      %vb = vector.load %b[%c0, %c0] : memref<2x2xf16>, vector<2x2xf16>
      %vc = vector.load %c[%c0, %c0] : memref<2x2xf32>, vector<2x2xf32>
      %d = nvgpu.mma.sync (%va, %vb, %vc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %e = nvgpu.mma.sync (%va, %vb, %d) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      vector.store %e, %c[%c0, %c0] : memref<2x2xf32>, vector<2x2xf32>
      gpu.return
    }
  }
}

// -----

// negative_: other mma shapes and types (here f16 sums) are not emulated.
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @negative_mma_f16_sums(%a: memref<4x2xf16>, %b: memref<2x2xf16>, %c: memref<2x2xf16>) kernel {
      %c0 = arith.constant 0 : index
      %va = vector.load %a[%c0, %c0] : memref<4x2xf16>, vector<4x2xf16>
      %vb = vector.load %b[%c0, %c0] : memref<2x2xf16>, vector<2x2xf16>
      %vc = vector.load %c[%c0, %c0] : memref<2x2xf16>, vector<2x2xf16>
      // expected-error @+1 {{cannot emulate kernel 'negative_mma_f16_sums': mma.sync other than m16n8k16 of f16 with f32 sums}}
      %d = nvgpu.mma.sync (%va, %vb, %vc) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>
      vector.store %d, %c[%c0, %c0] : memref<2x2xf16>, vector<2x2xf16>
      gpu.return
    }
  }
}
