//===- Dequant.cpp - Generated dequantization of GGML blocks ----*- C++ -*-===//
//
// One weight as f32 (Dequant.h), from the format's decoder (Decoders.h).
// With a constant element index the offsets fold; otherwise LLVM hoists
// the block's scales out of a loop over its elements.
//
//===----------------------------------------------------------------------===//

#include "Decoders.h"

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
  // w = scale q - min, from the format's decoder.
  const BlockDecoder &d = getBlockDecoder(w.type);
  BlockBytes k = BlockBytes::at(b, loc, w, row, blk);
  Value q = vector::ExtractOp::create(
      b, loc, emitQuants(k, d, j, 1, b.getI32Type()), 0);
  auto [scale, min] = scaleOf(k, d, d.scales(k), j);
  Value x = arith::MulFOp::create(
      b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), q), scale);
  return min ? Value(arith::SubFOp::create(b, loc, x, min)) : x;
}
