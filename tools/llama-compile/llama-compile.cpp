//===- llama-compile.cpp - GGUF model to native program ---------*- C++ -*-===//
//
//   llama-compile MODEL.gguf -o OUT [--target=NAME|TRIPLE[+feature...]]
//                 [--emit=llama|kernels|linalg|llvm-mlir|llvm-ir|asm|obj|exe]
//                 [-O0..3] [-c N] [--kv-type=f32|f16] [-v]
//                 [MLIR pass-manager flags, e.g. --mlir-print-ir-after-all]
//   llama-compile --list-targets
//
// Imports the GGUF file into the llama dialect, runs the CPU pipeline
// (lib/Transforms/Pipelines.cpp), translates to LLVM IR, emits an object file
// with the target's TargetMachine, and links it with the runtime by running
// clang-22 -fuse-ld=lld. Weights are not compiled in: the program maps the
// GGUF file given with -m at run time, and OUT.weights where the target's
// kernels read weights packed at compile time (WeightsFile.h), so the
// object code does not grow with the weight bytes.
//
//===----------------------------------------------------------------------===//

#include "Link.h"
#include "Output.h"
#include "ParallelCodegen.h"
#include "ProgramModule.h"
#include "StageTimer.h"
#include "WeightsFile.h"

#include "llama-mlir/ABI/llama_abi.h"
#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Import/GGUFImporter.h"
#include "llama-mlir/Target/CPUTargets.h"
#include "llama-mlir/Target/GPUTargets.h"
#include "llama-mlir/Transforms/Passes.h"
#include "runtime/core/FileIO.h"
#include "runtime/gguf/GGUF.h"
#include "test/lib/Transforms/TestPasses.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <algorithm>
#include <thread>

using namespace mlir;
using mlir::llama::fail;
using mlir::llama::RemoveTemporaryOnSignal;
using mlir::llama::writeOutput;
using mlir::llama::writeTextFile;
namespace cl = llvm::cl;

namespace {

/// llama-compile's own options: --help lists these; MLIR's and LLVM's (e.g.
/// --mlir-print-ir-after-all) still work and are listed by --help-hidden.
cl::OptionCategory compileCategory("llama-compile options");

enum class Emit {
  Llama,
  Kernels,
  Linalg,
  GPU,
  LLVMMLIR,
  PTX,
  LLVMIR,
  Asm,
  Obj,
  Exe
};

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.gguf>"),
                               cl::cat(compileCategory));
cl::opt<bool> listTargets("list-targets",
                          cl::desc("Print the named targets and exit"),
                          cl::cat(compileCategory));
cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                cl::value_desc("file"),
                                cl::cat(compileCategory));
