//===- GPUMatmul.cpp - GPU prefill GEMM -------------------------*- C++ -*-===//
//
// The GPU prefill GEMM (kernel_config tensor_cores or not): blocks of 128
// threads stage dequantized weight and activation tiles in workgroup memory;
// with tensor cores, warps multiply f16 fragments with nvgpu.mma.sync.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace mlir::llama;

namespace mlir::llama::loops {

/// The tiled GEMM of GPU prefills (tiledMatmul): a block of 128 threads
/// computes kTileSlots weight rows (slots) for kTileTokens tokens, over K
/// in steps of kTileK.
constexpr int64_t kTileThreads = 128;

constexpr int64_t kTileSlots = 64;

constexpr int64_t kTileTokens = 32;

constexpr int64_t kTileK = 32;

bool tiledMatmulApplies(const Kernels &kc, ArrayRef<TileRows> rows,
                        int64_t groups, int64_t k, const Activation &x) {
  int64_t m = static_cast<int64_t>(rows.size());
  return kc.gpu && kc.blockThreads == kTileThreads && (m == 1 || m == 2) &&
         groups % (kTileSlots / m) == 0 && k % kTileK == 0 && !x.xq &&
         !x.normDim && llvm::all_of(rows, [&](const TileRows &r) {
           return hasEightElementUnits(*r.w) && canVectorizeDot(*r.w, k);
         });
}

/// Row of source `r` for group `g`: g * stride + offset.
static Value tileRowOf(Emitter &e, const TileRows &r, Value g) {
  OpBuilder &b = e.b;
  Value row = r.stride == 1
                  ? g
                  : Value(arith::MulIOp::create(b, e.loc, g, e.idx(r.stride)));
  return r.offset ? Value(arith::AddIOp::create(b, e.loc, row, e.idx(r.offset)))
                  : row;
}

/// The frame of the prefill GEMMs (tiledMatmul): a block of kTileThreads
/// threads per (row tile, token tile), the row tiles' blocks each going over
/// all token tiles (the activations, read by every row tile, stay in L2;
/// each weight is read from memory once). body(g0, s0, t): the tile's first
/// group and token, the thread. Its vector loads and stores are marked with
/// the alignment their indices give (markAlignments).
static void forTileTasks(Emitter &e, int64_t rowTiles, int64_t groups,
                         Value seq,
                         function_ref<void(Value g0, Value s0, Value t)> body) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  // token tiles = ceil(seq / kTileTokens)
  Value tokTiles = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, seq, e.idx(kTileTokens - 1)),
      e.idx(kTileTokens));
  Value tasks = arith::MulIOp::create(b, loc, tokTiles, e.idx(rowTiles));
  CreatedOps created;
  OpBuilder::Listener *outer = b.getListener();
  b.setListener(&created);
  parallelBlocks(e, tasks, kTileThreads, [&](Value task, Value t) {
    Value rowTile = arith::DivUIOp::create(b, loc, task, tokTiles);
    Value s0 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, task, tokTiles),
        e.idx(kTileTokens));
    body(arith::MulIOp::create(b, loc, rowTile, e.idx(groups)), s0, t);
  });
  b.setListener(outer);
  markAlignments(created);
}

/// One of the 2 x kTileThreads units of 8 weights a block stages per K step
/// (tiledMatmul): unit u's lane l = u % 32 of warp w = u / 32 takes, with
/// one source, group (w % 2) * 32 + l of the tile, with two, source w % 2
/// of group l; elements part * 8 .. + 7 of the step, part = w / 2 (a warp
/// stages one source). `group` is the group in the tile, `source` its
/// source (0 with one), `partK` part * 8, `weights` the 8 values as f32.
struct StagedUnit {
  Value group, source, partK, weights;
};

