//===- LlamaDialect.cpp - The llama dialect and its types -------*- C++ -*-===//
//
// Registers the `llama` dialect, and implements its types: the parsers,
// printers, verifiers and layout queries of !llama.weight and
// !llama.kv_cache. Block geometry comes from runtime/gguf/GGMLType.h,
// which the runtime shares.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "runtime/gguf/GGMLType.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::llama;

#include "llama-mlir/Dialect/Llama/IR/LlamaOpsDialect.cpp.inc"

#include "llama-mlir/Dialect/Llama/IR/LlamaEnums.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaOpsTypes.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "llama-mlir/Dialect/Llama/IR/LlamaAttrs.cpp.inc"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

void LlamaDialect::initialize() {
  registerTypes();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "llama-mlir/Dialect/Llama/IR/LlamaOps.cpp.inc"
      >();
}

void LlamaDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "llama-mlir/Dialect/Llama/IR/LlamaAttrs.cpp.inc"
      >();
}

// hparams_c1..c4 (LlamaAttrs.td).
LogicalResult HParamsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t dim, int64_t hiddenDim,
                                  int64_t nLayers, int64_t nHeads,
                                  int64_t nKVHeads, int64_t headDim,
                                  int64_t nRot, int64_t nVocab, int64_t nCtx,
                                  int64_t nCtxTrain, FloatAttr ropeTheta,
                                  FloatAttr rmsEps, BoolAttr tied) {
  const std::pair<const char *, int64_t> counts[] = {
      {"dim", dim},
      {"hidden_dim", hiddenDim},
      {"n_layers", nLayers},
      {"n_heads", nHeads},
      {"n_kv_heads", nKVHeads},
      {"head_dim", headDim},
      {"n_rot", nRot},
      {"n_vocab", nVocab},
      {"n_ctx", nCtx},
      {"n_ctx_train", nCtxTrain}};
  for (auto [name, v] : counts)
    if (v <= 0)
      return emitError() << name << " must be positive, got " << v;
  if (nHeads % nKVHeads != 0)
    return emitError() << "n_kv_heads (" << nKVHeads
                       << ") must divide n_heads (" << nHeads << ")";
  if (nRot % 2 != 0 || nRot > headDim)
    return emitError() << "n_rot (" << nRot
                       << ") must be even and at most head_dim (" << headDim
                       << ")";
  for (auto [name, f] :
       {std::pair<const char *, FloatAttr>{"rope_theta", ropeTheta},
        std::pair<const char *, FloatAttr>{"rms_eps", rmsEps}})
    if (!f || !f.getType().isF32() || !(f.getValueAsDouble() > 0))
      return emitError() << name << " must be a positive f32";
  if (!tied)
    return emitError() << "tied_output must be true or false";
  return success();
}

