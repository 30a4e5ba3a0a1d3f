//===- Matmul.cpp - llama.matmul and llama.matmul_swiglu --------*- C++ -*-===//
//
// llama.matmul and llama.matmul_swiglu: the activation prologue (RMSNorm,
// int8 quantization), then the structured llama.kernel_matmul on CPUs
// (packed row tiles or row kernels, as the op's kernel configuration
// says) and in GPU thread kernels (row kernels), in GPU warp kernels the
// shared-memory GEMM or a warp per row.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

FailureOr<bool> takesTiles(Operation *op, ArrayRef<const WeightView *> ws,
                           bool tiles, bool packable, bool prefill) {
  if (tiles && !packable)
    return op->emitOpError("llama-lower-to-loops: kernel_config tile_rows = "
                           "16, but the op's weights cannot be packed in "
                           "16-row tiles");
  bool any = llvm::any_of(ws, [](const WeightView *w) { return w->prepacked; });
  bool all = llvm::all_of(ws, [](const WeightView *w) { return w->prepacked; });
  if (any && !all)
    return op->emitOpError("llama-lower-to-loops: weights prepacked in the "
                           "rows16 layout need the packed row tiles of all "
                           "of the op's weights");
  return tiles && (prefill || all);
}

IntDotKind packedDotKind(IntDotISA isa) { return int8DotKind(isa); }

