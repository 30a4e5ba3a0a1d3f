// Every f16 bit pattern converted to f32 by llama-legalize-float-ops's
// integer code (scalar and vector<4>), compared bit for bit with LLVM's
// own fpext, NaNs made quiet (F16C's vcvtph2ps quiets a signaling NaN,
// compiler-rt's __extendhfsf2 does not): prints the number of mismatches.
// The patterns cross calls as i16: an f16 argument may be widened and
// narrowed on the way, which would quiet a signaling NaN before the
// conversion sees it.
func.func private @printI64(i64)
func.func private @printNewline()

func.func @expanded_scalar(%n: i16) -> f32 {
  %h = arith.bitcast %n : i16 to f16
  %f = arith.extf %h : f16 to f32
  return %f : f32
}

func.func @expanded_vector(%n: vector<4xi16>) -> vector<4xf32> {
  %h = arith.bitcast %n : vector<4xi16> to vector<4xf16>
  %f = arith.extf %h : vector<4xf16> to vector<4xf32>
  return %f : vector<4xf32>
}

func.func @reference(%n: i16) -> f32 {
  %h = arith.bitcast %n : i16 to f16
  %f = llvm.fpext %h : f16 to f32
  %nan = arith.cmpf uno, %f, %f : f32
  %bits = arith.bitcast %f : f32 to i32
  %quiet = arith.constant 4194304 : i32
  %q = arith.ori %bits, %quiet : i32
  %r = arith.select %nan, %q, %bits : i32
  %rf = arith.bitcast %r : i32 to f32
  return %rf : f32
}

func.func @pattern(%i: index) -> i16 {
  %w = arith.index_cast %i : index to i32
  %n = arith.trunci %w : i32 to i16
  return %n : i16
}

// 1 where the bits of a and b differ.
func.func @differs(%a: f32, %b: f32) -> i64 {
  %x = arith.bitcast %a : f32 to i32
  %y = arith.bitcast %b : f32 to i32
  %ne = arith.cmpi ne, %x, %y : i32
  %r = arith.extui %ne : i1 to i64
  return %r : i64
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %n = arith.constant 65536 : index
  %zero = arith.constant 0 : i64
  %bad = scf.for %i = %c0 to %n step %c4 iter_args(%acc = %zero) -> (i64) {
    %i1 = arith.addi %i, %c1 : index
    %i2 = arith.addi %i, %c2 : index
    %i3 = arith.addi %i, %c3 : index
    %h0 = func.call @pattern(%i) : (index) -> i16
    %h1 = func.call @pattern(%i1) : (index) -> i16
    %h2 = func.call @pattern(%i2) : (index) -> i16
    %h3 = func.call @pattern(%i3) : (index) -> i16
    %v = vector.from_elements %h0, %h1, %h2, %h3 : vector<4xi16>
    %e = func.call @expanded_vector(%v) : (vector<4xi16>) -> vector<4xf32>
    %lanes = scf.for %l = %c0 to %c4 step %c1 iter_args(%a = %acc) -> (i64) {
      %j = arith.addi %i, %l : index
      %h = func.call @pattern(%j) : (index) -> i16
      %ref = func.call @reference(%h) : (i16) -> f32
      %s = func.call @expanded_scalar(%h) : (i16) -> f32
      %lane = vector.extract %e[%l] : f32 from vector<4xf32>
      %d1 = func.call @differs(%s, %ref) : (f32, f32) -> i64
      %d2 = func.call @differs(%lane, %ref) : (f32, f32) -> i64
      %a1 = arith.addi %a, %d1 : i64
      %a2 = arith.addi %a1, %d2 : i64
      scf.yield %a2 : i64
    }
    scf.yield %lanes : i64
  }
  func.call @printI64(%bad) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}
