//===- Lowering.h - The kernels of llama-lower-to-loops ---------*- C++ -*-===//
//
// What the files of llama-lower-to-loops share: the activations of a
// matmul-like op (Activation), an op's kernel configuration decoded
// (Kernels), the per-function state of the rewrite (FunctionLowering,
// one lower* member per llama op, defined in the file of its op family),
// and the kernels one family borrows from another.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_LOWERING_H
#define LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_LOWERING_H

#include "Emitter.h"
#include "PackedRowTiles.h"

#include "llama-mlir/Codegen/KernelConfig.h"
#include "llama-mlir/Dialect/Llama/IR/Llama.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/StringSet.h"

#include <optional>

namespace mlir::llama::loops {

/// The input rows `x : [seq, K]` of a matmul-like op, with its optional
/// RMSNorm prologue: then `gamma : [K]` (the norm weight as f32) is
/// multiplied into the activations as they are loaded and `scales : [seq]`
/// (1/sqrt(mean(x^2) + eps) per token) into each finished dot product.
struct Activation {
  Value x, gamma, scales;
  /// GPU decode steps whose rows are all f32/f16/bf16, or quantized with
  /// gpu-quantized-row-norms (see FunctionLowering::normPrologue): the
  /// RMSNorm scale is not in `scales`
  /// but computed by each warp from the x it loads anyway (warpUnitDots),
  /// over `normDim` elements with `normEps`; no kernel normalizes the row
  /// first. load, loadScalar and finish do not apply then.
  int64_t normDim = 0;
  FloatAttr normEps;
  /// With integer dot products: the activations (times gamma) quantized per
  /// block of 32 to int8, `xq : [seq, K] x i8` with scales `xd : [seq, K/32]`
  /// (round(v * 127 / max|v|), as llama.cpp's Q8_0), and the sum of each
  /// block's quants `xs : [seq, K/32] x f32` (for the K-quants' mins);
  /// for the 16-row tiles of Q6_K (two sub-blocks per block) also the sum
  /// of each block's first 16 quants, `xl : [seq, K/32] x f32`.
  Value xq, xd, xs, xl;
  /// For AMX tiles (Kernels::amx) the quants of each full block of 16
  /// tokens again, tile by tile: `xt : [seq / 16, K/32, 16, 32] x i8`.
  Value xt;

  /// x[s, k0 : k0 + lanes] (times gamma).
  Value load(Emitter &e, Value s, Value k0, int64_t lanes) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    auto t = VectorType::get({lanes}, e.b.getF32Type());
    Value v = vector::LoadOp::create(e.b, e.loc, t, x, ValueRange{s, k0});
    if (!gamma)
      return v;
    Value g = vector::LoadOp::create(e.b, e.loc, t, gamma, ValueRange{k0});
    return arith::MulFOp::create(e.b, e.loc, v, g);
  }
  /// x[s, k] (times gamma).
  Value loadScalar(Emitter &e, Value s, Value k) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    Value v = memref::LoadOp::create(e.b, e.loc, x, ValueRange{s, k});
    if (!gamma)
      return v;
    Value g = memref::LoadOp::create(e.b, e.loc, gamma, ValueRange{k});
    return arith::MulFOp::create(e.b, e.loc, v, g);
  }
  /// A dot product of token `s`, times its row scale when normalized.
  Value finish(Emitter &e, Value s, Value dot) const {
    assert(!normDim && "warpUnitDots scales an in-warp norm itself");
    if (!scales)
      return dot;
    Value r = memref::LoadOp::create(e.b, e.loc, scales, ValueRange{s});
    return arith::MulFOp::create(e.b, e.loc, dot, r);
  }
};

/// An op's #llama.kernel_config (llama-configure-kernels), decoded for the
/// emitters below.
struct Kernels {
  /// The int8 dot instructions of the weights that have integer dots (their
  /// activations quantized per block of 32); None: f32 dot products.
  IntDotISA intDot = IntDotISA::None;
  /// f32/f16/bf16 rows in scalable vectors (SVE).
  bool scalable = false;
  /// Dot products vectorized by weight block (off for GPUs, where each
  /// thread computes its row with scalar code and vectors would only be
  /// unrolled).
  bool vectorize = true;
  /// GPU code: a warp per weight row (parallelRows), parallel elementwise
  /// loops (forAll), block sums for the norms' row scales.
  bool gpu = false;
  /// GPU decode steps: quantized rows' warps compute the RMSNorm scale too
  /// (FunctionLowering::normPrologue).
  bool quantizedRowNorms = false;
  /// GPU code: the threads of a block (the pipeline's tiling of parallel
  /// loops), for the kernels that take a block per task (parallelBlocks).
  int64_t blockThreads = 0;
  /// GPU prefill GEMMs on tensor cores (mmaMatmul).
  bool tensorCores = false;
  /// Matmuls in packed tiles of this many rows (PackedRowTiles.h; 0: row
  /// by row).
  int64_t tileRows = 0;
  /// Tokens per register block of the prefill GEMM (1: none).
  int64_t tokenBlock = 1;
  /// Integer tiles: blocks of 16 tokens in AMX tile registers.
  bool amx = false;

