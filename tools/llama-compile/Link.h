//===- Link.h - The program linked with the runtime -------------*- C++ -*-===//
//
// The last stage of llama-compile: the program's object files linked with
// the runtime archives (runtime/CMakeLists.txt) by clang and lld.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TOOLS_LLAMA_COMPILE_LINK_H
#define LLAMA_MLIR_TOOLS_LLAMA_COMPILE_LINK_H

#include <string>
#include <vector>

namespace mlir::llama {

/// Links `objects` with the runtime into the executable `out`, through a
/// temporary beside it that replaces it once linked. A program for another
/// architecture than the host's (`triple`, `arch`) takes the cross-built
/// runtime and is linked statically; GPU programs add the CUDA driver
/// loader (or, with `gpuEmulate`, the CPU emulator). Returns "" or what
/// failed, in one line.
std::string linkProgram(const std::vector<std::string> &objects,
                        const std::string &out, const std::string &triple,
                        const std::string &arch, bool gpu, bool gpuEmulate);

} // namespace mlir::llama

#endif // LLAMA_MLIR_TOOLS_LLAMA_COMPILE_LINK_H
