"""Rewrites two u32 metadata values of a GGUF file in place (same sizes), to
make a structurally valid file that is not a valid Llama model:
head_count_kv = 3 (8 heads are not divisible) and bos_token_id = 9999."""

import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
for key, value in ((b"llama.attention.head_count_kv", 3),
                   (b"tokenizer.ggml.bos_token_id", 9999)):
    needle = struct.pack("<Q", len(key)) + key + struct.pack("<I", 4)
    at = data.index(needle) + len(needle)
    data[at:at + 4] = struct.pack("<I", value)
open(dst, "wb").write(data)
