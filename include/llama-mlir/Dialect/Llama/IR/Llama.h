//===- Llama.h - The llama dialect, its types and ops -----------*- C++ -*-===//
//
// The one header to include for the `llama` dialect: dialect, enums, types
// and operations (generated from LlamaDialect.td, LlamaTypes.td and
// LlamaOps.td).
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_DIALECT_LLAMA_IR_LLAMA_H
#define LLAMA_MLIR_DIALECT_LLAMA_IR_LLAMA_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "llama-mlir/Dialect/Llama/IR/LlamaOpsDialect.h.inc"

#include "llama-mlir/Dialect/Llama/IR/LlamaEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaOpsTypes.h.inc"

#define GET_OP_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaOps.h.inc"

#endif // LLAMA_MLIR_DIALECT_LLAMA_IR_LLAMA_H
