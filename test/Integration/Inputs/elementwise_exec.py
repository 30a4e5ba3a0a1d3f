"""Execution test of llama-lower-to-linalg against the numpy reference.

`gen` prints an MLIR module whose @main applies llama.rope and llama.swiglu
to fixed pseudo-random inputs and prints the results with printMemrefF32;
`check OUTPUT` parses what the compiled module printed and compares it with
llama_ref.ops (an independent implementation) within a stated tolerance.
"""

import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                "python"))
from llama_ref import ops  # noqa: E402

SEQ, HEADS, HEAD_DIM, N_ROT, THETA = 3, 2, 10, 6, 10000.0
POS = [0, 7, 100]
HIDDEN = 13
TOL = 2e-5  # float32 math (libm sin/cos/exp) vs the float64 reference

rng = np.random.default_rng(11)
X = rng.standard_normal((SEQ, HEADS, HEAD_DIM)).astype(np.float32)
G = (3 * rng.standard_normal((SEQ, HIDDEN))).astype(np.float32)
U = rng.standard_normal((SEQ, HIDDEN)).astype(np.float32)


def dense(a):
    return "dense<" + np.array2string(
        a, separator=", ", threshold=1 << 30, floatmode="unique",
        max_line_width=1 << 30).replace("\n", "") + ">"


def tensor_type(shape, elt="f32"):
    return "tensor<" + "x".join(map(str, shape)) + "x" + elt + ">"


def gen():
    xt, pt = tensor_type(X.shape), tensor_type((SEQ,), "i32")
    xd = "tensor<?x%dx%dxf32>" % (HEADS, HEAD_DIM)
    gt, gd = tensor_type(G.shape), "tensor<?x%dxf32>" % HIDDEN
    print(f"""
func.func private @printMemrefF32(memref<*xf32>)

func.func @rope(%x: {xd}, %p: tensor<?xi32>) -> {xd} {{
  %y = llama.rope %x, %p {{n_rot = {N_ROT} : i64, theta = {THETA} : f32}} : ({xd}, tensor<?xi32>) -> {xd}
  return %y : {xd}
}}

func.func @swiglu(%g: {gd}, %u: {gd}) -> {gd} {{
  %h = llama.swiglu %g, %u : ({gd}, {gd}) -> {gd}
  return %h : {gd}
}}

func.func @main() {{
  %x = arith.constant {dense(X)} : {xt}
  %p = arith.constant dense<{POS}> : {pt}
  %g = arith.constant {dense(G)} : {gt}
  %u = arith.constant {dense(U)} : {gt}
  %xd = tensor.cast %x : {xt} to {xd}
  %pd = tensor.cast %p : {pt} to tensor<?xi32>
  %y = call @rope(%xd, %pd) : ({xd}, tensor<?xi32>) -> {xd}
  %ym = bufferization.to_buffer %y : {xd} to memref<?x{HEADS}x{HEAD_DIM}xf32>
  %yu = memref.cast %ym : memref<?x{HEADS}x{HEAD_DIM}xf32> to memref<*xf32>
  call @printMemrefF32(%yu) : (memref<*xf32>) -> ()
  %gd = tensor.cast %g : {gt} to {gd}
  %ud = tensor.cast %u : {gt} to {gd}
  %h = call @swiglu(%gd, %ud) : ({gd}, {gd}) -> {gd}
  %hm = bufferization.to_buffer %h : {gd} to memref<?x{HIDDEN}xf32>
  %hu = memref.cast %hm : memref<?x{HIDDEN}xf32> to memref<*xf32>
  call @printMemrefF32(%hu) : (memref<*xf32>) -> ()
  return
}}""")


def check(path):
    text = open(path).read()
    blocks = text.split("Unranked Memref")[1:]
    assert len(blocks) == 2, f"expected 2 printed memrefs, got {len(blocks)}"
    got = [np.array([float(v) for v in re.findall(
        r"[-+]?(?:\d+\.?\d*(?:e[-+]?\d+)?|nan|inf)", b.split("data =")[1])])
        for b in blocks]
    want = [ops.rope(X.astype(np.float64), POS, N_ROT, THETA).ravel(),
            ops.swiglu(G.astype(np.float64), U.astype(np.float64)).ravel()]
    for name, g, w in zip(("rope", "swiglu"), got, want):
        assert g.shape == w.shape, f"{name}: {g.shape} vs {w.shape}"
        err = np.abs(g - w).max()
        print(f"{name}: max |error| {err:.3g} (tolerance {TOL})")
        assert err <= TOL, f"{name}: max |error| {err} > {TOL}"
    print("PASS")


if __name__ == "__main__":
    gen() if sys.argv[1] == "gen" else check(sys.argv[2])
