//===- LowerToLoops.cpp - llama ops to loops over buffers -------*- C++ -*-===//
//
// Implements the `llama-lower-to-loops` pass (see Passes.td): rewrites each
// function that uses llama ops to the runtime ABI (file bytes, weight offsets,
// KV cache and outputs as memrefs) and lowers llama.weight, llama.embedding,
// llama.rms_norm, llama.matmul and llama.attention to scf loops that
// dequantize weights element by element.
//
// The rewrite is a walk over each function in program order rather than a
// pattern set: every op needs the function-level bindings (file, offsets,
// cache buffers) created when the signature is rewritten.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llama-mlir/Codegen/PackedWeights.h"
#include "llama-mlir/Transforms/Passes.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/TypeSwitch.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMALOWERTOLOOPSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;
using namespace mlir::llama::loops;

/// A result with a dynamic row count made by a llama.matmul used only by the
/// return (the logits): the matmul takes only the last rows of its input,
/// as many as the caller's out-buffer has (all tokens, or fewer: a prompt's
/// last token is all that generation needs, and its output matmul is a
/// large share of a prefill).
static void lastRowsOnly(Value result, Value out) {
  auto mm = result.getDefiningOp<MatmulOp>();
  auto rt = dyn_cast<RankedTensorType>(result.getType());
  if (!mm || !result.hasOneUse() || !rt || !rt.isDynamicDim(0))
    return;
  OpBuilder b(mm);
  Location loc = mm.getLoc();
  Value x = mm.getInput();
  auto xt = cast<RankedTensorType>(x.getType());
  Value seq = tensor::DimOp::create(b, loc, x, 0);
  Value want = memref::DimOp::create(b, loc, out, 0);
  Value rows = arith::MinUIOp::create(b, loc, want, seq);
  Value first = arith::SubIOp::create(b, loc, seq, rows);
  SmallVector<OpFoldResult> offsets = {first, b.getIndexAttr(0)},
                            sizes = {rows, b.getIndexAttr(xt.getDimSize(1))},
                            strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  Value last =
      tensor::ExtractSliceOp::create(b, loc, xt, x, offsets, sizes, strides);
  // Copied into a tensor of its own: the kernels take identity-layout
  // buffers (the copy becomes loops, no memref.copy runtime call).
  Value empty = tensor::EmptyOp::create(b, loc, xt, ValueRange{rows});
  mm.getInputMutable().assign(
      linalg::CopyOp::create(b, loc, last, empty).getResult(0));
}

LogicalResult FunctionLowering::rewriteSignature() {
  Block &entry = fn.front();
  Location loc = fn.getLoc();
  SmallVector<Type> newInputs = {
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
      MemRefType::get({ShapedType::kDynamic}, b.getI64Type())};
  unsigned nOld = entry.getNumArguments();
  numOldArgs = nOld;
  for (Type t : fn.getArgumentTypes()) {
    if (auto tt = dyn_cast<RankedTensorType>(t)) {
      newInputs.push_back(MemRefType::get(tt.getShape(), tt.getElementType()));
    } else if (auto ct = dyn_cast<KVCacheType>(t)) {
      auto m = MemRefType::get(ct.getShape(), ct.getElementType());
      newInputs.append({m, m});
    } else {
      return fn.emitOpError("llama-lower-to-loops: unsupported argument type ")
             << t;
    }
  }
  for (Type t : fn.getResultTypes()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt)
      return fn.emitOpError("llama-lower-to-loops: results must be tensors");
    newInputs.push_back(MemRefType::get(tt.getShape(), tt.getElementType()));
  }
  for (Type t : newInputs)
    entry.addArgument(t, loc);
  b.setInsertionPointToStart(&entry);
  file = entry.getArgument(nOld);
  offsets = entry.getArgument(nOld + 1);
  unsigned next = nOld + 2;
  for (unsigned i = 0; i < nOld; ++i) {
    BlockArgument old = entry.getArgument(i);
    if (auto tt = dyn_cast<RankedTensorType>(old.getType())) {
      Value t = bufferization::ToTensorOp::create(b, loc, tt,
                                                  entry.getArgument(next++),
                                                  /*restrict=*/true);
      old.replaceAllUsesWith(t);
    } else {
      caches[old] = {entry.getArgument(next), entry.getArgument(next + 1)};
      next += 2;
    }
  }
  // Results go to the out-buffers.
  SmallVector<Value> outs;
  for (unsigned r = 0; r < fn.getNumResults(); ++r)
    outs.push_back(entry.getArgument(next++));
  for (Block &blk : fn.getBody()) {
    auto ret = dyn_cast<func::ReturnOp>(blk.getTerminator());
    if (!ret)
      continue;
    for (auto [v, out] : llvm::zip(ret.getOperands(), outs))
      lastRowsOnly(v, out);
    returnIntoOutBuffers(ret, outs);
  }
  return success();
}

