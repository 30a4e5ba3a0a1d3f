//===- DequantInt8.cpp - Int8 groups of GGML blocks -------------*- C++ -*-===//
//
// The integer form of the format decoders (Dequant.h): a block unpacked into
// 32-element int8 groups with their scales, and the int8 dot product of a
// group with quantized activations for each int-dot ISA.
//
//===----------------------------------------------------------------------===//

#include "BlockBytes.h"

#include "runtime/gguf/GGMLType.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

bool mlir::llama::int8GroupsHaveMin(GGMLType type) {
  return type == GGMLType::Q4_K || type == GGMLType::Q5_K;
}

SmallVector<Int8Group> mlir::llama::emitBlockInt8Groups(OpBuilder &b,
                                                        Location loc,
                                                        const WeightView &w,
                                                        Value row, Value blk) {
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  auto i8v = [&](int64_t n) { return VectorType::get({n}, b.getI8Type()); };
  auto f32v8 = VectorType::get({8}, b.getF32Type());
  auto bytes = [&](int64_t off, int64_t n) -> Value {
    return vector::LoadOp::create(b, loc, i8v(n), w.view,
                                  ValueRange{row, k.addc(k.base, off)});
  };
  auto splat8 = [&](int64_t v, int64_t n) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i8v(n), b.getI8IntegerAttr(v)));
  };
  auto andc = [&](Value x, int64_t m) -> Value {
    return arith::AndIOp::create(
        b, loc, x, splat8(m, cast<VectorType>(x.getType()).getDimSize(0)));
  };
  auto shr = [&](Value x, int64_t s) -> Value {
    return s ? Value(arith::ShRUIOp::create(
                   b, loc, x,
                   splat8(s, cast<VectorType>(x.getType()).getDimSize(0))))
             : x;
  };
  auto shl = [&](Value x, int64_t s) -> Value {
    return s ? Value(arith::ShLIOp::create(b, loc, x, splat8(s, 32))) : x;
  };
  auto lanes = [&](Value f) -> Value {
    return vector::BroadcastOp::create(b, loc, f32v8, f);
  };
  // vector<8xf32> whose lanes 0-3 are element `first` of `v` and lanes 4-7
  // element `second` (the lanes of llama.int8_dot cover 4 elements each).
  auto laneShuffle = [&](Value v, std::pair<int64_t, int64_t> ab) -> Value {
    auto [first, second] = ab;
    return vector::ShuffleOp::create(b, loc, v, v,
                                     ArrayRef<int64_t>{first, first, first,
                                                       first, second, second,
                                                       second, second});
  };
  SmallVector<Int8Group> groups;
  switch (w.type) {
  case GGMLType::Q8_0:
    groups.push_back({0, bytes(2, 32), lanes(k.f16At(0)), nullptr});
    return groups;
  case GGMLType::Q4_0: {
    // Byte j holds element j (low nibble) and j + 16 (high nibble).
    Value raw = bytes(2, 16);
    Value lo = arith::SubIOp::create(b, loc, andc(raw, 0xF), splat8(8, 16));
    Value hi = arith::SubIOp::create(b, loc, shr(raw, 4), splat8(8, 16));
    SmallVector<int64_t> iota(32);
    for (int64_t i = 0; i < 32; ++i)
      iota[i] = i;
    // Signed quants: taking q unsigned with a min of 8 d (as the K-quants)
    // measured slower (a scalar min term per 32 elements, per token).
    groups.push_back({0, vector::ShuffleOp::create(b, loc, lo, hi, iota),
                      lanes(k.f16At(0)), nullptr});
    return groups;
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    // Group j: nibble (j % 2) of bytes 32 (j / 2) ..; Q5_K adds bit j of
    // qh[i] as bit 4. w = d sc_j q - dmin m_j.
    bool five = w.type == GGMLType::Q5_K;
    Value qh = five ? bytes(16, 32) : Value();
    auto [scales, mins] = kScalesMinsVector(k);
    for (int64_t j = 0; j < 8; ++j) {
      Value q = andc(
          shr(bytes((five ? 48 : 16) + 32 * (j / 2), 32), 4 * (j % 2)), 0xF);
      if (five)
        q = arith::OrIOp::create(b, loc, q, shl(andc(shr(qh, j), 1), 4));
      // Unsigned quants (0..15, Q5_K 0..31): the min carries the offset.
      groups.push_back({32 * j, q, laneShuffle(scales, {j, j}),
                        vector::ExtractOp::create(b, loc, mins, j),
                        /*nonneg=*/true});
    }
    return groups;
  }
  case GGMLType::Q6_K: {
    // Group (half, p): elements 128 half + 32 p ..; its two 16-element
    // sub-blocks have the int8 scales sc[8 half + 2 p] and sc[.. + 1].
    Value scales = q6ScalesVector(k);
    for (int64_t half = 0; half < 2; ++half) {
      Value qh = bytes(128 + 32 * half, 32);
      for (int64_t p = 0; p < 4; ++p) {
        Value ql = bytes(64 * half + 32 * (p % 2), 32);
        Value nib = andc(shr(ql, 4 * (p / 2)), 0xF);
        Value hi = andc(shr(qh, 2 * p), 3);
        Value q = arith::SubIOp::create(
            b, loc, arith::OrIOp::create(b, loc, nib, shl(hi, 4)),
            splat8(32, 32));
        int64_t sc = 8 * half + 2 * p;
        groups.push_back({128 * half + 32 * p, q,
                          laneShuffle(scales, {sc, sc + 1}), nullptr});
      }
    }
    return groups;
  }
  default:
    llvm_unreachable("canIntDot is false for this type");
  }
}

Value mlir::llama::emitInt8Dot(OpBuilder &b, Location loc, IntDotISA isa,
                               Value w, Value x, bool wNonneg) {
  IntDotKind kind = isa == IntDotISA::AVX2         ? IntDotKind::AVX2
                    : isa == IntDotISA::AVX512VNNI ? IntDotKind::AVX512VNNI
                    : isa == IntDotISA::NEONDot    ? IntDotKind::NEONDot
                                                   : IntDotKind::Generic;
  return Int8DotOp::create(b, loc, VectorType::get({8}, b.getI32Type()), w, x,
                           IntDotKindAttr::get(b.getContext(), kind),
                           wNonneg ? b.getUnitAttr() : UnitAttr());
}
