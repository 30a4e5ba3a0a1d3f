//===- KernelPasses.td - Passes of the kernel ops ----------*- tablegen -*-===//
//
// The passes that take the kernel ops llama-lower-to-loops writes
// (llama.kernel_matmul, llama.kernel_attention, llama.int8_dot,
// llama.dot4_acc) to their tasks and instructions, included by Passes.td:
// tiling into parallel tasks, flat parallel loops, the kernels on buffers,
// and the integer dot instructions.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_KERNELPASSES_TD
#define LLAMA_MLIR_TRANSFORMS_KERNELPASSES_TD

include "mlir/Pass/PassBase.td"

def LlamaTileKernelsPass : Pass<"llama-tile-kernels"> {
  let summary = "Tile configured kernel ops into scf.forall over their "
                "parallel tasks";
  let description = [{
    The configured kernel ops on tensors are tiled with the upstream
    `scf::tileUsingSCF`, loops of type `scf.forall` (normalized: from 0 by
    1), so each iteration is one parallel task:
    * `llama.kernel_matmul` by its configuration's `distribute`
      ([tokens, rows], e.g. `[0, 32]`: two packed tiles per task), else by
      its row step: tile sizes `[0, step]` (all tokens; `step` = the
      configuration's `tile_rows` for packed tiles, 1 row for row kernels,
      2 for their RoPE pairs), a one-dimensional forall over the row
      tiles;
    * `llama.kernel_attention` by `[1, 1]`: a two-dimensional forall over
      (tokens, KV heads), each iteration one token (in outside-in order
      where the op has `outside_in`) and the query heads of one KV head.
    * any other TilingInterface op whose `llama.kernel_config` has
      `distribute` (the structured ops of `llama-lower-to-loops`: a
      prefill's RMSNorm scales, normalized rows and embedding rows) by
      those sizes, with the upstream tile-and-fuse
      (`scf::tileConsumerAndFuseProducersUsingSCF`): each structured
      producer that its own configuration does not distribute (the
      `linalg.fill` and sum of squares ahead of the scales) is computed in
      each iteration,
      for its slice, and erased where nothing else reads it whole. A
      `linalg.fill` on tensors with several uses (CSE merges the identical
      fills of two norms) is first copied once per use, so that each
      consumer takes its own.
    Each iteration holds `tensor.extract_slice`s of the destination and the
    per-token operands, subviews of the weights' rows or of the cache
    layer's columns, the op on them and a `tensor.parallel_insert_slice` of
    its result; the op's configuration is kept on the tiled op.

    An op that cannot be tiled that way (rows not a static multiple of the
    step) is an error. Ops already inside an `scf.forall` or on buffers are
    left alone.

    Output IR: the input with each such op replaced by its `scf.forall`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def LlamaVectorizeStructuredPass : Pass<"llama-vectorize-structured"> {
  let summary = "Tile the structured ops configured with vector_sizes to "
                "those sizes and vectorize each tile with the upstream "
                "linalg vectorizer";
  let description = [{
    Each `linalg` op on tensors whose `llama.kernel_config` has
    `vector_sizes` (on CPUs, the RMSNorm scales, normalized rows and RoPE
    rotation tables of `llama-lower-to-loops`) is tiled with the upstream
    `scf::tileUsingSCF` into `scf.for` loops, first its parallel loops to
    their sizes, then its reduction loops with the partial-reduction
    strategy: one partial sum per vector lane, carried through the loop,
    and a final `linalg.reduce` of the lanes after it. A loop whose static
    extent equals its size is not tiled. Each tile, the partial sums'
    `linalg.fill` and the final reduction, all of static shapes now, are
    vectorized with `linalg::vectorize` (transfer reads and writes,
    element-wise vector arithmetic, `vector.multi_reduction`), the vector
    transfers of the partial sums are hoisted out of their loop (which then
    carries the vectors), and the unit dimensions of the vectors are
    dropped, so that a tile is one-dimensional vector code:

        %ss = linalg.generic {iterator_types = ["parallel", "reduction"]}
                ins(%x : tensor<1x2048xf32>) outs(%z : tensor<1xf32>)
                {llama.kernel_config = #llama.kernel_config<..., vector_sizes = [1, 16]>}
      becomes
        %p = scf.for %k = %c0 to %c2048 step %c16 iter_args(%acc = %zeros)
               -> (vector<16xf32>) {
          %v = vector.transfer_read %x[%c0, %k] ... : tensor<1x2048xf32>, vector<16xf32>
          %m = arith.mulf %v, %v : vector<16xf32>
          scf.yield (arith.addf %acc, %m)
        }
        %s = vector.multi_reduction <add>, %p, %z0 [0] : vector<16xf32> to f32

    Lane j of the partial sums adds the elements j, j + 16, ... in order,
    and the lanes are added last: the same for any thread count.

    A size that does not divide its loop's static extent, a size other than
    1 along a dynamic extent (run it after `llama-tile-kernels`, which
    makes a prefill's token loop a task's single token), an op on buffers
    or one the vectorizer does not take (a body that reads memory) is an
    error. Ops without `vector_sizes` are left alone.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaFlattenParallelLoopsPass : Pass<"llama-flatten-parallel-loops"> {
  let summary = "Collapse every multi-dimensional scf.parallel into one "
                "dimension";
  let description = [{
    An outermost `scf.parallel` over several dimensions (on CPUs the
    tiles of `llama.kernel_attention`: tokens x KV heads; on GPUs also the
    residual adds that `convert-linalg-to-parallel-loops` gives: tokens x
    features) becomes a one-dimensional loop over the product of the trip counts,
    the indices recovered by division and remainder:

        scf.parallel (%s, %d) = (%c0, %c0) to (%n, %c4096) step (%c1, %c1)
      becomes
        scf.parallel (%i) = (%c0) to (%n * 4096) step (%c1)
          // %s = %i / 4096, %d = %i % 4096

    The CPU thread pool (`llama-outline-parallel-loops`) takes
    one-dimensional loops, and splits their iterations into contiguous
    ranges, the first dimension the slowest; the GPU pipeline tiles
    parallel loops by the block size along their first dimension, so that
    with one token (decode) an unflattened tokens x features loop would use
    one thread per block. One-dimensional loops and loops nested in another
    `scf.parallel` are left alone.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def LlamaLowerKernelAttentionPass : Pass<"llama-lower-kernel-attention"> {
  let summary = "Write each llama.kernel_attention on buffers as its online "
                "softmax";
  let description = [{
    Runs after bufferization. Each `llama.kernel_attention` whose `init` is
    a buffer becomes, for each of its tokens s (in outside-in order with
    `outside_in`) and each of its KV heads g, the kernel of one task: the
    kv_mul query rows of the heads sharing g loaded as
    `vector<head_dim x f32>`; cache row 0 starts each head's state (m = its
    score, l = 1, o = V[0]); then, with the configuration's `kv_block`
    B > 1, an `scf.for`
    over the whole blocks of B rows after it: a loop over the block's rows
    loads each K row once (`arith.extf` from an f16 cache) and stores every
    head's score x = scale * sum(q * K[t]) (`vector.reduction`) into a
    [kv_mul, B] `memref.alloca` (64-byte aligned, made in the task, which
    `llama-hoist-loop-allocas` later moves to its function's entry); per
    head the B scores as one vector:
    m' = max(m, max(x)), c = exp(m - m'), p = exp(x - m') (one vector exp,
    stored back), l' = l c + sum(p), o' = o c; a loop over the block's
    rows loads each V row once and adds p_t V[t] to every head's o' (FMA);
    finally an `scf.for` over the rows left, one at a time, carrying the
    same state: m' = max(m, x), l' = l exp(m - m') + exp(x - m'),
    o' = fma(exp(x - m'), V[t], o exp(m - m')). The output is
    `init[s, h, :] = o * (1 / l)`. A tile of one token and one KV head
    (what `llama-tile-kernels` gives) has no loops around its task. Ops on
    tensors are an error (bufferize first), as are rows of head_dim that
    are not contiguous.

    Output IR: `scf`, `memref`, `vector`, `arith` and `math` ops.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaLowerKernelMatmulPass : Pass<"llama-lower-kernel-matmul"> {
  let summary = "Write each llama.kernel_matmul on buffers as its packed "
                "row-tile or row kernel";
  let description = [{
    Runs after bufferization. Each `llama.kernel_matmul` whose `init` is a
    buffer becomes its kernel, step by step over the rows of `init`:
    * `tile_rows = 16`: for each 16 rows the packed row-tile kernel of
      `llama-lower-to-loops` (PackedRowTiles.h, docs/Tiles.md): the rows'
      tile read in place (`layout = rows16`) or decoded into stack buffers
      (`memref.alloca`), then every token multiplied with it,
      `token_block` tokens at a time, by `llama.dot4_acc` of the kind the
      configuration's `int_dot` names (AMX tiles with `dot = amx`; f32
      FMAs for float tiles), the results as 16-lane vectors;
    * `tile_rows = 0`: for each row (a RoPE pair of rows) the row kernel
      of `llama-lower-to-loops` (RowDots.cpp): the row's dot products with
      the tokens, reduced along K block by block in the GGUF layout
      (vectorized per the configuration's `dot`, `llama.int8_dot` of its
      `int_dot` for the weights that have integer dots), `token_block`
      tokens per block of a prefill, the rest one by one, as f32 scalars.
    The results (plus `init` with `accumulate`; with `epilogue = swiglu`,
    `silu(gate) * up`; with `epilogue = rope`, rotated by the rotation
    table's columns: `y * cos + swap(y) * sin`) are stored into `init`.
    Ops on tensors are an error (bufferize first).

    Output IR: `scf`, `memref`, `vector`, `arith`, `math`, `llama.dot4_acc`,
    `llama.int8_dot` (and `amx`) ops.
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaLowerInt8DotPass : Pass<"llama-lower-int8-dot"> {
  let summary = "Lower llama.int8_dot and llama.dot4_acc to the target's "
                "integer dot products";
  let description = [{
    Replaces every `llama.int8_dot` by the instructions its `kind` names:
    `avx2`: `vpsignb` (|w|, x with w's sign), `vpmaddubsw`, `vpmaddwd` with
    ones; `avx512vnni` and `avxvnni`: `vpsignb` and one 256-bit `vpdpbusd`
    (`llvm.x86.avx512.vpdpbusd.256`, which LLVM encodes as EVEX or VEX as
    the target has AVX512-VNNI or AVX-VNNI); `neon_dotprod`: two
    `sdot` on the 16-byte halves; `generic`: `arith.extsi` to i16, `muli`,
    `extsi` to i32, and three adds of shuffles that sum each group of 4
    consecutive products (any target; LLVM picks the instructions). All
    five give the same exact int32 lanes (lane j: elements 4j..4j+3).
    With `lhs_nonneg` (the K-quants' unsigned quants) the x86 forms skip
    both `vpsignb`.
    Each `llama.dot4_acc` (the packed row-tile kernels' step) becomes one
    `vpdpbusd` of its width (`avx512vnni`: `llvm.x86.avx512.vpdpbusd.128`,
    `.256` or `.512`); for `avxvnni` one `.256` (or `.128`) per 256-bit
    part; for `avx2`, on each 256-bit part (or the one
    128-bit part), `vpmaddubsw`, `vpmaddwd` with ones and an add onto the
    accumulator (with `lhs_small`; without, that twice, for `lhs & 0x7f`
    and `lhs & 0x80`, so that no 16-bit pair sum saturates), the parts
    joined with `vector.insert_strided_slice`; a chain of `avx2` steps
    with the same `lhs_max`, each the only use of the previous one's
    result as its accumulator, in runs of at most 32767 / (256 x lhs_max)
    steps (8 for lhs_max = 15, 4 for 31, 2 for 63): per part, the
    run's `vpmaddubsw` results added in 16 bits (`arith.addi` on
    vector<16xi16>), one `vpmaddwd` with ones and one add onto the run's
    accumulator; for `neon_dotprod` one
    `llvm.aarch64.neon.sdot.v4i32.v16i8` per 4 lanes, joined likewise; for
    `generic`
    `arith.extui`/`extsi` to i32, `muli` and four adds of strided shuffles
    onto the accumulator.
    The target forms are `llvm.call_intrinsic` ops, which have no declared
    memory effects: the pipeline runs this pass after bufferization and
    buffer deallocation.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // LLAMA_MLIR_TRANSFORMS_KERNELPASSES_TD
