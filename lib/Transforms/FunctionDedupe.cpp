//===- FunctionDedupe.cpp - Identical functions found once ------*- C++ -*-===//

#include "FunctionDedupe.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string mlir::llama::textUnderFixedName(FunctionOpInterface fn) {
  Operation *copy = fn->clone();
  SymbolTable::setSymbolName(copy, "fn");
  std::string text;
  llvm::raw_string_ostream os(text);
  // Without locations, whatever --mlir-print-debuginfo says: layers differ
  // in their ops' locations only.
  copy->print(os, OpPrintingFlags().printGenericOpForm().enableDebugInfo(
                      /*enable=*/false));
  copy->destroy();
  return text;
}

/// Whether `arg` is only loaded from, stored to and asked its sizes: then its
/// layout's offset can be a run-time value.
static bool onlyAccessed(BlockArgument arg) {
  return llvm::all_of(arg.getUsers(), [](Operation *u) {
    return isa<memref::LoadOp, memref::StoreOp, memref::DimOp, vector::LoadOp,
               vector::StoreOp>(u);
  });
}

void mlir::llama::generalizeViewOffsets(FunctionOpInterface fn) {
  SmallVector<Type> inputs(fn.getArgumentTypes());
  bool changed = false;
  for (BlockArgument arg : fn.getArguments()) {
    auto t = dyn_cast<MemRefType>(arg.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    // Views (a strided layout); buffers of their own (identity layout)
    // are left alone.
    if (!t || !isa<StridedLayoutAttr>(t.getLayout()) ||
        failed(t.getStridesAndOffset(strides, offset)) ||
        ShapedType::isDynamic(offset) || !onlyAccessed(arg))
      continue;
    auto layout =
        StridedLayoutAttr::get(t.getContext(), ShapedType::kDynamic, strides);
    auto general = MemRefType::get(t.getShape(), t.getElementType(), layout,
                                   t.getMemorySpace());
    arg.setType(general);
    inputs[arg.getArgNumber()] = general;
    changed = true;
  }
  if (changed)
    fn.setType(
        FunctionType::get(fn->getContext(), inputs, fn.getResultTypes()));
}
