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
config.excludes.append("Inputs")
