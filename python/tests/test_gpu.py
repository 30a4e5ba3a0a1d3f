"""GPU targets (llama-compile --target=sm_80|sm_90|cuda): the NVPTX pipeline
gives all device code of a model as one PTX module, which CUDA's `ptxas`
accepts for the chip (ptxas compiles PTX to machine code: it checks every
instruction, register and address space, as the driver's JIT would). No GPU
is needed; the tests skip with a message where ptxas is absent.

The program (`llama-compile --target=sm_90 -o exe`) has no link-time CUDA
dependency: without a driver it exits 3 naming the missing libcuda.so.1;
with CUDA's stub libcuda (every driver-API symbol, no device) the runtime
resolves all the functions it uses and reports cuInit's failure.

The kernels' arithmetic is checked without a GPU too: `llama-compile
--gpu-emulate` adds a host copy of every kernel and links the program with
the runtime's CPU emulator of the driver (test/lib/GPUEmulator/GPUEmulator.cpp: every
thread of every launch, the lanes of a warp in lockstep at each shuffle),
whose greedy tokens and logits must match the CPU program's.

What this does not show: PTX code generation by LLVM, timing, and
concurrency on a real GPU (bench/gpu.sh, on a machine with one) -- see
docs/GPU.md.
"""

import ctypes
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import require_models
from test_compiled import gen, light_in_sanitized_build, tool

PTXAS = shutil.which("ptxas") or next(
    (p for p in ("/usr/local/cuda/bin/ptxas",) if os.path.exists(p)), None)
CUDA_STUB = "/usr/local/cuda/lib64/stubs/libcuda.so"


def have_driver():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False

# The types of docs/GPU.md's support table; tiny preset = GQA 8:4 heads.
TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1",
         "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "q4_k_m"]


def need_ptxas():
    if not PTXAS:
        pytest.skip("ptxas not found (CUDA toolkit: /usr/local/cuda/bin or "
                    "PATH); PTX generation is still run by the lit tests")
    return PTXAS


def compile_stage(gguf, emit, target, *args):
    r = subprocess.run([tool("llama-compile"), gguf, f"--target={target}",
                        f"--emit={emit}", "-o", "-", *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def check_ptx(tmp_path, gguf, target, chip, *args):
    ptx = compile_stage(gguf, "ptx", target, *args)
    # One module for the chip, every kernel an entry, nothing left to link
    # (no libdevice __nv_* functions, no other externs).
    assert re.search(rf"^\.target {chip}\b", ptx, re.M), ptx[:400]
    assert re.search(r"^\.version 8\.0\b", ptx, re.M)
    assert ".extern" not in ptx
    entries = re.findall(r"^\.visible \.entry (\w+)\(", ptx, re.M)
    launches = re.findall(r"gpu\.launch_func\s+@llama_kernels::@(\w+)",
                          compile_stage(gguf, "gpu", target, *args))
    assert entries and sorted(set(launches)) == sorted(entries)
    path = tmp_path / f"{chip}.ptx"
    path.write_text(ptx)
    r = subprocess.run([need_ptxas(), f"-arch={chip}", "-O3", str(path),
                        "-o", str(tmp_path / f"{chip}.cubin")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[:4000]
    return entries


# The pipeline's kernel variants: the default, warp kernels, with the
# quantized rows' norm scales, with the tensor-core prefill GEMM.
VARIANTS = {"thread": [], "warp": ["--gpu-kernels=warp"],
            "warpqn": ["--gpu-kernels=warp", "--gpu-quantized-row-norms"],
            "warptc": ["--gpu-kernels=warp", "--gpu-tensor-cores"]}


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("wtype", TYPES)
def test_ptx_accepted_by_ptxas_sm90(tmp_path, wtype, variant):
    if wtype != "q4_k_m":
        light_in_sanitized_build("one type of the GPU sweep")
    need_ptxas()
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", wtype,
               "--layers", "1")
    check_ptx(tmp_path, gguf, "sm_90", "sm_90", *VARIANTS[variant])


def test_ptx_sm80_and_cuda_alias(tmp_path):
    need_ptxas()
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type",
               "q4_k_m", "--layers", "1")
    check_ptx(tmp_path, gguf, "sm_80", "sm_80")
    assert compile_stage(gguf, "ptx", "cuda") == compile_stage(
        gguf, "ptx", "sm_90")


def test_ptx_with_fusions_off(tmp_path):
    light_in_sanitized_build("the unfused GPU variant")
    need_ptxas()
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "1")
    fused = check_ptx(tmp_path, gguf, "sm_90", "sm_90")
    unfused = check_ptx(tmp_path, gguf, "sm_90", "sm_90",
                        "--disable-fusion=all")
    # Unfused: separate launches for the projections, norms, ... (identical
    # kernels are one entry, so count the launches).
    def launches(*args):
        return len(re.findall(r"gpu\.launch_func\s",
                              compile_stage(gguf, "gpu", "sm_90", *args)))
    assert fused and unfused
    assert launches("--disable-fusion=all") > launches()


def test_ptx_stories260k(tmp_path):
    models = require_models()
    need_ptxas()
    gguf = os.path.join(models, "stories260K", "stories260K.gguf")
    check_ptx(tmp_path, gguf, "sm_90", "sm_90")


def gpu_program(tmp_path, *args):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "1")
    exe = str(tmp_path / "m-gpu")
    r = subprocess.run([tool("llama-compile"), gguf, "--target=sm_90", "-o",
                        exe, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    needed = subprocess.run(["readelf", "-d", exe], capture_output=True,
                            text=True, check=True).stdout
    assert "libcuda" not in needed
    return gguf, exe


def run_program(exe, gguf, env=None):
    return subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n", "2",
                           "--print-ids", "--temp", "0"],
                          capture_output=True, text=True, env=env)


