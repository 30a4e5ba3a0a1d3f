//===- Output.cpp - llama-compile's errors and output files -----*- C++ -*-===//
//
// Implements Output.h.
//
//===----------------------------------------------------------------------===//

#include "Output.h"
#include "StageTimer.h"

#include "runtime/core/FileIO.h"

#include "llvm/Support/Signals.h"

#include <cstdio>

using namespace mlir::llama;

int mlir::llama::fail(const llvm::Twine &msg) {
  llama::clearProgress();
  llvm::errs() << "llama-compile: " << msg << "\n";
  return 1;
}

int mlir::llama::writeOutput(
    const std::string &path,
    llvm::function_ref<bool(llvm::raw_pwrite_stream &)> writeFn) {
  llama::clearProgress();
  if (path == "-") {
    if (!writeFn(llvm::outs()))
      return 1;
    llvm::outs().flush();
    if (std::error_code ec = llvm::outs().error()) {
      llvm::outs().clear_error();
      return fail("standard output: write failed: " + ec.message());
    }
    return 0;
  }
  llamart::Expected<llamart::AtomicOutputFile> f =
      llamart::AtomicOutputFile::create(path);
  if (!f)
    return fail("-o " + f.error().message());
  RemoveTemporaryOnSignal guard(f->tempPath());
  {
    llvm::raw_fd_ostream os(::fileno(f->stream()), /*shouldClose=*/false);
    if (!writeFn(os))
      return 1;
    os.flush();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      return fail(path + ": write failed: " + ec.message());
    }
  }
  if (llamart::Error e = f->commit())
    return fail(e.message());
  return 0;
}

int mlir::llama::writeTextFile(
    const std::string &path,
    llvm::function_ref<void(llvm::raw_ostream &)> printFn) {
  return writeOutput(path, [&](llvm::raw_pwrite_stream &os) {
    printFn(os);
    return true;
  });
}
