//===- TestPasses.h - Test-only passes of llama-mlir ------------*- C++ -*-===//
//
// The passes of TestPasses.td (library LlamaMLIRTestTransforms).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_H
#define LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::llama::test {

#define GEN_PASS_DECL
#include "test/lib/Transforms/TestPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "test/lib/Transforms/TestPasses.h.inc"

} // namespace mlir::llama::test

#endif // LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_H
