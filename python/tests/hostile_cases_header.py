"""Hostile GGUF cases, part 1: the header and the key/value section (keys,
types, lengths, the model's hyperparameters, the tokenizer). Registered
with hostile_case.case(); hostile_gguf.py collects them.
"""

import copy
import struct

from gguf_edit import *  # noqa: F401,F403 (the writer's types and helpers)
from hostile_case import (case, drop_kv, emitted, nested, set_kv, tokens,
                          truncated)


# -- header -------------------------------------------------------------------

def _magic(m):
    return emitted(lambda g: setattr(g, "magic", m))


case("bad_magic_ggml", "format", _magic(b"GGML"), mention="magic")
case("bad_magic_byteswapped", "format", _magic(b"FUGG"), mention="magic")
case("bad_magic_zero", "format", _magic(b"\0\0\0\0"), mention="magic")
for v, vname in ((0, "0"), (1, "1"), (4, "4"), (2**32 - 1, "u32max")):
    case(f"version_{vname}", "format",
         emitted(lambda g, v=v: setattr(g, "version", v)), mention="version")
case("version_2", "odd", emitted(lambda g: setattr(g, "version", 2)),
     why="GGUF v2 has v3's layout for little-endian files", valid=True)
case("tensor_count_2p63", "format",
     emitted(lambda g: setattr(g, "n_tensors", 2**63)), mention="tensor count")
case("tensor_count_u64max", "format",
     emitted(lambda g: setattr(g, "n_tensors", 2**64 - 1)),
     mention="tensor count")
case("kv_count_2p63", "format", emitted(lambda g: setattr(g, "n_kv", 2**63)),
     mention="metadata count")
case("kv_count_u64max", "format",
     emitted(lambda g: setattr(g, "n_kv", 2**64 - 1)), mention="metadata count")
case("kv_count_plus_1", "format",
     emitted(lambda g: setattr(g, "n_kv", len(g.kvs) + 1)))
case("kv_count_minus_1", "format",
     emitted(lambda g: setattr(g, "n_kv", len(g.kvs) - 1)))
case("kv_count_0", "format", emitted(lambda g: setattr(g, "n_kv", 0)))
case("tensor_count_plus_1", "format",
     emitted(lambda g: setattr(g, "n_tensors", len(g.tensors) + 1)))
# One tensor info fewer: what remains is a well-formed file whose last
# tensor info sits in the padding; the model then lacks blk.0.ffn_down.
case("tensor_count_minus_1", "model",
     emitted(lambda g: setattr(g, "n_tensors", len(g.tensors) - 1)),
     mention="ffn_down")
case("tensor_count_0", "model", emitted(lambda g: setattr(g, "n_tensors", 0)),
     mention=("missing", "tensor"))
case("trailing_garbage", "odd",
     emitted(lambda g: setattr(g, "tail", b"\xde\xad\xbe\xef" * 1000)),
     why="bytes after the last tensor's data are not covered by the format")

# -- truncations ----------------------------------------------------------------

TRUNCATIONS = {
    "empty": lambda m, n: 0,
    "in_magic": lambda m, n: 2,
    "in_version": lambda m, n: 6,
    "in_tensor_count": lambda m, n: 12,
    "in_kv_count": lambda m, n: 20,
    "after_header": lambda m, n: 24,
    "in_first_key_length": lambda m, n: 28,
    "in_first_key": lambda m, n: m["kv:general.architecture"] + 8 + 5,
    "in_value_type": lambda m, n: m["kv:general.architecture:type"] + 2,
    "in_string_value": lambda m, n: m["kv:general.architecture:value"] + 10,
    "in_tokens_array": lambda m, n: m["kv:tokenizer.ggml.tokens:value"] + 1000,
    "in_scores_array": lambda m, n: m["kv:tokenizer.ggml.scores:value"] + 1001,
    "in_bool_value": lambda m, n: m["kv:tokenizer.ggml.add_bos_token:value"],
    "at_tensor_infos": lambda m, n: m["ti:token_embd.weight"],
    "in_tensor_name": lambda m, n: m["ti:token_embd.weight"] + 11,
    "in_tensor_dims": lambda m, n: m["ti:blk.0.attn_q.weight:dims"] + 7,
    "in_tensor_type": lambda m, n: m["ti:blk.0.attn_q.weight:type"] + 1,
    "in_last_tensor_offset": lambda m, n: m["ti:blk.0.ffn_down.weight:offset"] + 4,
    "at_infos_end": lambda m, n: m["infos_end"],
    "at_data_start": lambda m, n: m["data_start"],
    "in_data": lambda m, n: (m["data_start"] + m["data_end"]) // 2,
    "last_byte": lambda m, n: n - 1,
}
for what, at in TRUNCATIONS.items():
    case(f"trunc_{what}", "format", truncated(at),
         mention=("ends", "truncated", "exceeds", "cannot fit", "outside",
                  "file"))

