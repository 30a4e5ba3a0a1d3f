"""Hostile GGUF cases, part 2: tensor infos (offsets, dimensions, types,
names) and tensors that do not fit the model. Registered with
hostile_case.case(); hostile_gguf.py collects them.
"""

import copy
import struct

from gguf_edit import *  # noqa: F401,F403 (the writer's types and helpers)
from hostile_case import case, emitted, with_tensor


# -- tensor infos --------------------------------------------------------------------

Q, K = "blk.0.attn_q.weight", "blk.0.attn_k.weight"


def _offset(name, fn, write=True):
    """Moves tensor `name` to offset fn(tensor, model); write=False: its
    data is not written (so that the data section keeps its size)."""
    def move(t, g):
        t.offset = fn(t, g)
        if not write:
            t.data = b""
    return with_tensor(name, move, freeze=True)


def _end(g):
    return max(off + len(t.data) for t, off in zip(g.tensors, g.offsets()))


case("tensor_offset_misaligned", "format", _offset(Q, lambda t, g: t.offset + 4),
     mention="alignment")
case("tensor_offset_past_end", "format",
     _offset(Q, lambda t, g: align_up(_end(g), 32), write=False),
     mention="outside")
case("tensor_offset_straddles_end", "format",
     _offset("blk.0.ffn_down.weight", lambda t, g: t.offset + 32,
             write=False),
     mention="outside")
case("tensor_offset_2p63", "format", _offset(Q, lambda t, g: 2**63),
     mention=("outside", "overflow"))
case("tensor_offset_u64max_aligned", "format",
     _offset(Q, lambda t, g: 2**64 - 32), mention=("overflow", "outside"))
case("tensors_overlap_same_offset", "format",
     _offset(K, lambda t, g: g.tensor(Q).offset), mention="overlap")
case("tensors_overlap_partial", "format",
     _offset(K, lambda t, g: g.tensor(Q).offset + 4096), mention="overlap")


def _dims(name, ne, n_dims=None, ggml_type=None, data=None):
    def fn(t, g):
        t.ne = list(ne)
        t.n_dims = n_dims
        if ggml_type is not None:
            t.ggml_type = ggml_type
        if data is not None:
            t.data = data
    return with_tensor(name, fn, freeze=data is None)


case("dims_overflow_2p32_x_2p32", "format", _dims(Q, [2**32, 2**32]),
     mention="overflow")
case("dims_product_2p63", "format", _dims(Q, [2**31, 2**31, 2]),
     mention="overflow")
case("dims_bytes_overflow", "format", _dims(Q, [2**62]),
     mention="overflow")
case("dims_huge_within_63_bits", "format", _dims(Q, [2**20, 2**20, 2**20]),
     mention=("outside", "overflow"))
case("dim_zero", "format", _dims(Q, [0, 256]), mention="dimension")
case("dim_2p63", "format", _dims(Q, [2**63, 1]), mention="dimension")
case("n_dims_0", "format", _dims(Q, []), mention="n_dims")
case("n_dims_5", "format", _dims(Q, [256, 256, 1, 1, 1]), mention="n_dims")
case("n_dims_2p31", "format", _dims(Q, [256, 256], n_dims=2**31),
     mention="n_dims")
for name, tid in [("retired_4", 4), ("retired_31", 31), ("retired_36", 36),
                  ("99", 99), ("2p31", 2**31), ("u32max", 2**32 - 1)]:
    case(f"ggml_type_{name}", "format",
         with_tensor(Q, lambda t, g, tid=tid: setattr(t, "ggml_type", tid),
                     freeze=True),
         mention="ggml_type")
# Types of the format that llama-mlir does not decode (yet): a valid file,
# refused by name ("q2_k (10)") by every tool that would decode the tensor.
for name, tid in [("q8_k", 15), ("iq2_xxs", 16),
                  ("iq4_nl", 20), ("iq4_xs", 23), ("i8", 24), ("tq2_0", 35)]:
    case(f"ggml_type_{name}", "type",
         with_tensor(Q, lambda t, g, tid=tid: setattr(t, "ggml_type", tid),
                     freeze=True),
         mention=f"{name} ({tid})")
