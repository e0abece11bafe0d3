#!/usr/bin/env python3
"""Tests only (export_test.cpp, model card snippet): a small Chinese intent data
set with a real sentencepiece tokenizer ([PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3), written
as JSON (and the tokenizer as OUT_JSON.model) for the C++ test to turn into a prepared dataset. Usage: OUT_JSON SEED"""
import json
import os
import random
import sys
import tempfile

import sentencepiece as spm

INTENTS = {"退款": ["我要退款", "申请退款怎么操作", "钱什么时候退回来"],
           "物流": ["快递到哪里了", "怎么还没发货", "物流一直不更新"],
           "投诉": ["我要投诉客服", "服务态度太差了", "投诉你们的快递员"]}
FILLER = list("请问您好谢谢麻烦一下这个那个订单商品今天明天已经还是可以吗呢吧的了")


def sentence(rng, intent):
    core = rng.choice(INTENTS[intent])
    pre = "".join(rng.choice(FILLER) for _ in range(rng.randint(0, 4)))
    post = "".join(rng.choice(FILLER) for _ in range(rng.randint(0, 4)))
    return pre + core + post


def main(out_json, seed):
    rng = random.Random(seed)
    labels = list(INTENTS)
    splits = {}
    for name, n in (("train", 240), ("dev", 60), ("test", 60)):
        rows = []
        for i in range(n):
            y = rng.randrange(len(labels))
            rows.append({"id": f"{name}-{i}", "text": sentence(rng, labels[y]), "label": y})
        splits[name] = rows
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            for r in splits["train"]:
                f.write(r["text"] + "\n")
        prefix = os.path.join(tmp, "sp")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, vocab_size=120, hard_vocab_limit=False, model_type="unigram",
                                       pad_id=0, unk_id=1, bos_id=-1, eos_id=-1, pad_piece="[PAD]",
                                       unk_piece="[UNK]", control_symbols=["[CLS]", "[SEP]"],
                                       character_coverage=1.0, num_threads=1, minloglevel=2)
        model_bytes = open(prefix + ".model", "rb").read()
    sp = spm.SentencePieceProcessor(model_proto=model_bytes)
    assert sp.piece_to_id("[CLS]") == 2 and sp.piece_to_id("[SEP]") == 3
    for rows in splits.values():
        for r in rows:
            r["input_ids"] = [2] + sp.encode(r["text"]) + [3]
    with open(out_json + ".model", "wb") as f:
        f.write(model_bytes)
    json.dump({"labels": labels, "vocab_size": sp.get_piece_size(), "splits": splits},
              open(out_json, "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
