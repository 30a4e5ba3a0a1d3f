//===- PlanMemory.cpp - Intermediates in one static arena -------*- C++ -*-===//
//
// Implements the `llama-plan-memory` pass (see Passes.td): the entry
// points' intermediate buffers become views of one arena whose offsets are
// planned at compile time from the buffers' live intervals.
//
//===----------------------------------------------------------------------===//

#include "llama-mlir/Dialect/Llama/IR/Llama.h"
#include "llama-mlir/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace mlir::llama {
#define GEN_PASS_DEF_LLAMAPLANMEMORYPASS
#include "llama-mlir/Transforms/Passes.h.inc"
} // namespace mlir::llama

using namespace mlir;

namespace {

constexpr int64_t kAlign = 64;
/// A function whose plan would need more is left alone: the arena is a
/// static global, and programs use the small code model (under 2 GiB of
/// code and data).
constexpr int64_t kMaxArenaBytes = int64_t(1) << 30;
constexpr StringLiteral kArenaName = "__llama_arena";

int64_t alignUp(int64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }

/// One planned buffer: its alloc, its deallocs, its live interval (indices
/// of top-level ops, inclusive) and its size at the bound.
struct Buffer {
  memref::AllocOp alloc;
  SmallVector<memref::DeallocOp> deallocs;
  int64_t first = 0, last = 0;
  int64_t bytes = 0;
  int64_t offset = -1;
};

/// Bytes of `type` with every dynamic dimension at `bound`; -1 when a
/// dynamic dimension has no bound, the element type has no byte size, or
/// the size overflows.
int64_t boundedBytes(MemRefType type, int64_t bound) {
  Type elt = type.getElementType();
  if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() % 8 != 0)
    return -1;
  int64_t bytes = elt.getIntOrFloatBitWidth() / 8;
  for (int64_t d : type.getShape()) {
    int64_t n = ShapedType::isDynamic(d) ? bound : d;
    if (n <= 0 || bytes > (int64_t(1) << 48) / n)
      return -1;
    bytes *= n;
  }
  return bytes;
}

/// The indices of the first and last top-level ops of `fn` that call
/// `callee`.
std::pair<int64_t, int64_t> callSpan(func::FuncOp fn, Operation *callee) {
  int64_t i = 0, first = -1, last = -1;
  auto name = cast<SymbolOpInterface>(callee).getNameAttr();
  for (Operation &op : fn.getBody().front()) {
    if (auto call = dyn_cast<func::CallOp>(&op);
        call && call.getCalleeAttr().getAttr() == name) {
      if (first < 0)
        first = i;
      last = i;
    }
    ++i;
  }
  return {first, last};
}

/// The top-level op of `block` that holds `op` (itself or an ancestor).
Operation *topLevel(Operation *op, Block &block) {
  while (op && op->getBlock() != &block)
    op = op->getParentOp();
  return op;
}

/// Whether `call` calls a function of the module with a body that returns no
/// memref: one that cannot keep a buffer it is passed (the IR has no way to
/// store a memref), so that the call is a use like any other.
bool callKeepsNothing(CallOpInterface call) {
  auto callee = dyn_cast_if_present<func::FuncOp>(call.resolveCallable());
  return callee && !callee.isExternal() &&
         llvm::none_of(callee.getResultTypes(),
                       [](Type t) { return isa<BaseMemRefType>(t); });
}

/// The last top-level op (by `index`) that uses the buffer of `root` or a
/// memref an op derives from it (views, reshapes, casts, loop results);
/// nullopt if the buffer escapes: returned, passed to a call that may keep
/// it, yielded out of a region (the region's op results would alias it),
/// stored, or freed other than in `block`.
std::optional<int64_t> lastUse(Value root, Block &block,
                               const DenseMap<Operation *, int64_t> &index,
                               SmallVectorImpl<memref::DeallocOp> &deallocs) {
  int64_t last = -1;
  SmallVector<Value> work{root};
  llvm::SmallPtrSet<Value, 8> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (auto d = dyn_cast<memref::DeallocOp>(user)) {
        if (v != root || d->getBlock() != &block)
          return std::nullopt;
        deallocs.push_back(d);
        continue;
      }
      if (auto call = dyn_cast<CallOpInterface>(user);
          call && !callKeepsNothing(call))
        return std::nullopt;
      if (isa<func::ReturnOp, RegionBranchTerminatorOpInterface>(user))
        return std::nullopt;
      if (auto store = dyn_cast<memref::StoreOp>(user))
        if (store.getValueToStore() == v)
          return std::nullopt;
      Operation *top = topLevel(user, block);
      if (!top)
        return std::nullopt;
      last = std::max(last, index.lookup(top));
      // Views, reshapes and casts alias the buffer: their uses count too.
      for (Value r : user->getResults())
        if (isa<BaseMemRefType>(r.getType()))
          work.push_back(r);
    }
  }
  return last;
}

