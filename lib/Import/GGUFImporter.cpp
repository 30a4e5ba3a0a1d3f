//===- GGUFImporter.cpp - GGUF model to llama dialect -----------*- C++ -*-===//
//
// Implements GGUFImporter.h, following the model's forward pass (llama2.c's
// forward(), shared/docs/GGUF.md's tensor table): embedding; per layer
// RMSNorm, Q/K/V projections, RoPE, attention through the cache, output
// projection, residual, RMSNorm, gate/up projections, SwiGLU, down projection,
// residual; final norm and logits (output.weight, or the tied embedding).
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Import/GGUFImporter.h"
#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::llama;
using llamart::GGUFTensor;
using llamart::GGUFView;
using llamart::LlamaHParams;

namespace {

class Importer {
public:
  Importer(MLIRContext *ctx, const GGUFView &file, const LlamaHParams &hp,
           const ImportOptions &opts)
      : ctx(ctx), b(ctx), file(file), hp(hp), opts(opts) {}

  OwningOpRef<ModuleOp> run(std::string &error);

private:
  MLIRContext *ctx;
  OpBuilder b;
  const GGUFView &file;
  const LlamaHParams &hp;
  const ImportOptions &opts;

  Location loc(const std::string &name) {
    return NameLoc::get(b.getStringAttr(name));
  }
  RankedTensorType act(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  }

  /// `llama.weight "name"` with the tensor's exact type and shape.
  FailureOr<Value> weight(const std::string &name, std::string &error) {
    const GGUFTensor *t = file.findTensor(name);
    if (!t) {
      error = file.name() + ": tensor '" + name + "' is missing";
      return failure();
    }
    SmallVector<int64_t> shape;
    for (int d = static_cast<int>(t->nDims) - 1; d >= 0; --d)
      shape.push_back(static_cast<int64_t>(t->ne[d]));
    std::optional<GGMLType> type =
        symbolizeGGMLType(static_cast<uint32_t>(t->type));
    if (!type) {
      error = file.name() + ": tensor '" + name + "': ggml_type " +
              llamart::ggmlTypeLabel(t->type) +
              " is not supported by llama-mlir yet";
      return failure();
    }
    auto wt = WeightType::get(ctx, shape, *type);
    return WeightOp::create(b, loc(name), wt, name).getResult();
  }

  FailureOr<func::FuncOp> buildForward(StringRef fnName, int64_t seq,
                                       KVCacheType cacheType,
                                       std::string &error);
};

FailureOr<func::FuncOp> Importer::buildForward(StringRef fnName, int64_t seq,
                                               KVCacheType cacheType,
                                               std::string &error) {
  int64_t dim = hp.dim, hd = hp.headDim, nh = hp.nHeads, nkv = hp.nKVHeads;
  auto tokType = RankedTensorType::get({seq}, b.getI32Type());
  auto logitsType = act({seq, hp.nVocab});
  auto fn = func::FuncOp::create(
      b, loc(fnName.str()), fnName,
      b.getFunctionType({tokType, tokType, cacheType}, {logitsType}));
  Block *entry = fn.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0), pos = entry->getArgument(1),
        cache = entry->getArgument(2);
  FloatAttr eps = b.getF32FloatAttr(static_cast<float>(hp.rmsEps));

  // Sequence length as a value, for the dynamic head reshapes.
  SmallVector<OpFoldResult> seqOfr;
  if (ShapedType::isDynamic(seq))
    seqOfr.push_back(
        tensor::DimOp::create(b, loc("seq"), tokens, 0).getResult());
  else
    seqOfr.push_back(b.getIndexAttr(seq));
  auto heads = [&](Value x, int64_t n, const std::string &name) {
    SmallVector<OpFoldResult> shape = {seqOfr[0], b.getIndexAttr(n),
                                       b.getIndexAttr(hd)};
    return tensor::ExpandShapeOp::create(b, loc(name), act({seq, n, hd}), x,
                                         {{0}, {1, 2}}, shape)
        .getResult();
  };

