#!/usr/bin/env python3
"""The reference for `kd data prepare` with `tokenizer.pretrained`: the token ids of a prepared
file must equal those the checkpoint's own Hugging Face tokenizer (transformers' AutoTokenizer)
gives for the same normalized, masked text, framing and truncation included.

  make --datasets KD_DATASETS --out DIR
      writes checkpoint directories built from the shared datasets' texts (no download):
        DIR/bert       vocab.txt in bert-base-chinese's layout ([PAD], [unused1..99], [UNK], [CLS],
                       [SEP], [MASK], then the characters of the texts, English and digit word
                       pieces with ## continuations), config.json, tokenizer_config.json
        DIR/bert_json  the same tokenizer saved by transformers as tokenizer.json only
        DIR/xlmr       sentencepiece.bpe.model trained on the texts by the sentencepiece package,
                       config.json (model_type xlm-roberta, vocab_size = pieces + 2)
        DIR/xlmr_json  the same saved by transformers as tokenizer.json only (Unigram +
                       precompiled charsmap), as the converted multilingual-e5-small has it
        DIR/tricky.jsonl  hand-written hard texts (accents, case, punctuation of several
                       scripts, CJK extensions, emoji, controls, literal special tokens, long words)
  compare H5:CHECKPOINT_DIR[:UNTRUNCATED_H5] ...
      tokenizes every split's /text (and /text_b) with AutoTokenizer.from_pretrained(dir) plus our
      placeholders as added special tokens, compares with /splits/*/input_ids (and segment_ids),
      through /tokenizer/vocab_map when the file is pruned; prints one line per file
      "compared N texts (M examples) ...: K mismatches[, T equal-score ties]" and the first
      mismatches; exit 1 on any. With UNTRUNCATED_H5 (the same data prepared with a max_length
      nothing reaches), a sentencepiece difference that is an equal-score tie (EqualScoreTies)
      is counted as a tie, not as a mismatch.

Exit status 77: transformers / sentencepiece / h5py missing (the C++ test then skips).
"""
import argparse
import collections
import json
import os
import re
import shutil
import sys

try:
    import h5py
    import numpy as np
    import sentencepiece as spm
    from tokenizers import AddedToken
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging
except ImportError as e:  # pragma: no cover
    print(f"skip: {e}", file=sys.stderr)
    sys.exit(77)

hf_logging.set_verbosity_error()
PLACEHOLDERS = ["<PHONE>", "<TEL>", "<ID>", "<CARD>", "<EMAIL>", "<ORDER>"]

TRICKY = [
    "Café Crème BRÛLÉE naïve façade",
    "ＡＢＣ１２３ ＨＥＬＬＯ，ｗｏｒｌｄ！",
    "İstanbul ΣΊΣΥΦΟΣ Ωmega Ǆemal ǅ",
    "订单号 1234567890123 已发货，电话13812345678",
    "邮箱 zhang.san@example.com 发票",
    "[CLS] 文本 [SEP] 里的 [MASK] 和 <s> </s> <mask> <pad> <unk> [UNK]",
    "a\u2e4fb c\u2e42d e\u2e43f 〈书名〉『引号』【括号】",
    "\U00020000\U00020001 \U0002b820\U0002b920 \U0002ceb0 \U00030000",
    "한국어 텍스트 입니다",
    "emoji 😀🥰 👍🏻 ❤️",
    "a" * 120,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "ⅷ ① ㈱ ﬁnance ½ ㎡ ℃",
    "x\u200by z\u00adw",
    "١٢٣ مرحبا بالعالم",
    "日本語のテキスト、カタカナ。ｶﾀｶﾅ",
    "¿Qué? ¡Sí! «quoted» — dash … ellipsis",
    "$100 + 50% = ¥150 #tag @user ~home^ `tick` |pipe| \\back",
    "Ａｐｐｌｅ iPhone15 Pro Max 256GB 退货退款",
    "我想查一下我的快递到哪里了，单号是SF1234567890123，麻烦快点，谢谢！！！" * 3,
    "Ｔｈｅ ｑｕｉｃｋ ＢＲＯＷＮ fox jumps over 13 lazy dogs.",
    "ÀÉÎÕÜ àéîõü ß ẞ ŉ",
    "\u0410\u0411\u0412 Привет мир",
    "中文English混合mixed文本text123abc",
    "ok<PHONE>ok <EMAIL>谢谢<ORDER>",
]


def read_jsonl(path, *fields):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out += [str(r[k]) for k in fields if k in r]
    return out


def dataset_texts(datasets):
    texts = []
    for split in ("train", "dev", "test"):
        texts += read_jsonl(os.path.join(datasets, "smp2017_intent", f"{split}.jsonl"), "text")
    texts += read_jsonl(os.path.join(datasets, "afqmc_faq_match", "dev.jsonl"), "text_a", "text_b")
    return texts + TRICKY


