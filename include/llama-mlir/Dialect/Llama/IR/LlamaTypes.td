//===- LlamaTypes.td - Types and enums of the llama dialect -*- tablegen -*-===//
//
// !llama.weight (a GGUF tensor referenced by name) and !llama.kv_cache (the
// runtime-owned key/value cache), plus the GGML element type enum.
//
//===----------------------------------------------------------------------===//

#ifndef LLAMA_TYPES_TD
#define LLAMA_TYPES_TD

include "llama-mlir/Dialect/Llama/IR/LlamaDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// GGML element types
//===----------------------------------------------------------------------===//

// The case values are the GGUF `ggml_type` ids; the block geometry lives in
// runtime/gguf/GGMLType.h, shared with the runtime.
def Llama_GGMLType : I32EnumAttr<"GGMLType", "GGUF tensor element type", [
    I32EnumAttrCase<"F32", 0, "f32">,
    I32EnumAttrCase<"F16", 1, "f16">,
    I32EnumAttrCase<"Q4_0", 2, "q4_0">,
    I32EnumAttrCase<"Q4_1", 3, "q4_1">,
    I32EnumAttrCase<"Q5_0", 6, "q5_0">,
    I32EnumAttrCase<"Q5_1", 7, "q5_1">,
    I32EnumAttrCase<"Q8_0", 8, "q8_0">,
    I32EnumAttrCase<"Q2_K", 10, "q2_k">,
    I32EnumAttrCase<"Q3_K", 11, "q3_k">,
    I32EnumAttrCase<"Q4_K", 12, "q4_k">,
    I32EnumAttrCase<"Q5_K", 13, "q5_k">,
    I32EnumAttrCase<"Q6_K", 14, "q6_k">,
    I32EnumAttrCase<"BF16", 30, "bf16">]> {
  let cppNamespace = "::mlir::llama";
  let genSpecializedAttr = 0;
}

// The integer-dot instruction families `llama.int8_dot` lowers to.
def Llama_IntDotKind : I32EnumAttr<"IntDotKind",
    "the instructions an exact int8 block dot product lowers to", [
    I32EnumAttrCase<"Generic", 0, "generic">,
    I32EnumAttrCase<"AVX2", 1, "avx2">,
    I32EnumAttrCase<"AVX512VNNI", 2, "avx512vnni">,
    I32EnumAttrCase<"NEONDot", 3, "neon_dotprod">,
    I32EnumAttrCase<"AVXVNNI", 4, "avxvnni">]> {
  let cppNamespace = "::mlir::llama";
}

// The enums of #llama.kernel_config (LlamaAttrs.td).

// How a weight-reading op multiplies its activations: in f32, or quantized
// to int8 per block of 32 and multiplied with one of the int8 dot families.
def Llama_IntDotISA : I32EnumAttr<"IntDotISA",
    "the integer dot products of a kernel configuration", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Generic", 1, "generic">,
    I32EnumAttrCase<"AVX2", 2, "avx2">,
    I32EnumAttrCase<"AVX512VNNI", 3, "avx512vnni">,
    I32EnumAttrCase<"NEONDot", 4, "neon_dotprod">,
    I32EnumAttrCase<"AVXVNNI", 5, "avxvnni">]> {
  let cppNamespace = "::mlir::llama";
  let genSpecializedAttr = 0;
}

// How an op's loops are distributed.
def Llama_KernelDispatch : I32EnumAttr<"KernelDispatch",
    "how a kernel's rows are distributed", [
    // scf.parallel over rows (or row tiles, tokens, heads): the CPU
    // runtime's thread pool, or on GPUs one thread per iteration.
    I32EnumAttrCase<"Threads", 0, "threads">,
    // GPUs: a warp of 32 threads per weight row (or pair of rows).
    I32EnumAttrCase<"Warps", 1, "warps">]> {
  let cppNamespace = "::mlir::llama";
  let genSpecializedAttr = 0;
}

// How a dot product of a row is computed.
def Llama_KernelDot : I32EnumAttr<"KernelDot",
    "the vector form of a kernel's dot products", [
    // One element at a time (GPU threads, whose vectors would be unrolled).
    I32EnumAttrCase<"Scalar", 0, "scalar">,
    // vector<16xf32> partial sums, a weight block per step.
    I32EnumAttrCase<"Vector", 1, "vector">,
    // f32/f16/bf16 rows in scalable vectors (SVE), the rest as `vector`.
    I32EnumAttrCase<"Scalable", 2, "scalable">,
    // Integer 16-row tiles: blocks of 16 tokens multiplied in AMX tile
    // registers (tdpbsud), the rest of the tokens as `vector`.
    I32EnumAttrCase<"AMX", 3, "amx">]> {
  let cppNamespace = "::mlir::llama";
  let genSpecializedAttr = 0;
}