# -- Llama hyperparameters -------------------------------------------------------

CTX = "llama.context_length"
for name, vt, v in [("0", U32, 0), ("2p24_plus_1", U32, 2**24 + 1),
                    ("2p40", U64, 2**40), ("i32_neg1", I32, -1),
                    ("i64_min", I64, -2**63), ("u64max", U64, 2**64 - 1),
                    ("string", STRING, "128"), ("f32", F32, 128.0),
                    ("bool", BOOL, 1), ("array_of_strings", ARRAY,
                                        Arr(STRING, [b"128"]))]:
    case(f"context_length_{name}", "model", set_kv(CTX, vt, v), mention=CTX)
case("context_length_2p24", "odd", set_kv(CTX, U32, 2**24),
     why="2^24 is the validator's inclusive upper bound; the program runs "
         "with the context it was compiled for")
case("context_length_64", "odd", set_kv(CTX, U32, 64),
     why="the training context does not change the program's compiled "
         "context or weights")
case("context_length_as_u64", "odd", set_kv(CTX, U64, 128), valid=True,
     why="any integer width is allowed (GGUF.md)")
case("context_length_as_i16", "odd", set_kv(CTX, I16, 128), valid=True,
     why="any integer width is allowed (GGUF.md)")

EMB = "llama.embedding_length"
case("embedding_length_0", "model", set_kv(EMB, U32, 0), mention=EMB)
case("embedding_length_2p40", "model", set_kv(EMB, U64, 2**40), mention=EMB)
case("embedding_length_u32max", "model", set_kv(EMB, U32, 2**32 - 1),
     mention=EMB)
case("embedding_length_not_divisible_by_heads", "model", set_kv(EMB, U32, 250))
case("embedding_length_missing", "model", drop_kv(EMB), mention=EMB)

BLK = "llama.block_count"
case("block_count_0", "model", set_kv(BLK, U32, 0), mention=BLK)
case("block_count_2p31", "model", set_kv(BLK, U32, 2**31), mention=BLK)
case("block_count_2", "model", set_kv(BLK, U32, 2), mention="blk.1")

FFN = "llama.feed_forward_length"
case("feed_forward_length_0", "model", set_kv(FFN, U32, 0), mention=FFN)
case("feed_forward_length_2p40", "model", set_kv(FFN, U64, 2**40), mention=FFN)
case("feed_forward_length_per_layer_equal", "odd",
     set_kv(FFN, ARRAY, Arr(U32, [512])), valid=True,
     why="per-layer arrays with equal entries are allowed (GGUF.md)")
case("feed_forward_length_per_layer_differ", "model",
     set_kv(FFN, ARRAY, Arr(U32, [512, 256])), mention=FFN)
case("feed_forward_length_empty_array", "model",
     set_kv(FFN, ARRAY, Arr(U32, [])), mention=FFN)

HC, HKV = "llama.attention.head_count", "llama.attention.head_count_kv"
case("head_count_0", "model", set_kv(HC, U32, 0), mention=HC)
case("head_count_2p31", "model", set_kv(HC, U32, 2**31), mention=HC)
case("head_count_array_of_strings", "model",
     set_kv(HC, ARRAY, Arr(STRING, [b"8"])), mention=HC)
case("head_count_kv_0", "model", set_kv(HKV, U32, 0), mention=HKV)
case("head_count_kv_3", "model", set_kv(HKV, U32, 3), mention=HKV)
case("head_count_kv_16_gt_heads", "model", set_kv(HKV, U32, 16), mention=HKV)
case("head_count_kv_missing", "model", drop_kv(HKV), mention="attn_k")