PackedActivations packedActivations(Emitter &e, const Activation &x,
                                    int64_t floatTokens) {
  PackedActivations p{x.xq, x.xd, x.xs, x.scales, x.x, x.xl, x.xt};
  if (x.xq)
    return p;
  auto mt = cast<MemRefType>(x.x.getType());
  int64_t dim = mt.getDimSize(1);
  Value seq = e.dim(x.x, 0);
  bool blocks = mt.isDynamicDim(0) && floatTokens > 1;
  if (x.gamma && blocks) {
    // Tokens past the last full block meet gamma as they are loaded.
    p.gamma = x.gamma;
  } else if (x.gamma) {
    p.x = memref::AllocOp::create(
        e.b, e.loc, mt, mt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
    e.loop(e.idx(0), seq, [&](Value s) {
      e.loop(e.idx(0), e.idx(dim / kDotLanes), [&](Value blk) {
        Value k0 = arith::MulIOp::create(e.b, e.loc, blk, e.idx(kDotLanes));
        vector::StoreOp::create(e.b, e.loc, x.load(e, s, k0, kDotLanes), p.x,
                                ValueRange{s, k0});
      });
    });
  }
  if (!blocks)
    return p;
  // A prefill's full blocks of T tokens, element-major within a block:
  // xf[s / T, k, s % T]. A token block's loop then reads one line of
  // activations per element; in rows of K f32 (8 KiB apart when K = 2048)
  // its T tokens would sit in one L1 set.
  Value n = arith::DivUIOp::create(e.b, e.loc, seq, e.idx(floatTokens));
  p.xf = tokenBlocksBuffer(e, n, floatTokens, {dim, floatTokens},
                           e.b.getF32Type());
  p.xfTokens = floatTokens;
  Value full = arith::MulIOp::create(e.b, e.loc, n, e.idx(floatTokens));
  parallelFor(e, full, [&](Value s) {
    Value sb = arith::DivUIOp::create(e.b, e.loc, s, e.idx(floatTokens));
    Value t = arith::RemUIOp::create(e.b, e.loc, s, e.idx(floatTokens));
    e.loop(e.idx(0), e.idx(dim / kDotLanes), [&](Value blk) {
      Value k0 = arith::MulIOp::create(e.b, e.loc, blk, e.idx(kDotLanes));
      Value v = x.load(e, s, k0, kDotLanes);
      for (int64_t i = 0; i < kDotLanes; ++i)
        memref::StoreOp::create(
            e.b, e.loc, vector::ExtractOp::create(e.b, e.loc, v, i), p.xf,
            ValueRange{sb, arith::AddIOp::create(e.b, e.loc, k0, e.idx(i)), t});
    });
  });
  return p;
}

/// The activation operand of a matmul-like op whose weights are `rows`,
/// with its optional RMSNorm prologue: the norm weight is converted to f32
/// once and the row scale of every token computed once, before the
/// parallel loop (on GPUs, see normPrologue).
Activation FunctionLowering::activation(Emitter &e, Value input, Value norm,
                                        std::optional<APFloat> eps,
                                        bool quantize,
                                        ArrayRef<const WeightView *> rows) {
  Activation a;
  a.x = e.buffer(input);
  int64_t dim = cast<MemRefType>(a.x.getType()).getDimSize(1);
  if (norm)
    normPrologue(e, a, norm, eps, rows);
  // Q6_K tiles subtract the quants' bias per 16-element sub-block, Q2_K
  // rows their mins.
  bool halfSums = llvm::any_of(rows, [&](const WeightView *w) {
    return kernels.tileRows ? int8GroupsHaveTwoScales(w->type)
                            : int8GroupsHaveTwoMins(w->type);
  });
  if (quantize && kernels.intDot != IntDotISA::None && dim % kIntDotBlock == 0)
    quantizeActivations(e, a, dim, halfSums,
                        kernels.amx && kernels.tileRows == kPackedRows);
  return a;
}

/// gamma as f32 and the row scale of every token (see Activation).
void FunctionLowering::normPrologue(Emitter &e, Activation &a, Value norm,
                                    std::optional<APFloat> eps,
                                    ArrayRef<const WeightView *> rows) {
  int64_t dim = cast<MemRefType>(a.x.getType()).getDimSize(1);
  const WeightView &g = weights.lookup(norm);
  Value seq = e.dim(a.x, 0);
  if (g.type == GGMLType::F32) {
    // The weight itself (its [1, dim] view as [dim]): no copy, and on GPUs
    // no kernel launch per norm and token.
    a.gamma = memref::CollapseShapeOp::create(
        b, e.loc, g.view, ArrayRef<ReassociationIndices>{{0, 1}});
  } else {
    a.gamma = memref::AllocOp::create(b, e.loc,
                                      MemRefType::get({dim}, b.getF32Type()));
    forAll(e, kernels.gpu, {e.idx(dim)}, [&](ArrayRef<Value> iv) {
      memref::StoreOp::create(b, e.loc, e.weightAt(g, e.idx(0), iv[0]), a.gamma,
                              iv);
    });
  }
  FloatAttr epsAttr = b.getF32FloatAttr(eps->convertToFloat());
  // A decode step (one token, a static row count) of f32/f16/bf16 rows,
  // with the norm weight used in place: every warp of the row kernel
  // computes the scale from the x pieces it loads anyway (warpUnitDots),
  // so no kernel normalizes the row first. A decode norm was one warp on
  // the whole GPU, 2 passes over the row, and a kernel boundary, twice a
  // layer, ahead of the row kernels. What it costs them: one gamma piece
  // per unit from L1 (the same for every warp) and an FMA, under 16-byte
  // f16 loads from HBM; quantized rows, 9 bytes of Q4_0 per 8 elements,
  // would make the activations the larger read, so they keep the kernel
  // unless kernels.quantizedRowNorms (gpu-quantized-row-norms) says
  // otherwise.
  if (kernels.gpu && g.type == GGMLType::F32 &&
      !cast<MemRefType>(a.x.getType()).isDynamicDim(0) &&
      llvm::all_of(rows, [&](const WeightView *w) {
        return (isUnquantized(*w) || kernels.quantizedRowNorms) &&
               hasEightElementUnits(*w) && canVectorizeDot(*w, dim);
      })) {
    a.normDim = dim;
    a.normEps = epsAttr;
    return;
  }
  if (kernels.gpu) {
    // Normalized once per token by the kernel that computes the scales:
    // the row kernels then load one activation piece per step, not x and
    // gamma (on GPUs these loads, repeated by every row, cost L1
    // bandwidth; on CPUs the prologue stays fused: no extra pass over x).
    a.x = normalizedRows(e, kernels.blockThreads, a.x, a.gamma, seq, dim,
                         epsAttr);
    a.gamma = {};
    return;
  }
  a.scales = rowScales(e, kernels, a.x, seq, dim, epsAttr);
}

/// xq, xd of the activations (times gamma), block by block:
///   d = max|v| / 127,  q = round(v * (d != 0 ? 1/d : 0))
/// with round-half-away-from-zero, in f32 (the numpy reference does the
/// same, python/llama_ref/ops.py quantize_q8_0).
void FunctionLowering::quantizeActivations(Emitter &e, Activation &a,
                                           int64_t dim, bool halfSums,
                                           bool amxTiles) {
  Value seq = e.dim(a.x, 0);
  auto xType = cast<MemRefType>(a.x.getType());
  // A prefill's tokens in parallel (each token's blocks are its own).
  auto tokens = [&](function_ref<void(Value)> body) {
    if (xType.isDynamicDim(0))
      parallelFor(e, seq, body);
    else
      e.loop(e.idx(0), seq, body);
  };
  int64_t nb = dim / kIntDotBlock;
  a.xq = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, dim}, b.getI8Type()),
      ValueRange{seq});
  a.xd = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, nb}, b.getF32Type()),
      ValueRange{seq});
  a.xs = memref::AllocOp::create(
      b, e.loc, MemRefType::get({ShapedType::kDynamic, nb}, b.getF32Type()),
      ValueRange{seq});
  if (halfSums)
    a.xl = memref::AllocOp::create(
        b, e.loc, MemRefType::get({ShapedType::kDynamic, nb}, b.getF32Type()),
        ValueRange{seq});
  auto vt = VectorType::get({kIntDotBlock}, b.getF32Type());
  auto i8x32 = VectorType::get({kIntDotBlock}, b.getI8Type());
  // A decode step has no block of 16 tokens for AMX tiles.
  if (!xType.isDynamicDim(0) && xType.getDimSize(0) < kAMXTokens)
    amxTiles = false;
  Value blocks16;
  if (amxTiles) {
    blocks16 = arith::DivUIOp::create(b, e.loc, seq, e.idx(kAMXTokens));
    a.xt = tokenBlocksBuffer(e, blocks16, kAMXTokens,
                             {nb, kAMXTokens, kIntDotBlock}, b.getI8Type());
  }
  tokens([&](Value s) {
    Value t16 = blocks16
                    ? arith::DivUIOp::create(b, e.loc, s, e.idx(kAMXTokens))
                    : Value();
    Value t = blocks16 ? arith::RemUIOp::create(b, e.loc, s, e.idx(kAMXTokens))
                       : Value();
    Value inTiles =
        blocks16 ? arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult,
                                         t16, blocks16)
                 : Value();
    e.loop(e.idx(0), e.idx(nb), [&](Value blk) {
      Value k0 = arith::MulIOp::create(b, e.loc, blk, e.idx(kIntDotBlock));
      Value v = a.load(e, s, k0, kIntDotBlock);
      Value amax =
          vector::ReductionOp::create(b, e.loc, vector::CombiningKind::MAXNUMF,
                                      math::AbsFOp::create(b, e.loc, v));
      Value d = arith::DivFOp::create(b, e.loc, amax, e.f32(127.0));
      Value nz = arith::CmpFOp::create(b, e.loc, arith::CmpFPredicate::UNE, d,
                                       e.f32(0.0));
      Value id = arith::SelectOp::create(
          b, e.loc, nz, arith::DivFOp::create(b, e.loc, e.f32(1.0), d),
          e.f32(0.0));
      Value q = math::RoundOp::create(
          b, e.loc,
          arith::MulFOp::create(b, e.loc, v,
                                vector::BroadcastOp::create(b, e.loc, vt, id)));
      Value qi = arith::FPToSIOp::create(b, e.loc, i8x32, q);
      vector::StoreOp::create(b, e.loc, qi, a.xq, ValueRange{s, k0});
      if (inTiles)
        scf::IfOp::create(b, e.loc, inTiles, [&](OpBuilder &nb, Location l) {
          vector::StoreOp::create(nb, l, qi, a.xt,
                                  ValueRange{t16, blk, t, e.idx(0)});
          scf::YieldOp::create(nb, l);
        });
      memref::StoreOp::create(b, e.loc, d, a.xd, ValueRange{s, blk});
      // The quants are integers in [-127, 127]: their f32 sum is exact.
      memref::StoreOp::create(
          b, e.loc,
          vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD, q),
          a.xs, ValueRange{s, blk});
      if (a.xl)
        memref::StoreOp::create(
            b, e.loc,
            vector::ReductionOp::create(b, e.loc, vector::CombiningKind::ADD,
                                        vector::ExtractStridedSliceOp::create(
                                            b, e.loc, q, ArrayRef<int64_t>{0},
                                            ArrayRef<int64_t>{kIntDotBlock / 2},
                                            ArrayRef<int64_t>{1})),
            a.xl, ValueRange{s, blk});
    });
  });
}

