// RUN: llama-opt %s -split-input-file -llama-configure-kernels -verify-diagnostics | FileCheck %s --check-prefix=GENERIC
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=GENINT
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=AVX2
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avxvnni int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=AVXVNNI
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512 int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=AVX512
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=VNNI
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true packed-weights=true" -verify-diagnostics | FileCheck %s --check-prefix=PACKW
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=amx int-dot=true packed-weights=true" -verify-diagnostics | FileCheck %s --check-prefix=AMX
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=amx" -verify-diagnostics | FileCheck %s --check-prefix=AMXNOINT
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni" -verify-diagnostics | FileCheck %s --check-prefix=NOINT
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=neon-dotprod int-dot=true" -verify-diagnostics | FileCheck %s --check-prefix=NEON
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=sve-dotprod int-dot=true token-block=2" -verify-diagnostics | FileCheck %s --check-prefix=SVE
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx" -verify-diagnostics | FileCheck %s --check-prefix=NVPTX
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=nvptx gpu-warps=true tensor-cores=true block-threads=256" -verify-diagnostics | FileCheck %s --check-prefix=WARPS

// RUN: not llama-opt %s -llama-configure-kernels="target=avx1024" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: error: llama-configure-kernels: unknown target 'avx1024' (known: amx, avx512vnni, avx512, avxvnni, avx2, sve-dotprod, sve, neon-dotprod, generic, nvptx)
// RUN: not llama-opt %s -llama-configure-kernels="target=avx2 packed-weights=true" 2>&1 | FileCheck %s --check-prefix=BADPACKW
// RUN: not llama-opt %s -llama-configure-kernels="target=sve-dotprod int-dot=true packed-weights=true" 2>&1 | FileCheck %s --check-prefix=BADPACKW
// BADPACKW: error: llama-configure-kernels: packed-weights needs a target with 16-row tiles (x86 with AVX2, AArch64 with the dot product extension) and int-dot
// RUN: not llama-opt %s -llama-configure-kernels="target=nvptx block-threads=48" 2>&1 | FileCheck %s --check-prefix=BADBLOCK
// BADBLOCK: error: llama-configure-kernels: block-threads must be a multiple of 32 in 32..1024, got 48
// RUN: not llama-opt %s -llama-configure-kernels="target=nvptx tensor-cores=true" 2>&1 | FileCheck %s --check-prefix=BADTC
// BADTC: error: llama-configure-kernels: tensor-cores and quantized-row-norms need gpu-warps
// RUN: not llama-opt %s -llama-configure-kernels="target=avx2 gpu-warps=true" 2>&1 | FileCheck %s --check-prefix=BADCPUGPU
// BADCPUGPU: error: llama-configure-kernels: gpu-warps, tensor-cores and quantized-row-norms need target=nvptx
// RUN: not llama-opt %s -llama-configure-kernels="target=nvptx int-dot=true" 2>&1 | FileCheck %s --check-prefix=BADGPUCPU
// BADGPUCPU: error: llama-configure-kernels: int-dot, kv-block, prefetch and packed-weights are CPU options (target=nvptx)
// RUN: not llama-opt %s -llama-configure-kernels="target=nvptx prefetch=0" 2>&1 | FileCheck %s --check-prefix=BADGPUCPU
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx512vnni int-dot=true packed-weights=true prefetch=0" -verify-diagnostics | FileCheck %s --check-prefix=PFNONE
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 int-dot=true packed-weights=true prefetch=8192" -verify-diagnostics | FileCheck %s --check-prefix=PF8K
// RUN: not llama-opt %s -llama-configure-kernels="target=avx2 int-dot=true packed-weights=true prefetch=100" 2>&1 | FileCheck %s --check-prefix=BADPF
// BADPF: error: llama-configure-kernels: prefetch must be -1 or a multiple of 64 in 0..1048576, got 100
// RUN: not llama-opt %s -llama-configure-kernels="token-block=33" 2>&1 | FileCheck %s --check-prefix=BADBLOCKT
// BADBLOCKT: error: llama-configure-kernels: token-block must be in 0..32, got 33
// RUN: llama-opt %s -split-input-file -llama-configure-kernels="target=avx2 kv-block=4" -verify-diagnostics | FileCheck %s --check-prefix=KVB
// RUN: not llama-opt %s -llama-configure-kernels="kv-block=65" 2>&1 | FileCheck %s --check-prefix=BADKVB
// BADKVB: error: llama-configure-kernels: kv-block must be in 0..64, got 65
// RUN: not llama-opt %s -llama-configure-kernels="target=nvptx kv-block=8" 2>&1 | FileCheck %s --check-prefix=BADGPUCPU

