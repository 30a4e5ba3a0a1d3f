//===- LlamaOps.cpp - Verifiers and helpers of the llama ops ----*- C++ -*-===//
//
// Implements the verifiers of the `llama` operations. Each check is labelled
// with the constraint it implements (`// matmul_c3` is constraint C3 of
// llama.matmul in LlamaOps.td); test/Dialect/Llama/invalid-*.mlir exercise
// every message (invalid-ops, invalid-fused-ops, invalid-kernel-ops and, for
// the types and attributes, invalid-types-attrs).
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

/// Checks the optional RMSNorm prologue `norm(%g) {epsilon = e}` of an op
/// whose input rows have length `k` (matmul_c5, matmul_swiglu_c5,
/// qkv_rope_c7).
static LogicalResult verifyNormPrologue(Operation *op, Value norm,
                                        std::optional<APFloat> epsilon,
                                        int64_t k) {
  if (!norm) {
    if (epsilon)
      return op->emitOpError("epsilon is given without a norm weight");
    return success();
  }
  auto g = cast<WeightType>(norm.getType());
  if (g.getRank() != 1 || g.getShape()[0] != k)
    return op->emitOpError()
           << "norm weight must have shape [" << k
           << "] (the input row length), got " << norm.getType();
  if (g.isQuantized())
    return op->emitOpError() << "norm weight must be f32, f16 or bf16, got "
                             << stringifyGGMLType(g.getGgmlType());
  if (!epsilon)
    return op->emitOpError("a norm weight needs an epsilon");
  if (!isFiniteAndPositive(epsilon->convertToFloat()))
    return op->emitOpError() << "epsilon must be finite and positive, got "
                             << epsilon->convertToFloat();
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
    return emitOpError() << "result row length " << dimStr(result.getDimSize(1))
                         << " must equal the weight's row count N = " << n;
  // matmul_c5
  return verifyNormPrologue(*this, getNorm(), getEpsilon(), k);
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
    return emitOpError() << "n_rot " << nRot << " exceeds head_dim " << headDim;
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

template <typename OpTy> static int64_t numHeads(OpTy op) {
  return cast<RankedTensorType>(op.getQuery().getType()).getDimSize(1);
}
template <typename OpTy> static int64_t numKVHeads(OpTy op) {
  return cast<RankedTensorType>(op.getKey().getType()).getDimSize(1);
}
template <typename OpTy> static int64_t headDimOf(OpTy op) {
  return cast<RankedTensorType>(op.getQuery().getType()).getDimSize(2);
}
template <typename OpTy> static float scaleOrDefault(OpTy op) {
  if (std::optional<APFloat> scale = op.getScale())
    return scale->convertToFloat();
  return 1.0f / std::sqrt(static_cast<float>(headDimOf(op)));
}

/// The verifier of llama.attention and llama.gqa_attention (same math).
template <typename OpTy> static LogicalResult verifyAttention(OpTy op) {
  auto q = cast<RankedTensorType>(op.getQuery().getType());
  auto k = cast<RankedTensorType>(op.getKey().getType());
  auto v = cast<RankedTensorType>(op.getValue().getType());
  auto positions = cast<RankedTensorType>(op.getPositions().getType());
  KVCacheType cache = op.getCache().getType();
  // attention_c1
  if (q.getRank() != 3)
    return op.emitOpError()
           << "query must have rank 3 [seq, n_heads, head_dim], "
              "got rank "
           << q.getRank();
  if (k.getRank() != 3)
    return op.emitOpError() << "key must have rank 3 [seq, n_kv_heads, "
                               "head_dim], got rank "
                            << k.getRank();
  // attention_c2
  if (k != v)
    return op.emitOpError()
           << "key type " << k << " and value type " << v << " must be equal";
  // attention_c3
  int64_t nHeads = q.getDimSize(1), nKVHeads = k.getDimSize(1);
  if (ShapedType::isDynamic(nHeads) || ShapedType::isDynamic(nKVHeads))
    return op.emitOpError("n_heads and n_kv_heads must be static");
  if (nHeads <= 0 || nKVHeads <= 0 || nHeads % nKVHeads != 0)
    return op.emitOpError() << "n_heads " << nHeads
                            << " must be a multiple of n_kv_heads " << nKVHeads;
  // attention_c4
  int64_t headDim = q.getDimSize(2);
  if (k.getDimSize(2) != headDim)
    return op.emitOpError() << "key head_dim " << dimStr(k.getDimSize(2))
                            << " must equal query head_dim " << dimStr(headDim);
  if (cache.getHeadDim() != headDim)
    return op.emitOpError() << "KV cache head_dim " << cache.getHeadDim()
                            << " must equal query head_dim " << dimStr(headDim);
  if (cache.getNumKVHeads() != nKVHeads)
    return op.emitOpError() << "KV cache has " << cache.getNumKVHeads()
                            << " KV heads but key has " << nKVHeads;
  // attention_c5
  int64_t layer = op.getLayerAttr().getInt();
  if (layer < 0 || layer >= cache.getNumLayers())
    return op.emitOpError()
           << "layer " << layer << " is outside the KV cache's "
           << cache.getNumLayers() << " layers";
  // attention_c6
  if (positions.getRank() != 1)
    return op.emitOpError() << "positions must have rank 1 [seq], got rank "
                            << positions.getRank();
  int64_t seq = q.getDimSize(0);
  for (int64_t other : {k.getDimSize(0), positions.getDimSize(0)})
    if (!compatible(seq, other))
      return op.emitOpError()
             << "sequence lengths disagree: query has " << dimStr(seq)
             << " tokens, key has " << dimStr(k.getDimSize(0))
             << ", positions has " << dimStr(positions.getDimSize(0));
  // attention_c7
  for (int64_t s : {seq, k.getDimSize(0), positions.getDimSize(0)})
    if (!ShapedType::isDynamic(s) && s > cache.getContextLength())
      return op.emitOpError()
             << "sequence length " << s << " exceeds the KV cache's n_ctx "
             << cache.getContextLength();
  // attention_c8
  if (std::optional<APFloat> scale = op.getScale())
    if (!isFiniteAndPositive(scale->convertToFloat()))
      return op.emitOpError() << "scale must be finite and positive, got "
                              << scale->convertToFloat();
  // attention_c9
  return verifySameType(op, op.getResult().getType(), q, "query");
}

#define LLAMA_ATTENTION_METHODS(OpTy)                                          \
  int64_t OpTy::getNumHeads() { return numHeads(*this); }                      \
  int64_t OpTy::getNumKVHeads() { return numKVHeads(*this); }                  \
  int64_t OpTy::getHeadDim() { return headDimOf(*this); }                      \
  float OpTy::getScaleOrDefault() { return scaleOrDefault(*this); }            \
  LogicalResult OpTy::verify() { return verifyAttention(*this); }
LLAMA_ATTENTION_METHODS(AttentionOp)
LLAMA_ATTENTION_METHODS(GQAAttentionOp)
#undef LLAMA_ATTENTION_METHODS

//===----------------------------------------------------------------------===//
// KVCacheLayerOp
//===----------------------------------------------------------------------===//

LogicalResult KVCacheLayerOp::verify() {
  KVCacheType cache = getCache().getType(), result = getResult().getType();
  // kv_cache_layer_c1
  int64_t layer = getLayer();
  if (layer < 0 || layer >= cache.getNumLayers())
    return emitOpError() << "layer " << layer << " is outside the KV cache's "
                         << cache.getNumLayers() << " layers";
  // kv_cache_layer_c2
  if (result != cache.getLayerType())
    return emitOpError() << "result must be the cache of one layer, "
                         << cache.getLayerType() << ", got " << result;
  return success();
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
  // matmul_swiglu_c5
  return verifyNormPrologue(*this, getNorm(), getEpsilon(), k);
}

//===----------------------------------------------------------------------===//
// QKVRoPEOp
//===----------------------------------------------------------------------===//

LogicalResult QKVRoPEOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  // qkv_rope_c1
  if (input.getRank() != 2)
    return emitOpError() << "input must have rank 2 [seq, K], got rank "
                         << input.getRank();
  int64_t k = input.getDimSize(1);
  // qkv_rope_c2
  for (auto [name, w] : {std::pair<StringRef, Value>{"wq", getWq()},
                         {"wk", getWk()},
                         {"wv", getWv()}}) {
    auto wt = cast<WeightType>(w.getType());
    if (wt.getRank() != 2 || wt.getShape()[1] != k)
      return emitOpError() << name << " must have shape [N, " << dimStr(k)
                           << "], got " << w.getType();
  }
  if (getWk().getType().getShape() != getWv().getType().getShape())
    return emitOpError("wk and wv must have the same shape");
  // qkv_rope_c3
  auto q = cast<RankedTensorType>(getQuery().getType());
  auto kt = cast<RankedTensorType>(getKey().getType());
  if (q.getRank() != 3 || kt.getRank() != 3)
    return emitOpError("query and key must have rank 3 [seq, heads, "
                       "head_dim]");
  if (kt != getValue().getType())
    return emitOpError() << "key type " << kt << " and value type "
                         << getValue().getType() << " must be equal";
  int64_t hd = q.getDimSize(2);
  if (ShapedType::isDynamic(q.getDimSize(1)) ||
      ShapedType::isDynamic(kt.getDimSize(1)) || ShapedType::isDynamic(hd) ||
      kt.getDimSize(2) != hd)
    return emitOpError("heads and head_dim must be static, and one head_dim "
                       "for query and key");
  if (q.getDimSize(1) * hd != getWq().getType().getShape()[0] ||
      kt.getDimSize(1) * hd != getWk().getType().getShape()[0])
    return emitOpError() << "heads x head_dim of query (" << q.getDimSize(1)
                         << "x" << hd << ") and key (" << kt.getDimSize(1)
                         << "x" << hd
                         << ") must equal the row counts of wq and wk";
  if (!compatible(q.getDimSize(0), input.getDimSize(0)) ||
      !compatible(kt.getDimSize(0), input.getDimSize(0)))
    return emitOpError("results and input disagree on seq");
  // qkv_rope_c4
  int64_t nRot = getNRot();
  if (hd % 2 != 0)
    return emitOpError() << "head_dim must be even, got " << hd;
  if (nRot <= 0 || nRot % 2 != 0 || nRot > hd)
    return emitOpError() << "n_rot must be even, positive and at most "
                            "head_dim "
                         << hd << ", got " << nRot;
  // qkv_rope_c5
  if (!isFiniteAndPositive(getTheta().convertToFloat()))
    return emitOpError() << "theta must be finite and positive, got "
                         << getTheta().convertToFloat();
  // qkv_rope_c6
  auto positions = cast<RankedTensorType>(getPositions().getType());
  if (positions.getRank() != 1 ||
      !compatible(positions.getDimSize(0), input.getDimSize(0)))
    return emitOpError() << "positions must have rank 1 and one entry per "
                            "token, got "
                         << positions;
  // qkv_rope_c7
  return verifyNormPrologue(*this, getNorm(), getEpsilon(), k);
}

