"""Shared by the teacher importers: read a prepared Zhengliu dataset and write a
teacher-output file (schema "zhengliu.teacher" version 1, docs/teacher-files.md)
exactly as `kd teacher predict` writes it, so `kd teacher check` and `kd distill`
accept it. Written atomically: a temporary file beside the output, then rename.
"""
import datetime
import hashlib
import json
import os
import sys

import h5py
import numpy as np

TEACHER_FORMAT = "zhengliu.teacher"
TEACHER_FORMAT_VERSION = 1
DATASET_FORMAT = "zhengliu.dataset"


class InputError(Exception):
    """Bad input: the message names the file and what to do; exit status 2."""


def run(main):
    """Runs main(); an InputError prints 'error: ...' and exits 2."""
    try:
        sys.exit(main() or 0)
    except InputError as e:
        print(f"{os.path.basename(sys.argv[0])}: error: {e}", file=sys.stderr)
        sys.exit(2)


def _str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


# Names also written as the attribute label_names (data/label_names.h: an HDF5 attribute
# is limited to 64 KiB, about 4000 names); the /label_names dataset always holds them.
LABEL_NAMES_ATTR_MAX = 2048


def read_label_names(f):
    """The class names of a dataset or teacher file: the /label_names dataset when present
    (any count), else the label_names attribute (files written before it)."""
    if "label_names" in f:
        return [_str(x) for x in f["label_names"][()]]
    return [_str(x) for x in f.attrs["label_names"]]


def write_label_names(f, label_names):
    str_t = h5py.string_dtype("utf-8")
    f.create_dataset("label_names", data=np.array(label_names, dtype=object), dtype=str_t)
    if len(label_names) <= LABEL_NAMES_ATTR_MAX:
        f.attrs["label_names"] = np.array(label_names, dtype=str_t)


def read_dataset(path, splits, with_text=True):
    """Returns (attrs dict, {split: {"ids": [...], "text": [...], "text_b": [...] or None}}).
    attrs holds task, label_names, content_sha256, text_sha256 ("" for files written before
    text checksums), split_text_sha256 {split: str} and path (absolute): pass it to
    write_teacher_file(dataset_attrs=...) so the teacher file records what it was computed on."""
    if not os.path.exists(path):
        raise InputError(f"{path}: dataset file does not exist (check the path)")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: not a readable HDF5 file ({e})")
    with f:
        if _str(f.attrs.get("format", "")) != DATASET_FORMAT:
            raise InputError(f"{path}: not a Zhengliu prepared dataset (make one with `kd data prepare`)")
        attrs = {
            "task": _str(f.attrs["task"]),
            "label_names": read_label_names(f),
            "content_sha256": _str(f.attrs["content_sha256"]),
            "text_sha256": _str(f.attrs.get("text_sha256", "")),
            "split_text_sha256": {},
            "path": os.path.abspath(path),
        }
        have = list(f["splits"].keys()) if "splits" in f else []
        out = {}
        for s in splits:
            if s not in have:
                raise InputError(f"{path}: no split '{s}' (the file has: {', '.join(have)})")
            g = f["splits"][s]
            attrs["split_text_sha256"][s] = _str(g.attrs.get("text_sha256", ""))
            d = {"ids": [_str(x) for x in g["ids"][()]]}
            if attrs["task"] != "multi_label" and "labels" in g:
                d["labels"] = np.asarray(g["labels"][()], dtype=np.int64)
            if with_text:
                if "text" not in g:
                    raise InputError(f"{path}: split '{s}' has no text (prepare it again with texts kept)")
                d["text"] = [_str(x) for x in g["text"][()]]
                d["text_b"] = [_str(x) for x in g["text_b"][()]] if "text_b" in g else None
            out[s] = d
    return attrs, out


