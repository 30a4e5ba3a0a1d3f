//===- GPUPasses.td - The GPU pipeline's passes ------------*- tablegen -*-===//
//
// The passes only the NVPTX pipeline runs (docs/GPU.md), included by
// Passes.td: kernels merged into one module, host and device buffers,
// device math, workgroup buffers and launch bounds.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TRANSFORMS_GPUPASSES_TD
#define LLAMA_MLIR_TRANSFORMS_GPUPASSES_TD

include "mlir/Pass/PassBase.td"

def LlamaMergeGPUModulesPass
    : Pass<"llama-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Move every kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives each kernel a `gpu.module` of its own. This
    pass moves the contents of all of them into one `gpu.module` (named by
    the `module-name` option), renaming a symbol that clashes with one
    already merged together with its uses in its own module, and points every
    `gpu.launch_func` at the kernel's new place, so that the model's device
    code is one PTX module: `llama-compile --emit=ptx` writes it as one
    file and the program loads it once. Runs before `nvvm-attach-target`;
    a module with targets is an error.

    With `dedupe-kernels`, kernels (`gpu.func ... kernel`) that are the same
    op but for their names become one: the first stays and the launches of
    the others point to it. Every layer's kernels are the same code on
    other views of the weights, so a 32-layer model's PTX shrinks about 30
    times (so do NVPTX code generation and the driver's JIT). Kernels that
    call helpers of different names are not merged. Before comparing, a
    kernel's memref views (strided layout) with a static offset that it only loads,
    stores or asks the sizes of take their offset at run time (`strided<...,
    offset: ?>`; each layer's view of the KV cache has its own offset), and
    launches passing the static type cast it (`memref.cast`).
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", "\"llama_kernels\"",
           "Name of the merged gpu.module">,
    Option<"dedupeKernels", "dedupe-kernels", "bool", /*default=*/"false",
           "Keep one kernel of each set of identical ones">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def LlamaGPUHostBuffersPass
    : Pass<"llama-gpu-host-buffers", "::mlir::ModuleOp"> {
  let summary = "Allocate the host code's buffers in GPU-visible memory";
  let description = [{
    In the `func.func`s of a GPU module (the host side), every
    `memref.alloc` becomes a `gpu.alloc` (`gpu-to-llvm` calls the runtime's
    `mgpuMemAlloc`) and every `memref.dealloc` a call of
    `llama_rt_gpu_free(i64 aligned pointer)` (declared when needed). A
    buffer that host code touches becomes `gpu.alloc host_shared` (CUDA
    managed memory: the kernels and the host code between launches read and
    write it). One that only kernels get (through views), apart from its
    dealloc and whole copies out of it with contiguous layouts on both
    sides, becomes device memory: `gpu.alloc async [%t]` after a
    `gpu.wait async` (`gpu-to-llvm` lowers the synchronous form only for
    `host_shared`; no one waits for the token), and each of those copies a
    call of `llama_rt_gpu_download(i64 dst, i64 src, i64 bytes)`, a
    device-to-host copy (the logits). Kernels (`gpu.module`) are left
    alone. Allocations are aligned to 256 bytes; an alloc asking for more,
    or with symbol operands, is an error.

    Before a host op that loads, stores or copies a buffer (following views
    to the buffer they view) which a `gpu.launch_func` since the last wait
    passed to a kernel, a call of `llama_rt_gpu_sync()` is inserted: the
    runtime may run launches asynchronously (`LLAMA_MLIR_GPU_ASYNC=1`), and
    then the final copy of the logits, or a host loop, would read a buffer
    a kernel is still writing. A host loop that launches kernels is looked
    into, its launches counted as pending at its start (the previous
    iteration's). Buffers no kernel uses (the offsets table) never wait.

    The memref arguments of the entry points (functions with
    `llvm.emit_c_interface`) that the host code of every entry point only
    hands to kernels, directly or through views (a `gpu.launch_func`, a
    `memref.dim`, or a view-like op whose results are used that way; any
    other use, such as a load, copy, call or loop-carried value, is a host
    use), are recorded on the module as
    `llama.gpu_device_only_args = array<i64: ...>` (argument numbers).
    `llama-compile` lists them in the program's manifest, and the runtime
    puts those buffers (the weights, the KV cache) in device memory. Those
    that no entry point hands to a kernel (the offsets table, the logits)
    are recorded as `llama.gpu_host_only_args`, for which the runtime
    passes host memory.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def LlamaLowerGPUMathPass : Pass<"llama-lower-gpu-math"> {
  let summary = "Lower math ops in device code to NVVM intrinsics";
  let description = [{
    `math.floor`, `math.ceil`, `math.sqrt`, `math.absf` and `math.round` on
    f32 (scalars, or fixed 1-D vectors element by element) become calls of
    `llvm.nvvm.floor.f`, `llvm.nvvm.ceil.f`, `llvm.nvvm.sqrt.rn.f` (IEEE
    round-to-nearest), `llvm.nvvm.fabs` and `llvm.nvvm.round.f`.
    `convert-gpu-to-nvvm` would otherwise turn them into calls of CUDA's
    libdevice (`__nv_floorf`, ...), which the PTX can only resolve when
    libdevice is linked from a CUDA toolkit at compile time. `math.fma` is
    left for `convert-math-to-llvm` (`llvm.intr.fma`, an `fma.rn.f32`).
    Any other math op is an error naming it: the transcendental functions
    are polynomials by then (`llama-approximate-math`).

    Run it on `gpu.module`s before `convert-gpu-to-nvvm`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaExpandSubgroupReducePass : Pass<"llama-expand-subgroup-reduce"> {
  let summary = "Expand warp reductions (gpu.subgroup_reduce) into shuffles";
  let description = [{
    Every `gpu.subgroup_reduce` (the warp sums of the GPU kernels: row dot
    products, attention scores, norms) becomes upstream's butterfly of
    `gpu.shuffle xor` over a 32-lane warp and the reduction's arith op
    (`populateGpuLowerSubgroupReduceToShufflePatterns`), every lane ending
    with the whole warp's result. The GPU pipeline runs it right after the
    llama lowering: buffer deallocation rejects `gpu.subgroup_reduce`,
    which declares no memory effects, and the NVVM lowering and the GPU
    emulator then see the same shuffles, so they add in the same order.

    A clustered reduction (`cluster_size`) or one the patterns cannot take
    (values wider than 32 bits the patterns do not break down) is an error
    naming it.

    Output IR: `gpu.shuffle` and `arith` ops, no `gpu.subgroup_reduce`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def LlamaGPUWorkgroupBuffersPass
    : Pass<"llama-gpu-workgroup-buffers", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Make the kernels' workgroup allocas workgroup attributions";
  let description = [{
    Every `memref.alloca` of a `memref<..., #gpu.address_space<workgroup>>`
    in a kernel (`gpu.func ... kernel`) becomes one of the kernel's
    workgroup attributions (`workgroup(%b : memref<..., 3> {llvm.align =
    16 : i64})`), its uses the attribution's value; `convert-gpu-to-nvvm`
    lowers those to globals in shared memory, one per kernel and
    attribution. The memory space is NVVM's shared address space as a
    number, which the vector ops that the pipeline lowers to LLVM before
    `convert-gpu-to-nvvm` can convert (they cannot convert
    `#gpu.address_space<workgroup>`), and the alignment is the alloca's,
    at least 16 bytes (a shared global is otherwise aligned to its element,
    and the buffers are read with 16-byte loads). An alloca would become an
    `llvm.alloca` in address space 3, which NVPTX cannot have. After each
    op of a kernel marked `llama.barrier_after`, a `gpu.barrier` is
    inserted and the marker removed: the buffer deallocation passes, which run between
    `llama-lower-to-loops` and the kernels, reject `gpu.barrier` (its
    memory effects are unknown), so the block's code marks where its
    threads must wait instead.

    This is how the GPU pipeline's kernels get shared memory:
    `llama-lower-to-loops` (`dispatch = warps`) puts such an alloca in the
    body of a parallel loop whose iterations are a block's threads (the
    RMSNorm kernels' block sums and the prefill GEMM's tiles,
    `block_threads`),
    and `convert-parallel-loops-to-gpu` and `gpu-kernel-outlining` carry
    it into the kernel; in the kernel it means one buffer for the block, which
    its threads share across the barrier. A workgroup alloca or a marker
    outside a kernel, or a workgroup alloca of a dynamic shape or a
    non-identity layout, is an error. Other allocas are left alone.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def LlamaGPULaunchBoundsPass
    : Pass<"llama-gpu-launch-bounds", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Give kernels with batched loads an occupancy for ptxas";
  let description = [{
    A kernel (`gpu.func ... kernel`) holding an op marked
    `llama.batched_loads` (by `llama-lower-to-loops`, `dispatch = warps`: a decode step's
    warp row loop that loads several pieces of each row before the first
    multiply-add) gets `nvvm.minctasm = min-blocks`, PTX's
    `.minnctapersm`, CUDA's `__launch_bounds__(threads, min-blocks)`;
    one that has `nvvm.minctasm` already keeps its own. The markers are
    removed.

    Without an occupancy, ptxas keeps a kernel's registers low by sinking
    loads to their uses: `ptxas -arch=sm_90` scheduled the 16 loads of a
    step of the 7B F16 row kernel in 11 groups, the first use after four
    of them (48 registers; `bench/sass-loads.py`). With `.minnctapersm 4`
    (128 threads: at most 128 registers) it issues all 16 first (96
    registers). The bound holds only for these kernels: the prefill
    kernels need more than 128 registers, and ptxas spills them under it.

    Run it on `gpu.module`s before `convert-scf-to-cf`.
  }];
  let options = [
    Option<"minBlocks", "min-blocks", "int64_t", /*default=*/"4",
           "Blocks per multiprocessor the marked kernels must fit">,
  ];
}

#endif // LLAMA_MLIR_TRANSFORMS_GPUPASSES_TD
