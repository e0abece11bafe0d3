"""Writes a small prepared dataset ("zhengliu.dataset" v1, docs/formats.md) with
h5py, for tests of the Python teacher importers. The C++ reader (kd teacher
check) reads it like a file from `kd data prepare`."""
import hashlib

import h5py
import numpy as np

LABELS = ["查询物流", "催发货", "退货退款"]


def write_dataset(path, splits, labels=LABELS, task="single_label"):
    """splits: {name: [(id, text, label_index), ...]}. Token ids: one per character (toy)."""
    s = h5py.string_dtype("utf-8")
    h = hashlib.sha256()
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "zhengliu.dataset"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["task"] = task
        f.attrs["label_names"] = np.array(labels, dtype=s)
        for k, v in {"max_length": 128, "vocab_size": 1000, "pad_id": 0, "unk_id": 1, "cls_id": 2, "sep_id": 3}.items():
            f.attrs[k] = np.int64(v)
        for k in ["tokenizer_sha256", "tokenizer_type", "toolkit_version", "created_at"]:
            f.attrs[k] = "test"
        for k in ["normalization", "masking", "stats"]:
            f.attrs[k] = "{}"
        f.attrs["source_files"] = "[]"
        for name, rows in splits.items():
            g = f.create_group(f"splits/{name}")
            ids = [r[0] for r in rows]
            tokens, offsets = [], [0]
            for _, text, _ in rows:
                tokens += [2] + [4 + (ord(c) % 990) for c in text] + [3]
                offsets.append(len(tokens))
            g.create_dataset("ids", data=np.array(ids, dtype=object), dtype=s)
            g.create_dataset("input_ids", data=np.array(tokens, dtype=np.int32))
            g.create_dataset("offsets", data=np.array(offsets, dtype=np.int64))
            g.create_dataset("labels", data=np.array([r[2] for r in rows], dtype=np.int32))
            g.create_dataset("text", data=np.array([r[1] for r in rows], dtype=object), dtype=s)
            h.update(repr(rows).encode())
        f.attrs["content_sha256"] = h.hexdigest()
    return h.hexdigest()


SPLITS = {
    "train": [("train:0", "我要退货", 2), ("train:1", "快递到哪了", 0), ("train:2", "你好", 1)],
    "dev": [("dev:0", "查一下物流", 0), ("dev:1", "退货退款吧", 2)],
}
