// RUN: llama-opt %s -split-input-file -verify-diagnostics -llama-plan-memory | FileCheck %s

// Three buffers in a straight line: %a dies at the first use of %b, so %c
// (live with %b only) takes %a's bytes. Largest first: %b (4 KiB) at 0,
// %a (1 KiB) and %c (1 KiB) at 4096. Views alias their buffer: the
// collapse of %a keeps it alive until its use.

// CHECK: module attributes {llama.memory_plan = {arena_bytes = 5120 : i64, straight = {arena = 5120 : i64, buffers = 3 : i64, bytes = 6144 : i64, planned = true}}}
// CHECK: memref.global "private" @__llama_arena : memref<5120xi8> = uninitialized {alignment = 64 : i64}
// CHECK-LABEL: func.func @straight
// CHECK: %[[ARENA:.*]] = memref.get_global @__llama_arena : memref<5120xi8>
// CHECK: %[[OA:.*]] = arith.constant 4096 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][] : memref<5120xi8> to memref<16x16xf32>
// CHECK: %[[OB:.*]] = arith.constant 0 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[OB]]][] : memref<5120xi8> to memref<1024xf32>
// CHECK: %[[OC:.*]] = arith.constant 4096 : index
// CHECK: memref.view %[[ARENA]][%[[OC]]][] : memref<5120xi8> to memref<256xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
module {
  func.func @straight(%x: memref<256xf32>, %out: memref<256xf32>) {
    %c0 = arith.constant 0 : index
    %a = memref.alloc() : memref<16x16xf32>
    %flat = memref.collapse_shape %a [[0, 1]] : memref<16x16xf32> into memref<256xf32>
    memref.copy %x, %flat : memref<256xf32> to memref<256xf32>
    %b = memref.alloc() : memref<1024xf32>
    %v = memref.load %flat[%c0] : memref<256xf32>
    memref.store %v, %b[%c0] : memref<1024xf32>
    %c = memref.alloc() : memref<256xf32>
    %w = memref.load %b[%c0] : memref<1024xf32>
    memref.store %w, %c[%c0] : memref<256xf32>
    memref.copy %c, %out : memref<256xf32> to memref<256xf32>
    memref.dealloc %a : memref<16x16xf32>
    memref.dealloc %b : memref<1024xf32>
    memref.dealloc %c : memref<256xf32>
    return
  }
}

// -----

// Dynamic sizes are bounded by the module's n_ctx (8 here), and asserted
// where they are first used. Two functions share the arena, each planned
// on its own; the arena is the larger plan. A use inside a loop counts at
// the loop.

