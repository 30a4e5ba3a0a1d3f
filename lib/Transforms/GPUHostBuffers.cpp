//===- GPUHostBuffers.cpp - Host buffers kernels can reach ------*- C++ -*-===//
//
// Implements the `llama-gpu-host-buffers` pass (see GPUPasses.td): in the host
// functions of a GPU module, every memref.alloc becomes a `gpu.alloc`
// (through the runtime's mgpuMemAlloc): managed memory where host code
// touches the buffer, device memory where only kernels do (whole copies
// out of it become the runtime's device-to-host copies), and every
// memref.dealloc a call of the runtime's `llama_rt_gpu_free`; before host
// code touches a buffer that a kernel launched since the last wait uses, a
// call of `llama_rt_gpu_sync` (the runtime may run launches
// asynchronously); and the entry points' arguments only kernels use, or
// none does, are recorded for the runtime.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Transforms/Passes.h"
#include "llama-mlir/Transforms/RuntimeDecl.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAGPUHOSTBUFFERSPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

constexpr StringLiteral kFree = LLAMA_RT_GPU_FREE;
constexpr StringLiteral kSync = LLAMA_RT_GPU_SYNC;
constexpr StringLiteral kEntryPointAttr = "llvm.emit_c_interface";

/// The buffer a memref value views (through subviews, reshapes, casts).
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// The buffers `op` and the ops nested in it load from or store to.
void accessedBuffers(Operation *op, llvm::DenseSet<Value> &out) {
  op->walk([&](Operation *o) {
    Value m;
    if (auto l = dyn_cast<memref::LoadOp>(o))
      m = l.getMemref();
    else if (auto st = dyn_cast<memref::StoreOp>(o))
      m = st.getMemref();
    else if (auto vl = dyn_cast<vector::LoadOp>(o))
      m = vl.getBase();
    else if (auto vs = dyn_cast<vector::StoreOp>(o))
      m = vs.getBase();
    else if (auto c = dyn_cast<memref::CopyOp>(o)) {
      out.insert(rootBuffer(c.getSource()));
      m = c.getTarget();
    }
    if (m)
      out.insert(rootBuffer(m));
  });
}

/// The buffers the launches in `op` (or `op` itself) pass to kernels.
void launchedBuffers(Operation *op, llvm::DenseSet<Value> &out) {
  op->walk([&](gpu::LaunchFuncOp launch) {
    for (Value v : launch.getKernelOperands())
      if (isa<MemRefType>(v.getType()))
        out.insert(rootBuffer(v));
  });
}

/// Inserts a wait before every op of `block` (recursively) that touches a
/// buffer a kernel launched since the last wait may still use. `dirty`
/// holds those buffers on entry and on exit. The body of a loop is entered
/// with its own launches dirty too (they ran in the previous iteration).
void insertWaits(Block &block, llvm::DenseSet<Value> &dirty,
                 RewriterBase &rewriter, bool &used) {
  for (Operation &op : llvm::make_early_inc_range(block)) {
    if (isa<gpu::LaunchFuncOp>(op)) {
      launchedBuffers(&op, dirty);
      continue;
    }
    llvm::DenseSet<Value> touched;
    accessedBuffers(&op, touched);
    if (touched.empty())
      continue;
    llvm::DenseSet<Value> launched;
    launchedBuffers(&op, launched);
    if (launched.empty()) {
      // Straight-line host code: one wait before it, if needed.
      if (llvm::any_of(touched, [&](Value v) { return dirty.contains(v); })) {
        rewriter.setInsertionPoint(&op);
        func::CallOp::create(rewriter, op.getLoc(), kSync, TypeRange{},
                             ValueRange{});
        used = true;
        dirty.clear();
      }
      continue;
    }
    // Host code that launches kernels itself (a host loop): look inside.
    for (Region &region : op.getRegions())
      for (Block &inner : region) {
        llvm::DenseSet<Value> d = dirty;
        d.insert(launched.begin(), launched.end());
        insertWaits(inner, d, rewriter, used);
      }
    dirty.insert(launched.begin(), launched.end());
  }
}
constexpr uint64_t kManagedAlignment = 256;
constexpr StringLiteral kDownload = LLAMA_RT_GPU_DOWNLOAD;

