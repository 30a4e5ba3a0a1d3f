//===- TestPasses.td - Test-only passes of llama-mlir ------*- tablegen -*-===//
//
// Passes that exist for testing the generated code, not for producing it:
// they live in test/lib (library LlamaMLIRTestTransforms), outside the
// compiler's libraries. llama-opt registers them; llama-compile adds them
// to a pipeline only for --gpu-emulate.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_TD
#define LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_TD

include "mlir/Pass/PassBase.td"

def LlamaEmulateGPUKernelsPass
    : Pass<"llama-emulate-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Copy every kernel into the host code, for the CPU emulator";
  let description = [{
    For testing the generated kernels where there is no GPU: every kernel
    (`gpu.func ... kernel`) of every `gpu.module` gets a host copy, a public
    `func.func @__llama_emu_<kernel>` with the same arguments, which
    `llama-compile --gpu-emulate` registers with the runtime's emulated
    CUDA driver (test/lib/GPUEmulator/GPUEmulator.cpp). That driver runs a launch's
    threads on the CPU, a block at a time, each thread on its own fiber,
    lanes of a warp in lockstep at every shuffle. In the copy:

        %t = gpu.thread_id x            ->  call @llama_rt_emu_index(0)
        %s = gpu.shuffle xor %v, %o, %w ->  call @llama_rt_emu_shuffle(...)
        gpu.barrier                     ->  call @llama_rt_emu_barrier()
        %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]}
                                        ->  call @llama_rt_emu_mma_m16n8k16(...)

    (`llama_rt_emu_index(i32) -> index`: 0-2 thread id x/y/z, 3-5 block id,
    6-8 block size, 9-11 grid size; `llama_rt_emu_shuffle(i32 value, i32
    offset, i32 width, i32 mode) -> i32`, with f32 values bitcast, mode as
    `gpu::ShuffleMode`; `llama_rt_emu_mma_m16n8k16(i32 x 4, i32 x 2, f32 x 4,
    index out)`: the lane's A and B registers, each two f16 as an i32, its
    four C values and the address of a 4-float buffer, an alloca of the
    copy, for its D: only f16 operands with f32 sums.) Before each vector load or store that claims an
    alignment above its element size, a call of
    `llama_rt_emu_check_aligned(index address, index alignment)` (the
    emulator reports a misaligned access, where a GPU would fault). The
    gpu.module and the launches are left as they are: the program still
    holds the PTX. A workgroup attribution of a kernel becomes a private
    `memref.global` of the host module (its type without the address
    space), read in the copy with `memref.get_global`: the emulator runs
    one block at a time, whose threads share it as on a GPU; its uses must
    be loads and stores, each preceded by a call of
    `llama_rt_emu_shared_access(index base, index size, index offset,
    index bytes, i32 write)` (the buffer's address and byte size, the
    access's byte offset and size, 1 for a store): the emulator reports
    accesses outside the buffer and races, a thread touching a byte that
    another thread of the block wrote, or writing one another read, since
    the last barrier. A kernel with private memory, a workgroup buffer
    used otherwise, a shuffle whose `valid` result is used, another mma
    shape or type, or another gpu or nvgpu op is an error that names the
    kernel and the op.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // LLAMA_MLIR_TEST_TRANSFORMS_TESTPASSES_TD
