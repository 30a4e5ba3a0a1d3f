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
    if not os.path.isdir(MODELS):
        pytest.skip(f"shared models not found at {MODELS}")
    return MODELS
