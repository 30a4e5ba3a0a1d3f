//===- Calls.cpp - Layer functions and their calls ---------------*- C++
//-*-===//
//
// The functions of llama-share-layers lowered like the entry points, with
// their own convention instead of the runtime ABI: each tensor argument is
// its buffer, each KV cache the K and V buffers of the one layer the call
// passes (llama.kv_cache_layer: subviews of the entry point's cache), each
// weight the view of its bytes the caller made, and each result a buffer
// the caller allocates (sized from kResultRowsAttrName), appended to the
// arguments.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llama-mlir/Codegen/PackedWeights.h"
#include "llama-mlir/Transforms/Passes.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

bool isLayerFunction(func::FuncOp fn) {
  return fn.isPrivate() && !fn.isExternal() && fn->hasAttr(kResultRowsAttrName);
}

func::FuncOp layerCallee(func::CallOp call) {
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      call, call.getCalleeAttr());
  return callee && isLayerFunction(callee) ? callee : func::FuncOp();
}

MemRefType weightBufferType(WeightType wt, bool packed) {
  MLIRContext *ctx = wt.getContext();
  if (!packed)
    return weightViewType(ctx, wt.getGgmlType(), wt.getNumRows(),
                          wt.getShape().back());
  // tiles x units x bytes (PackedWeights.h)
  auto type = static_cast<uint32_t>(wt.getGgmlType());
  return MemRefType::get(
      {wt.getShape()[0] / kPackedRows,
       wt.getShape()[1] /
           (kIntDotBlock * llama_mlir::packed::rows16UnitGroups(type)),
       llama_mlir::packed::rows16UnitBytes(type)},
      IntegerType::get(ctx, 8));
}

WeightView weightView(Value view, GGMLType type, bool packed) {
  const llamart::GGMLTypeTraits &tr = llamart::getGGMLTypeTraits(
      static_cast<llamart::GGMLType>(static_cast<uint32_t>(type)));
  return {view, type, static_cast<int64_t>(tr.blockSize),
          static_cast<int64_t>(tr.bytesPerBlock), packed};
}

WeightView weightView(Value view, WeightType wt, bool packed) {
  return weightView(view, wt.getGgmlType(), packed);
}

/// The K or V buffer of one layer of a cache of type `ct`: its shape, with
/// the strides of a whole cache's layer and any offset.
static MemRefType layerCacheType(KVCacheType ct) {
  return MemRefType::get(
      ct.getShape(), ct.getElementType(),
      StridedLayoutAttr::get(ct.getContext(), ShapedType::kDynamic,
                             computeSuffixProduct(ct.getShape())));
}

SmallVector<Type> layerArgumentTypes(Type t, bool packed) {
  if (auto tt = dyn_cast<RankedTensorType>(t))
    return {MemRefType::get(tt.getShape(), tt.getElementType())};
  if (auto ct = dyn_cast<KVCacheType>(t)) {
    MemRefType m = layerCacheType(ct);
    return {m, m};
  }
  if (auto wt = dyn_cast<WeightType>(t))
    return {weightBufferType(wt, packed)};
  return {t};
}

ArrayRef<bool> FunctionLowering::packedArguments(func::FuncOp callee) const {
  auto it = layerPacking.find(callee);
  return it == layerPacking.end() ? ArrayRef<bool>() : ArrayRef(it->second);
}

void returnIntoOutBuffers(func::ReturnOp ret, ArrayRef<Value> outs) {
  OpBuilder rb(ret);
  for (auto [v, out] : llvm::zip(ret.getOperands(), outs))
    bufferization::MaterializeInDestinationOp::create(
        rb, ret.getLoc(), TypeRange{}, v, out, /*restrict=*/true,
        /*writable=*/true);
  func::ReturnOp::create(rb, ret.getLoc());
  ret.erase();
}

