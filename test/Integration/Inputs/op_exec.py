"""Per-op execution tests: one llama op, lowered by the compiler's pipeline
and executed with mlir-runner, against the numpy reference.

usage: op_exec.py FAMILY LLAMA_OPT LLAMA_GGUF MLIR_RUNNER RUNNER_LIBS TMPDIR

FAMILY is matmul, matmul_int8, embedding, rms_norm, attention,
gqa_attention or fused_projections (matmul with an RMSNorm prologue, qkv_rope with and
without one). Weights are real GGUF
tensors (written by `llama-gguf gen` in every type), embedded in the test
module as a byte constant that plays the mapped file; the op function gets
the runtime ABI from llama-lower-to-loops and @main calls it (the many
cases of the integer-dot matmuls and of the fused ops in one module per
weight type: Batch). The result is
printed with printMemrefF32 (6 significant digits) and compared with
llama_ref.ops under |error| <= 2e-5 * max(1, |reference|).
"""

import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "python"))
from llama_ref import ops  # noqa: E402
from llama_ref.gguf import read_gguf  # noqa: E402
from llama_ref.model import INT_DOT_TYPES  # noqa: E402
from llama_ref.packed import pack_rows16  # noqa: E402

FAMILY, LLAMA_OPT, LLAMA_GGUF, RUNNER, LIBS, TMP = sys.argv[1:7]
TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1",
         "q2_k", "q3_k", "q4_k", "q5_k", "q6_k"]
BLOCK = {"q8_0": 32, "q4_0": 32, "q4_1": 32, "q5_0": 32, "q5_1": 32,
         "q2_k": 256, "q3_k": 256, "q4_k": 256, "q5_k": 256, "q6_k": 256}
# The integer-dot types with packed 16-row tiles (Q2_K and Q3_K have row
# kernels only).
TILE_TYPES = tuple(t for t in INT_DOT_TYPES if t not in ("q2_k", "q3_k"))
rng = np.random.default_rng(5)


