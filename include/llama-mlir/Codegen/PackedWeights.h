//===- PackedWeights.h - Weight layouts packed at compile time --*- C++ -*-===//
//
// The layouts llama-compile writes weights in (the PROGRAM.weights file,
// llama_abi.h) so that kernels read them as they compute, with no packing
// at load or per call. One layout today, `rows16`, for the packed row-tile
// kernels (lib/Conversion/LlamaToLoops/PackedRowTiles.cpp). A weight is cut
// into tiles of 16 rows and each tile into units: one GGUF block of 32
// elements, one super-block of 256 (the K-quants) or 32 elements (F16,
// BF16). A unit holds exactly the bytes of its 16 rows' GGUF blocks,
// rearranged so that one 64-byte load is 4 quants of all 16 rows (the
// int32 lanes of one llama.dot4_acc) and the scales of the 16 rows are one
// vector. Element indices are relative to the unit; q is the stored quant,
// unsigned (the GGUF's, or + 128 for Q8_0's signed ones):
//
// Q8_0 (544 bytes):
//   byte 64 j + 4 r + i = q[r, 4 j + i] (j < 8); then 16 x f16 d[r]
// Nibble formats, per group s of 32 (s < 8 for Q4_K, Q5_K; else s = 0):
//   byte 256 s + 64 c + 4 r + i (c < 4): low nibble = the low 4 bits of
//     q[r, 32 s + 4 c + i], high nibble those of q[r, 32 s + 16 + 4 c + i]
//     (for Q4_0 these are the GGUF's bytes qs[r][4 c + i]); the 4-bit
//     quants of step j < 8 (elements 4 j + i, then 16 + 4 (j - 4) + i) are
//     the low (j < 4) or high nibbles of the load at 64 (j % 4);
//   Q5_x, the fifth bits: byte F + 64 s + 4 r + i has at bit j the fifth
//     bit of step j's quant of row r, lane i;
//   Q4_0 (288), Q5_0 (352): 16 x f16 d[r] at 256; Q5_0's fifth bits at 288
//   Q4_1 (320), Q5_1 (384): 16 x f16 d[r] at 256, m[r] at 288; Q5_1's
//     fifth bits at 320 (w = d q + m)
//   Q4_K (2304), Q5_K (2816; w = d sc q - dmin m, sc and m 6 bits):
//     byte 2048 + 16 s + r = (sc[r, s] & 15) | (m[r, s] & 15) << 4;
//     uint32 at 2176 + 4 r: bits 4 s, 4 s + 1 = sc[r, s] >> 4,
//       bits 4 s + 2, 4 s + 3 = m[r, s] >> 4;
//     16 x f16 d[r] at 2240, dmin[r] at 2272; Q5_K's fifth bits at 2304
// Q6_K (3360 bytes; w = d sc (q - 32), q 6 bits), sub-block s < 8 of 32:
//   the low 4 bits of the quants as the nibble formats';
//   byte 2048 + 128 s + 64 h + 4 r + i (h < 2): bits 2 c, 2 c + 1 = the
//     high 2 bits of q[r, 32 s + 16 h + 4 c + i] (c < 4);
//   byte 3072 + 16 t + r = the int8 scale sc[r, t] of 16-element
//     sub-block t < 16; then 16 x f16 d[r]
// F16, BF16 (1024 bytes):
//   bytes 32 e + 2 r, + 1 = the GGUF element w[r, e] (e < 32), unchanged
//
// The kernel subtracts the stored quants' bias (rows16QuantBias: 128 for
// Q8_0, 8 Q4_0, 16 Q5_0, 32 Q6_K, none for the formats with mins) as
// bias * sum(xq).
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
/// of `k` elements has a `rows16` form: every quantized type with integer
/// dots, F16 or BF16, n a multiple of 16 and k of the unit.
bool hasRows16(uint32_t type, int64_t n, int64_t k);

/// Whether the layout holds integer quants rather than floats.
bool rows16IsQuantized(uint32_t type);
/// Groups of 32 elements per unit: 8 for the K-quants, otherwise 1.
int64_t rows16UnitGroups(uint32_t type);
/// Bytes per (tile, unit): 16 times the GGUF bytes of a unit's row.
int64_t rows16UnitBytes(uint32_t type);
/// Where group s of a unit's quants (Q6_K: their low 4 bits) start.
int64_t rows16QuantsAt(uint32_t type, int64_t s);
/// Where a unit's 16 f16 scales d[r] are (quantized types).
int64_t rows16ScalesAt(uint32_t type);
/// Where a unit's 16 f16 mins are (Q4_1, Q5_1: m; Q4_K, Q5_K: dmin), or -1.
int64_t rows16MinsAt(uint32_t type);
/// Where the fifth bits of group s of a unit are (Q5_0, Q5_1, Q5_K), or -1.
int64_t rows16FifthBitsAt(uint32_t type, int64_t s);
/// Q4_K, Q5_K: where the low bits of the sub-block scales and mins and
/// their high bits are.
constexpr int64_t kKScaleLowAt = 2048, kKScaleHighAt = 2176;
/// Q6_K: where the high 2 bits of the quants and the int8 scales are.
constexpr int64_t kQ6KHighAt = 2048, kQ6KScalesAt = 3072;
/// What the stored unsigned quants carry over the signed ones.
int64_t rows16QuantBias(uint32_t type);

/// Packs the GGUF bytes of `n` rows of `k` elements (hasRows16) into `dst`,
/// which has the same number of bytes.
void packRows16(uint32_t type, int64_t n, int64_t k, const uint8_t *src,
                uint8_t *dst);
/// The same for tiles [firstTile, endTile) only (tile t: rows 16 t .. 16 t
/// + 15; `src` and `dst` are still the whole weight's): tile ranges are
/// independent, so threads may pack disjoint ones at once.
void packRows16Tiles(uint32_t type, int64_t k, const uint8_t *src, uint8_t *dst,
                     int64_t firstTile, int64_t endTile);

} // namespace llama_mlir::packed

#endif // LLAMA_MLIR_CODEGEN_PACKEDWEIGHTS_H