cl::opt<Emit> emit(
    "emit", cl::desc("Stage to stop at"), cl::init(Emit::Exe),
    cl::values(clEnumValN(Emit::Llama, "llama", "the llama dialect module"),
               clEnumValN(Emit::Kernels, "kernels",
                          "the llama ops fused, each with the "
                          "#llama.kernel_config of its target"),
               clEnumValN(Emit::Linalg, "linalg",
                          "after the llama ops are lowered (loops, linalg, "
                          "tensors)"),
               clEnumValN(Emit::GPU, "gpu",
                          "GPU targets: the kernels outlined (gpu dialect)"),
               clEnumValN(Emit::LLVMMLIR, "llvm-mlir",
                          "the LLVM dialect (GPU targets: the kernels as "
                          "PTX in a gpu.binary, the host code in LLVM)"),
               clEnumValN(Emit::PTX, "ptx",
                          "GPU targets: all device code as one PTX module"),
               clEnumValN(Emit::LLVMIR, "llvm-ir", "LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "assembly"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::Exe, "exe", "a linked executable")),
    cl::cat(compileCategory));
cl::opt<std::string>
    target("target",
           cl::desc("A named target (--list-targets; default avx2), host, "
                    "TRIPLE[+feature...], e.g. aarch64-linux-gnu+sve+i8mm, or "
                    "a GPU: sm_80, sm_90, cuda"),
           cl::init("avx2"), cl::cat(compileCategory));
cl::opt<std::string>
    intDot("int-dot",
           cl::desc("Integer dot products for quantized weights: auto (the "
                    "target's best: VNNI, AVX2, SDOT or generic) or off (float "
                    "dot products, activations not quantized)"),
           cl::init("auto"), cl::cat(compileCategory));
cl::opt<std::string> gpuKernels(
    "gpu-kernels",
    cl::desc("GPU targets: thread (a thread per weight row, host loops "
             "between launches: the default, checked on an H200) or warp (a "
             "warp per row, every buffer loop a kernel: faster, not yet "
             "checked on a GPU; docs/GPU.md)"),
    cl::init("thread"), cl::cat(compileCategory));
cl::opt<bool> gpuQuantizedRowNorms(
    "gpu-quantized-row-norms",
    cl::desc("GPU targets, --gpu-kernels=warp: in a decode step, quantized "
             "rows' warps compute the RMSNorm scale too (f32/f16/bf16 rows' "
             "always do) instead of a kernel normalizing the row: a launch "
             "fewer per norm, more L1 reads; for bench/gpu.sh to measure"),
    cl::init(false), cl::cat(compileCategory));
cl::opt<bool> gpuTensorCores(
    "gpu-tensor-cores",
    cl::desc("GPU targets, --gpu-kernels=warp: the prefill GEMMs on tensor "
             "cores (mma.sync, f16 high and low parts, f32 sums) instead of "
             "f32 multiply-adds; not yet run on a GPU, for bench/gpu.sh to "
             "measure"),
    cl::init(false), cl::cat(compileCategory));
cl::opt<bool> gpuEmulate(
    "gpu-emulate",
    cl::desc("GPU targets, for tests: also a host copy of every kernel, and "
             "the program linked with the CPU emulator of the CUDA driver "
             "(it runs its kernels without a GPU; GPUEmulator.h)"),
    cl::init(false), cl::cat(compileCategory));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level 0..3"),
                           cl::Prefix, cl::init(3), cl::cat(compileCategory));
cl::opt<int64_t> ctxLen("c",
                        cl::desc("KV cache length (default: the "
                                 "model's context length, at most 4096)"),
                        cl::init(0), cl::cat(compileCategory));
cl::opt<std::string> kvType("kv-type", cl::desc("KV cache type: f32 or f16"),
                            cl::init("f32"), cl::cat(compileCategory));
cl::opt<bool> verbose("v",
                      cl::desc("Print each stage's wall time and the memory "
                               "plan of the intermediates"),
                      cl::cat(compileCategory));
cl::opt<bool> memoryPlan(
    "memory-plan",
    cl::desc("CPU targets: the intermediates in one arena planned at compile "
             "time (=false: one allocation per buffer and call, to compare)"),
    cl::init(true), cl::cat(compileCategory));
cl::opt<bool> shareLayers(
    "share-layers",
    cl::desc("CPU targets: each distinct decoder layer compiled once and "
             "called by every layer like it (=false: every layer inline, to "
             "compare)"),
    cl::init(true), cl::cat(compileCategory));
cl::opt<unsigned> codegenThreads(
    "codegen-threads",
    cl::desc("CPU targets: threads optimizing and generating machine code, "
             "the functions split among them (0: one per core, up to 4)"),
    cl::init(0), cl::cat(compileCategory));
cl::list<std::string> disableFusion(
    "disable-fusion",
    cl::desc("Leave out fusion passes (comma-separated): rmsnorm, rope, "
             "swiglu, gqa, or all"),
    cl::CommaSeparated, cl::cat(compileCategory));

} // namespace