LogicalResult FunctionLowering::rewriteLayerSignature() {
  Block &entry = fn.front();
  Location loc = fn.getLoc();
  auto rows = fn->getAttrOfType<DenseI64ArrayAttr>(kResultRowsAttrName);
  if (!rows || rows.size() != fn.getNumResults())
    return fn.emitOpError("llama-lower-to-loops: ")
           << kResultRowsAttrName << " must have one entry per result";
  ArrayRef<bool> packed = packedArguments(fn);
  numOldArgs = entry.getNumArguments();
  b.setInsertionPointToStart(&entry);
  for (unsigned i = 0; i < numOldArgs; ++i) {
    BlockArgument old = entry.getArgument(i);
    Type t = old.getType();
    bool isPacked = i < packed.size() && packed[i];
    SmallVector<Value> args;
    for (Type nt : layerArgumentTypes(t, isPacked))
      args.push_back(entry.addArgument(nt, loc));
    if (auto tt = dyn_cast<RankedTensorType>(t)) {
      old.replaceAllUsesWith(bufferization::ToTensorOp::create(
          b, loc, tt, args[0], /*restrict=*/true));
    } else if (isa<KVCacheType>(t)) {
      caches[old] = {args[0], args[1]};
    } else if (auto wt = dyn_cast<WeightType>(t)) {
      weights[old] = weightView(args[0], wt, isPacked);
    } else if (t.isIntOrIndexOrFloat()) {
      old.replaceAllUsesWith(args[0]);
    } else {
      return fn.emitOpError("llama-lower-to-loops: unsupported argument type ")
             << t << " of a layer function";
    }
  }
  SmallVector<Value> outs;
  for (Type t : fn.getResultTypes()) {
    auto tt = dyn_cast<RankedTensorType>(t);
    if (!tt)
      return fn.emitOpError("llama-lower-to-loops: results must be tensors");
    outs.push_back(entry.addArgument(
        MemRefType::get(tt.getShape(), tt.getElementType()), loc));
  }
  returnIntoOutBuffers(cast<func::ReturnOp>(entry.getTerminator()), outs);
  return success();
}

LogicalResult FunctionLowering::lowerKVCacheLayer(KVCacheLayerOp op) {
  auto it = caches.find(op.getCache());
  if (it == caches.end())
    return op.emitOpError("llama-lower-to-loops: the cache is not an "
                          "argument of the function");
  b.setInsertionPoint(op);
  MemRefType t = layerCacheType(op.getType());
  auto layer = [&](Value cache) -> Value {
    Value view = cacheLayer(b, op.getLoc(), cache, op.getLayer(),
                            /*keepLayerDim=*/true);
    return memref::CastOp::create(b, op.getLoc(), t, view);
  };
  caches[op.getResult()] = {layer(it->second.first), layer(it->second.second)};
  return success();
}

LogicalResult FunctionLowering::lowerCall(func::CallOp call,
                                          func::FuncOp callee) {
  b.setInsertionPoint(call);
  Location loc = call.getLoc();
  Emitter e{b, loc};
  ArrayRef<bool> packed = packedArguments(callee);
  SmallVector<Value> operands;
  SmallVector<Value> buffers; // per call operand, its first new operand
  for (auto [i, v] : llvm::enumerate(call.getOperands())) {
    Type t = v.getType();
    bool isPacked = i < packed.size() && packed[i];
    SmallVector<Type> want = layerArgumentTypes(t, isPacked);
    SmallVector<Value> now;
    if (isa<RankedTensorType>(t)) {
      now.push_back(e.buffer(v));
    } else if (isa<KVCacheType>(t)) {
      auto it = caches.find(v);
      if (it == caches.end())
        return call.emitOpError("llama-lower-to-loops: a KV cache operand "
                                "that is no llama.kv_cache_layer");
      now = {it->second.first, it->second.second};
    } else if (isa<WeightType>(t)) {
      auto it = weights.find(v);
      if (it == weights.end() || it->second.prepacked != isPacked)
        return call.emitOpError("llama-lower-to-loops: weight operand ")
               << i << " is not a llama.weight in the layout the layer "
               << "function reads";
      now.push_back(it->second.view);
    } else {
      now.push_back(v);
    }
    buffers.push_back(now.front());
    for (auto [n, w] : llvm::zip(now, want))
      operands.push_back(
          n.getType() == w ? n : Value(memref::CastOp::create(b, loc, w, n)));
  }
  ArrayRef<int64_t> rows =
      callee->getAttrOfType<DenseI64ArrayAttr>(kResultRowsAttrName);
  SmallVector<std::pair<Value, RankedTensorType>> outs;
  for (auto [r, t] : llvm::enumerate(call.getResultTypes())) {
    auto rt = cast<RankedTensorType>(t);
    SmallVector<Value> dyn;
    if (rt.isDynamicDim(0)) {
      int64_t src = r < rows.size() ? rows[r] : -1;
      if (src < 0 || src >= static_cast<int64_t>(buffers.size()))
        return call.emitOpError("llama-lower-to-loops: ")
               << kResultRowsAttrName << " gives no rows for result " << r;
      Value s = buffers[src];
      dyn.push_back(isa<MemRefType>(s.getType()) ? e.dim(s, 0) : s);
    }
    Value out = e.alloc(rt, dyn);
    operands.push_back(out);
    outs.push_back({out, rt});
  }
  func::CallOp::create(b, loc, callee.getSymName(), TypeRange{}, operands);
  for (auto [result, out] : llvm::zip(call.getResults(), outs))
    result.replaceAllUsesWith(e.toTensor(out.first, out.second));
  call.erase();
  return success();
}

} // namespace mlir::llama::loops
