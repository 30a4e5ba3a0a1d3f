// RUN: llama-opt %s -split-input-file -llama-legalize-float-ops="f16c=false fma=false" | FileCheck %s
// RUN: llama-opt %s -split-input-file -llama-legalize-float-ops="f16c=false" | FileCheck %s --check-prefix=F16ONLY
// RUN: llama-opt %s -split-input-file -llama-legalize-float-ops | FileCheck %s --check-prefix=KEEP

// f16 -> f32 as integer code: the sign to bit 31, exponent and mantissa
// shifted by 13 and rebiased by 112 << 23; inf/NaN rebiased again (NaNs
// quiet); zero and subnormals through one exact f32 subtraction of 2^-14.
// CHECK-LABEL: func.func @extf_f16
// CHECK-NOT: arith.extf
// CHECK: %[[MIN:.*]] = arith.constant 6.10351563E-5 : f32
// CHECK: %[[H:.*]] = arith.bitcast %{{.*}} : f16 to i16
// CHECK: %[[X:.*]] = arith.extui %[[H]] : i16 to i32
// CHECK: arith.andi %[[X]], %c32768_i32
// CHECK: %[[SIGN:.*]] = arith.shli %{{.*}}, %c16_i32
// CHECK: %[[EM:.*]] = arith.andi %[[X]], %c32767_i32
// CHECK: %[[SH:.*]] = arith.shli %[[EM]], %c13_i32
// CHECK: %[[EXP:.*]] = arith.andi %[[SH]], %c260046848_i32
// CHECK: %[[NORM:.*]] = arith.addi %[[SH]], %c939524096_i32
// CHECK: arith.andi %[[X]], %c1023_i32
// CHECK: %[[MZ:.*]] = arith.cmpi eq, %{{.*}}, %c0_i32
// CHECK: %[[QUIET:.*]] = arith.select %[[MZ]], %c0_i32, %c4194304_i32
// CHECK: %[[SP:.*]] = arith.addi %[[NORM]], %c939524096_i32
// CHECK: %[[SPECIAL:.*]] = arith.ori %[[SP]], %[[QUIET]]
// CHECK: arith.addi %[[NORM]], %c8388608_i32
// CHECK: %[[BIASED:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[SUB:.*]] = arith.subf %[[BIASED]], %[[MIN]]
// CHECK: %[[TINY:.*]] = arith.bitcast %[[SUB]] : f32 to i32
// CHECK: %[[ISINF:.*]] = arith.cmpi eq, %[[EXP]], %c260046848_i32
// CHECK: %[[ISSUB:.*]] = arith.cmpi eq, %[[EXP]], %c0_i32
// CHECK: %[[FIN:.*]] = arith.select %[[ISSUB]], %[[TINY]], %[[NORM]]
// CHECK: %[[BITS:.*]] = arith.select %[[ISINF]], %[[SPECIAL]], %[[FIN]]
// CHECK: %[[OR:.*]] = arith.ori %[[BITS]], %[[SIGN]]
// CHECK: %[[R:.*]] = arith.bitcast %[[OR]] : i32 to f32
// CHECK: return %[[R]]
// KEEP-LABEL: func.func @extf_f16
// KEEP: arith.extf %{{.*}} : f16 to f32
func.func @extf_f16(%h: f16) -> f32 {
  %f = arith.extf %h : f16 to f32
  return %f : f32
}

// -----

// Vectors the same, with splat constants.
// CHECK-LABEL: func.func @extf_f16_vector
// CHECK-NOT: arith.extf
// CHECK: arith.bitcast %{{.*}} : vector<8xf16> to vector<8xi16>
// CHECK: arith.extui %{{.*}} : vector<8xi16> to vector<8xi32>
// CHECK: arith.subf %{{.*}} : vector<8xf32>
// CHECK: arith.bitcast %{{.*}} : vector<8xi32> to vector<8xf32>
func.func @extf_f16_vector(%h: vector<8xf16>) -> vector<8xf32> {
  %f = arith.extf %h : vector<8xf16> to vector<8xf32>
  return %f : vector<8xf32>
}

// -----

// fma=false: math.fma and vector.fma as a multiply and an add.
// CHECK-LABEL: func.func @fmas
// CHECK-NOT: math.fma
// CHECK-NOT: vector.fma
// CHECK: %[[P:.*]] = arith.mulf %arg0, %arg1 : f32
// CHECK: arith.addf %[[P]], %arg2 : f32
// CHECK: %[[Q:.*]] = arith.mulf %arg3, %arg3 : vector<4xf32>
// CHECK: arith.addf %[[Q]], %arg3 : vector<4xf32>
// F16ONLY-LABEL: func.func @fmas
// F16ONLY: math.fma
// F16ONLY: vector.fma
func.func @fmas(%a: f32, %b: f32, %c: f32, %v: vector<4xf32>) -> (f32, vector<4xf32>) {
  %x = math.fma %a, %b, %c : f32
  %y = vector.fma %v, %v, %v : vector<4xf32>
  return %x, %y : f32, vector<4xf32>
}

// -----

// negative_: other conversions (bf16, f16 -> f64, f32 -> f64), truncations
// and tensors stay.
// CHECK-LABEL: func.func @negative_other_conversions
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.extf %{{.*}} : f16 to f64
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: arith.extf %{{.*}} : tensor<4xf16> to tensor<4xf32>
func.func @negative_other_conversions(%b: bf16, %h: f16, %f: f32, %t: tensor<4xf16>) -> (f32, f64, f64, f16, tensor<4xf32>) {
  %x = arith.extf %b : bf16 to f32
  %w = arith.extf %h : f16 to f64
  %y = arith.extf %f : f32 to f64
  %z = arith.truncf %f : f32 to f16
  %u = arith.extf %t : tensor<4xf16> to tensor<4xf32>
  return %x, %w, %y, %z, %u : f32, f64, f64, f16, tensor<4xf32>
}