/// Lowest aligned offset for `b` that overlaps no placed buffer live at the
/// same time.
int64_t placeBuffer(const Buffer &b, ArrayRef<const Buffer *> placed) {
  SmallVector<std::pair<int64_t, int64_t>> taken;
  for (const Buffer *p : placed)
    if (p->first <= b.last && b.first <= p->last)
      taken.push_back({p->offset, p->offset + p->bytes});
  llvm::sort(taken);
  int64_t offset = 0;
  for (auto [lo, hi] : taken) {
    if (offset + b.bytes <= lo)
      break;
    offset = std::max(offset, alignUp(hi));
  }
  return offset;
}

struct LlamaPlanMemoryPass
    : llama::impl::LlamaPlanMemoryPassBase<LlamaPlanMemoryPass> {
  using LlamaPlanMemoryPassBase::LlamaPlanMemoryPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    int64_t bound = maxDynamicSize;
    if (bound <= 0)
      if (auto hp = module->getAttrOfType<llama::HParamsAttr>("llama.hparams"))
        bound = hp.getNCtx();

    if (module.lookupSymbol(kArenaName)) {
      module.emitError() << "llama-plan-memory: the module already has a "
                            "symbol '"
                         << kArenaName << "'";
      return signalPassFailure();
    }

    struct Plan {
      func::FuncOp fn;
      std::vector<Buffer> buffers;
      int64_t arena = 0;
      /// Where the function's part of the arena starts.
      int64_t base = 0;
    };
    // Entry points (public, never called) share the arena from 0: they never
    // run at once. A private function that only entry points call (a layer
    // function) gets its part of the arena placed like one more buffer of
    // its caller, live from its first call to its last: the caller's buffers
    // live across the calls go elsewhere, the others may share its bytes.
    // One that several entry points call gets the part after all of theirs.
    SmallVector<func::FuncOp> entries;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal() && fn.getBody().hasOneBlock() && !fn.isPrivate() &&
          SymbolTable::symbolKnownUseEmpty(fn, module))
        entries.push_back(fn);
    // Callee -> its calls' caller (null: several).
    llvm::MapVector<Operation *, func::FuncOp> callees;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal() || !fn.getBody().hasOneBlock() || !fn.isPrivate())
        continue;
      std::optional<SymbolTable::UseRange> uses = fn.getSymbolUses(module);
      if (!uses || uses->empty())
        continue;
      func::FuncOp only;
      bool ok = true, several = false;
      for (const SymbolTable::SymbolUse &u : *uses) {
        auto caller = u.getUser()->getParentOfType<func::FuncOp>();
        ok &= isa<func::CallOp>(u.getUser()) &&
              u.getUser()->getParentOp() == caller &&
              llvm::is_contained(entries, caller);
        several |= only && only != caller;
        only = caller;
      }
      if (ok)
        callees.insert({fn, several ? func::FuncOp() : only});
    }

    // Largest first, each at the lowest offset free while it is live.
    auto place = [](std::vector<Buffer> &buffers) {
      std::vector<Buffer *> order;
      for (Buffer &b : buffers)
        order.push_back(&b);
      std::stable_sort(order.begin(), order.end(), [](Buffer *a, Buffer *b) {
        return a->bytes > b->bytes;
      });
      SmallVector<const Buffer *> placed;
      int64_t arena = 0;
      for (Buffer *b : order) {
        b->offset = placeBuffer(*b, placed);
        placed.push_back(b);
        arena = std::max(arena, alignUp(b->offset + b->bytes));
      }
      return arena;
    };
    DenseMap<Operation *, Plan> calleePlans;
    for (auto &[callee, caller] : callees) {
      Plan plan{cast<func::FuncOp>(callee),
                collect(cast<func::FuncOp>(callee), bound)};
      plan.arena = place(plan.buffers);
      if (!plan.buffers.empty())
        calleePlans[callee] = std::move(plan);
    }
    std::vector<Plan> plans, tooLarge;
    int64_t arenaBytes = 0;
    for (func::FuncOp fn : entries) {
      Plan plan{fn, collect(fn, bound)};
      // Its callees' parts, as buffers without an alloc after its own.
      size_t numOwn = plan.buffers.size();
      SmallVector<Operation *> own;
      for (auto &[callee, caller] : callees)
        if (caller == fn && calleePlans.count(callee)) {
          Buffer part;
          std::tie(part.first, part.last) = callSpan(fn, callee);
          part.bytes = calleePlans[callee].arena;
          plan.buffers.push_back(part);
          own.push_back(callee);
        }
      if (plan.buffers.empty())
        continue;
      plan.arena = place(plan.buffers);
      bool fits = plan.arena <= kMaxArenaBytes;
      for (auto [k, callee] : llvm::enumerate(own)) {
        Plan &cp = calleePlans[callee];
        cp.base = plan.buffers[numOwn + k].offset;
        (fits ? plans : tooLarge).push_back(std::move(cp));
        calleePlans.erase(callee);
      }
      plan.buffers.resize(numOwn);
      if (!fits) {
        tooLarge.push_back(std::move(plan));
        continue;
      }
      arenaBytes = std::max(arenaBytes, plan.arena);
      plans.push_back(std::move(plan));
    }
    // Callees of several entry points: after every entry point's part.
    int64_t shared = alignUp(arenaBytes);
    for (auto &[callee, caller] : callees) {
      auto it = calleePlans.find(callee);
      if (caller || it == calleePlans.end())
        continue;
      Plan plan = std::move(it->second);
      plan.base = shared;
      if (shared + plan.arena > kMaxArenaBytes) {
        tooLarge.push_back(std::move(plan));
        continue;
      }
      arenaBytes = std::max(arenaBytes, shared + plan.arena);
      plans.push_back(std::move(plan));
    }
    if (plans.empty() && tooLarge.empty())
      return;

    OpBuilder b(module.getBodyRegion());
    auto arenaType = MemRefType::get({arenaBytes}, b.getI8Type());
    if (!plans.empty())
      memref::GlobalOp::create(
          b, module.getLoc(), kArenaName, b.getStringAttr("private"), arenaType,
          b.getUnitAttr(), /*constant=*/false, b.getI64IntegerAttr(kAlign));

    SmallVector<NamedAttribute> summary;
    auto describe = [&](Plan &plan, bool planned) {
      int64_t sum = 0;
      for (const Buffer &buf : plan.buffers)
        sum += buf.bytes;
      summary.push_back(b.getNamedAttr(
          plan.fn.getSymName(),
          b.getDictionaryAttr(
              {b.getNamedAttr("buffers",
                              b.getI64IntegerAttr(plan.buffers.size())),
               b.getNamedAttr("bytes", b.getI64IntegerAttr(sum)),
               b.getNamedAttr("arena", b.getI64IntegerAttr(plan.arena)),
               b.getNamedAttr("planned", b.getBoolAttr(planned))})));
    };
    for (Plan &plan : plans) {
      rewrite(plan.fn, plan.buffers, plan.base, arenaType, bound);
      describe(plan, true);
    }
    for (Plan &plan : tooLarge)
      describe(plan, false);
    summary.push_back(
        b.getNamedAttr("arena_bytes", b.getI64IntegerAttr(arenaBytes)));
    module->setAttr("llama.memory_plan", b.getDictionaryAttr(summary));
  }

  /// The plannable allocs of `fn` with their live intervals and sizes.
  static std::vector<Buffer> collect(func::FuncOp fn, int64_t bound) {
    Block &block = fn.getBody().front();
    DenseMap<Operation *, int64_t> index;
    int64_t i = 0;
    for (Operation &op : block)
      index[&op] = i++;
    std::vector<Buffer> buffers;
    for (Operation &op : block) {
      auto alloc = dyn_cast<memref::AllocOp>(&op);
      if (!alloc || !alloc.getType().getLayout().isIdentity() ||
          alloc.getType().getMemorySpace() ||
          alloc.getAlignment().value_or(0) > kAlign)
        continue;
      Buffer buf;
      buf.alloc = alloc;
      buf.bytes = boundedBytes(alloc.getType(), bound);
      if (buf.bytes <= 0)
        continue;
      std::optional<int64_t> last =
          lastUse(alloc.getResult(), block, index, buf.deallocs);
      if (!last || buf.deallocs.empty())
        continue;
      buf.first = index[&op];
      buf.last = std::max(*last, buf.first);
      buffers.push_back(std::move(buf));
    }
    return buffers;
  }

  /// Replaces the allocs by views of the arena and erases their deallocs;
  /// asserts at the function's start that the dynamic sizes are in bounds.
  static void rewrite(func::FuncOp fn, std::vector<Buffer> &buffers,
                      int64_t base, MemRefType arenaType, int64_t bound) {
    Block &block = fn.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&block);
    Location loc = fn.getLoc();
    Value arena =
        memref::GetGlobalOp::create(b, loc, arenaType, kArenaName).getResult();
    llvm::SetVector<Value> dynamicSizes;
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset = arith::ConstantIndexOp::create(b, loc, base + buf.offset);
      auto view =
          memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(),
                                 arena, offset, buf.alloc.getDynamicSizes());
      dynamicSizes.insert(buf.alloc.getDynamicSizes().begin(),
                          buf.alloc.getDynamicSizes().end());
      buf.alloc.getResult().replaceAllUsesWith(view.getResult());
      buf.alloc.erase();
      for (memref::DeallocOp d : buf.deallocs)
        d.erase();
    }
    // Each dynamic size is checked where the first view using it is made
    // (after its definition).
    for (Value size : dynamicSizes) {
      Operation *firstView = nullptr;
      for (Operation *user : size.getUsers())
        if (isa<memref::ViewOp>(user) && user->getBlock() == &block &&
            (!firstView || user->isBeforeInBlock(firstView)))
          firstView = user;
      b.setInsertionPoint(firstView);
      Value max = arith::ConstantIndexOp::create(b, loc, bound);
      Value ok =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, size, max);
      cf::AssertOp::create(
          b, loc, ok,
          "llama-plan-memory: a dynamic size exceeds the planned bound " +
              std::to_string(bound));
    }
  }
};

} // namespace