def sh(*cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise RuntimeError(f"{cmd[0]} failed:\n{r.stderr[-3000:]}")
    return r.stdout


def model(typ, dim, hidden, heads=1):
    path = os.path.join(TMP, f"m-{typ}-{dim}-{hidden}.gguf")
    sh(LLAMA_GGUF, "gen", "-o", path, "--type", typ, "--dim", str(dim),
       "--hidden-dim", str(hidden), "--layers", "1", "--heads", str(heads),
       "--kv-heads", "1", "--vocab", "262", "--ctx", "16",
       "--seed", str(rng.integers(1 << 30)))
    return read_gguf(path)


def dense(a, elt):
    def nest(x):
        if x.ndim == 1:
            return "[" + ", ".join(repr(float(v)) if elt.startswith("f")
                                   else str(int(v)) for v in x) + "]"
        return "[" + ", ".join(nest(y) for y in x) + "]"
    return f"dense<{nest(np.asarray(a))}>"


def mtype(shape, elt):
    return "memref<" + "x".join(map(str, shape)) + f"x{elt}>"


def ttype(shape, elt):
    return "tensor<" + "x".join(map(str, shape)) + f"x{elt}>"


LOWER = ("--llama-to-loops-pipeline",)


def lower_all(srcs, lower=LOWER):
    """Each of `srcs` (a module with func @op) lowered by `lower`, in one
    llama-opt run (attributes printed in place: lower_case puts the cases in
    one module, where aliases of two cases would clash)."""
    sep = "// -----"
    out = sh(LLAMA_OPT, *lower, "--split-input-file",
             "--mlir-print-local-scope", input=f"\n{sep}\n".join(srcs)).split(sep)
    assert len(out) == len(srcs), out[-1][-2000:]
    return out


def lower_case(i, lowered, args, out_shape, offsets=(0,), dynamic=False):
    """Case `i` of a test module, from `lowered` (the lowered func @op): the
    function as @op<i>, its arguments as globals @g<i>_<k> (the first
    is the weight file bytes, holding the weights at `offsets` in the order
    the op function names them) and the lines of @main that call it and
    print its result. `dynamic`: @op takes every argument and result with a
    dynamic first dimension (a token count)."""
    def dyn(shape, elt):
        return mtype(("?",) + tuple(shape[1:]), elt)
    head, inner = lowered.strip().split("\n", 1)
    assert head.startswith("module") and inner.endswith("}"), lowered[:200]
    func = re.sub(r"@op\b", f"@op{i}", inner[:-1])
    p = f"%s{i}_"
    glob, main = [], []
    for k, (shape, elt, data) in enumerate(args):
        glob.append(f'memref.global "private" constant @g{i}_{k} : '
                    f'{mtype(shape, elt)} = {dense(data, elt)} {{alignment = 64}}')
    main += [f"  {p}f = memref.get_global @g{i}_0 : {mtype(args[0][0], 'i8')}",
             f"  {p}fd = memref.cast {p}f : {mtype(args[0][0], 'i8')} to memref<?xi8>",
             f"  {p}o = memref.alloc() : memref<{len(offsets)}xi64>"]
    for j, off in enumerate(offsets):
        main += [f"  {p}oi{j} = arith.constant {j} : index",
                 f"  {p}ov{j} = arith.constant {off} : i64",
                 f"  memref.store {p}ov{j}, {p}o[{p}oi{j}] : memref<{len(offsets)}xi64>"]
    main += [f"  {p}od = memref.cast {p}o : memref<{len(offsets)}xi64> to memref<?xi64>"]
    operands, types = [f"{p}fd", f"{p}od"], ["memref<?xi8>", "memref<?xi64>"]
    for k, (shape, elt, _) in enumerate(args[1:], start=1):
        main.append(f"  {p}a{k} = memref.get_global @g{i}_{k} : {mtype(shape, elt)}")
        operands.append(f"{p}a{k}")
        types.append(mtype(shape, elt))
        if dynamic:
            main.append(f"  {p}ad{k} = memref.cast {p}a{k} : {mtype(shape, elt)} to {dyn(shape, elt)}")
            operands[-1], types[-1] = f"{p}ad{k}", dyn(shape, elt)
    for k, (shape, elt) in enumerate(out_shape):
        main.append(f"  {p}r{k} = memref.alloc() : {mtype(shape, elt)}")
        if elt in ("f32", "f16"):
            main.append(f"  {p}zr{k} = arith.constant 0.0 : {elt}")
            main.append(f"  linalg.fill ins({p}zr{k} : {elt}) outs({p}r{k} : {mtype(shape, elt)})")
        operands.append(f"{p}r{k}")
        types.append(mtype(shape, elt))
        if dynamic:
            main.append(f"  {p}rd{k} = memref.cast {p}r{k} : {mtype(shape, elt)} to {dyn(shape, elt)}")
            operands[-1], types[-1] = f"{p}rd{k}", dyn(shape, elt)
    main.append(f"  call @op{i}({', '.join(operands)}) : ({', '.join(types)}) -> ()")
    shape, elt = out_shape[-1]
    main.append(f"  {p}u = memref.cast {p}r{len(out_shape) - 1} : {mtype(shape, elt)} to memref<*xf32>")
    main.append(f"  call @printMemrefF32({p}u) : (memref<*xf32>) -> ()")
    return head, func, glob, main


def execute(cases):
    """Runs the cases of lower_case in one module: one serial CPU pipeline
    and one mlir-runner for all of them (each start of either costs about
    as much as a small case). Returns each case's printed result."""
    src = [cases[0][0]]
    for _, func, glob, _ in cases:
        src += [func] + glob
    src += ["func.func private @printMemrefF32(memref<*xf32>)",
            "func.func @main() {"]
    for *_, main in cases:
        src += main
    src += ["  return", "}", "}"]
    path = os.path.join(TMP, "case.mlir")
    open(path, "w").write("\n".join(src) + "\n")
    llvm = sh(LLAMA_OPT, path, "--llama-cpu-pipeline-serial")
    out = sh(RUNNER, "-e", "main", "-entry-point-result=void",
             f"-shared-libs={LIBS}", input=llvm)
    printed = out.split("data =")[1:]
    assert len(printed) == len(cases), out[-2000:]
    return [np.array([float(v) for v in re.findall(
        r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)",
        data.split("Unranked Memref", 1)[0])]) for data in printed]