case("undecoded_type_in_unused_tensor", "odd",
     emitted(lambda g: g.tensors.append(
         Tensor("extra.iq4_xs.weight", [256, 2], 23, bytes(2 * 136)))),
     why="a tensor the model does not use may have any type of the format",
     valid=True)
case("tensor_name_with_newline_bad_type", "format",
     emitted(lambda g: g.tensors.append(Tensor("hostile\ntensor", [32], 99))),
     mention="ggml_type")
case("tensor_name_length_2p63", "format",
     with_tensor(Q, lambda t, g: setattr(t, "name", RawStr(2**63, b"blk"))),
     mention=("length", "exceeds"))
case("row_not_multiple_of_block", "format",
     emitted(lambda g: g.tensors.append(
         Tensor("hostile.weight", [48, 2], Q8_0_T, bytes(2 * 2 * 34)))),
     mention="multiple")
case("duplicate_tensor_name", "format",
     emitted(lambda g: g.tensors.append(copy.deepcopy(g.tensor(Q)))),
     mention=("more than once", "duplicate"))

# -- tensors against the model ---------------------------------------------------------

case("attn_q_wrong_shape", "model",
     _dims(Q, [256, 128], data=bytes(256 * 128 * 4)), mention="attn_q")
case("attn_q_3d", "model", _dims(Q, [256, 256, 1]), mention="attn_q")
case("token_embd_transposed", "model", _dims("token_embd.weight", [512, 256]),
     mention="token_embd")
case("missing_ffn_down", "model",
     emitted(lambda g: g.drop_tensor("blk.0.ffn_down.weight")),
     mention="ffn_down")
case("missing_attn_q", "model", emitted(lambda g: g.drop_tensor(Q)),
     mention="attn_q")
case("missing_output_weight", "bind",
     emitted(lambda g: g.drop_tensor("output.weight")), mention="output.weight",
     why="without output.weight the model is valid with a tied output")
case("attn_q_as_f16", "bind",
     _dims(Q, [256, 256], ggml_type=F16_T, data=b"\0\x3c" * (256 * 256)),
     why="a valid model whose attn_q is f16", mention="attn_q")
case("attn_q_as_q8_0", "bind",
     _dims(Q, [256, 256], ggml_type=Q8_0_T,
           data=(b"\0\x3c" + bytes(32)) * (256 * 8)),
     why="a valid model whose attn_q is q8_0", mention="attn_q")
case("attn_norm_quantized", "model",
     _dims("blk.0.attn_norm.weight", [256], ggml_type=Q8_0_T,
           data=(b"\0\x3c" + bytes(32)) * 8),
     tensor="blk.0.attn_norm.weight", mention="attn_norm")
case("extra_unknown_tensor", "odd",
     emitted(lambda g: g.tensors.append(
         Tensor("hostile.extra", [32, 4], F32_T, bytes(512)))),
     tensor="hostile.extra", valid=True,
     why="tensors the model does not use are ignored")
case("tensor_name_empty", "odd",
     emitted(lambda g: g.tensors.append(Tensor("", [32], F32_T, bytes(128)))),
     why="an unused tensor with an empty name is odd but harmless")
case("output_weight_nan", "odd",
     with_tensor("output.weight",
                 lambda t, g: setattr(t, "data", struct.pack("<f", NAN) *
                                      (len(t.data) // 4))),
     tensor="output.weight", text=True,
     why="weights are data: NaN logits must not break the sampler")
case("token_embd_inf", "odd",
     with_tensor("token_embd.weight",
                 lambda t, g: setattr(t, "data", struct.pack("<f", INF) *
                                      (len(t.data) // 4))),
     tensor="token_embd.weight", text=True,
     why="weights are data: infinite activations must not break the program")