EPS = "llama.attention.layer_norm_rms_epsilon"
for name, v in [("nan", NAN), ("inf", INF), ("neg", -1e-5), ("0", 0.0)]:
    case(f"rms_epsilon_{name}", "model", set_kv(EPS, F32, v), mention=EPS)
case("rms_epsilon_as_string", "model", set_kv(EPS, STRING, "1e-5"),
     mention=EPS)
case("rms_epsilon_as_f64", "odd", set_kv(EPS, F64, 1e-5), valid=True,
     why="f64 holds the same value")

THETA = "llama.rope.freq_base"
for name, v in [("nan", NAN), ("inf", INF), ("0", 0.0), ("neg", -10000.0)]:
    case(f"rope_freq_base_{name}", "model", set_kv(THETA, F32, v),
         mention=THETA)
case("rope_freq_base_500000", "bind", set_kv(THETA, F32, 500000.0),
     why="a valid model with another RoPE base", mention="rope_theta")
case("rope_freq_base_missing", "odd", drop_kv(THETA), valid=True,
     why="the default base is 10000, the base model's value")

ROT = "llama.rope.dimension_count"
case("rope_dimension_count_odd", "model", set_kv(ROT, U32, 31), mention=ROT)
case("rope_dimension_count_gt_head_dim", "model", set_kv(ROT, U32, 64),
     mention=ROT)
case("rope_dimension_count_0", "model", set_kv(ROT, U32, 0), mention=ROT)
case("rope_dimension_count_16", "bind", set_kv(ROT, U32, 16),
     why="partial rotary embedding is a valid model", mention="n_rot")

case("rope_scaling_yarn", "model",
     set_kv("llama.rope.scaling.type", STRING, "yarn"), mention="scaling")
case("rope_scaling_linear_x4", "bind",
     emitted(lambda g: (g.set("llama.rope.scaling.type", STRING, "linear"),
                        g.set("llama.rope.scaling.factor", F32, 4.0))),
     why="a valid model with linear RoPE scaling",
     mention=("scaling", "rope"))

KL = "llama.attention.key_length"
case("key_length_16", "model", set_kv(KL, U32, 16),
     mention=(KL, ROT, "attn_q", "shape"))
case("key_length_0", "model", set_kv(KL, U32, 0), mention=KL)
case("value_length_16", "model",
     set_kv("llama.attention.value_length", U32, 16), mention="value_length")

VOC = "llama.vocab_size"
case("vocab_size_511", "model", set_kv(VOC, U32, 511), mention=VOC)
case("vocab_size_2p40", "model", set_kv(VOC, U64, 2**40), mention=VOC)

BOS, EOS = "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"
case("bos_token_id_512", "model", set_kv(BOS, U32, 512), mention=BOS)
case("bos_token_id_i32_neg2", "model", set_kv(BOS, I32, -2), mention=BOS)
case("bos_token_id_i32_neg1", "odd", set_kv(BOS, I32, -1), text=True,
     why="i32 -1 has the bits of 0xFFFFFFFF, which means no token")
case("eos_token_id_2p31", "model", set_kv(EOS, U32, 2**31), mention=EOS)
case("eos_token_id_u64max", "model", set_kv(EOS, U64, 2**64 - 1), mention=EOS)
case("eos_token_id_none", "odd", set_kv(EOS, U32, 0xFFFFFFFF), valid=True,
     why="0xFFFFFFFF means no token (GGUF.md)", text=True)
case("unknown_token_id_2p31", "model",
     set_kv("tokenizer.ggml.unknown_token_id", U32, 2**31),
     mention="unknown_token_id")
case("add_bos_token_as_u8", "model",
     set_kv("tokenizer.ggml.add_bos_token", U8, 1), mention="add_bos_token")
case("bool_value_2", "format", set_kv("tokenizer.ggml.add_bos_token", BOOL, 2),
     mention="bool")

AL = "general.alignment"
case("alignment_0", "format", set_kv(AL, U32, 0), mention="alignment")
case("alignment_3", "format", set_kv(AL, U32, 3), mention="alignment")
case("alignment_2p31", "format", set_kv(AL, U32, 2**31), mention="alignment")
case("alignment_as_string", "format", set_kv(AL, STRING, "32"),
     mention="alignment")
case("alignment_64", "odd", set_kv(AL, U32, 64), valid=True,
     why="any power of two is a valid alignment")


