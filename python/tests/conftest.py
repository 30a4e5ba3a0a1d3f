"""pytest configuration: make llama_ref importable and locate shared/."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SHARED = os.environ.get(
    "LLAMA_MLIR_SHARED_DIR",
    os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared"))
MODELS = os.path.join(SHARED, "models")


def require_models():
    """The shared models, or a skip with the reason where they are absent
    (outside this project's machines). In CI (the CI variable set) they are
    always there: their absence fails the test instead of letting golden and
    tokenizer checks pass silently."""
    if not os.path.isdir(MODELS):
        if os.environ.get("CI"):
            pytest.fail(f"shared models not found at {MODELS}; CI has them "
                        "(LLAMA_MLIR_SHARED_DIR?)")
        pytest.skip(f"shared models not found at {MODELS}")
    return MODELS


@pytest.fixture(scope="session")
def stories_exe(tmp_path_factory):
    """stories260K and its program, compiled once for the whole session:
    (gguf path, program path)."""
    from test_compiled import compile_model  # (test_compiled imports us)
    gguf = os.path.join(require_models(), "stories260K", "stories260K.gguf")
    exe = str(tmp_path_factory.mktemp("stories") / "stories260k")
    compile_model(gguf, exe)
    return gguf, exe
