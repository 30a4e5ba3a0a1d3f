/*===- llama_abi.h - The contract between compiler and runtime ----*- C -*-===*
 *
 * Everything a program produced by llama-compile and its runtime must agree
 * on, in one plain-C header that both sides include (the compiler's passes
 * and llama-compile for the names they emit; runtime/ for the functions
 * it defines and calls, test/lib/GPUEmulator for the emulator's):
 *
 *   - the GGML element type ids of GGUF files;
 *   - the generated entry points, their arguments and memref descriptors;
 *   - the manifest embedded in every program (its symbol and line format);
 *   - the runtime functions generated code calls (thread pool, GPU buffers,
 *     GPU emulator), by name and prototype.
 *
 * A name that crosses the boundary is spelled here once; the compiler uses
 * the LLAMA_ABI_* / LLAMA_RT_* string macros, the runtime the prototypes.
 * No MLIR, no C++: C99 and C++17 both compile it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LLAMA_MLIR_ABI_LLAMA_ABI_H
#define LLAMA_MLIR_ABI_LLAMA_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*===-- GGML element types -------------------------------------------------===*
 * The `ggml_type` ids a GGUF tensor may carry (the GGUF format's list; ids 4,
 * 5 and 31..33, 36..38 are retired and invalid in files). The compiler and
 * the runtime decode the first group; the second is known by its block
 * geometry only, so that a file holding such tensors is still read and
 * described, and its tensors of those types named when they are refused.
 * The dialect's GGMLType enum and the runtime's llamart::GGMLType use these
 * values (static_asserts on both sides).
 */
enum llama_abi_ggml_type {
  /* Decoded. */
  LLAMA_GGML_TYPE_F32 = 0,
  LLAMA_GGML_TYPE_F16 = 1,
  LLAMA_GGML_TYPE_Q4_0 = 2,
  LLAMA_GGML_TYPE_Q4_1 = 3,
  LLAMA_GGML_TYPE_Q5_0 = 6,
  LLAMA_GGML_TYPE_Q5_1 = 7,
  LLAMA_GGML_TYPE_Q8_0 = 8,
  LLAMA_GGML_TYPE_Q2_K = 10,
  LLAMA_GGML_TYPE_Q3_K = 11,
  LLAMA_GGML_TYPE_Q4_K = 12,
  LLAMA_GGML_TYPE_Q5_K = 13,
  LLAMA_GGML_TYPE_Q6_K = 14,
  LLAMA_GGML_TYPE_BF16 = 30,
  /* Known, not decoded. */
  LLAMA_GGML_TYPE_Q8_1 = 9,
  LLAMA_GGML_TYPE_Q8_K = 15,
  LLAMA_GGML_TYPE_IQ2_XXS = 16,
  LLAMA_GGML_TYPE_IQ2_XS = 17,
  LLAMA_GGML_TYPE_IQ3_XXS = 18,
  LLAMA_GGML_TYPE_IQ1_S = 19,
  LLAMA_GGML_TYPE_IQ4_NL = 20,
  LLAMA_GGML_TYPE_IQ3_S = 21,
  LLAMA_GGML_TYPE_IQ2_S = 22,
  LLAMA_GGML_TYPE_IQ4_XS = 23,
  LLAMA_GGML_TYPE_I8 = 24,
  LLAMA_GGML_TYPE_I16 = 25,
  LLAMA_GGML_TYPE_I32 = 26,
  LLAMA_GGML_TYPE_I64 = 27,
  LLAMA_GGML_TYPE_F64 = 28,
  LLAMA_GGML_TYPE_IQ1_M = 29,
  LLAMA_GGML_TYPE_TQ1_0 = 34,
  LLAMA_GGML_TYPE_TQ2_0 = 35
};

/*===-- Entry points -------------------------------------------------------===*
 * The compiler generates two functions with MLIR's C interface
 * (`_mlir_ciface_` + name, every memref argument passed as a pointer to its
 * descriptor): prefill takes any number of tokens, decode exactly one.
 * CPU programs are not reentrant: both functions keep their intermediates
 * in one static arena (llama-plan-memory), so a caller runs one call at a
 * time.
 */
