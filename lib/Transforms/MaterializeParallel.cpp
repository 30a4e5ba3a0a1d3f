//===- MaterializeParallel.cpp - Dispatch to the thread pool ----*- C++ -*-===//
//
// Implements the `llama-materialize-parallel` pass (see Passes.td): in the
// LLVM dialect, packs a parallel loop's captures into a stack struct and
// hands a thunk and the struct to the runtime's llama_rt_parallel_for.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAMATERIALIZEPARALLELPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

constexpr const char *kRuntimeFn = LLAMA_RT_PARALLEL_FOR;

struct LlamaMaterializeParallelPass
    : llama::impl::LlamaMaterializeParallelPassBase<
          LlamaMaterializeParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<LLVM::LLVMFuncOp> dispatches;
    module.walk([&](LLVM::LLVMFuncOp f) {
      if (f->hasAttr("llama.parallel_body") && f.isExternal())
        dispatches.push_back(f);
    });
    if (dispatches.empty())
      return;
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    auto voidTy = LLVM::LLVMVoidType::get(ctx);
    Location loc = module.getLoc();
    auto rt = module.lookupSymbol<LLVM::LLVMFuncOp>(kRuntimeFn);
    if (!rt)
      rt = LLVM::LLVMFuncOp::create(
          b, loc, kRuntimeFn,
          LLVM::LLVMFunctionType::get(voidTy, {ptr, ptr, i64, i64}));

    for (LLVM::LLVMFuncOp d : dispatches) {
      auto bodyName =
          cast<FlatSymbolRefAttr>(d->getAttr("llama.parallel_body")).getValue();
      auto body = module.lookupSymbol<LLVM::LLVMFuncOp>(bodyName);
      if (!body) {
        d.emitOpError("parallel body @") << bodyName << " not found";
        return signalPassFailure();
      }
      ArrayRef<Type> params = d.getFunctionType().getParams();
      if (params.size() < 2 || params.back() != i64 ||
          params[params.size() - 2] != i64 ||
          body.getFunctionType().getParams() != params) {
        d.emitOpError("dispatch and body signatures must be (captures..., "
                      "i64, i64)");
        return signalPassFailure();
      }
      SmallVector<Type> capTypes(params.drop_back(2));
      auto structTy = LLVM::LLVMStructType::getLiteral(ctx, capTypes);

      // thunk(ctx, lo, hi): load the captures, call the body.
      std::string thunkName = (bodyName + "_thunk").str();
      b.setInsertionPointToEnd(module.getBody());
      auto thunk = LLVM::LLVMFuncOp::create(
          b, loc, thunkName,
          LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, i64}));
      thunk.setLinkage(LLVM::Linkage::Internal);
      Block *tb = thunk.addEntryBlock(b);
      OpBuilder t = OpBuilder::atBlockBegin(tb);
      SmallVector<Value> args;
      for (auto [i, ty] : llvm::enumerate(capTypes)) {
        Value gep = LLVM::GEPOp::create(
            t, loc, ptr, structTy, tb->getArgument(0),
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        args.push_back(LLVM::LoadOp::create(t, loc, ty, gep));
      }
      args.append({tb->getArgument(1), tb->getArgument(2)});
      LLVM::CallOp::create(t, loc, body, args);
      LLVM::ReturnOp::create(t, loc, ValueRange{});

      // dispatch(captures..., lb, ub): pack, hand over to the pool.
      d->removeAttr("llama.parallel_body");
      d.setLinkage(LLVM::Linkage::Internal);
      Block *db = d.addEntryBlock(b);
      OpBuilder o = OpBuilder::atBlockBegin(db);
      Value one = LLVM::ConstantOp::create(o, loc, i64, o.getI64IntegerAttr(1));
      Value frame = LLVM::AllocaOp::create(o, loc, ptr, structTy, one);
      for (unsigned i = 0; i < capTypes.size(); ++i) {
        Value gep = LLVM::GEPOp::create(
            o, loc, ptr, structTy, frame,
            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        LLVM::StoreOp::create(o, loc, db->getArgument(i), gep);
      }
      Value fn = LLVM::AddressOfOp::create(o, loc, ptr, thunkName);
      unsigned n = db->getNumArguments();
      LLVM::CallOp::create(o, loc, rt,
                           ValueRange{fn, frame, db->getArgument(n - 2),
                                      db->getArgument(n - 1)});
      LLVM::ReturnOp::create(o, loc, ValueRange{});
    }
  }
};

} // namespace
