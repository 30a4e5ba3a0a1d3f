//===- EmulateGPUKernels.cpp - Host copies of the kernels -------*- C++ -*-===//
//
// Implements the `llama-emulate-gpu-kernels` pass (see TestPasses.td): every
// kernel of the module's gpu.modules is copied into the host code as a
// public func.func whose GPU index, shuffle and barrier ops call the
// runtime's CPU emulator (test/lib/GPUEmulator/). The copies are
// how CI runs the generated kernels without a GPU.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Transforms/Passes.h"
#include "llama-mlir/Transforms/RuntimeDecl.h"
#include "test/lib/Transforms/TestPasses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::llama::test {
#define GEN_PASS_DEF_LLAMAEMULATEGPUKERNELSPASS
#include "test/lib/Transforms/TestPasses.h.inc"
} // namespace mlir::llama::test

using namespace mlir;

namespace {

using llama::kEmulatorAlignedFn, llama::kEmulatorBarrierFn,
    llama::kEmulatorIndexFn, llama::kEmulatorMmaFn, llama::kEmulatorSharedFn,
    llama::kEmulatorShuffleFn;

using llama::declareRuntimeFunction;

/// The code llama_rt_emu_index takes for a GPU index op (Passes.td), or -1.
int indexCode(Operation *op) {
  auto dim = [](gpu::Dimension d) { return static_cast<int>(d); };
  if (auto t = dyn_cast<gpu::ThreadIdOp>(op))
    return dim(t.getDimension());
  if (auto t = dyn_cast<gpu::BlockIdOp>(op))
    return 3 + dim(t.getDimension());
  if (auto t = dyn_cast<gpu::BlockDimOp>(op))
    return 6 + dim(t.getDimension());
  if (auto t = dyn_cast<gpu::GridDimOp>(op))
    return 9 + dim(t.getDimension());
  return -1;
}

/// The byte offset of element `indices` of `m` from its aligned pointer
/// (its offset plus the indices times the strides, times the element size).
Value byteOffset(OpBuilder &b, Location l, Value m, ValueRange indices) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, l, m);
  Value linear = meta.getOffset();
  for (auto [i, stride] : llvm::zip(indices, meta.getStrides()))
    linear = arith::AddIOp::create(b, l, linear,
                                   arith::MulIOp::create(b, l, i, stride));
  int64_t elemBytes =
      cast<MemRefType>(m.getType()).getElementTypeBitWidth() / 8;
  return arith::MulIOp::create(b, l, linear,
                               arith::ConstantIndexOp::create(b, l, elemBytes));
}

/// Before a vector load or store that claims an alignment above its
/// element's: a call of the emulator's check with the access's address
/// (the buffer's aligned pointer plus its offset and the indices times the
/// strides, in elements, times the element size). On a GPU a misaligned
/// vector access faults; on the CPU it would pass unnoticed.
template <typename AccessOp> void checkAlignment(ModuleOp module, AccessOp op) {
  std::optional<uint64_t> align = op.getAlignment();
  MemRefType mt = op.getMemRefType();
  unsigned elemBits = mt.getElementTypeBitWidth();
  if (!align || elemBits % 8 || *align <= elemBits / 8)
    return;
  OpBuilder b(op);
  Location l = op.getLoc();
  Type index = b.getIndexType();
  Value m = op.getBase();
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, l, m);
  Value addr =
      arith::AddIOp::create(b, l, base, byteOffset(b, l, m, op.getIndices()));
  func::FuncOp callee = declareRuntimeFunction(
      module, kEmulatorAlignedFn, b.getFunctionType({index, index}, {}));
  func::CallOp::create(
      b, l, callee,
      ValueRange{addr, arith::ConstantIndexOp::create(b, l, int64_t(*align))});
}

