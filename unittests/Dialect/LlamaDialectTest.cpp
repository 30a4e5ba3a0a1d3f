//===- LlamaDialectTest.cpp - C++ builders and verifiers of llama ops ----===//
//
// Builds llama ops through their generated C++ builders (OpTy::create), checks
// that well-formed ones verify and that ill-formed ones are rejected with the
// verifier's message; checks the layout queries of !llama.weight against the
// GGUF block geometry, and that the dialect's GGML enum agrees with the
// runtime's table.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::llama;

namespace {

class LlamaDialectTest : public ::testing::Test {
protected:
  LlamaDialectTest() : builder(&ctx) {
    ctx.loadDialect<LlamaDialect, func::FuncDialect, arith::ArithDialect,
                    tensor::TensorDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  /// A function whose arguments have `types`; the builder is left in its body.
  func::FuncOp makeFunc(TypeRange types) {
    auto fn = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                   builder.getFunctionType(types, {}));
    Block *body = fn.addEntryBlock();
    builder.setInsertionPointToStart(body);
    return fn;
  }

  RankedTensorType f32Tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }
  RankedTensorType i32Tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getI32Type());
  }
  WeightType weight(ArrayRef<int64_t> shape, GGMLType t) {
    return WeightType::get(&ctx, shape, t);
  }

  /// Verifies `op` and returns the concatenated diagnostics ("" if it
  /// verified).
  std::string verifyMessage(Operation *op) {
    std::string messages;
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
      messages += diag.str();
      return success();
    });
    if (succeeded(mlir::verify(op)))
      return "";
    return messages.empty() ? std::string("<failed without message>")
                            : messages;
  }

  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  static constexpr int64_t kDyn = ShapedType::kDynamic;
};

TEST_F(LlamaDialectTest, WeightTypeLayout) {
  WeightType q4k = weight({172, 256}, GGMLType::Q4_K);
  EXPECT_EQ(q4k.getBlockSize(), 256);
  EXPECT_EQ(q4k.getBytesPerBlock(), 144);
  EXPECT_TRUE(q4k.isQuantized());
  EXPECT_EQ(q4k.getRowBytes(), 144);
  EXPECT_EQ(q4k.getNumRows(), 172);
  EXPECT_EQ(q4k.getNumBytes(), 172 * 144);

  WeightType q40 = weight({3, 64}, GGMLType::Q4_0);
  EXPECT_EQ(q40.getRowBytes(), 2 * 18);
  WeightType f16 = weight({64}, GGMLType::F16);
  EXPECT_FALSE(f16.isQuantized());
  EXPECT_EQ(f16.getNumBytes(), 128);
}

TEST_F(LlamaDialectTest, WeightTypeVerifierRejectsPartialBlocks) {
  std::string messages;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    messages += diag.str();
    return success();
  });
  auto loc = builder.getUnknownLoc();
  WeightType bad = WeightType::getChecked([&] { return emitError(loc); }, &ctx,
                                          ArrayRef<int64_t>{4, 100},
                                          GGMLType::Q8_0);
  EXPECT_FALSE(bad);
  EXPECT_NE(messages.find("row length 100 is not a multiple of the 32-element "
                          "block of q8_0"),
            std::string::npos)
      << messages;
}

TEST_F(LlamaDialectTest, EnumAgreesWithRuntimeTable) {
  for (const llamart::GGMLTypeTraits &t : llamart::kGGMLTypes) {
    std::optional<GGMLType> e = symbolizeGGMLType(t.name);
    ASSERT_TRUE(e.has_value()) << t.name;
    EXPECT_EQ(static_cast<uint32_t>(*e), static_cast<uint32_t>(t.type))
        << t.name;
  }
  EXPECT_EQ(getMaxEnumValForGGMLType(), 30u);
}

