//===- Rotation.h - The RoPE rotation of one pair ---------------*- C++ -*-===//
//
// The rotation RoPE applies to a pair (a, b) of a head's values, shared by
// both lowerings of it (LlamaToLinalg's llama.rope, LlamaToLoops' fused
// llama.qkv_rope): one formula, rounded the same way in both.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_ROTATION_H
#define LLAMA_MLIR_LIB_CONVERSION_ROTATION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <utility>

namespace mlir::llama {

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
