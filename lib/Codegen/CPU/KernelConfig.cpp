//===- KernelConfig.cpp - The CPU kernel table ------------------*- C++ -*-===//
//
// The kernel choices of each family of CPUs, and the per-op refinement by
// weight format and shape. The rows are ordered most specific first;
// llama-compile picks one from the target's CPU features
// (selectCPUKernelTarget), llama-opt users by name.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Codegen/Formats.h"
#include "llama-mlir/Codegen/PackedWeights.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::llama;

/// The avx512vnni row's prefetch distance: 128 Q4_0 groups (36 KiB), for
/// a core with 1 MiB of L2 (Zen 5): a shorter distance leaves a decode
/// step's tile loops waiting on their loads, a much longer one evicts lines
/// before the loop reaches them. The `amx` row (a Xeon) keeps
/// kDefaultTilePrefetch.
static constexpr int64_t kZen5TilePrefetch = 128 * 288;

const std::vector<CPUKernelTarget> &mlir::llama::cpuKernelTable() {
  // A 16-row tile keeps, per token and weight, 16 int32 dot products and
  // 16 f32 sums: one register each on AVX-512 (32 registers: 8 tokens; the
  // float tiles need no int32 ones nor registers to decode: 24), two on
  // AVX2 (16 registers: 4 tokens, which spill a few registers yet beat 2,
  // whose decoded quants serve too few multiplies; 6 for float tiles). One
  // 512-bit vpdpbusd multiplies 4 quants of all 16 rows; AVX-VNNI does it
  // with two 256-bit ones, and without VNNI vpmaddubsw and vpmaddwd do in
  // each half. With AMX the integer tiles' prefill multiplies 16 tokens at a
  // time in tile registers (the rest as on avx512vnni). NEON with the dot
  // product extension takes four 128-bit sdot per step, 4 registers per 16
  // sums (32 registers: 4 tokens, 6 for float tiles).
  static const std::vector<CPUKernelTarget> table = {
      {"amx",
       {"avx2", "avx512f", "avx512vl", "avx512vnni", "amx_int8"},
       IntDotISA::AVX512VNNI,
       8,
       kPackedRows,
       KernelDot::AMX,
       8,
       24},
      {"avx512vnni",
       {"avx2", "avx512f", "avx512vl", "avx512vnni"},
       IntDotISA::AVX512VNNI,
       8,
       kPackedRows,
       KernelDot::Vector,
       8,
       24,
       kZen5TilePrefetch},
      {"avx512",
       {"avx2", "avx512f"},
       IntDotISA::AVX2,
       8,
       kPackedRows,
       KernelDot::Vector,
       4,
       24},
      {"avxvnni",
       {"avx2", "avxvnni"},
       IntDotISA::AVXVNNI,
       4,
       kPackedRows,
       KernelDot::Vector,
       2,
       6},
      {"avx2",
       {"avx2"},
       IntDotISA::AVX2,
       4,
       kPackedRows,
       KernelDot::Vector,
       4,
       6},
      {"sve-dotprod",
       {"sve", "asimddp"},
       IntDotISA::NEONDot,
       4,
       0,
       KernelDot::Scalable},
      {"sve", {"sve"}, IntDotISA::Generic, 4, 0, KernelDot::Scalable},
      {"neon-dotprod",
       {"asimddp"},
       IntDotISA::NEONDot,
       4,
       kPackedRows,
       KernelDot::Vector,
       4,
       6},
      {"generic", {}, IntDotISA::Generic, 4, 0, KernelDot::Vector},
  };
  return table;
}

const CPUKernelTarget *mlir::llama::findCPUKernelTarget(StringRef name) {
  for (const CPUKernelTarget &t : cpuKernelTable())
    if (name == t.name)
      return &t;
  return nullptr;
}

