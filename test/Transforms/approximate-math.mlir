// RUN: llama-opt %s -split-input-file -llama-approximate-math | FileCheck %s

// exp, sin and cos become polynomials: no math op (and so no libm call) is
// left.
// CHECK-LABEL: func.func @exp_sin_cos
// CHECK-NOT: math.exp
// CHECK-NOT: math.sin
// CHECK-NOT: math.cos
// CHECK: arith.mulf
// CHECK: return
func.func @exp_sin_cos(%x: f32, %v: vector<8xf32>) -> (f32, f32, vector<8xf32>) {
  %e = math.exp %x : f32
  %s = math.sin %x : f32
  %c = math.cos %v : vector<8xf32>
  return %e, %s, %c : f32, f32, vector<8xf32>
}

// -----

// sqrt maps to a hardware instruction and is kept.
// CHECK-LABEL: func.func @negative_sqrt_kept
// CHECK: math.sqrt
func.func @negative_sqrt_kept(%x: f32) -> f32 {
  %r = math.sqrt %x : f32
  return %r : f32
}
