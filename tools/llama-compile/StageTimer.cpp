//===- StageTimer.cpp - llama-compile's stage progress and times ----------===//
//
// Implements StageTimer.h: the progress line is "\r" + text, erased with
// "\r\x1b[K" (carriage return, erase to the end of the line).
//
//===----------------------------------------------------------------------===//

#include "StageTimer.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

namespace mlir::llama {

namespace {
/// Whether a running stage's name is on stderr's current line.
bool progressShown = false;
} // namespace

void clearProgress() {
  if (progressShown)
    llvm::errs() << "\r\x1b[K";
  progressShown = false;
}

StageTimer::StageTimer(bool verbose, std::string input)
    : verbose_(verbose), tty_(::isatty(2) != 0), input_(std::move(input)),
      start_(std::chrono::steady_clock::now()) {}

void StageTimer::begin(const char *stage) {
  start_ = std::chrono::steady_clock::now();
  if (!tty_ || verbose_)
    return;
  llvm::errs() << "\rllama-compile: " << stage << " (" << input_
               << ")...\x1b[K";
  llvm::errs().flush();
  progressShown = true;
}

void StageTimer::lap(const char *stage) {
  clearProgress(); // what follows (a note, a diagnostic) starts a line
  auto now = std::chrono::steady_clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - start_).count();
  if (verbose_)
    llvm::errs() << "llama-compile: " << stage << ": "
                 << (ms < 1000 ? llvm::formatv("{0:f1} ms", ms).str()
                               : llvm::formatv("{0:f2} s", ms / 1000).str())
                 << "\n";
  start_ = now;
}

} // namespace mlir::llama
