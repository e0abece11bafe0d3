#!/usr/bin/env python3
"""Metadata round trip of an export directory (used by export_test.cpp): reads
model.onnx with the Python onnx package and checks its metadata_props against
labels.json and export.json, and the graph's inputs and outputs. Exit 1 on a mismatch."""
import json
import sys

import onnx


def main(export_dir):
    model = onnx.load(f"{export_dir}/model.onnx")
    meta = {p.key: p.value for p in model.metadata_props}
    labels = json.load(open(f"{export_dir}/labels.json", encoding="utf-8"))
    summary = json.load(open(f"{export_dir}/export.json", encoding="utf-8"))
    ds = summary["dataset"]
    problems = []

    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: {got!r} != {want!r}")

    expect("labels", json.loads(meta["labels"]), labels)
    expect("labels vs export.json", labels, ds["label_names"])
    expect("task", meta["task"], ds["task"])
    expect("dataset_max_length", int(meta["dataset_max_length"]), ds["max_length"])
    expect("model_max_length", int(meta["model_max_length"]), summary["model"]["max_length"])
    expect("max_length", int(meta["max_length"]), min(ds["max_length"], summary["model"]["max_length"]))
    expect("tokenizer_sha256", meta["tokenizer_sha256"], ds["tokenizer_sha256"])
    expect("normalization", json.loads(meta["normalization"]), ds["normalization"])
    expect("masking", json.loads(meta["masking"]), ds["masking"])
    expect("run_id", meta["run_id"], summary["run"]["run_id"])
    expect("architecture", meta["architecture"], summary["model"]["architecture"])
    test = json.loads(meta["test_metrics"])
    expect("test accuracy", test["accuracy"], summary["verification"]["parity"]["torch_accuracy"])
    json.loads(meta["run_metrics"])
    expect("opset", model.opset_import[0].version, 17)
    inputs = [i.name for i in model.graph.input]
    want_inputs = ["input_ids", "attention_mask"] + (["token_type_ids"] if ds["task"] == "pair" else [])
    expect("inputs", inputs, want_inputs)
    expect("outputs", [o.name for o in model.graph.output], ["logits", "probs"])
    for i in model.graph.input:
        dims = [d.dim_param for d in i.type.tensor_type.shape.dim]
        expect(f"{i.name} dims", dims, ["batch", "sequence"])
        expect(f"{i.name} type", i.type.tensor_type.elem_type, onnx.TensorProto.INT64)
    if problems:
        print("metadata round trip FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"metadata round trip ok ({len(meta)} keys)")


if __name__ == "__main__":
    main(sys.argv[1])