// Each op's configuration per target. The weights: Q4_0 and F16 with rows
// in whole 16-row tiles, Q6_K (integer dots, no packed tiles), F32 rows
// of 24 (not whole tiles), and a Q8_0 matrix that is both the embedding
// and the output (so not prepacked: the embedding reads the GGUF rows).

// GENERIC-LABEL: func.func @configs
// GENERIC: llama.embedding {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector>}
// GENERIC: %[[A:.*]] = llama.matmul {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} {{.*}}q4_0
// GENERIC: llama.matmul {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} {{.*}}f16
// GENERIC: llama.matmul {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} {{.*}}q6_k
// GENERIC: llama.matmul {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} {{.*}}f32
// GENERIC: llama.matmul {{.*}} {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>} {{.*}}q8_0

// GENINT-LABEL: func.func @configs
// GENINT: llama.embedding {{.*}}<dispatch = threads, dot = vector>}
// GENINT: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = generic, token_block = 4>} {{.*}}q4_0
// GENINT: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 4>} {{.*}}f16
// GENINT: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = generic, token_block = 4>} {{.*}}q6_k
// GENINT: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 4>} {{.*}}f32
// GENINT: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = generic, token_block = 4>} {{.*}}q8_0

// AVX2 has 16-row tiles too, each in two 256-bit halves: with 16
// registers, 4 tokens per block for integer tiles and 6 for float ones;
// rows that are not whole tiles keep the row kernel's 4.
// AVX2-LABEL: func.func @configs
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q4_0
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>} {{.*}}f16
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q6_k
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 4>} {{.*}}f32

// AVX-VNNI: the avx2 row's tiles, 2 tokens per integer block (its vpdpbusd
// chains have no 16-bit sums to save registers), its VEX vpdpbusd.
// AVXVNNI-LABEL: func.func @configs
// AVXVNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avxvnni, token_block = 2, tile_rows = 16>} {{.*}}q4_0
// AVXVNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>} {{.*}}f16

// AVX-512 without VNNI takes the AVX2 dot instructions in the same tiles,
// 4 tokens per block (24 for float tiles) in 32 registers, 8 in the row
// kernel. A float tile block of 24 takes two tiles side by side: a matmul
// of one float weight (32 rows here) gets tasks of two tiles.
// AVX512-LABEL: func.func @configs
// AVX512: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q4_0
// AVX512: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, distribute = [0, 32]>} {{.*}}f16
// AVX512: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 8>} {{.*}}f32

// AVX-512 VNNI has 16-row tiles for Q4_0 and Q6_K (integer) and F16
// (float), not for 24 rows. Float tiles need no registers to decode: 24
// tokens per block, and tasks of two tiles (AVX512 above). The avx2 row's
// float blocks of 6 keep tasks of one tile (AVX2 above).
// VNNI-LABEL: func.func @configs
// VNNI: llama.embedding {{.*}}<dispatch = threads, dot = vector>}
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q4_0
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, distribute = [0, 32]>} {{.*}}f16
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q6_k
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 8>} {{.*}}f32
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q8_0

// The tile loops' prefetch distance is the row's (36 KiB on avx512vnni,
// 4608 bytes on amx and avx2), or the option's; 0 prefetches nothing and
// is not printed.
// PFNONE-LABEL: func.func @configs
// PFNONE: llama.matmul {{.*}}tile_rows = 16, layout = rows16>} {{.*}}q4_0
// PF8K-LABEL: func.func @configs
// PF8K: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 8192>} {{.*}}q4_0
// PACKW-LABEL: func.func @configs
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q4_0
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864, distribute = [0, 32]>} {{.*}}f16
// PACKW: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q8_0