// kernel_config_c1..c8 (LlamaAttrs.td).
LogicalResult KernelConfigAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, KernelDispatch dispatch,
    KernelDot dot, IntDotISA intDot, int64_t tokenBlock, int64_t tileRows,
    WeightLayout layout, int64_t prefetch, int64_t kvBlock,
    int64_t blockThreads, bool tensorCores, bool rowNorms,
    DenseI64ArrayAttr distribute, DenseI64ArrayAttr vectorSizes) {
  if (tokenBlock < 1 || tokenBlock > 32)
    return emitError() << "token_block must be in 1..32, got " << tokenBlock;
  if (tileRows != 0 && tileRows != 16)
    return emitError() << "tile_rows must be 0 or 16, got " << tileRows;
  if (tileRows && (dispatch != KernelDispatch::Threads ||
                   (dot != KernelDot::Vector && dot != KernelDot::AMX)))
    return emitError() << "tile_rows = 16 needs dispatch = threads and "
                          "dot = vector or amx";
  if (dot == KernelDot::AMX &&
      (tileRows != 16 || intDot != IntDotISA::AVX512VNNI))
    return emitError() << "dot = amx needs tile_rows = 16 and "
                          "int_dot = avx512vnni";
  if (layout == WeightLayout::Rows16 && tileRows != 16)
    return emitError() << "layout = rows16 needs tile_rows = 16";
  if (prefetch < 0 || prefetch > (1 << 20) || prefetch % 64 != 0)
    return emitError() << "prefetch must be a multiple of 64 in 0..1048576, "
                          "got "
                       << prefetch;
  if (prefetch && layout != WeightLayout::Rows16)
    return emitError() << "prefetch needs layout = rows16";
  if (blockThreads != 0 &&
      (blockThreads < 32 || blockThreads > 1024 || blockThreads % 32 != 0))
    return emitError() << "block_threads must be 0 or a multiple of 32 in "
                          "32..1024, got "
                       << blockThreads;
  if ((blockThreads != 0) != (dot == KernelDot::Scalar))
    return emitError() << "block_threads is set exactly for GPU code "
                          "(dot = scalar)";
  if ((tensorCores || rowNorms) && dispatch != KernelDispatch::Warps)
    return emitError() << "tensor_cores and row_norms need dispatch = warps";
  if (dispatch == KernelDispatch::Warps && blockThreads == 0)
    return emitError() << "dispatch = warps is GPU code: it needs "
                          "block_threads";
  if (intDot != IntDotISA::None && blockThreads != 0)
    return emitError() << "int_dot is a CPU choice (block_threads = 0)";
  if (kvBlock < 1 || kvBlock > 64)
    return emitError() << "kv_block must be in 1..64, got " << kvBlock;
  if (kvBlock > 1 && blockThreads != 0)
    return emitError() << "kv_block is a CPU choice (block_threads = 0)";
  if (distribute) {
    ArrayRef<int64_t> sizes = distribute.asArrayRef();
    if (dispatch != KernelDispatch::Threads)
      return emitError() << "distribute needs dispatch = threads";
    if (llvm::any_of(sizes, [](int64_t s) { return s < 0; }) ||
        llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return emitError() << "distribute sizes must be >= 0 with at least "
                            "one > 0, got ["
                         << sizes << "]";
  }
  if (vectorSizes) {
    ArrayRef<int64_t> sizes = vectorSizes.asArrayRef();
    if (sizes.empty() || llvm::any_of(sizes, [](int64_t s) { return s < 1; }))
      return emitError() << "vector_sizes must all be >= 1, got [" << sizes
                         << "]";
    if (blockThreads != 0)
      return emitError() << "vector_sizes is a CPU choice (block_threads = 0)";
  }
  return success();
}

LogicalResult LlamaDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() != KernelConfigAttr::kAttrName)
    return success();
  auto config = dyn_cast<KernelConfigAttr>(attr.getValue());
  if (!config)
    return op->emitOpError()
           << "'" << KernelConfigAttr::kAttrName
           << "' must be a #llama.kernel_config, got " << attr.getValue();
  if (config.getKvBlock() > 1 && !isa<GQAAttentionOp>(op))
    return op->emitOpError() << "kv_block > 1 configures a "
                                "llama.gqa_attention only";
  if (DenseI64ArrayAttr distribute = config.getDistribute()) {
    // The matmuls that become llama.kernel_matmul on CPUs carry it to
    // their kernel ops: [tokens, rows] per task (KernelMatmulOp's C8).
    if (isa<MatmulOp, MatmulSwiGLUOp, QKVRoPEOp>(op)) {
      ArrayRef<int64_t> sizes = distribute.asArrayRef();
      int64_t step = std::max<int64_t>(1, config.getTileRows());
      if (sizes.size() != 2 || sizes[0] > 1 || sizes[1] <= 0 ||
          sizes[1] % step != 0)
        return op->emitOpError()
               << "distribute of a matmul is [tokens, rows] with tokens 0 "
                  "or 1 and rows a positive multiple of "
               << step << ", got [" << sizes << "]";
      return success();
    }
    auto tileable = dyn_cast<TilingInterface>(op);
    if (!tileable || isa<LlamaDialect>(op->getDialect()))
      return op->emitOpError()
             << "distribute configures structured ops outside the llama "
                "dialect and the matmuls (llama.matmul, matmul_swiglu, "
                "qkv_rope; the other llama ops are distributed by their "
                "own rule)";
    size_t loops = tileable.getLoopIteratorTypes().size();
    if (distribute.size() != static_cast<int64_t>(loops))
      return op->emitOpError() << "distribute has " << distribute.size()
                               << " sizes for " << loops << " loops";
  }
  if (DenseI64ArrayAttr sizes = config.getVectorSizes()) {
    auto tileable = dyn_cast<TilingInterface>(op);
    if (!tileable || op->getName().getDialectNamespace() != "linalg")
      return op->emitOpError()
             << "vector_sizes configures linalg ops (the upstream vectorizer "
                "takes those)";
    size_t loops = tileable.getLoopIteratorTypes().size();
    if (sizes.size() != static_cast<int64_t>(loops))
      return op->emitOpError() << "vector_sizes has " << sizes.size()
                               << " sizes for " << loops << " loops";
  }
  return success();
}

void LlamaDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "llama-mlir/Dialect/Llama/IR/LlamaOpsTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