Value siluTimes(Emitter &e, Value g, Value u) {
  Value ex =
      math::ExpOp::create(e.b, e.loc, arith::NegFOp::create(e.b, e.loc, g));
  Value one = e.f32(1.0);
  if (auto vt = dyn_cast<VectorType>(g.getType()))
    one = vector::BroadcastOp::create(e.b, e.loc, vt, one);
  Value silu = arith::DivFOp::create(
      e.b, e.loc, g, arith::AddFOp::create(e.b, e.loc, one, ex));
  return arith::MulFOp::create(e.b, e.loc, silu, u);
}

/// The llama.kernel_matmul of weights `ws` with configuration `config`
/// and the activation operands given (null where absent).
static Value matmulOp(Emitter &e, ArrayRef<const WeightView *> ws,
                      KernelConfigAttr config, const PackedActivations &x,
                      Value xTensor, Value init, TileEpilogue epilogue,
                      bool accumulate, Value rotation) {
  SmallVector<Value> views;
  SmallVector<StringRef> types;
  for (const WeightView *w : ws) {
    views.push_back(w->view);
    types.push_back(stringifyGGMLType(w->type));
  }
  return KernelMatmulOp::create(
             e.b, e.loc, TypeRange{init.getType()}, views, xTensor,
             e.tensorOf(x.xq), e.tensorOf(x.xd), e.tensorOf(x.xs),
             e.tensorOf(x.xl), e.tensorOf(x.xt), e.tensorOf(x.xf), x.gamma,
             e.tensorOf(x.scales), rotation, init, e.b.getStrArrayAttr(types),
             epilogue, accumulate, config)
      .getResult()[0];
}