// What a packed-tile matmul (llama.kernel_matmul) does with its dot
// products before it stores them.
def Llama_TileEpilogue : I32EnumAttr<"TileEpilogue",
    "the epilogue of a packed-tile matmul", [
    // Store them (or, with `accumulate`, add them to the destination).
    I32EnumAttrCase<"None", 0, "none">,
    // Two weights, gate and up: store silu(gate) * up.
    I32EnumAttrCase<"SwiGLU", 1, "swiglu">,
    // One weight, the query or key projection: rotate each adjacent pair of
    // rows by the angles of the op's rotation table (RoPE).
    I32EnumAttrCase<"RoPE", 2, "rope">]> {
  let cppNamespace = "::mlir::llama";
}

// Where a weight's bytes come from.
def Llama_WeightLayout : I32EnumAttr<"WeightLayout",
    "the byte layout a kernel reads its weights in", [
    // The GGUF's own blocks, row by row.
    I32EnumAttrCase<"GGUF", 0, "gguf">,
    // Packed at compile time in 16-row tiles (PackedWeights.h).
    I32EnumAttrCase<"Rows16", 1, "rows16">]> {
  let cppNamespace = "::mlir::llama";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

class Llama_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Llama_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Llama_WeightType : Llama_Type<"Weight", "weight"> {
  let summary = "a (possibly quantized) weight tensor stored in the GGUF file";
  let description = [{
    The type of a model weight: its logical shape (outermost first, the last
    dimension contiguous) and its GGUF element type. The bytes are not part of
    the IR; `llama.weight` names the GGUF tensor that holds them.

    The element type determines the storage: `f32`, `f16`, `bf16` store one
    element per 4/2/2 bytes; the block-quantized types store blocks of 32
    (`q8_0`, `q4_0`, `q4_1`, `q5_0`, `q5_1`) or 256 (`q4_k`, `q5_k`, `q6_k`)
    elements along the last dimension in 34, 18, 20, 22, 24, 144, 176 and 210
    bytes. `getBlockSize()`, `getBytesPerBlock()`, `getRowBytes()` and
    `getNumBytes()` derive the layout.

    Constraints:
    (C1) the rank is 1 to 4;
    (C2) every dimension is static and positive;
    (C3) the last dimension is a multiple of the element type's block size.

    Example: `!llama.weight<172x64xq4_0>` is the gate projection of a model
    with dim 64 and hidden_dim 172 (GGUF `ne = [64, 172]`), 172 rows of two
    Q4_0 blocks (36 bytes) each.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        EnumParameter<Llama_GGMLType>:$ggmlType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of dimensions.
    int64_t getRank() const { return getShape().size(); }
    /// Elements per quantization block (1 for f32/f16/bf16).
    int64_t getBlockSize() const;
    /// Bytes per quantization block.
    int64_t getBytesPerBlock() const;
    /// Whether the element type is block-quantized.
    bool isQuantized() const;
    /// Bytes of one row (the last dimension).
    int64_t getRowBytes() const;
    /// Number of rows (product of all dimensions but the last).
    int64_t getNumRows() const;
    /// Bytes of the whole tensor.
    int64_t getNumBytes() const;
  }];
}

def Llama_KVCacheType : Llama_Type<"KVCache", "kv_cache"> {
  let summary = "the key/value cache of every layer, owned by the runtime";
  let description = [{
    The attention key/value cache of a whole model: for each of `n_layers`
    layers, `n_ctx` positions of `n_kv_heads` keys and values of `head_dim`
    elements. It is an opaque handle to a runtime-owned buffer that
    `llama.attention` reads and updates in place; lowering turns it into two
    memrefs of shape `[n_layers, n_ctx, n_kv_heads, head_dim]` (K and V)
    passed in by the runtime.

    Constraints:
    (C1) there are exactly four dimensions, static and positive;
    (C2) the element type is `f32` or `f16`.

    Example: `!llama.kv_cache<5x128x4x8xf32>` is the cache of stories260K
    (5 layers, context 128, 4 KV heads of 8).
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape,
                        "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getNumLayers() const { return getShape()[0]; }
    int64_t getContextLength() const { return getShape()[1]; }
    int64_t getNumKVHeads() const { return getShape()[2]; }
    int64_t getHeadDim() const { return getShape()[3]; }
    /// The cache of one of its layers (llama.kv_cache_layer's result).
    KVCacheType getLayerType() const {
      ::llvm::SmallVector<int64_t> shape(getShape());
      shape[0] = 1;
      return KVCacheType::get(getContext(), shape, getElementType());
    }
  }];
}

#endif // LLAMA_TYPES_TD