#define LLAMA_ABI_PREFILL "llama_prefill"
#define LLAMA_ABI_DECODE "llama_decode"

/* The arguments of both entry points, by position. The manifest's
 * gpu_device_only_args / gpu_host_only_args lines name them by number. */
enum llama_abi_arg {
  LLAMA_ABI_ARG_FILE = 0,      /* memref<?xi8>: the whole GGUF file */
  LLAMA_ABI_ARG_OFFSETS = 1,   /* memref<?xi64>: byte offset of each weight,
                                  in the manifest's weight order */
  LLAMA_ABI_ARG_TOKENS = 2,    /* memref<?xi32>: token ids */
  LLAMA_ABI_ARG_POSITIONS = 3, /* memref<?xi32>: their positions */
  LLAMA_ABI_ARG_K_CACHE = 4,   /* memref<n_layers x n_ctx x n_kv_heads x
                                  head_dim x kv_type> */
  LLAMA_ABI_ARG_V_CACHE = 5,   /* the same */
  LLAMA_ABI_ARG_LOGITS = 6,    /* memref<?xVxf32>: the logits of the last
                                  R tokens, R its row count (one row per
                                  token, or 1 for the last token only) */
  LLAMA_ABI_NUM_ARGS = 7
};

/* MLIR's ranked memref descriptors for the ranks the entry points use. */
#define LLAMA_ABI_MEMREF(rank)                                                 \
  struct llama_abi_memref##rank {                                              \
    void *allocated;                                                           \
    void *aligned;                                                             \
    int64_t offset;                                                            \
    int64_t sizes[rank];                                                       \
    int64_t strides[rank];                                                     \
  }
LLAMA_ABI_MEMREF(1);
LLAMA_ABI_MEMREF(2);
LLAMA_ABI_MEMREF(4);
#undef LLAMA_ABI_MEMREF

void _mlir_ciface_llama_prefill(struct llama_abi_memref1 *file,
                                struct llama_abi_memref1 *offsets,
                                struct llama_abi_memref1 *tokens,
                                struct llama_abi_memref1 *positions,
                                struct llama_abi_memref4 *k_cache,
                                struct llama_abi_memref4 *v_cache,
                                struct llama_abi_memref2 *logits);
void _mlir_ciface_llama_decode(struct llama_abi_memref1 *file,
                               struct llama_abi_memref1 *offsets,
                               struct llama_abi_memref1 *tokens,
                               struct llama_abi_memref1 *positions,
                               struct llama_abi_memref4 *k_cache,
                               struct llama_abi_memref4 *v_cache,
                               struct llama_abi_memref2 *logits);

/*===-- Manifest -----------------------------------------------------------===*
 * A NUL-terminated text constant `llama_manifest` in every program: the
 * header line, then one line per fact, a keyword and its values separated
 * by spaces:
 *
 *   target NAME TRIPLE
 *   cpu_features F...            (CPUFeatures.h names)
 *   hparam KEY VALUE             (the LLAMA_ABI_HPARAM_* keys)
 *   kv_type f32|f16
 *   gpu_device_only_args N...    (llama_abi_arg numbers)
 *   gpu_host_only_args N...
 *   int_dot KIND TYPE...         (CPU programs with integer dot products:
 *                                 the target's int-dot name, e.g. avx2,
 *                                 avx512vnni, neon-dotprod, and the GGML
 *                                 type names whose matmuls use it)
 *   weight NAME GGML_TYPE NE0 NE1...   (one per weight, in binding order)
 *   weights_file HASH BYTES      (programs whose weights are in a packed
 *                                 weights file: its content hash, 16 hex
 *                                 digits, and its size)
 *
 * Unknown keywords are ignored by the reader.
 */