// With AMX the integer tiles multiply in tile registers (dot = amx); the
// float tiles and every other op stay `vector`.
// AMX-LABEL: func.func @configs
// AMX: llama.embedding {{.*}}<dispatch = threads, dot = vector>}
// AMX: llama.matmul {{.*}}<dispatch = threads, dot = amx, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 4608>} {{.*}}q4_0
// AMX: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 24, tile_rows = 16, layout = rows16, prefetch = 4608, distribute = [0, 32]>} {{.*}}f16
// AMX: llama.matmul {{.*}}<dispatch = threads, dot = amx, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 4608>} {{.*}}q6_k
// AMX: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 8>} {{.*}}f32
// AMX: llama.matmul {{.*}}<dispatch = threads, dot = amx, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q8_0

// negative: without int-dot there is nothing to multiply in tiles.
// AMXNOINT-LABEL: func.func @configs
// AMXNOINT-NOT: dot = amx
// AMXNOINT: return

// Without int-dot, f32 dot products and no tiles (llama-compile
// --int-dot=off).
// NOINT-LABEL: func.func @configs
// NOINT-NOT: int_dot
// NOINT-NOT: tile_rows
// NOINT: return

// NEON with the dot product extension: 16-row tiles (sdot), token blocks
// of 4 (integer) and 6 (float).
// NEON-LABEL: func.func @configs
// NEON: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = neon_dotprod, token_block = 4, tile_rows = 16>} {{.*}}q4_0
// NEON: llama.matmul {{.*}}<dispatch = threads, dot = vector, token_block = 6, tile_rows = 16>} {{.*}}f16

// SVE takes f32/f16/bf16 rows in scalable vectors.
// SVE-LABEL: func.func @configs
// SVE: llama.matmul {{.*}}<dispatch = threads, dot = scalable, int_dot = neon_dotprod, token_block = 2>} {{.*}}q4_0
// SVE: llama.matmul {{.*}}<dispatch = threads, dot = scalable, token_block = 2>} {{.*}}f16

// A GPU thread per row: scalar code, no token blocks.
// NVPTX-LABEL: func.func @configs
// NVPTX: llama.embedding {{.*}}<dispatch = threads, dot = scalar, block_threads = 128>}
// NVPTX: llama.matmul {{.*}}<dispatch = threads, dot = scalar, block_threads = 128>} {{.*}}q4_0

// A warp per row: token blocks (every type here has 8-element units),
// tensor cores for the matmuls.
// WARPS-LABEL: func.func @configs
// WARPS: llama.embedding {{.*}}<dispatch = warps, dot = scalar, block_threads = 256>}
// WARPS: llama.matmul {{.*}}<dispatch = warps, dot = scalar, token_block = 4, block_threads = 256, tensor_cores = true>} {{.*}}q4_0
// WARPS: llama.matmul {{.*}}<dispatch = warps, dot = scalar, token_block = 4, block_threads = 256, tensor_cores = true>} {{.*}}q6_k
func.func @configs(%x: tensor<?x64xf32>, %y: tensor<?x256xf32>, %tok: tensor<?xi32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>, tensor<?x512xf32>) {
  %e = llama.weight "e" : !llama.weight<512x64xq8_0>
  %w4 = llama.weight "w4" : !llama.weight<32x64xq4_0>
  %h = llama.weight "h" : !llama.weight<32x64xf16>
  %w6 = llama.weight "w6" : !llama.weight<16x256xq6_k>
  %f = llama.weight "f" : !llama.weight<24x64xf32>
  %x0 = llama.embedding %e, %tok : (!llama.weight<512x64xq8_0>, tensor<?xi32>) -> tensor<?x64xf32>
  %a = llama.matmul %x, %w4 : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %h : (tensor<?x64xf32>, !llama.weight<32x64xf16>) -> tensor<?x32xf32>
  %c = llama.matmul %y, %w6 : (tensor<?x256xf32>, !llama.weight<16x256xq6_k>) -> tensor<?x16xf32>
  %d = llama.matmul %x, %f : (tensor<?x64xf32>, !llama.weight<24x64xf32>) -> tensor<?x24xf32>
  %l = llama.matmul %x, %e : (tensor<?x64xf32>, !llama.weight<512x64xq8_0>) -> tensor<?x512xf32>
  return %x0, %a, %b, %c, %d, %l : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x16xf32>, tensor<?x24xf32>, tensor<?x512xf32>
}