/// An nvgpu.mma.sync m16n8k16 of f16 operands and f32 sums becomes a call
/// of the emulator's warp-wide mma with the lane's registers (A's 4 and
/// B's 2 pairs of halves as i32, C's 4 floats) and the address of a 4-float
/// buffer `out` (an alloca of the copy's) that receives the lane's D.
LogicalResult emulateMma(ModuleOp module, StringRef kernel, Value &out,
                         func::FuncOp fn, nvgpu::MmaSyncOp op) {
  OpBuilder b(op);
  Location l = op.getLoc();
  Type f16 = b.getF16Type(), f32 = b.getF32Type(), i32 = b.getI32Type(),
       index = b.getIndexType();
  auto aType = VectorType::get({4, 2}, f16),
       bType = VectorType::get({2, 2}, f16),
       cType = VectorType::get({2, 2}, f32);
  SmallVector<int64_t> shape = llvm::to_vector(
      llvm::map_range(op.getMmaShape().getAsValueRange<IntegerAttr>(),
                      [](const APInt &v) { return v.getSExtValue(); }));
  if (shape != SmallVector<int64_t>{16, 8, 16} || op.getTf32Enabled() ||
      op.getMatrixA().getType() != aType ||
      op.getMatrixB().getType() != bType ||
      op.getMatrixC().getType() != cType || op.getType() != cType)
    return op.emitError("cannot emulate kernel '")
           << kernel << "': mma.sync other than m16n8k16 of f16 with f32 sums";
  if (!out) {
    OpBuilder eb = OpBuilder::atBlockBegin(&fn.getBody().front());
    out = memref::AllocaOp::create(eb, l, MemRefType::get({4}, f32));
  }
  SmallVector<Value> args;
  auto registers = [&](Value v, int64_t n) {
    for (int64_t r = 0; r < n; ++r) {
      Value pair = vector::ExtractOp::create(b, l, v, r);
      Value word =
          vector::BitCastOp::create(b, l, VectorType::get({1}, i32), pair);
      args.push_back(vector::ExtractOp::create(b, l, word, 0));
    }
  };
  registers(op.getMatrixA(), 4);
  registers(op.getMatrixB(), 2);
  for (int64_t r = 0; r < 2; ++r)
    for (int64_t c = 0; c < 2; ++c)
      args.push_back(vector::ExtractOp::create(b, l, op.getMatrixC(),
                                               ArrayRef<int64_t>{r, c}));
  args.push_back(memref::ExtractAlignedPointerAsIndexOp::create(b, l, out));
  SmallVector<Type> types(6, i32);
  types.append(4, f32);
  types.push_back(index);
  func::FuncOp callee = declareRuntimeFunction(module, kEmulatorMmaFn,
                                               b.getFunctionType(types, {}));
  func::CallOp::create(b, l, callee, args);
  SmallVector<Value> d;
  for (int64_t i = 0; i < 4; ++i)
    d.push_back(memref::LoadOp::create(
        b, l, out, ValueRange{arith::ConstantIndexOp::create(b, l, i)}));
  op.replaceAllUsesWith(
      vector::FromElementsOp::create(b, l, cType, d).getResult());
  op.erase();
  return success();
}

