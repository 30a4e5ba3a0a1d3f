"""llama_ref: an independent numpy reference for llama-mlir.

A GGUF reader with dequantization (gguf.py), quantizers (quant.py), the
Llama-2 operations (ops.py), a plain forward pass with a KV cache (model.py)
and a greedy-decoding CLI (cli.py). Written for clarity, not speed, and
sharing no code with the C++ implementation, so that each checks the other.
"""