static StagedUnit stageWeightUnit(Emitter &e, ArrayRef<TileRows> rows, Value g0,
                                  Value u, Value kc) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  Value lane = arith::RemUIOp::create(b, loc, u, e.idx(kWarp));
  Value wi = arith::DivUIOp::create(b, loc, u, e.idx(kWarp));
  Value h = arith::RemUIOp::create(b, loc, wi, e.idx(2));
  Value part = arith::DivUIOp::create(b, loc, wi, e.idx(2));
  Value partK = arith::MulIOp::create(b, loc, part, e.idx(kWarpPiece));
  Value k0 = arith::AddIOp::create(b, loc, kc, partK);
  Value unit = arith::DivUIOp::create(b, loc, k0, e.idx(kWarpPiece));
  if (rows.size() == 1) {
    Value group = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, h, e.idx(kWarp)), lane);
    Value g = arith::AddIOp::create(b, loc, g0, group);
    return {group, e.idx(0), partK,
            unitWeights(e, {rows[0].w, tileRowOf(e, rows[0], g)}, unit, k0)};
  }
  Value g = arith::AddIOp::create(b, loc, g0, lane);
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, h, e.idx(0));
  auto pick = scf::IfOp::create(
      b, loc, TypeRange{VectorType::get({kWarpPiece}, b.getF32Type())}, first,
      /*withElseRegion=*/true);
  for (int64_t j = 0; j < 2; ++j) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(j ? pick.elseBlock() : pick.thenBlock());
    scf::YieldOp::create(
        b, loc,
        unitWeights(e, {rows[j].w, tileRowOf(e, rows[j], g)}, unit, k0));
  }
  return {lane, h, partK, pick.getResult(0)};
}

static void mmaMatmul(
    Emitter &e, ArrayRef<TileRows> rows, int64_t n, int64_t k,
    const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store);

