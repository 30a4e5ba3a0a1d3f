// RUN: llama-opt %s -split-input-file -llama-expand-subgroup-reduce -verify-diagnostics | FileCheck %s

// A warp sum (what llama-lower-to-loops writes for a GPU row dot product,
// attention score or norm) becomes the xor-shuffle butterfly over 32
// lanes, offsets 1, 2, 4, 8, 16, each step adding the partner lane's
// value: every lane ends with the warp's sum.
// CHECK-LABEL: func.func @warp_sum
// CHECK-NOT: gpu.subgroup_reduce
// CHECK: %[[S1:.*]], %{{.*}} = gpu.shuffle xor %[[V:.*]], %c1_i32, %c32_i32{{.*}} : f32
// CHECK: %[[A1:.*]] = arith.addf %[[V]], %[[S1]] : f32
// CHECK: %[[S2:.*]], %{{.*}} = gpu.shuffle xor %[[A1]], %c2_i32
// CHECK: %[[A2:.*]] = arith.addf %[[A1]], %[[S2]] : f32
// CHECK: gpu.shuffle xor %{{.*}}, %c4_i32
// CHECK: gpu.shuffle xor %{{.*}}, %c8_i32
// CHECK: %[[S5:.*]], %{{.*}} = gpu.shuffle xor %[[A4:.*]], %c16_i32
// CHECK: %[[A5:.*]] = arith.addf %[[A4]], %[[S5]] : f32
// CHECK: return %[[A5]]
func.func @warp_sum(%v: f32) -> f32 {
  %r = gpu.subgroup_reduce add %v uniform : (f32) -> f32
  return %r : f32
}

// -----

// A maximum the same way, with arith.maxnumf.
// CHECK-LABEL: func.func @warp_max
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: arith.maxnumf
// CHECK-NOT: gpu.subgroup_reduce
func.func @warp_max(%v: f32) -> f32 {
  %r = gpu.subgroup_reduce maxnumf %v uniform : (f32) -> f32
  return %r : f32
}

// -----

// negative_: a clustered reduction is not expanded; an error names it.
func.func @negative_clustered(%v: f32) -> f32 {
  // expected-error @+1 {{'gpu.subgroup_reduce' op llama-expand-subgroup-reduce: clustered reductions are not expanded}}
  %r = gpu.subgroup_reduce add %v uniform cluster(size = 4) : (f32) -> f32
  return %r : f32
}

// -----

// negative_: a value wider than a 32-bit shuffle is not expanded; an error
// names its type.
func.func @negative_wide(%v: f64) -> f64 {
  // expected-error @+1 {{'gpu.subgroup_reduce' op llama-expand-subgroup-reduce: cannot expand a reduction of 'f64'}}
  %r = gpu.subgroup_reduce add %v uniform : (f64) -> f64
  return %r : f64
}
