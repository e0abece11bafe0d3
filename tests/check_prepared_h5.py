#!/usr/bin/env python3
"""Reads a prepared dataset (kd data prepare) with h5py, independently of the
C++ reader, and checks its layout, dtypes, attributes and token ids: every
example decodes, with the python sentencepiece package and the model bytes
stored in the file, back to the stored normalized text.

usage: check_prepared_h5.py FILE.h5   (exit status 0 = all checks passed)
"""
import json
import sys

import h5py
import numpy as np
import sentencepiece as spm

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def as_str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def main(path):
    f = h5py.File(path, "r")
    a = f.attrs
    check(as_str(a["format"]) == "zhengliu.dataset", "format attribute")
    check(int(a["format_version"]) == 1, "format_version 1")
    task = as_str(a["task"])
    check(task in ("single_label", "multi_label", "pair"), "task attribute")
    # /label_names (any count) is what readers use; the attribute is kept while it fits
    # (data/label_names.h: up to 2048 names) and must then say the same.
    if "label_names" in f:
        labels = [as_str(x) for x in f["label_names"][()]]
        if "label_names" in a:
            check([as_str(x) for x in a["label_names"]] == labels, "label_names attribute equals /label_names")
        else:
            check(len(labels) > 2048, "label_names attribute present up to 2048 names")
    else:
        labels = [as_str(x) for x in a["label_names"]]
    check(len(labels) > 0, "label_names not empty")
    check(len(set(labels)) == len(labels), "label_names unique")
    check(all(l.strip() == l and l for l in labels), "label_names trimmed, none empty")
    for key in ("normalization", "masking", "source_files", "stats"):
        json.loads(as_str(a[key]))  # raises if not JSON
    sources = json.loads(as_str(a["source_files"]))
    check(all(len(s["sha256"]) == 64 for s in sources), "source sha256")
    model = f["tokenizer/model"][()].tobytes()
    import hashlib
    check(hashlib.sha256(model).hexdigest() == as_str(a["tokenizer_sha256"]), "tokenizer_sha256 matches model bytes")
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(model)
    check(sp.GetPieceSize() == int(a["vocab_size"]), "vocab_size")
    for name, want in (("pad_id", "[PAD]"), ("unk_id", "[UNK]"), ("cls_id", "[CLS]"), ("sep_id", "[SEP]")):
        check(sp.IdToPiece(int(a[name])) == want, f"{name} is {want}")
    check(sp.PieceToId("<PHONE>") != sp.unk_id(), "<PHONE> is a piece")
    cls, sep, unk = int(a["cls_id"]), int(a["sep_id"]), int(a["unk_id"])
    max_len = int(a["max_length"])
    stats = json.loads(as_str(a["stats"]))
    checked = 0
    for split in f["splits"]:
        g = f["splits"][split]
        ids = g["ids"][()]
        n = len(ids)
        check(n == stats["splits"][split]["examples"], f"{split}: count matches stats")
        check(g["input_ids"].dtype == np.int32, f"{split}: input_ids int32")
        check(g["offsets"].dtype == np.int64 and g["offsets"].shape == (n + 1,), f"{split}: offsets int64[n+1]")
        off = g["offsets"][()]
        tok = g["input_ids"][()]
        check(off[0] == 0 and off[-1] == len(tok) and np.all(np.diff(off) >= 2), f"{split}: offsets consistent")
        check(np.all(np.diff(off) <= max_len), f"{split}: lengths <= max_length")
        if task == "multi_label":
            check(g["labels"].dtype == np.uint8 and g["labels"].shape == (n, len(labels)), f"{split}: multi-hot")
        else:
            lab = g["labels"][()]
            check(lab.dtype == np.int32 and lab.shape == (n,), f"{split}: labels int32[n]")
            check(np.all((lab >= -1) & (lab < len(labels))), f"{split}: label range")
        check(len(set(as_str(x) for x in ids)) == n, f"{split}: ids unique")
        text = [as_str(x) for x in g["text"][()]]
        text_b = [as_str(x) for x in g["text_b"][()]] if task == "pair" else None
        if task == "pair":
            seg = g["segment_ids"][()]
            check(seg.dtype == np.int8 and len(seg) == len(tok), f"{split}: segment_ids int8[T]")
        for i in range(n):
            seq = tok[off[i]:off[i + 1]].tolist()
            check(seq[0] == cls and seq[-1] == sep, f"{split}[{i}]: [CLS] ... [SEP]")
            body = seq[1:-1]
            if task == "pair":
                k = body.index(sep)
                parts = [(body[:k], text[i]), (body[k + 1:], text_b[i])]
            else:
                parts = [(body, text[i])]
            for piece_ids, want in parts:
                if unk in piece_ids or len(seq) == max_len:
                    continue  # unknown pieces and truncation do not round-trip
                got = sp.DecodeIds(piece_ids)
                if got.replace(" ", "") != want.replace(" ", ""):
                    failures.append(f"{split}[{i}]: decodes to {got!r}, stored {want!r}")
                checked += 1
    if failures:
        print(f"{path}: {len(failures)} check(s) failed:")
        for x in failures[:20]:
            print("  " + x)
        return 1
    print(f"{path}: OK ({task}, {len(labels)} labels, {checked} texts decoded to their stored form)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
