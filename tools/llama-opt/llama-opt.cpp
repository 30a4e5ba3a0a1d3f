//===- llama-opt.cpp - The llama-mlir pass-debugging driver -----*- C++ -*-===//
//
// `mlir-opt` with the llama dialect and passes: parses MLIR text, runs the
// requested passes or pipeline, and prints the result. Registers every
// upstream dialect, extension and pass, since the llama pipelines lower
// through many of them.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"
#include "test/lib/Transforms/TestPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::llama::registerLlamaPasses();
  mlir::llama::test::registerLlamaTestPasses();
  mlir::llama::registerLlamaPipelines();

  mlir::DialectRegistry registry;
  registry.insert<mlir::llama::LlamaDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates each gpu.module to LLVM IR in-process.
  mlir::registerAllToLLVMIRTranslations(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "llama-mlir optimizer and pass driver\n", registry));
}