Value packedMatmul(Emitter &e, Operation *op, ArrayRef<const WeightView *> ws,
                   const PackedActivations &x, Value init,
                   TileEpilogue epilogue, bool accumulate, Value rotation) {
  auto config =
      op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
  return matmulOp(e, ws, config, x, x.xq ? Value() : e.tensorOf(x.x), init,
                  epilogue, accumulate, rotation);
}

Value rowMatmul(Emitter &e, Operation *op, ArrayRef<const WeightView *> ws,
                const Activation &x, Value init, TileEpilogue epilogue,
                bool accumulate, Value rotation) {
  // The op's configuration without its tiles: a tiled op's decode step
  // (a static token count: no token blocks) whose weights are not
  // prepacked takes the row kernels.
  auto c = op->getAttrOfType<KernelConfigAttr>(KernelConfigAttr::kAttrName);
  auto config = c;
  if (c.getTileRows())
    config = KernelConfigAttr::get(
        op->getContext(), c.getDispatch(),
        c.getDot() == KernelDot::AMX ? KernelDot::Vector : c.getDot(),
        c.getIntDot(), /*tokenBlock=*/1, /*tileRows=*/0, WeightLayout::GGUF,
        /*prefetch=*/0, c.getKvBlock(), c.getBlockThreads(), c.getTensorCores(),
        c.getRowNorms(), /*distribute=*/nullptr, /*vectorSizes=*/nullptr);
  PackedActivations p{x.xq, x.xd, x.xs, x.scales, x.x, x.xl, {}};
  p.gamma = x.gamma;
  return matmulOp(e, ws, config, p, e.tensorOf(x.x), init, epilogue, accumulate,
                  rotation);
}