  /// CPU code (GPU configurations have threads per block).
  bool cpu() const { return blockThreads == 0; }

  static Kernels of(KernelConfigAttr c) {
    Kernels k;
    k.intDot = c.getIntDot();
    k.scalable = c.getDot() == KernelDot::Scalable;
    k.vectorize = c.getDot() != KernelDot::Scalar;
    k.amx = c.getDot() == KernelDot::AMX;
    k.gpu = c.getDispatch() == KernelDispatch::Warps;
    k.quantizedRowNorms = c.getRowNorms();
    k.blockThreads = c.getBlockThreads();
    k.tensorCores = c.getTensorCores();
    k.tileRows = c.getTileRows();
    k.tokenBlock = c.getTokenBlock();
    return k;
  }

  /// Whether `ws` (n rows of k) can be multiplied in packed row tiles with
  /// activations `x` (quantized: integer tiles; else f16/bf16 float tiles).
  static bool packable(ArrayRef<const WeightView *> ws, int64_t n, int64_t k,
                       const Activation &x) {
    return n % kPackedRows == 0 && llvm::all_of(ws, [&](const WeightView *w) {
             return x.xq ? canPackRows(*w, k) : canPackFloatRows(*w, k);
           });
  }

  bool vectorizes(const WeightView &w, int64_t k) const {
    return vectorize && canVectorizeDot(w, k);
  }
  /// Whether a prefill computes a row's dot products tokenBlock tokens at a
  /// time (blockedRowDots: each weight block loaded and dequantized once
  /// for them); on GPUs where warpBlocksTokens (blockedRowsDots).
  bool blocksTokens(const WeightView &w, int64_t k) const {
    return tokenBlock > 1 &&
           (vectorizes(w, k) || (gpu && warpBlocksTokens(w.type, k)));
  }
};

/// A weight row: which weight, which row.
struct WeightRow {
  const WeightView *w;
  Value row;
};

/// The rows of a weight that tiledMatmul's j-th value of group g is the
/// dot product with: row g * stride + offset of `w`.
struct TileRows {
  const WeightView *w;
  int64_t stride = 1, offset = 0;
};

//===----------------------------------------------------------------------===//
// Norms.cpp: RMSNorm scales and normalized rows
//===----------------------------------------------------------------------===//

/// 1/sqrt(ss / dim + eps): the RMSNorm scale of a row whose squares sum
/// to `ss`.
Value scaleOfSumSquares(Emitter &e, Value ss, int64_t dim, FloatAttr eps);

/// scales[s] = rowScale(x, s) for every token: on GPUs a block per token
/// (blockRowScale; thread 0 stores it).
Value rowScales(Emitter &e, const Kernels &kernels, Value x, Value seq,
                int64_t dim, FloatAttr eps);

/// On GPUs: x[s, k] * scale[s] * gamma[k] for every token s, a block per
/// token (parallelBlocks) that first computes the token's RMSNorm scale
/// (blockRowScale) and then writes the normalized row (thread t pieces t,
/// t + threads, ... of kNormPiece elements, as blockRowScale; elements
/// where the row is not a whole number of pieces).
Value normalizedRows(Emitter &e, int64_t threads, Value x, Value gamma,
                     Value seq, int64_t dim, FloatAttr eps);

//===----------------------------------------------------------------------===//
// RowDots.cpp: dot products of weight rows with tokens
//===----------------------------------------------------------------------===//

/// The 8 f32 weights of unit `unit` (elements k0 .. k0 + 7) of a row taken
/// in 8-element units (hasEightElementUnits): a piece of an f32/f16/bf16
/// row or a part of a quantized block, dequantized.
Value unitWeights(Emitter &e, const WeightRow &r, Value unit, Value k0);

Value rowDot(Emitter &e, const Kernels &kc, const WeightView &w, int64_t k,
             const Activation &x, Value s, Value row);