/// Before `access` (a load or store of `buffer`, a workgroup buffer of
/// `bufferBytes`): a call of the emulator's shared-memory check with the
/// buffer's address and size, the access's byte offset and size, and
/// whether it writes; the emulator reports accesses out of the buffer and
/// races (threads touching a byte another thread wrote, or writing a byte
/// another read, with no barrier between).
void checkSharedAccess(ModuleOp module, Operation *access, Value buffer,
                       int64_t bufferBytes) {
  OpBuilder b(access);
  Location l = access->getLoc();
  Type index = b.getIndexType(), i32 = b.getI32Type();
  auto type = cast<MemRefType>(buffer.getType());
  int64_t elemBytes = type.getElementTypeBitWidth() / 8;
  ValueRange indices;
  int64_t bytes = elemBytes;
  bool write = false;
  if (auto op = dyn_cast<memref::LoadOp>(access)) {
    indices = op.getIndices();
  } else if (auto op = dyn_cast<memref::StoreOp>(access)) {
    indices = op.getIndices();
    write = true;
  } else if (auto op = dyn_cast<vector::LoadOp>(access)) {
    indices = op.getIndices();
    bytes *= op.getVectorType().getNumElements();
  } else {
    auto st = cast<vector::StoreOp>(access);
    indices = st.getIndices();
    bytes *= st.getVectorType().getNumElements();
    write = true;
  }
  func::FuncOp callee = declareRuntimeFunction(
      module, kEmulatorSharedFn,
      b.getFunctionType({index, index, index, index, i32}, {}));
  func::CallOp::create(
      b, l, callee,
      ValueRange{memref::ExtractAlignedPointerAsIndexOp::create(b, l, buffer),
                 arith::ConstantIndexOp::create(b, l, bufferBytes),
                 byteOffset(b, l, buffer, indices),
                 arith::ConstantIndexOp::create(b, l, bytes),
                 arith::ConstantIntOp::create(b, l, i32, write)});
}

/// The workgroup attributions of `kernel`, block arguments of the entry
/// block of its copy `fn` after the kernel's arguments, become globals of
/// the host module (without the address space): the emulator runs one block
/// at a time, so one buffer serves every block, its threads sharing it as
/// on a GPU. Their uses must be loads and stores (which take a buffer of
/// either type); each is checked for races (checkSharedAccess).
LogicalResult emulateWorkgroupMemory(ModuleOp module, gpu::GPUFuncOp kernel,
                                     func::FuncOp fn) {
  Block &entry = fn.getBody().front();
  unsigned first = kernel.getNumArguments();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  for (auto [i, attribution] :
       llvm::enumerate(kernel.getWorkgroupAttributions())) {
    auto type = cast<MemRefType>(attribution.getType());
    auto hostType = MemRefType::get(type.getShape(), type.getElementType());
    BlockArgument arg = entry.getArgument(first + i);
    for (Operation *user : arg.getUsers())
      if (!isa<memref::LoadOp, memref::StoreOp, vector::LoadOp,
               vector::StoreOp>(user))
        return user->emitError("cannot emulate kernel '")
               << kernel.getName() << "': its workgroup buffer " << i
               << " is used by '" << user->getName()
               << "' (loads and stores only)";
    std::string name = (llama::kEmulatedKernelPrefix + kernel.getName() +
                        "_workgroup_" + Twine(i))
                           .str();
    if (module.lookupSymbol(name))
      return kernel.emitError("cannot emulate kernel '")
             << kernel.getName() << "': the module already has a symbol '"
             << name << "'";
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    memref::GlobalOp::create(mb, kernel.getLoc(), name,
                             mb.getStringAttr("private"), hostType,
                             mb.getUnitAttr(), /*constant=*/false,
                             /*alignment=*/mb.getI64IntegerAttr(16));
    Value buffer =
        memref::GetGlobalOp::create(b, kernel.getLoc(), hostType, name);
    SmallVector<Operation *> users(arg.getUsers());
    arg.replaceAllUsesWith(buffer);
    int64_t bytes =
        hostType.getNumElements() * (hostType.getElementTypeBitWidth() / 8);
    for (Operation *user : users)
      checkSharedAccess(module, user, buffer, bytes);
  }
  entry.eraseArguments(first, entry.getNumArguments() - first);
  return success();
}

