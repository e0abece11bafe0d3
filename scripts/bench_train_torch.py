#!/usr/bin/env python3
"""The plain PyTorch side of scripts/bench_train.sh (docs/benchmarks-train.md): the
same model shape as `kd train` (the from-scratch pre-LN transformer, or a pretrained
BERT-family checkpoint through transformers' BertModel with the dataset's pruned
vocabulary), the same batches in the same order (the rows kd's StepLoader draws,
dumped by `zl_train_bench --dump-batches`, padded and truncated like kd's
make_batch), AdamW with kd's two parameter groups, gradient clipping at 1.0, fp32.
Prints one JSON line: samples/s and real (non-padding) tokens/s of the timed steps,
and the thread settings.

  bench_train_torch.py --peak --threads 2     # fp32 torch.mm GFLOP/s (the MFU denominator)
  bench_train_torch.py --data D.h5 --model M.yaml --batches B.json --warmup 10 --steps 50 --threads 2
"""
import argparse
import json
import os
import re
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml


class Layer(nn.Module):
    def __init__(self, h, heads, ffn, p, pa):
        super().__init__()
        self.heads, self.pa = heads, pa
        self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
        self.qkv, self.out = nn.Linear(h, 3 * h), nn.Linear(h, h)
        self.fc1, self.fc2 = nn.Linear(h, ffn), nn.Linear(ffn, h)
        self.drop = nn.Dropout(p)

    def forward(self, x, key_mask):
        B, T, H = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.heads, H // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=self.pa if self.training else 0.0)
        x = x + self.drop(self.out(a.transpose(1, 2).reshape(B, T, H)))
        return x + self.drop(self.fc2(F.gelu(self.fc1(self.ln2(x)))))


class Transformer(nn.Module):
    """kd's `architecture: transformer` (train/models/transformer.cpp)."""

    def __init__(self, cfg, vocab, labels):
        super().__init__()
        h = cfg["hidden"]
        self.word = nn.Embedding(vocab, h)
        self.pos = nn.Embedding(cfg.get("max_length", 128), h)
        self.layers = nn.ModuleList(Layer(h, cfg["heads"], cfg["ffn"], cfg.get("dropout", 0.1),
                                          cfg.get("attention_dropout", 0.1)) for _ in range(cfg["layers"]))
        self.ln = nn.LayerNorm(h)
        self.drop = nn.Dropout(cfg.get("dropout", 0.1))
        self.cls = nn.Linear(h, labels)
        self.mean = cfg.get("pooling", "cls") == "mean"

    def forward(self, ids, mask):
        x = self.drop(self.word(ids) + self.pos(torch.arange(ids.shape[1]))[None])
        km = mask.bool()[:, None, None, :]
        for l in self.layers:
            x = l(x, km)
        x = self.ln(x)
        if self.mean:
            m = mask[..., None].to(x.dtype)
            pooled = (x * m).sum(1) / m.sum(1).clamp_min(1.0)
        else:
            pooled = x[:, 0]
        return self.cls(self.drop(pooled))


class Pretrained(nn.Module):
    """kd's `architecture: pretrained` for a BERT-family checkpoint (e5-small): the
    checkpoint's encoder with the rows of the dataset's pruned vocabulary, masked mean
    (or [CLS]) pooling, dropout, a linear head."""

    def __init__(self, cfg, checkpoint, vocab_map, labels):
        super().__init__()
        from transformers import BertModel
        enc = BertModel.from_pretrained(checkpoint, add_pooling_layer=False, attn_implementation="sdpa",
                                        local_files_only=True)
        if "layers" in cfg:
            enc.encoder.layer = enc.encoder.layer[: int(cfg["layers"])]
        w = enc.embeddings.word_embeddings.weight.detach()[torch.as_tensor(vocab_map, dtype=torch.long)].clone()
        enc.embeddings.word_embeddings = nn.Embedding.from_pretrained(w, freeze=False)
        self.enc = enc
        self.drop = nn.Dropout(enc.config.hidden_dropout_prob)
        self.cls = nn.Linear(enc.config.hidden_size, labels)
        self.mean = cfg.get("pooling", "mean") == "mean"

    def forward(self, ids, mask):
        x = self.enc(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)).last_hidden_state
        if self.mean:
            m = mask[..., None].to(x.dtype)
            pooled = (x * m).sum(1) / m.sum(1).clamp_min(1.0)
        else:
            pooled = x[:, 0]
        return self.cls(self.drop(pooled))


