//===- Decoders.cpp - One decoder per GGML block format ---------*- C++ -*-===//
//
// The BlockDecoder of every quantized GGML format (Decoders.h). Byte
// offsets are those of shared/docs/GGUF.md; `first` may be a constant (the
// vector forms) or not (one element, an 8-element part), and the index
// arithmetic folds where it is constant.
//
//===----------------------------------------------------------------------===//

#include "Decoders.h"

#include "llvm/ADT/Sequence.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

namespace {

/// vector<1 x f32> holding `v`.
Value oneLane(BlockBytes &k, Value v) {
  return vector::BroadcastOp::create(k.b, k.loc,
                                     VectorType::get({1}, k.b.getF32Type()), v);
}

/// The low 2 bits of elements first .. first + n - 1 of Q2_K and Q3_K,
/// whose qs[64] start at byte `qsOff`: element e = 128 h + 32 j + l is bits
/// 2j of qs[32 h + l].
Value twoBitQuants(BlockBytes &k, Value first, int64_t n, IntegerType lane,
                   int64_t qsOff) {
  Lanes l{k.b, k.loc};
  Value h = k.divc(first, 128), r = k.remc(first, 128);
  Value j = k.divc(r, 32), l0 = k.remc(r, 32);
  Value qs = k.bytes(k.addc(k.add(k.mulc(h, 32), l0), qsOff), n, lane);
  return l.andc(l.shr(qs, k.mulc(j, 2)), 3);
}

/// The integer lanes `v` (unsigned or signed) as f32, times the scalar `f`:
/// a K-quant's sub-block scales (or mins) times d (or dmin).
Value timesScalar(BlockBytes &k, Value v, Value f, bool isSigned) {
  auto t = VectorType::get({Lanes::width(v)}, k.b.getF32Type());
  Value fv = isSigned ? Value(arith::SIToFPOp::create(k.b, k.loc, t, v))
                      : Value(arith::UIToFPOp::create(k.b, k.loc, t, v));
  return arith::MulFOp::create(k.b, k.loc, fv,
                               vector::BroadcastOp::create(k.b, k.loc, t, f));
}

//===----------------------------------------------------------------------===//
// Q8_0: d (f16), 32 int8 quants. w = d q.
//===----------------------------------------------------------------------===//

struct Q8_0Decoder : BlockDecoder {
  Q8_0Decoder() : BlockDecoder(32, 32, false) {}
  std::pair<Value, Value> scales(BlockBytes &k) const override {
    return {oneLane(k, k.f16At(0)), nullptr};
  }
  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    return k.bytes(k.addc(first, 2), n, lane, /*isSigned=*/true);
  }
};

//===----------------------------------------------------------------------===//
// Q4_0, Q4_1, Q5_0, Q5_1: d (f16), [m (f16)], [qh (u32)], 16 quant bytes.
// Byte i holds element i (low nibble) and i + 16 (high nibble); the 5-bit
// types take bit e of the little-endian qh as element e's bit 4.
// Q4_0/Q5_0: w = d (q - 8 | 16); Q4_1/Q5_1: w = d q + m.
//===----------------------------------------------------------------------===//

struct SmallBlockDecoder : BlockDecoder {
  bool five;
  int64_t qhOff, qsOff;
  SmallBlockDecoder(bool hasMin, bool five)
      : BlockDecoder(32, 16, hasMin), five(five), qhOff(hasMin ? 4 : 2),
        qsOff(qhOff + (five ? 4 : 0)) {}