def load_mapping_file(path, what):
    """Reads a JSON or YAML (.yaml/.yml) file holding one mapping; `what` names it in errors."""
    if not os.path.exists(path):
        raise InputError(f"{path}: {what} does not exist")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        if path.endswith((".yaml", ".yml")):
            import yaml
            m = yaml.safe_load(text)
        else:
            m = json.loads(text)
    except Exception as e:  # noqa: BLE001 - any parse error is the user's file
        raise InputError(f"{path}: cannot parse the {what} ({e})")
    return m


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_teacher_file(out_path, *, task, label_names, dataset_sha256, splits, kind, source,
                       teacher_run_id, param_count=-1, checkpoint_sha256="", temperature=1.0,
                       members="[]", dtype="float32", dataset_attrs=None, sentences=None):
    """splits: {name: (ids list, float array [n, L])}. Writes atomically.
    dataset_attrs: read_dataset's attrs (records the dataset's text checksums and path, so
    the file also serves a dataset prepared from the same inputs with another tokenizer).
    sentences: optional {name: float array [n, D]}, rows like the split's ids (every split)."""
    if kind not in ("logits", "probs"):
        raise ValueError(kind)
    if dtype not in ("float32", "float16"):
        raise InputError(f"--dtype must be float32 or float16 (got '{dtype}')")
    L = len(label_names)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(out_dir, exist_ok=True)
    tmp = f"{out_path}.tmp.{os.getpid()}"
    str_t = h5py.string_dtype("utf-8")
    dataset_attrs = dataset_attrs or {}
    split_text = dataset_attrs.get("split_text_sha256", {})
    sentence_dim = 0
    if sentences is not None:
        if set(sentences) != set(splits):
            raise ValueError("sentences must cover exactly the splits")
        dims = {np.asarray(v).shape[1] for v in sentences.values() if np.asarray(v).ndim == 2}
        if len(dims) != 1:
            raise ValueError(f"sentence vectors of every split must be [n, D] with one D (got {dims})")
        sentence_dim = int(dims.pop())
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = TEACHER_FORMAT
            f.attrs["format_version"] = np.int64(TEACHER_FORMAT_VERSION)
            f.attrs["task"] = task
            write_label_names(f, label_names)
            f.attrs["dataset_sha256"] = dataset_sha256
            f.attrs["dataset_text_sha256"] = dataset_attrs.get("text_sha256", "")
            f.attrs["dataset_path"] = dataset_attrs.get("path", "")
            f.attrs["sentence_dim"] = np.int64(sentence_dim)
            f.attrs["teacher_run_id"] = teacher_run_id
            f.attrs["param_count"] = np.int64(param_count)
            f.attrs["checkpoint_sha256"] = checkpoint_sha256
            f.attrs["kind"] = kind
            f.attrs["temperature"] = np.float64(temperature)
            f.attrs["source"] = source
            f.attrs["members"] = members
            f.attrs["toolkit_version"] = "python-importer"
            f.attrs["created_at"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            sg = f.create_group("splits")
            for name, (ids, values) in splits.items():
                values = np.asarray(values, dtype=np.float32)
                if values.shape != (len(ids), L):
                    raise ValueError(f"split {name}: values {values.shape} vs ({len(ids)}, {L})")
                if dtype == "float16" and np.any(np.abs(values[np.isfinite(values)]) >= 65504):
                    raise InputError(f"split {name}: values do not fit in float16; use --dtype float32")
                g = sg.create_group(name)
                g.create_dataset("ids", data=np.array(ids, dtype=object), dtype=str_t)
                g.create_dataset("logits", data=values.astype(dtype))
                g.attrs["num_examples"] = np.int64(len(ids))
                g.attrs["dataset_text_sha256"] = split_text.get(name, "")
                if sentence_dim:
                    v = np.asarray(sentences[name], dtype=np.float32)
                    if v.shape != (len(ids), sentence_dim):
                        raise ValueError(f"split {name}: sentence vectors {v.shape} vs ({len(ids)}, {sentence_dim})")
                    if not np.all(np.isfinite(v)):
                        raise InputError(f"split {name}: the model produced non-finite sentence vectors")
                    if dtype == "float16" and np.any(np.abs(v) >= 65504):
                        raise InputError(f"split {name}: sentence vectors do not fit in float16; use --dtype float32")
                    g.create_dataset("sentence", data=v.astype(dtype))
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