def test_gpu_program_without_driver(tmp_path):
    if have_driver():
        pytest.skip("an NVIDIA driver is installed here (bench/gpu.sh runs "
                    "the program)")
    gguf, exe = gpu_program(tmp_path)
    r = run_program(exe, gguf)
    assert r.returncode == 3, r.stderr
    assert "compiled for target 'sm_90'" in r.stderr
    assert "libcuda.so.1" in r.stderr and "NVIDIA" in r.stderr


def test_gpu_program_with_stub_driver(tmp_path):
    if have_driver():
        pytest.skip("an NVIDIA driver is installed here")
    if not os.path.exists(CUDA_STUB):
        pytest.skip(f"CUDA's stub driver not found at {CUDA_STUB}")
    gguf, exe = gpu_program(tmp_path)
    stub = tmp_path / "stub"
    stub.mkdir()
    os.symlink(CUDA_STUB, stub / "libcuda.so.1")
    r = run_program(exe, gguf, env={**os.environ,
                                     "LD_LIBRARY_PATH": str(stub)})
    # Every symbol was found (else: "libcuda.so.1 lacks ..."); the stub's
    # cuInit fails as it must.
    assert r.returncode == 3, r.stderr
    assert "cuInit failed" in r.stderr, r.stderr


def fake_driver(tmp_path):
    """fake_libcuda.c built as libcuda.so.1: a driver that runs no kernels."""
    cc = next((c for c in ("cc", "gcc", "clang", "clang-22")
               if shutil.which(c)), None)
    if not cc:
        pytest.skip("no C compiler to build the fake CUDA driver")
    d = tmp_path / "fake"
    d.mkdir()
    src = os.path.join(os.path.dirname(__file__), "fake_libcuda.c")
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o",
                    str(d / "libcuda.so.1"), src], check=True)
    # The runtime keeps managed buffers in its free lists until the process
    # ends (a real driver releases them with the context): in the ASan
    # build, LeakSanitizer would report each one.
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "detect_leaks=0"
    return {**os.environ, "LD_LIBRARY_PATH": str(d), "ASAN_OPTIONS": asan}