/// The dot products of token `s` with several rows: on GPUs, rows of one
/// block size in one warp loop (warpRowDots), else one rowDot each.
SmallVector<Value> rowDots(Emitter &e, const Kernels &kc,
                           ArrayRef<WeightRow> rows, int64_t k,
                           const Activation &x, Value s);

/// The dot products of row `row` of `w` with tokens s0 .. s0+T-1 of `x`,
/// dequantizing each weight block once for the T tokens. In a warp
/// (e.lane) lane l takes blocks l, l + 32, ... and the warp adds the lanes'
/// sums, the loads marked with their alignment as in warpRowDots.
SmallVector<Value> blockedRowDots(Emitter &e, const Kernels &kc,
                                  const WeightView &w, int64_t k,
                                  const Activation &x, Value s0, int64_t T,
                                  Value row);

/// The dot products of rows `rows` with tokens s0 .. s0+T-1 of `x`, as
/// blockedRowDots, row by row ([r][t]); on GPUs, rows taken in 8-element
/// units (hasEightElementUnits) in one warp loop (warpUnitDots): each
/// unit's weights loaded and dequantized once for the T tokens, each
/// token's activation piece once for the rows. Per multiply-add a warp then
/// reads (2R + 4T) / (R T) bytes (f16 weights, f32 activations), 2.5 for
/// two rows of 4 tokens where one row read 4.5 — a prefill's row kernels
/// read their activations from L2 again for every row — and consecutive
/// lanes read consecutive activations (a lane per quantized block read 32
/// cache lines per load instruction).
SmallVector<SmallVector<Value>> blockedRowsDots(Emitter &e, const Kernels &kc,
                                                ArrayRef<WeightRow> rows,
                                                int64_t k, const Activation &x,
                                                Value s0, int64_t T);

//===----------------------------------------------------------------------===//
// GPUMatmul.cpp: the GPU prefill GEMM in shared memory
//===----------------------------------------------------------------------===//

/// Whether tiledMatmul computes the prefill of `rows` (one weight; gate
/// and up; or the rows 2g, 2g+1 of a RoPE pair) for `groups` groups (n
/// rows of k each): GPU code with the block size it is made for, groups
/// and K in whole tiles, weights in 8-element units, activations in f32
/// (normalized already, as on GPUs).
bool tiledMatmulApplies(const Kernels &kc, ArrayRef<TileRows> rows,
                        int64_t groups, int64_t k, const Activation &x);

/// A prefill's y_j[s, g] = sum_k x[s, k] * w_j[g * stride_j + offset_j, k]
/// for the row sources `rows` (m = rows.size() values per group g: one
/// weight, gate and up, or a RoPE pair) on GPUs, as a GEMM tiled in shared
/// memory (tiledMatmulApplies). A block of kTileThreads threads takes
/// kTileSlots slots (kTileSlots / m groups of m, slot g * m + j being
/// group g's row of source j) times kTileTokens tokens (forTileTasks).
/// For each kTileK-wide step of K the block
/// stages its slots' weights, dequantized (each thread 2 units of 8,
/// stageWeightUnit), and
/// its tokens' activations (each thread 2 pieces of 4) into workgroup
/// memory, transposed ([k][slot], [k][token]: a warp's stores go to
/// consecutive words), waits at a barrier, and each thread adds the
/// products of 4 slots x 4 tokens for every k (two 16-byte shared loads per
/// 16 multiply-adds), then waits again before the next step. The GEMV-like
/// kernels before (a warp per 2 rows, 4 tokens at a time) read every
/// token's activations again for every row pair: 2.5 bytes of L2 per
/// multiply-add, here (4 bytes of activations + 2 of f16 weights) / 64 slots
/// and 32 tokens, about 0.1. Tokens past `seq` in the last token tile load
/// the last token's activations and are not stored.
/// With kc.tensorCores, mmaMatmul computes the same.
/// store(s, g, values): token s, group g, the m values (source j's in
/// [j]).
void tiledMatmul(
    Emitter &e, const Kernels &kc, ArrayRef<TileRows> rows, int64_t n,
    int64_t k, const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store);

//===----------------------------------------------------------------------===//
// Matmul.cpp: matmul kernels shared with llama.qkv_rope
//===----------------------------------------------------------------------===//

/// Whether `op` runs in packed row tiles (`tiles`: its configuration says
/// tile_rows = 16; `packable`: its weights can be): in a prefill
/// (`prefill`: a dynamic token count), and in any step where its weights
/// are prepacked at compile time, which only the tiles can read. An error
/// where the weights cannot be packed, or only some of the op's weights are
/// prepacked (llama-configure-kernels rules both out).
FailureOr<bool> takesTiles(Operation *op, ArrayRef<const WeightView *> ws,
                           bool tiles, bool packable, bool prefill);

