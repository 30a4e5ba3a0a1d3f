# -*- Python -*-
# lit configuration of the llama-mlir regression tests (test/ mirrors lib/).

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "llama-mlir"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.llama_mlir_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["llama-opt", "llama-compile", "llama-gguf", "mlir-opt"],
    [config.llama_mlir_tools_dir, config.llvm_tools_dir])

# FileCheck with --enable-var-scope everywhere (MLIR Testing Guide).
config.substitutions.append(
    ("FileCheck", "FileCheck --enable-var-scope"))

if os.path.isdir(os.path.join(config.llama_mlir_shared_dir, "models")):
    config.available_features.add("shared-models")
config.substitutions.append(("%shared", config.llama_mlir_shared_dir))

# CPU features of this machine, for execution tests of target instructions.
try:
    with open("/proc/cpuinfo") as _f:
        _cpu_flags = set(_f.read().split())
except OSError:
    _cpu_flags = set()
if "avx2" in _cpu_flags:
    config.available_features.add("cpu-avx2")
config.excludes.append("Inputs")

# mlir-runner and its support libraries (Debian mlir-22-tools) for the
# execution tests in test/Integration.
_libdir = os.path.join(os.path.dirname(config.llvm_tools_dir), "lib")
_runner = os.path.join(config.llvm_tools_dir, "mlir-runner")
_utils = os.path.join(_libdir, "libmlir_runner_utils.so")
_cutils = os.path.join(_libdir, "libmlir_c_runner_utils.so")
if all(os.path.exists(p) for p in (_runner, _utils, _cutils)):
    config.available_features.add("mlir-runner")
    config.substitutions.append(("%mlir_runner_utils", _utils))
    config.substitutions.append(("%mlir_c_runner_utils", _cutils))
llvm_config.add_tool_substitutions(["mlir-runner"], [config.llvm_tools_dir])
config.substitutions.append(
    ("%llama_opt", os.path.join(config.llama_mlir_tools_dir, "llama-opt")))
config.substitutions.append(
    ("%llama_gguf", os.path.join(config.llama_mlir_tools_dir, "llama-gguf")))
config.substitutions.append(("%mlir_runner", _runner))