def fake_runs(exe, gguf, env, counts=(2, 5)):
    """(launches, context syncs, stream syncs) of runs generating each of
    `counts` tokens under the fake driver."""
    out = []
    for n in counts:
        r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n",
                            str(n), "--print-ids", "--temp", "0",
                            "--ignore-eos"],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        assert "fake-cuda: error" not in r.stderr
        assert r.stderr.count("fake-cuda: module load") == 1, r.stderr
        m = re.search(r"fake-cuda: (\d+) launches, \d+ kernel lookups, "
                      r"(\d+) context syncs, (\d+) stream syncs", r.stderr)
        assert m, r.stderr
        out.append(tuple(int(g) for g in m.groups()))
    return out


@pytest.mark.parametrize("kernels", ["thread", "warp"])
def test_gpu_program_host_side_with_fake_driver(tmp_path, kernels):
    """The whole host side of a GPU program: the PTX registered by a global
    constructor (it must run: lld ignores .ctors sections) and loaded once,
    every kernel found in it by name, launches for the prompt and for every
    generated token. A bench/gpu.sh run on an H200 found the constructor
    missing, which this would have caught."""
    if have_driver():
        pytest.skip("an NVIDIA driver is installed here (bench/gpu.sh)")
    env = fake_driver(tmp_path)
    gguf, exe = gpu_program(tmp_path, f"--gpu-kernels={kernels}")
    (l2, _, s2), (l5, _, s5) = fake_runs(exe, gguf, env)
    # Every generated token after the first is one decode call's kernels,
    # each waited for (LLAMA_MLIR_GPU_ASYNC unset).
    per_token = (l5 - l2) / 3
    assert per_token >= 1 and per_token == int(per_token), (l2, l5)
    assert s5 - s2 == l5 - l2
    # Where only kernels touch the weights, the KV cache, the tokens and
    # the positions (the warp kernels' host code only takes views of them),
    # the manifest says so and the runtime puts them in device memory: the
    # whole file, K and V, and one buffer of n_ctx tokens and positions.
    # The default kernels' host loops read them: managed memory. Buffers of
    # the generated code that only kernels touch are device memory too
    # (the warp program has no other), and the logits come out of one with
    # a device-to-host copy per evaluation (the prompt, then one token)
    # straight into the program's host memory. (The fake driver runs no
    # kernels: the logits are whatever device memory held, so an end of
    # text may be sampled; --ignore-eos keeps the count.)
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n", "2",
                        "--temp", "0", "--ignore-eos"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    m = re.search(r"fake-cuda: (\d+) device allocations, (\d+) bytes; "
                  r"(\d+) managed allocations; (\d+) downloads", r.stderr)
    assert m, r.stderr
    allocs, size, managed, downloads = (int(g) for g in m.groups())
    assert downloads == 2, r.stderr
    kv = 2 * 1 * 128 * 4 * 32 * 4  # K, V: 1 layer, ctx, kv heads, dim, f32
    ids = 2 * 128 * 4  # tokens and positions: ctx, i32
    if kernels == "warp":
        assert managed == 0, r.stderr
        assert allocs > 4 and size > os.path.getsize(gguf) + kv + ids, \
            r.stderr
    else:
        assert managed > 0 and size < os.path.getsize(gguf), r.stderr


def test_gpu_program_async_waits_before_host_reads(tmp_path):
    """LLAMA_MLIR_GPU_ASYNC=1: no wait per launch, but the host waits before
    it reads what kernels wrote (llama-gpu-host-buffers' llama_rt_gpu_sync
    before the logits copy, and the program's before it reads the logits).
    The third H200 run, before those waits existed, read stale logits."""
    if have_driver():
        pytest.skip("an NVIDIA driver is installed here (bench/gpu.sh)")
    env = {**fake_driver(tmp_path), "LLAMA_MLIR_GPU_ASYNC": "1"}
    gguf, exe = gpu_program(tmp_path, "--gpu-kernels=warp")
    (l2, c2, s2), (l5, c5, s5) = fake_runs(exe, gguf, env)
    assert s2 == s5 == 0
    assert l5 > l2
    # At least the generated code's wait and the program's, per token.
    assert c5 - c2 >= 2 * 3, (c2, c5)
    # Far fewer waits than launches.
    assert c5 - c2 < l5 - l2