/// The llama.dot4_acc kind of the packed tiles: vpdpbusd where the target
/// has it, vpmaddubsw on AVX2, sdot with the dot product extension,
/// otherwise the generic form (same sums).
IntDotKind packedDotKind(IntDotISA isa);

/// The activations of packed tiles, emitted before their parallel loop:
/// for float tiles x times the RMSNorm weight, computed once here rather
/// than per tile and token, and for a prefill also in blocks of
/// `floatTokens` tokens (the tiles' token block: tileTokens), element-major.
PackedActivations packedActivations(Emitter &e, const Activation &x,
                                    int64_t floatTokens);

/// silu(g) * u = g / (1 + exp(-g)) * u: the SwiGLU epilogue of
/// llama.matmul_swiglu's kernels, on f32 scalars or vectors (lane by lane
/// the same operations, so the same results).
Value siluTimes(Emitter &e, Value g, Value u);

/// The llama.kernel_matmul of `op` (its llama.kernel_config) over the
/// weights `ws` and the activations `x` (their prologue buffers as
/// tensors), writing `init` (a tensor of [tokens, N]): the structured form
/// that llama-tile-kernels tiles and llama-lower-kernel-matmul lowers.
/// `rotation` is the table of `epilogue = rope`.
Value packedMatmul(Emitter &e, Operation *op, ArrayRef<const WeightView *> ws,
                   const PackedActivations &x, Value init,
                   TileEpilogue epilogue, bool accumulate,
                   Value rotation = Value());

/// The llama.kernel_matmul of `op`'s CPU row kernels (its configuration
/// with tile_rows = 0) over the weights `ws` in the GGUF layout: the
/// activations `x` as they are (the input, gamma and the row scales; the
/// int8 quants where computed), writing `init`.
Value rowMatmul(Emitter &e, Operation *op, ArrayRef<const WeightView *> ws,
                const Activation &x, Value init, TileEpilogue epilogue,
                bool accumulate, Value rotation = Value());

//===----------------------------------------------------------------------===//
// Attention.cpp: the online softmax
//===----------------------------------------------------------------------===//

/// One online-softmax step for score x with running max m and sum l:
/// the new max, the factor `corr` = exp(m - new max) that rescales the
/// previous sum and output, the row's weight p = exp(x - new max), and the
/// new sum l * corr + p (unset by softmaxRescale, which merging partial
/// results uses: there x is a run's max and p rescales its sum and output).
struct SoftmaxStep {
  Value max, corr, p, sum;
};

SoftmaxStep softmaxRescale(Emitter &e, Value m, Value x);
SoftmaxStep softmaxStep(Emitter &e, Value m, Value l, Value x);

/// The attention of token `s` (cache rows [0, end)) for KV head `g` of the
/// cache layer buffers `kc`, `vc` ([ctx, kv heads, head_dim]), the kv_mul
/// query heads that share it read from `q` and written to `out` ([tokens,
/// heads, head_dim]) in vectors of head_dim, with an online softmax: each
/// K and V row is loaded once for all of them. With `kvBlock` B > 1 the
/// rows after the first are taken B at a time (the B scores of a head as
/// one vector, one rescale of its state per block), the last (pos) mod B
/// one by one.
void attendKVHead(Emitter &e, Value q, Value kc, Value vc, Value out, Value s,
                  Value g, Value end, float scale, int64_t kvMul,
                  int64_t kvBlock = 1);

//===----------------------------------------------------------------------===//
// QKVRoPE.cpp: the KV cache as buffers
//===----------------------------------------------------------------------===//

/// Layer `layer` of a cache buffer [layers, ctx, kv heads, head dim] as a
/// [ctx, kv heads, head dim] view. Loops index the view rather than the
/// cache with the layer as a constant: on GPUs the view is a kernel
/// argument, so every layer's KV-write and attention kernels are the same
/// code (one kernel for all layers after llama-merge-gpu-modules).
/// With `keepLayerDim`, the view keeps the cache's rank: [1, ctx, kv heads,
/// head dim] (llama.kv_cache_layer's buffers).
Value cacheLayer(OpBuilder &b, Location loc, Value cache, int64_t layer,
                 bool keepLayerDim = false);

/// Stores the f32 `x` at `indices` of a cache (layer) buffer, rounded to
/// f16 where the cache holds f16.
void storeToCache(OpBuilder &b, Location loc, Value x, Value cache,
                  ValueRange indices);

