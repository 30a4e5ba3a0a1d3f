"""The numpy reference reproduces llama.cpp's greedy decodes of stories260K."""

import json
import os

import numpy as np
import pytest

from conftest import require_models
from llama_ref.model import Model, greedy


def _golden(n):
    d = os.path.join(require_models(), "stories260K")
    with open(os.path.join(d, f"golden_{n}.json")) as f:
        g = json.load(f)
    logits = np.fromfile(os.path.join(d, g["logits_file"]), dtype="<f4")
    return d, g, logits.reshape(g["logits_rows"], g["n_vocab"])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_golden_ids_and_logits(n):
    d, g, gold = _golden(n)
    model = Model(os.path.join(d, "stories260K.gguf"))
    ids, logits = greedy(model, g["prompt_ids"], len(g["generated_ids"]))
    assert ids == g["generated_ids"]
    assert logits.shape == gold.shape
    err = np.abs(logits - gold).max()
    assert err <= 1e-3, f"max |dlogit| = {err}"


def test_token_by_token_prefill_matches_batched():
    d, g, _ = _golden(1)
    path = os.path.join(d, "stories260K.gguf")
    prompt = g["prompt_ids"]
    _, a = greedy(Model(path), prompt, 4, batch_prompt=True)
    _, b = greedy(Model(path), prompt, 4, batch_prompt=False)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_hparams_of_stories260k():
    d, _, _ = _golden(1)
    hp = Model(os.path.join(d, "stories260K.gguf")).hp
    assert (hp.dim, hp.hidden_dim, hp.n_layers) == (64, 172, 5)
    assert (hp.n_heads, hp.n_kv_heads, hp.head_dim) == (8, 4, 8)
    assert (hp.n_vocab, hp.n_ctx, hp.theta) == (512, 128, 10000.0)
