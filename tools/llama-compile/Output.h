//===- Output.h - llama-compile's errors and output files -------*- C++ -*-===//
//
// How llama-compile reports a failure (one line on stderr, exit status 1)
// and writes an output file: complete or not at all, an existing file left
// as it was when the compile fails or is interrupted.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_OUTPUT_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_OUTPUT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::llama {

/// Prints "llama-compile: MSG" (after clearing the progress line); returns
/// 1, the exit status.
int fail(const llvm::Twine &msg);

/// Writes an output: to stdout for "-", else to a temporary beside `path`
/// renamed over it once complete (FileIO.h), so that a failed or interrupted
/// compile leaves an existing file as it was. Every write is checked;
/// `writeFn` returns false (having said why) to abandon the output. Returns
/// the exit status.
int writeOutput(const std::string &path,
                llvm::function_ref<bool(llvm::raw_pwrite_stream &)> writeFn);

/// A temporary output removed if the compile is interrupted by a signal (its
/// AtomicOutputFile removes it on every other way out).
struct RemoveTemporaryOnSignal {
  std::string path;
  explicit RemoveTemporaryOnSignal(std::string p) : path(std::move(p)) {
    if (!path.empty())
      llvm::sys::RemoveFileOnSignal(path);
  }
  ~RemoveTemporaryOnSignal() {
    if (!path.empty())
      llvm::sys::DontRemoveFileOnSignal(path);
  }
};

/// writeOutput of text that cannot fail to print.
int writeTextFile(const std::string &path,
                  llvm::function_ref<void(llvm::raw_ostream &)> printFn);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_OUTPUT_H