// CHECK: llama.memory_plan = {arena_bytes = 256 : i64, decode = {arena = 64 : i64, buffers = 1 : i64, bytes = 16 : i64, planned = true}, prefill = {arena = 256 : i64, buffers = 2 : i64, bytes = 256 : i64, planned = true}}
// CHECK: memref.global "private" @__llama_arena : memref<256xi8>
// CHECK-LABEL: func.func @prefill
// CHECK: %[[ARENA:.*]] = memref.get_global @__llama_arena
// CHECK: %[[N:.*]] = memref.dim %arg0
// CHECK: %[[MAX:.*]] = arith.constant 8 : index
// CHECK: %[[OK:.*]] = arith.cmpi ule, %[[N]], %[[MAX]] : index
// CHECK: cf.assert %[[OK]], "llama-plan-memory: a dynamic size exceeds the planned bound 8"
// CHECK: memref.view %[[ARENA]][%{{.*}}][%[[N]]] : memref<256xi8> to memref<?x4xf32>
// CHECK: memref.view %[[ARENA]][%{{.*}}][%[[N]]] : memref<256xi8> to memref<?x4xf32>
// CHECK-LABEL: func.func @decode
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<256xi8> to memref<1x4xf32>
module attributes {llama.hparams = #llama.hparams<dim = 4, hidden_dim = 4, n_layers = 1, n_heads = 1, n_kv_heads = 1, head_dim = 4, n_rot = 4, n_vocab = 4, n_ctx = 8, n_ctx_train = 8, rope_theta = 1.0e+04 : f32, rms_eps = 1.0e-05 : f32, tied_output = false>} {
  func.func @prefill(%x: memref<?x4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %n = memref.dim %x, %c0 : memref<?x4xf32>
    %a = memref.alloc(%n) : memref<?x4xf32>
    %b = memref.alloc(%n) : memref<?x4xf32>
    scf.for %i = %c0 to %n step %c1 {
      %v = memref.load %a[%i, %c0] : memref<?x4xf32>
      memref.store %v, %b[%i, %c0] : memref<?x4xf32>
    }
    memref.copy %b, %x : memref<?x4xf32> to memref<?x4xf32>
    memref.dealloc %a : memref<?x4xf32>
    memref.dealloc %b : memref<?x4xf32>
    return
  }
  func.func @decode(%x: memref<1x4xf32>) {
    %a = memref.alloc() : memref<1x4xf32>
    memref.copy %x, %a : memref<1x4xf32> to memref<1x4xf32>
    memref.copy %a, %x : memref<1x4xf32> to memref<1x4xf32>
    memref.dealloc %a : memref<1x4xf32>
    return
  }
}

// -----

// A layer function (private, called only by entry points): its part of the
// arena is placed like one more buffer of its caller, live from the first
// call to the last (2 KiB): %f, made after the calls, shares its bytes
// (both at 0); %h0 and %h1, live across the calls, go after them. A buffer
// passed to a function of the module that returns no memref is used
// there, not kept: %h0 and %h1 are planned, %h1 beside %h0 (both live at
// the second call).
// CHECK: module attributes {llama.memory_plan = {arena_bytes = 4096 : i64, entry = {arena = 4096 : i64, buffers = 3 : i64, bytes = 4096 : i64, planned = true}, layer = {arena = 2048 : i64, buffers = 1 : i64, bytes = 2048 : i64, planned = true}}}
// CHECK-LABEL: func.func private @layer
// CHECK: %[[OT:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[OT]]][] : memref<4096xi8> to memref<512xf32>
// CHECK-NOT: memref.alloc
// CHECK-LABEL: func.func @entry
// CHECK: %[[O0:.*]] = arith.constant 2048 : index
// CHECK: %[[H0:.*]] = memref.view %{{.*}}[%[[O0]]][] : memref<4096xi8> to memref<256xf32>
// CHECK: call @layer(%{{.*}}, %[[H0]])
// CHECK: %[[O1:.*]] = arith.constant 3072 : index
// CHECK: %[[H1:.*]] = memref.view %{{.*}}[%[[O1]]][] : memref<4096xi8> to memref<256xf32>
// CHECK: call @layer(%[[H0]], %[[H1]])
// CHECK: %[[OF:.*]] = arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%[[OF]]][] : memref<4096xi8> to memref<512xf32>
// CHECK-NOT: memref.alloc
module {
  func.func private @layer(%x: memref<256xf32>, %out: memref<256xf32>) {
    %c1 = arith.constant 1 : index
    %t = memref.alloc() : memref<512xf32>
    %v = memref.load %x[%c1] : memref<256xf32>
    memref.store %v, %t[%c1] : memref<512xf32>
    %w = memref.load %t[%c1] : memref<512xf32>
    memref.store %w, %out[%c1] : memref<256xf32>
    memref.dealloc %t : memref<512xf32>
    return
  }
  func.func @entry(%x: memref<256xf32>, %out: memref<256xf32>) {
    %h0 = memref.alloc() : memref<256xf32>
    func.call @layer(%x, %h0) : (memref<256xf32>, memref<256xf32>) -> ()
    %h1 = memref.alloc() : memref<256xf32>
    func.call @layer(%h0, %h1) : (memref<256xf32>, memref<256xf32>) -> ()
    %c1 = arith.constant 1 : index
    %f = memref.alloc() : memref<512xf32>
    %v = memref.load %h1[%c1] : memref<256xf32>
    memref.store %v, %f[%c1] : memref<512xf32>
    %w = memref.load %f[%c1] : memref<512xf32>
    memref.store %w, %out[%c1] : memref<256xf32>
    memref.dealloc %h0 : memref<256xf32>
    memref.dealloc %h1 : memref<256xf32>
    memref.dealloc %f : memref<512xf32>
    return
  }
}

