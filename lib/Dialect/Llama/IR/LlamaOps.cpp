//===- LlamaOps.cpp - Verifiers and helpers of the llama ops ----*- C++ -*-===//
//
// Implements the verifiers of the `llama` operations. Each check is labelled
// with the constraint it implements (`// matmul_c3` is constraint C3 of
// llama.matmul in LlamaOps.td); test/Dialect/Llama/invalid.mlir exercises
// every message.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::llama;

#define GET_OP_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Two dimensions are compatible when either is dynamic or they are equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Prints a dimension, `?` for a dynamic one.
static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

static bool isFiniteAndPositive(float v) { return std::isfinite(v) && v > 0; }

/// Checks that `result` has exactly the type `expected`.
static LogicalResult verifySameType(Operation *op, Type result, Type expected,
                                    StringRef what) {
  if (result != expected)
    return op->emitOpError() << "result type " << result << " must equal the "
                             << what << " type " << expected;
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verify() {
  // weight_c1
  if (getName().empty())
    return emitOpError("weight name must not be empty");
  if (getName().contains('\0'))
    return emitOpError("weight name must not contain a NUL byte");
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  WeightType table = getTable().getType();
  auto tokens = cast<RankedTensorType>(getTokens().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  // embedding_c1
  if (table.getRank() != 2)
    return emitOpError() << "table must have rank 2 [n_vocab, dim], got rank "
                         << table.getRank();
  // embedding_c2
  if (tokens.getRank() != 1)
    return emitOpError() << "tokens must have rank 1 [seq], got rank "
                         << tokens.getRank();
  // embedding_c3
  if (result.getRank() != 2)
    return emitOpError() << "result must have rank 2 [seq, dim], got rank "
                         << result.getRank();
  if (!compatible(result.getDimSize(0), tokens.getDimSize(0)))
    return emitOpError() << "result has " << dimStr(result.getDimSize(0))
                         << " rows but there are "
                         << dimStr(tokens.getDimSize(0)) << " tokens";
  if (result.getDimSize(1) != table.getShape()[1])
    return emitOpError() << "result row length " << dimStr(result.getDimSize(1))
                         << " must equal the table's dim "
                         << table.getShape()[1];
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  WeightType weight = getWeight().getType();
  auto input = cast<RankedTensorType>(getInput().getType());
  // rms_norm_c1
  if (weight.getRank() != 1)
    return emitOpError() << "weight must have rank 1 [dim], got rank "
                         << weight.getRank();
  if (weight.isQuantized())
    return emitOpError() << "weight must be f32, f16 or bf16, got "
                         << stringifyGGMLType(weight.getGgmlType());
  // rms_norm_c2
  if (input.getRank() < 1)
    return emitOpError("input must have rank at least 1");
  if (input.getShape().back() != weight.getShape()[0])
    return emitOpError() << "input's last dimension "
                         << dimStr(input.getShape().back())
                         << " must equal the weight length "
                         << weight.getShape()[0];
  // rms_norm_c3
  if (failed(verifySameType(*this, getResult().getType(), input, "input")))
    return failure();
  // rms_norm_c4
  if (!isFiniteAndPositive(getEpsilon().convertToFloat()))
    return emitOpError() << "epsilon must be finite and positive, got "
                         << getEpsilon().convertToFloat();
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  WeightType weight = getWeight().getType();
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  // matmul_c1
  if (input.getRank() != 2)
    return emitOpError() << "input must have rank 2 [seq, K], got rank "
                         << input.getRank();
  // matmul_c2
  if (weight.getRank() != 2)
    return emitOpError() << "weight must have rank 2 [N, K], got rank "
                         << weight.getRank();
  int64_t n = weight.getShape()[0], k = weight.getShape()[1];
  // matmul_c3
  if (input.getDimSize(1) != k)
    return emitOpError() << "input row length " << dimStr(input.getDimSize(1))
                         << " must equal the weight's row length K = " << k;
  // matmul_c4
  if (result.getRank() != 2)
    return emitOpError() << "result must have rank 2 [seq, N], got rank "
                         << result.getRank();
  if (!compatible(result.getDimSize(0), input.getDimSize(0)))
    return emitOpError() << "result has " << dimStr(result.getDimSize(0))
                         << " rows but the input has "
                         << dimStr(input.getDimSize(0));
  if (result.getDimSize(1) != n)
    return emitOpError() << "result row length "
                         << dimStr(result.getDimSize(1))
                         << " must equal the weight's row count N = " << n;
  return success();
}

//===----------------------------------------------------------------------===//
// RoPEOp
//===----------------------------------------------------------------------===//

LogicalResult RoPEOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto positions = cast<RankedTensorType>(getPositions().getType());
  // rope_c1
  if (input.getRank() != 3)
    return emitOpError() << "input must have rank 3 [seq, heads, head_dim], "
                            "got rank "
                         << input.getRank();
  // rope_c2
  if (positions.getRank() != 1)
    return emitOpError() << "positions must have rank 1 [seq], got rank "
                         << positions.getRank();
  if (!compatible(positions.getDimSize(0), input.getDimSize(0)))
    return emitOpError() << "there are " << dimStr(positions.getDimSize(0))
                         << " positions for " << dimStr(input.getDimSize(0))
                         << " tokens";
  // rope_c3
  int64_t nRot = getNRot(), headDim = input.getDimSize(2);
  if (nRot <= 0 || nRot % 2 != 0)
    return emitOpError() << "n_rot must be even and positive, got " << nRot;
  if (!ShapedType::isDynamic(headDim) && nRot > headDim)
    return emitOpError() << "n_rot " << nRot << " exceeds head_dim "
                         << headDim;
  // rope_c4
  if (!isFiniteAndPositive(getTheta().convertToFloat()))
    return emitOpError() << "theta must be finite and positive, got "
                         << getTheta().convertToFloat();
  // rope_c5
  return verifySameType(*this, getResult().getType(), input, "input");
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getNumHeads() {
  return cast<RankedTensorType>(getQuery().getType()).getDimSize(1);
}
int64_t AttentionOp::getNumKVHeads() {
  return cast<RankedTensorType>(getKey().getType()).getDimSize(1);
}
int64_t AttentionOp::getHeadDim() {
  return cast<RankedTensorType>(getQuery().getType()).getDimSize(2);
}
float AttentionOp::getScaleOrDefault() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(getHeadDim()));
}

