#!/usr/bin/env python3
"""Write a Zhengliu teacher-output file from any Hugging Face
AutoModelForSequenceClassification (e.g. a Chinese RoBERTa-large fine-tuned on
your GPU), aligned with a prepared dataset by example id.

The model reads the dataset's normalised, masked texts (/splits/<s>/text, plus
text_b for pair tasks) with its own tokenizer; the logits' columns are put in the
dataset's label order by name (the model's config.id2label, or --label-map).

Example:
  HF_HUB_OFFLINE=1 python scripts/teacher_from_hf.py --model ~/models/roberta-large-intent \\
      --data runs/smp.h5 --splits train,dev,test --out runs/smp_teacher_hf.h5 --device cuda
  kd teacher check runs/smp_teacher_hf.h5 runs/smp.h5
"""
import argparse
import os

import teacher_h5
from teacher_h5 import InputError


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="local model directory (config.json, weights, tokenizer)")
    p.add_argument("--data", required=True, help="prepared dataset (kd data prepare)")
    p.add_argument("--splits", default="train,dev,test", help="comma-separated splits to write (default: %(default)s)")
    p.add_argument("--out", required=True, help="teacher file to write (HDF5)")
    p.add_argument("--label-map", help="JSON or YAML file: dataset label -> model label name, "
                   "for labels whose names differ")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-length", type=int, default=128, help="tokenizer truncation length")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="float32", choices=["float32", "float16"], help="stored logits type")
    p.add_argument("--run-id", help="teacher id recorded in the file (default: the model directory name)")
    p.add_argument("--sentence", action="store_true",
                   help="also store each example's sentence vector (the base model's pooler_output, or the "
                        "first token's last hidden state when it has no pooler) for distill.sentence_weight")
    return p.parse_args()


def load_label_map(path):
    if not path:
        return {}
    m = teacher_h5.load_mapping_file(path, "label map")
    if not isinstance(m, dict):
        raise InputError(f"{path}: the label map must be a mapping dataset label -> model label")
    return {str(k): str(v) for k, v in m.items()}


def column_order(dataset_labels, id2label, label_map, model_dir, map_path):
    """Model column for each dataset label, matched by name; refuses any mismatch."""
    model_labels = [str(id2label[i]) for i in sorted(id2label, key=int)]
    unknown_keys = sorted(set(label_map) - set(dataset_labels))
    if unknown_keys:
        raise InputError(f"{map_path}: label map keys {unknown_keys} are not dataset labels "
                         f"(dataset labels: {dataset_labels})")
    wanted = [label_map.get(d, d) for d in dataset_labels]
    index = {name: i for i, name in enumerate(model_labels)}
    missing = [f"{d} -> {w}" if w != d else d for d, w in zip(dataset_labels, wanted) if w not in index]
    extra = sorted(set(model_labels) - set(wanted))
    if missing or extra or len(set(wanted)) != len(wanted):
        msg = [f"the model's labels do not match the dataset's labels by name",
               f"  dataset labels: {dataset_labels}",
               f"  model labels ({model_dir}/config.json id2label): {model_labels}"]
        if missing:
            msg.append(f"  not found in the model: {missing}")
        if extra:
            msg.append(f"  model labels no dataset label maps to: {extra}")
        if len(set(wanted)) != len(wanted):
            msg.append("  several dataset labels map to the same model label")
        msg.append("Give --label-map FILE (dataset label -> model label), or set id2label in the model's config.")
        raise InputError("\n".join(msg))
    return [index[w] for w in wanted]


