// RUN: llama-opt %s -split-input-file -llama-lower-gpu-math -verify-diagnostics | FileCheck %s

// The math ops device code uses become NVVM intrinsics (no libdevice);
// fma stays for convert-math-to-llvm.
// CHECK-LABEL: func.func @scalars
// CHECK: llvm.call_intrinsic "llvm.nvvm.floor.f"(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.fabs"(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.round.f"(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call_intrinsic "llvm.nvvm.ceil.f"(%{{.*}}) : (f32) -> f32
// CHECK: math.fma
// CHECK-NOT: math.floor
func.func @scalars(%x: f32) -> f32 {
  %a = math.floor %x : f32
  %b = math.sqrt %a : f32
  %c = math.absf %b : f32
  %d = math.round %c : f32
  %e = math.ceil %d : f32
  %f = math.fma %e, %x, %x : f32
  return %f : f32
}

// -----

// A vector op is computed element by element.
// CHECK-LABEL: func.func @vector
// CHECK: %[[E0:.*]] = vector.extract %{{.*}}[0] : f32 from vector<2xf32>
// CHECK: %[[S0:.*]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%[[E0]])
// CHECK: %[[V0:.*]] = vector.insert %[[S0]], %{{.*}} [0]
// CHECK: %[[E1:.*]] = vector.extract %{{.*}}[1] : f32 from vector<2xf32>
// CHECK: %[[S1:.*]] = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%[[E1]])
// CHECK: %[[V1:.*]] = vector.insert %[[S1]], %[[V0]] [1]
// CHECK: return %[[V1]]
func.func @vector(%x: vector<2xf32>) -> vector<2xf32> {
  %y = math.sqrt %x : vector<2xf32>
  return %y : vector<2xf32>
}

// -----

// f64 has no form here: the op stays, and the check names it.
func.func @negative_f64(%x: f64) -> f64 {
  // expected-error @+1 {{'math.sqrt' op has no NVVM lowering in llama-lower-gpu-math}}
  %y = math.sqrt %x : f64
  return %y : f64
}

// -----

// A transcendental op must have been approximated before.
func.func @negative_exp(%x: f32) -> f32 {
  // expected-error @+1 {{'math.exp' op has no NVVM lowering in llama-lower-gpu-math}}
  %y = math.exp %x : f32
  return %y : f32
}