// The dialect's GGMLType (LlamaTypes.td) numbers the types as the ABI does.
#define LLAMA_CHECK_GGML_ID(name)                                              \
  static_assert(static_cast<uint32_t>(GGMLType::name) ==                       \
                    LLAMA_GGML_TYPE_##name,                                    \
                "GGMLType::" #name " differs from llama_abi.h");
LLAMA_CHECK_GGML_ID(F32)
LLAMA_CHECK_GGML_ID(F16)
LLAMA_CHECK_GGML_ID(BF16)
LLAMA_CHECK_GGML_ID(Q4_0)
LLAMA_CHECK_GGML_ID(Q4_1)
LLAMA_CHECK_GGML_ID(Q5_0)
LLAMA_CHECK_GGML_ID(Q5_1)
LLAMA_CHECK_GGML_ID(Q8_0)
LLAMA_CHECK_GGML_ID(Q4_K)
LLAMA_CHECK_GGML_ID(Q2_K)
LLAMA_CHECK_GGML_ID(Q3_K)
LLAMA_CHECK_GGML_ID(Q5_K)
LLAMA_CHECK_GGML_ID(Q6_K)
#undef LLAMA_CHECK_GGML_ID

static const llamart::GGMLTypeTraits &traitsOf(GGMLType type) {
  return llamart::getGGMLTypeTraits(
      static_cast<llamart::GGMLType>(static_cast<uint32_t>(type)));
}

/// Prints `AxBxC` (no trailing `x`).
static void printDims(AsmPrinter &printer, ArrayRef<int64_t> shape) {
  llvm::interleave(shape, printer.getStream(), "x");
}

//===----------------------------------------------------------------------===//
// WeightType
//===----------------------------------------------------------------------===//

// `!llama.weight<172x64xq4_0>`: the dimensions, then the GGML type keyword.
Type WeightType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  StringRef keyword;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true))
    return {};
  SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return {};
  std::optional<GGMLType> ggmlType = symbolizeGGMLType(keyword);
  if (!ggmlType) {
    parser.emitError(typeLoc)
        << "unknown GGML element type '" << keyword
        << "'; expected one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, "
           "q2_k, q3_k, q4_k, q5_k, q6_k";
    return {};
  }
  if (parser.parseGreater())
    return {};
  return WeightType::getChecked([&] { return parser.emitError(loc); },
                                parser.getContext(), shape, *ggmlType);
}

void WeightType::print(AsmPrinter &printer) const {
  printer << "<";
  printDims(printer, getShape());
  printer << "x" << stringifyGGMLType(getGgmlType()) << ">";
}

LogicalResult WeightType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<int64_t> shape, GGMLType ggmlType) {
  // weight_c1
  if (shape.empty() || shape.size() > 4)
    return emitError() << "!llama.weight must have rank 1 to 4, got rank "
                       << shape.size();
  // weight_c2
  for (auto [i, d] : llvm::enumerate(shape))
    if (d <= 0)
      return emitError() << "!llama.weight dimension " << i
                         << " must be static and positive, got " << d;
  // weight_c3
  int64_t block = traitsOf(ggmlType).blockSize;
  if (shape.back() % block != 0)
    return emitError() << "!llama.weight row length " << shape.back()
                       << " is not a multiple of the " << block
                       << "-element block of " << stringifyGGMLType(ggmlType);
  return success();
}

int64_t WeightType::getBlockSize() const {
  return traitsOf(getGgmlType()).blockSize;
}
int64_t WeightType::getBytesPerBlock() const {
  return traitsOf(getGgmlType()).bytesPerBlock;
}
bool WeightType::isQuantized() const {
  return traitsOf(getGgmlType()).isQuantized;
}
int64_t WeightType::getRowBytes() const {
  return getShape().back() / getBlockSize() * getBytesPerBlock();
}
int64_t WeightType::getNumRows() const {
  int64_t rows = 1;
  for (int64_t d : getShape().drop_back())
    rows *= d;
  return rows;
}
int64_t WeightType::getNumBytes() const { return getNumRows() * getRowBytes(); }

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

// `!llama.kv_cache<5x128x4x8xf32>`: layers x ctx x kv_heads x head_dim x elt.
Type KVCacheType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t> shape;
  Type elementType;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/true) ||
      parser.parseType(elementType) || parser.parseGreater())
    return {};
  return KVCacheType::getChecked([&] { return parser.emitError(loc); },
                                 parser.getContext(), shape, elementType);
}

void KVCacheType::print(AsmPrinter &printer) const {
  printer << "<";
  printDims(printer, getShape());
  printer << "x" << getElementType() << ">";
}

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type elementType) {
  // kv_cache_c1
  if (shape.size() != 4)
    return emitError() << "!llama.kv_cache must have 4 dimensions "
                          "(n_layers x n_ctx x n_kv_heads x head_dim), got "
                       << shape.size();
  for (auto [i, d] : llvm::enumerate(shape))
    if (d <= 0)
      return emitError() << "!llama.kv_cache dimension " << i
                         << " must be static and positive, got " << d;
  // kv_cache_c2
  if (!elementType.isF32() && !elementType.isF16())
    return emitError() << "!llama.kv_cache element type must be f32 or f16, "
                          "got "
                       << elementType;
  return success();
}
