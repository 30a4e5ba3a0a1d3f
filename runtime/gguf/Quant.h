//===- Quant.h - GGML block formats: dequantize and quantize ----*- C++ -*-===//
//
// Reference (scalar) conversions between float32 and every supported GGML
// element type. Dequantization follows shared/docs/GGUF.md exactly, with one
// float32 rounding per operation (compiled without FP contraction), so it is
// bit-identical to the numpy reference in python/llama_ref/quant.py. The
// produced programs dequantize in generated code; these routines are the
// oracle for tests and tools, and the quantizers feed `llama-gguf gen`.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_RUNTIME_QUANT_H
#define LLAMA_MLIR_RUNTIME_QUANT_H

#include "runtime/gguf/GGMLType.h"

#include <cstddef>
#include <cstdint>

namespace llamart {

float fp16ToFloat(uint16_t h);
uint16_t floatToFp16(float f); ///< round to nearest even
float bf16ToFloat(uint16_t h);
uint16_t floatToBf16(float f); ///< round to nearest even

/// Dequantizes `n` elements (a multiple of the block size) from `src`; the
/// type must be one llama-mlir decodes (isDecodedGGMLType).
void dequantizeRow(GGMLType type, const uint8_t *src, float *dst, int64_t n);

/// Q4_K / Q5_K: the six-bit scale and min of sub-block j (< 8) from the
/// block's 12 scale bytes `s`.
void kScaleMin(const uint8_t *s, int j, uint8_t *sc, uint8_t *m);

/// Q3_K: the 6-bit scale (0..63, 32 meaning 0) of sub-block i (< 16) from
/// the block's 12 scale bytes `s`: the low 4 bits are nibble i / 8 of
/// s[i % 8], the high 2 bits are bits 2 (i / 4) of s[8 + i % 4].
int q3kScale(const uint8_t *s, int i);

/// Quantizes `n` elements (a multiple of the block size) into `dst`, which
/// must hold ggmlRowBytes(type, n) bytes; the type must be one llama-mlir
/// decodes (isDecodedGGMLType).
void quantizeRow(GGMLType type, const float *src, uint8_t *dst, int64_t n);

} // namespace llamart

#endif // LLAMA_MLIR_RUNTIME_QUANT_H