def expand(text):
    """${VAR}, ${VAR:-default} (defaults may nest) as kd's config loader expands them."""
    out, i = "", 0
    while i < len(text):
        if text.startswith("${", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0) if text[j - 1] == "$" or text[j] == "}" else 0
                j += 1
            body = text[i + 2:j - 1]
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:-(.*))?$", body, re.S)
            if not m:
                raise SystemExit(f"cannot expand {text!r}")
            out += os.environ.get(m.group(1)) or (expand(m.group(3)) if m.group(3) is not None else "")
            i = j
        else:
            out += text[i]
            i += 1
    return out


def set_threads(threads):
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)  # as kd (train/threads.h): our loops never fork
    except RuntimeError:
        pass
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}


def peak(n=2048, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    best = 0.0
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b)
        best = max(best, 2 * n ** 3 / (time.perf_counter() - t))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--model")
    ap.add_argument("--batches", help="zl_train_bench --dump-batches output: the rows of each step")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50, help="timed steps (after --warmup)")
    ap.add_argument("--max-length", type=int, default=0, help="model.max_length override (0 = the preset's)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--peak", action="store_true")
    ap.add_argument("--gemm-size", type=int, default=2048)
    a = ap.parse_args()
    threads = set_threads(a.threads)
    if a.peak:
        print(json.dumps({"matmul_fp32_flops": peak(a.gemm_size), "size": a.gemm_size, "threads": threads}))
        return
    torch.manual_seed(0)
    cfg = yaml.safe_load(open(a.model))
    if a.max_length:
        cfg["max_length"] = a.max_length
    max_len = int(cfg.get("max_length", 128))
    with h5py.File(a.data, "r") as f:
        vocab = int(f.attrs["vocab_size"])
        pad = int(f.attrs["pad_id"])
        nlab = len(f["label_names"]) if "label_names" in f else len(f.attrs["label_names"])
        ids = f["splits/train/input_ids"][:].astype(np.int64)
        off = f["splits/train/offsets"][:].astype(np.int64)
        lab = f["splits/train/labels"][:].astype(np.int64)
        vocab_map = f["tokenizer/vocab_map"][:] if "tokenizer/vocab_map" in f else None
    if cfg["architecture"] == "transformer":
        model = Transformer(cfg, vocab, nlab)
    elif cfg["architecture"] == "pretrained":
        if vocab_map is None:
            raise SystemExit(f"{a.data}: no /tokenizer/vocab_map (not prepared with the checkpoint's tokenizer)")
        model = Pretrained(cfg, expand(cfg["checkpoint"]), vocab_map, nlab)
    else:
        raise SystemExit(f"{a.model}: architecture {cfg['architecture']} has no PyTorch twin here")
    # kd's groups: weight matrices and embeddings decayed, 1-D parameters not.
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=5e-4, foreach=True)
    steps = json.load(open(a.batches))["batches"]
    if len(steps) < a.warmup + a.steps:
        raise SystemExit(f"{a.batches}: {len(steps)} steps, need {a.warmup + a.steps}")
    model.train()

    def batch(rows):
        # kd's make_batch: truncate to max_length keeping the final [SEP], pad with pad_id.
        lens = [min(int(off[r + 1] - off[r]), max_len) for r in rows]
        T = max(lens)
        x = torch.full((len(rows), T), pad, dtype=torch.long)
        m = torch.zeros((len(rows), T), dtype=torch.long)
        for i, (r, n) in enumerate(zip(rows, lens)):
            seq = ids[off[r]:off[r] + n].copy()
            seq[-1] = ids[off[r + 1] - 1]
            x[i, :n] = torch.from_numpy(seq)
            m[i, :n] = 1
        return x, m, torch.from_numpy(lab[rows]), sum(lens)

    def step(rows):
        x, m, y, real = batch(rows)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x, m), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return len(rows), real

    for rows in steps[:a.warmup]:
        step(rows)
    samples = tokens = 0
    t = time.perf_counter()
    for rows in steps[a.warmup:a.warmup + a.steps]:
        s, k = step(rows)
        samples += s
        tokens += k
    dt = time.perf_counter() - t
    print(json.dumps({"samples_per_s": samples / dt, "tokens_per_s": tokens / dt, "samples": samples,
                      "real_tokens": tokens, "seconds": dt, "steps": a.steps, "threads": threads,
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