//===----------------------------------------------------------------------===//
// Calls.cpp: layer functions (llama-share-layers) and their calls
//===----------------------------------------------------------------------===//

/// Whether `fn` is a layer function of llama-share-layers (private, with
/// kResultRowsAttrName).
bool isLayerFunction(func::FuncOp fn);

/// The layer function `call` calls; null where it calls another function.
func::FuncOp layerCallee(func::CallOp call);

/// The buffer types a value of type `t` becomes as an argument of a layer
/// function: a tensor its identity-layout memref, a KV cache its K and V
/// (one layer, any offset: each call passes its layer), a weight its view
/// (`packed`: the rows16 view), anything else itself.
SmallVector<Type> layerArgumentTypes(Type t, bool packed);

/// The view type of the bytes of a weight of type `wt`, in the GGUF layout
/// or (`packed`) the rows16 layout packed at compile time.
MemRefType weightBufferType(WeightType wt, bool packed);

/// Replaces `ret` by stores of its operands into `outs` (one out-buffer
/// per result: bufferization.materialize_in_destination) and a return of
/// nothing.
void returnIntoOutBuffers(func::ReturnOp ret, ArrayRef<Value> outs);

/// The WeightView of a weight of type `wt` (or of GGML type `type`) whose
/// bytes are `view`.
WeightView weightView(Value view, WeightType wt, bool packed);
WeightView weightView(Value view, GGMLType type, bool packed);

/// For each layer function, per argument, whether it is a weight read in
/// the rows16 layout: that of the weights its calls pass, which must agree.
using LayerPacking = DenseMap<Operation *, SmallVector<bool>>;

class FunctionLowering {
public:
  FunctionLowering(func::FuncOp fn, llvm::StringMap<int64_t> &weightIndex,
                   SmallVectorImpl<Attribute> &weightTable,
                   const llvm::StringSet<> &prepacked,
                   const LayerPacking &layerPacking)
      : fn(fn), b(fn.getContext()), weightIndex(weightIndex),
        weightTable(weightTable), prepacked(prepacked),
        layerPacking(layerPacking) {}

  LogicalResult run();

private:
  func::FuncOp fn;
  OpBuilder b;
  llvm::StringMap<int64_t> &weightIndex;
  SmallVectorImpl<Attribute> &weightTable;
  /// The weights read in the rows16 layout packed at compile time.
  const llvm::StringSet<> &prepacked;
  const LayerPacking &layerPacking;
  /// The kernel configuration of the op being lowered.
  Kernels kernels;
  Value file, offsets;
  /// The function's arguments before the rewrite (erased at the end).
  unsigned numOldArgs = 0;
  DenseMap<Value, std::pair<Value, Value>> caches; // kv_cache -> (K, V)
  DenseMap<Value, WeightView> weights;
  /// Attention ops whose keys and values the Q/K/V projection stored into
  /// the cache (their appendToCache is done).
  DenseSet<Operation *> appended;

  LogicalResult rewriteSignature();
  LogicalResult rewriteLayerSignature();
  /// Per argument of layer function `callee`, whether it is a packed weight.
  ArrayRef<bool> packedArguments(func::FuncOp callee) const;
  LogicalResult lowerWeight(WeightOp op);
  LogicalResult lowerEmbedding(EmbeddingOp op);
  LogicalResult lowerRMSNorm(RMSNormOp op);
  LogicalResult lowerMatmul(MatmulOp op);
  LogicalResult lowerMatmulSwiGLU(MatmulSwiGLUOp op);
  LogicalResult lowerQKVRoPE(QKVRoPEOp op);
  LogicalResult appendToCache(Operation *op, Value key, Value value,
                              Value positions, Value cache, int64_t layer);
  LogicalResult lowerAttention(AttentionOp op);
  LogicalResult lowerGQAAttention(GQAAttentionOp op);
  LogicalResult lowerKVCacheLayer(KVCacheLayerOp op);
  LogicalResult lowerCall(func::CallOp call, func::FuncOp callee);
  Activation activation(Emitter &e, Value input, Value norm,
                        std::optional<APFloat> eps, bool quantize,
                        ArrayRef<const WeightView *> rows);
  void normPrologue(Emitter &e, Activation &a, Value norm,
                    std::optional<APFloat> eps,
                    ArrayRef<const WeightView *> rows);
  void quantizeActivations(Emitter &e, Activation &a, int64_t dim,
                           bool halfSums, bool amxTiles);
};

} // namespace mlir::llama::loops

#endif // LLAMA_MLIR_LIB_CONVERSION_LLAMATOLOOPS_LOWERING_H