LogicalResult AttentionOp::verify() {
  auto q = cast<RankedTensorType>(getQuery().getType());
  auto k = cast<RankedTensorType>(getKey().getType());
  auto v = cast<RankedTensorType>(getValue().getType());
  auto positions = cast<RankedTensorType>(getPositions().getType());
  KVCacheType cache = getCache().getType();
  // attention_c1
  if (q.getRank() != 3)
    return emitOpError() << "query must have rank 3 [seq, n_heads, head_dim], "
                            "got rank "
                         << q.getRank();
  if (k.getRank() != 3)
    return emitOpError() << "key must have rank 3 [seq, n_kv_heads, "
                            "head_dim], got rank "
                         << k.getRank();
  // attention_c2
  if (k != v)
    return emitOpError() << "key type " << k << " and value type " << v
                         << " must be equal";
  // attention_c3
  int64_t nHeads = q.getDimSize(1), nKVHeads = k.getDimSize(1);
  if (ShapedType::isDynamic(nHeads) || ShapedType::isDynamic(nKVHeads))
    return emitOpError("n_heads and n_kv_heads must be static");
  if (nHeads % nKVHeads != 0)
    return emitOpError() << "n_heads " << nHeads
                         << " must be a multiple of n_kv_heads " << nKVHeads;
  // attention_c4
  int64_t headDim = q.getDimSize(2);
  if (k.getDimSize(2) != headDim)
    return emitOpError() << "key head_dim " << dimStr(k.getDimSize(2))
                         << " must equal query head_dim " << dimStr(headDim);
  if (cache.getHeadDim() != headDim)
    return emitOpError() << "KV cache head_dim " << cache.getHeadDim()
                         << " must equal query head_dim " << dimStr(headDim);
  if (cache.getNumKVHeads() != nKVHeads)
    return emitOpError() << "KV cache has " << cache.getNumKVHeads()
                         << " KV heads but key has " << nKVHeads;
  // attention_c5
  int64_t layer = getLayerAttr().getInt();
  if (layer < 0 || layer >= cache.getNumLayers())
    return emitOpError() << "layer " << layer
                         << " is outside the KV cache's "
                         << cache.getNumLayers() << " layers";
  // attention_c6
  if (positions.getRank() != 1)
    return emitOpError() << "positions must have rank 1 [seq], got rank "
                         << positions.getRank();
  int64_t seq = q.getDimSize(0);
  for (int64_t other : {k.getDimSize(0), positions.getDimSize(0)})
    if (!compatible(seq, other))
      return emitOpError() << "sequence lengths disagree: query has "
                           << dimStr(seq) << " tokens, key has "
                           << dimStr(k.getDimSize(0)) << ", positions has "
                           << dimStr(positions.getDimSize(0));
  // attention_c7
  for (int64_t s : {seq, k.getDimSize(0), positions.getDimSize(0)})
    if (!ShapedType::isDynamic(s) && s > cache.getContextLength())
      return emitOpError() << "sequence length " << s
                           << " exceeds the KV cache's n_ctx "
                           << cache.getContextLength();
  // attention_c8
  if (std::optional<APFloat> scale = getScale())
    if (!isFiniteAndPositive(scale->convertToFloat()))
      return emitOpError() << "scale must be finite and positive, got "
                           << scale->convertToFloat();
  // attention_c9
  return verifySameType(*this, getResult().getType(), q, "query");
}