def test_gpu_target_errors(tmp_path):
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q8_0",
               "--layers", "1")
    lc = tool("llama-compile")
    r = subprocess.run([lc, gguf, "--emit=ptx", "-o", "-"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "--emit=ptx needs a GPU target" in r.stderr
    r = subprocess.run([lc, gguf, "--target=sm_75", "-o", "-"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "sm_80, sm_90, cuda" in r.stderr
    r = subprocess.run([lc, gguf, "--target=sm_90", "--emit=ptx", "-o", "-",
                        "--gpu-quantized-row-norms"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "--gpu-quantized-row-norms needs --gpu-kernels=warp" in r.stderr
    r = subprocess.run([lc, gguf, "--target=sm_90", "--emit=ptx", "-o", "-",
                        "--gpu-tensor-cores"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "--gpu-tensor-cores needs --gpu-kernels=warp" in r.stderr
    listed = subprocess.run([lc, "--list-targets"], capture_output=True,
                            text=True, check=True).stdout
    for name in ("sm_80", "sm_90", "cuda"):
        assert re.search(rf"^\s+{name}\s+nvptx64-nvidia-cuda", listed, re.M)


def emulated_vs_cpu(tmp_path, gguf, kernels, *args, env=None, stderr=None,
                    tokens="1,403,407,261,378"):
    """Runs the CPU program (float dot products, as on GPUs) and the GPU
    program on the CPU emulator (with `env` added to its environment) on
    the prompt `tokens`; returns the ids and logits of both (and the GPU
    program's stderr in the list `stderr`)."""
    lc = tool("llama-compile")
    out = {}
    for name, flags in (("cpu", ["--int-dot=off"]),
                        ("gpu", ["--target=sm_90", f"--gpu-kernels={kernels}",
                                 "--gpu-emulate"])):
        exe = str(tmp_path / f"m-{name}")
        r = subprocess.run([lc, gguf, "-o", exe, "-O1", *flags, *args],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        logits = tmp_path / f"{name}.logits"
        r = subprocess.run([exe, "-m", gguf, "--tokens", tokens,
                            "-n", "8", "--temp", "0", "--ignore-eos",
                            "--print-ids", "--logits-out", str(logits)],
                           capture_output=True, text=True,
                           env={**os.environ, **(env or {})}
                           if name == "gpu" else None)
        assert r.returncode == 0, r.stderr
        if name == "gpu":
            assert "GPU: llama-mlir GPU emulator" in r.stderr, r.stderr
            if stderr is not None:
                stderr.append(r.stderr)
        out[name] = (r.stdout.split(), np.fromfile(logits, "<f4"))
    return out["cpu"], out["gpu"]


def assert_emulated_matches(cpu, gpu, tol=1e-3):
    (ids_cpu, logits_cpu), (ids_gpu, logits_gpu) = cpu, gpu
    assert ids_gpu == ids_cpu
    assert logits_gpu.shape == logits_cpu.shape and logits_cpu.size > 0
    # float32 sums in another order (measured: <= 1.6e-5 on logits ~17).
    err = float(np.abs(logits_gpu - logits_cpu).max())
    assert err <= tol, err


@pytest.mark.parametrize("kernels", ["thread", "warp"])
@pytest.mark.parametrize("wtype", TYPES)
def test_gpu_kernels_on_emulator_match_cpu(tmp_path, wtype, kernels):
    """Every kernel of both pipelines, for every weight type, run on the
    emulator: the CPU program's 8 greedy tokens and logits. (The warp
    pipeline's kernels were first run this way: on the H200 they were
    never checked apart from a missing wait.)"""
    if wtype != "q4_k_m":
        light_in_sanitized_build("one type of the emulated GPU sweep")
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", wtype,
               "--layers", "2")
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, kernels))


@pytest.mark.parametrize("dim,heads,kv_heads", [
    (512, 4, 4),    # head_dim 128, no GQA (Llama-2-7B's head shape)
    (256, 4, 1),    # head_dim 64, 4 query heads per KV head (TinyLlama's)
    (192, 4, 2)])   # head_dim 48: two dims per lane, the second ragged
def test_gpu_warp_attention_shapes_on_emulator(tmp_path, dim, heads,
                                               kv_heads):
    """The warp attention kernel puts the head dims over the lanes: head
    sizes above, below and not a multiple of the warp."""
    light_in_sanitized_build("attention shapes of the emulated GPU sweep")
    gguf = gen(str(tmp_path / "m.gguf"), "--type", "f16", "--layers", "2",
               "--dim", str(dim), "--heads", str(heads), "--kv-heads",
               str(kv_heads), "--hidden-dim", "256")
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, "warp"))


def warp_ptx(tmp_path, gguf, *args):
    """The PTX of the warp-kernel program of `gguf` (more flags: `args`)."""
    ptx = str(tmp_path / "m.ptx")
    r = subprocess.run([tool("llama-compile"), gguf, "--target=sm_90",
                        "--gpu-kernels=warp", "--emit=ptx", "-o", ptx, *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return open(ptx).read()


@pytest.mark.parametrize("wtype", ["f16", "q4_0", "q4_1", "q5_0", "q5_1",
                                   "q8_0", "q4_k", "q5_k", "q6_k"])
def test_gpu_warp_batched_loads_on_emulator(tmp_path, wtype):
    """Rows long enough for a decode step's loop of 4 units per step (f16
    pieces, 8-element parts of the quantized blocks; 1280- and
    2560-element rows: both that loop and the one-unit loop after it),
    whose kernels get `.minnctapersm`."""
    if wtype != "f16":
        light_in_sanitized_build("a type of the batched-loads GPU check")
    gguf = gen(str(tmp_path / "m.gguf"), "--type", wtype, "--layers", "1",
               "--dim", "1280", "--heads", "10", "--kv-heads", "5",
               "--hidden-dim", "2560")
    assert ".minnctapersm 4" in warp_ptx(tmp_path, gguf)
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, "warp"))


@pytest.mark.parametrize("wtype", ["f16", "q4_0", "q4_k", "q6_k"])
def test_gpu_prefill_gemm_on_emulator(tmp_path, wtype):
    """The prefill GEMM tiled in shared memory (the matmuls and gate/up of
    the tiny preset's rows, in tiles of 64): a prompt of 45 tokens, two
    token tiles of 32, the second partial, and more rows than one tile; the
    staging and the products between barriers."""
    if wtype != "q4_0":
        light_in_sanitized_build("a type of the prefill GEMM check")
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", wtype,
               "--layers", "1")
    assert re.search(r"\.shared \.align 16 \.b8 __wg_llama_prefill_kernel"
                     r"\w*\[8192\]", warp_ptx(tmp_path, gguf))
    prompt = ",".join(str(1 + (7 * i) % 500) for i in range(45))
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, "warp",
                                             tokens=prompt))


@pytest.mark.parametrize("wtype", ["f16", "q4_0", "q4_k", "bf16"])
def test_gpu_prefill_tensor_cores_on_emulator(tmp_path, wtype):
    """--gpu-tensor-cores: the prefill GEMM's tiles in f16 (high and low
    halves; F16 weights have no low half) and its products as mma.sync
    m16n8k16, which the emulator computes from the lanes' fragments as the
    PTX ISA lays them out. The same 45-token prompt as above; the logits
    within 1e-4 of the CPU's (measured <= 2.5e-5; f16 activations without
    their low half: 6.5e-3)."""
    if wtype != "q4_0":
        light_in_sanitized_build("a type of the tensor-core GEMM check")
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", wtype,
               "--layers", "1")
    ptx = warp_ptx(tmp_path, gguf, "--gpu-tensor-cores")
    assert "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32" in ptx
    # The weight tiles, 64 rows of 40 halves: the high half, and the low
    # half unless F16, per GEMM kernel.
    tiles = re.findall(r"\.shared \.align 16 \.b8 __wg_(llama_prefill_kernel"
                       r"_\d+)_\d+\[5120\]", ptx)
    per_kernel = {tiles.count(k) for k in tiles}
    assert per_kernel == ({1} if wtype == "f16" else {2}), tiles
    prompt = ",".join(str(1 + (7 * i) % 500) for i in range(45))
    assert_emulated_matches(*emulated_vs_cpu(
        tmp_path, gguf, "warp", "--gpu-tensor-cores", tokens=prompt),
        tol=1e-4)


