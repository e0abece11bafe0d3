#!/usr/bin/env python3
"""Turn an LLM's answers into soft labels: a Zhengliu teacher-output file (kind probs).

Input, one JSON object per line (what OpenAI-compatible APIs and vLLM return with
logprobs=true, top_logprobs=k, for the answer to a classification prompt):
  {"id": "train:17", "top_logprobs": [[{"token": "退", "logprob": -0.11}, {"token": "催", "logprob": -2.4}, ...],
                                      [... second answer position ...]]}
and a verbalizer (YAML or JSON): dataset label -> answer strings, e.g.
  退货退款: ["退货", "退款"]
  催发货: ["催发货", "发货"]

How a distribution over labels is made (first answer token, --position 0 by default):
  * a listed token t matches label l when some answer string v of l starts with t
    (the LLM's first token is a prefix of the answer), or t starts with v; a token
    that matches several labels has its probability split equally between them;
    whitespace around tokens is ignored, empty tokens match nothing;
  * mass on listed tokens that match no label ("other": the model answered
    something else) is removed by renormalising over the labels;
  * the mass the top-k list does not cover (1 - sum of its probabilities) is
    unknown: with --uncovered uniform (default) it is spread evenly over the labels
    before renormalising; with --uncovered drop it is ignored;
  * examples where no listed token matches any label are counted and reported;
    --no-label uniform (default) gives them the uniform distribution, --no-label drop
    leaves them out of the file (kd teacher check then reports them as missing ids:
    use drop for analysis, or prepare the dataset without those examples).

Example:
  python scripts/teacher_from_llm.py --answers answers.jsonl --verbalizer verbalizer.yaml \\
      --data runs/cs.h5 --splits train --out runs/cs_teacher_llm.h5 --name qwen2.5-72b
"""
import argparse
import json
import math
import os

import numpy as np

import teacher_h5
from teacher_h5 import InputError


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--answers", required=True, help="JSONL: one {id, top_logprobs} object per example")
    p.add_argument("--verbalizer", required=True, help="YAML/JSON mapping: label -> list of answer strings")
    p.add_argument("--data", required=True, help="prepared dataset (ids, label names, checksum)")
    p.add_argument("--splits", default="train", help="comma-separated splits to write (default: %(default)s)")
    p.add_argument("--out", required=True, help="teacher file to write (HDF5)")
    p.add_argument("--position", type=int, default=0, help="answer position whose top-k is used (default 0)")
    p.add_argument("--uncovered", choices=["uniform", "drop"], default="uniform",
                   help="mass the top-k does not cover: spread over labels, or ignore (default: %(default)s)")
    p.add_argument("--no-label", choices=["uniform", "drop"], default="uniform",
                   help="examples without any label token: uniform distribution, or leave out (default: %(default)s)")
    p.add_argument("--name", help="teacher id recorded in the file (default: the answers file name)")
    return p.parse_args()


def load_verbalizer(path, label_names):
    v = teacher_h5.load_mapping_file(path, "verbalizer file")
    if not isinstance(v, dict):
        raise InputError(f"{path}: expected a mapping label -> list of answer strings")
    v = {str(k): val for k, val in v.items()}  # YAML may read a label like 0 as a number
    unknown = [k for k in v if k not in label_names]
    missing = [l for l in label_names if l not in v]
    if unknown or missing:
        raise InputError(f"{path}: verbalizer labels do not match the dataset's labels"
                         + (f"; not dataset labels: {unknown}" if unknown else "")
                         + (f"; dataset labels without answer strings: {missing}" if missing else "")
                         + f" (dataset labels: {label_names})")
    out = []
    for l in label_names:
        strings = v[l]
        if isinstance(strings, str):
            strings = [strings]
        if not isinstance(strings, list) or not strings or not all(isinstance(s, str) and s.strip() for s in strings):
            raise InputError(f"{path}: label '{l}' needs a non-empty list of non-empty answer strings")
        out.append([s.strip() for s in strings])
    return out


