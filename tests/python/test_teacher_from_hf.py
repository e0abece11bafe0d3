"""ctest: scripts/teacher_from_hf.py with a tiny randomly initialised
BertForSequenceClassification built here (nothing is downloaded).
Usage: test_teacher_from_hf.py KD_TEACHER_BINARY   (exits non-zero on failure)"""
import os
import subprocess
import sys
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification, BertTokenizer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from zl_test_dataset import LABELS, SPLITS, write_dataset  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "teacher_from_hf.py")
KD_TEACHER = sys.argv[1]


def make_model(path, id2label):
    os.makedirs(path, exist_ok=True)
    chars = sorted({c for rows in SPLITS.values() for _, text, _ in rows for c in text})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars
    vocab_file = os.path.join(path, "vocab.txt")
    with open(vocab_file, "w", encoding="utf-8") as fh:
        fh.write("\n".join(vocab) + "\n")
    tok = BertTokenizer(vocab_file)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=64, num_labels=len(id2label),
                     id2label=dict(enumerate(id2label)), label2id={l: i for i, l in enumerate(id2label)})
    model = BertForSequenceClassification(cfg).eval()
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return model, tok


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


def main():
    tmp = tempfile.mkdtemp()
    data = os.path.join(tmp, "d.h5")
    write_dataset(data, SPLITS)
    # The model's label order differs from the dataset's: columns must be mapped by name.
    model_labels = ["退货退款", "查询物流", "催发货"]
    model, tok = make_model(os.path.join(tmp, "bert"), model_labels)
    out = os.path.join(tmp, "t.h5")
    r = run("--model", os.path.join(tmp, "bert"), "--data", data, "--splits", "train,dev", "--out", out,
            "--device", "cpu", "--batch-size", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    with torch.no_grad():
        enc = tok(["快递到哪了"], return_tensors="pt")
        ref = model(**enc).logits[0].numpy()
    with h5py.File(out, "r") as f:
        assert f.attrs["source"] == "hf" and f.attrs["kind"] == "logits"
        assert [x if isinstance(x, str) else x.decode() for x in f.attrs["label_names"]] == LABELS
        ids = [x.decode() for x in f["splits/train/ids"][()]]
        row = f["splits/train/logits"][ids.index("train:1")]
        want = [ref[model_labels.index(l)] for l in LABELS]
        assert np.allclose(row, want, atol=1e-5), (row, want)
        assert f.attrs["param_count"] == sum(p.numel() for p in model.parameters())
    c = subprocess.run([KD_TEACHER, "check", out, data], capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr

    # float16 output: h5py sees float16, kd teacher check accepts it.
    out16 = os.path.join(tmp, "t16.h5")
    r = run("--model", os.path.join(tmp, "bert"), "--data", data, "--splits", "train", "--out", out16,
            "--device", "cpu", "--dtype", "float16")
    assert r.returncode == 0, r.stderr
    with h5py.File(out16, "r") as f:
        assert f["splits/train/logits"].dtype == np.float16
    c = subprocess.run([KD_TEACHER, "check", out16, data], capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr

    # --sentence: the BERT pooler output (what its head reads) per example, aligned like the logits.
    outs = os.path.join(tmp, "ts.h5")
    r = run("--model", os.path.join(tmp, "bert"), "--data", data, "--splits", "train,dev", "--out", outs,
            "--device", "cpu", "--batch-size", "2", "--sentence")
    assert r.returncode == 0, r.stdout + r.stderr
    with torch.no_grad():
        pooled = model.bert(**tok(["快递到哪了"], return_tensors="pt")).pooler_output[0].numpy()
    with h5py.File(outs, "r") as f:
        assert f.attrs["sentence_dim"] == 16, f.attrs["sentence_dim"]
        assert f["splits/dev/sentence"].shape == (2, 16)
        ids = [x.decode() for x in f["splits/train/ids"][()]]
        got = f["splits/train/sentence"][ids.index("train:1")]
        assert np.allclose(got, pooled, atol=1e-5), (got, pooled)
        assert f.attrs["dataset_path"] == os.path.abspath(data)
    c = subprocess.run([KD_TEACHER, "check", outs, data], capture_output=True, text=True)
    assert c.returncode == 0 and "sentence vectors of 16" in c.stdout, c.stdout + c.stderr

    # Names that do not match: refused, listing both sides, nothing written.
    make_model(os.path.join(tmp, "bert_en"), ["return", "logistics", "urge"])
    out2 = os.path.join(tmp, "t2.h5")
    r = run("--model", os.path.join(tmp, "bert_en"), "--data", data, "--out", out2, "--splits", "train")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "dataset labels: ['查询物流', '催发货', '退货退款']" in r.stderr and "'return', 'logistics', 'urge'" in r.stderr, r.stderr
    assert not os.path.exists(out2)
    # ... and accepted with a label map.
    lm = os.path.join(tmp, "map.json")
    with open(lm, "w", encoding="utf-8") as fh:
        fh.write('{"查询物流": "logistics", "催发货": "urge", "退货退款": "return"}')
    r = run("--model", os.path.join(tmp, "bert_en"), "--data", data, "--out", out2, "--splits", "train",
            "--label-map", lm)
    assert r.returncode == 0, r.stderr
    c = subprocess.run([KD_TEACHER, "check", out2, data], capture_output=True, text=True)
    assert c.returncode == 0, c.stdout + c.stderr
    # A missing model directory: exit 2.
    r = run("--model", os.path.join(tmp, "nope"), "--data", data, "--out", out2)
    assert r.returncode == 2 and "not a Hugging Face model directory" in r.stderr, r.stderr
    print("teacher_from_hf: all checks passed")


if __name__ == "__main__":
    main()