def _misaligned(g):
    """general.alignment 1, the data section and every tensor at an address
    that is not a multiple of 4 (f32 data read unaligned)."""
    g.set(AL, U32, 1)
    marks = {}
    g.emit(marks)
    start = marks["data_start"]
    gap = 1 if (start + 1) % 4 else 2
    for t, off in zip(g.tensors, g.offsets()):
        t.offset = off + gap
    return g.emit()


case("alignment_1_misaligned_data", "odd", _misaligned,
     why="alignment 1 is a valid power of two; weights then lie at "
         "unaligned addresses, which a reader may refuse or must handle")

ARCH = "general.architecture"
case("architecture_gptneox", "model", set_kv(ARCH, STRING, "gptneox"),
     mention=ARCH)
case("architecture_missing", "model", drop_kv(ARCH), mention=ARCH)
case("architecture_as_u32", "model", set_kv(ARCH, U32, 1), mention=ARCH)

# -- tokenizer ---------------------------------------------------------------------

TOK, SCO, TTY, TMOD = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                       "tokenizer.ggml.token_type", "tokenizer.ggml.model")


def _scores(values):
    def fn(g):
        s = g.find(SCO).value.items
        for k, v in enumerate(values):
            s[300 + k] = v
    return emitted(fn)


case("scores_nan", "odd", _scores([NAN] * 50), text=True,
     why="scores rank merges; NaN must not break the tokenizer")
case("scores_inf", "odd", _scores([INF, -INF] * 25), text=True,
     why="scores rank merges; infinities must not break the tokenizer")
case("scores_as_f64", "model",
     emitted(lambda g: g.set(SCO, ARRAY, Arr(F64, g.find(SCO).value.items))),
     mention=SCO)
case("scores_length_511", "model",
     emitted(lambda g: g.find(SCO).value.items.pop()), mention=SCO)
case("tokenizer_model_gpt2", "odd", set_kv(TMOD, STRING, "gpt2"), text=True,
     text_rejects=True, mention=TMOD,
     why="only the program's text path needs the tokenizer")
case("tokenizer_model_unknown", "odd", set_kv(TMOD, STRING, "unknown"),
     text=True, text_rejects=True, mention=TMOD,
     why="only the program's text path needs the tokenizer")
case("tokenizer_model_missing", "model", drop_kv(TMOD), mention=TMOD)
case("tokens_empty", "model", set_kv(TOK, ARRAY, Arr(STRING, [])),
     mention=(TOK, VOC))


def _empty_vocab(g):
    for key in (BOS, EOS, "tokenizer.ggml.unknown_token_id"):
        g.drop(key)
    g.set(TOK, ARRAY, Arr(STRING, []))
    g.set(SCO, ARRAY, Arr(F32, []))
    g.set(TTY, ARRAY, Arr(I32, []))
    g.set(VOC, U32, 0)
    return g.emit()


case("tokens_empty_consistent", "model", _empty_vocab)
case("tokens_as_u32_array", "model",
     emitted(lambda g: g.set(TOK, ARRAY, Arr(U32, list(range(512))))),
     mention=TOK)
case("tokens_as_string", "model", set_kv(TOK, STRING, "hello"), mention=TOK)
case("token_type_as_u8", "model",
     emitted(lambda g: g.set(TTY, ARRAY, Arr(U8, bytes(512)))), mention=TTY)
case("token_type_out_of_range", "odd",
     emitted(lambda g: g.find(TTY).value.items.__setitem__(
         slice(300, 310), [99, -5, 2**31 - 1, -2**31, 0, 7, 100, 6, 6, 6])),
     text=True, why="token types are advisory; unknown ones may be ignored")


def _token(k, value):
    return emitted(lambda g: tokens(g).__setitem__(k, value))


case("token_invalid_utf8", "odd", _token(300, b"\xff\xfe\xc0\x80"), text=True,
     why="token pieces are bytes; invalid UTF-8 is passed through")
case("token_with_nul", "odd", _token(300, b"a\x00b"), text=True,
     why="token pieces are length-counted bytes; NUL is an ordinary byte")
case("token_empty_and_duplicate", "odd",
     emitted(lambda g: (tokens(g).__setitem__(300, b""),
                        tokens(g).__setitem__(301, b""),
                        tokens(g).__setitem__(302, tokens(g)[303]))),
     text=True, why="empty and duplicate pieces are odd but harmless")