/// The GPU path: the NVPTX pipeline, then the stage --emit asks for. With
/// --emit=ptx, the PTX text of the one gpu.binary (all kernels). Returns -1
/// when the LLVM IR stages (host code with the PTX embedded) follow.
int compileForGPU(ModuleOp module, PassManager &pm, const llama::GPUTarget &gpu,
                  const std::vector<std::string> &disabled,
                  const std::string &out, llama::StageTimer &timer) {
  if (gpuKernels != "thread" && gpuKernels != "warp")
    return fail("--gpu-kernels: expected thread or warp, got '" + gpuKernels +
                "'");
  llama::LlamaGPUPipelineOptions go;
  go.warpKernels = gpuKernels == "warp";
  if (gpuQuantizedRowNorms && !go.warpKernels)
    return fail("--gpu-quantized-row-norms needs --gpu-kernels=warp");
  go.quantizedRowNorms = gpuQuantizedRowNorms;
  if (gpuTensorCores && !go.warpKernels)
    return fail("--gpu-tensor-cores needs --gpu-kernels=warp");
  go.tensorCores = gpuTensorCores;
  if (gpuEmulate)
    go.afterKernelOutlining = [](OpPassManager &pm) {
      pm.addPass(llama::test::createLlamaEmulateGPUKernelsPass());
    };
  go.chip = gpu.chip;
  go.ptxFeatures = gpu.ptxFeatures;
  go.disabledFusions = disabled;
  go.stopAfterKernelConfig = emit == Emit::Kernels;
  go.stopAfterLlamaLowering = emit == Emit::Linalg;
  go.stopAfterOutlining = emit == Emit::GPU;
  llama::buildLlamaGPUPipeline(pm, go);
  if (failed(pm.run(module)))
    return fail("the MLIR pipeline (GPU, " + gpu.chip + ") failed on " +
                inputFile);
  timer.lap("mlir pipeline");
  if (emit == Emit::LLVMIR || emit == Emit::Asm || emit == Emit::Obj ||
      emit == Emit::Exe)
    return -1;
  if (emit != Emit::PTX)
    return writeTextFile(out, [&](llvm::raw_ostream &os) { module.print(os); });
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1)
    return fail("expected the pipeline to give one gpu.binary, got " +
                llvm::Twine(binaries.size()));
  auto object = dyn_cast<gpu::ObjectAttr>(binaries.front().getObjects()[0]);
  if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
    return fail("the gpu.binary holds no PTX assembly");
  return writeTextFile(
      out, [&](llvm::raw_ostream &os) { os << object.getObject().getValue(); });
}