void mlir::llama::printMemoryPlan(ModuleOp module, llvm::raw_ostream &os) {
  auto plan = module->getAttrOfType<DictionaryAttr>("llama.memory_plan");
  if (!plan)
    return;
  auto size = [](int64_t bytes) {
    char buf[32];
    if (bytes < (1 << 20))
      std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
    else
      std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / 1048576.0);
    return std::string(buf);
  };
  auto get = [](DictionaryAttr d, StringRef key) {
    auto v = d.getAs<IntegerAttr>(key);
    return v ? v.getInt() : 0;
  };
  int64_t ctxTokens = 0;
  if (auto hp = module->getAttrOfType<llama::HParamsAttr>("llama.hparams"))
    ctxTokens = hp.getNCtx();
  os << "memory plan (intermediates, sized for " << ctxTokens << " tokens):\n";
  for (NamedAttribute fn : plan) {
    auto d = dyn_cast<DictionaryAttr>(fn.getValue());
    if (!d)
      continue;
    os << "  " << fn.getName().getValue() << ": " << get(d, "buffers")
       << " buffers, " << size(get(d, "bytes")) << " if allocated separately, ";
    if (d.get("planned") == BoolAttr::get(module.getContext(), true))
      os << size(get(d, "arena")) << " planned\n";
    else
      os << "not planned: its arena would take " << size(get(d, "arena"))
         << ", over the " << (kMaxArenaBytes >> 30)
         << " GiB a static arena may have (one allocation per buffer)\n";
  }
  os << "  arena: " << size(get(plan, "arena_bytes"))
     << " (peak; allocated once, reused by every call)\n";
}
