//===- ProgramModule.cpp - What llama-compile adds to the LLVM module -----===//
//
// Beside the generated code, a produced program's module carries the
// manifest its runtime checks the model file against, and, for
// --gpu-emulate, the registration of every kernel's host copy with the GPU
// emulator.
//
//===----------------------------------------------------------------------===//

#include "ProgramModule.h"

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Codegen/Formats.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <cstdio>

using namespace mlir;

namespace mlir::llama {

/// The manifest the runtime checks the GGUF file against: hyperparameters,
/// KV cache type, and every weight in binding order.
std::string makeManifest(ModuleOp module, const std::string &targetName,
                         const std::string &targetTriple,
                         const std::vector<std::string> &cpuFeatures,
                         const std::string &kvType, const std::string &intDot) {
  std::string m = LLAMA_ABI_MANIFEST_HEADER "\n";
  m += LLAMA_ABI_MANIFEST_TARGET " " + targetName + " " + targetTriple + "\n";
  m += LLAMA_ABI_MANIFEST_CPU_FEATURES;
  for (const std::string &f : cpuFeatures)
    m += " " + f;
  m += "\n";
  if (auto hp = module->getAttrOfType<llama::HParamsAttr>("llama.hparams")) {
    auto line = [&](const char *key, const std::string &value) {
      m +=
          std::string(LLAMA_ABI_MANIFEST_HPARAM " ") + key + " " + value + "\n";
    };
    auto real = [](FloatAttr f) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", f.getValueAsDouble());
      return std::string(buf);
    };
    line(LLAMA_ABI_HPARAM_DIM, std::to_string(hp.getDim()));
    line(LLAMA_ABI_HPARAM_HIDDEN_DIM, std::to_string(hp.getHiddenDim()));
    line(LLAMA_ABI_HPARAM_N_LAYERS, std::to_string(hp.getNLayers()));
    line(LLAMA_ABI_HPARAM_N_HEADS, std::to_string(hp.getNHeads()));
    line(LLAMA_ABI_HPARAM_N_KV_HEADS, std::to_string(hp.getNKvHeads()));
    line(LLAMA_ABI_HPARAM_HEAD_DIM, std::to_string(hp.getHeadDim()));
    line(LLAMA_ABI_HPARAM_N_ROT, std::to_string(hp.getNRot()));
    line(LLAMA_ABI_HPARAM_N_VOCAB, std::to_string(hp.getNVocab()));
    line(LLAMA_ABI_HPARAM_N_CTX, std::to_string(hp.getNCtx()));
    line(LLAMA_ABI_HPARAM_N_CTX_TRAIN, std::to_string(hp.getNCtxTrain()));
    line(LLAMA_ABI_HPARAM_ROPE_THETA, real(hp.getRopeTheta()));
    line(LLAMA_ABI_HPARAM_RMS_EPS, real(hp.getRmsEps()));
    line(LLAMA_ABI_HPARAM_TIED_OUTPUT,
         hp.getTiedOutput().getValue() ? "1" : "0");
  }
  m += LLAMA_ABI_MANIFEST_KV_TYPE " " + kvType + "\n";
  if (intDot != "none") {
    m += LLAMA_ABI_MANIFEST_INT_DOT " " + intDot;
    for (const llamart::GGMLTypeTraits &t : llamart::kGGMLTypes)
      if (llama::hasIntDot(static_cast<llama::GGMLType>(t.type)))
        m += std::string(" ") + t.name;
    m += "\n";
  }
  for (auto [attr, line] : {std::pair(llama::kGPUDeviceOnlyArgsAttrName,
                                      LLAMA_ABI_MANIFEST_GPU_DEVICE_ONLY_ARGS),
                            std::pair(llama::kGPUHostOnlyArgsAttrName,
                                      LLAMA_ABI_MANIFEST_GPU_HOST_ONLY_ARGS)}) {
    auto args = module->getAttrOfType<DenseI64ArrayAttr>(attr);
    if (!args)
      continue;
    m += line;
    for (int64_t a : args.asArrayRef())
      m += " " + std::to_string(a);
    m += "\n";
  }
  if (auto table = module->getAttrOfType<ArrayAttr>("llama.weight_table")) {
    for (Attribute e : table) {
      auto d = cast<DictionaryAttr>(e);
      m += LLAMA_ABI_MANIFEST_WEIGHT " " +
           cast<StringAttr>(d.get("name")).getValue().str() + " " +
           std::to_string(cast<IntegerAttr>(d.get("type")).getInt());
      for (Attribute n : cast<ArrayAttr>(d.get("ne")))
        m += " " + std::to_string(cast<IntegerAttr>(n).getInt());
      m += "\n";
    }
  }
  return m;
}