TEST_F(LlamaDialectTest, BuildsAVerifiedDecoderLayerSlice) {
  auto cacheType =
      KVCacheType::get(&ctx, {2, 16, 2, 8}, builder.getF32Type());
  func::FuncOp fn = makeFunc({i32Tensor({kDyn}), cacheType});
  Location loc = builder.getUnknownLoc();
  Value tokens = fn.getArgument(0), cache = fn.getArgument(1);

  Value table = WeightOp::create(builder, loc, weight({100, 32}, GGMLType::Q8_0),
                                 "token_embd.weight");
  Value x = EmbeddingOp::create(builder, loc, f32Tensor({kDyn, 32}), table,
                                tokens);
  Value normW = WeightOp::create(builder, loc, weight({32}, GGMLType::F32),
                                 "blk.0.attn_norm.weight");
  Value xn = RMSNormOp::create(builder, loc, f32Tensor({kDyn, 32}), x, normW,
                               builder.getF32FloatAttr(1e-5f));
  Value wq = WeightOp::create(builder, loc, weight({32, 32}, GGMLType::Q4_0),
                              "blk.0.attn_q.weight");
  Value q = MatmulOp::create(builder, loc, f32Tensor({kDyn, 32}), xn, wq);
  for (Value v : {x, xn, q})
    EXPECT_EQ(verifyMessage(v.getDefiningOp()), "");

  // A 3-D view of q for RoPE and attention.
  auto q3Type = f32Tensor({kDyn, 4, 8});
  Value q3 = tensor::ExpandShapeOp::create(
      builder, loc, q3Type, q, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  auto rope = RoPEOp::create(builder, loc, q3Type, q3, tokens,
                             builder.getI64IntegerAttr(8),
                             builder.getF32FloatAttr(10000.0f));
  Value kv = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1, 2, 8},
                                     builder.getF32Type());
  Value onePos = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1},
                                         builder.getI32Type());
  Value q1 = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1, 4, 8},
                                     builder.getF32Type());
  auto attn = AttentionOp::create(builder, loc, f32Tensor({1, 4, 8}), q1, kv,
                                  kv, onePos, cache, builder.getI64IntegerAttr(1),
                                  FloatAttr());
  EXPECT_EQ(attn.getNumHeads(), 4);
  EXPECT_EQ(attn.getNumKVHeads(), 2);
  EXPECT_EQ(attn.getKVMul(), 2);
  EXPECT_EQ(attn.getHeadDim(), 8);
  EXPECT_FLOAT_EQ(attn.getScaleOrDefault(), 1.0f / std::sqrt(8.0f));
  Value h = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1, 64},
                                    builder.getF32Type());
  SwiGLUOp::create(builder, loc, h.getType(), h, h);
  func::ReturnOp::create(builder, loc);
  EXPECT_TRUE(verifyMessage(module->getOperation()).empty())
      << verifyMessage(module->getOperation());
  (void)rope;
}

TEST_F(LlamaDialectTest, MatmulVerifierNamesTheMismatch) {
  makeFunc({});
  Location loc = builder.getUnknownLoc();
  Value w = WeightOp::create(builder, loc, weight({16, 64}, GGMLType::Q4_0),
                             "blk.0.ffn_up.weight");
  Value x = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{2, 32},
                                    builder.getF32Type());
  auto mm = MatmulOp::create(builder, loc, f32Tensor({2, 16}), x, w);
  EXPECT_NE(verifyMessage(mm).find("input row length 32 must equal the "
                                   "weight's row length K = 64"),
            std::string::npos)
      << verifyMessage(mm);
}

TEST_F(LlamaDialectTest, AttentionVerifierRejectsBadGrouping) {
  auto cacheType =
      KVCacheType::get(&ctx, {1, 16, 3, 8}, builder.getF32Type());
  func::FuncOp fn = makeFunc({cacheType});
  Location loc = builder.getUnknownLoc();
  Value q = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1, 8, 8},
                                    builder.getF32Type());
  Value kv = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1, 3, 8},
                                     builder.getF32Type());
  Value pos = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{1},
                                      builder.getI32Type());
  auto attn = AttentionOp::create(builder, loc, q.getType(), q, kv, kv, pos,
                                  fn.getArgument(0),
                                  builder.getI64IntegerAttr(0), FloatAttr());
  EXPECT_NE(verifyMessage(attn).find("n_heads 8 must be a multiple of "
                                     "n_kv_heads 3"),
            std::string::npos)
      << verifyMessage(attn);
}

TEST_F(LlamaDialectTest, RMSNormVerifierRejectsBadEpsilon) {
  makeFunc({});
  Location loc = builder.getUnknownLoc();
  Value w = WeightOp::create(builder, loc, weight({8}, GGMLType::F32), "n");
  Value x = tensor::EmptyOp::create(builder, loc, ArrayRef<int64_t>{2, 8},
                                    builder.getF32Type());
  auto norm = RMSNormOp::create(builder, loc, x.getType(), x, w,
                                builder.getF32FloatAttr(-1.0f));
  EXPECT_NE(verifyMessage(norm).find("epsilon must be finite and positive"),
            std::string::npos)
      << verifyMessage(norm);
}

TEST_F(LlamaDialectTest, TypesRoundTripThroughTheParser) {
  const char *src = R"mlir(
    func.func @f(%c: !llama.kv_cache<5x128x4x8xf16>) {
      %w = llama.weight "output.weight" : !llama.weight<512x256xq6_k>
      return
    }
  )mlir";
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(parsed);
  std::string printed;
  llvm::raw_string_ostream os(printed);
  parsed->print(os);
  EXPECT_NE(printed.find("!llama.weight<512x256xq6_k>"), std::string::npos)
      << printed;
  EXPECT_NE(printed.find("!llama.kv_cache<5x128x4x8xf16>"), std::string::npos)
      << printed;
}

} // namespace
