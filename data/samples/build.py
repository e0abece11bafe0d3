#!/usr/bin/env python3
"""Build train/dev/test.jsonl from utterances.py.

Fills the fake-PII placeholders with made-up but well-formed values
(GB 11643 check digits for ID numbers, Luhn for bank cards), then does a
fixed, seeded, stratified 70/15/15 split. Deterministic: re-running gives
byte-identical files.
"""
import json
import random
import re
from pathlib import Path

from utterances import INTENTS

HERE = Path(__file__).resolve().parent
SEED = 20240611
LABELS = ["查询物流", "催发货", "退货退款", "换货", "修改地址", "取消订单", "发票", "优惠券",
          "支付问题", "账户登录", "会员积分", "售后维修", "商品咨询", "投诉", "转人工", "问候闲聊"]

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_MAP = "10X98765432"


def id_check(first17: str) -> str:
    return ID_MAP[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def luhn_ok(num: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(partial: str) -> str:
    for c in "0123456789":
        if luhn_ok(partial + c):
            return partial + c
    raise AssertionError


FW = str.maketrans("0123456789", "０１２３４５６７８９")


class Faker:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.used = set()

    def _uniq(self, fn):
        while True:
            v = fn()
            if v not in self.used:
                self.used.add(v)
                return v

    def digits(self, n):
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def phone(self):
        return self._uniq(lambda: self.r.choice(
            ["138", "139", "135", "186", "158", "177", "150", "188", "131", "199", "136", "187"]) + self.digits(8))

    def landline(self):
        def f():
            area = self.r.choice(["010", "021", "020", "0755", "0571", "028", "025", "027"])
            n = 8 if len(area) == 3 else self.r.choice([7, 8])
            return f"{area}-{self.r.choice('2345678')}{self.digits(n - 1)}"
        return self._uniq(f)

    def email(self):
        locals_ = ["zhang.san", "li.si", "wang.wu", "xiaoming2024", "chen_jing", "liu.yang88",
                   "zhao.lei", "sun.li", "zhou.min", "wu.fang", "test.user", "huang.tao", "lin_xiao"]
        doms = ["example.com", "example.com", "example.org", "example.net"]
        return self._uniq(lambda: f"{self.r.choice(locals_)}@{self.r.choice(doms)}")

    def idno(self, want_x=False):
        def f():
            area = self.r.choice(["110101", "310104", "440305", "330106", "510107", "320102", "420106"])
            y = self.r.randint(1970, 2004)
            m = self.r.randint(1, 12)
            d = self.r.randint(1, 28)
            first17 = f"{area}{y:04d}{m:02d}{d:02d}{self.digits(3)}"
            return first17 + id_check(first17)
        while True:
            v = f()
            if want_x and not v.endswith("X"):
                continue
            if v not in self.used:
                self.used.add(v)
                return v

    def card(self):
        def f():
            prefix = self.r.choice(["622202", "621700", "622848", "621483", "436742", "403391", "625807"])
            length = self.r.choice([16, 16, 19])
            return luhn_complete(prefix + self.digits(length - len(prefix) - 1))
        return self._uniq(f)

    def order(self):
        def f():
            y = self.r.choice(["2024", "2025"])
            md = f"{self.r.randint(1, 12):02d}{self.r.randint(1, 28):02d}"
            length = self.r.choice([16, 17, 18, 19, 20])
            v = y + md + self.digits(length - 8)
            # keep order numbers distinguishable from cards / ID numbers
            if luhn_ok(v) or (len(v) == 18 and id_check(v[:17]) == v[17]):
                return None
            return v
        while True:
            v = f()
            if v and v not in self.used:
                self.used.add(v)
                return v

    def track(self, prefix):
        return self._uniq(lambda: prefix + self.digits(13))


KIND_OF = {
    "PHONE": "phone", "PHONE_SPACED": "phone", "PHONE_DASH": "phone", "PHONE_FW": "phone",
    "LANDLINE": "landline", "EMAIL": "email", "IDNO": "id_card",
    "CARD": "bank_card", "CARD_SPACED": "bank_card",
    "ORDER": "order_tracking", "ORDER_FW": "order_tracking",
    "TRACK_SF": "order_tracking", "TRACK_JD": "order_tracking", "TRACK_YT": "order_tracking",
}


def fill(text, fk, state):
    kinds = []

    def rep(m):
        key = m.group(1)
        kinds.append(KIND_OF[key])
        if key == "PHONE":
            return fk.phone()
        if key == "PHONE_SPACED":
            p = fk.phone(); return f"{p[:3]} {p[3:7]} {p[7:]}"
        if key == "PHONE_DASH":
            p = fk.phone(); return f"{p[:3]}-{p[3:7]}-{p[7:]}"
        if key == "PHONE_FW":
            return fk.phone().translate(FW)
        if key == "LANDLINE":
            return fk.landline()
        if key == "EMAIL":
            return fk.email()
        if key == "IDNO":
            v = fk.idno(want_x=not state["x_done"])
            state["x_done"] = True
            return v
        if key == "CARD":
            return fk.card()
        if key == "CARD_SPACED":
            c = fk.card(); return " ".join(c[i:i + 4] for i in range(0, len(c), 4))
        if key == "ORDER":
            return fk.order()
        if key == "ORDER_FW":
            return fk.order().translate(FW)
        if key.startswith("TRACK_"):
            return fk.track(key[-2:])
        raise KeyError(key)

    out = re.sub(r"\{([A-Z_]+)\}", rep, text)
    return out, kinds


def main():
    assert list(INTENTS) == LABELS
    fk = Faker(SEED)
    state = {"x_done": False}
    splits = {"train": [], "dev": [], "test": []}
    pii_log = []
    per_label = {}
    pii_items = {}  # primary kind -> list of (label, row)
    for label in LABELS:
        rows = []
        for t in INTENTS[label]:
            text, kinds = fill(t, fk, state)
            row = {"text": text, "label": label}
            rows.append(row)
            if kinds:
                pii_log.append((label, text, kinds))
                pii_items.setdefault(kinds[-1], []).append(row)
        per_label[label] = rows
    # Pre-assign utterances with fake personal data so that every kind shows
    # up in dev and test as well (about 70/15/15 per kind).
    assigned = {}
    for kind in sorted(pii_items):
        items = pii_items[kind]
        random.Random(f"{SEED}-pii-{kind}").shuffle(items)
        k = max(1, round(len(items) * 0.15))
        for i, row in enumerate(items):
            assigned[id(row)] = "dev" if i < k else "test" if i < 2 * k else "train"
    # Stratified split per intent: 70/15/15 of each intent's utterances.
    for label in LABELS:
        rows = per_label[label]
        n = len(rows)
        quota = {"dev": round(n * 0.15), "test": round(n * 0.15)}
        quota["train"] = n - quota["dev"] - quota["test"]
        free = [r for r in rows if id(r) not in assigned]
        random.Random(f"{SEED}-{label}").shuffle(free)
        for r in rows:
            if id(r) in assigned:
                s_ = assigned[id(r)]
                splits[s_].append(r)
                quota[s_] -= 1
        assert min(quota.values()) >= 0, (label, quota)
        for s_ in ("train", "dev", "test"):
            splits[s_] += free[:quota[s_]]
            free = free[quota[s_]:]
        assert not free
    for name, rows in splits.items():
        random.Random(f"{SEED}-{name}").shuffle(rows)
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    for label, text, kinds in pii_log:
        print(label, "|", text, "|", ",".join(kinds))


if __name__ == "__main__":
    main()