/// The CPU path: the CPU pipeline for target `td`, then the stage --emit
/// asks for. Returns -1 when the LLVM IR stages follow.
int compileForCPU(ModuleOp module, PassManager &pm, const llama::CPUTarget &td,
                  const std::vector<std::string> &disabled,
                  const std::string &out, llama::StageTimer &timer) {
  if (intDot != "auto" && intDot != "off")
    return fail("--int-dot: expected auto or off, got '" + intDot + "'");
  llama::LlamaCPUPipelineOptions po;
  po.stopAfterKernelConfig = emit == Emit::Kernels;
  po.stopAfterLlamaLowering = emit == Emit::Linalg;
  po.kernelTarget = td.kernels->name;
  po.intDot = intDot != "off";
  // The packed tiles read their weights from PROGRAM.weights, packed below.
  po.packedWeights = po.intDot && td.kernels->tileRows != 0;
  po.disabledFusions = disabled;
  po.planMemory = memoryPlan;
  po.shareLayers = shareLayers;
  // Baseline x86-64 has neither; every AArch64 CPU has both.
  bool x86 = td.arch == "x86_64";
  po.f16c = !x86 || llvm::is_contained(td.cpuFeatures, "f16c");
  po.fma = !x86 || llvm::is_contained(td.cpuFeatures, "fma");
  llama::buildLlamaCPUPipeline(pm, po);
  if (failed(pm.run(module)))
    return fail("the MLIR pipeline failed on " + inputFile);
  timer.lap("mlir pipeline");
  if (verbose) {
    llvm::errs() << "llama-compile: ";
    llama::printMemoryPlan(module, llvm::errs());
  }
  if (emit == Emit::Kernels || emit == Emit::Linalg || emit == Emit::LLVMMLIR)
    return writeTextFile(out, [&](llvm::raw_ostream &os) { module.print(os); });
  return -1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  // --help lists llama-compile's options; MLIR's and LLVM's are hidden, not
  // removed: --help-hidden lists them all.
  for (auto &[name, opt] : cl::getRegisteredOptions())
    if (!llvm::is_contained(opt->Categories, &compileCategory) &&
        !name.starts_with("help") && name != "version" &&
        opt->getOptionHiddenFlag() == cl::NotHidden)
      opt->setHiddenFlag(cl::Hidden);
  cl::ParseCommandLineOptions(
      argc, argv,
      "llama-compile: Llama GGUF model -> native program\n\n"
      "  llama-compile MODEL.gguf -o OUT [--target=NAME] [options]\n\n"
      "MLIR's and LLVM's options (e.g. --mlir-print-ir-after-all) are listed "
      "by --help-hidden.\n");
  // A model file truncated while it is read: one line naming it, exit 1.
  llamart::installMappingGuard(argv[0]);
  llama::StageTimer timer(verbose, inputFile);
  if (listTargets) {
    llvm::outs() << "Named targets (--target=NAME; or host, or "
                    "TRIPLE[+feature...]):\n";
    llvm::outs() << llvm::formatv("  {0,-13} {1,-26} {2}\n", "host",
                                  llvm::sys::getDefaultTargetTriple(),
                                  "this machine's CPU with all its features");
    for (const llama::CPUTarget &t : llama::namedCPUTargets()) {
      llvm::outs() << llvm::formatv("  {0,-13} {1,-26} {2}\n", t.name, t.triple,
                                    t.description);
    }
    for (const llama::GPUTarget &t : llama::namedGPUTargets())
      llvm::outs() << llvm::formatv("  {0,-13} {1,-26} {2}\n", t.name,
                                    llama::kNVPTXTriple, t.description);
    return 0;
  }
  if (inputFile.empty())
    return fail("no input file (usage: llama-compile MODEL.gguf -o OUT; "
                "--help for options)");
  std::optional<llama::GPUTarget> gpu = llama::resolveGPUTarget(target);
  std::string targetError;
  // For a GPU, the host code's CPU: the x86-64 baseline, which any machine
  // with a datacenter GPU runs.
  std::optional<llama::CPUTarget> td = llama::resolveCPUTarget(
      gpu ? std::string("x86-64") : target.getValue(), targetError);
  if (!td)
    return fail("--target: " + targetError +
                " (GPU targets: sm_80, sm_90, cuda)");
  if (!gpu && (emit == Emit::GPU || emit == Emit::PTX))
    return fail("--emit=" + std::string(emit == Emit::GPU ? "gpu" : "ptx") +
                " needs a GPU target (--target=sm_80|sm_90|cuda)");
  if (kvType != "f32" && kvType != "f16")
    return fail("--kv-type: expected f32 or f16, got '" + kvType + "'");
  if (optLevel > 3)
    return fail("-O: expected 0..3");
  if (outputFile.getNumOccurrences() && outputFile.empty())
    return fail("-o: expected a file name, got an empty one");
  std::string out = outputFile;
  if (out.empty())
    out = emit == Emit::Exe ? "a.out" : "-";
  // The user's model is never the output (same file through links and ./
  // alike); outputs replace their file only once complete (writeOutput).
  if (out != "-")
    if (llamart::Error e = llamart::checkNotInput("-o", out, inputFile))
      return fail(e.message());

  // Read the model.
  timer.begin("import");
  llamart::Expected<std::unique_ptr<llamart::GGUFFile>> file =
      llamart::GGUFFile::open(inputFile);
  if (!file)
    return fail(file.error().message());
  DialectRegistry registry;
  registry.insert<llama::LlamaDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  // A diagnostic starts its own line, not the progress line's end (then the
  // default handler prints it).
  ctx.getDiagEngine().registerHandler([](Diagnostic &) {
    llama::clearProgress();
    return failure();
  });
  llama::ImportOptions io;
  io.contextLength = ctxLen;
  io.kvF16 = kvType == "f16";
  std::string error;
  OwningOpRef<ModuleOp> module =
      llama::importGGUF(&ctx, (*file)->view(), io, error);
  if (!module)
    return fail(error);
  timer.lap("import");
  if (ctxLen == 0) {
    auto hp = (*module)->getAttrOfType<llama::HParamsAttr>("llama.hparams");
    int64_t train = hp ? hp.getNCtxTrain() : 0;
    if (train > llama::kDefaultContextCap)
      llvm::errs() << "llama-compile: note: llama.context_length is " << train
                   << "; the program's context is " << llama::kDefaultContextCap
                   << " tokens (-c N for more)\n";
  }

  if (emit == Emit::Llama)
    return writeTextFile(out,
                         [&](llvm::raw_ostream &os) { module->print(os); });

  // The MLIR pipeline.
  timer.begin("mlir pipeline");
  PassManager pm(&ctx);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("bad pass manager options");
  // --mlir-timing: each pass's time, printed when the pipeline is done.
  DefaultTimingManager passTimes;
  applyDefaultTimingManagerCLOptions(passTimes);
  TimingScope passTiming = passTimes.getRootScope();
  pm.enableTiming(passTiming);
  std::vector<std::string> disabled;
  for (const std::string &f : disableFusion) {
    if (f == "all") {
      for (StringRef name : llama::kLlamaFusionNames)
        disabled.push_back(name.str());
      continue;
    }
    if (!llvm::is_contained(llama::kLlamaFusionNames, f))
      return fail("--disable-fusion: unknown fusion '" + f +
                  "', expected one of rmsnorm, rope, swiglu, gqa, all");
    disabled.push_back(f);
  }
  int staged = gpu ? compileForGPU(*module, pm, *gpu, disabled, out, timer)
                   : compileForCPU(*module, pm, *td, disabled, out, timer);
  passTiming.stop();
  passTimes.print();
  if (staged >= 0)
    return staged;

  std::string manifest =
      gpu ? llama::makeManifest(*module, gpu->name, llama::kNVPTXTriple, {},
                                kvType)
          : llama::makeManifest(
                *module, td->name, td->triple, td->cpuFeatures, kvType,
                intDot == "off"
                    ? "none"
                    : llama::manifestIntDotName(td->kernels->intDot).str());
  // Weights in a layout packed at compile time: OUT.weights, which the
  // program maps (only hashed when the output goes to stdout).
  if (llama::needsWeightsFile(*module)) {
    timer.begin("pack weights");
    if (llamart::Error e = llama::packWeightsFile(*module, (*file)->view(), out,
                                                  inputFile, manifest))
      return fail(e.message());
    timer.lap("pack weights");
  }

  // LLVM IR, optimized for the target.
  timer.begin("llvm ir");
  llvm::LLVMContext llctx;
  std::unique_ptr<llvm::Module> llmod = translateModuleToLLVMIR(*module, llctx);
  if (!llmod)
    return fail("translation to LLVM IR failed");
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  llvm::Triple triple(td->triple);
  std::string terr;
  const llvm::Target *tgt = llvm::TargetRegistry::lookupTarget(triple, terr);
  if (!tgt)
    return fail(terr);
  // Global constructors (the GPU programs' PTX registration) in .init_array,
  // as clang emits them: the default, .ctors, is never run when lld links.
  llvm::TargetOptions options;
  options.UseInitArray = true;
  auto makeTarget = [&] {
    return std::unique_ptr<llvm::TargetMachine>(tgt->createTargetMachine(
        triple, td->cpu, td->llvmFeatures, options, llvm::Reloc::PIC_,
        std::nullopt,
        optLevel == 0   ? llvm::CodeGenOptLevel::None
        : optLevel == 1 ? llvm::CodeGenOptLevel::Less
        : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                        : llvm::CodeGenOptLevel::Aggressive));
  };
  std::unique_ptr<llvm::TargetMachine> tm = makeTarget();
  llmod->setDataLayout(tm->createDataLayout());
  llmod->setTargetTriple(triple);
  if (gpu && gpuEmulate)
    llama::registerEmulatedKernels(*llmod);
  // The target's CPU, features and preferred vector width on every
  // generated function (AVX-512: 512-bit vectors become ZMM operations
  // rather than pairs of YMM ones).
  for (llvm::Function &fn : *llmod) {
    if (fn.isDeclaration())
      continue;
    fn.addFnAttr("target-cpu", td->cpu);
    if (!td->llvmFeatures.empty())
      fn.addFnAttr("target-features", td->llvmFeatures);
    if (td->arch == "x86_64") {
      fn.addFnAttr("prefer-vector-width", std::to_string(td->vectorBits));
      fn.addFnAttr("min-legal-vector-width", std::to_string(td->vectorBits));
    }
  }
  auto *arr = llvm::ConstantDataArray::getString(llctx, manifest, true);
  new llvm::GlobalVariable(*llmod, arr->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, arr,
                           LLAMA_ABI_MANIFEST_SYMBOL);
  // A CPU program is optimized and compiled function by function on one
  // thread per core (up to 4): the module is split first, each partition
  // optimized on its own thread (--emit=llvm-ir optimizes the whole).
  unsigned threads =
      gpu || emit != Emit::Exe ? 1
      : codegenThreads
          ? codegenThreads
          : std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  // Four partitions a thread: a function is never split, and the largest
  // ones would otherwise leave threads idle.
  unsigned parts = threads == 1 ? 1 : 4 * threads;
  auto optimize = [&](llvm::Module &m, llvm::TargetMachine *machine) {
    return makeOptimizingTransformer(optLevel, 0, machine)(&m);
  };
  if (parts == 1)
    if (auto err = optimize(*llmod, tm.get()))
      return fail("LLVM optimization failed: " +
                  llvm::toString(std::move(err)));
  timer.lap("llvm ir");
  if (emit == Emit::LLVMIR)
    return writeTextFile(
        out, [&](llvm::raw_ostream &os) { llmod->print(os, nullptr); });

  // Machine code.
  timer.begin("codegen");
  auto emitCode = [&](llvm::raw_pwrite_stream &os) -> bool {
    llvm::legacy::PassManager cg;
    if (tm->addPassesToEmitFile(cg, os, nullptr,
                                emit == Emit::Asm
                                    ? llvm::CodeGenFileType::AssemblyFile
                                    : llvm::CodeGenFileType::ObjectFile))
      return false;
    cg.run(*llmod);
    return true;
  };
  if (emit != Emit::Exe) {
    int rc = writeOutput(out, [&](llvm::raw_pwrite_stream &os) {
      if (emitCode(os))
        return true;
      fail("the target cannot emit this file type");
      return false;
    });
    timer.lap("codegen");
    return rc;
  }
  std::vector<std::string> objects;
  auto removeObjects = [&] {
    for (const std::string &o : objects)
      llvm::sys::fs::remove(o);
  };
  if (parts > 1) {
    if (llvm::Error e = llama::emitObjectsInParallel(
            *llmod, parts, threads, makeTarget, optimize, objects)) {
      removeObjects();
      return fail(llvm::toString(std::move(e)));
    }
  } else if (llvm::Error e = llama::addTemporaryObject(objects)) {
    return fail(llvm::toString(std::move(e)));
  } else if (llvm::Error e =
                 llama::writeObjectFile(*llmod, *tm, objects.front())) {
    removeObjects();
    return fail(llvm::toString(std::move(e)));
  }
  timer.lap("codegen");

  timer.begin("link");
  std::string linkErr = llama::linkProgram(objects, out, td->triple, td->arch,
                                           gpu.has_value(), gpuEmulate);
  removeObjects();
  if (!linkErr.empty())
    return fail(linkErr);
  timer.lap("link");
  return 0;
}
