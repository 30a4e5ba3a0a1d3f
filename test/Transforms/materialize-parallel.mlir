// RUN: llama-opt %s -split-input-file -llama-materialize-parallel -verify-diagnostics | FileCheck %s

// The dispatch stores its captures into a stack struct and calls the runtime
// with a thunk that unpacks them and calls the body.
// CHECK-LABEL: llvm.func internal @__llama_par_0_dispatch(
// CHECK-SAME: %[[P:.*]]: !llvm.ptr, %[[X:.*]]: i64, %[[LB:.*]]: i64, %[[UB:.*]]: i64)
// CHECK: %[[FRAME:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(ptr, i64)>
// CHECK: llvm.store %[[P]]
// CHECK: llvm.store %[[X]]
// CHECK: %[[FN:.*]] = llvm.mlir.addressof @__llama_par_0_thunk
// CHECK: llvm.call @llama_rt_parallel_for(%[[FN]], %[[FRAME]], %[[LB]], %[[UB]])
// CHECK: llvm.func @llama_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
// CHECK: llvm.func internal @__llama_par_0_thunk(%{{.*}}: !llvm.ptr, %[[LO:.*]]: i64, %[[HI:.*]]: i64)
// CHECK: %[[A:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[B:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i64
// CHECK: llvm.call @__llama_par_0(%[[A]], %[[B]], %[[LO]], %[[HI]])
llvm.func @__llama_par_0(%p: !llvm.ptr, %x: i64, %lo: i64, %hi: i64) {
  llvm.return
}
llvm.func @__llama_par_0_dispatch(!llvm.ptr, i64, i64, i64) attributes {llama.parallel_body = @__llama_par_0}

// -----

// Functions without the marker are left alone.
// CHECK-LABEL: llvm.func @negative_plain
// CHECK-NOT: llama_rt_parallel_for
llvm.func @negative_plain(i64)

// -----

llvm.func @body(%x: i64, %lo: i64, %hi: i64) {
  llvm.return
}
// expected-error @+1 {{dispatch and body signatures must be (captures..., i64, i64)}}
llvm.func @bad_dispatch(i64, i64) attributes {llama.parallel_body = @body}
