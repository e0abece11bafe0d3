#!/usr/bin/env python3
"""Plain PyTorch training loop with the same model, batches and optimizer as
`kd train` (pre-LN transformer, bucketed dynamic padding, AdamW, clipping), for
the benchmark in docs/benchmarks-train.md. Prints one JSON line:
{"samples_per_s", "tokens_per_s", "non_embedding_params", ...}.

Also: `--peak` measures this machine's fp32 matmul peak (torch.mm on large matrices)."""
import argparse
import json
import math
import random
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

    def forward(self, ids, mask):
        x = self.drop(self.word(ids) + self.pos(torch.arange(ids.shape[1]))[None])
        km = mask.bool()[:, None, None, :]
        for l in self.layers:
            x = l(x, km)
        return self.cls(self.drop(self.ln(x)[:, 0]))


def batches(lengths, bs, bucket, pool, rng):
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if bucket:
        for s in range(0, len(order), bs * pool):
            order[s:s + bs * pool] = sorted(order[s:s + bs * pool], key=lambda i: lengths[i])
    out = [order[s:s + bs] for s in range(0, len(order), bs)]
    if bucket:
        rng.shuffle(out)
    return out


def peak(threads, n=2048, reps=10):
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        torch.mm(a, b)
    t = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    dt = time.perf_counter() - t
    return 2 * n ** 3 * reps / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data")
    ap.add_argument("--model")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20, help="timed steps (after as many warm-up steps)")
    ap.add_argument("--bucket", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--peak", action="store_true")
    a = ap.parse_args()
    if a.peak:
        print(json.dumps({"matmul_fp32_flops": peak(a.threads), "threads": a.threads}))
        return
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = yaml.safe_load(open(a.model))
    with h5py.File(a.data, "r") as f:
        vocab = int(f.attrs["vocab_size"])
        pad = int(f.attrs["pad_id"])
        nlab = len(f["label_names"]) if "label_names" in f else len(f.attrs["label_names"])
        ids = f["splits/train/input_ids"][:].astype(np.int64)
        off = f["splits/train/offsets"][:]
        lab = f["splits/train/labels"][:].astype(np.int64)
    lengths = [min(int(off[i + 1] - off[i]), cfg.get("max_length", 128)) for i in range(len(off) - 1)]
    model = Transformer(cfg, vocab, nlab)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-4)
    non_emb = sum(p.numel() for n, p in model.named_parameters() if not (n.startswith("word") or n.startswith("pos")))
    rng = random.Random(0)
    order = []
    model.train()

    def step():
        nonlocal order
        if not order:
            order = batches(lengths, a.batch_size, a.bucket, 100, rng)
        rows = order.pop()
        T = max(lengths[r] for r in rows)
        x = torch.full((len(rows), T), pad, dtype=torch.long)
        m = torch.zeros((len(rows), T), dtype=torch.long)
        for i, r in enumerate(rows):
            n = lengths[r]
            seq = ids[off[r]:off[r] + n].copy()
            seq[-1] = ids[off[r + 1] - 1]
            x[i, :n] = torch.from_numpy(seq)
            m[i, :n] = 1
        y = torch.from_numpy(lab[rows])
        opt.zero_grad()
        loss = F.cross_entropy(model(x, m), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return len(rows), int(m.sum())

    for _ in range(a.steps):
        step()
    t = time.perf_counter()
    samples = tokens = 0
    for _ in range(a.steps):
        s, k = step()
        samples += s
        tokens += k
    dt = time.perf_counter() - t
    print(json.dumps({"samples_per_s": samples / dt, "tokens_per_s": tokens / dt, "non_embedding_params": non_emb,
                      "steps": a.steps, "bucket": bool(a.bucket), "threads": a.threads}))


if __name__ == "__main__":
    main()
