#!/usr/bin/env python3
"""Recompute the README tables from train/dev/test.jsonl.

Usage: python3 make_stats.py            (prints Markdown tables)

Counts utterances per intent and split, and detects the fake personal data
in the texts with regular expressions (after NFKC normalisation, so full-width
digits are found too). ID numbers are only counted when their GB 11643 check
digit is valid, bank cards only when they pass the Luhn check.
"""
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPLITS = ["train", "dev", "test"]
LABELS = ["查询物流", "催发货", "退货退款", "换货", "修改地址", "取消订单", "发票", "优惠券",
          "支付问题", "账户登录", "会员积分", "售后维修", "商品咨询", "投诉", "转人工", "问候闲聊"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_valid(s):
    s = s.upper()
    return len(s) == 18 and s[:17].isdigit() and \
        "10X98765432"[sum(int(d) * w for d, w in zip(s, ID_WEIGHTS)) % 11] == s[17]


def luhn_ok(num):
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


ND = r"(?<![0-9A-Za-z])"   # not preceded by an ASCII letter/digit
NA = r"(?![0-9A-Za-z])"    # not followed by one
PATTERNS = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), None),
    ("id_card", re.compile(ND + r"\d{17}[\dXx]" + NA), id_valid),
    ("bank_card", re.compile(ND + r"(?:\d{4} ){3}\d{4}(?: \d{1,3})?" + NA + "|" + ND + r"\d{16,19}" + NA),
     lambda m: luhn_ok(m.replace(" ", "")) and m[0] in "3456"),
    ("order_tracking", re.compile(ND + r"(?:SF|JD|YT)\d{10,15}" + NA + "|" + ND + r"\d{16,20}" + NA), None),
    ("landline", re.compile(ND + r"0\d{2,3}-\d{7,8}" + NA), None),
    ("phone", re.compile(ND + r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + NA), None),
]
KINDS = [k for k, _, _ in PATTERNS]


def find_pii(text):
    """Return {kind: [matches]} for one utterance."""
    t = unicodedata.normalize("NFKC", text)
    found = defaultdict(list)
    for kind, pat, ok in PATTERNS:
        def rep(m):
            if ok is None or ok(m.group(0)):
                found[kind].append(m.group(0))
                return "#" * len(m.group(0))   # mask so later patterns don't re-match
            return m.group(0)
        t = pat.sub(rep, t)
    return dict(found)


def load():
    data = {}
    for s in SPLITS:
        with open(HERE / f"{s}.jsonl", encoding="utf-8") as f:
            data[s] = [json.loads(line) for line in f]
    return data


def main():
    data = load()
    counts = {s: Counter(r["label"] for r in rows) for s, rows in data.items()}
    out = []
    out.append("| Intent | train | dev | test | total |")
    out.append("|---|---:|---:|---:|---:|")
    for lab in LABELS:
        c = [counts[s][lab] for s in SPLITS]
        out.append(f"| {lab} | " + " | ".join(map(str, c)) + f" | {sum(c)} |")
    tot = [sum(counts[s].values()) for s in SPLITS]
    out.append("| **Total** | " + " | ".join(f"**{x}**" for x in tot) + f" | **{sum(tot)}** |")
    out.append("")

    per_kind = {s: Counter() for s in SPLITS}
    any_pii = Counter()
    for s, rows in data.items():
        for r in rows:
            f = find_pii(r["text"])
            for k in f:
                per_kind[s][k] += 1
            if f:
                any_pii[s] += 1
    out.append("| Fake personal data (utterances containing) | train | dev | test | total |")
    out.append("|---|---:|---:|---:|---:|")
    for k in KINDS:
        c = [per_kind[s][k] for s in SPLITS]
        out.append(f"| {k} | " + " | ".join(map(str, c)) + f" | {sum(c)} |")
    c = [any_pii[s] for s in SPLITS]
    n = sum(tot)
    out.append("| **any kind** | " + " | ".join(f"**{x}**" for x in c) +
               f" | **{sum(c)}** ({100 * sum(c) / n:.1f}% of {n}) |")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