@pytest.mark.parametrize("wtype", ["q4_0", "q8_0", "q6_k", "q4_k_m"])
def test_gpu_quantized_row_norms_on_emulator(tmp_path, wtype):
    """--gpu-quantized-row-norms: the decode norm scale computed by the
    quantized rows' warps (batched and remainder loops: 1280 elements)."""
    if wtype != "q4_0":
        light_in_sanitized_build("a type of the quantized row-norm check")
    gguf = gen(str(tmp_path / "m.gguf"), "--type", wtype, "--layers", "1",
               "--dim", "1280", "--heads", "10", "--kv-heads", "5",
               "--hidden-dim", "2560")
    assert_emulated_matches(*emulated_vs_cpu(
        tmp_path, gguf, "warp", "--gpu-quantized-row-norms"))


@pytest.mark.parametrize("kernels", ["thread", "warp"])
def test_gpu_kernels_on_emulator_stories260k(tmp_path, kernels):
    gguf = os.path.join(require_models(), "stories260K", "stories260K.gguf")
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, kernels))


def test_gpu_kernels_on_emulator_unfused(tmp_path):
    """The unfused kernels (separate norms, RoPE, SwiGLU, attention)."""
    light_in_sanitized_build("the unfused emulated GPU variant")
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "1")
    assert_emulated_matches(*emulated_vs_cpu(tmp_path, gguf, "warp",
                                             "--disable-fusion=all"))