// -----

// negative_: left alone: a dynamic size with no bound (no n_ctx, no
// option), a returned buffer, one freed only in a nested region, one
// passed to a function without a body (which may keep it), one yielded
// out of an scf.if (the if's result would alias it), one aligned beyond
// the arena's 64 bytes, one in a private function nothing calls, one in a
// public function another calls, and one in a loop.

// CHECK-NOT: llama.memory_plan
// CHECK-NOT: @__llama_arena
// CHECK-LABEL: func.func @negative_unbounded
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK-LABEL: func.func @negative_returned
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_nested_dealloc
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_called
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_yielded
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_overaligned
// CHECK: memref.alloc() {alignment = 128 : i64} : memref<4xf32>
// CHECK-LABEL: func.func private @negative_private
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_callee
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-LABEL: func.func @negative_in_loop
// CHECK: memref.alloc() : memref<4xf32>
module {
  func.func @negative_unbounded(%n: index) {
    %a = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %a : memref<?xf32>
    return
  }
  func.func @negative_returned() -> memref<4xf32> {
    %a = memref.alloc() : memref<4xf32>
    return %a : memref<4xf32>
  }
  func.func @negative_nested_dealloc(%c: i1) {
    %a = memref.alloc() : memref<4xf32>
    scf.if %c {
      memref.dealloc %a : memref<4xf32>
    }
    return
  }
  func.func private @keep(memref<4xf32>)
  func.func @negative_called() {
    %a = memref.alloc() : memref<4xf32>
    func.call @keep(%a) : (memref<4xf32>) -> ()
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func @negative_yielded(%c: i1, %b: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %a = memref.alloc() : memref<4xf32>
    %r = scf.if %c -> memref<4xf32> {
      scf.yield %a : memref<4xf32>
    } else {
      scf.yield %b : memref<4xf32>
    }
    %v = memref.load %r[%c0] : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func @negative_overaligned() {
    %a = memref.alloc() {alignment = 128 : i64} : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func private @negative_private() {
    %a = memref.alloc() : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func @negative_callee() {
    %a = memref.alloc() : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
  func.func @negative_caller() {
    func.call @negative_callee() : () -> ()
    return
  }
  func.func @negative_in_loop(%n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %n step %c1 {
      %a = memref.alloc() : memref<4xf32>
      memref.dealloc %a : memref<4xf32>
    }
    return
  }
}

// -----

// negative_: the arena's name is taken.
// expected-error @+1 {{llama-plan-memory: the module already has a symbol '__llama_arena'}}
module {
  memref.global "private" @__llama_arena : memref<4xi8> = uninitialized
  func.func @f() {
    %a = memref.alloc() : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
}

// -----

// negative_: a plan over 1 GiB is not made (the arena is a static global
// of a small-code-model program): the allocs stay, the summary says why.
// CHECK: llama.memory_plan = {arena_bytes = 0 : i64, negative_too_large = {arena = 1100000000 : i64, buffers = 1 : i64, bytes = 1100000000 : i64, planned = false}}
// CHECK-NOT: @__llama_arena
// CHECK: memref.alloc() : memref<1100000000xi8>
module {
  func.func @negative_too_large() {
    %a = memref.alloc() : memref<1100000000xi8>
    memref.dealloc %a : memref<1100000000xi8>
    return
  }
}
