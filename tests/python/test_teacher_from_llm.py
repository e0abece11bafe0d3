"""ctest: scripts/teacher_from_llm.py on tests/fixtures/llm_answers.jsonl.
Usage: test_teacher_from_llm.py KD_TEACHER_BINARY   (exits non-zero on failure)"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from zl_test_dataset import SPLITS, write_dataset  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "teacher_from_llm.py")
ANSWERS = os.path.join(ROOT, "tests", "fixtures", "llm_answers.jsonl")
VERBALIZER = os.path.join(ROOT, "tests", "fixtures", "llm_verbalizer.yaml")
KD_TEACHER = sys.argv[1]


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


def check(t, d):
    return subprocess.run([KD_TEACHER, "check", t, d], capture_output=True, text=True)


def main():
    tmp = tempfile.mkdtemp()
    data = os.path.join(tmp, "d.h5")
    write_dataset(data, SPLITS)
    out = os.path.join(tmp, "t.h5")
    r = run("--answers", ANSWERS, "--verbalizer", VERBALIZER, "--data", data, "--splits", "train,dev", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "split train: 3 examples, 1 without any label token (first: ['train:2']) -> uniform distribution" in r.stdout, r.stdout
    # Expected (hand computation, default --uncovered uniform):
    #   train:0  退 .6 -> 退货退款, 催 .3 -> 催发货, uncovered .1 spread: [.1/3, .3+.1/3, .6+.1/3]
    #   train:1  物流 .5 -> 查询物流, 好的 .3 -> no label, " 发" .1 -> 催发货 (via 发货), uncovered .1:
    #            [.5+.1/3, .1+.1/3, .1/3] / .7
    #   train:2  no label token -> uniform
    #   dev:0    查 .95 matches 查询物流 and 催发货 (查发货进度): .475 each; 退款 .04; uncovered .01
    #   dev:1    退货退款吧 .8 starts with 退货; 催发货 .15; uncovered .05
    expect = {
        "train:0": [1 / 30, 0.3 + 1 / 30, 0.6 + 1 / 30],
        "train:1": [(0.5 + 0.1 / 3) / 0.7, (0.1 + 0.1 / 3) / 0.7, (0.1 / 3) / 0.7],
        "train:2": [1 / 3, 1 / 3, 1 / 3],
        "dev:0": [0.475 + 0.01 / 3, 0.475 + 0.01 / 3, 0.04 + 0.01 / 3],
        "dev:1": [0.05 / 3, 0.15 + 0.05 / 3, 0.8 + 0.05 / 3],
    }
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "zhengliu.teacher" and f.attrs["kind"] == "probs" and f.attrs["source"] == "llm"
        for split in ("train", "dev"):
            ids = [x.decode() for x in f[f"splits/{split}/ids"][()]]
            p = f[f"splits/{split}/logits"][()]
            for i, id_ in enumerate(ids):
                assert np.allclose(p[i], expect[id_], atol=1e-6), (id_, p[i], expect[id_])
    c = check(out, data)
    assert c.returncode == 0, c.stdout + c.stderr

    # --uncovered drop: train:1 -> [.5, .1, 0] / .6
    out2 = os.path.join(tmp, "t2.h5")
    r = run("--answers", ANSWERS, "--verbalizer", VERBALIZER, "--data", data, "--splits", "train", "--out", out2,
            "--uncovered", "drop")
    assert r.returncode == 0, r.stderr
    with h5py.File(out2, "r") as f:
        ids = [x.decode() for x in f["splits/train/ids"][()]]
        assert np.allclose(f["splits/train/logits"][ids.index("train:1")], [5 / 6, 1 / 6, 0], atol=1e-6)

    # --no-label drop: train:2 left out; kd teacher check then reports it as missing (exit 2).
    out3 = os.path.join(tmp, "t3.h5")
    r = run("--answers", ANSWERS, "--verbalizer", VERBALIZER, "--data", data, "--splits", "train", "--out", out3,
            "--no-label", "drop")
    assert r.returncode == 0 and "-> dropped" in r.stdout, r.stdout + r.stderr
    c = check(out3, data)
    assert c.returncode == 2 and "1 dataset example ids have no teacher output ('train:2')" in c.stderr, c.stderr

    # Bad inputs: exit 2 with the file (and line) named, nothing written.
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w", encoding="utf-8") as fh:
        fh.write(open(ANSWERS, encoding="utf-8").readline())
        fh.write("{not json\n")
    out4 = os.path.join(tmp, "t4.h5")
    r = run("--answers", bad, "--verbalizer", VERBALIZER, "--data", data, "--splits", "train", "--out", out4)
    assert r.returncode == 2 and f"{bad}:2: not valid JSON" in r.stderr, r.stderr
    assert not os.path.exists(out4)
    verb = os.path.join(tmp, "v.yaml")
    with open(verb, "w", encoding="utf-8") as fh:
        fh.write("查询物流: [物流]\n催发货: [发货]\n退款: [退款]\n")
    r = run("--answers", ANSWERS, "--verbalizer", verb, "--data", data, "--splits", "train", "--out", out4)
    assert r.returncode == 2 and "not dataset labels: ['退款']" in r.stderr and "without answer strings: ['退货退款']" in r.stderr, r.stderr
    r = run("--answers", ANSWERS, "--verbalizer", VERBALIZER, "--data", data, "--splits", "test", "--out", out4)
    assert r.returncode == 2 and "no split 'test'" in r.stderr, r.stderr
    print("teacher_from_llm: all checks passed")


if __name__ == "__main__":
    main()