/// --gpu-emulate: for each host copy of a kernel (llama-emulate-gpu-kernels:
/// `__llama_emu_<kernel>`, memref arguments expanded as the launches
/// expand them), a wrapper taking the launch's parameter array, registered
/// with the runtime's emulator from a global constructor (GPUEmulator.h).
void registerEmulatedKernels(llvm::Module &m) {
  llvm::StringRef prefix = llama::kEmulatedKernelPrefix;
  llvm::LLVMContext &c = m.getContext();
  auto *ptr = llvm::PointerType::get(c, 0);
  auto *voidTy = llvm::Type::getVoidTy(c);
  auto *i32 = llvm::Type::getInt32Ty(c);
  llvm::FunctionCallee reg = m.getOrInsertFunction(
      LLAMA_RT_EMU_REGISTER, voidTy, ptr, ptr, i32, i32, ptr);
  // Kernels that shuffle, wait at barriers or use tensor cores run on
  // fibers, in lockstep.
  llvm::SmallPtrSet<llvm::Function *, 16> lockstep;
  for (llvm::StringRef sync :
       {llama::kEmulatorShuffleFn, llama::kEmulatorBarrierFn,
        llama::kEmulatorMmaFn})
    if (llvm::Function *f = m.getFunction(sync))
      for (llvm::User *u : f->users())
        if (auto *call = llvm::dyn_cast<llvm::CallBase>(u))
          lockstep.insert(call->getFunction());
  auto *ctor = llvm::Function::Create(llvm::FunctionType::get(voidTy, false),
                                      llvm::GlobalValue::InternalLinkage,
                                      "llama_emu_register_kernels", m);
  llvm::IRBuilder<> cb(llvm::BasicBlock::Create(c, "entry", ctor));
  SmallVector<llvm::Function *> copies;
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && f.getName().starts_with(prefix))
      copies.push_back(&f);
  for (llvm::Function *f : copies) {
    auto *packed = llvm::Function::Create(
        llvm::FunctionType::get(voidTy, {ptr}, false),
        llvm::GlobalValue::InternalLinkage, f->getName() + ".packed", m);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(c, "entry", packed));
    SmallVector<llvm::Value *> args;
    // The parameters' sizes (cuFuncGetParamInfo on the emulator: a graph
    // node keeps a copy of its arguments).
    SmallVector<llvm::Constant *> sizes;
    for (llvm::Argument &a : f->args()) {
      llvm::Value *slot =
          b.CreateConstGEP1_64(ptr, packed->getArg(0), a.getArgNo());
      args.push_back(b.CreateLoad(a.getType(), b.CreateLoad(ptr, slot)));
      sizes.push_back(cb.getInt32(
          uint32_t(m.getDataLayout().getTypeAllocSize(a.getType()))));
    }
    auto *sizesTy = llvm::ArrayType::get(i32, sizes.size());
    auto *sizesVar = new llvm::GlobalVariable(
        m, sizesTy, /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(sizesTy, sizes), f->getName() + ".sizes");
    b.CreateCall(f, args);
    b.CreateRetVoid();
    f->setLinkage(llvm::GlobalValue::InternalLinkage);
    cb.CreateCall(
        reg, {cb.CreateGlobalString(f->getName().drop_front(prefix.size())),
              packed, cb.getInt32(lockstep.contains(f)),
              cb.getInt32(int32_t(sizes.size())), sizesVar});
  }
  cb.CreateRetVoid();
  llvm::appendToGlobalCtors(m, ctor, 0);
}

} // namespace mlir::llama