/// Whether `copy` can be a device-to-host copy of bytes: both sides
/// contiguous (identity layouts) of whole bytes.
bool isDownload(memref::CopyOp copy) {
  auto src = dyn_cast<MemRefType>(copy.getSource().getType());
  auto dst = dyn_cast<MemRefType>(copy.getTarget().getType());
  return src && dst && src.getLayout().isIdentity() &&
         dst.getLayout().isIdentity() && src.getElementType().isIntOrFloat() &&
         src.getElementTypeBitWidth() % 8 == 0;
}

/// Whether the host code only hands `v` (a memref or a view of one) to
/// kernels: each user is a gpu.launch_func, a memref.dim, or a view of `v`
/// whose memref results are themselves only handed to kernels. Anything
/// else (a load, a copy, a call, a loop's iter_args, a pointer taken) is a
/// host use. With `ownBuffer` (an alloc's result), its memref.dealloc and
/// copies out of it that can be downloads (isDownload) count as kernel
/// uses too.
bool onlyKernelsUse(Value v, bool ownBuffer) {
  for (Operation *user : v.getUsers()) {
    if (isa<gpu::LaunchFuncOp, memref::DimOp>(user))
      continue;
    if (ownBuffer && isa<memref::DeallocOp>(user))
      continue;
    if (auto copy = dyn_cast<memref::CopyOp>(user);
        ownBuffer && copy && copy.getSource() == v && isDownload(copy))
      continue;
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != v)
      return false;
    for (Value r : user->getResults())
      if (isa<BaseMemRefType>(r.getType()) && !onlyKernelsUse(r, ownBuffer))
        return false;
  }
  return true;
}

/// Whether no kernel gets `v` or a view of it.
bool noKernelUses(Value v) {
  for (Operation *user : v.getUsers()) {
    if (isa<gpu::LaunchFuncOp>(user))
      return false;
    auto view = dyn_cast<ViewLikeOpInterface>(user);
    if (!view || view.getViewSource() != v)
      continue;
    for (Value r : user->getResults())
      if (isa<BaseMemRefType>(r.getType()) && !noKernelUses(r))
        return false;
  }
  return true;
}

/// The memref arguments for which `pred` holds in every entry point (a
/// function with the `llvm.emit_c_interface` that llama-lower-to-loops
/// gives the runtime ABI), in argument order; none without entry points.
template <typename Pred>
SmallVector<int64_t> argsOfEveryEntryPoint(ModuleOp module, Pred pred) {
  std::optional<SmallVector<int64_t>> common;
  for (auto fn : module.getOps<func::FuncOp>()) {
    if (fn.isDeclaration() || !fn->hasAttr(kEntryPointAttr))
      continue;
    SmallVector<int64_t> mine;
    for (BlockArgument a : fn.getArguments())
      if (isa<BaseMemRefType>(a.getType()) && pred(a) &&
          (!common || llvm::is_contained(*common, a.getArgNumber())))
        mine.push_back(a.getArgNumber());
    common = std::move(mine);
  }
  return common ? *common : SmallVector<int64_t>();
}

/// Replaces `copy` (isDownload) with a call of the runtime's device-to-host
/// copy of its bytes.
void replaceWithDownload(memref::CopyOp copy, RewriterBase &rewriter) {
  Location loc = copy.getLoc();
  rewriter.setInsertionPoint(copy);
  auto type = cast<MemRefType>(copy.getSource().getType());
  Value bytes = arith::ConstantIndexOp::create(
      rewriter, loc, type.getElementTypeBitWidth() / 8);
  for (int64_t d = 0; d < type.getRank(); ++d) {
    Value n =
        type.isDynamicDim(d)
            ? Value(memref::DimOp::create(rewriter, loc, copy.getSource(), d))
            : Value(arith::ConstantIndexOp::create(rewriter, loc,
                                                   type.getDimSize(d)));
    bytes = arith::MulIOp::create(rewriter, loc, bytes, n);
  }
  auto i64 = rewriter.getI64Type();
  auto asI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(rewriter, loc, i64, index);
  };
  Value dst = memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc,
                                                             copy.getTarget());
  Value src = memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc,
                                                             copy.getSource());
  func::CallOp::create(rewriter, loc, kDownload, TypeRange{},
                       ValueRange{asI64(dst), asI64(src), asI64(bytes)});
  rewriter.eraseOp(copy);
}

