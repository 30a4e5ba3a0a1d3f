//===- ShareLayers.cpp - One function per distinct decoder layer --*- C++
//-*-===//
//
// Implements the `llama-share-layers` pass (see Passes.td): each decoder
// layer of an entry point becomes a call, and layers that are the same code
// (same weight types, same kernel configurations) call one function.
//
// Why: every pass after this one, and LLVM, used to see each of a model's
// layers, so compile time grew with depth (22 layers for TinyLlama, 32 for
// Llama-2-7B) although the layers differ only in which weights and which
// layer of the KV cache they read.
//
//===----------------------------------------------------------------------===//

#include "FunctionDedupe.h"

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMASHARELAYERSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;
using namespace mlir::llama;

namespace {

/// N for a weight named "blk.N.<anything>"; -1 for the others.
int64_t layerOfWeight(StringRef name) {
  if (!name.consume_front("blk."))
    return -1;
  int64_t n;
  if (name.consumeInteger(10, n) || !name.starts_with("."))
    return -1;
  return n;
}

/// The layer of every non-weight op of `block`: that of the `blk.N` weights
/// it uses or its `layer` attribute (attention ops); -1 where it uses any
/// other weight (embedding, final norm, output) or a layer attribute and
/// weights that disagree; otherwise the highest layer among the ops its
/// operands come from (-1: none), so that the residual adds and reshapes
/// follow their layer.
DenseMap<Operation *, int64_t> assignLayers(Block &block) {
  DenseMap<Operation *, int64_t> layerOf;
  for (Operation &op : block) {
    if (isa<WeightOp>(op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    int64_t weightLayer = -2; // -2: no weight yet
    bool other = false;
    for (Value v : op.getOperands())
      if (auto w = v.getDefiningOp<WeightOp>()) {
        int64_t n = layerOfWeight(w.getName());
        other |= n < 0 || (weightLayer != -2 && weightLayer != n);
        weightLayer = n;
      }
    auto attr = op.getAttrOfType<IntegerAttr>("layer");
    other |= attr && weightLayer != -2 && attr.getInt() != weightLayer;
    int64_t layer = -1;
    if (other) {
      // Stays in the entry point.
    } else if (attr && isa<LlamaDialect>(op.getDialect())) {
      layer = attr.getInt();
    } else if (weightLayer != -2) {
      layer = weightLayer;
    } else {
      op.walk([&](Operation *nested) {
        for (Value v : nested->getOperands())
          if (Operation *def = v.getDefiningOp())
            if (def->getBlock() == &block)
              layer = std::max(layer, layerOf.lookup_or(def, -1));
      });
    }
    layerOf[&op] = layer;
  }
  return layerOf;
}

/// The index into `args` of the value whose dimension 0 (an index: whose
/// value) is the row count of `v` inside the outlined ops: followed back
/// through ops whose result rows are their first operand's (element-wise
/// ops, the llama ops), the embedding's tokens, reshapes that keep
/// dimension 0, a destination-style op's init, tensor.empty's size and
/// tensor.dim of dimension 0.
std::optional<int64_t> rowsSource(Value v,
                                  const DenseMap<Value, int64_t> &args) {
  // Each step goes to an earlier op of the block: the walk ends.
  while (true) {
    if (auto it = args.find(v); it != args.end())
      return it->second;
    Operation *def = v.getDefiningOp();
    if (!def)
      return std::nullopt;
    if (auto e = dyn_cast<EmbeddingOp>(def)) {
      v = e.getTokens();
    } else if (isa<LlamaDialect>(def->getDialect()) &&
               def->getNumOperands() > 0) {
      v = def->getOperand(0);
    } else if (def->hasTrait<OpTrait::Elementwise>() &&
               def->getNumOperands() > 0) {
      v = def->getOperand(0);
    } else if (auto x = dyn_cast<tensor::ExpandShapeOp>(def)) {
      if (x.getReassociationIndices()[0].size() != 1)
        return std::nullopt;
      v = x.getSrc();
    } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(def)) {
      if (c.getReassociationIndices()[0].size() != 1)
        return std::nullopt;
      v = c.getSrc();
    } else if (auto dps = dyn_cast<DestinationStyleOpInterface>(def)) {
      v = dps.getDpsInitOperand(cast<OpResult>(v).getResultNumber())->get();
    } else if (auto empty = dyn_cast<tensor::EmptyOp>(def)) {
      if (!empty.getType().isDynamicDim(0))
        return std::nullopt;
      v = empty.getDynamicSize(0);
    } else if (auto dim = dyn_cast<tensor::DimOp>(def)) {
      std::optional<int64_t> d = dim.getConstantIndex();
      if (!d || *d != 0)
        return std::nullopt;
      v = dim.getSource();
    } else {
      return std::nullopt;
    }
  }
}

struct LlamaShareLayersPass
    : llama::impl::LlamaShareLayersPassBase<LlamaShareLayersPass> {
  using LlamaShareLayersPassBase::LlamaShareLayersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    // Layer functions by text, for each entry point's layers.
    llvm::StringMap<func::FuncOp> byText;
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (fn.isPrivate() || fn.isExternal() || !fn.getBody().hasOneBlock())
        continue;
      Block &block = fn.getBody().front();
      DenseMap<Operation *, int64_t> layerOf = assignLayers(block);
      std::map<int64_t, SmallVector<Operation *>> layers;
      for (Operation &op : block)
        if (int64_t l = layerOf.lookup_or(&op, -1); l >= 0)
          layers[l].push_back(&op);
      unsigned count = 0;
      for (auto &[layer, ops] : layers)
        outline(fn, layer, ops, symbols, byText, count);
    }
  }

