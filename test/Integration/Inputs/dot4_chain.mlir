// Chains of llama.dot4_acc avx2 steps at the edge of their 16-bit sums
// (llama-lower-int8-dot adds a chain's vpmaddubsw results in 16 bits):
// every lhs byte at lhs_max, every rhs byte at -128 or 127, chains one
// step longer than the longest run each lhs_max allows (runs of 8 steps of
// 15, 4 of 31, 2 of 63: 9, 5 and 3 steps), and mixed bytes. Each chain runs as `avx2` and as `generic` (plain i32 products)
// and prints lane 0 of each and the number of lanes where they differ.
func.func private @printI64(i64)
func.func private @printNewline()

func.func @chain15(%k: i32, %w: vector<64xi8>, %x: vector<64xi8>, %y: vector<64xi8>) -> vector<16xi32> {
  %a = vector.broadcast %k : i32 to vector<16xi32>
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s2 = llama.dot4_acc avx2 %s1, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s3 = llama.dot4_acc avx2 %s2, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s4 = llama.dot4_acc avx2 %s3, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s5 = llama.dot4_acc avx2 %s4, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s6 = llama.dot4_acc avx2 %s5, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s7 = llama.dot4_acc avx2 %s6, %w, %y {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s8 = llama.dot4_acc avx2 %s7, %w, %x {lhs_small, lhs_max = 15} : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s8 : vector<16xi32>
}

func.func @ref15(%k: i32, %w: vector<64xi8>, %x: vector<64xi8>, %y: vector<64xi8>) -> vector<16xi32> {
  %a = vector.broadcast %k : i32 to vector<16xi32>
  %s0 = llama.dot4_acc generic %a, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s1 = llama.dot4_acc generic %s0, %w, %y : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s2 = llama.dot4_acc generic %s1, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s3 = llama.dot4_acc generic %s2, %w, %y : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s4 = llama.dot4_acc generic %s3, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s5 = llama.dot4_acc generic %s4, %w, %y : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s6 = llama.dot4_acc generic %s5, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s7 = llama.dot4_acc generic %s6, %w, %y : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  %s8 = llama.dot4_acc generic %s7, %w, %x : vector<64xi8>, vector<64xi8> -> vector<16xi32>
  return %s8 : vector<16xi32>
}

func.func @chain31(%k: i32, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %a = vector.broadcast %k : i32 to vector<8xi32>
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s2 = llama.dot4_acc avx2 %s1, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s3 = llama.dot4_acc avx2 %s2, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s4 = llama.dot4_acc avx2 %s3, %w, %x {lhs_small, lhs_max = 31} : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s4 : vector<8xi32>
}

func.func @ref31(%k: i32, %w: vector<32xi8>, %x: vector<32xi8>) -> vector<8xi32> {
  %a = vector.broadcast %k : i32 to vector<8xi32>
  %s0 = llama.dot4_acc generic %a, %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s1 = llama.dot4_acc generic %s0, %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s2 = llama.dot4_acc generic %s1, %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s3 = llama.dot4_acc generic %s2, %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  %s4 = llama.dot4_acc generic %s3, %w, %x : vector<32xi8>, vector<32xi8> -> vector<8xi32>
  return %s4 : vector<8xi32>
}

func.func @chain63(%k: i32, %w: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %a = vector.broadcast %k : i32 to vector<4xi32>
  %s0 = llama.dot4_acc avx2 %a, %w, %x {lhs_small, lhs_max = 63} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %s1 = llama.dot4_acc avx2 %s0, %w, %x {lhs_small, lhs_max = 63} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %s2 = llama.dot4_acc avx2 %s1, %w, %x {lhs_small, lhs_max = 63} : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s2 : vector<4xi32>
}

func.func @ref63(%k: i32, %w: vector<16xi8>, %x: vector<16xi8>) -> vector<4xi32> {
  %a = vector.broadcast %k : i32 to vector<4xi32>
  %s0 = llama.dot4_acc generic %a, %w, %x : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %s1 = llama.dot4_acc generic %s0, %w, %x : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  %s2 = llama.dot4_acc generic %s1, %w, %x : vector<16xi8>, vector<16xi8> -> vector<4xi32>
  return %s2 : vector<4xi32>
}

// Prints lane 0 of `got`, then the number of lanes where got != want.
func.func @report16(%got: vector<16xi32>, %want: vector<16xi32>) {
  %l = vector.extract %got[0] : i32 from vector<16xi32>
  %l64 = arith.extsi %l : i32 to i64
  func.call @printI64(%l64) : (i64) -> ()
  func.call @printNewline() : () -> ()
  %ne = arith.cmpi ne, %got, %want : vector<16xi32>
  %ones = arith.extui %ne : vector<16xi1> to vector<16xi64>
  %n = vector.reduction <add>, %ones : vector<16xi64> into i64
  func.call @printI64(%n) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}

func.func @main() {
  %k0 = arith.constant 0 : i32
  %k7 = arith.constant 7 : i32
  %w15 = arith.constant dense<15> : vector<64xi8>
  %xm = arith.constant dense<-128> : vector<64xi8>
  %xp = arith.constant dense<127> : vector<64xi8>
  // lhs 15 everywhere, rhs -128: each lane 9 steps x 4 x 15 x -128.
  %a = func.call @chain15(%k0, %w15, %xm, %xm) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  %ar = func.call @ref15(%k0, %w15, %xm, %xm) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  func.call @report16(%a, %ar) : (vector<16xi32>, vector<16xi32>) -> ()
  // rhs 127, onto an accumulator of 7.
  %b = func.call @chain15(%k7, %w15, %xp, %xp) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  %br = func.call @ref15(%k7, %w15, %xp, %xp) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  func.call @report16(%b, %br) : (vector<16xi32>, vector<16xi32>) -> ()
  // Mixed: lhs bytes 0..15 by position, steps alternating -128 and 127.
  %wm = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 15, 15, 0, 0, 15, 0, 15, 0, 1, 3, 5, 7, 9, 11, 13, 15, 2, 4, 6, 8, 10, 12, 14, 15, 15, 15, 15, 15, 0, 0, 0, 15]> : vector<64xi8>
  %xa = arith.constant dense<[-128, 127, -1, 0, 1, -128, -128, 127, 5, -5, 100, -100, -128, -128, -128, -128, 127, 127, 127, 127, 3, -3, 33, -33, -128, 0, 127, 0, 64, -64, 2, -2, -128, -128, 127, 127, 9, 8, -7, 6, -128, 127, -128, 127, 0, 0, 0, 0, 1, 2, 3, 4, -128, -127, -126, -125, 127, 126, 125, 124, 17, -17, 71, -71]> : vector<64xi8>
  %c = func.call @chain15(%k7, %wm, %xa, %xm) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  %cr = func.call @ref15(%k7, %wm, %xa, %xm) : (i32, vector<64xi8>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  func.call @report16(%c, %cr) : (vector<16xi32>, vector<16xi32>) -> ()
  // lhs 31, 5 steps; lhs 63, 3 steps; rhs -128.
  %w31 = arith.constant dense<31> : vector<32xi8>
  %x32 = arith.constant dense<-128> : vector<32xi8>
  %d = func.call @chain31(%k0, %w31, %x32) : (i32, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
  %dr = func.call @ref31(%k0, %w31, %x32) : (i32, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
  %dw = vector.insert_strided_slice %d, %ar {offsets = [0], strides = [1]} : vector<8xi32> into vector<16xi32>
  %drw = vector.insert_strided_slice %dr, %ar {offsets = [0], strides = [1]} : vector<8xi32> into vector<16xi32>
  func.call @report16(%dw, %drw) : (vector<16xi32>, vector<16xi32>) -> ()
  %w63 = arith.constant dense<63> : vector<16xi8>
  %x16 = arith.constant dense<-128> : vector<16xi8>
  %e = func.call @chain63(%k0, %w63, %x16) : (i32, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  %er = func.call @ref63(%k0, %w63, %x16) : (i32, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  %ew = vector.insert_strided_slice %e, %ar {offsets = [0], strides = [1]} : vector<4xi32> into vector<16xi32>
  %erw = vector.insert_strided_slice %er, %ar {offsets = [0], strides = [1]} : vector<4xi32> into vector<16xi32>
  func.call @report16(%ew, %erw) : (vector<16xi32>, vector<16xi32>) -> ()
  return
}