const CPUKernelTarget &
mlir::llama::selectCPUKernelTarget(const std::vector<std::string> &features) {
  for (const CPUKernelTarget &t : cpuKernelTable())
    if (llvm::all_of(t.features, [&](const char *f) {
          return llvm::is_contained(features, f);
        }))
      return t;
  llvm_unreachable("the generic row needs no feature");
}

StringRef mlir::llama::manifestIntDotName(IntDotISA isa) {
  return isa == IntDotISA::NEONDot ? "neon-dotprod" : stringifyIntDotISA(isa);
}

/// The table's choice for `op` (a model-level op without a configuration).
static KernelConfigAttr cpuConfig(Operation *op, const CPUKernelTarget &t,
                                  const CPUKernelOptions &o) {
  auto make = [&](IntDotISA isa, int64_t block, int64_t tiles,
                  int64_t kvBlock = 1, DenseI64ArrayAttr distribute = {}) {
    // AMX multiplies integer tiles only; everything else is `vector`.
    KernelDot dot = t.dot;
    if (dot == KernelDot::AMX && (!tiles || isa == IntDotISA::None))
      dot = KernelDot::Vector;
    return KernelConfigAttr::get(op->getContext(), KernelDispatch::Threads, dot,
                                 isa, block, tiles, WeightLayout::GGUF,
                                 /*prefetch=*/0, kvBlock,
                                 /*blockThreads=*/0, /*tensorCores=*/false,
                                 /*rowNorms=*/false, distribute,
                                 /*vectorSizes=*/nullptr);
  };
  if (isa<GQAAttentionOp>(op))
    return make(IntDotISA::None, 1, 0, o.kvBlock ? o.kvBlock : t.kvBlock);
  SmallVector<Value> ws = matmulWeights(op);
  if (ws.empty())
    return make(IntDotISA::None, 1, 0);
  auto type = [](Value w) {
    return cast<WeightType>(w.getType()).getGgmlType();
  };
  auto rows = [](Value w) {
    return cast<WeightType>(w.getType()).getShape()[0];
  };
  int64_t k = cast<WeightType>(ws[0].getType()).getShape()[1];
  // Activations quantized to int8 where a weight has integer dots (the
  // others multiply the same activations in f32).
  bool quantize =
      o.intDot && k % kIntDotBlock == 0 &&
      llvm::any_of(ws, [&](Value w) { return canIntDot(type(w), k); });
  bool tiles =
      o.intDot && t.tileRows == kPackedRows && llvm::all_of(ws, [&](Value w) {
        return rows(w) % kPackedRows == 0 &&
               (quantize ? canPackRows(type(w), k)
                         : canPackFloatRows(type(w), k));
      });
  bool blocked =
      llvm::all_of(ws, [&](Value w) { return canVectorizeDot(type(w), k); });
  int64_t block = o.tokenBlock ? o.tokenBlock
                  : !tiles     ? t.tokenBlock
                  : quantize   ? t.intTileTokens
                               : t.floatTileTokens;
  // Float tiles of one weight in blocks that take two tiles side by side:
  // tasks of two tiles (32 rows), which the kernel multiplies as a pair.
  DenseI64ArrayAttr pairs;
  if (tiles && !quantize && ws.size() == 1 &&
      rows(ws[0]) % (2 * kPackedRows) == 0 && block >= kSideBySideTokens)
    pairs = DenseI64ArrayAttr::get(op->getContext(), {0, 2 * kPackedRows});
  return make(quantize ? t.intDot : IntDotISA::None,
              tiles || blocked ? block : 1, tiles ? kPackedRows : 0,
              /*kvBlock=*/1, pairs);
}

