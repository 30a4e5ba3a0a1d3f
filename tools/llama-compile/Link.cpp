//===- Link.cpp - The program linked with the runtime -----------*- C++ -*-===//
//
// Implements Link.h.
//
//===----------------------------------------------------------------------===//

#include "Link.h"
#include "Output.h"

#include "runtime/core/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>

std::string mlir::llama::linkProgram(const std::vector<std::string> &objects,
                                     const std::string &out,
                                     const std::string &triple,
                                     const std::string &arch, bool gpu,
                                     bool gpuEmulate) {
  llamart::Expected<llamart::AtomicOutputFile> exe =
      llamart::AtomicOutputFile::create(out, /*executable=*/true);
  if (!exe)
    return "-o " + exe.error().message();
  std::string linkOut = exe->tempPath().empty() ? out : exe->tempPath();
  RemoveTemporaryOnSignal exeGuard(exe->tempPath());
  llvm::ErrorOr<std::string> clang = llvm::sys::findProgramByName("clang-22");
  if (!clang)
    clang = llvm::sys::findProgramByName("clang");
  if (!clang)
    return "clang-22 not found on PATH; it links the program";
  const char *env = std::getenv("LLAMA_MLIR_RUNTIME_DIR");
  std::string rtDir = env ? env : LLAMA_MLIR_RUNTIME_DIR;
  bool cross = llvm::Triple(triple).getArch() !=
               llvm::Triple(llvm::sys::getDefaultTargetTriple()).getArch();
  std::vector<std::string> args = {*clang, "-fuse-ld=lld", "-o", linkOut};
  if (cross) {
    // The cross-built runtime (runtime/CMakeLists.txt); the program is
    // linked statically so that it runs on any Linux of its architecture.
    std::string gnuTriple = arch + "-linux-gnu";
    rtDir += "/" + gnuTriple;
    if (!llvm::sys::fs::exists(rtDir + "/libLlamaRuntime.a"))
      return "no runtime for " + gnuTriple + " in " + rtDir +
             " (the build cross-compiles it where Debian's " + gnuTriple +
             " libc is installed: scripts/setup.sh)";
    args.insert(args.end(), {"--target=" + gnuTriple, "-static"});
  }
  args.insert(args.end(), objects.begin(), objects.end());
  args.insert(args.end(),
              {rtDir + "/libLlamaProgram.a", rtDir + "/libLlamaRuntime.a",
               "-lstdc++", "-lm", "-lpthread"});
  if (gpu && gpuEmulate) // the driver emulated on the CPU (tests)
    args.push_back(rtDir + "/libLlamaGPUEmulator.a");
  if (gpu) // the CUDA driver, loaded at run time
    args.insert(args.end(), {rtDir + "/libLlamaCUDA.a", "-ldl"});
#ifdef LLAMA_MLIR_RUNTIME_LINK_FLAGS
  if (!cross)
    args.push_back(LLAMA_MLIR_RUNTIME_LINK_FLAGS);
#endif
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string linkErr;
  int rc = llvm::sys::ExecuteAndWait(*clang, argRefs, std::nullopt, {}, 0, 0,
                                     &linkErr);
  if (rc != 0)
    return "linking failed (" + *clang + "): " + linkErr;
  if (llamart::Error e = exe->commit())
    return e.message();
  return "";
}