def bert_vocab(texts):
    """bert-base-chinese's layout, with pieces from the texts; some characters and words left out
    on purpose, so [UNK] occurs."""
    chars, words = collections.Counter(), collections.Counter()
    for t in texts:
        low = t.lower()
        chars.update(c for c in low if not c.isspace())
        words.update(re.findall(r"[a-z0-9]+", low))
    vocab = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    seen = set(vocab)

    def add(p):
        if p not in seen:
            seen.add(p)
            vocab.append(p)

    for c, n in sorted(chars.items(), key=lambda x: (-x[1], x[0])):
        if n == 1 and ord(c) % 3 == 0:  # a third of the characters seen once: unknown
            continue
        add(c)
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        add(c)
        if c not in "qxz":  # "##q" etc. missing: words with them in the middle are [UNK]
            add("##" + c)
    for w, n in sorted(words.items(), key=lambda x: (-x[1], x[0]))[:400]:
        if len(w) <= 3:
            add(w)
        else:  # a prefix and continuation pieces, so WordPiece splits the word
            add(w[:3])
            add("##" + w[3:5])
            add("##" + w[3:])
    return vocab


def make(args):
    texts = dataset_texts(args.datasets)
    out = args.out
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tricky.jsonl"), "w", encoding="utf-8") as f:
        for t in TRICKY:
            f.write(json.dumps({"text": t, "label": "chat"}, ensure_ascii=False) + "\n")

    bert = os.path.join(out, "bert")
    os.makedirs(bert, exist_ok=True)
    vocab = bert_vocab(texts)
    with open(os.path.join(bert, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    with open(os.path.join(bert, "config.json"), "w") as f:
        json.dump({"model_type": "bert", "vocab_size": len(vocab), "architectures": ["BertForMaskedLM"]}, f)
    with open(os.path.join(bert, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "tokenizer_class": "BertTokenizer"}, f)
    save_json_only(bert, os.path.join(out, "bert_json"), drop=["vocab.txt"])

    xlmr = os.path.join(out, "xlmr")
    os.makedirs(xlmr, exist_ok=True)
    model = os.path.join(xlmr, "sentencepiece.bpe.model")
    # The placeholders never occur in the raw texts, so the model has no piece for them.
    spm.SentencePieceTrainer.train(sentence_iterator=iter(texts), model_prefix=model[:-len(".model")],
                                   vocab_size=3000, model_type="unigram", character_coverage=0.995,
                                   hard_vocab_limit=False, num_threads=1, minloglevel=2)
    os.rename(model[:-len(".model")] + ".model", model)
    os.remove(model[:-len(".model")] + ".vocab")
    sp = spm.SentencePieceProcessor(model_file=model)
    with open(os.path.join(xlmr, "config.json"), "w") as f:
        json.dump({"model_type": "xlm-roberta", "vocab_size": sp.get_piece_size() + 2, "type_vocab_size": 1}, f)
    save_json_only(xlmr, os.path.join(out, "xlmr_json"), drop=["sentencepiece.bpe.model"])
    print(f"made {bert} ({len(vocab)} pieces), {xlmr} ({sp.get_piece_size() + 2} ids), *_json, tricky.jsonl")


def save_json_only(src, dst, drop):
    """The tokenizer as transformers saves it (tokenizer.json), without the original vocabulary file."""
    tok = AutoTokenizer.from_pretrained(src)
    tok.save_pretrained(dst)
    for name in drop:
        p = os.path.join(dst, name)
        if os.path.exists(p):
            os.remove(p)
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    assert os.path.exists(os.path.join(dst, "tokenizer.json")), os.listdir(dst)


def strings(ds):
    return [x.decode("utf-8") if isinstance(x, bytes) else x for x in ds[()]]


def hf_truncate(la, lb, budget, pair):
    """tokenizers' longest_first for the lengths of the two sides (what transformers does)."""
    if la + lb <= budget:
        return la, lb
    if not pair:
        return min(la, budget), 0
    n1, n2 = la, lb
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > budget else max(n1, budget - n1)
    if n1 + n2 > budget:
        n1 = budget // 2
        n2 = n1 + budget % 2
    if swap:
        n1, n2 = n2, n1
    return min(la, n1), min(lb, n2)


def file_examples(f, tok):
    """Per split: (texts a, texts b or None, [HF ids of each example], [segment ids or None])."""
    pre = json.loads(f.attrs["pretrained_tokenizer"])
    pair = f.attrs["task"] == "pair"
    vocab_map = f["tokenizer/vocab_map"][()]
    # File id -> HF id: the checkpoint row, or the HF id of the placeholder at that file id.
    to_hf = vocab_map.astype(np.int64).copy()
    for piece, fid in pre["placeholders"].items():
        if vocab_map[fid] < 0:
            to_hf[fid] = tok.convert_tokens_to_ids(piece)
    if not pre["pruned"]:  # unpruned: the file's ids are the HF ids themselves
        assert (to_hf == np.arange(len(to_hf))).all(), "unpruned vocab_map is not the identity with HF ids"
    out = {}
    for split in f["splits"]:
        g = f["splits"][split]
        ids, offsets = g["input_ids"][()], g["offsets"][()]
        seg = g["segment_ids"][()] if pair else None
        n = len(offsets) - 1
        out[split] = (strings(g["text"]), strings(g["text_b"]) if pair else None,
                      [to_hf[ids[offsets[i]:offsets[i + 1]]].tolist() for i in range(n)],
                      [seg[offsets[i]:offsets[i + 1]].tolist() for i in range(n)] if pair else None)
    return pre, pair, out


class EqualScoreTies:
    """Unigram segmentations of equal score. Debian's libsentencepiece (0.1.97) and Hugging Face
    tokenizers add the same piece scores in different orders and precisions, so where two
    segmentations of a word score the same (e.g. '**' + '****' and '****' + '**'), rounding picks
    one in each; both are optimal for the model. A mismatch counts as such a tie only when, for
    each side, the file prepared without truncation (`full`, same input) has a segmentation that
    covers the same text as transformers' with the same total score, and the truncated file holds
    exactly that segmentation, framed and cut by transformers' rule."""

    def __init__(self, tok, full, family, max_length, pair):
        self.tok, self.full, self.pair = tok, full, pair
        vocab = json.loads(tok.backend_tokenizer.to_str())["model"]["vocab"]
        self.score = {i: float(v[1]) for i, v in enumerate(vocab)}
        seps = 3 if family == "xlm-roberta" else 2
        self.budget = max_length - (seps + 1 if pair else 2)
        self.cls, self.sep, self.extra_seps = tok.cls_token_id, tok.sep_token_id, seps - 2

    def sides(self, ids):
        """The content ids of a framed example, per side."""
        inner = ids[1:-1]
        if not self.pair:
            return [inner]
        k = inner.index(self.sep)
        return [inner[:k], inner[k + 1 + self.extra_seps:]]

    def is_tie(self, split, i, texts, file_ids):
        ours = self.sides(self.full[split][2][i])
        for side, text in zip(ours, texts):
            ref = self.tok(text, add_special_tokens=False)["input_ids"]
            if side == ref:
                continue
            if "".join(self.tok.convert_ids_to_tokens(side)) != "".join(self.tok.convert_ids_to_tokens(ref)):
                return False
            if abs(sum(self.score.get(t, 0.0) for t in side) - sum(self.score.get(t, 0.0) for t in ref)) > 1e-4:
                return False
        la, lb = hf_truncate(len(ours[0]), len(ours[1]) if self.pair else 0, self.budget, self.pair)
        want = [self.cls] + ours[0][:la] + [self.sep]
        if self.pair:
            want += [self.sep] * self.extra_seps + ours[1][:lb] + [self.sep]
        return want == file_ids


def compare_one(h5_path, ckpt, full_path=None, max_report=8):
    tok = AutoTokenizer.from_pretrained(ckpt)
    # Our placeholders: added as special tokens, so they stay one piece (matched on the raw text).
    tok.add_tokens([AddedToken(p, special=True, normalized=False) for p in PLACEHOLDERS], special_tokens=True)
    with h5py.File(h5_path, "r") as f:
        L = int(f.attrs["max_length"])
        pre, pair, splits = file_examples(f, tok)
    ties = None
    if full_path:
        with h5py.File(full_path, "r") as f:
            _, _, full = file_examples(f, tok)
        ties = EqualScoreTies(tok, full, pre["family"], L, pair)
    texts = examples = bad = tied = 0
    report = []
    for split, (a, b, file_ids, file_segs) in splits.items():
        enc = tok(a, b, truncation=True, max_length=L, return_token_type_ids=True) if pair else \
            tok(a, truncation=True, max_length=L)
        for i in range(len(a)):
            ours, ref = file_ids[i], enc["input_ids"][i]
            segs_ok = not pair or file_segs[i] == enc["token_type_ids"][i]
            if ours == ref and segs_ok:
                continue
            sides = [a[i]] + ([b[i]] if pair else [])
            tie = ties is not None and segs_ok and ties.is_tie(split, i, sides, ours)
            tied += tie
            bad += not tie
            if len(report) < max_report:
                report.append(f"  {'equal-score tie ' if tie else ''}{split}[{i}] {' / '.join(map(repr, sides))}\n"
                              f"    ours {tok.convert_ids_to_tokens(ours)}\n"
                              f"    HF   {tok.convert_ids_to_tokens(ref)}")
        examples += len(a)
        texts += len(a) * (2 if pair else 1)
    print(f"compared {texts} texts ({examples} examples) of {h5_path} with {ckpt} "
          f"({pre['family']}, {'pruned' if pre['pruned'] else 'full'} vocabulary): {bad} mismatches"
          + (f", {tied} equal-score ties" if ties else ""))
    for r in report:
        print(r)
    return bad


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--datasets", required=True)
    m.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("pairs", nargs="+", help="H5:CHECKPOINT_DIR[:UNTRUNCATED_H5]")
    args = ap.parse_args()
    if args.cmd == "make":
        make(args)
        return 0
    bad = 0
    for p in args.pairs:
        parts = p.split(":")
        bad += compare_one(parts[0], parts[1], parts[2] if len(parts) > 2 else None)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