LogicalResult FunctionLowering::lowerWeight(WeightOp op) {
  WeightType wt = op.getType();
  bool packed = prepacked.contains(op.getName());
  int64_t index;
  auto it = weightIndex.find(op.getName());
  if (it != weightIndex.end()) {
    index = it->second;
  } else {
    index = static_cast<int64_t>(weightTable.size());
    weightIndex[op.getName()] = index;
    SmallVector<int64_t> ne(wt.getShape().rbegin(), wt.getShape().rend());
    SmallVector<NamedAttribute> entry = {
        b.getNamedAttr("name", op.getNameAttr()),
        b.getNamedAttr("type", b.getI64IntegerAttr(
                                   static_cast<int64_t>(wt.getGgmlType()))),
        b.getNamedAttr("ne", b.getI64ArrayAttr(ne))};
    if (packed)
      entry.push_back(b.getNamedAttr(
          "layout", b.getStringAttr(llama_mlir::packed::kRows16)));
    weightTable.push_back(b.getDictionaryAttr(entry));
  }
  // Views are created at the top of the function, after the ABI setup.
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Value off = memref::LoadOp::create(b, loc, offsets, ValueRange{e.idx(index)});
  Value offIdx = arith::IndexCastOp::create(b, loc, b.getIndexType(), off);
  MemRefType vt = weightBufferType(wt, packed);
  Value view = memref::ViewOp::create(b, loc, vt, file, offIdx, ValueRange{});
  weights[op.getResult()] = weightView(view, wt, packed);
  return success();
}

LogicalResult FunctionLowering::lowerEmbedding(EmbeddingOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  const WeightView &w = weights.lookup(op.getTable());
  auto rt = cast<RankedTensorType>(op.getType());
  if (!kernels.gpu) {
    // A gather: out[s, k] = table[tokens[s], k], decoded, as a structured
    // op over (tokens, k).
    Value tokens = op.getTokens();
    Value init = e.emptyRows(tokens, {rt.getDimSize(1)});
    AffineMap rows = e.rowsMap();
    auto gather = linalg::GenericOp::create(
        b, e.loc, TypeRange{rt}, ValueRange{tokens}, ValueRange{init},
        ArrayRef<AffineMap>{rows, b.getMultiDimIdentityMap(2)},
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Emitter be{nb, l};
          Value row =
              arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
          Value k = linalg::IndexOp::create(nb, l, 1);
          linalg::YieldOp::create(nb, l, ValueRange{be.weightAt(w, row, k)});
        });
    // Scalar: the body reads the weight's buffer.
    configureStructured(gather, /*vectorize=*/false);
    op.getResult().replaceAllUsesWith(gather.getResult(0));
    op.erase();
    return success();
  }
  Value tokens, seq, out;
  std::tie(tokens, seq, out) = e.rowsInOut(op.getTokens(), rt);
  int64_t dim = rt.getDimSize(1);
  forAll(e, kernels.gpu, {seq, e.idx(dim)}, [&](ArrayRef<Value> iv) {
    Value tok = memref::LoadOp::create(b, e.loc, tokens, ValueRange{iv[0]});
    Value row = arith::IndexCastOp::create(b, e.loc, b.getIndexType(), tok);
    memref::StoreOp::create(b, e.loc, e.weightAt(w, row, iv[1]), out,
                            ValueRange{iv[0], iv[1]});
  });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

