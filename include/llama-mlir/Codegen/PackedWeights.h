//===- PackedWeights.h - Weight layouts packed at compile time --*- C++ -*-===//
//
// The layouts llama-compile writes weights in (the PROGRAM.weights file,
// llama_abi.h) so that kernels read them as they compute, with no packing
// at load or per call. One layout today, `rows16`, for the packed row-tile
// kernels (lib/Conversion/LlamaToLoops/PackedRowTiles.cpp). A weight is cut
// into tiles of 16 rows and each tile into units: one GGUF block of 32
// elements (Q8_0, Q4_0), one super-block of 256 (Q4_K, Q6_K) or 32
// elements (F16, BF16). A unit holds exactly the bytes of its 16 rows' GGUF
// blocks, rearranged so that one 64-byte load is 4 quants of all 16 rows
// (the int32 lanes of one llama.dot4_acc) and the scales of the 16 rows
// are one vector. Element indices are relative to the unit, q the quant:
//
// Q8_0 (544 bytes):
//   byte 64 j + 4 r + i = q[r, 4 j + i] + 128 (j < 8); then 16 x f16 d[r]
// Q4_0 (288 bytes):
//   byte 64 c + 4 r + i = the GGUF byte qs[r][4 c + i] (c < 4): low nibble
//   q[r, 4 c + i], high nibble q[r, 16 + 4 c + i], each q + 8;
//   then 16 x f16 d[r]
// Q4_K (2304 bytes; w = d sc q - dmin m, sc and m 6 bits), sub-block s < 8:
//   byte 256 s + 64 c + 4 r + i (c < 4): low nibble q[r, 32 s + 4 c + i],
//     high nibble q[r, 32 s + 16 + 4 c + i];
//   byte 2048 + 16 s + r = (sc[r, s] & 15) | (m[r, s] & 15) << 4;
//   uint32 at 2176 + 4 r: bits 4 s, 4 s + 1 = sc[r, s] >> 4,
//     bits 4 s + 2, 4 s + 3 = m[r, s] >> 4;
//   then 16 x f16 d[r], 16 x f16 dmin[r]
// Q6_K (3360 bytes; w = d sc (q - 32), q 6 bits), sub-block s < 8 of 32:
//   byte 256 s + 64 c + 4 r + i (c < 4): the low 4 bits of
//     q[r, 32 s + 4 c + i], and in the high nibble of q[r, 32 s + 16 + ...];
//   byte 2048 + 128 s + 64 h + 4 r + i (h < 2): bits 2 c, 2 c + 1 = the
//     high 2 bits of q[r, 32 s + 16 h + 4 c + i] (c < 4);
//   byte 3072 + 16 t + r = the int8 scale sc[r, t] of 16-element
//     sub-block t < 16; then 16 x f16 d[r]
// F16, BF16 (1024 bytes):
//   bytes 32 e + 2 r, + 1 = the GGUF element w[r, e] (e < 32), unchanged
//
// The stored quants are unsigned bytes with the bias (128, 8, 0, 32) the
// kernel subtracts as bias * sum(xq).
//
// Plain C++ (no MLIR): the lowering reads the constants, llama-compile
// packs.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H
#define LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H

#include <cstdint>
#include <string_view>

namespace llama_mlir::packed {

/// The layout name in the llama.weight_table's `layout` entry.
constexpr std::string_view kRows16 = "rows16";
/// Rows per tile and elements per group (one llama.dot4_acc group) of
/// `rows16`.
constexpr int64_t kTileRows = 16;
constexpr int64_t kGroup = 32;

/// Whether a weight of GGML type `type` (llama_abi_ggml_type) with `n` rows
/// of `k` elements has a `rows16` form: Q8_0, Q4_0, Q4_K, Q6_K, F16 or
/// BF16, n a multiple of 16 and k of the unit.
bool hasRows16(uint32_t type, int64_t n, int64_t k);

/// Whether the layout holds integer quants rather than floats.
bool rows16IsQuantized(uint32_t type);
/// Groups of 32 elements per unit: 8 for Q4_K and Q6_K, otherwise 1.
int64_t rows16UnitGroups(uint32_t type);
/// Bytes per (tile, unit): 16 times the GGUF bytes of a unit's row.
int64_t rows16UnitBytes(uint32_t type);
/// Where group s of a unit's quants (Q6_K: their low 4 bits) start.
int64_t rows16QuantsAt(uint32_t type, int64_t s);
/// Where a unit's 16 f16 scales d[r] are (quantized types; Q4_K's dmin[r]
/// follow them).
int64_t rows16ScalesAt(uint32_t type);
/// Q4_K: where the low bits of the sub-block scales and mins and their
/// high bits are.
constexpr int64_t kQ4KScaleLowAt = 2048, kQ4KScaleHighAt = 2176;
/// Q6_K: where the high 2 bits of the quants and the int8 scales are.
constexpr int64_t kQ6KHighAt = 2048, kQ6KScalesAt = 3072;
/// What the stored unsigned quants carry over the signed ones.
int64_t rows16QuantBias(uint32_t type);

/// Packs the GGUF bytes of `n` rows of `k` elements (hasRows16) into `dst`,
/// which has the same number of bytes.
void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst);

} // namespace llama_mlir::packed

#endif // LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H