def run(op_src, args, out_shape, offsets=(0,), lower=LOWER, dynamic=False):
    """The printed result of `op_src` (func @op) lowered by `lower` and
    called as lower_case says."""
    lowered = lower_all([op_src], lower)[0]
    return execute([lower_case(0, lowered, args, out_shape, offsets,
                                dynamic)])[0]


class Batch:
    """Cases lowered by one pipeline and checked together: add each with the
    result it must give, then check() lowers them in one llama-opt run,
    executes them in one module and compares each."""

    def __init__(self, lower=LOWER):
        self.lower, self.cases = lower, []

    def add(self, name, want, op_src, args, out_shape, offsets=(0,),
            dynamic=False):
        self.cases.append((name, want, op_src, args, out_shape, offsets,
                           dynamic))

    def check(self):
        if not self.cases:
            return True
        lowered = lower_all([c[2] for c in self.cases], self.lower)
        got = execute([lower_case(i, low, *c[3:])
                       for i, (low, c) in enumerate(zip(lowered, self.cases))])
        ok = True
        for (name, want, *_), g in zip(self.cases, got):
            ok &= compare(name, g, want)
        return ok


def compare(name, got, want):
    want = np.asarray(want, dtype=np.float64).ravel()
    assert got.shape == want.shape, f"{name}: shape {got.shape} vs {want.shape}"
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    worst = float(err.max())
    status = "PASS" if worst <= 2e-5 else "FAIL"
    print(f"{status} {name}: max relative error {worst:.2e}")
    return status == "PASS"


def weight_case(typ, odd):
    """Row length K and row count N for a weight of `typ`: awkward sizes."""
    if typ in BLOCK:
        return BLOCK[typ] * (2 if BLOCK[typ] == 32 else 1), 38 if odd else 64
    return (38 if odd else 64), 37 if odd else 16


def matmul_cases():
    ok = True
    for typ in TYPES:
        for seq in (1, 3):
            dim, hidden = weight_case(typ, odd=seq == 3)
            f = model(typ, dim, hidden)
            t = f.tensors["blk.0.ffn_gate.weight"]        # [hidden, dim]
            n, k = t.shape
            w = f.tensor(t.name).astype(np.float64)
            x = rng.standard_normal((seq, k)).astype(np.float32)
            src = (f"func.func @op(%x: {ttype((seq, k), 'f32')}) -> {ttype((seq, n), 'f32')} {{\n"
                   f'  %w = llama.weight "{t.name}" : !llama.weight<{n}x{k}x{t.type_name}>\n'
                   f"  %y = llama.matmul %x, %w : ({ttype((seq, k), 'f32')}, !llama.weight<{n}x{k}x{t.type_name}>) -> {ttype((seq, n), 'f32')}\n"
                   f"  return %y : {ttype((seq, n), 'f32')}\n}}\n")
            raw = np.asarray(t.data)
            got = run(src, [(raw.shape, "i8", raw.view(np.int8)),
                            ((seq, k), "f32", x)], [((seq, n), "f32")])
            ok &= compare(f"matmul {t.type_name} seq={seq} N={n} K={k}", got,
                          ops.matmul(x.astype(np.float64), w))
    return ok & last_rows_cases()


def last_rows_cases():
    """A function's result made by a matmul with a dynamic token count (the
    logits) has as many rows as the caller's buffer: the last tokens'
    (llama-lower-to-loops slices the matmul's input)."""
    ok = True
    for typ, rows in (("f32", 1), ("q8_0", 2), ("q8_0", 5)):
        f = model(typ, 64, 48)
        t = f.tensors["blk.0.ffn_gate.weight"]            # [48, 64]
        n, k = t.shape
        w = f.tensor(t.name).astype(np.float64)
        x = rng.standard_normal((5, k)).astype(np.float32)
        wty = f"!llama.weight<{n}x{k}x{typ}>"
        src = (f"func.func @op(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{\n"
               f'  %w = llama.weight "{t.name}" : {wty}\n'
               f"  %y = llama.matmul %x, %w : (tensor<?x{k}xf32>, {wty}) -> tensor<?x{n}xf32>\n"
               f"  return %y : tensor<?x{n}xf32>\n}}\n")
        raw = np.asarray(t.data)
        got = run(src, [(raw.shape, "i8", raw.view(np.int8)), ((5, k), "f32", x)],
                  [((rows, n), "f32")], dynamic=True)
        ok &= compare(f"matmul {typ} of 5 tokens into {rows} rows: the last",
                      got, ops.matmul(x[5 - rows:].astype(np.float64), w))
    return ok


