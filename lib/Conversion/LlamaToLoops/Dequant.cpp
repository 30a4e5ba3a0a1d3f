//===- Dequant.cpp - Generated dequantization of GGML blocks ----*- C++ -*-===//
//
// The element form of the format decoders (Dequant.h): one weight as f32.
// Byte offsets inside a block are computed from the block index and the
// element index with index arithmetic; LLVM folds the constant divisions and
// hoists the per-block scale loads out of the element loop.
//
//===----------------------------------------------------------------------===//

#include "BlockBytes.h"

#include "runtime/gguf/GGMLType.h"

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::dequant;

MemRefType mlir::llama::weightViewType(MLIRContext *ctx, GGMLType type,
                                       int64_t rows, int64_t cols) {
  Builder b(ctx);
  switch (type) {
  case GGMLType::F32:
    return MemRefType::get({rows, cols}, b.getF32Type());
  case GGMLType::F16:
  case GGMLType::BF16:
    return MemRefType::get({rows, cols}, b.getI16Type());
  default: {
    const llamart::GGMLTypeTraits &t = llamart::getGGMLTypeTraits(
        static_cast<llamart::GGMLType>(static_cast<uint32_t>(type)));
    return MemRefType::get({rows, cols / t.blockSize * t.bytesPerBlock},
                           b.getI8Type());
  }
  }
}

Value mlir::llama::emitLoadWeightElement(OpBuilder &b, Location loc,
                                         const WeightView &w, Value row,
                                         Value blk, Value j) {
  switch (w.type) {
  case GGMLType::F32:
    return memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
  case GGMLType::F16: {
    Value h = memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
    Value f = arith::BitcastOp::create(b, loc, b.getF16Type(), h);
    return arith::ExtFOp::create(b, loc, b.getF32Type(), f);
  }
  case GGMLType::BF16: {
    Value h = memref::LoadOp::create(b, loc, w.view, ValueRange{row, blk});
    Value x = arith::ExtUIOp::create(b, loc, b.getI32Type(), h);
    Value s = arith::ShLIOp::create(
        b, loc, x, arith::ConstantIntOp::create(b, loc, b.getI32Type(), 16));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), s);
  }
  default:
    break;
  }
  BlockBytes k{b, loc, w.view, row, nullptr};
  k.base = k.mulc(blk, w.bytesPerBlock);
  switch (w.type) {
  case GGMLType::Q8_0: {
    Value d = k.f16At(0);
    Value q = k.sbyteAt(k.addc(j, 2));
    return k.mulf(k.toF32(q), d);
  }
  case GGMLType::Q4_0:
  case GGMLType::Q4_1: {
    bool hasMin = w.type == GGMLType::Q4_1;
    Value d = k.f16At(0);
    // Element j < 16: low nibble of qs[j]; j >= 16: high nibble of qs[j-16].
    Value byte = k.byteAt(k.addc(k.remc(j, 16), hasMin ? 4 : 2));
    Value shift = k.select(k.ult(j, 16), k.i32(0), k.i32(4));
    Value q = k.andc(k.shr(byte, shift), 0xF);
    if (hasMin)
      return k.addf(k.mulf(k.toF32(q), d), k.f16At(2));
    return k.mulf(k.toF32(k.subc(q, 8)), d);
  }
  case GGMLType::Q5_0:
  case GGMLType::Q5_1: {
    bool hasMin = w.type == GGMLType::Q5_1;
    int64_t qhOff = hasMin ? 4 : 2;
    Value d = k.f16At(0);
    Value byte = k.byteAt(k.addc(k.remc(j, 16), qhOff + 4));
    Value shift = k.select(k.ult(j, 16), k.i32(0), k.i32(4));
    Value lo = k.andc(k.shr(byte, shift), 0xF);
    // Bit j of the little-endian u32 qh: byte j/8, bit j%8.
    Value qhByte = k.byteAt(k.addc(k.divc(j, 8), qhOff));
    Value bit = k.andc(k.shr(qhByte, k.indexToI32(k.remc(j, 8))), 1);
    Value q = k.orr(lo, k.shl(bit, 4));
    if (hasMin)
      return k.addf(k.mulf(k.toF32(q), d), k.f16At(2));
    return k.mulf(k.toF32(k.subc(q, 16)), d);
  }
  case GGMLType::Q4_K:
  case GGMLType::Q5_K: {
    bool five = w.type == GGMLType::Q5_K;
    Value d = k.f16At(0), dmin = k.f16At(2);
    // Element j: chunk c = j/64, half = (j%64)/32, l = j%32, sub = j/32.
    Value c = k.divc(j, 64), l = k.remc(j, 32), sub = k.divc(j, 32);
    Value half = k.remc(sub, 2);
    auto [sc, m] = kScaleMin(k, sub);
    Value byte = k.byteAt(k.addc(k.add(k.mulc(c, 32), l), five ? 48 : 16));
    Value shift = k.shl(k.indexToI32(half), 2);
    Value q = k.andc(k.shr(byte, shift), 0xF);
    if (five) {
      Value qh = k.byteAt(k.addc(l, 16));
      Value bit = k.andc(k.shr(qh, k.indexToI32(sub)), 1);
      q = k.orr(q, k.shl(bit, 4));
    }
    Value d1 = k.mulf(d, k.toF32(sc));
    Value m1 = k.mulf(dmin, k.toF32(m));
    return k.subf(k.mulf(d1, k.toF32(q)), m1);
  }
  case GGMLType::Q6_K: {
    // half = j/128, r = j%128, p = r/32, l = r%32.
    Value half = k.divc(j, 128), r = k.remc(j, 128);
    Value p = k.divc(r, 32), l = k.remc(r, 32);
    // ql byte: 64*half + 32*(p%2) + l, nibble: p/2 (low for p<2).
    Value qlIdx = k.add(k.add(k.mulc(half, 64), k.mulc(k.remc(p, 2), 32)), l);
    Value ql = k.byteAt(qlIdx);
    Value nib = k.andc(k.shr(ql, k.shl(k.indexToI32(k.divc(p, 2)), 2)), 0xF);
    // qh byte: 128 + 32*half + l, bits 2p..2p+1.
    Value qh = k.byteAt(k.addc(k.add(k.mulc(half, 32), l), 128));
    Value hi = k.andc(k.shr(qh, k.shl(k.indexToI32(p), 1)), 3);
    Value q = k.subc(k.orr(nib, k.shl(hi, 4)), 32);
    // scale: sc[8*half + l/16 + 2p], signed, at byte 192.
    Value scIdx = k.add(k.add(k.mulc(half, 8), k.divc(l, 16)), k.mulc(p, 2));
    Value sc = k.sbyteAt(k.addc(scIdx, 192));
    Value d = k.f16At(208);
    return k.mulf(k.mulf(d, k.toF32(sc)), k.toF32(q));
  }
  default:
    llvm_unreachable("unquantized types handled above");
  }
}
