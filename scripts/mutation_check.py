#!/usr/bin/env python3
"""A standing mutation check: plant each small bug of MUTATIONS in the source,
rebuild incrementally, run the tests that should see it, and report whether
they did ("caught") or not ("survived"). The source is restored after every
mutation (also on Ctrl-C) and rebuilt at the end.

    scripts/mutation-check.sh [NAME ...]    # all mutations, or the named ones

Every mutation must be caught: the script exits 1 if one survives (or no
longer applies because the code moved: then update its text here). It needs
a configured normal build ($BUILD_DIR, default build/) and ../shared/models.
Each entry names one area: stop rules, samplers, the norm, RoPE, attention,
decoders (runtime, compiler and the numpy reference), the GGUF reader's
bounds, the tokenizer, prompt reads, context arithmetic.
"""

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
SHARED = os.environ.get("LLAMA_MLIR_SHARED_DIR",
                        os.path.join(ROOT, "..", "shared"))


def pytest(*args):
    return ["pytest", *args]


def ctest(regex):
    return ["ctest", regex]


# name, file, [(old, new), ...], tests. `old` must occur exactly once.
MUTATIONS = [
    ("eos-never-stops", "runtime/program/Program.cpp",
     [("if (next == eos && !o.ignoreEos) {",
       "if (next == eos && false) {")],
     pytest("test_stop_and_sampling.py", "-k", "eos")),
    ("min-p-ignored", "runtime/core/Sampler.cpp",
     [("    minP(c, params_.minP);\n", "")],
     pytest("test_stop_and_sampling.py", "-k", "truncation")),
    ("top-p-ignored", "runtime/core/Sampler.cpp",
     [("    if (cum >= p) {", "    if (cum >= p + 2.0) {")],
     pytest("test_stop_and_sampling.py", "-k", "truncation")),
    ("top-k-ignored", "runtime/core/Sampler.cpp",
     [("  c.resize(static_cast<size_t>(k));", "")],
     pytest("test_stop_and_sampling.py", "-k", "truncation")),
    ("repeat-window-unbounded", "runtime/core/Sampler.cpp",
     [("  while (recent_.size() > keep)",
       "  while (recent_.size() > keep + 1000000)")],
     pytest("test_stop_and_sampling.py", "-k", "repeat")),
    ("rmsnorm-without-epsilon", "lib/Transforms/LowerToLoops.cpp",
     [("arith::AddFOp::create(b, e.loc, mean, epsV)));",
       "arith::AddFOp::create(b, e.loc, mean, e.f32(0.0))));")],
     pytest("test_compiled.py", "-k", "attention_shapes")),
    ("partial-rope-spans-head-dim", "lib/Transforms/LowerToLoops.cpp",
     [("e.idx(nRot));", "e.idx(hd));")],
     pytest("test_compiled.py", "-k", "attention_shapes")),
    ("attention-sees-one-row-ahead", "lib/Transforms/LowerToLoops.cpp",
     [("return {s, g, arith::AddIOp::create(b, e.loc, p, e.idx(1))};",
       "return {s, g, arith::AddIOp::create(b, e.loc, p, e.idx(2))};")],
     pytest("test_compiled.py", "-k", "goldens")),
    ("q4_k-scale-min-swapped-both-sides", "runtime/gguf/Quant.cpp",
     [("    *sc = s[j] & 63;\n    *m = s[j + 4] & 63;",
       "    *m = s[j] & 63;\n    *sc = s[j + 4] & 63;"),
      ("    s[j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);\n"
       "    s[j + 4] = (mn[j] & 63) | ((mn[j + 4] >> 4) << 6);",
       "    s[j + 4] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6);\n"
       "    s[j] = (mn[j] & 63) | ((mn[j + 4] >> 4) << 6);")],
     pytest("test_handmade_blocks.py", "-k", "q4_k")),
    ("q6_k-runtime-high-bits", "runtime/gguf/Quant.cpp",
     [("(((H[l] >> 2) & 3) << 4)", "(((H[l] >> 4) & 3) << 4)")],
     pytest("test_handmade_blocks.py", "-k", "q6_k")),
    ("q5-compiler-high-bit", "lib/Transforms/Dequant.cpp",
     [("Value bitLo = v.andv(arith::ShRUIOp::create(b, loc, qh, lanes), 1, 16);",
       "Value bitLo = v.andv(arith::ShRUIOp::create(b, loc, qh, lanes), 3, 16);")],
     pytest("test_handmade_blocks.py", "-k", "q5")),
    ("q4_1-compiler-min-scaled-by-d", "lib/Transforms/Dequant.cpp",
     [("v.splatF(k.f16At(2), 16), acc);", "v.splatF(k.f16At(0), 16), acc);")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q4_1")),
    ("q8_0-compiler-dot-quants-one-byte-late", "lib/Transforms/Dequant.cpp",
     [("v.halves(v.sbytesF(2, 32));\n    // acc += d",
       "v.halves(v.sbytesF(3, 32));\n    // acc += d")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q8_0")),
    ("q8_0-compiler-block-quants-one-byte-late", "lib/Transforms/Dequant.cpp",
     [("v.halves(v.sbytesF(2, 32));\n    pieces.push_back",
       "v.halves(v.sbytesF(3, 32));\n    pieces.push_back")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q8_0")),
    ("q4_1-runtime-min-subtracted", "runtime/gguf/Quant.cpp",
     [("dst[j] = static_cast<float>(src[4 + j] & 0xF) * d + m;",
       "dst[j] = static_cast<float>(src[4 + j] & 0xF) * d - m;")],
     pytest("test_handmade_blocks.py", "-k", "runtime and q4_1")),
    ("temperature-multiplies", "runtime/core/Sampler.cpp",
     [("    x.logit /= t;", "    x.logit *= t;")],
     ctest("Sampler")),
    ("q4_k-compiler-high-scale-bits", "lib/Transforms/Dequant.cpp",
     [("  Value hiSc = pick({0, 1, 2, 3, 0, 1, 2, 3});",
       "  Value hiSc = pick({4, 5, 6, 7, 4, 5, 6, 7});")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q4_k")),
    ("q4_0-compiler-offset", "lib/Transforms/Dequant.cpp",
     [("    lo = v.subv(lo, five ? 16 : 8, 16);",
       "    lo = v.subv(lo, five ? 16 : 7, 16);")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q4_0")),
    ("q6_k-compiler-high-bits", "lib/Transforms/Dequant.cpp",
     [("Value hi = v.andv(v.shrv(qh, 2 * p, 32), 3, 32);",
       "Value hi = v.andv(v.shrv(qh, p, 32), 3, 32);")],
     pytest("test_handmade_blocks.py", "-k", "compiled and q6_k")),
    ("bf16-compiler-shift", "lib/Transforms/Dequant.cpp",
     [("b, loc, DenseElementsAttr::get(i32v, b.getI32IntegerAttr(16))));",
       "b, loc, DenseElementsAttr::get(i32v, b.getI32IntegerAttr(15))));")],
     pytest("test_handmade_blocks.py", "-k", "compiled and bf16")),
    ("numpy-reference-q4_k-high-scale-bits", "python/llama_ref/quant.py",
     [("        sc[:, j] = (s[:, j + 4] & 0xF) | ((s[:, j - 4] >> 6) << 4)",
       "        sc[:, j] = (s[:, j + 4] & 0xF) | ((s[:, j] >> 6) << 4)")],
     pytest("test_handmade_blocks.py", "-k", "runtime and q4_k")),
    ("gguf-data-past-the-end", "runtime/gguf/GGUFParser.cpp",
     [("    if (end > dataSize)", "    if (end > dataSize + 4096)")],
     ctest("GGUF")),
    ("tokenizer-merges-lowest-first", "runtime/core/Tokenizer.cpp",
     [("return score < o.score ||", "return score > o.score ||")],
     ctest("Tokenizer")),
    ("n-one-short-of-the-context", "runtime/program/Program.cpp",
     [("o.nPredict < 0 ? room + 1 : std::min<long long>(o.nPredict, room + 1);",
       "o.nPredict < 0 ? room : std::min<long long>(o.nPredict, room + 1);")],
     pytest("test_hardening.py", "-k", "n_minus_one")),
    ("prompt-read-unbounded", "runtime/core/FileIO.cpp",
     [("    if (n > 0 && out.size() + n > limit) {", "    if (false) {")],
     pytest("test_hardening.py", "-k", "bounded")),
]


def build():
    r = subprocess.run(["ninja", "-C", BUILD], capture_output=True, text=True)
    return r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def run_tests(spec):
    env = dict(os.environ, LLAMA_MLIR_BUILD_DIR=BUILD,
               LLAMA_MLIR_SHARED_DIR=SHARED)
    if spec[0] == "pytest":
        cmd = ["/usr/bin/python3", "-m", "pytest", "-q", "-x",
               "-p", "no:cacheprovider", *spec[1:]]
        cwd = os.path.join(ROOT, "python", "tests")
    else:
        cmd = ["ctest", "-R", spec[1], "--output-on-failure"]
        cwd = BUILD
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr)[-1500:]


def main(names):
    todo = [m for m in MUTATIONS if not names or m[0] in names]
    if names and len(todo) != len(names):
        sys.exit(f"mutation-check: unknown names: "
                 f"{sorted(set(names) - {m[0] for m in MUTATIONS})}")
    ok, log = build()
    if not ok:
        sys.exit("mutation-check: the unmutated tree does not build:\n" + log)
    results, start = [], time.time()
    for name, rel, edits, tests in todo:
        path = os.path.join(ROOT, rel)
        original = open(path).read()
        text, verdict = original, None
        for old, new in edits:
            if text.count(old) != 1:
                verdict = f"stale (the text to mutate occurs " \
                          f"{text.count(old)} times in {rel})"
                break
            text = text.replace(old, new)
        t0 = time.time()
        if verdict is None:
            try:
                open(path, "w").write(text)
                ok, log = build()
                if not ok:
                    verdict = "caught (does not build)"
                else:
                    rc, out = run_tests(tests)
                    verdict = "caught" if rc != 0 else "SURVIVED"
                    # Tests that did not run (none selected, all skipped)
                    # prove nothing either way.
                    ran = (" passed" in out or " failed" in out) \
                        if tests[0] == "pytest" else "tests passed" in out
                    if rc == 5 or not ran or "No tests were found" in out:
                        verdict = "stale (its tests did not run)"
            finally:
                open(path, "w").write(original)
        results.append((name, verdict, time.time() - t0))
        print(f"mutation-check: {name}: {verdict} ({time.time() - t0:.0f} s)",
              flush=True)
    ok, log = build()
    if not ok:
        print("mutation-check: the restored tree does not build:\n" + log)
        return 1
    bad = [n for n, v, _ in results if not v.startswith("caught")]
    print(f"mutation-check: {len(results) - len(bad)} of {len(results)} "
          f"caught in {time.time() - start:.0f} s"
          + (f"; not caught: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
