//===- KernelSlices.h - Slices of kernel op operands ------------*- C++ -*-===//
//
// The two builders the tiling of the kernel ops (KernelMatmul.cpp,
// KernelAttention.cpp) needs for operands that are tensors before
// bufferization and buffers after it.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_DIALECT_LLAMA_IR_KERNELSLICES_H
#define LLAMA_MLIR_DIALECT_LLAMA_IR_KERNELSLICES_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::llama {

/// Dimension `d` of a ranked tensor or buffer: a constant where static.
inline OpFoldResult mixedDimSize(OpBuilder &b, Location loc, Value v,
                                 int64_t d) {
  if (isa<RankedTensorType>(v.getType()))
    return tensor::getMixedSize(b, loc, v, d);
  return memref::getMixedSize(b, loc, v, d);
}

/// The unit-stride slice [offsets, offsets + sizes) of a ranked tensor
/// (tensor.extract_slice) or buffer (memref.subview).
inline Value unitStrideSlice(OpBuilder &b, Location loc, Value v,
                             ArrayRef<OpFoldResult> offsets,
                             ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  if (isa<RankedTensorType>(v.getType()))
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, v, offsets, sizes, strides);
}

} // namespace mlir::llama

#endif // LLAMA_MLIR_DIALECT_LLAMA_IR_KERNELSLICES_H