  FailureOr<Value> embd = weight("token_embd.weight", error);
  if (failed(embd))
    return failure();
  Value x =
      EmbeddingOp::create(b, loc("token_embd"), act({seq, dim}), *embd, tokens);
  for (int64_t l = 0; l < hp.nLayers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    auto w = [&](const char *n) { return weight(p + n + ".weight", error); };
    FailureOr<Value> an = w("attn_norm"), wq = w("attn_q"), wk = w("attn_k"),
                     wv = w("attn_v"), wo = w("attn_output"),
                     fn_ = w("ffn_norm"), wg = w("ffn_gate"), wu = w("ffn_up"),
                     wd = w("ffn_down");
    for (FailureOr<Value> *v : {&an, &wq, &wk, &wv, &wo, &fn_, &wg, &wu, &wd})
      if (failed(*v))
        return failure();
    Value xn = RMSNormOp::create(b, loc(p + "attn_norm"), act({seq, dim}), x,
                                 *an, eps);
    Value q =
        MatmulOp::create(b, loc(p + "attn_q"), act({seq, nh * hd}), xn, *wq);
    Value k =
        MatmulOp::create(b, loc(p + "attn_k"), act({seq, nkv * hd}), xn, *wk);
    Value v =
        MatmulOp::create(b, loc(p + "attn_v"), act({seq, nkv * hd}), xn, *wv);
    Value q3 = heads(q, nh, p + "attn_q.heads");
    Value k3 = heads(k, nkv, p + "attn_k.heads");
    Value v3 = heads(v, nkv, p + "attn_v.heads");
    FloatAttr theta = b.getF32FloatAttr(static_cast<float>(hp.ropeTheta));
    IntegerAttr nRot = b.getI64IntegerAttr(hp.nRot);
    Value qr = RoPEOp::create(b, loc(p + "rope_q"), q3.getType(), q3, pos, nRot,
                              theta);
    Value kr = RoPEOp::create(b, loc(p + "rope_k"), k3.getType(), k3, pos, nRot,
                              theta);
    Value att =
        AttentionOp::create(b, loc(p + "attn"), qr.getType(), qr, kr, v3, pos,
                            cache, b.getI64IntegerAttr(l), FloatAttr());
    Value att2 = tensor::CollapseShapeOp::create(
        b, loc(p + "attn.merge"), act({seq, nh * hd}), att,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    Value o =
        MatmulOp::create(b, loc(p + "attn_output"), act({seq, dim}), att2, *wo);
    Value h = arith::AddFOp::create(b, loc(p + "attn_residual"), x, o);
    Value hn = RMSNormOp::create(b, loc(p + "ffn_norm"), act({seq, dim}), h,
                                 *fn_, eps);
    Value g = MatmulOp::create(b, loc(p + "ffn_gate"), act({seq, hp.hiddenDim}),
                               hn, *wg);
    Value u = MatmulOp::create(b, loc(p + "ffn_up"), act({seq, hp.hiddenDim}),
                               hn, *wu);
    Value s = SwiGLUOp::create(b, loc(p + "ffn_swiglu"), g.getType(), g, u);
    Value d = MatmulOp::create(b, loc(p + "ffn_down"), act({seq, dim}), s, *wd);
    x = arith::AddFOp::create(b, loc(p + "ffn_residual"), h, d);
  }
  FailureOr<Value> on = weight("output_norm.weight", error);
  FailureOr<Value> out =
      weight(hp.tiedOutput ? "token_embd.weight" : "output.weight", error);
  if (failed(on) || failed(out))
    return failure();
  Value xf =
      RMSNormOp::create(b, loc("output_norm"), act({seq, dim}), x, *on, eps);
  Value logits = MatmulOp::create(b, loc("output"), logitsType, xf, *out);
  func::ReturnOp::create(b, loc("return"), logits);
  return fn;
}

OwningOpRef<ModuleOp> Importer::run(std::string &error) {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc(file.name()));
  b.setInsertionPointToEnd(module->getBody());
  int64_t nCtx = opts.contextLength > 0
                     ? opts.contextLength
                     : std::min(hp.nCtxTrain, kDefaultContextCap);
  auto cacheType =
      KVCacheType::get(ctx, {hp.nLayers, nCtx, hp.nKVHeads, hp.headDim},
                       opts.kvF16 ? Type(b.getF16Type()) : b.getF32Type());
  // The GGUF reader validated the values (LlamaHParams.cpp); the attribute's
  // verifier also sees what narrowing to f32 made of theta and epsilon.
  std::string why;
  HParamsAttr hpAttr;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
      why = d.str();
      return success();
    });
    hpAttr = HParamsAttr::getChecked(
        [&] { return emitError(module->getLoc()); }, ctx, hp.dim, hp.hiddenDim,
        hp.nLayers, hp.nHeads, hp.nKVHeads, hp.headDim, hp.nRot, hp.nVocab,
        nCtx, hp.nCtxTrain, b.getF32FloatAttr(static_cast<float>(hp.ropeTheta)),
        b.getF32FloatAttr(static_cast<float>(hp.rmsEps)),
        b.getBoolAttr(hp.tiedOutput));
  }
  if (!hpAttr) {
    error = file.name() + ": hyperparameters the compiler cannot take: " + why;
    return nullptr;
  }
  module->getOperation()->setAttr("llama.hparams", hpAttr);
  if (failed(buildForward(LLAMA_ABI_PREFILL, ShapedType::kDynamic, cacheType,
                          error)) ||
      failed(buildForward(LLAMA_ABI_DECODE, 1, cacheType, error)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> mlir::llama::importGGUF(MLIRContext *ctx,
                                              const GGUFView &file,
                                              const ImportOptions &options,
                                              std::string &error) {
  ctx->loadDialect<LlamaDialect, func::FuncDialect, arith::ArithDialect,
                   tensor::TensorDialect>();
  std::vector<llamart::Error> errors;
  llamart::Expected<LlamaHParams> hp = llamart::readLlamaHParams(file, &errors);
  if (!hp) {
    // One line: the first problem, and how many more `llama-gguf info` lists.
    error = hp.error().message();
    if (errors.size() > 1)
      error += " (and " + std::to_string(errors.size() - 1) +
               " more problems: llama-gguf info " + file.name() +
               " lists them)";
    return nullptr;
  }
  if (hp->ropeScaling != "none") {
    error = file.name() + ": key 'llama.rope.scaling.type': rope scaling '" +
            llamart::printable(hp->ropeScaling) +
            "' is not supported by the compiler yet";
    return nullptr;
  }
  // The produced program tokenizes with SentencePiece: a file it could only
  // refuse at run time is refused here.
  if (hp->tokenizerModel != "llama") {
    error = file.name() + ": key 'tokenizer.ggml.model' is '" +
            llamart::printable(hp->tokenizerModel) +
            "'; the produced program's tokenizer is SentencePiece ('llama') "
            "only (gpt2/BPE vocabularies, as in Llama 3, are not supported "
            "yet)";
    return nullptr;
  }
  // Every weight's type at once: a Q3_K_M file names its Q3_K tensors in
  // one line, not the first of them.
  std::vector<std::string> names;
  for (const llamart::ExpectedTensor &t : llamart::llamaTensorLayout(*hp))
    names.push_back(t.name);
  std::string undecoded = llamart::undecodedTensorSummary(file, &names);
  if (!undecoded.empty()) {
    error = file.name() + ": weights of types llama-mlir cannot compile " +
            "yet: " + undecoded + "; it compiles " +
            llamart::decodedGGMLTypeNames();
    return nullptr;
  }
  if (options.contextLength < 0 || options.contextLength > (1 << 20)) {
    error = "context length " + std::to_string(options.contextLength) +
            " is out of range";
    return nullptr;
  }
  Importer importer(ctx, file, *hp, options);
  return importer.run(error);
}
