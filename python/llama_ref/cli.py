"""Command line of the numpy reference: greedy decoding of a GGUF model.

    python3 -m llama_ref MODEL.gguf --tokens 1,403,407 -n 16 \
        [--logits-out FILE] [--token-by-token] [--f32]

Prints the generated token ids, space-separated, on stdout; --logits-out
writes the float32 logits of every fed token (rows of n_vocab), the layout of
shared/models/stories260K/golden_*.logits.f32.
"""

import argparse
import sys

import numpy as np

from .gguf import GGUFError
from .model import Model, greedy


def main(argv=None):
    ap = argparse.ArgumentParser(prog="llama_ref", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="GGUF file of a Llama-architecture model")
    ap.add_argument("--tokens", required=True,
                    help="prompt token ids, comma-separated (BOS included)")
    ap.add_argument("-n", "--n-predict", type=int, default=16)
    ap.add_argument("-c", "--ctx", type=int, default=None,
                    help="context length (default: the model's)")
    ap.add_argument("--logits-out", help="write float32 logits here")
    ap.add_argument("--token-by-token", action="store_true",
                    help="feed the prompt one token at a time")
    ap.add_argument("--f32", action="store_true",
                    help="compute in float32 instead of float64")
    args = ap.parse_args(argv)
    try:
        tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    except ValueError:
        ap.error(f"--tokens: expected comma-separated integers, got '{args.tokens}'")
    if not tokens:
        ap.error("--tokens: at least one token is needed")
    try:
        model = Model(args.model, np.float32 if args.f32 else np.float64, args.ctx)
    except (GGUFError, KeyError, ValueError, OSError) as e:
        print(f"llama_ref: {e}", file=sys.stderr)
        return 1
    bad = [t for t in tokens if not 0 <= t < model.hp.n_vocab]
    if bad:
        print(f"llama_ref: token id {bad[0]} is outside the vocabulary "
              f"[0, {model.hp.n_vocab})", file=sys.stderr)
        return 1
    if len(tokens) > model.n_ctx:
        print(f"llama_ref: {len(tokens)} prompt tokens exceed the context "
              f"of {model.n_ctx}", file=sys.stderr)
        return 1
    n = min(args.n_predict, model.n_ctx - len(tokens) + 1)
    ids, logits = greedy(model, tokens, n, batch_prompt=not args.token_by_token)
    print(" ".join(map(str, ids)))
    if args.logits_out:
        logits.astype("<f4").tofile(args.logits_out)
    return 0