/// The weights read in the rows16 layout, by name: Q8_0, Q4_0, F16 and BF16
/// weights whose every use, in every function, is a weight of a matmul-family
/// op configured for 16-row tiles all of whose weights have the layout and
/// make one kind of tile (integer or float). An op takes the layout for all
/// of its weights or for none: a refused weight refuses the others of its
/// ops, until nothing changes.
static llvm::StringSet<> selectPrepackedWeights(ModuleOp module) {
  auto typeOf = [](Value w) {
    return static_cast<uint32_t>(cast<WeightType>(w.getType()).getGgmlType());
  };
  auto hasLayout = [&](Value w) {
    auto wt = cast<WeightType>(w.getType());
    return wt.getShape().size() == 2 &&
           llama_mlir::packed::hasRows16(typeOf(w), wt.getShape()[0],
                                         wt.getShape()[1]);
  };
  auto tiledUse = [&](OpOperand &use) {
    Operation *op = use.getOwner();
    SmallVector<Value> ws = matmulWeights(op);
    auto config =
        op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
    auto quantized = [&](Value w) {
      return llama_mlir::packed::rows16IsQuantized(typeOf(w));
    };
    return config && config.getTileRows() == kPackedRows &&
           llvm::is_contained(ws, use.get()) && llvm::all_of(ws, hasLayout) &&
           (llvm::all_of(ws, quantized) || llvm::none_of(ws, quantized));
  };
  llvm::StringSet<> names, refused;
  SmallVector<SmallVector<StringRef>> ops; // each op's weight names
  module.walk([&](Operation *op) {
    if (auto w = dyn_cast<WeightOp>(op)) {
      names.insert(w.getName());
      if (w->use_empty() || !llvm::all_of(w->getUses(), tiledUse))
        refused.insert(w.getName());
    }
    SmallVector<StringRef> opNames;
    for (Value v : matmulWeights(op))
      if (auto w = v.getDefiningOp<WeightOp>())
        opNames.push_back(w.getName());
    if (!opNames.empty())
      ops.push_back(opNames);
  });
  for (bool changed = true; changed;) {
    changed = false;
    for (ArrayRef<StringRef> op : ops)
      if (llvm::any_of(op, [&](StringRef n) { return refused.contains(n); }))
        for (StringRef n : op)
          changed |= refused.insert(n).second;
  }
  llvm::StringSet<> chosen;
  for (const auto &n : names)
    if (!refused.contains(n.getKey()))
      chosen.insert(n.getKey());
  return chosen;
}

LogicalResult mlir::llama::configureCPUKernels(ModuleOp module,
                                               const CPUKernelTarget &t,
                                               const CPUKernelOptions &o) {
  if (o.packedWeights && (!o.intDot || t.tileRows != kPackedRows))
    return module.emitError("llama-configure-kernels: packed-weights needs "
                            "a target with 16-row tiles (x86 with AVX2, "
                            "AArch64 with the dot product extension) and "
                            "int-dot");
  module.walk([&](Operation *op) {
    if (takesKernelConfig(op) && !op->hasAttr(KernelConfigAttr::kAttrName))
      op->setAttr(KernelConfigAttr::kAttrName, cpuConfig(op, t, o));
  });
  if (!o.packedWeights)
    return success();
  llvm::StringSet<> chosen = selectPrepackedWeights(module);
  module.walk([&](Operation *op) {
    SmallVector<Value> ws = matmulWeights(op);
    if (ws.empty() || !llvm::all_of(ws, [&](Value w) {
          auto def = w.getDefiningOp<WeightOp>();
          return def && chosen.contains(def.getName());
        }))
      return;
    auto c = op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
    op->setAttr(KernelConfigAttr::kAttrName,
                KernelConfigAttr::get(
                    op->getContext(), c.getDispatch(), c.getDot(),
                    c.getIntDot(), c.getTokenBlock(), c.getTileRows(),
                    WeightLayout::Rows16,
                    o.prefetch >= 0 ? o.prefetch : t.prefetch, c.getKvBlock(),
                    c.getBlockThreads(), c.getTensorCores(), c.getRowNorms(),
                    c.getDistribute(), c.getVectorSizes()));
  });
  return success();
}