  /// Replaces `ops` (layer `layer` of `fn`, in block order) by a call of a
  /// layer function: an existing one with the same text, or a new one.
  void outline(func::FuncOp fn, int64_t layer, ArrayRef<Operation *> ops,
               SymbolTable &symbols, llvm::StringMap<func::FuncOp> &byText,
               unsigned &count) {
    Operation *last = ops.back();
    llvm::SmallPtrSet<Operation *, 32> inLayer(ops.begin(), ops.end());
    auto remark = [&](const Twine &why) {
      ops.front()->emitRemark()
          << "llama-share-layers: layer " << layer << " left in place: " << why;
    };
    // The ops move to `last`: nothing between may need them earlier or have
    // effects they could be reordered with.
    for (Operation *op = ops.front(); op != last; op = op->getNextNode()) {
      if (inLayer.contains(op))
        continue;
      if (!isMemoryEffectFree(op))
        return remark("an op with side effects lies between its ops");
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp();
            def && inLayer.contains(def))
          return remark("an op outside the layer uses its results early");
    }
    // Live-ins in order of first use (constants are cloned instead) and
    // live-outs.
    llvm::SetVector<Value> liveIns;
    llvm::SetVector<Operation *> constants;
    auto addLiveIn = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && inLayer.contains(def))
        return;
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        constants.insert(def);
      else
        liveIns.insert(v);
    };
    for (Operation *op : ops) {
      for (Value v : op->getOperands())
        addLiveIn(v);
      llvm::SetVector<Value> above;
      getUsedValuesDefinedAbove(op->getRegions(), above);
      for (Value v : above)
        addLiveIn(v);
      if (llvm::any_of(op->getOperands(),
                       [](Value v) { return isa<KVCacheType>(v.getType()); }) &&
          !op->getAttrOfType<IntegerAttr>("layer"))
        return remark("an op uses the KV cache without a layer");
    }
    SmallVector<Value> liveOuts;
    Block &block = fn.getBody().front();
    for (Operation *op : ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *u) {
              return !inLayer.contains(block.findAncestorOpInBlock(*u));
            }))
          liveOuts.push_back(r);
    // What the entry point returns stays in it: its callers may ask for
    // fewer rows of a result than it has (llama-lower-to-loops then computes
    // only those), which a call cannot know.
    for (Value v : liveOuts)
      if (llvm::any_of(v.getUsers(),
                       [](Operation *u) { return isa<func::ReturnOp>(u); }))
        return;

    // The function: a one-layer cache for each cache argument.
    MLIRContext *ctx = fn.getContext();
    SmallVector<Type> argTypes;
    DenseMap<Value, int64_t> argIndex;
    for (Value v : liveIns) {
      Type t = v.getType();
      if (auto c = dyn_cast<KVCacheType>(t))
        t = c.getLayerType();
      argIndex[v] = argTypes.size();
      argTypes.push_back(t);
    }
    SmallVector<int64_t> resultRows;
    for (Value v : liveOuts) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t)
        return remark("a result is not a ranked tensor");
      if (llvm::any_of(t.getShape().drop_front(), ShapedType::isDynamic))
        return remark("a result has a dynamic dimension other than the rows");
      if (!t.isDynamicDim(0)) {
        resultRows.push_back(-1);
        continue;
      }
      std::optional<int64_t> src = rowsSource(v, argIndex);
      if (!src)
        return remark("a result's rows cannot be traced to an argument");
      resultRows.push_back(*src);
    }
    SmallVector<Type> resultTypes;
    for (Value v : liveOuts)
      resultTypes.push_back(v.getType());

    OpBuilder b(ctx);
    auto callee = func::FuncOp::create(
        b, ops.front()->getLoc(), (fn.getSymName() + "_layer").str(),
        FunctionType::get(ctx, argTypes, resultTypes));
    callee.setPrivate();
    callee->setAttr(kResultRowsAttrName, b.getDenseI64ArrayAttr(resultRows));
    Block *body = callee.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping map;
    for (auto [v, arg] : llvm::zip(liveIns, body->getArguments()))
      map.map(v, arg);
    for (Operation *c : constants)
      b.clone(*c, map);
    for (Operation *op : ops) {
      Operation *copy = b.clone(*op, map);
      if (copy->getAttrOfType<IntegerAttr>("layer"))
        copy->setAttr("layer", b.getI64IntegerAttr(0));
    }
    SmallVector<Value> returned;
    for (Value v : liveOuts)
      returned.push_back(map.lookup(v));
    func::ReturnOp::create(b, last->getLoc(), returned);

    // Kept once per text.
    std::string text = textUnderFixedName(callee);
    func::FuncOp shared = byText.lookup(text);
    if (!shared) {
      callee.setSymName((fn.getSymName() + "_layer_" + Twine(count++)).str());
      symbols.insert(callee, fn->getIterator());
      byText[text] = callee;
      shared = callee;
    } else {
      callee->destroy();
    }

    // The call, where the layer's last op was.
    b.setInsertionPointAfter(last);
    Location loc = last->getLoc();
    SmallVector<Value> operands;
    for (Value v : liveIns) {
      if (isa<KVCacheType>(v.getType()))
        v = KVCacheLayerOp::create(b, loc, argTypes[operands.size()], v,
                                   b.getI64IntegerAttr(layer));
      operands.push_back(v);
    }
    auto call = func::CallOp::create(b, loc, shared, operands);
    for (auto [v, r] : llvm::zip(liveOuts, call.getResults()))
      v.replaceAllUsesWith(r);
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }
};

} // namespace