def main():
    args = parse_args()
    splits = [s for s in args.splits.split(",") if s]
    if not splits:
        raise InputError("--splits is empty")
    if args.batch_size <= 0:
        raise InputError("--batch-size must be positive")
    if not os.path.isdir(args.model) or not os.path.exists(os.path.join(args.model, "config.json")):
        raise InputError(f"{args.model}: not a Hugging Face model directory (no config.json); "
                         "pass a local directory saved with save_pretrained()")
    label_map = load_label_map(args.label_map)
    attrs, data = teacher_h5.read_dataset(args.data, splits)

    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("--device cuda requested but CUDA is not available; use --device cpu")
    try:
        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForSequenceClassification.from_pretrained(args.model)
    except (OSError, ValueError) as e:
        raise InputError(f"{args.model}: cannot load the model or its tokenizer ({e})")
    model.eval().to(device)
    order = column_order(attrs["label_names"], model.config.id2label, label_map, args.model, args.label_map)

    weight_files = sorted(f for f in os.listdir(args.model)
                          if f.endswith((".safetensors", ".bin")) and ("model" in f))
    h = __import__("hashlib").sha256()
    for wf in weight_files:
        h.update(teacher_h5.sha256_file(os.path.join(args.model, wf)).encode())
    checkpoint_sha = h.hexdigest() if weight_files else ""

    # --sentence: the base model's output, caught on the way to the head (no second pass).
    captured = []
    if args.sentence:
        base = getattr(model, "base_model", None)
        if base is None or base is model:
            raise InputError(f"{args.model}: --sentence needs a model with a base encoder (model.base_model)")
        base.register_forward_hook(lambda _m, _i, out: captured.append(out))

    def sentence_of(out):
        pooled = getattr(out, "pooler_output", None)
        if pooled is None:
            last = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
            pooled = last[:, 0]
        return pooled.float().cpu().numpy()

    out_splits, out_sentences = {}, {}
    for s in splits:
        d = data[s]
        n = len(d["ids"])
        # Length bucketing: sort by text length so batches pad little; rows are put back by index.
        order_rows = sorted(range(n), key=lambda i: len(d["text"][i]) + (len(d["text_b"][i]) if d["text_b"] else 0))
        logits = np.zeros((n, len(order)), dtype=np.float32)
        sentence = None
        with torch.no_grad():
            for b in range(0, n, args.batch_size):
                rows = order_rows[b:b + args.batch_size]
                a = [d["text"][i] for i in rows]
                pair = [d["text_b"][i] for i in rows] if d["text_b"] is not None else None
                enc = tokenizer(a, pair, padding=True, truncation=True, max_length=args.max_length,
                                return_tensors="pt").to(device)
                captured.clear()
                out = model(**enc).logits.float().cpu().numpy()
                logits[rows] = out[:, order]
                if args.sentence:
                    v = sentence_of(captured[-1])
                    if sentence is None:
                        sentence = np.zeros((n, v.shape[1]), dtype=np.float32)
                    sentence[rows] = v
        if not np.all(np.isfinite(logits)):
            bad = int((~np.isfinite(logits)).any(axis=1).sum())
            raise InputError(f"the model produced non-finite logits for {bad} examples of split '{s}'")
        out_splits[s] = (d["ids"], logits)
        if args.sentence:
            out_sentences[s] = sentence if sentence is not None else np.zeros((0, model.config.hidden_size), np.float32)
        y = d.get("labels")
        if y is not None and (y >= 0).any():
            acc = float((logits.argmax(1)[y >= 0] == y[y >= 0]).mean())
            print(f"split {s}: {n} examples, teacher accuracy {acc:.4f} on {int((y >= 0).sum())} labelled")
        else:
            print(f"split {s}: {n} examples")

    teacher_h5.write_teacher_file(
        args.out, task=attrs["task"], label_names=attrs["label_names"], dataset_sha256=attrs["content_sha256"],
        splits=out_splits, kind="logits", source="hf",
        teacher_run_id=args.run_id or os.path.basename(os.path.normpath(args.model)),
        param_count=int(sum(p.numel() for p in model.parameters())), checkpoint_sha256=checkpoint_sha,
        dtype=args.dtype, dataset_attrs=attrs, sentences=out_sentences if args.sentence else None)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    teacher_h5.run(main)