  std::pair<Value, Value> scales(BlockBytes &k) const override {
    Value d = oneLane(k, k.f16At(0));
    if (!hasMin)
      return {d, nullptr};
    // The min is added: it is subtracted negated.
    return {d, arith::NegFOp::create(k.b, k.loc, oneLane(k, k.f16At(2)))};
  }
  /// Bit first + i of qh as bit 4 of lane i (16 or 0).
  Value fifthBits(BlockBytes &k, Value first, int64_t n,
                  IntegerType lane) const {
    OpBuilder &b = k.b;
    Location loc = k.loc;
    Lanes l{b, loc};
    auto laneType = VectorType::get({n}, lane);
    if (n == 1) {
      // One element: its byte, shifted.
      Value byte = k.byteAt(k.addc(k.divc(first, 8), qhOff));
      Value bit = arith::AndIOp::create(
          b, loc,
          arith::ShRUIOp::create(b, loc, byte,
                                 arith::IndexCastUIOp::create(
                                     b, loc, b.getI32Type(), k.remc(first, 8))),
          k.i32(1));
      Value v = vector::BroadcastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), bit);
      if (!lane.isInteger(32))
        v = arith::TruncIOp::create(b, loc, laneType, v);
      return l.shl(v, 4);
    }
    // n a multiple of 8 from a multiple of 8: the n / 8 bytes spread so
    // that lane i holds byte i / 8, tested against bit i % 8.
    assert(n % 8 == 0 && "a run of the fifth bits is 1 or 8k lanes");
    Value bytes = k.bytes(k.addc(k.divc(first, 8), qhOff), n / 8);
    SmallVector<int64_t> spread(n);
    SmallVector<int8_t> bits(n);
    for (int64_t i = 0; i < n; ++i) {
      spread[i] = i / 8;
      bits[i] = static_cast<int8_t>(1u << (i % 8));
    }
    Value lanes = vector::ShuffleOp::create(b, loc, bytes, bytes, spread);
    auto i8v = VectorType::get({n}, b.getI8Type());
    Value masked = arith::AndIOp::create(
        b, loc, lanes,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(i8v, ArrayRef<int8_t>(bits))));
    Value set = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, masked,
                                      l.splat(masked, 0));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(laneType, IntegerAttr::get(lane, 0)));
    return arith::SelectOp::create(b, loc, set, l.splat(zero, 16), zero);
  }

  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    Lanes l{k.b, k.loc};
    Value half = k.divc(first, 16);
    Value raw = k.bytes(k.addc(k.remc(first, 16), qsOff), n, lane);
    Value q = l.andc(l.shr(raw, k.mulc(half, 4)), 0xF);
    if (five)
      q = l.orr(q, fifthBits(k, first, n, lane));
    return hasMin ? q : l.subc(q, five ? 16 : 8);
  }
};

//===----------------------------------------------------------------------===//
// Q4_K, Q5_K: d, dmin (f16), 12 bytes of eight 6-bit (scale, min) pairs,
// [qh: 32 bytes], 128 quant bytes. Sub-block j (32 elements) is nibble j % 2
// of quant bytes 32 (j / 2) ..; Q5_K's bit 4 is bit j of qh[e % 32].
// w = d sc_j q - dmin m_j.
//===----------------------------------------------------------------------===//

struct KQuantDecoder : BlockDecoder {
  bool five;
  explicit KQuantDecoder(bool five) : BlockDecoder(32, 32, true), five(five) {}

  /// All eight (d sc_j, dmin m_j) at once from the 12 scale bytes s (at
  /// byte 4), lane j:
  ///   j < 4:  sc = s[j] & 63,  m = s[j + 4] & 63
  ///   j >= 4: sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4),
  ///           m  = (s[j + 4] >> 4) | ((s[j] >> 6) << 4)
  std::pair<Value, Value> scales(BlockBytes &k) const override {
    OpBuilder &b = k.b;
    Location loc = k.loc;
    Lanes l{b, loc};
    Value s = k.bytes(4, 12);
    auto pick = [&](ArrayRef<int64_t> idx) -> Value {
      return vector::ShuffleOp::create(b, loc, s, s, idx);
    };
    auto shr = [&](Value x, int64_t n) { return l.shr(x, k.idx(n)); };
    Value a = pick({0, 1, 2, 3, 8, 9, 10, 11});
    Value c = pick({4, 5, 6, 7, 8, 9, 10, 11});
    Value hiSc = pick({0, 1, 2, 3, 0, 1, 2, 3}); // s[j - 4] for j >= 4
    Value hiM = pick({0, 1, 2, 3, 4, 5, 6, 7});  // s[j] for j >= 4
    SmallVector<bool> low = {true,  true,  true,  true,
                             false, false, false, false};
    Value lowMask = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(VectorType::get({8}, b.getI1Type()),
                               ArrayRef<bool>(low)));
    Value sc =
        arith::SelectOp::create(b, loc, lowMask, l.andc(a, 63),
                                l.orr(l.andc(a, 0xF), l.shl(shr(hiSc, 6), 4)));
    Value m = arith::SelectOp::create(b, loc, lowMask, l.andc(c, 63),
                                      l.orr(shr(c, 4), l.shl(shr(hiM, 6), 4)));
    return {timesScalar(k, sc, k.f16At(0), /*isSigned=*/false),
            timesScalar(k, m, k.f16At(2), false)};
  }
  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    Lanes l{k.b, k.loc};
    Value j = k.divc(first, 32), i0 = k.remc(first, 32);
    Value raw = k.bytes(
        k.addc(k.add(k.mulc(k.divc(j, 2), 32), i0), five ? 48 : 16), n, lane);
    Value q = l.andc(l.shr(raw, k.mulc(k.remc(j, 2), 4)), 0xF);
    if (five)
      q = l.orr(
          q, l.shl(l.andc(l.shr(k.bytes(k.addc(i0, 16), n, lane), j), 1), 4));
    return q;
  }
};