struct LlamaEmulateGPUKernelsPass
    : llama::test::impl::LlamaEmulateGPUKernelsPassBase<
          LlamaEmulateGPUKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUFuncOp> kernels;
    for (auto gm : module.getOps<gpu::GPUModuleOp>())
      for (auto fn : gm.getOps<gpu::GPUFuncOp>())
        if (fn.isKernel())
          kernels.push_back(fn);
    for (gpu::GPUFuncOp kernel : kernels)
      if (failed(copy(module, kernel)))
        return signalPassFailure();
  }

  LogicalResult copy(ModuleOp module, gpu::GPUFuncOp kernel) {
    if (!kernel.getPrivateAttributions().empty())
      return kernel.emitError("cannot emulate kernel '")
             << kernel.getName() << "': it has private memory";
    std::string name = (llama::kEmulatedKernelPrefix + kernel.getName()).str();
    if (module.lookupSymbol(name))
      return kernel.emitError("cannot emulate kernel '")
             << kernel.getName() << "': the module already has a symbol '"
             << name << "' (two gpu.modules with kernels of one name?)";
    MLIRContext *ctx = &getContext();
    Location loc = kernel.getLoc();
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto fn = func::FuncOp::create(b, loc, name, kernel.getFunctionType());
    IRMapping map;
    kernel.getBody().cloneInto(&fn.getBody(), map);
    if (failed(emulateWorkgroupMemory(module, kernel, fn)))
      return failure();

    Type i32 = IntegerType::get(ctx, 32), index = IndexType::get(ctx);
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (isa<gpu::GPUDialect, nvgpu::NVGPUDialect>(op->getDialect()))
        ops.push_back(op);
    });
    Value mmaOut;
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Location l = op->getLoc();
      if (int code = indexCode(op); code >= 0) {
        func::FuncOp callee = declareRuntimeFunction(
            module, kEmulatorIndexFn, b.getFunctionType({i32}, {index}));
        Value c = arith::ConstantIntOp::create(b, l, i32, code);
        auto call = func::CallOp::create(b, l, callee, ValueRange{c});
        op->replaceAllUsesWith(call.getResults());
        op->erase();
      } else if (auto sh = dyn_cast<gpu::ShuffleOp>(op)) {
        if (!sh.getValid().use_empty())
          return sh.emitError("cannot emulate kernel '")
                 << kernel.getName() << "': a shuffle's 'valid' is used";
        Type t = sh.getValue().getType();
        if (!t.isF32() && !t.isInteger(32))
          return sh.emitError("cannot emulate kernel '")
                 << kernel.getName() << "': shuffle of " << t
                 << " (f32 and i32 only)";
        func::FuncOp callee = declareRuntimeFunction(
            module, kEmulatorShuffleFn,
            b.getFunctionType({i32, i32, i32, i32}, {i32}));
        Value v = sh.getValue();
        if (t.isF32())
          v = arith::BitcastOp::create(b, l, i32, v);
        Value mode = arith::ConstantIntOp::create(
            b, l, i32, static_cast<int64_t>(sh.getMode()));
        Value r = func::CallOp::create(
                      b, l, callee,
                      ValueRange{v, sh.getOffset(), sh.getWidth(), mode})
                      .getResult(0);
        if (t.isF32())
          r = arith::BitcastOp::create(b, l, t, r);
        sh.getShuffleResult().replaceAllUsesWith(r);
        sh.erase();
      } else if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op)) {
        if (failed(emulateMma(module, kernel.getName(), mmaOut, fn, mma)))
          return failure();
      } else if (isa<gpu::BarrierOp>(op)) {
        func::FuncOp callee = declareRuntimeFunction(module, kEmulatorBarrierFn,
                                                     b.getFunctionType({}, {}));
        func::CallOp::create(b, l, callee, ValueRange{});
        op->erase();
      } else if (auto ret = dyn_cast<gpu::ReturnOp>(op)) {
        func::ReturnOp::create(b, l, ret.getOperands());
        op->erase();
      } else {
        return op->emitError("cannot emulate kernel '")
               << kernel.getName() << "': no emulation of '" << op->getName()
               << "'";
      }
    }
    fn.walk([&](vector::LoadOp op) { checkAlignment(module, op); });
    fn.walk([&](vector::StoreOp op) { checkAlignment(module, op); });
    return success();
  }
};

} // namespace