LogicalResult FunctionLowering::run() {
  // Model-level llama ops; llama.int8_dot, llama.dot4_acc and
  // llama.kernel_matmul and llama.kernel_attention are kernel ops this pass
  // emits.
  auto isModelOp = [](Operation *op) {
    return isa<LlamaDialect>(op->getDialect()) &&
           !isa<Int8DotOp, Dot4AccOp, KernelMatmulOp, KernelAttentionOp>(op);
  };
  bool usesLlama = false;
  fn.walk([&](Operation *op) {
    if (isModelOp(op))
      usesLlama = true;
  });
  for (Type t : fn.getArgumentTypes())
    usesLlama |= isa<KVCacheType>(t);
  bool layer = isLayerFunction(fn);
  if ((!usesLlama && !layer) || fn.isExternal())
    return success();
  if (!fn.getBody().hasOneBlock())
    return fn.emitOpError("llama-lower-to-loops expects a single block");
  if (failed(layer ? rewriteLayerSignature() : rewriteSignature()))
    return failure();

  SmallVector<Operation *> ops;
  // Weight and cache-layer handles, erased last, once nothing uses them.
  SmallVector<Operation *> handles;
  fn.walk([&](Operation *op) {
    if (isModelOp(op))
      ops.push_back(op);
    if (auto call = dyn_cast<func::CallOp>(op); call && layerCallee(call))
      ops.push_back(call);
    if (isa<WeightOp, KVCacheLayerOp>(op))
      handles.push_back(op);
  });
  for (Operation *op : ops) {
    if (!isa<WeightOp, KVCacheLayerOp, func::CallOp>(op)) {
      auto config =
          op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
      if (!config && takesKernelConfig(op))
        return op->emitOpError("needs a llama.kernel_config (run "
                               "llama-configure-kernels first)");
      kernels = config ? Kernels::of(config) : Kernels();
    }
    LogicalResult r =
        llvm::TypeSwitch<Operation *, LogicalResult>(op)
            .Case<WeightOp>([&](auto o) { return lowerWeight(o); })
            .Case<EmbeddingOp>([&](auto o) { return lowerEmbedding(o); })
            .Case<RMSNormOp>([&](auto o) { return lowerRMSNorm(o); })
            .Case<MatmulOp>([&](auto o) { return lowerMatmul(o); })
            .Case<MatmulSwiGLUOp>([&](auto o) { return lowerMatmulSwiGLU(o); })
            .Case<QKVRoPEOp>([&](auto o) { return lowerQKVRoPE(o); })
            .Case<AttentionOp>([&](auto o) { return lowerAttention(o); })
            .Case<GQAAttentionOp>([&](auto o) { return lowerGQAAttention(o); })
            .Case<KVCacheLayerOp>([&](auto o) { return lowerKVCacheLayer(o); })
            .Case<func::CallOp>(
                [&](func::CallOp o) { return lowerCall(o, layerCallee(o)); })
            .Default([&](Operation *o) {
              return o->emitOpError(
                  "must be lowered before llama-lower-to-loops (run "
                  "llama-lower-to-linalg first)");
            });
    if (failed(r))
      return failure();
  }
  // The handles are dead now (the other ops were erased as lowered).
  for (Operation *h : llvm::reverse(handles))
    h->erase();

  Block &entry = fn.front();
  for (unsigned i = 0; i < numOldArgs; ++i)
    if (!entry.getArgument(i).use_empty())
      return fn.emitOpError("argument ") << i << " still has uses";
  entry.eraseArguments(0, numOldArgs);
  fn.setFunctionType(
      FunctionType::get(fn.getContext(), entry.getArgumentTypes(), {}));
  if (layer)
    return success();
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(fn.getContext()));
  return success();
}

/// The calls of each layer function (isLayerFunction) in `module`.
static DenseMap<Operation *, SmallVector<func::CallOp>>
layerCalls(ModuleOp module) {
  DenseMap<Operation *, SmallVector<func::CallOp>> calls;
  module.walk([&](func::CallOp call) {
    if (func::FuncOp callee = layerCallee(call))
      calls[callee].push_back(call);
  });
  return calls;
}

/// The llama.weight ops whose handle `v` is: its own, or, for an argument
/// of a layer function, those its calls pass.
static SmallVector<WeightOp>
weightOpsOf(Value v,
            const DenseMap<Operation *, SmallVector<func::CallOp>> &calls) {
  if (auto w = v.getDefiningOp<WeightOp>())
    return {w};
  SmallVector<WeightOp> ws;
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || !isa<WeightType>(arg.getType()))
    return ws;
  auto it = calls.find(arg.getOwner()->getParentOp());
  if (it == calls.end())
    return ws;
  for (func::CallOp call : it->second)
    if (auto w = call.getOperand(arg.getArgNumber()).getDefiningOp<WeightOp>())
      ws.push_back(w);
  return ws;
}