//===----------------------------------------------------------------------===//
// Q6_K: 128 bytes ql, 64 bytes qh, 16 int8 scales, d (f16). Element e: half
// h = e / 128, group p = (e % 128) / 32, l = e % 32; its low 4 bits are
// nibble p / 2 of ql[64 h + 32 (p % 2) + l], its high 2 bits are bits 2p of
// qh[32 h + l]; sub-block e / 16 has scale sc[e / 16]. w = d sc (q - 32).
//===----------------------------------------------------------------------===//

struct Q6_KDecoder : BlockDecoder {
  Q6_KDecoder() : BlockDecoder(16, 32, false) {}
  std::pair<Value, Value> scales(BlockBytes &k) const override {
    return {timesScalar(k, k.bytes(192, 16), k.f16At(208), /*isSigned=*/true),
            nullptr};
  }
  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    Lanes l{k.b, k.loc};
    Value h = k.divc(first, 128), r = k.remc(first, 128);
    Value p = k.divc(r, 32), l0 = k.remc(r, 32);
    Value ql = k.bytes(
        k.add(k.add(k.mulc(h, 64), k.mulc(k.remc(p, 2), 32)), l0), n, lane);
    Value nib = l.andc(l.shr(ql, k.mulc(k.divc(p, 2), 4)), 0xF);
    Value qh = k.bytes(k.addc(k.add(k.mulc(h, 32), l0), 128), n, lane);
    Value hi = l.andc(l.shr(qh, k.mulc(p, 2)), 3);
    return l.subc(l.orr(nib, l.shl(hi, 4)), 32);
  }
};

//===----------------------------------------------------------------------===//
// Q2_K: 16 bytes of (scale | min << 4), qs[64], d, dmin (f16). Element
// e = 128 h + 32 j + l: bits 2j of qs[32 h + l] (q in 0..3); sub-block
// e / 16. w = d sc q - dmin m.
//===----------------------------------------------------------------------===//

struct Q2_KDecoder : BlockDecoder {
  Q2_KDecoder() : BlockDecoder(16, 32, true) {}
  std::pair<Value, Value> scales(BlockBytes &k) const override {
    Lanes l{k.b, k.loc};
    Value s = k.bytes(0, 16);
    return {timesScalar(k, l.andc(s, 0xF), k.f16At(80), /*isSigned=*/false),
            timesScalar(k, l.shr(s, k.idx(4)), k.f16At(82), false)};
  }
  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    return twoBitQuants(k, first, n, lane, 16);
  }
};

//===----------------------------------------------------------------------===//
// Q3_K: hmask[32], qs[64], 12 bytes of sixteen 6-bit scales, d (f16).
// Element e = 128 h + 32 j + l: bits 2j of qs[32 h + l], minus 4 where bit
// 4h + j of hmask[l] is clear (q in -4..3); sub-block i = e / 16 has the
// scale sc_i - 32, sc_i's low 4 bits nibble i / 8 of s[i % 8], its high 2
// bits bits 2 (i / 4) of s[8 + i % 4]. w = d (sc - 32) q.
//===----------------------------------------------------------------------===//