// -----

// An op takes the rows16 layout for all its weights or none: a fused
// gate/up pair whose gate is also read by a plain matmul of another
// function keeps the GGUF layout only where that use cannot be tiled (here
// every use can: both take rows16); the Q/K/V projection with an F32 value
// weight takes no tiles, so its Q4_0 query weight is not prepacked and
// neither is the matmul that shares it.
// PACKW-LABEL: func.func @all_or_none
// PACKW: llama.matmul_swiglu {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>}
// PACKW: llama.qkv_rope {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8>,
// PACKW-LABEL: func.func @all_or_none_other
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>, tag = "g"}
// PACKW: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>, tag = "q"}
func.func @all_or_none(%x: tensor<?x256xf32>, %p: tensor<?xi32>) -> (tensor<?x32xf32>, tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>) {
  %g = llama.weight "g" : !llama.weight<32x256xq4_0>
  %u = llama.weight "u" : !llama.weight<32x256xq4_0>
  %wq = llama.weight "q" : !llama.weight<32x256xq4_0>
  %wk = llama.weight "k" : !llama.weight<16x256xq4_0>
  %wv = llama.weight "v" : !llama.weight<16x256xf32>
  %m = llama.matmul_swiglu %x, %g, %u : (tensor<?x256xf32>, !llama.weight<32x256xq4_0>, !llama.weight<32x256xq4_0>) -> tensor<?x32xf32>
  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p {n_rot = 16 : i64, theta = 1.0e+04 : f32} : (tensor<?x256xf32>, !llama.weight<32x256xq4_0>, !llama.weight<16x256xq4_0>, !llama.weight<16x256xf32>, tensor<?xi32>) -> (tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>)
  return %m, %q, %k, %v : tensor<?x32xf32>, tensor<?x2x16xf32>, tensor<?x1x16xf32>, tensor<?x1x16xf32>
}
func.func @all_or_none_other(%x: tensor<?x256xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %g = llama.weight "g" : !llama.weight<32x256xq4_0>
  %wq = llama.weight "q" : !llama.weight<32x256xq4_0>
  %a = llama.matmul %x, %g {tag = "g"} : (tensor<?x256xf32>, !llama.weight<32x256xq4_0>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %wq {tag = "q"} : (tensor<?x256xf32>, !llama.weight<32x256xq4_0>) -> tensor<?x32xf32>
  return %a, %b : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// The GQA attention: on CPUs the row's block of cache rows per
// online-softmax step (kv-block overrides it), on GPUs none.
// GENERIC-LABEL: func.func @gqa_attention
// GENERIC: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>}
// AVX2-LABEL: func.func @gqa_attention
// AVX2: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>}
// VNNI-LABEL: func.func @gqa_attention
// VNNI: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>}
// NEON-LABEL: func.func @gqa_attention
// NEON: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 16>}
// SVE-LABEL: func.func @gqa_attention
// SVE: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalable, kv_block = 16>}
// KVB-LABEL: func.func @gqa_attention
// KVB: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, kv_block = 4>}
// NVPTX-LABEL: func.func @gqa_attention
// NVPTX: llama.gqa_attention {{.*}}llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = scalar, block_threads = 128>}
// The matmul beside it keeps the default kv_block (not printed).
// KVB: llama.matmul {{.*}}{llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, token_block = 4>}
func.func @gqa_attention(%q: tensor<?x8x8xf32>, %k: tensor<?x4x8xf32>, %v: tensor<?x4x8xf32>, %p: tensor<?xi32>, %x: tensor<?x64xf32>, %c: !llama.kv_cache<1x16x4x8xf32>) -> (tensor<?x8x8xf32>, tensor<?x32xf32>) {
  %o = llama.gqa_attention %q, %k, %v, %p, %c {layer = 0 : i64} : (tensor<?x8x8xf32>, tensor<?x4x8xf32>, tensor<?x4x8xf32>, tensor<?xi32>, !llama.kv_cache<1x16x4x8xf32>) -> tensor<?x8x8xf32>
  %w = llama.weight "w" : !llama.weight<32x64xf32>
  %y = llama.matmul %x, %w : (tensor<?x64xf32>, !llama.weight<32x64xf32>) -> tensor<?x32xf32>
  return %o, %y : tensor<?x8x8xf32>, tensor<?x32xf32>
}

// -----

// negative_: a configuration already on an op is kept, whatever the target.
// VNNI-LABEL: func.func @negative_configured_by_hand
// VNNI: llama.matmul {{.*}}{llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 2>}
// NVPTX-LABEL: func.func @negative_configured_by_hand
// NVPTX: llama.matmul {{.*}}{llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 2>}
func.func @negative_configured_by_hand(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  %a = llama.matmul %x, %w {llama.kernel_config = #llama.kernel_config<dispatch = threads, dot = vector, int_dot = generic, token_block = 2>} : (tensor<?x64xf32>, !llama.weight<32x64xq4_0>) -> tensor<?x32xf32>
  return %a : tensor<?x32xf32>
}

// -----

// negative_: functions without model-level ops, and llama.weight itself,
// get no configuration.
// GENERIC-LABEL: func.func @negative_nothing_to_configure
// GENERIC-NOT: kernel_config
// GENERIC: return
func.func @negative_nothing_to_configure(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = llama.weight "w" : !llama.weight<32x64xq4_0>
  return %x : tensor<4xf32>
}

// -----

// Q4_1, Q5_0 and Q5_1 have integer dots, 16-row tiles and rows16 layouts
// like Q4_0's.
// VNNI-LABEL: func.func @small_formats
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q4_1
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q5_0
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q5_1
// AVX2-LABEL: func.func @small_formats
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q4_1
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q5_0
// AVX2: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx2, token_block = 4, tile_rows = 16>} {{.*}}q5_1
// PACKW-LABEL: func.func @small_formats
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q4_1
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q5_0
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q5_1
// NOINT-LABEL: func.func @small_formats
// NOINT-NOT: int_dot
// NOINT: return
func.func @small_formats(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w1 = llama.weight "w1" : !llama.weight<32x64xq4_1>
  %w2 = llama.weight "w2" : !llama.weight<32x64xq5_0>
  %w3 = llama.weight "w3" : !llama.weight<32x64xq5_1>
  %a = llama.matmul %x, %w1 : (tensor<?x64xf32>, !llama.weight<32x64xq4_1>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %w2 : (tensor<?x64xf32>, !llama.weight<32x64xq5_0>) -> tensor<?x32xf32>
  %c = llama.matmul %x, %w3 : (tensor<?x64xf32>, !llama.weight<32x64xq5_1>) -> tensor<?x32xf32>
  return %a, %b, %c : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// The K-quants' rows16 layouts are per tile of 16 rows and super-block of
// 256.
// AMX-LABEL: func.func @k_quants
// AMX-COUNT-3: llama.matmul {{.*}}<dispatch = threads, dot = amx, int_dot = avx512vnni, token_block = 8, tile_rows = 16, layout = rows16, prefetch = 4608>}
// VNNI-LABEL: func.func @k_quants
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q4_k
// VNNI: llama.matmul {{.*}}<dispatch = threads, dot = vector, int_dot = avx512vnni, token_block = 8, tile_rows = 16>} {{.*}}q5_k
// PACKW-LABEL: func.func @k_quants
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q4_k
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q5_k
// PACKW: llama.matmul {{.*}}tile_rows = 16, layout = rows16, prefetch = 36864>} {{.*}}q6_k
func.func @k_quants(%x: tensor<?x256xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w1 = llama.weight "w1" : !llama.weight<32x256xq4_k>
  %w2 = llama.weight "w2" : !llama.weight<32x256xq5_k>
  %w3 = llama.weight "w3" : !llama.weight<32x256xq6_k>
  %a = llama.matmul %x, %w1 : (tensor<?x256xf32>, !llama.weight<32x256xq4_k>) -> tensor<?x32xf32>
  %b = llama.matmul %x, %w2 : (tensor<?x256xf32>, !llama.weight<32x256xq5_k>) -> tensor<?x32xf32>
  %c = llama.matmul %x, %w3 : (tensor<?x256xf32>, !llama.weight<32x256xq6_k>) -> tensor<?x32xf32>
  return %a, %b, %c : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