#define LLAMA_ABI_MANIFEST_SYMBOL "llama_manifest"
#define LLAMA_ABI_MANIFEST_HEADER "llama-mlir manifest 1"
#define LLAMA_ABI_MANIFEST_TARGET "target"
#define LLAMA_ABI_MANIFEST_CPU_FEATURES "cpu_features"
#define LLAMA_ABI_MANIFEST_HPARAM "hparam"
#define LLAMA_ABI_MANIFEST_KV_TYPE "kv_type"
#define LLAMA_ABI_MANIFEST_GPU_DEVICE_ONLY_ARGS "gpu_device_only_args"
#define LLAMA_ABI_MANIFEST_GPU_HOST_ONLY_ARGS "gpu_host_only_args"
#define LLAMA_ABI_MANIFEST_WEIGHT "weight"
#define LLAMA_ABI_MANIFEST_INT_DOT "int_dot"
#define LLAMA_ABI_MANIFEST_WEIGHTS_FILE "weights_file"

/* The hyperparameters (integers, except the two floats and tied_output, a
 * 0/1 flag); the runtime checks a GGUF file against the shape ones. */
#define LLAMA_ABI_HPARAM_DIM "dim"
#define LLAMA_ABI_HPARAM_HIDDEN_DIM "hidden_dim"
#define LLAMA_ABI_HPARAM_N_LAYERS "n_layers"
#define LLAMA_ABI_HPARAM_N_HEADS "n_heads"
#define LLAMA_ABI_HPARAM_N_KV_HEADS "n_kv_heads"
#define LLAMA_ABI_HPARAM_HEAD_DIM "head_dim"
#define LLAMA_ABI_HPARAM_N_ROT "n_rot"
#define LLAMA_ABI_HPARAM_N_VOCAB "n_vocab"
#define LLAMA_ABI_HPARAM_N_CTX "n_ctx"
#define LLAMA_ABI_HPARAM_N_CTX_TRAIN "n_ctx_train"
#define LLAMA_ABI_HPARAM_TIED_OUTPUT "tied_output"
#define LLAMA_ABI_HPARAM_ROPE_THETA "rope_theta"
#define LLAMA_ABI_HPARAM_RMS_EPS "rms_eps"

extern const char llama_manifest[];

/*===-- Packed weights file ------------------------------------------------===*
 * Where kernels read weights in a layout packed at compile time (the
 * llama.weight_table's `layout`, e.g. row tiles of 16 rows), llama-compile
 * writes every weight the program binds, packed or as in the GGUF, into
 * PROGRAM.weights, and the manifest's `weights_file` line records its hash
 * and size. The program maps that file read-only and passes it as
 * LLAMA_ABI_ARG_FILE, with the offsets of its table as
 * LLAMA_ABI_ARG_OFFSETS; the GGUF file then only supplies the tokenizer
 * and is checked for shape. Layout, little-endian:
 *
 *   struct llama_abi_weights_header        (64 bytes)
 *   struct llama_abi_weights_entry [n_weights], in the manifest's order
 *   the weights, each at a multiple of LLAMA_ABI_WEIGHTS_ALIGN
 *
 * content_hash is XXH3-64 of the 8-byte little-endian XXH3-64 of each
 * weight's bytes, in order: computed once by the compiler, compared (not
 * recomputed) by the program.
 */
#define LLAMA_ABI_WEIGHTS_MAGIC "LLMWGT01"
#define LLAMA_ABI_WEIGHTS_SUFFIX ".weights"
#define LLAMA_ABI_WEIGHTS_ALIGN 64
struct llama_abi_weights_header {
  char magic[8];         /* LLAMA_ABI_WEIGHTS_MAGIC, no NUL */
  uint64_t content_hash; /* as the manifest's weights_file line */
  uint64_t file_bytes;   /* the whole file */
  uint64_t n_weights;
  uint64_t reserved[4]; /* zero */
};
struct llama_abi_weights_entry {
  uint64_t offset; /* from the start of the file */
  uint64_t bytes;
};

/*===-- Thread pool --------------------------------------------------------===*
 * Every parallel loop of CPU code is outlined into a body and handed to the
 * pool, which runs [lb, ub) as calls of the body on contiguous chunks (any
 * split: the iterations are independent) and returns when all are done.
 */
#define LLAMA_RT_PARALLEL_FOR "llama_rt_parallel_for"
typedef void (*llama_rt_loop_fn)(void *ctx, int64_t lo, int64_t hi);
void llama_rt_parallel_for(llama_rt_loop_fn fn, void *ctx, int64_t lb,
                           int64_t ub);