//===----------------------------------------------------------------------===//
// SwiGLUOp
//===----------------------------------------------------------------------===//

LogicalResult SwiGLUOp::verify() {
  auto gate = cast<RankedTensorType>(getGate().getType());
  auto up = cast<RankedTensorType>(getUp().getType());
  // swiglu_c1
  if (gate != up)
    return emitOpError() << "gate type " << gate << " and up type " << up
                         << " must be equal";
  // swiglu_c2
  return verifySameType(*this, getResult().getType(), gate, "gate");
}

//===----------------------------------------------------------------------===//
// MatmulSwiGLUOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulSwiGLUOp::verify() {
  WeightType gate = getGate().getType(), up = getUp().getType();
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  // matmul_swiglu_c1
  if (input.getRank() != 2)
    return emitOpError() << "input must have rank 2 [seq, K], got rank "
                         << input.getRank();
  // matmul_swiglu_c2
  if (gate.getRank() != 2 || up.getRank() != 2)
    return emitOpError("gate and up must have rank 2 [hidden_dim, K]");
  if (gate.getShape() != up.getShape())
    return emitOpError() << "gate shape " << gate.getShape()[0] << "x"
                         << gate.getShape()[1] << " and up shape "
                         << up.getShape()[0] << "x" << up.getShape()[1]
                         << " must be equal";
  // matmul_swiglu_c3
  int64_t hidden = gate.getShape()[0], k = gate.getShape()[1];
  if (input.getDimSize(1) != k)
    return emitOpError() << "input row length " << dimStr(input.getDimSize(1))
                         << " must equal the weights' row length K = " << k;
  // matmul_swiglu_c4
  if (result.getRank() != 2 ||
      !compatible(result.getDimSize(0), input.getDimSize(0)) ||
      result.getDimSize(1) != hidden)
    return emitOpError() << "result type " << result
                         << " must be [seq, hidden_dim] = ["
                         << dimStr(input.getDimSize(0)) << ", " << hidden
                         << "]";
  return success();
}