LogicalResult FunctionLowering::lowerMatmul(MatmulOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  const WeightView &w = weights.lookup(op.getWeight());
  WeightType wt = op.getWeight().getType();
  int64_t n = wt.getShape()[0], k = wt.getShape()[1];
  Activation x = activation(e, op.getInput(), op.getNorm(), op.getEpsilon(),
                            canIntDot(w, k), {&w});
  Value seq = e.dim(x.x, 0);
  // The residual add of the result (its only use: `r + y` or `y + r`, `r`
  // defined before the matmul), folded into the stores: the same sums, one
  // pass over the activations fewer (on GPUs a kernel launch fewer).
  arith::AddFOp add;
  Value residualTensor;
  if (op->hasOneUse())
    if ((add = dyn_cast<arith::AddFOp>(*op->user_begin()))) {
      Value r = add.getLhs() == op.getResult() ? add.getRhs() : add.getLhs();
      Operation *def = r.getDefiningOp();
      if (r != op.getResult() && r.getType() == rt &&
          (!def
               ? cast<BlockArgument>(r).getOwner() == op->getBlock()
               : def->getBlock() == op->getBlock() && def->isBeforeInBlock(op)))
        residualTensor = r;
    }
  // The op's result, or with the residual folded in the add's.
  auto replace = [&](Value result) {
    if (residualTensor) {
      add.getResult().replaceAllUsesWith(result);
      add->erase();
    } else {
      op.getResult().replaceAllUsesWith(result);
    }
    op->erase();
    return success();
  };
  bool blocked = kernels.blocksTokens(w, k) && rt.isDynamicDim(0);
  FailureOr<bool> tiles =
      takesTiles(op, {&w}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&w}, n, k, x), rt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  auto newOut = [&] {
    return e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  };
  if (*tiles) {
    // Packed tiles of 16 rows: the structured op, tiled and lowered by
    // llama-tile-kernels and llama-lower-kernel-matmul; the residual add
    // becomes its accumulation into the residual.
    PackedActivations px =
        packedActivations(e, x, tileTokens(kernels.tokenBlock));
    return replace(
        packedMatmul(e, op, {&w}, px,
                     residualTensor ? residualTensor : e.toTensor(newOut(), rt),
                     TileEpilogue::None, bool(residualTensor)));
  }
  if (!kernels.gpu)
    // Row by row on CPUs and in GPU thread kernels (a thread per row): the
    // structured op with the row kernels.
    return replace(
        rowMatmul(e, op, {&w}, x,
                  residualTensor ? residualTensor : e.toTensor(newOut(), rt),
                  TileEpilogue::None, bool(residualTensor)));
  Value out = newOut();
  Value residual = residualTensor ? e.buffer(residualTensor) : Value();
  auto store = [&](Value y, Value s, Value row) {
    if (residual) {
      Value r = memref::LoadOp::create(b, e.loc, residual, ValueRange{s, row});
      y = add.getLhs() == op.getResult()
              ? arith::AddFOp::create(b, e.loc, y, r)
              : arith::AddFOp::create(b, e.loc, r, y);
    }
    memref::StoreOp::create(b, e.loc, y, out, ValueRange{s, row});
  };
  if (rt.isDynamicDim(0) && tiledMatmulApplies(kernels, {{&w}}, n, k, x)) {
    // A GPU prefill: the GEMM tiled in shared memory.
    tiledMatmul(
        e, kernels, {{&w}}, n, k, x, seq,
        [&](Value s, Value row, ArrayRef<Value> y) { store(y[0], s, row); });
  } else if (kernels.gpu && n % 2 == 0 && canVectorizeDot(w, k) &&
             (!blocked || hasEightElementUnits(w))) {
    // On GPUs two rows per warp: they share the activation loads
    // (warpRowDots; in a prefill blockedRowsDots, T tokens at a time).
    parallelRows(e, /*warp=*/true, n / 2, [&](Value pair) {
      Value r0 = arith::MulIOp::create(b, e.loc, pair, e.idx(2));
      Value r1 = arith::AddIOp::create(b, e.loc, r0, e.idx(1));
      forTokens(
          e, seq, blocked, kernels.tokenBlock,
          [&](Value s0) {
            SmallVector<SmallVector<Value>> d = blockedRowsDots(
                e, kernels, {{&w, r0}, {&w, r1}}, k, x, s0, kernels.tokenBlock);
            for (int64_t t = 0; t < kernels.tokenBlock; ++t) {
              Value s = arith::AddIOp::create(b, e.loc, s0, e.idx(t));
              store(d[0][t], s, r0);
              store(d[1][t], s, r1);
            }
          },
          [&](Value s) {
            SmallVector<Value> d =
                rowDots(e, kernels, {{&w, r0}, {&w, r1}}, k, x, s);
            store(d[0], s, r0);
            store(d[1], s, r1);
          });
    });
  } else
    forRowsAndTokens(
        e, kernels.gpu, n, seq, blocked, kernels.tokenBlock,
        [&](Value row, Value s0) {
          SmallVector<Value> sums =
              blockedRowDots(e, kernels, w, k, x, s0, kernels.tokenBlock, row);
          for (int64_t t = 0; t < kernels.tokenBlock; ++t)
            store(sums[t], arith::AddIOp::create(b, e.loc, s0, e.idx(t)), row);
        },
        [&](Value row, Value s) {
          store(rowDot(e, kernels, w, k, x, s, row), s, row);
        });
  return replace(e.toTensor(out, rt));
}