def label_distribution(top, verbalizer, uncovered):
    """top: [{"token","logprob"}] of one position. Returns (probs over labels, or None when no label matched)."""
    L = len(verbalizer)
    mass = np.zeros(L)
    covered = 0.0
    for entry in top:
        p = math.exp(float(entry["logprob"]))
        covered += p
        tok = str(entry["token"]).strip()
        if not tok:
            continue
        hits = [l for l, strings in enumerate(verbalizer)
                if any(s.startswith(tok) or tok.startswith(s) for s in strings)]
        for l in hits:
            mass[l] += p / len(hits)
    if mass.sum() <= 0:
        return None
    if uncovered == "uniform":
        mass += max(0.0, 1.0 - covered) / L
    return mass / mass.sum()


def read_answers(path):
    if not os.path.exists(path):
        raise InputError(f"{path}: answers file does not exist")
    answers = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{n}: not valid JSON ({e.msg})")
            if not isinstance(obj, dict) or "id" not in obj or "top_logprobs" not in obj:
                raise InputError(f"{path}:{n}: each line needs 'id' and 'top_logprobs'")
            tl = obj["top_logprobs"]
            if not isinstance(tl, list) or not all(isinstance(pos, list) for pos in tl):
                raise InputError(f"{path}:{n}: top_logprobs must be a list (positions) of lists of "
                                 "{token, logprob}")
            for pos in tl:
                for e in pos:
                    if not isinstance(e, dict) or "token" not in e or "logprob" not in e:
                        raise InputError(f"{path}:{n}: each top_logprobs entry needs 'token' and 'logprob'")
                    try:
                        lp = float(e["logprob"])
                    except (TypeError, ValueError):
                        raise InputError(f"{path}:{n}: logprob {e['logprob']!r} is not a number")
                    if not math.isfinite(lp) and lp != -math.inf or lp > 1e-6:
                        raise InputError(f"{path}:{n}: logprob {lp} is not a log-probability (must be <= 0)")
            key = str(obj["id"])
            if key in answers:
                raise InputError(f"{path}:{n}: id '{key}' appears twice")
            answers[key] = (n, tl)
    return answers


def main():
    args = parse_args()
    splits = [s for s in args.splits.split(",") if s]
    if not splits:
        raise InputError("--splits is empty")
    if args.position < 0:
        raise InputError("--position must be >= 0")
    attrs, data = teacher_h5.read_dataset(args.data, splits, with_text=False)
    if attrs["task"] == "multi_label":
        raise InputError(f"{args.data}: multi-label datasets are not supported by this importer "
                         "(a first-token answer picks one label)")
    labels = attrs["label_names"]
    verbalizer = load_verbalizer(args.verbalizer, labels)
    answers = read_answers(args.answers)

    dataset_ids = set()
    out_splits = {}
    total_no_label = 0
    for s in splits:
        ids = data[s]["ids"]
        dataset_ids.update(ids)
        missing = [i for i in ids if i not in answers]
        if missing:
            raise InputError(f"{args.answers}: {len(missing)} examples of split '{s}' have no answer "
                             f"(first: {missing[:5]}); answer every example or choose other --splits")
        keep_ids, rows, no_label = [], [], []
        for i in ids:
            line, tl = answers[i]
            if args.position >= len(tl):
                dist = None
            else:
                dist = label_distribution(tl[args.position], verbalizer, args.uncovered)
            if dist is None:
                no_label.append(i)
                if args.no_label == "drop":
                    continue
                dist = np.full(len(labels), 1.0 / len(labels))
            keep_ids.append(i)
            rows.append(dist)
        total_no_label += len(no_label)
        print(f"split {s}: {len(ids)} examples, {len(no_label)} without any label token"
              + (f" (first: {no_label[:5]})" if no_label else "")
              + (" -> dropped" if no_label and args.no_label == "drop" else
                 " -> uniform distribution" if no_label else ""))
        out_splits[s] = (keep_ids, np.array(rows, dtype=np.float32).reshape(len(keep_ids), len(labels)))
    unused = len(set(answers) - dataset_ids)
    if unused:
        print(f"note: {unused} answers have ids outside the chosen splits (ignored)")

    teacher_h5.write_teacher_file(
        args.out, task=attrs["task"], label_names=labels, dataset_sha256=attrs["content_sha256"],
        splits=out_splits, kind="probs", source="llm", temperature=1.0,
        teacher_run_id=args.name or os.path.basename(args.answers), param_count=-1,
        checkpoint_sha256=teacher_h5.sha256_file(args.answers), dataset_attrs=attrs)
    print(f"wrote {args.out} ({total_no_label} examples without a label token in total)")


if __name__ == "__main__":
    teacher_h5.run(main)
