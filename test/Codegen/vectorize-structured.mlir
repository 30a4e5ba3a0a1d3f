// RUN: llama-opt %s -split-input-file -llama-vectorize-structured -verify-diagnostics | FileCheck %s

// A sum of squares over k (a task's token of a prefill's RMSNorm) with
// vector sizes [1, 16]: one loop over k in steps of 16 that carries 16
// partial sums in a vector (lane j adds the elements j, j + 16, ...), and
// one horizontal add of the lanes into the zero-filled accumulator after
// it. No linalg op is left but the fill.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-DAG: %[[ZV:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: %[[P:.*]] = scf.for %[[K:.*]] = %{{.*}} to %[[C64]] step %[[C16]] iter_args(%[[ACC:.*]] = %[[ZV]]) -> (vector<16xf32>) {
// CHECK: %[[V:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %[[K]]], %{{.*}} {in_bounds = [true]} : tensor<1x64xf32>, vector<16xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : vector<16xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[ACC]], %[[SQ]] : vector<16xf32>
// CHECK: scf.yield %[[SUM]] : vector<16xf32>
// CHECK: %[[A:.*]] = vector.transfer_read %[[Z]]
// CHECK: %[[A0:.*]] = vector.extract %[[A]][0]
// CHECK: vector.reduction <add>, %[[P]], %[[A0]] : vector<16xf32> into f32
// CHECK: vector.transfer_write
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @sum_of_squares(%x: tensor<1x64xf32>) -> tensor<1xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<1xf32>) -> tensor<1xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<1x64xf32>) outs(%z : tensor<1xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} {
  ^bb0(%a: f32, %acc: f32):
    %m = arith.mulf %a, %a : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<1xf32>
  return %s : tensor<1xf32>
}

// -----

// The normalized rows x * scale * gamma: a loop over k in steps of 16,
// the row's scale broadcast to the 16 lanes, gamma's 16 elements, one
// vector write into the result per step.
// CHECK-LABEL: func.func @normalized_rows
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args(%[[O:.*]] = %{{.*}}) -> (tensor<1x64xf32>)
// CHECK: %[[X:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %[[K]]]{{.*}} : tensor<1x64xf32>, vector<16xf32>
// CHECK: %[[S:.*]] = vector.transfer_read %{{.*}}[%{{.*}}], %{{.*}} {in_bounds = [true], permutation_map = #{{.*}}} : tensor<1xf32>, vector<16xf32>
// CHECK: %[[G:.*]] = vector.transfer_read %{{.*}}[%[[K]]]{{.*}} : tensor<64xf32>, vector<16xf32>
// CHECK: %[[XS:.*]] = arith.mulf %[[X]], %[[S]] : vector<16xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[XS]], %[[G]] : vector<16xf32>
// CHECK: vector.transfer_write %[[Y]], %[[O]][%{{.*}}, %[[K]]] {in_bounds = [true]} : vector<16xf32>, tensor<1x64xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @normalized_rows(%x: tensor<1x64xf32>, %sc: tensor<1xf32>, %g: tensor<64xf32>) -> tensor<1x64xf32> {
  %e = tensor.empty() : tensor<1x64xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x, %sc, %g : tensor<1x64xf32>, tensor<1xf32>, tensor<64xf32>) outs(%e : tensor<1x64xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.mulf %m, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}

// -----

// A loop whose static extent is its size is not tiled (here the whole op
// is one 2x8 tile, one vector<2x8xf32>); a dynamic one of size 1 is a loop
// of single iterations; linalg.index becomes a vector of the indices.
// CHECK-LABEL: func.func @whole_tile_and_dynamic_loop
// CHECK: %[[N:.*]] = tensor.dim
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args
// CHECK-NOT: scf.for
// CHECK: vector.step : vector<8xindex>
// CHECK: arith.uitofp {{.*}} : vector<8xi64> to vector<8xf32>
// CHECK: vector.transfer_write {{.*}}[%[[I]], {{.*}} : vector<2x8xf32>, tensor<?x2x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @whole_tile_and_dynamic_loop(%x: tensor<?x2x8xf32>) -> tensor<?x2x8xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%x : tensor<?x2x8xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 2, 8]>} {
  ^bb0(%o: f32):
    %k = linalg.index 2 : index
    %i = arith.index_cast %k : index to i64
    %f = arith.uitofp %i : i64 to f32
    linalg.yield %f : f32
  } -> tensor<?x2x8xf32>
  return %y : tensor<?x2x8xf32>
}

// -----

// An op without vector_sizes is left alone, configured or not.
// CHECK-LABEL: func.func @negative_no_vector_sizes
// CHECK: linalg.generic {{.*}}distribute = [1]
// CHECK: linalg.generic
// CHECK-NOT: vector.
// CHECK: return
func.func @negative_no_vector_sizes(%x: tensor<?xf32>) -> tensor<?xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%x : tensor<?xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, distribute = [1]>} {
  ^bb0(%o: f32):
    %r = arith.addf %o, %o : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%y : tensor<?xf32>) {
  ^bb0(%o: f32):
    %r = arith.mulf %o, %o : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  return %z : tensor<?xf32>
}

// -----

func.func @negative_size_does_not_divide(%x: tensor<1x172xf32>) -> tensor<1x172xf32> {
  // expected-error @+1 {{'linalg.generic' op llama-vectorize-structured: vector size 16 does not divide the extent 172 of loop 1}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x172xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<1x172xf32>
  return %y : tensor<1x172xf32>
}

// -----

func.func @negative_dynamic_extent(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{'linalg.generic' op llama-vectorize-structured: vector size 4 of loop 0, whose extent is dynamic: only 1 there}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<?x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [4, 16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  } -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A body that reads memory: the vectorizer takes only tensor operands.
func.func @negative_body_reads_memory(%x: tensor<1x16xf32>, %m: memref<16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{'linalg.generic' op llama-vectorize-structured: the linalg vectorizer does not take this op}}
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : tensor<1x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} {
  ^bb0(%o: f32):
    %k = linalg.index 1 : index
    %g = memref.load %m[%k] : memref<16xf32>
    %r = arith.mulf %o, %g : f32
    linalg.yield %r : f32
  } -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @negative_buffers(%x: memref<1x16xf32>) {
  // expected-error @+1 {{'linalg.generic' op llama-vectorize-structured: vector_sizes on an op on buffers (vectorize before bufferization)}}
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%x : memref<1x16xf32>) attrs = {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, vector_sizes = [1, 16]>} {
  ^bb0(%o: f32):
    linalg.yield %o : f32
  }
  return
}