def graph_stats(stderr):
    m = re.search(r"llama-mlir GPU graphs: (\d+) batches replayed, (\d+) "
                  r"graphs built, (\d+) kernel parameter updates, (\d+) "
                  r"batches launched kernel by kernel", stderr)
    assert m, stderr
    return tuple(int(g) for g in m.groups())


@pytest.mark.parametrize("kernels", ["thread", "warp"])
def test_gpu_graphs_on_emulator(tmp_path, kernels):
    """LLAMA_MLIR_GPU_GRAPHS=1: the launches between two waits recorded and
    replayed as a CUDA graph from the second time the same kernels come;
    the emulated graph runs its nodes with the arguments they were given
    (a node not updated after its arguments changed would run with the old
    ones: tried, logits off by 18). Same tokens and logits as the CPU."""
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "2")
    err = []
    assert_emulated_matches(*emulated_vs_cpu(
        tmp_path, gguf, kernels, env={"LLAMA_MLIR_GPU_GRAPHS": "1"},
        stderr=err))
    replayed, built, updates, direct = graph_stats(err[0])
    if kernels == "warp":
        # An evaluation is one batch: the prompt and the first decode step
        # launched kernel by kernel, the second built, the other 5 replayed
        # without new arguments (buffers come back at the same addresses).
        assert (replayed, built, updates, direct) == (5, 1, 0, 2)
    else:
        # Batches between the host loops; the same kernels with other
        # buffers get new arguments.
        assert replayed > 0 and built > 0 and updates > 0