void tiledMatmul(
    Emitter &e, const Kernels &kc, ArrayRef<TileRows> rows, int64_t n,
    int64_t k, const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store) {
  if (kc.tensorCores)
    return mmaMatmul(e, rows, n, k, x, seq, store);
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t m = static_cast<int64_t>(rows.size());
  int64_t groups = kTileSlots / m; // groups per tile
  Type f32 = b.getF32Type();
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t cols) {
    return MemRefType::get({kTileK, cols}, f32, MemRefLayoutAttrInterface{},
                           space);
  };
  auto v4 = VectorType::get({4}, f32);
  Value last = arith::SubIOp::create(b, loc, seq, e.idx(1));
  forTileTasks(e, n / groups, groups, seq, [&](Value g0, Value s0, Value t) {
    Value wTile = memref::AllocaOp::create(b, loc, shared(kTileSlots));
    Value xTile = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    // The compute layout: slots ty*4 .. ty*4+3, tokens tx*4 .. tx*4+3.
    Value ty = arith::DivUIOp::create(b, loc, t, e.idx(8));
    Value tx = arith::RemUIOp::create(b, loc, t, e.idx(8));
    Value slot0 = arith::MulIOp::create(b, loc, ty, e.idx(4));
    Value tok0 = arith::MulIOp::create(b, loc, tx, e.idx(4));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v4, b.getF32FloatAttr(0)));
    auto steps = scf::ForOp::create(
        b, loc, e.idx(0), e.idx(k), e.idx(kTileK), SmallVector<Value>(4, zero),
        [&](OpBuilder &nb, Location, Value kc, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          Operation *lastStore = nullptr;
          for (int64_t i = 0; i < 2; ++i) {
            Value u = arith::AddIOp::create(b, loc, t, e.idx(kTileThreads * i));
            StagedUnit su = stageWeightUnit(e, rows, g0, u, kc);
            // Slot group * m + source.
            Value slot =
                m == 1 ? su.group
                       : Value(arith::AddIOp::create(
                             b, loc,
                             arith::MulIOp::create(b, loc, su.group, e.idx(m)),
                             su.source));
            for (int64_t j = 0; j < kWarpPiece; ++j) {
              Value kk = arith::AddIOp::create(b, loc, su.partK, e.idx(j));
              Value v = vector::ExtractOp::create(b, loc, su.weights, j);
              memref::StoreOp::create(b, loc, v, wTile, ValueRange{kk, slot});
            }
            // Activations: piece v = t + 128 i of the tile's 256: token
            // v % 32, elements (v / 32) * 4 .. +3 of this step.
            Value tok = arith::RemUIOp::create(b, loc, u, e.idx(kTileTokens));
            Value q = arith::DivUIOp::create(b, loc, u, e.idx(kTileTokens));
            Value s = arith::MinUIOp::create(
                b, loc, arith::AddIOp::create(b, loc, s0, tok), last);
            Value kq = arith::MulIOp::create(b, loc, q, e.idx(4));
            Value xv = x.load(e, s, arith::AddIOp::create(b, loc, kc, kq), 4);
            for (int64_t j = 0; j < 4; ++j) {
              Value kk = arith::AddIOp::create(b, loc, kq, e.idx(j));
              Value v = vector::ExtractOp::create(b, loc, xv, j);
              lastStore = memref::StoreOp::create(b, loc, v, xTile,
                                                  ValueRange{kk, tok});
            }
          }
          lastStore->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          auto dots = scf::ForOp::create(
              b, loc, e.idx(0), e.idx(kTileK), e.idx(1), accs,
              [&](OpBuilder &ib, Location, Value kk, ValueRange acc) {
                OpBuilder::InsertionGuard g(b);
                b.setInsertionPoint(ib.getInsertionBlock(),
                                    ib.getInsertionPoint());
                auto wLoad = vector::LoadOp::create(b, loc, v4, wTile,
                                                    ValueRange{kk, slot0});
                auto xLoad = vector::LoadOp::create(b, loc, v4, xTile,
                                                    ValueRange{kk, tok0});
                wLoad.setAlignment(16);
                xLoad.setAlignment(16);
                SmallVector<Value> next;
                for (int64_t i = 0; i < 4; ++i) {
                  Value wi = vector::BroadcastOp::create(
                      b, loc, v4, vector::ExtractOp::create(b, loc, wLoad, i));
                  next.push_back(
                      vector::FMAOp::create(b, loc, v4, wi, xLoad, acc[i]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          dots->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          scf::YieldOp::create(b, loc, dots.getResults());
        });
    // acc[i][j]: slot slot0 + i, token tok0 + j; slots slot0 + i .. + m - 1
    // are group (slot0 + i) / m.
    SmallVector<Value> groupOf;
    for (int64_t i = 0; i < 4; i += m)
      groupOf.push_back(arith::AddIOp::create(
          b, loc, g0,
          arith::DivUIOp::create(b, loc,
                                 arith::AddIOp::create(b, loc, slot0, e.idx(i)),
                                 e.idx(m))));
    for (int64_t j = 0; j < 4; ++j) {
      Value s = arith::AddIOp::create(
          b, loc, s0, arith::AddIOp::create(b, loc, tok0, e.idx(j)));
      Value valid =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, s, seq);
      scf::IfOp::create(b, loc, valid, [&](OpBuilder &nb, Location) {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        for (int64_t i = 0; i < 4; i += m) {
          SmallVector<Value> values;
          for (int64_t jw = 0; jw < m; ++jw)
            values.push_back(x.finish(
                e, s,
                vector::ExtractOp::create(b, loc, steps.getResult(i + jw), j)));
          store(s, groupOf[i / m], values);
        }
        scf::YieldOp::create(b, loc);
      });
    }
  });
}

/// Halves per row of mmaMatmul's tiles: a K step and 8 of padding, so that
/// the 8 rows a fragment load reads start in 8 different groups of 4 banks
/// (rows 80 bytes apart).
constexpr int64_t kMmaRowHalves = kTileK + 8;

/// tiledMatmul on tensor cores (kc.tensorCores; the kernel configuration's
/// tensor_cores): the same tiles and staging, but the block keeps its
/// tiles as f16 rows ([slot][k], [token][k], kMmaRowHalves apart) and warp
/// w computes slots 16w .. 16w + 15 of the tile times its 32 tokens as 4
/// nvgpu.mma.sync m16n8k16 (f16 products, f32 sums) per 16 of K. Each value
/// v is staged as hi = f16(v) and lo = f16(v - hi), and a product is
/// hi_w * hi_x + hi_w * lo_x + lo_w * hi_x (F16 weights are exact: no lo_w),
/// about 22 bits of each operand: the results stay within the f32 GEMM's
/// tolerance, where f16 activations alone moved the tiny model's logits by
/// 6.5e-3.
///
/// The fragments (PTX ISA, mma.m16n8k16 .f16; lane = 4 * group + index):
/// A (16 x 16, slots x k) register r holds row group + 8 (r % 2), columns
/// 2 index + 8 (r / 2) + {0, 1}; B (16 x 8, k x tokens) register r holds
/// token group, k = 2 index + 8 r + {0, 1}; C/D row r holds row group + 8 r,
/// tokens 2 index + {0, 1}. With two sources the 16 slots of warp w are
/// groups 8w .. 8w + 7 of source 0, then the same groups of source 1, so
/// that a lane holds both values of its group.
static void mmaMatmul(
    Emitter &e, ArrayRef<TileRows> rows, int64_t n, int64_t k,
    const Activation &x, Value seq,
    function_ref<void(Value s, Value group, ArrayRef<Value> values)> store) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t m = static_cast<int64_t>(rows.size());
  int64_t groups = kTileSlots / m; // groups per tile
  // Weights already in f16 need no low part.
  bool weightLo = !llvm::all_of(
      rows, [](const TileRows &r) { return r.w->type == GGMLType::F16; });
  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  auto space =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto shared = [&](int64_t rowsOfTile) {
    return MemRefType::get({rowsOfTile, kMmaRowHalves}, f16,
                           MemRefLayoutAttrInterface{}, space);
  };
  auto h2 = VectorType::get({2}, f16);
  auto aType = VectorType::get({4, 2}, f16);
  auto bType = VectorType::get({2, 2}, f16);
  auto cType = VectorType::get({2, 2}, f32);
  Value last = arith::SubIOp::create(b, loc, seq, e.idx(1));
  // hi and (where `withLo`) lo halves of an f32 vector.
  auto split = [&](Value v, bool withLo) -> std::pair<Value, Value> {
    auto vt = cast<VectorType>(v.getType());
    auto ht = VectorType::get(vt.getShape(), f16);
    Value hi = arith::TruncFOp::create(b, loc, ht, v);
    if (!withLo)
      return {hi, Value()};
    Value rest =
        arith::SubFOp::create(b, loc, v, arith::ExtFOp::create(b, loc, vt, hi));
    return {hi, arith::TruncFOp::create(b, loc, ht, rest)};
  };
  // A 16-byte store of 8 halves.
  auto store8 = [&](Value v, Value tile, Value row, Value col) {
    return vector::StoreOp::create(b, loc, v, tile, ValueRange{row, col},
                                   /*nontemporal=*/false, llvm::MaybeAlign(16));
  };
  forTileTasks(e, n / groups, groups, seq, [&](Value g0, Value s0, Value t) {
    Value wHi = memref::AllocaOp::create(b, loc, shared(kTileSlots));
    Value wLo =
        weightLo ? Value(memref::AllocaOp::create(b, loc, shared(kTileSlots)))
                 : Value();
    Value xHi = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    Value xLo = memref::AllocaOp::create(b, loc, shared(kTileTokens));
    Value warp = arith::DivUIOp::create(b, loc, t, e.idx(kWarp));
    Value lane = arith::RemUIOp::create(b, loc, t, e.idx(kWarp));
    Value grp = arith::DivUIOp::create(b, loc, lane, e.idx(4));
    Value idx2 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, lane, e.idx(4)), e.idx(2));
    Value rowA = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, warp, e.idx(16)), grp);
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(cType, b.getF32FloatAttr(0)));
    auto steps = scf::ForOp::create(
        b, loc, e.idx(0), e.idx(k), e.idx(kTileK),
        SmallVector<Value>(kTileTokens / 8, zero),
        [&](OpBuilder &nb, Location, Value kc, ValueRange accs) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          for (int64_t i = 0; i < 2; ++i) {
            Value u = arith::AddIOp::create(b, loc, t, e.idx(kTileThreads * i));
            StagedUnit su = stageWeightUnit(e, rows, g0, u, kc);
            // Row (group / 8) * 16 + group % 8 + 8 * source with two
            // sources, the group with one.
            Value row = su.group;
            if (m == 2)
              row = arith::AddIOp::create(
                  b, loc,
                  arith::AddIOp::create(
                      b, loc,
                      arith::MulIOp::create(
                          b, loc,
                          arith::DivUIOp::create(b, loc, su.group, e.idx(8)),
                          e.idx(16)),
                      arith::RemUIOp::create(b, loc, su.group, e.idx(8))),
                  arith::MulIOp::create(b, loc, su.source, e.idx(8)));
            auto [hi, lo] = split(su.weights, weightLo);
            store8(hi, wHi, row, su.partK);
            if (weightLo)
              store8(lo, wLo, row, su.partK);
          }
          // Activations: thread t stages token t % 32, elements
          // (t / 32) * 8 .. + 7 of this step.
          Value tok = arith::RemUIOp::create(b, loc, t, e.idx(kTileTokens));
          Value q = arith::MulIOp::create(
              b, loc, arith::DivUIOp::create(b, loc, t, e.idx(kTileTokens)),
              e.idx(8));
          Value s = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, s0, tok), last);
          auto [xh, xl] =
              split(x.load(e, s, arith::AddIOp::create(b, loc, kc, q), 8),
                    /*withLo=*/true);
          store8(xh, xHi, tok, q);
          store8(xl, xLo, tok, q)
              ->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          // A fragment register: the 2 halves at (row0 + dr, col0 + dc).
          auto pair = [&](Value tile, Value row0, Value col0, int64_t dr,
                          int64_t dc) {
            auto l = vector::LoadOp::create(
                b, loc, h2, tile,
                ValueRange{arith::AddIOp::create(b, loc, row0, e.idx(dr)),
                           arith::AddIOp::create(b, loc, col0, e.idx(dc))});
            l.setAlignment(4);
            return l.getResult();
          };
          SmallVector<Value> acc(accs.begin(), accs.end());
          Operation *lastMma = nullptr;
          auto mma = [&](Value a, Value bf, Value c) {
            auto op = nvgpu::MmaSyncOp::create(b, loc, a, bf, c,
                                               ArrayRef<int64_t>{16, 8, 16});
            lastMma = op;
            return op.getResult();
          };
          // The 8 (4) halves of an A (B) fragment from its registers.
          auto assemble = [&](VectorType type, ArrayRef<Value> regs) {
            SmallVector<Value> halves;
            for (Value r : regs)
              for (int64_t j = 0; j < 2; ++j)
                halves.push_back(vector::ExtractOp::create(b, loc, r, j));
            return vector::FromElementsOp::create(b, loc, type, halves)
                .getResult();
          };
          for (int64_t kk = 0; kk < kTileK; kk += 16) {
            Value colA = arith::AddIOp::create(b, loc, idx2, e.idx(kk));
            auto aOf = [&](Value tile) {
              SmallVector<Value> regs;
              for (int64_t r = 0; r < 4; ++r)
                regs.push_back(
                    pair(tile, rowA, colA, 8 * (r % 2), 8 * (r / 2)));
              return assemble(aType, regs);
            };
            Value aHi = aOf(wHi);
            Value aLo = weightLo ? aOf(wLo) : Value();
            for (int64_t j = 0; j < kTileTokens / 8; ++j) {
              Value tokB = arith::AddIOp::create(b, loc, grp, e.idx(8 * j));
              auto bOf = [&](Value tile) {
                return assemble(bType, {pair(tile, tokB, colA, 0, 0),
                                        pair(tile, tokB, colA, 0, 8)});
              };
              Value bHi = bOf(xHi), bLo = bOf(xLo);
              acc[j] = mma(aHi, bLo, acc[j]);
              if (weightLo)
                acc[j] = mma(aLo, bHi, acc[j]);
              acc[j] = mma(aHi, bHi, acc[j]);
            }
          }
          lastMma->setAttr(kBarrierAfterAttrName, b.getUnitAttr());
          scf::YieldOp::create(b, loc, acc);
        });
    // acc[j][r][v]: tile row rowA + 8 r, token s0 + 8 j + idx2 + v.
    Value groupA =
        m == 1
            ? rowA
            : Value(arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, warp, e.idx(8)), grp));
    groupA = arith::AddIOp::create(b, loc, g0, groupA);
    for (int64_t j = 0; j < kTileTokens / 8; ++j)
      for (int64_t v = 0; v < 2; ++v) {
        Value s = arith::AddIOp::create(
            b, loc, s0, arith::AddIOp::create(b, loc, idx2, e.idx(8 * j + v)));
        Value valid =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, s, seq);
        scf::IfOp::create(b, loc, valid, [&](OpBuilder &nb, Location) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          auto value = [&](int64_t r) {
            return x.finish(e, s,
                            vector::ExtractOp::create(b, loc,
                                                      steps.getResult(j),
                                                      ArrayRef<int64_t>{r, v}));
          };
          if (m == 2) {
            store(s, groupA, {value(0), value(1)});
          } else {
            store(s, groupA, {value(0)});
            store(s, arith::AddIOp::create(b, loc, groupA, e.idx(8)),
                  {value(1)});
          }
          scf::YieldOp::create(b, loc);
        });
      }
  });
}

} // namespace mlir::llama::loops
