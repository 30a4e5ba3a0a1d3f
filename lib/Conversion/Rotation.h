//===- Rotation.h - The RoPE rotation of one pair ---------------*- C++ -*-===//
//
// The frequencies and rotation RoPE applies to a pair (a, b) of a head's
// values, shared by every lowering of it (LlamaToLinalg's llama.rope,
// LlamaToLoops' fused llama.qkv_rope and its packed tiles' rotation
// table): one formula, rounded the same way in all.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_ROTATION_H
#define LLAMA_MLIR_LIB_CONVERSION_ROTATION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <cstdint>
#include <utility>

namespace mlir::llama {

/// -2 ln(theta) / n_rot: the exponent scale of RoPE's pair frequencies.
inline double ropeFreqScale(float theta, int64_t nRot) {
  return -2.0 * std::log(static_cast<double>(theta)) /
         static_cast<double>(nRot);
}

/// theta^(-2i/n_rot) = exp(i * freqScale) for pair i (an index), in f32:
/// the frequency every lowering multiplies the token's position by (as
/// f32, sitofp) to get its angle.
inline Value emitRopeFreq(OpBuilder &b, Location loc, Value pair,
                          double freqScale) {
  Type f32 = b.getF32Type();
  Value iF = arith::UIToFPOp::create(
      b, loc, f32, arith::IndexCastUIOp::create(b, loc, b.getI64Type(), pair));
  Value scale = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(static_cast<float>(freqScale)));
  return math::ExpOp::create(b, loc, arith::MulFOp::create(b, loc, iF, scale));
}

/// (a cos t - b sin t, a sin t + b cos t) for the angle t.
inline std::pair<Value, Value> emitRotation(OpBuilder &b, Location loc, Value a,
                                            Value bv, Value angle) {
  Value c = math::CosOp::create(b, loc, angle);
  Value s = math::SinOp::create(b, loc, angle);
  Value r0 = arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, a, c),
                                   arith::MulFOp::create(b, loc, bv, s));
  Value r1 = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, a, s),
                                   arith::MulFOp::create(b, loc, bv, c));
  return {r0, r1};
}

} // namespace mlir::llama

#endif // LLAMA_MLIR_LIB_CONVERSION_ROTATION_H