case("token_length_2p63", "format",
     _token(300, RawStr(2**63, b"abc")), mention=("length", "exceeds"))

# -- arrays and value types ----------------------------------------------------------

case("nested_array_depth_2", "odd",
     set_kv("hostile.nested", ARRAY,
            Arr(ARRAY, [Arr(U32, [1, 2]), Arr(U32, []), Arr(U32, [3])])),
     valid=True, why="arrays of arrays are legal GGUF (GGUF.md)")
case("nested_array_depth_1000", "odd", set_kv("hostile.nested", ARRAY,
                                              nested(1000)),
     mention=("nested", "depth", "array"),
     why="nesting is legal; a reader may accept deep nesting if it does not "
         "recurse without bound, or refuse it")
case("nested_array_depth_100000", "odd", set_kv("hostile.nested", ARRAY,
                                                nested(100000)),
     mention=("nested", "depth", "array"),
     why="as depth 1000: a recursive reader without a limit overflows its "
         "stack here")
case("array_count_2p62_u8", "format",
     set_kv("hostile.blob", ARRAY, Arr(U8, b"\x01\x02", count=2**62)),
     mention="array")
case("array_count_2p62_tokens", "format",
     emitted(lambda g: setattr(g.find(TOK).value, "count", 2**62)),
     mention="array")
case("array_count_2p62_scores", "format",
     emitted(lambda g: setattr(g.find(SCO).value, "count", 2**62)),
     mention="array")
case("array_count_plus_1_scores", "format",
     emitted(lambda g: setattr(g.find(SCO).value, "count", 513)))
case("array_elem_type_13", "format",
     set_kv("hostile.bad", ARRAY, Arr(13, b"\0" * 8, count=1)),
     mention="type")
case("array_elem_type_2p31", "format",
     set_kv("hostile.bad", ARRAY, Arr(2**31, b"\0" * 8, count=1)),
     mention="type")
case("value_type_13", "format",
     emitted(lambda g: g.kvs.insert(2, KV("hostile.bad", 13,
                                          Raw(b"\0" * 8)))),
     mention="type")
case("value_type_2p31", "format",
     emitted(lambda g: g.kvs.insert(2, KV("hostile.bad", 2**31,
                                          Raw(b"\0" * 8)))),
     mention="type")
case("value_type_of_context_length_13", "format",
     set_kv(CTX, 13, Raw(struct.pack("<I", 128))), mention="type")
case("key_length_2p63", "format",
     emitted(lambda g: g.kvs.insert(1, KV(RawStr(2**63, b"llama."), U32, 1))),
     mention=("length", "exceeds"))
case("string_value_length_2p63", "format",
     set_kv("general.name", STRING, RawStr(2**63, b"x")),
     mention=("length", "exceeds"))
case("string_value_length_past_end", "format",
     set_kv("general.name", STRING, RawStr(2**32, b"x")),
     mention=("length", "exceeds"))


def _amplify(g):
    g.set("hostile.blob", ARRAY, Arr(U8, bytes(64 << 20)))
    return g.emit()


case("u8_array_64MiB", "odd", _amplify, big=True,
     why="a valid file with a large metadata array: a reader may accept it "
         "or refuse it, but its memory must stay near the file's size")

# -- keys ----------------------------------------------------------------------------

case("duplicate_key_same_value", "format",
     emitted(lambda g: g.kvs.append(copy.deepcopy(g.find(BLK)))),
     mention=("more than once", "duplicate"))
case("duplicate_key_other_value", "format",
     emitted(lambda g: g.kvs.insert(1, KV(BLK, U32, 7))),
     mention=("more than once", "duplicate"))
case("duplicate_key_with_newline", "format",
     emitted(lambda g: g.kvs.extend([KV("hostile\nkey", U8, 1),
                                     KV("hostile\nkey", U8, 2)])),
     mention=("more than once", "duplicate"))
case("key_empty", "odd", set_kv("", U8, 1),
     why="an empty key is meaningless but harmless")
case("key_invalid_utf8", "odd",
     emitted(lambda g: g.kvs.append(KV(b"hostile.\xff\xfe", U8, 1))),
     why="keys are length-counted bytes; an unknown one is ignored")
