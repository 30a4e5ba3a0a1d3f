//===- OutlineParallelLoops.cpp - scf.parallel to pool dispatch -*- C++ -*-===//
//
// Implements the `llama-outline-parallel-loops` pass (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "FunctionDedupe.h"

#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAOUTLINEPARALLELLOOPSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

struct LlamaOutlineParallelLoopsPass
    : llama::impl::LlamaOutlineParallelLoopsPassBase<
          LlamaOutlineParallelLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp op) {
      // Only outermost loops; nested ones run inside their parent's share.
      if (!op->getParentOfType<scf::ParallelOp>())
        loops.push_back(op);
    });
    unsigned counter = 0;
    SmallVector<std::pair<func::FuncOp, func::FuncOp>> outlined;
    for (scf::ParallelOp loop : loops) {
      FailureOr<std::pair<func::FuncOp, func::FuncOp>> f =
          outline(module, loop, counter++);
      if (failed(f))
        return signalPassFailure();
      outlined.push_back(*f);
    }
    if (dedupe)
      dedupeBodies(module, outlined);
  }

  /// Keeps the first of each set of identical bodies (see Passes.td); the
  /// calls of the others' dispatch functions go to the first's.
  static void
  dedupeBodies(ModuleOp module,
               ArrayRef<std::pair<func::FuncOp, func::FuncOp>> outlined) {
    llvm::DenseMap<StringAttr, SmallVector<func::CallOp>> calls;
    module.walk([&](func::CallOp call) {
      calls[call.getCalleeAttr().getAttr()].push_back(call);
    });
    llvm::StringMap<func::FuncOp> firstWithText;
    for (auto [body, dispatch] : outlined) {
      llama::generalizeViewOffsets(body);
      auto [it, first] =
          firstWithText.try_emplace(llama::textUnderFixedName(body), dispatch);
      func::FuncOp target = it->second;
      if (first)
        dispatch.setType(body.getFunctionType());
      for (func::CallOp call : calls[dispatch.getSymNameAttr()]) {
        OpBuilder b(call);
        for (auto [operand, type] : llvm::zip(
                 call->getOpOperands(), target.getFunctionType().getInputs()))
          if (operand.get().getType() != type)
            operand.set(
                memref::CastOp::create(b, call.getLoc(), type, operand.get()));
        call.setCallee(target.getSymName());
      }
      if (!first) {
        body.erase();
        dispatch.erase();
      }
    }
  }

  static LogicalResult sinkScalableValues(scf::ParallelOp loop) {
    for (bool changed = true; changed;) {
      changed = false;
      llvm::SetVector<Value> above;
      getUsedValuesDefinedAbove(loop.getRegion(), above);
      for (Value v : above) {
        auto vt = dyn_cast<VectorType>(v.getType());
        if (!vt || !vt.isScalable())
          continue;
        Operation *def = v.getDefiningOp();
        if (!def || def->getNumRegions() || !isPure(def))
          return loop.emitOpError("llama-outline-parallel-loops cannot "
                                  "capture the scalable vector ")
                 << v;
        OpBuilder ib = OpBuilder::atBlockBegin(loop.getBody());
        Operation *copy = ib.clone(*def);
        replaceAllUsesInRegionWith(
            v, copy->getResult(cast<OpResult>(v).getResultNumber()),
            loop.getRegion());
        changed = true;
        break;
      }
    }
    return success();
  }

  /// Outlines `loop`: its body function and dispatch declaration.
  FailureOr<std::pair<func::FuncOp, func::FuncOp>>
  outline(ModuleOp module, scf::ParallelOp loop, unsigned n) {
    if (loop.getNumLoops() != 1 || loop.getNumResults() != 0)
      return loop.emitOpError("llama-outline-parallel-loops handles "
                              "one-dimensional loops without reductions");
    if (!matchPattern(loop.getStep()[0], m_One()))
      return loop.emitOpError("llama-outline-parallel-loops needs step 1");
    Location loc = loop.getLoc();
    // Scalable vectors (SVE) have no size and cannot be captured in the
    // dispatch struct: pure ops defining them (e.g. a hoisted tail mask)
    // move back into the loop body, where their operands are captured.
    if (failed(sinkScalableValues(loop)))
      return failure();
    // Constants are cloned into the body; other outside values are captured.
    llvm::SetVector<Value> above;
    getUsedValuesDefinedAbove(loop.getRegion(), above);
    SmallVector<Value> captures;
    SmallVector<Operation *> constants;
    for (Value v : above) {
      Operation *def = v.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        constants.push_back(def);
      else
        captures.push_back(v);
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    std::string name = "__llama_par_" + std::to_string(n);
    SmallVector<Type> types;
    for (Value v : captures)
      types.push_back(v.getType());
    types.append({b.getIndexType(), b.getIndexType()});
    auto fnType = b.getFunctionType(types, {});

    // The body: for i in [lo, hi) { loop body }.
    auto body = func::FuncOp::create(b, loc, name, fnType);
    body.setPrivate();
    Block *entry = body.addEntryBlock();
    OpBuilder bb = OpBuilder::atBlockBegin(entry);
    IRMapping map;
    for (Operation *c : constants)
      map.map(c->getResult(0), bb.clone(*c)->getResult(0));
    for (auto [v, arg] : llvm::zip(captures, entry->getArguments()))
      map.map(v, arg);
    Value lo = entry->getArgument(captures.size()),
          hi = entry->getArgument(captures.size() + 1);
    Value one = arith::ConstantIndexOp::create(bb, loc, 1);
    auto forOp = scf::ForOp::create(bb, loc, lo, hi, one);
    map.map(loop.getInductionVars()[0], forOp.getInductionVar());
    OpBuilder fb = OpBuilder::atBlockBegin(forOp.getBody());
    for (Operation &op : loop.getBody()->without_terminator())
      fb.clone(op, map);
    func::ReturnOp::create(bb, loc);

    // The dispatch declaration and its call.
    auto dispatch = func::FuncOp::create(b, loc, name + "_dispatch", fnType);
    dispatch.setPrivate();
    dispatch->setAttr("llama.parallel_body",
                      FlatSymbolRefAttr::get(b.getContext(), name));
    OpBuilder cb(loop);
    SmallVector<Value> operands(captures.begin(), captures.end());
    operands.append({loop.getLowerBound()[0], loop.getUpperBound()[0]});
    func::CallOp::create(cb, loc, dispatch, operands);
    loop.erase();
    return std::make_pair(body, dispatch);
  }
};

} // namespace