LogicalResult FunctionLowering::lowerMatmulSwiGLU(MatmulSwiGLUOp op) {
  b.setInsertionPoint(op);
  Emitter e{b, op.getLoc()};
  auto rt = cast<RankedTensorType>(op.getType());
  const WeightView &wg = weights.lookup(op.getGate());
  const WeightView &wu = weights.lookup(op.getUp());
  WeightType wt = op.getGate().getType();
  int64_t n = wt.getShape()[0], k = wt.getShape()[1];
  Activation x = activation(e, op.getInput(), op.getNorm(), op.getEpsilon(),
                            canIntDot(wg, k) || canIntDot(wu, k), {&wg, &wu});
  Value seq = e.dim(x.x, 0);
  Value out = e.alloc(rt, rt.isDynamicDim(0) ? ValueRange{seq} : ValueRange{});
  auto epilogue = [&](Value g, Value u) { return siluTimes(e, g, u); };
  bool blocked = kernels.blocksTokens(wg, k) && kernels.blocksTokens(wu, k) &&
                 rt.isDynamicDim(0);
  FailureOr<bool> tiles =
      takesTiles(op, {&wg, &wu}, kernels.tileRows == kPackedRows,
                 Kernels::packable({&wg, &wu}, n, k, x), rt.isDynamicDim(0));
  if (failed(tiles))
    return failure();
  if (*tiles) {
    // Packed tiles: gate and up in one structured op, the epilogue per
    // row.
    PackedActivations px =
        packedActivations(e, x, tileTokens(kernels.tokenBlock));
    op.getResult().replaceAllUsesWith(
        packedMatmul(e, op, {&wg, &wu}, px, e.toTensor(out, rt),
                     TileEpilogue::SwiGLU, /*accumulate=*/false));
    op->erase();
    return success();
  }
  if (!kernels.gpu) {
    // Row by row on CPUs and in GPU thread kernels: the structured op with
    // the row kernels.
    op.getResult().replaceAllUsesWith(
        rowMatmul(e, op, {&wg, &wu}, x, e.toTensor(out, rt),
                  TileEpilogue::SwiGLU, /*accumulate=*/false));
    op->erase();
    return success();
  }
  if (rt.isDynamicDim(0) &&
      tiledMatmulApplies(kernels, {{&wg}, {&wu}}, n, k, x)) {
    // A GPU prefill: gate and up in one GEMM tiled in shared memory.
    tiledMatmul(e, kernels, {{&wg}, {&wu}}, n, k, x, seq,
                [&](Value s, Value row, ArrayRef<Value> gu) {
                  memref::StoreOp::create(b, e.loc, epilogue(gu[0], gu[1]), out,
                                          ValueRange{s, row});
                });
    e.replaceWithBuffer(op, out, rt);
    return success();
  }
  forRowsAndTokens(
      e, kernels.gpu, n, seq, blocked, kernels.tokenBlock,
      [&](Value row, Value s0) {
        SmallVector<SmallVector<Value>> gu = blockedRowsDots(
            e, kernels, {{&wg, row}, {&wu, row}}, k, x, s0, kernels.tokenBlock);
        for (int64_t t = 0; t < kernels.tokenBlock; ++t)
          memref::StoreOp::create(
              b, e.loc, epilogue(gu[0][t], gu[1][t]), out,
              ValueRange{arith::AddIOp::create(b, e.loc, s0, e.idx(t)), row});
      },
      [&](Value row, Value s) {
        SmallVector<Value> gu =
            rowDots(e, kernels, {{&wg, row}, {&wu, row}}, k, x, s);
        memref::StoreOp::create(b, e.loc, epilogue(gu[0], gu[1]), out,
                                ValueRange{s, row});
      });
  e.replaceWithBuffer(op, out, rt);
  return success();
}

} // namespace mlir::llama::loops