struct LlamaGPUHostBuffersPass
    : llama::impl::LlamaGPUHostBuffersPassBase<LlamaGPUHostBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<memref::AllocOp> allocs;
    SmallVector<memref::DeallocOp> deallocs;
    for (auto fn : module.getOps<func::FuncOp>()) {
      fn.walk([&](memref::AllocOp op) { allocs.push_back(op); });
      fn.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    }
    IRRewriter rewriter(&getContext());
    llvm::DenseSet<Value> deviceBuffers;
    for (memref::AllocOp op : allocs) {
      // CUDA aligns managed allocations to at least 256 bytes.
      if (op.getAlignment().value_or(0) > kManagedAlignment ||
          op.getSymbolOperands().size()) {
        op.emitOpError("llama-gpu-host-buffers: alignment above 256 bytes and "
                       "symbol operands are not supported");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      if (onlyKernelsUse(op.getMemref(), /*ownBuffer=*/true)) {
        // Device memory. The synchronous form of gpu.alloc is for
        // host_shared only; gpu-to-llvm lowers an async one whose token no
        // one waits for to mgpuMemAlloc on the stream, no wait.
        auto token = gpu::AsyncTokenType::get(&getContext());
        Value ready =
            gpu::WaitOp::create(rewriter, op.getLoc(), token, ValueRange{})
                .getAsyncToken();
        auto alloc = gpu::AllocOp::create(
            rewriter, op.getLoc(), op.getType(), token, ValueRange{ready},
            op.getDynamicSizes(), /*symbolOperands=*/ValueRange{},
            /*hostShared=*/false);
        rewriter.replaceOp(op, alloc.getMemref());
        deviceBuffers.insert(alloc.getMemref());
        continue;
      }
      auto alloc = gpu::AllocOp::create(
          rewriter, op.getLoc(), op.getType(), /*asyncToken=*/Type(),
          /*asyncDependencies=*/ValueRange{}, op.getDynamicSizes(),
          /*symbolOperands=*/ValueRange{}, /*hostShared=*/true);
      rewriter.replaceOp(op, alloc.getMemref());
    }
    SmallVector<int64_t> deviceOnly = argsOfEveryEntryPoint(
        module, [](Value a) { return onlyKernelsUse(a, false); });
    if (!deviceOnly.empty())
      module->setAttr(llama::kGPUDeviceOnlyArgsAttrName,
                      rewriter.getDenseI64ArrayAttr(deviceOnly));
    SmallVector<int64_t> hostOnly = argsOfEveryEntryPoint(module, noKernelUses);
    if (!hostOnly.empty())
      module->setAttr(llama::kGPUHostOnlyArgsAttrName,
                      rewriter.getDenseI64ArrayAttr(hostOnly));
    bool syncUsed = false;
    for (auto fn : module.getOps<func::FuncOp>())
      for (Block &block : fn.getBody()) {
        llvm::DenseSet<Value> dirty;
        insertWaits(block, dirty, rewriter, syncUsed);
      }
    if (syncUsed)
      llama::declareRuntimeFunction(module, kSync,
                                    rewriter.getFunctionType({}, {}));
    // After the waits, which count these copies as host accesses: the
    // runtime's copy is in stream order anyway.
    SmallVector<memref::CopyOp> downloads;
    for (auto fn : module.getOps<func::FuncOp>())
      fn.walk([&](memref::CopyOp c) {
        if (deviceBuffers.contains(rootBuffer(c.getSource())))
          downloads.push_back(c);
      });
    auto i64 = rewriter.getI64Type();
    if (!downloads.empty())
      llama::declareRuntimeFunction(
          module, kDownload, rewriter.getFunctionType({i64, i64, i64}, {}));
    for (memref::CopyOp c : downloads)
      replaceWithDownload(c, rewriter);
    if (deallocs.empty())
      return;
    llama::declareRuntimeFunction(module, kFree,
                                  rewriter.getFunctionType({i64}, {}));
    for (memref::DeallocOp op : deallocs) {
      rewriter.setInsertionPoint(op);
      Value p = memref::ExtractAlignedPointerAsIndexOp::create(
          rewriter, op.getLoc(), op.getMemref());
      Value i = arith::IndexCastOp::create(rewriter, op.getLoc(), i64, p);
      func::CallOp::create(rewriter, op.getLoc(), kFree, TypeRange{},
                           ValueRange{i});
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