//===----------------------------------------------------------------------===//
// Int8DotOp
//===----------------------------------------------------------------------===//

LogicalResult Int8DotOp::verify() {
  auto is = [](Type t, int64_t n, unsigned bits) {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getRank() == 1 && !v.isScalable() && v.getDimSize(0) == n &&
           v.getElementType().isInteger(bits);
  };
  // int8_dot_c1
  if (!is(getLhs().getType(), 32, 8) || !is(getRhs().getType(), 32, 8))
    return emitOpError("operands must be vector<32xi8>");
  // int8_dot_c2
  if (!is(getResult().getType(), 8, 32))
    return emitOpError("result must be vector<8xi32>");
  return success();
}

LogicalResult Dot4AccOp::verify() {
  // dot4_acc_c1 (AllTypesMatch ties acc to the result and lhs to rhs)
  auto acc = cast<VectorType>(getAcc().getType());
  auto lhs = cast<VectorType>(getLhs().getType());
  int64_t n = acc.getRank() == 1 && !acc.isScalable() ? acc.getDimSize(0) : 0;
  if (n != 4 && n != 8 && n != 16)
    return emitOpError("accumulator must be vector<4xi32>, vector<8xi32> or "
                       "vector<16xi32>");
  if (lhs.getRank() != 1 || lhs.isScalable() || lhs.getDimSize(0) != 4 * n)
    return emitOpError("operands must be vector<")
           << 4 * n << "xi8> for a " << acc << " accumulator";
  // dot4_acc_c2
  if (getKind() == IntDotKind::NEONDot && !getLhsSmall() && !getLhsSigned())
    return emitOpError("kind neon_dotprod (sdot: signed by signed) needs "
                       "lhs_small or lhs_signed");
  // dot4_acc_c3
  if (getLhsSmall() && getLhsSigned())
    return emitOpError("lhs_small and lhs_signed exclude each other");
  // dot4_acc_c4
  if (std::optional<int64_t> max = getLhsMax()) {
    if (*max < 1 || *max > 127)
      return emitOpError("lhs_max must lie in [1, 127], not ") << *max;
    if (!getLhsSmall())
      return emitOpError("lhs_max needs lhs_small");
  }
  return success();
}