struct Q3_KDecoder : BlockDecoder {
  Q3_KDecoder() : BlockDecoder(16, 32, false) {}
  std::pair<Value, Value> scales(BlockBytes &k) const override {
    OpBuilder &b = k.b;
    Location loc = k.loc;
    Lanes l{b, loc};
    Value s = k.bytes(96, 12);
    auto pick = [&](ArrayRef<int64_t> idx) -> Value {
      return vector::ShuffleOp::create(b, loc, s, s, idx);
    };
    auto join = [&](Value x, Value y) -> Value {
      auto iota = llvm::to_vector(llvm::seq<int64_t>(0, 2 * Lanes::width(x)));
      return vector::ShuffleOp::create(b, loc, x, y, iota);
    };
    Value lowBytes = pick({0, 1, 2, 3, 4, 5, 6, 7});
    Value low = join(l.andc(lowBytes, 0xF), l.shr(lowBytes, k.idx(4)));
    Value highBytes = pick({8, 9, 10, 11});
    SmallVector<Value> highs;
    for (int64_t g = 0; g < 4; ++g)
      highs.push_back(l.andc(l.shr(highBytes, k.idx(2 * g)), 3));
    Value high = join(join(highs[0], highs[1]), join(highs[2], highs[3]));
    Value sc = l.subc(l.orr(low, l.shl(high, 4)), 32);
    return {timesScalar(k, sc, k.f16At(108), /*isSigned=*/true), nullptr};
  }
  Value quants(BlockBytes &k, Value first, int64_t n,
               IntegerType lane) const override {
    Lanes l{k.b, k.loc};
    Value low = twoBitQuants(k, first, n, lane, 32);
    Value h = k.divc(first, 128), r = k.remc(first, 128);
    Value j = k.divc(r, 32), l0 = k.remc(r, 32);
    Value hm = k.bytes(l0, n, lane);
    Value bit = l.andc(l.shr(hm, k.add(k.mulc(h, 4), j)), 1);
    return l.subc(l.orr(low, l.shl(bit, 2)), 4);
  }
};

} // namespace

const BlockDecoder &mlir::llama::dequant::getBlockDecoder(GGMLType type) {
  static const Q8_0Decoder q8_0;
  static const SmallBlockDecoder q4_0(false, false), q4_1(true, false),
      q5_0(false, true), q5_1(true, true);
  static const KQuantDecoder q4_k(false), q5_k(true);
  static const Q6_KDecoder q6_k;
  static const Q3_KDecoder q3_k;
  static const Q2_KDecoder q2_k;
  switch (type) {
  case GGMLType::Q2_K:
    return q2_k;
  case GGMLType::Q3_K:
    return q3_k;
  case GGMLType::Q8_0:
    return q8_0;
  case GGMLType::Q4_0:
    return q4_0;
  case GGMLType::Q4_1:
    return q4_1;
  case GGMLType::Q5_0:
    return q5_0;
  case GGMLType::Q5_1:
    return q5_1;
  case GGMLType::Q4_K:
    return q4_k;
  case GGMLType::Q5_K:
    return q5_k;
  case GGMLType::Q6_K:
    return q6_k;
  default:
    llvm_unreachable("getBlockDecoder of a type without blocks");
  }
}

Value mlir::llama::dequant::emitQuants(BlockBytes &k, const BlockDecoder &d,
                                       Value first, int64_t n,
                                       IntegerType lane) {
  if (n <= d.run)
    return d.quants(k, first, n, lane);
  // Runs concatenated: first + r * run ..
  assert(n % d.run == 0 && llvm::isPowerOf2_64(n / d.run) &&
         "runs are joined pairwise");
  SmallVector<Value> runs;
  for (int64_t r = 0; r < n / d.run; ++r)
    runs.push_back(d.quants(k, k.addc(first, r * d.run), d.run, lane));
  while (runs.size() > 1) {
    SmallVector<Value> joined;
    for (size_t i = 0; i + 1 < runs.size(); i += 2) {
      auto iota =
          llvm::to_vector(llvm::seq<int64_t>(0, 2 * Lanes::width(runs[i])));
      joined.push_back(
          vector::ShuffleOp::create(k.b, k.loc, runs[i], runs[i + 1], iota));
    }
    runs = std::move(joined);
  }
  return runs.front();
}

std::pair<Value, Value>
mlir::llama::dequant::scaleOf(BlockBytes &k, const BlockDecoder &d,
                              std::pair<Value, Value> scales, Value e) {
  // One sub-block: lane 0, whatever e is.
  Value sub =
      Lanes::width(scales.first) == 1 ? k.idx(0) : k.divc(e, d.subBlock);
  OpFoldResult pos = sub;
  if (auto c = BlockBytes::constant(sub))
    pos = k.b.getIndexAttr(*c);
  auto pick = [&](Value v) -> Value {
    return v ? Value(vector::ExtractOp::create(k.b, k.loc, v, pos)) : Value();
  };
  return {pick(scales.first), pick(scales.second)};
}