def test_gpu_graphs_need_the_drivers_graph_api(tmp_path):
    """A driver without cuFuncGetParamInfo/cuGraph* (the fake one): the
    variable is ignored with a message, launches go one by one."""
    if have_driver():
        pytest.skip("an NVIDIA driver is installed here (bench/gpu.sh)")
    env = {**fake_driver(tmp_path), "LLAMA_MLIR_GPU_GRAPHS": "1"}
    gguf, exe = gpu_program(tmp_path, "--gpu-kernels=warp")
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n", "2",
                        "--print-ids", "--temp", "0", "--ignore-eos"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "LLAMA_MLIR_GPU_GRAPHS ignored: the driver lacks the graph API" \
        in r.stderr, r.stderr
    assert re.search(r"fake-cuda: [1-9]\d* launches", r.stderr), r.stderr


def test_gpu_profile_on_emulator(tmp_path):
    """LLAMA_MLIR_GPU_PROFILE=1: each launch timed (device events; host
    time on the emulator) and summed per kernel in a table at exit, whose
    launches add up to the total and whose kernels are the PTX's."""
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "q4_0",
               "--layers", "1")
    exe = str(tmp_path / "m-gpu")
    r = subprocess.run([tool("llama-compile"), gguf, "-o", exe, "-O1",
                        "--target=sm_90", "--gpu-kernels=warp",
                        "--gpu-emulate"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    ptx = compile_stage(gguf, "ptx", "sm_90", "--gpu-kernels=warp")
    entries = set(re.findall(r"^\.visible \.entry (\w+)\(", ptx, re.M))
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n", "3",
                        "--temp", "0", "--ignore-eos", "--print-ids"],
                       capture_output=True, text=True,
                       env={**os.environ, "LLAMA_MLIR_GPU_PROFILE": "1"})
    assert r.returncode == 0, r.stderr
    m = re.search(r"llama-mlir GPU profile: (\d+) launches, ([\d.]+) ms",
                  r.stderr)
    assert m, r.stderr
    rows = re.findall(r"^(\w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+"
                      r"(\d+)\s+(\d+)$", r.stderr, re.M)
    rows = [row for row in rows if row[0] != "kernel"]
    assert rows and {row[0] for row in rows} <= entries
    assert sum(int(row[1]) for row in rows) == int(m.group(1))
    assert abs(sum(float(row[2]) for row in rows) - float(m.group(2))) < 0.1
    # Longest first.
    totals = [float(row[2]) for row in rows]
    assert totals == sorted(totals, reverse=True)
    # Without the variable: no table.
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2,3", "-n", "1",
                        "--temp", "0", "--print-ids"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "GPU profile" not in r.stderr


def test_gpu_program_refuses_weights_aligned_below_16(tmp_path):
    """The kernels read f32/f16/bf16 rows with 16-byte loads: a file whose
    general.alignment is below 16 gets a clear error, not a misaligned
    access on the GPU; the CPU program runs it."""
    gguf = gen(str(tmp_path / "m.gguf"), "--preset", "tiny", "--type", "f16",
               "--layers", "1", "--alignment", "8")
    exe = str(tmp_path / "m-gpu")
    r = subprocess.run([tool("llama-compile"), gguf, "-o", exe, "-O1",
                        "--target=sm_90", "--gpu-kernels=warp",
                        "--gpu-emulate"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([exe, "-m", gguf, "--tokens", "1,2", "-n", "1",
                        "--print-ids"], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert f"{gguf}: general.alignment is 8; GPU programs need tensors " \
        "aligned to 16 bytes" in r.stderr
    cpu = str(tmp_path / "m-cpu")
    r = subprocess.run([tool("llama-compile"), gguf, "-o", cpu, "-O1"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([cpu, "-m", gguf, "--tokens", "1,2", "-n", "1",
                        "--print-ids"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