/*===-- GPU buffers --------------------------------------------------------===*
 * The calls GPU programs' host code makes besides MLIR's mgpu* functions
 * (llama-gpu-host-buffers): copy a device buffer to host memory, free a
 * buffer after the kernels launched so far, wait for all kernels.
 */
#define LLAMA_RT_GPU_DOWNLOAD "llama_rt_gpu_download"
#define LLAMA_RT_GPU_FREE "llama_rt_gpu_free"
#define LLAMA_RT_GPU_SYNC "llama_rt_gpu_sync"
void llama_rt_gpu_download(int64_t dst, int64_t src, int64_t bytes);
void llama_rt_gpu_free(int64_t ptr);
void llama_rt_gpu_sync(void);

/*===-- GPU emulator -------------------------------------------------------===*
 * `llama-compile --gpu-emulate` programs carry a host copy of every kernel
 * (`LLAMA_ABI_EMULATED_KERNEL_PREFIX` + kernel name) in which the GPU's
 * special registers, shuffles, barriers, tensor-core mma and workgroup
 * accesses are calls into the emulator; a global constructor registers each
 * copy with its parameter sizes.
 */
#define LLAMA_ABI_EMULATED_KERNEL_PREFIX "__llama_emu_"
#define LLAMA_RT_EMU_REGISTER "llama_rt_emu_register"
#define LLAMA_RT_EMU_INDEX "llama_rt_emu_index"
#define LLAMA_RT_EMU_SHUFFLE "llama_rt_emu_shuffle"
#define LLAMA_RT_EMU_BARRIER "llama_rt_emu_barrier"
#define LLAMA_RT_EMU_MMA "llama_rt_emu_mma_m16n8k16"
#define LLAMA_RT_EMU_SHARED_ACCESS "llama_rt_emu_shared_access"
#define LLAMA_RT_EMU_CHECK_ALIGNED "llama_rt_emu_check_aligned"

/* A kernel's host copy, taking the launch's parameter array (each entry
 * points to one argument, as cuLaunchKernel's `params`). */
typedef void (*llama_rt_emu_kernel)(void **params);
/* Called from the program's constructor for each kernel `name` of its PTX;
 * `lockstep`: it shuffles, waits at barriers or uses mma (runs on fibers);
 * `param_sizes`: the bytes of each of its `nparams` parameters (what
 * cuFuncGetParamInfo reports, and graph nodes copy). */
void llama_rt_emu_register(const char *name, llama_rt_emu_kernel fn,
                           int32_t lockstep, int32_t nparams,
                           const int32_t *param_sizes);
/* 0-2: thread id x/y/z, 3-5: block id, 6-8: block size, 9-11: grid size. */
int64_t llama_rt_emu_index(int32_t code);
/* gpu.shuffle: `mode` 0 xor, 1 down, 2 up, 3 idx (gpu::ShuffleMode). */
int32_t llama_rt_emu_shuffle(int32_t value, int32_t offset, int32_t width,
                             int32_t mode);
void llama_rt_emu_barrier(void);
/* nvgpu.mma.sync m16n8k16 (f16 A and B, f32 C and D) of the calling lane:
 * its A and B registers (two halves each, the low 16 bits first), its C,
 * and where its 4 D values go; the warp's lanes meet as at a shuffle. */
void llama_rt_emu_mma_m16n8k16(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                               int32_t b0, int32_t b1, float c0, float c1,
                               float c2, float c3, int64_t d);
/* Before a load or store of `bytes` at byte `offset` of a workgroup buffer
 * (`size` bytes at `base`): reports (exit 5) an access out of the buffer
 * and a race (a byte touched by one thread that another of the block wrote,
 * or written where another read, since the last barrier). */
void llama_rt_emu_shared_access(int64_t base, int64_t size, int64_t offset,
                                int64_t bytes, int32_t write);
/* Reports (exit 5) a vector access at `address` that claims `alignment`
 * bytes it does not have. */
void llama_rt_emu_check_aligned(int64_t address, int64_t alignment);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LLAMA_MLIR_ABI_LLAMA_ABI_H */
