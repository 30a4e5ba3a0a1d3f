//===- Formats.cpp - What each GGML format allows a kernel ------*- C++ -*-===//

#include "llama-mlir/Codegen/Formats.h"
#include "runtime/gguf/GGMLType.h"

using namespace mlir;
using namespace mlir::llama;

int64_t mlir::llama::blockElements(GGMLType type) {
  return llamart::getGGMLTypeTraits(
             static_cast<llamart::GGMLType>(static_cast<uint32_t>(type)))
      .blockSize;
}

bool mlir::llama::isUnquantized(GGMLType type) {
  return type == GGMLType::F32 || type == GGMLType::F16 ||
         type == GGMLType::BF16;
}

int64_t mlir::llama::dotBlockElements(GGMLType type) {
  int64_t block = blockElements(type);
  return block == 1 ? kDotLanes : block;
}

bool mlir::llama::canVectorizeDot(GGMLType type, int64_t k) {
  return k % dotBlockElements(type) == 0;
}

int64_t mlir::llama::dotBlockParts(GGMLType type) {
  switch (type) {
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
  case GGMLType::Q5_0:
  case GGMLType::Q5_1:
  case GGMLType::Q8_0:
    return 4;
  case GGMLType::Q2_K:
  case GGMLType::Q3_K:
  case GGMLType::Q4_K:
  case GGMLType::Q5_K:
  case GGMLType::Q6_K:
    return 32;
  default:
    return 1;
  }
}

bool mlir::llama::hasEightElementUnits(GGMLType type) {
  return isUnquantized(type) ||
         (dotBlockParts(type) > 1 &&
          dotBlockElements(type) / dotBlockParts(type) == kWarpPiece);
}

bool mlir::llama::warpBlocksTokens(GGMLType type, int64_t k) {
  return canVectorizeDot(type, k) &&
         (dotBlockElements(type) <= 32 || hasEightElementUnits(type));
}

bool mlir::llama::hasIntDot(GGMLType type) {
  switch (type) {
  case GGMLType::Q8_0:
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
  case GGMLType::Q5_0:
  case GGMLType::Q5_1:
  case GGMLType::Q2_K:
  case GGMLType::Q3_K:
  case GGMLType::Q4_K:
  case GGMLType::Q5_K:
  case GGMLType::Q6_K:
    return true;
  default:
    return false;
  }
}

int64_t mlir::llama::maxStoredQuant(GGMLType type) {
  switch (type) {
  case GGMLType::Q4_0:
  case GGMLType::Q4_1:
  case GGMLType::Q4_K:
    return 15;
  case GGMLType::Q5_0:
  case GGMLType::Q5_1:
  case GGMLType::Q5_K:
    return 31;
  case GGMLType::Q2_K:
    return 3;
  case GGMLType::Q3_K:
    return 7;
  case GGMLType::Q6_K:
    return 63;
  case GGMLType::Q8_0:
    return 255;
  default:
    return 0;
  }
}

bool mlir::llama::canIntDot(GGMLType type, int64_t k) {
  return hasIntDot(type) && k % blockElements(type) == 0 &&
         k % kIntDotBlock == 0;
}

bool mlir::llama::canPackRows(GGMLType type, int64_t k) {
  // Q2_K and Q3_K have no rows16 layout (PackedWeights.h) yet: row
  // kernels.
  return type != GGMLType::Q2_K && type != GGMLType::Q3_K && canIntDot(type, k);
}

bool mlir::llama::canPackFloatRows(GGMLType type, int64_t k) {
  return (type == GGMLType::F16 || type == GGMLType::BF16) &&
         k % kDotLanes == 0;
}
