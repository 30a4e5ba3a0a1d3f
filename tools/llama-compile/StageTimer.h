//===- StageTimer.h - llama-compile's stage progress and times --*- C++ -*-===//
//
// With -v, a line per finished stage ("import: 10.9 ms"); otherwise, on a
// terminal, the running stage's name on one line, so that a long compile is
// not silent; nothing when stderr is not a terminal. Anything else printed
// to stderr or a terminal calls clearProgress() first.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_STAGETIMER_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_STAGETIMER_H

#include <chrono>
#include <string>

namespace mlir::llama {

/// Erases the progress line if one is shown.
void clearProgress();

class StageTimer {
public:
  /// `verbose`: -v; `input`: the model file, named on the progress line.
  StageTimer(bool verbose, std::string input);
  ~StageTimer() { clearProgress(); }
  /// A stage starts: its name on the progress line (terminal, not -v).
  void begin(const char *stage);
  /// A stage ends: the progress line cleared; with -v, its time.
  void lap(const char *stage);

private:
  bool verbose_, tty_;
  std::string input_;
  std::chrono::steady_clock::time_point start_;
};

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_STAGETIMER_H
