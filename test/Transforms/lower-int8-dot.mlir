// RUN: llama-opt %s -split-input-file -llama-lower-int8-dot | FileCheck %s

// AVX2: |w| and x with w's sign, vpmaddubsw, vpmaddwd against ones.
// CHECK-LABEL: func.func @avx2
// CHECK-SAME: (%[[W:.*]]: vector<32xi8>, %[[X:.*]]: vector<32xi8>)
// CHECK: %[[A:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[W]], %[[W]])
// CHECK: %[[S:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[X]], %[[W]])
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[A]], %[[S]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: return %[[R]]
// CHECK-NOT: llama.int8_dot
func.func @avx2(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot avx2 %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// AVX-512 VNNI: one vpdpbusd on the sign-adjusted operands.
// CHECK-LABEL: func.func @vnni
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK-NOT: pmadd
func.func @vnni(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot avx512vnni %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// lhs_nonneg (unsigned K-quant quants): w is multiplied as unsigned bytes
// directly, no vpsignb, in both x86 forms.
// CHECK-LABEL: func.func @avx2_nonneg
// CHECK-SAME: (%[[W:.*]]: vector<32xi8>, %[[X:.*]]: vector<32xi8>)
// CHECK-NOT: psign
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[W]], %[[X]])
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.*}})
// CHECK-LABEL: func.func @vnni_nonneg
// CHECK-SAME: (%[[W2:.*]]: vector<32xi8>, %[[X2:.*]]: vector<32xi8>)
// CHECK-NOT: psign
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%{{.*}}, %[[W2]], %[[X2]])
func.func @avx2_nonneg(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot avx2 %w, %x {lhs_nonneg} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}
func.func @vnni_nonneg(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot avx512vnni %w, %x {lhs_nonneg} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// negative_: generic and NEON forms are already exact for signed lhs;
// lhs_nonneg changes nothing there.
// CHECK-LABEL: func.func @negative_generic_nonneg
// CHECK: arith.extsi %{{.*}} : vector<32xi8> to vector<32xi16>
func.func @negative_generic_nonneg(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot generic %w, %x {lhs_nonneg} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// NEON dot product: sdot on each 16-byte half, concatenated.
// CHECK-LABEL: func.func @neon
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xi32>, vector<4xi32>
func.func @neon(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot neon_dotprod %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// Generic: plain vector ops, no intrinsics.
// CHECK-LABEL: func.func @generic
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.extsi %{{.*}} : vector<32xi8> to vector<32xi16>
// CHECK: arith.muli
// CHECK: %[[P:.*]] = arith.extsi %{{.*}} : vector<32xi16> to vector<32xi32>
// CHECK: vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12, 16, 20, 24, 28]
// CHECK: vector.shuffle %[[P]], %[[P]] [1, 5, 9, 13, 17, 21, 25, 29]
// CHECK: arith.addi
// CHECK: vector.shuffle %[[P]], %[[P]] [2, 6, 10, 14, 18, 22, 26, 30]
// CHECK: arith.addi
// CHECK: vector.shuffle %[[P]], %[[P]] [3, 7, 11, 15, 19, 23, 27, 31]
// CHECK: arith.addi
func.func @generic(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot generic %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// Other integer vector math is not touched.
// CHECK-LABEL: func.func @negative_plain_muli
// CHECK: arith.muli
// CHECK-NOT: llvm.call_intrinsic
func.func @negative_plain_muli(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<32xi8> {
  %p = arith.muli %w, %x : vector<32xi8>
  return %p : vector<32xi8>
}

// -----

// dot4_acc avx512vnni: one vpdpbusd of the accumulator's width.
// CHECK-LABEL: func.func @dot4_acc_vnni
// CHECK-SAME: (%[[A:.*]]: vector<16xi32>, %[[W:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>, %[[B:.*]]: vector<4xi32>, %[[V:.*]]: vector<16xi8>)
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[A]], %[[W]], %[[X]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: %[[S:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.128"(%[[B]], %[[V]], %[[V]]) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK: return %[[R]], %[[S]]
// CHECK-NOT: llama.dot4_acc
func.func @dot4_acc_vnni(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<64xi8>, %b: vector<4xi32>, %v: vector<16xi8>) -> (vector<16xi32>, vector<4xi32>) {
  %s = llama.dot4_acc avx512vnni %a, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %t = llama.dot4_acc avx512vnni %b, %v, %v : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s, %t : vector<16xi32>, vector<4xi32>
}

// -----

// dot4_acc generic: lhs zero-extended, rhs sign-extended (unsigned by
// signed, as vpdpbusd), lane j adding products 4j..4j+3 onto acc.
// CHECK-LABEL: func.func @dot4_acc_generic
// CHECK-SAME: (%[[A:.*]]: vector<4xi32>, %[[W:.*]]: vector<16xi8>, %[[X:.*]]: vector<16xi8>)
// CHECK-DAG: %[[WU:.*]] = arith.extui %[[W]] : vector<16xi8> to vector<16xi32>
// CHECK-DAG: %[[XS:.*]] = arith.extsi %[[X]] : vector<16xi8> to vector<16xi32>
// CHECK: %[[P:.*]] = arith.muli %[[WU]], %[[XS]]
// CHECK: %[[P0:.*]] = vector.shuffle %[[P]], %[[P]] [0, 4, 8, 12]
// CHECK: %[[S0:.*]] = arith.addi %[[A]], %[[P0]]
// CHECK: vector.shuffle %[[P]], %[[P]] [1, 5, 9, 13]
// CHECK: vector.shuffle %[[P]], %[[P]] [2, 6, 10, 14]
// CHECK: vector.shuffle %[[P]], %[[P]] [3, 7, 11, 15]
// CHECK-NOT: llvm.call_intrinsic
func.func @dot4_acc_generic(%a: vector<4xi32>, %w: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %s = llama.dot4_acc generic %a, %w, %x : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s : vector<4xi32>
}

// -----

// dot4_acc avx2 with lhs_small: per 256-bit half of a 16-lane accumulator,
// vpmaddubsw, vpmaddwd against ones and one add; the halves joined.
// CHECK-LABEL: func.func @dot4_acc_avx2_small
// CHECK-SAME: (%[[A:.*]]: vector<16xi32>, %[[W:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>)
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// CHECK: %[[W0:.*]] = vector.extract_strided_slice %[[W]] {offsets = [0], sizes = [32], strides = [1]}
// CHECK: %[[X0:.*]] = vector.extract_strided_slice %[[X]] {offsets = [0], sizes = [32], strides = [1]}
// CHECK: %[[A0:.*]] = vector.extract_strided_slice %[[A]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK: %[[P0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[W0]], %[[X0]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK: %[[G0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P0]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: %[[S0:.*]] = arith.addi %[[A0]], %[[G0]] : vector<8xi32>
// CHECK: %[[R0:.*]] = vector.insert_strided_slice %[[S0]], %[[A]] {offsets = [0], strides = [1]}
// CHECK: vector.extract_strided_slice %[[W]] {offsets = [32], sizes = [32], strides = [1]}
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[S1:.*]] = arith.addi
// CHECK: %[[R1:.*]] = vector.insert_strided_slice %[[S1]], %[[R0]] {offsets = [8], strides = [1]}
// CHECK: return %[[R1]]
// CHECK-NOT: arith.andi
func.func @dot4_acc_avx2_small(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<64xi8>) -> vector<16xi32> {
  %s = llama.dot4_acc avx2 %a, %w, %x {lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s : vector<16xi32>
}

// -----

// A chain of avx2 steps with lhs_max = 15 (a 4-bit tile's 8 steps over a
// group, each the accumulator of the next): each step's vpmaddubsw per
// 256-bit half where the step was, added in 16 bits to the run's pair sums
// (8 x 2 x 15 x 128 = 30720 fits); where the run ends, per half one
// vpmaddwd against ones and one add onto the chain's accumulator.
// CHECK-LABEL: func.func @dot4_acc_avx2_chain
// CHECK-SAME: (%[[A:.*]]: vector<16xi32>, %[[W:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>, %[[Y:.*]]: vector<64xi8>)
// CHECK: %[[P0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[H0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[Q1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[P1:.*]] = arith.addi %[[P0]], %[[Q1]] : vector<16xi16>
// CHECK: %[[R1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[H1:.*]] = arith.addi %[[H0]], %[[R1]] : vector<16xi16>
// CHECK-COUNT-12: arith.addi %{{.*}} : vector<16xi16>
// CHECK-NOT: pmadd.ub.sw
// CHECK: %[[A0:.*]] = vector.extract_strided_slice %[[A]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK: %[[G0:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK: %[[S0:.*]] = arith.addi %[[A0]], %[[G0]] : vector<8xi32>
// CHECK: %[[J0:.*]] = vector.insert_strided_slice %[[S0]], %[[A]] {offsets = [0], strides = [1]}
// CHECK: %[[A1:.*]] = vector.extract_strided_slice %[[A]] {offsets = [8], sizes = [8], strides = [1]}
// CHECK: %[[G1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK: %[[S1:.*]] = arith.addi %[[A1]], %[[G1]] : vector<8xi32>
// CHECK: %[[J1:.*]] = vector.insert_strided_slice %[[S1]], %[[J0]] {offsets = [8], strides = [1]}
// CHECK-NOT: pmadd
// CHECK: return %[[J1]]
// CHECK-NOT: llama.dot4_acc
func.func @dot4_acc_avx2_chain(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<64xi8>, %y: vector<64xi8>) -> vector<16xi32> {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s2 = llama.dot4_acc avx2 %s1, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s3 = llama.dot4_acc avx2 %s2, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s4 = llama.dot4_acc avx2 %s3, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s5 = llama.dot4_acc avx2 %s4, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s6 = llama.dot4_acc avx2 %s5, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s7 = llama.dot4_acc avx2 %s6, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s7 : vector<16xi32>
}

// -----

// lhs_max = 31 (5-bit quants): runs of at most 4 steps (4 x 2 x 31 x 128 =
// 31744; 5 would overflow 16 bits): 5 steps are a run of 4 (one vpmaddwd)
// and a single step (its own vpmaddwd and add).
// CHECK-LABEL: func.func @dot4_acc_avx2_chain_runs
// CHECK-SAME: (%[[A:.*]]: vector<8xi32>,
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK-NOT: pmadd.ub.sw
// CHECK: %[[G:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK: %[[S:.*]] = arith.addi %[[A]], %[[G]] : vector<8xi32>
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK: %[[G1:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]]
// CHECK: %[[R:.*]] = arith.addi %[[S]], %[[G1]] : vector<8xi32>
// CHECK: return %[[R]]
func.func @dot4_acc_avx2_chain_runs(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s2 = llama.dot4_acc avx2 %s1, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s3 = llama.dot4_acc avx2 %s2, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s4 = llama.dot4_acc avx2 %s3, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s4 : vector<8xi32>
}

// -----

// No 16-bit sums: steps without lhs_max, lhs_max = 127 (one step per
// run), a step whose result has a second use, and steps of different
// lhs_max each take their own vpmaddwd.
// CHECK-LABEL: func.func @negative_dot4_acc_avx2_no_chain
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: arith.addi %{{.*}} : vector<16xi16>
// CHECK-LABEL: func.func @negative_dot4_acc_avx2_max_127
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: arith.addi %{{.*}} : vector<16xi16>
// CHECK-LABEL: func.func @negative_dot4_acc_avx2_two_uses
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: arith.addi %{{.*}} : vector<16xi16>
// CHECK-LABEL: func.func @negative_dot4_acc_avx2_mixed_max
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK-NOT: arith.addi %{{.*}} : vector<16xi16>
func.func @negative_dot4_acc_avx2_no_chain(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s1 : vector<8xi32>
}
func.func @negative_dot4_acc_avx2_max_127(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 127} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 127} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s1 : vector<8xi32>
}
func.func @negative_dot4_acc_avx2_two_uses(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> (vector<8xi32>, vector<8xi32>) {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s0, %s1 : vector<8xi32>, vector<8xi32>
}
func.func @negative_dot4_acc_avx2_mixed_max(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s1 : vector<8xi32>
}

// -----

// lhs_max is an AVX2 matter: the VNNI kinds multiply without 16-bit sums,
// one vpdpbusd per step.
// CHECK-LABEL: func.func @negative_dot4_acc_vnni_chain
// CHECK-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: pmadd
func.func @negative_dot4_acc_vnni_chain(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s0 = llama.dot4_acc avx512vnni %a, %w, %x {lhs_small, lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx512vnni %s0, %w, %x {lhs_small, lhs_max = 15} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s1 : vector<8xi32>
}

// -----

// dot4_acc avx2 without the promise: lhs's low 7 bits and its top bit
// multiplied apart (each pair sum fits 16 bits), both group sums added. On
// 128 bits (4 lanes): the SSSE3/SSE2 forms, no slicing.
// CHECK-LABEL: func.func @negative_dot4_acc_avx2_any_lhs
// CHECK-SAME: (%[[A:.*]]: vector<4xi32>, %[[W:.*]]: vector<16xi8>, %[[X:.*]]: vector<16xi8>)
// CHECK-DAG: %[[LOW7:.*]] = arith.constant dense<127> : vector<16xi8>
// CHECK-DAG: %[[TOP:.*]] = arith.constant dense<-128> : vector<16xi8>
// CHECK-NOT: vector.extract_strided_slice
// CHECK: %[[L:.*]] = arith.andi %[[W]], %[[LOW7]]
// CHECK: %[[T:.*]] = arith.andi %[[W]], %[[TOP]]
// CHECK: %[[PL:.*]] = llvm.call_intrinsic "llvm.x86.ssse3.pmadd.ub.sw.128"(%[[L]], %[[X]]) : (vector<16xi8>, vector<16xi8>) -> vector<8xi16>
// CHECK: %[[GL:.*]] = llvm.call_intrinsic "llvm.x86.sse2.pmadd.wd"(%[[PL]], %{{.*}}) : (vector<8xi16>, vector<8xi16>) -> vector<4xi32>
// CHECK: %[[S:.*]] = arith.addi %[[A]], %[[GL]]
// CHECK: %[[PT:.*]] = llvm.call_intrinsic "llvm.x86.ssse3.pmadd.ub.sw.128"(%[[T]], %[[X]])
// CHECK: %[[GT:.*]] = llvm.call_intrinsic "llvm.x86.sse2.pmadd.wd"(%[[PT]], %{{.*}})
// CHECK: %[[R:.*]] = arith.addi %[[S]], %[[GT]]
// CHECK: return %[[R]]
func.func @negative_dot4_acc_avx2_any_lhs(%a: vector<4xi32>, %w: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %s = llama.dot4_acc avx2 %a, %w, %x : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s : vector<4xi32>
}

// -----

// AVX-VNNI: the 256-bit vpdpbusd (LLVM encodes it VEX where the target has
// AVX-VNNI and no AVX512-VNNI) on the sign-adjusted operands; for
// dot4_acc one per 256-bit half of the 16 lanes, no 512-bit form.
// CHECK-LABEL: func.func @avxvnni
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-LABEL: func.func @dot4_acc_avxvnni
// CHECK-SAME: (%[[A:.*]]: vector<16xi32>, %[[W:.*]]: vector<64xi8>, %[[X:.*]]: vector<64xi8>)
// CHECK: %[[A0:.*]] = vector.extract_strided_slice %[[A]] {offsets = [0], sizes = [8], strides = [1]}
// CHECK: %[[S0:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[A0]], %{{.*}}, %{{.*}}) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK: %[[R0:.*]] = vector.insert_strided_slice %[[S0]], %[[A]] {offsets = [0], strides = [1]}
// CHECK: %[[S1:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: %[[R1:.*]] = vector.insert_strided_slice %[[S1]], %[[R0]] {offsets = [8], strides = [1]}
// CHECK: return %[[R1]]
// CHECK-NOT: vpdpbusd.512
func.func @avxvnni(%w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.int8_dot avxvnni %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}
func.func @dot4_acc_avxvnni(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<64xi8>) -> vector<16xi32> {
  %s = llama.dot4_acc avxvnni %a, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s : vector<16xi32>
}

// -----

// dot4_acc avx2 {lhs_signed}: per half, |lhs| and rhs with lhs's sign
// (vpsignb), then one vpmaddubsw (|lhs| <= 128: no saturation) and
// vpmaddwd; no split of lhs.
// CHECK-LABEL: func.func @dot4_acc_avx2_signed
// CHECK-SAME: (%[[A:.*]]: vector<8xi32>, %[[W:.*]]: vector<32xi8>, %[[X:.*]]: vector<32xi8>)
// CHECK: %[[ABS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[W]], %[[W]])
// CHECK: %[[SX:.*]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[X]], %[[W]])
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[ABS]], %[[SX]])
// CHECK: %[[G:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.*}})
// CHECK: %[[R:.*]] = arith.addi %[[A]], %[[G]]
// CHECK: return %[[R]]
// CHECK-NOT: arith.andi
func.func @dot4_acc_avx2_signed(%a: vector<8xi32>, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %s = llama.dot4_acc avx2 %a, %w, %x {lhs_signed} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s : vector<8xi32>
}

// -----

// {lhs_signed} on the other kinds: generic sign-extends lhs; avx512vnni
// goes by 256-bit halves (no vpsignb on ZMM).
// CHECK-LABEL: func.func @negative_dot4_acc_signed_other_kinds
// CHECK: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK-NOT: arith.extui
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// CHECK-NOT: vpdpbusd.512
func.func @negative_dot4_acc_signed_other_kinds(%a: vector<4xi32>, %w: vector<16xi8>, %b: vector<16xi32>, %v: vector<64xi8>) -> (vector<4xi32>, vector<16xi32>) {
  %s = llama.dot4_acc generic %a, %w, %w {lhs_signed} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %t = llama.dot4_acc avx512vnni %b, %v, %v {lhs_signed} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s, %t : vector<4xi32>, vector<16xi32>
}

// -----

// dot4_acc neon_dotprod: one sdot per 4 lanes (signed by signed: exact for
// lhs_small quants and lhs_signed ones).
// CHECK-LABEL: func.func @dot4_acc_neon
// CHECK-COUNT-4: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"({{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK: llvm.call_intrinsic "llvm.aarch64.neon.sdot.v4i32.v16i8"({{.*}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// CHECK-NOT: vector.insert_strided_slice
// CHECK-NOT: llama.dot4_acc
func.func @dot4_acc_neon(%a: vector<16xi32>, %w: vector<64xi8>, %x: vector<64xi8>, %b: vector<4xi32>, %v: vector<16xi8>) -> (vector<16xi32>, vector<4xi32>) {
  %s = llama.dot4_acc neon_dotprod %a, %w, %x {lhs_small} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %t = llama.dot4_acc neon_dotprod %b, %v, %v {lhs_signed} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s, %t : vector<16xi32>, vector<4xi32>
}