def cpu_has(*flags):
    try:
        have = open("/proc/cpuinfo").read().split()
    except OSError:
        return False
    return all(f in have for f in flags)


def read_back_q8_0(rows, n, k):
    """The dequantized values of Q8_0 rows given as raw bytes [n, row]."""
    out = np.zeros((n, k))
    for r in range(n):
        for blk in range(k // 32):
            b = rows[r, 34 * blk: 34 * blk + 34]
            d = np.frombuffer(bytes(b[:2]), dtype="<f2")[0]
            out[r, 32 * blk: 32 * blk + 32] = float(d) * b[2:].view(np.int8)
    return out


def configured(int_dot="none", token_block=4, tile_rows=0, layout="gguf"):
    """The kernel configuration of a CPU op, written into the source
    (llama-configure-kernels keeps it): the op's kernel is exactly this one,
    whatever the table would choose."""
    return ("{llama.kernel_config = #llama.kernel_config<dispatch = threads, "
            f"dot = vector, int_dot = {int_dot}, token_block = {token_block}, "
            f"tile_rows = {tile_rows}, layout = {layout}>}}")


CONFIGURED = ("--pass-pipeline=builtin.module(llama-configure-kernels,"
              "llama-lower-to-loops,canonicalize,cse)",)


def matmul_int8_cases():
    """Matmuls of every quantized type with integer dot products (llama.int8_dot) in every
    form this CPU can execute, against ops.matmul_int8 (activations
    quantized per block of 32): the int32 sums are exact, so only the f32
    accumulation differs."""
    ok = True
    kinds = ["generic"]
    if cpu_has("avx2"):
        kinds.append("avx2")
    if cpu_has("avx_vnni"):
        kinds.append("avxvnni")
    if cpu_has("avx512_vnni", "avx512vl"):
        kinds.append("avx512vnni")
    for typ in INT_DOT_TYPES:
        batch = Batch(CONFIGURED)
        for kind in kinds:
            for seq in (1, 3):
                f = model(typ, 512 if typ.endswith("_k") else 96, 40)
                t = f.tensors["blk.0.ffn_gate.weight"]        # [40, 96]
                n, k = t.shape
                w = f.tensor(t.name).astype(np.float64)
                x = (3 * rng.standard_normal((seq, k))).astype(np.float32)
                x[0, :32] = 0  # an all-zero block: d = 0
                src = (f"func.func @op(%x: {ttype((seq, k), 'f32')}) -> {ttype((seq, n), 'f32')} {{\n"
                       f'  %w = llama.weight "{t.name}" : !llama.weight<{n}x{k}x{typ}>\n'
                       f"  %y = llama.matmul %x, %w {configured(kind)} : ({ttype((seq, k), 'f32')}, !llama.weight<{n}x{k}x{typ}>) -> {ttype((seq, n), 'f32')}\n"
                       f"  return %y : {ttype((seq, n), 'f32')}\n}}\n")
                raw = np.array(t.data)
                if typ == "q8_0":
                    # Extreme operands: quants -128 in weight row 0 and an
                    # activation block of +-max (quantized to +-127), where
                    # a saturating vpmaddubsw would go wrong.
                    rows = raw.reshape(n, -1)
                    for blk in range(k // 32):
                        rows[0, 34 * blk + 2: 34 * blk + 34] = 0x80
                    raw = rows.reshape(raw.shape)
                    w = read_back_q8_0(rows, n, k)
                    x[-1, 32:64] = np.where(np.arange(32) % 2, 50.0, -50.0)
                batch.add(f"matmul int8 {typ} {kind} seq={seq}",
                          ops.matmul_int8(x, w), src,
                          [(raw.shape, "i8", raw.view(np.int8)),
                           ((seq, k), "f32", x)], [((seq, n), "f32")])
        ok &= batch.check()
    return ok & packed_rows_cases(kinds)


def packed_rows_cases(kinds):
    """Prefills (a dynamic token count) in packed tiles of 16 rows
    (tile_rows = 16, llama.dot4_acc): 3 tiles of 48
    rows, token counts below, at and past a 4-token block (Q6_K with two
    scales per group of 32)."""
    ok = True
    for typ in TILE_TYPES:
        batch = Batch(CONFIGURED)
        for kind in kinds:
            f = model(typ, 512 if typ.endswith("_k") else 96, 48)
            t = f.tensors["blk.0.ffn_gate.weight"]            # [48, K]
            n, k = t.shape
            w = f.tensor(t.name).astype(np.float64)
            raw = np.array(t.data)
            if typ == "q8_0":
                # Quants +127 in row 3 (stored as 255) meet an activation
                # block of +max (quantized to 127): the pair sums a
                # saturating vpmaddubsw would clip.
                rows = raw.reshape(n, -1)
                rows[3, 2 + 34:34 + 34] = 0x7f
                raw = rows.reshape(raw.shape)
                w = read_back_q8_0(rows, n, k)
            for seq in (1, 4, 10):
                x = (3 * rng.standard_normal((seq, k))).astype(np.float32)
                x[0, :32] = 0
                if typ == "q8_0":
                    x[-1, 32:64] = 50.0
                src = (f"func.func @op(%x: tensor<?x{k}xf32>) -> tensor<?x{n}xf32> {{\n"
                       f'  %w = llama.weight "{t.name}" : !llama.weight<{n}x{k}x{typ}>\n'
                       f"  %y = llama.matmul %x, %w {configured(kind, tile_rows=16)} : (tensor<?x{k}xf32>, !llama.weight<{n}x{k}x{typ}>) -> tensor<?x{n}xf32>\n"
                       f"  return %y : tensor<?x{n}xf32>\n}}\n")
                batch.add(f"matmul int8 packed {typ} {kind} seq={seq}",
                          ops.matmul_int8(x, w), src,
                          [(raw.shape, "i8", raw.view(np.int8)),
                           ((seq, k), "f32", x)], [((seq, n), "f32")],
                          dynamic=True)
        ok &= batch.check()
    return ok & prepacked_cases(kinds)


def prepacked_cases(kinds):
    """Every quantized type with integer dots, F16 and BF16, weights
    prepacked in the rows16 layout (layout = rows16), the bytes packed by
    llama_ref.packed from the layout's definition: decode steps (one
    static token) and prefills take the same tiles, read in place."""
    ok = True
    for typ in TILE_TYPES + ("f16", "bf16"):
        float_rows = typ in ("f16", "bf16")
        batch = Batch(CONFIGURED)
        for kind in [k for k in kinds
                     if not (float_rows and k != "generic")]:
            f = model(typ, 512 if typ.endswith("_k") else 96, 48)
            t = f.tensors["blk.0.ffn_gate.weight"]            # [48, K]
            n, k = t.shape
            w = f.tensor(t.name).astype(np.float64)
            raw = np.array(t.data)
            if typ == "q8_0":  # quants -128 in row 5 (stored as 0)
                rows = raw.reshape(n, -1)
                rows[5, 2:34] = 0x80
                raw = rows.reshape(raw.shape)
                w = read_back_q8_0(rows, n, k)
            blob = pack_rows16(typ, raw, n, k).view(np.int8)
            config = configured("none" if float_rows else kind, tile_rows=16,
                                layout="rows16")
            for seq, dynamic in ((1, False), (1, True), (10, True)):
                x = (3 * rng.standard_normal((seq, k))).astype(np.float32)
                x[0, :32] = 0
                xt = f"tensor<{'?' if dynamic else seq}x{k}xf32>"
                yt = f"tensor<{'?' if dynamic else seq}x{n}xf32>"
                src = (f"func.func @op(%x: {xt}) -> {yt} {{\n"
                       f'  %w = llama.weight "{t.name}" : !llama.weight<{n}x{k}x{typ}>\n'
                       f"  %y = llama.matmul %x, %w {config} : ({xt}, !llama.weight<{n}x{k}x{typ}>) -> {yt}\n"
                       f"  return %y : {yt}\n}}\n")
                want = (ops.matmul(x.astype(np.float64), w) if float_rows
                        else ops.matmul_int8(x, w))
                batch.add(f"matmul prepacked {typ} {kind} seq={seq} "
                          f"{'prefill' if dynamic else 'decode'}", want, src,
                          [(blob.shape, "i8", blob), ((seq, k), "f32", x)],
                          [((seq, n), "f32")], dynamic=dynamic)
        ok &= batch.check()
    return ok


def embedding_cases():
    ok = True
    for typ in TYPES:
        dim, _ = weight_case(typ, odd=True)
        f = model(typ, dim, 64)
        t = f.tensors["token_embd.weight"]               # [vocab, dim]
        v, d = t.shape
        table = f.tensor(t.name)
        toks = np.array([0, 7, 261, 3], dtype=np.int32)
        src = (f"func.func @op(%t: tensor<4xi32>) -> {ttype((4, d), 'f32')} {{\n"
               f'  %w = llama.weight "token_embd.weight" : !llama.weight<{v}x{d}x{t.type_name}>\n'
               f"  %y = llama.embedding %w, %t : (!llama.weight<{v}x{d}x{t.type_name}>, tensor<4xi32>) -> {ttype((4, d), 'f32')}\n"
               f"  return %y : {ttype((4, d), 'f32')}\n}}\n")
        raw = np.asarray(t.data)
        got = run(src, [(raw.shape, "i8", raw.view(np.int8)), ((4,), "i32", toks)],
                  [((4, d), "f32")])
        ok &= compare(f"embedding {t.type_name} dim={d}", got,
                      ops.embedding(table, toks))
    return ok


def rms_norm_cases():
    ok = True
    for typ in ("f32", "f16", "bf16"):
        for dim in (38, 64):
            f = model(typ, dim, 64)
            # Norm weights are f32 in generated models; view their bytes as
            # the type under test by re-encoding.
            w = f.tensor("blk.0.attn_norm.weight")
            if typ == "f16":
                raw = w.astype(np.float16).view(np.uint8)
                w = w.astype(np.float16).astype(np.float32)
            elif typ == "bf16":
                bits = (w.view(np.uint32) >> 16).astype(np.uint16)
                raw = bits.view(np.uint8)
                w = (bits.astype(np.uint32) << 16).view(np.float32)
            else:
                raw = w.view(np.uint8)
            x = (3 * rng.standard_normal((3, dim))).astype(np.float32)
            src = (f"func.func @op(%x: {ttype((3, dim), 'f32')}) -> {ttype((3, dim), 'f32')} {{\n"
                   f'  %w = llama.weight "n" : !llama.weight<{dim}x{typ}>\n'
                   f"  %y = llama.rms_norm %x, %w {{epsilon = 1.0e-05 : f32}} : ({ttype((3, dim), 'f32')}, !llama.weight<{dim}x{typ}>) -> {ttype((3, dim), 'f32')}\n"
                   f"  return %y : {ttype((3, dim), 'f32')}\n}}\n")
            got = run(src, [(raw.shape, "i8", raw.view(np.int8)),
                            ((3, dim), "f32", x)], [((3, dim), "f32")])
            ok &= compare(f"rms_norm {typ} dim={dim}", got,
                          ops.rms_norm(x.astype(np.float64), w, 1e-5))
    return ok


def attention_cases(op="llama.attention"):
    ok = True
    # The last case's positions reach past one and two blocks of 16 cache
    # rows (the CPU table's kv_block) and stop at each block boundary.
    for nh, nkv, hd, seq, ctx, positions in (
            (4, 4, 8, 3, 8, [1, 3, 4]), (4, 1, 16, 1, 8, [1]),
            (2, 1, 128, 3, 8, [1, 3, 4]), (6, 2, 32, 2, 8, [1, 3]),
            (4, 2, 16, 7, 40, [0, 15, 16, 17, 31, 32, 33])):
        q = rng.standard_normal((seq, nh, hd)).astype(np.float32)
        k = rng.standard_normal((seq, nkv, hd)).astype(np.float32)
        v = rng.standard_normal((seq, nkv, hd)).astype(np.float32)
        pos = np.array(positions, dtype=np.int32)
        cache = (1, ctx, nkv, hd)
        kc = np.zeros(cache[1:])
        vc = np.zeros(cache[1:])
        want = ops.attention(q.astype(np.float64), k.astype(np.float64),
                             v.astype(np.float64), pos, kc, vc)
        qt, kt, pt = ttype(q.shape, "f32"), ttype(k.shape, "f32"), ttype((seq,), "i32")
        ct = f"!llama.kv_cache<1x{ctx}x{nkv}x{hd}xf32>"
        src = (f"func.func @op(%q: {qt}, %k: {kt}, %v: {kt}, %p: {pt}, %c: {ct}) -> {qt} {{\n"
               f"  %o = {op} %q, %k, %v, %p, %c {{layer = 0 : i64}} : ({qt}, {kt}, {kt}, {pt}, {ct}) -> {qt}\n"
               f"  return %o : {qt}\n}}\n")
        # The file is unused by attention; pass one byte.
        got = run(src, [((1,), "i8", np.zeros(1, np.int8)), (q.shape, "f32", q),
                        (k.shape, "f32", k), (v.shape, "f32", v),
                        ((seq,), "i32", pos)],
                  [(cache, "f32"), (cache, "f32"), (q.shape, "f32")])
        ok &= compare(f"{op} n_heads={nh} n_kv_heads={nkv} head_dim={hd} "
                      f"seq={seq}", got, want)
    return ok


def pack(tensors):
    """The raw bytes of `tensors` one after another (32-byte aligned) as one
    file, and their offsets."""
    blob, offsets = b"", []
    for t in tensors:
        blob += b"\0" * (-len(blob) % 32)
        offsets.append(len(blob))
        blob += np.asarray(t).tobytes()
    return np.frombuffer(blob, dtype=np.int8), offsets


def fused_projection_cases():
    """The fused ops' extra math: the RMSNorm prologue and RoPE epilogue.
    The f16 case also runs as a prefill (a dynamic token count) in packed
    tiles of 16 rows (the avx512vnni row's tile_rows = 16, float tiles in
    generic vector ops): the activations times the norm weight computed
    once, the RoPE pairs taken from the tiles' vectors, 2 tokens per block
    and one left over."""
    ok = True
    eps = 1e-5
    packed = dict(
        lower=("--pass-pipeline=builtin.module(llama-configure-kernels"
               "{target=avx512vnni int-dot=true token-block=2},"
               "llama-lower-to-loops,canonicalize,cse)",),
        dynamic=True)
    for typ, how in (("f32", {}), ("q8_0", {}), ("q4_k", {}), ("q6_k", {}),
                     ("f16", {}), ("f16", packed)):
        label = typ + (" packed" if how else "")
        batch = Batch(how.get("lower", LOWER))
        dynamic = how.get("dynamic", False)
        k = BLOCK.get(typ, 32) * (1 if typ in ("q4_k", "q6_k") else 2)
        f = model(typ, k, 64, heads=k // 16)     # head_dim 16
        wq_t = f.tensors["blk.0.attn_q.weight"]   # [k, k]
        g = f.tensor("blk.0.attn_norm.weight")
        wq = f.tensor(wq_t.name).astype(np.float64)
        seq = 3
        x = (2 * rng.standard_normal((seq, k))).astype(np.float32)
        pos = np.array([0, 5, 11], dtype=np.int32)
        xt, pt = ttype((seq, k), "f32"), ttype((seq,), "i32")
        wty = f"!llama.weight<{k}x{k}x{wq_t.type_name}>"
        gty = f"!llama.weight<{k}xf32>"
        # matmul with the prologue: weights in the order wq, g.
        raw, offs = pack([wq_t.data, g])
        src = (f"func.func @op(%x: {xt}) -> {xt} {{\n"
               f'  %w = llama.weight "w" : {wty}\n'
               f'  %g = llama.weight "g" : {gty}\n'
               f"  %y = llama.matmul %x, %w norm(%g) {{epsilon = 1.0e-05 : f32}} : ({xt}, {wty}, {gty}) -> {xt}\n"
               f"  return %y : {xt}\n}}\n")
        if how:
            src = src.replace(xt, ttype(("?", k), "f32"))
        xn = ops.rms_norm(x.astype(np.float64), g, eps)
        batch.add(f"matmul norm(g) {label} K={k}", ops.matmul(xn, wq), src,
                  [(raw.shape, "i8", raw), ((seq, k), "f32", x)],
                  [((seq, k), "f32")], offs, dynamic)
        # qkv_rope: wq [k, k], wk = wv = the first k/2 rows of another
        # weight; n_rot 8 of head_dim 16 (a partial rotation).
        hd, nh, nkv, n_rot, theta = 16, k // 16, k // 32, 8, 10000.0
        wk_t = f.tensors["blk.0.attn_output.weight"]
        wkv = f.tensor(wk_t.name)[: nkv * hd].astype(np.float64)
        raw_kv = np.asarray(wk_t.data)
        kv_bytes = raw_kv[: raw_kv.size // wk_t.shape[0] * nkv * hd]
        for norm in (False, True):
            tensors = [wq_t.data, kv_bytes, kv_bytes] + ([g] if norm else [])
            raw, offs = pack(tensors)
            kvty = f"!llama.weight<{nkv * hd}x{k}x{wq_t.type_name}>"
            qt3 = ttype((seq, nh, hd), "f32")
            kt3 = ttype((seq, nkv, hd), "f32")
            xin = ops.rms_norm(x.astype(np.float64), g, eps) if norm else x.astype(np.float64)
            want = [ops.rope((xin @ wq.T).reshape(seq, nh, hd), pos, n_rot, theta),
                    ops.rope((xin @ wkv.T).reshape(seq, nkv, hd), pos, n_rot, theta),
                    (xin @ wkv.T).reshape(seq, nkv, hd)]
            for which, (name, rty) in enumerate((("q", qt3), ("k", kt3), ("v", kt3))):
                gdecl = f'  %g = llama.weight "g" : {gty}\n' if norm else ""
                nclause = " norm(%g)" if norm else ""
                nty = f", {gty}" if norm else ""
                eattr = "epsilon = 1.0e-05 : f32, " if norm else ""
                src = (f"func.func @op(%x: {xt}, %p: {pt}) -> {rty} {{\n"
                       f'  %wq = llama.weight "wq" : {wty}\n'
                       f'  %wk = llama.weight "wk" : {kvty}\n'
                       f'  %wv = llama.weight "wv" : {kvty}\n' + gdecl +
                       f"  %q, %k, %v = llama.qkv_rope %x, %wq, %wk, %wv, %p{nclause} "
                       f"{{{eattr}n_rot = {n_rot} : i64, theta = 1.0e+04 : f32}} : "
                       f"({xt}, {wty}, {kvty}, {kvty}, {pt}{nty}) -> ({qt3}, {kt3}, {kt3})\n"
                       f"  return %{name} : {rty}\n}}\n")
                shape = (seq, nh if name == "q" else nkv, hd)
                if how:
                    for t in (xt, pt, qt3, kt3):
                        src = src.replace(t, t.replace(f"<{seq}x", "<?x"))
                batch.add(f"qkv_rope {name} {label} K={k} norm={norm}",
                          want[which], src,
                          [(raw.shape, "i8", raw), ((seq, k), "f32", x),
                           ((seq,), "i32", pos)], [(shape, "f32")], offs,
                          dynamic)
        ok &= batch.check()
    return ok


if __name__ == "__main__":
    ok = {"matmul": matmul_cases, "matmul_int8": matmul_int8_cases,
          "embedding": embedding_cases,
          "rms_norm": rms_norm_cases, "attention": attention_cases,
          "gqa_attention": lambda: attention_cases("llama.gqa_attention"),
          "fused_projections": fused_projection_cases}[FAMILY]()
    print("ALL PASS" if ok else "SOME FAILED")
    sys.exit(0 if ok else 1)
