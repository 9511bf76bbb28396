"""Train Brown-corpus tokenizers (the data of the training harness, scripts/train/README.md) with Hugging Face `tokenizers`.

    .venv/bin/python scripts/data/train_tokenizers.py [dataDir=.cache/data/brown]

Needs train.txt / valid.txt from `node dist/scripts/data/brown.js`. Writes, under dataDir:
  bpe/       byte-level BPE (GPT-2 style, 4096 tokens incl. <|endoftext|>): vocab.json, merges.txt, tokenizer.json
  wordpiece/ BERT WordPiece (lower-cased, 4096 tokens incl. [PAD] [UNK] [CLS] [SEP] [MASK]): vocab.txt, tokenizer.json
  {train,valid}.bpe.u16  each document's BPE ids followed by <|endoftext|>, little-endian uint16
  {train,valid}.wp.jsonl one line per document: the WordPiece ids of each sentence (no specials)
Deterministic: the trainers are single-pass counting algorithms with a fixed input order.
"""
import json
import os
import sys

import numpy as np
from tokenizers import ByteLevelBPETokenizer, BertWordPieceTokenizer

VOCAB = 4096
data_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.getcwd(), ".cache/data/brown")
train_txt = os.path.join(data_dir, "train.txt")

bpe = ByteLevelBPETokenizer(add_prefix_space=False)
bpe.train([train_txt], vocab_size=VOCAB, min_frequency=2, special_tokens=["<|endoftext|>"], show_progress=False)
os.makedirs(os.path.join(data_dir, "bpe"), exist_ok=True)
bpe.save_model(os.path.join(data_dir, "bpe"))
bpe.save(os.path.join(data_dir, "bpe", "tokenizer.json"))
eos = bpe.token_to_id("<|endoftext|>")
assert eos is not None and bpe.get_vocab_size() <= 65535

wp = BertWordPieceTokenizer(lowercase=True, clean_text=True, strip_accents=True)
wp.train([train_txt], vocab_size=VOCAB, min_frequency=2, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
         show_progress=False)
os.makedirs(os.path.join(data_dir, "wordpiece"), exist_ok=True)
wp.save_model(os.path.join(data_dir, "wordpiece"))
wp.save(os.path.join(data_dir, "wordpiece", "tokenizer.json"))

sentences = {"train": {}, "valid": {}}
with open(os.path.join(data_dir, "sentences.jsonl")) as f:
    for line in f:
        s = json.loads(line)
        sentences[s["split"]].setdefault(s["doc"], []).append(s["text"])

for split in ("train", "valid"):
    with open(os.path.join(data_dir, f"{split}.txt")) as f:
        docs = [l.rstrip("\n") for l in f if l.strip()]
    ids = []
    for enc in bpe.encode_batch(docs):
        ids.extend(enc.ids)
        ids.append(eos)
    np.asarray(ids, dtype="<u2").tofile(os.path.join(data_dir, f"{split}.bpe.u16"))
    with open(os.path.join(data_dir, f"{split}.wp.jsonl"), "w") as f:
        for doc, sents in sentences[split].items():
            encs = wp.encode_batch(sents, add_special_tokens=False)
            f.write(json.dumps([e.ids for e in encs]) + "\n")
    print(f"{split}: {len(docs)} documents, {len(ids)} BPE tokens ({len(ids) / sum(len(d) for d in docs):.3f} per char)")
print(f"BPE vocab {bpe.get_vocab_size()} (eos {eos}), WordPiece vocab {wp.get_vocab_size()}")
