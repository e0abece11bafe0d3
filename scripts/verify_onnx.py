#!/usr/bin/env python3
"""Parity check of an exported ONNX model against LibTorch, run by `kd export`.

Reads the reference file kd-export writes (h5py: the split's examples after
truncation, LibTorch's logits and accuracy, LibTorch's batch-1 latency), runs
ONNX Runtime (CPU) over every example and checks:
  * onnx.checker.check_model(full_check=True) (strict shape inference),
  * max |logit difference| <= --max-abs-diff (1e-4),
  * identical predictions on >= --min-agreement (99.9 %) of examples,
  * equal accuracy (the same number of correct examples).
Measures ONNX Runtime batch-1 latency (p50/p95 over --latency-runs runs, the
thread count stated). With --int8 it also writes a dynamically quantized model
(onnxruntime.quantization.quantize_dynamic), evaluates it the same way and keeps
it only when its accuracy drop is within --int8-max-drop points.

Exit status: 0 parity holds, 3 parity failed, 4 a Python package is missing,
2 bad input. The result JSON is written in every case where checking ran.
"""
import argparse
import json
import os
import sys
import time


def fail_input(msg):
    print(f"verify_onnx.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


try:
    import h5py
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:  # the toolkit reports this as "ONNX Runtime missing"
    print(f"verify_onnx.py: error: missing Python package: {e.name} ({e}). "
          f"Install the toolkit's venv (scripts/setup) or pip install onnxruntime onnx h5py numpy",
          file=sys.stderr)
    sys.exit(4)


def load_reference(path):
    if not os.path.exists(path):
        fail_input(f"{path}: reference file not found")
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") not in ("zhengliu.onnx_reference", b"zhengliu.onnx_reference"):
            fail_input(f"{path}: not a zhengliu.onnx_reference file")
        ref = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        ref["input_ids"] = f["input_ids"][()].astype(np.int64)
        ref["offsets"] = f["offsets"][()].astype(np.int64)
        ref["token_type_ids"] = f["token_type_ids"][()].astype(np.int64) if "token_type_ids" in f else None
        ref["logits"] = f["logits"][()].astype(np.float32)
        ref["labels"] = f["labels"][()] if "labels" in f else None
        ref["multi_hot"] = f["multi_hot"][()] if "multi_hot" in f else None
    return ref


def example(ref, i):
    a, b = ref["offsets"][i], ref["offsets"][i + 1]
    tt = ref["token_type_ids"][a:b] if ref["token_type_ids"] is not None else None
    return ref["input_ids"][a:b], tt


def make_feed(ref, rows, input_names):
    """Pads the examples of `rows` to their longest, with [PAD] and attention_mask 0."""
    n = max(ref["offsets"][i + 1] - ref["offsets"][i] for i in rows)
    ids = np.full((len(rows), n), int(ref["pad_id"]), dtype=np.int64)
    mask = np.zeros((len(rows), n), dtype=np.int64)
    tt = np.zeros((len(rows), n), dtype=np.int64)
    for r, i in enumerate(rows):
        x, t = example(ref, i)
        ids[r, :len(x)] = x
        mask[r, :len(x)] = 1
        if t is not None:
            tt[r, :len(x)] = t
    feed = {"input_ids": ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        feed["token_type_ids"] = tt
    return feed


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def run_all(sess, ref, batch_size=64):
    names = {i.name for i in sess.get_inputs()}
    n = len(ref["offsets"]) - 1
    lengths = ref["offsets"][1:] - ref["offsets"][:-1]
    order = np.argsort(lengths, kind="stable")  # similar lengths together: less padding
    logits = np.zeros_like(ref["logits"])
    for s in range(0, n, batch_size):
        rows = order[s:s + batch_size]
        out = sess.run(["logits"], make_feed(ref, rows, names))[0]
        logits[rows] = out
    return logits


def predictions(task, logits):
    return (logits > 0) if task == "multi_label" else logits.argmax(axis=1)


def correct_count(ref, logits):
    task = ref["task"]
    if task == "multi_label":
        if ref["multi_hot"] is None:
            return 0, 0
        ok = ((logits > 0) == (ref["multi_hot"] != 0)).all(axis=1)
        return int(ok.sum()), len(ok)
    labels = ref["labels"]
    keep = labels >= 0
    return int((logits.argmax(axis=1)[keep] == labels[keep]).sum()), int(keep.sum())


def agreement(task, a, b):
    pa, pb = predictions(task, a), predictions(task, b)
    same = (pa == pb).all(axis=1) if task == "multi_label" else (pa == pb)
    return float(same.mean())


def latency(sess, ref, runs, threads):
    names = {i.name for i in sess.get_inputs()}
    pool = min(64, len(ref["offsets"]) - 1)
    feeds = [make_feed(ref, [i], names) for i in range(pool)]
    for i in range(2 * pool):  # warm-up over every example (twice), as kd-export does for LibTorch
        sess.run(["logits"], feeds[i % pool])
    ms = []
    for i in range(runs):
        t0 = time.perf_counter()
        sess.run(["logits"], feeds[i % pool])
        ms.append((time.perf_counter() - t0) * 1000.0)
    ms = np.sort(np.array(ms))
    pct = lambda q: float(ms[min(int(round(q * (len(ms) - 1))), len(ms) - 1)])
    return {"runs": runs, "threads": threads, "p50_ms": pct(0.5), "p95_ms": pct(0.95), "mean_ms": float(ms.mean())}


def evaluate(path, ref, args):
    sess = session(path, args.threads)
    logits = run_all(sess, ref)
    correct, labelled = correct_count(ref, logits)
    return sess, logits, {
        "file": os.path.basename(path),
        "size_bytes": os.path.getsize(path),
        "accuracy": correct / labelled if labelled else None,
        "correct": correct,
        "labelled": labelled,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model.onnx to check")
    ap.add_argument("--reference", required=True, help="reference HDF5 written by kd-export")
    ap.add_argument("--out-json", required=True, help="where to write the result")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--latency-runs", type=int, default=200)
    ap.add_argument("--max-abs-diff", type=float, default=1e-4)
    ap.add_argument("--min-agreement", type=float, default=0.999)
    ap.add_argument("--int8", action="store_true", help="also write and gate model.int8.onnx beside --model")
    ap.add_argument("--int8-max-drop", type=float, default=0.5, help="accuracy points the INT8 model may lose")
    args = ap.parse_args()
    if not os.path.exists(args.model):
        fail_input(f"{args.model}: not found")
    if args.threads < 1 or args.latency_runs < 1:
        fail_input("--threads and --latency-runs must be >= 1")

    ref = load_reference(args.reference)
    task = ref["task"]
    result = {"split": ref["split"], "examples": int(len(ref["offsets"]) - 1), "task": task,
              "onnxruntime_version": ort.__version__, "onnx_version": onnx.__version__}

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    result["checker"] = "onnx.checker.check_model(full_check=True) passed"
    result["metadata_keys"] = [p.key for p in model.metadata_props]

    sess, logits, fp32 = evaluate(args.model, ref, args)
    torch_correct, labelled = correct_count(ref, ref["logits"])
    diff = float(np.abs(logits - ref["logits"]).max())
    agree = agreement(task, logits, ref["logits"])
    parity = {
        "max_abs_logit_diff": diff,
        "max_abs_logit_diff_limit": args.max_abs_diff,
        "prediction_agreement": agree,
        "prediction_agreement_limit": args.min_agreement,
        "torch_accuracy": torch_correct / labelled if labelled else None,
        "onnx_accuracy": fp32["accuracy"],
        "torch_correct": torch_correct,
        "onnx_correct": fp32["correct"],
    }
    problems = []
    if not diff <= args.max_abs_diff:  # also catches NaN
        problems.append(f"max |logit difference| {diff:.3g} > {args.max_abs_diff:g}")
    if agree < args.min_agreement:
        problems.append(f"predictions agree on {agree:.4%} of examples < {args.min_agreement:.1%}")
    if fp32["correct"] != torch_correct:
        problems.append(f"accuracy differs: ONNX {fp32['correct']} vs LibTorch {torch_correct} correct of {labelled}")
    parity["passed"] = not problems
    parity["problems"] = problems
    result["parity"] = parity
    fp32["latency"] = latency(sess, ref, args.latency_runs, args.threads)
    result["fp32"] = fp32
    result["torch_latency"] = {"runs": int(ref["torch_latency_runs"]), "threads": int(ref["threads"]),
                               "p50_ms": float(ref["torch_latency_p50_ms"]),
                               "p95_ms": float(ref["torch_latency_p95_ms"]),
                               "mean_ms": float(ref["torch_latency_mean_ms"])}

    if args.int8 and parity["passed"]:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        int8_path = os.path.join(os.path.dirname(os.path.abspath(args.model)), "model.int8.onnx")
        # Signed int8 weights; ConvInteger on CPU only implements unsigned weights.
        has_conv = any(n.op_type == "Conv" for n in model.graph.node)
        quantize_dynamic(args.model, int8_path, weight_type=QuantType.QUInt8 if has_conv else QuantType.QInt8)
        isess, ilogits, int8 = evaluate(int8_path, ref, args)
        int8["latency"] = latency(isess, ref, args.latency_runs, args.threads)
        int8["weight_type"] = "uint8" if has_conv else "int8"
        int8["prediction_agreement_with_fp32"] = agreement(task, ilogits, logits)
        int8["max_abs_logit_diff_vs_fp32"] = float(np.abs(ilogits - logits).max())
        drop = 100.0 * ((fp32["accuracy"] or 0.0) - (int8["accuracy"] or 0.0))
        int8["accuracy_drop_points"] = drop
        int8["max_drop_points"] = args.int8_max_drop
        int8["kept"] = drop <= args.int8_max_drop
        if not int8["kept"]:
            del isess
            os.remove(int8_path)
            int8["file"] = None
            int8["reason"] = f"accuracy drop {drop:.2f} points > gate {args.int8_max_drop:g}"
        result["int8"] = int8

    with open(args.out_json, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    if not parity["passed"]:
        print("verify_onnx.py: PARITY FAILED: " + "; ".join(problems), file=sys.stderr)
        sys.exit(3)
    print(f"verify_onnx.py: parity ok: max |diff| {diff:.2e}, agreement {agree:.4%}, "
          f"accuracy {fp32['accuracy']}", file=sys.stderr)


if __name__ == "__main__":
    main()
