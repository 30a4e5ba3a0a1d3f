//===- PackedWeights.h - Weight layouts packed at compile time --*- C++ -*-===//
//
// The layouts llama-compile writes weights in (the PROGRAM.weights file,
// llama_abi.h) so that kernels read them as they compute, with no packing
// at load or per call. One layout today, `rows16`, for the packed row-tile
// kernels (lib/Transforms/PackedRowTiles.cpp): for each tile of 16 rows and
// each 32-element group, the group's quants of the 16 rows as the int32
// lanes of 64-byte vectors, then the 16 rows' f16 scales:
//
//   Q8_0 (544 bytes): byte 64 j + 4 r + i = q[r, 32 g + 4 j + i] + 128
//                     (j < 8), then 16 x f16 d[r]
//   Q4_0 (288 bytes): byte 64 c + 4 r + i = the GGUF byte qs[r][4 c + i]
//                     (c < 4): low nibble q[r, 32 g + 4 c + i], high
//                     nibble q[r, 32 g + 16 + 4 c + i], each q + 8; then
//                     16 x f16 d[r]
//   F16, BF16 (1024 bytes): bytes 32 e + 2 r, + 1 = the GGUF element
//                     w[r, 32 g + e] (e < 32), unchanged
//
// so that one 64-byte load (a nibble mask or shift for Q4_0) is the 4
// quants of all 16 rows for one llama.dot4_acc, stored as unsigned bytes
// with the bias (128, 8) the kernel subtracts as bias * sum(xq), and one
// 32-byte load is one element of 16 f16/bf16 rows for a broadcast FMA.
// Every layout has exactly the GGUF's bytes per tile (16 rows x 34, 18 or
// 64 per group).
//
// Plain C++ (no MLIR): the lowering reads the constants, llama-compile
// packs.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H
#define LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace llama_mlir::packed {

/// The layout name in the llama.weight_table's `layout` entry.
constexpr std::string_view kRows16 = "rows16";
/// Rows per tile and elements per group of `rows16`.
constexpr int64_t kTileRows = 16;
constexpr int64_t kGroup = 32;

/// Whether a weight of GGML type `type` (llama_abi_ggml_type) with `n` rows
/// of `k` elements has a `rows16` form: Q8_0, Q4_0, F16 or BF16, n a
/// multiple of 16 and k of 32.
bool hasRows16(uint32_t type, int64_t n, int64_t k);

/// Whether the layout holds integer quants (Q8_0, Q4_0) rather than floats.
bool rows16IsQuantized(uint32_t type);
/// Bytes of the 16 rows' quants of one group (then 32 bytes of scales), or
/// of their f16/bf16 elements.
int64_t rows16QuantBytes(uint32_t type);
/// Bytes per (tile, group): quants and scales.
int64_t rows16GroupBytes(uint32_t type);
/// What the stored unsigned quants carry over the signed ones.
int64_t rows16QuantBias(uint32_t type);

/// Packs the GGUF bytes of `n` rows of `k` elements (hasRows16) into `dst`,
/// which has the same number of bytes.
void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst);

} // namespace llama_mlir::packed

#endif // LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H
