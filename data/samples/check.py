#!/usr/bin/env python3
"""Sanity checks for the demo dataset. Exits non-zero on failure."""
import json, re, sys, unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from make_stats import LABELS, SPLITS, find_pii, id_valid, luhn_ok

HERE = Path(__file__).resolve().parent
errors = []
rows = []
for s in SPLITS:
    raw = (HERE / f"{s}.jsonl").read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"): errors.append(f"{s}: BOM")
    if b"\r" in raw: errors.append(f"{s}: CR found")
    if not raw.endswith(b"\n"): errors.append(f"{s}: no final LF")
    for i, line in enumerate(raw.decode("utf-8").split("\n")[:-1], 1):
        try:
            obj = json.loads(line)
        except Exception as e:
            errors.append(f"{s}:{i} parse error {e}"); continue
        if set(obj) != {"text", "label"}: errors.append(f"{s}:{i} keys {set(obj)}")
        if obj["label"] not in LABELS: errors.append(f"{s}:{i} bad label {obj['label']}")
        t = obj["text"]
        if t != t.strip(): errors.append(f"{s}:{i} leading/trailing space {t!r}")
        if not 2 <= len(t) <= 65: errors.append(f"{s}:{i} length {len(t)} {t!r}")
        if line != json.dumps(obj, ensure_ascii=False): errors.append(f"{s}:{i} not ensure_ascii=False form")
        rows.append((s, obj["text"], obj["label"]))

# duplicates: exact, and after normalisation (NFKC, lower, drop spaces/punct/emoji)
texts = Counter(t for _, t, _ in rows)
for t, c in texts.items():
    if c > 1: errors.append(f"exact duplicate x{c}: {t}")
def norm(t):
    t = unicodedata.normalize("NFKC", t).lower()
    return "".join(ch for ch in t if unicodedata.category(ch)[0] in "LN")
nd = defaultdict(list)
for s, t, l in rows: nd[norm(t)].append((t, l))
for k, v in nd.items():
    if len(v) > 1: errors.append(f"normalised duplicate: {v}")

# per-intent totals and split ratio
per = defaultdict(Counter)
for s, t, l in rows: per[l][s] += 1
for l in LABELS:
    n = sum(per[l].values())
    if n < 65: errors.append(f"{l}: only {n}")
    for s, target in (("train", .70), ("dev", .15), ("test", .15)):
        if abs(per[l][s] / n - target) > 0.03: errors.append(f"{l}: {s} ratio {per[l][s]}/{n}")

# PII: every detected ID / card is valid; detection agrees with build log
detected = {}
for s, t, l in rows:
    f = find_pii(t)
    if f: detected[t] = f
    for m in f.get("id_card", []): assert id_valid(unicodedata.normalize("NFKC", m))
    for m in f.get("bank_card", []): assert luhn_ok(m.replace(" ", ""))
    for m in f.get("email", []):
        if not re.search(r"@example\.(com|org|net)$", m): errors.append(f"non-example email {m}")
    # leftover long digit runs that were not classified would be suspicious
    tn = unicodedata.normalize("NFKC", t)
    for run in re.findall(r"\d[\d \-]{9,}\d", tn):
        if not any(run.replace(" ", "") in "".join(x).replace(" ", "").replace("-", "") or run in x
                   for xs in f.values() for x in xs):
            errors.append(f"unclassified digit run {run!r} in {t}")
log = Path("/tmp/pii_log.txt")
if log.exists():
    exp = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        l, t, k = [x.strip() for x in line.split(" | ")]
        exp[t] = set(k.split(","))
    if set(exp) != set(detected): errors.append(f"PII set mismatch: {set(exp) ^ set(detected)}")
    for t in exp:
        if t in detected and set(detected[t]) != exp[t]:
            errors.append(f"PII kind mismatch {t}: {exp[t]} vs {set(detected[t])}")

print(f"{len(rows)} utterances, {len(texts)} distinct, {len(detected)} with fake PII")
print("\n".join(errors) if errors else "ALL CHECKS PASSED")
sys.exit(1 if errors else 0)