/// The weights read in the rows16 layout, by name: those of the ops whose
/// kernel configuration says layout = rows16 (in a layer function: the
/// weights its calls pass). An error where another use of such a weight
/// reads the GGUF layout, or the weight has no rows16 layout
/// (PackedWeights.h).
static FailureOr<llvm::StringSet<>> prepackedWeights(
    ModuleOp module,
    const DenseMap<Operation *, SmallVector<func::CallOp>> &calls) {
  llvm::StringSet<> names;
  llvm::StringMap<Operation *> ggufUse;
  WalkResult r = module.walk([&](Operation *op) {
    // A call passes its weights on: the layer function's ops read them.
    if (isa<func::CallOp>(op))
      return WalkResult::advance();
    auto config =
        op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
    bool rows16 = config && config.getLayout() == WeightLayout::Rows16;
    SmallVector<Value> ws = matmulWeights(op);
    if (rows16 && ws.empty()) {
      op->emitOpError("llama-lower-to-loops: layout = rows16 is for "
                      "llama.matmul, llama.matmul_swiglu and llama.qkv_rope");
      return WalkResult::interrupt();
    }
    for (OpOperand &use : op->getOpOperands()) {
      for (WeightOp w : weightOpsOf(use.get(), calls)) {
        if (!rows16 || !llvm::is_contained(ws, use.get())) {
          ggufUse.try_emplace(w.getName(), op);
          continue;
        }
        auto wt = cast<WeightType>(w.getType());
        if (wt.getShape().size() != 2 ||
            !llama_mlir::packed::hasRows16(
                static_cast<uint32_t>(wt.getGgmlType()), wt.getShape()[0],
                wt.getShape()[1])) {
          op->emitOpError("llama-lower-to-loops: layout = rows16, but weight '")
              << w.getName() << "' (" << wt << ") has no rows16 layout";
          return WalkResult::interrupt();
        }
        names.insert(w.getName());
      }
    }
    return WalkResult::advance();
  });
  if (r.wasInterrupted())
    return failure();
  for (const auto &n : names)
    if (Operation *op = ggufUse.lookup(n.getKey())) {
      op->emitOpError("llama-lower-to-loops: weight '")
          << n.getKey()
          << "' is read in the rows16 layout by another op, but in the GGUF "
             "layout here";
      return failure();
    }
  return names;
}

/// Per layer function and argument, whether its calls pass a weight read in
/// the rows16 layout; an error where calls disagree.
static FailureOr<LayerPacking>
layerPacking(const DenseMap<Operation *, SmallVector<func::CallOp>> &calls,
             const llvm::StringSet<> &prepacked) {
  LayerPacking packing;
  for (const auto &[callee, sites] : calls) {
    SmallVector<bool> &p = packing[callee];
    for (auto [n, site] : llvm::enumerate(sites)) {
      func::CallOp call = site;
      for (auto [i, v] : llvm::enumerate(call.getOperands())) {
        auto w = v.getDefiningOp<WeightOp>();
        bool packed = w && prepacked.contains(w.getName());
        if (n == 0) {
          p.push_back(packed);
        } else if (p[i] != packed) {
          return call.emitOpError("llama-lower-to-loops: operand ")
                 << i << " is a weight in another layout than at the other "
                 << "calls of the layer function";
        }
      }
    }
  }
  return packing;
}

namespace {

struct LlamaLowerToLoopsPass
    : llama::impl::LlamaLowerToLoopsPassBase<LlamaLowerToLoopsPass> {
  using LlamaLowerToLoopsPassBase::LlamaLowerToLoopsPassBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<int64_t> weightIndex;
    SmallVector<Attribute> weightTable;
    auto calls = layerCalls(module);
    FailureOr<llvm::StringSet<>> prepacked = prepackedWeights(module, calls);
    if (failed(prepacked))
      return signalPassFailure();
    FailureOr<LayerPacking> packing = layerPacking(calls, *prepacked);
    if (failed(packing))
      return signalPassFailure();
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      FunctionLowering lowering(fn, weightIndex, weightTable, *prepacked,
                                *packing);
      if (failed(lowering.run()))
        return signalPassFailure();
    }
    for (auto fn : module.getOps<func::FuncOp>())
      fn->removeAttr(kResultRowsAttrName);
    if (!weightTable.empty())
      module->setAttr("llama.weight_table",
                      ArrayAttr::get(&getContext(), weightTable));
  }
};

} // namespace
