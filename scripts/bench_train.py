#!/usr/bin/env python3
"""Side-by-side training-speed benchmark (driven by scripts/bench_train.sh; the
method is in docs/benchmarks-train.md).

For each cell (a model preset), kd train and the plain PyTorch loop of
scripts/bench_train_torch.py train the same model shape on the same batches in
the same order (kd's StepLoader rows, dumped once by `zl_train_bench
--dump-batches`), with the same thread settings; the two alternate (kd first in
odd repetitions, PyTorch first in even ones). Each run: WARMUP optimizer steps,
then STEPS timed ones. Reported per cell: median and range over the repetitions of
samples/s, real (non-padding) tokens/s, and MFU = 6 x non-embedding parameters x
real tokens/s / the fp32 matmul peak measured at the start of the same invocation
(the better of torch.mm and LibTorch's mm at 2048^3, same threads).

Writes every measurement as a JSON line to --out and prints a markdown table.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEP = os.environ.get("ZL_BENCH_SWEEP", os.path.join(ROOT, "runs/sweeps/smp2017_intent_e5"))
STUDENTS = ["student_l1_h64", "student_64th", "student_l2_h128", "student_16th"]
BIG = ["student_quarter", "teacher_l4_h256", "teacher", "e5_small"]


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(f"bench_train: failed ({p.returncode}): {' '.join(cmd)}")
    return p.stdout


def kd_windows(run_dir):
    """kd's timed rate: the train events after the first (warm-up) window, summed."""
    ev = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl"))]
    tr = [e for e in ev if e.get("event") == "train"][1:]
    secs = sum(e["window_s"] for e in tr)
    samples = sum(e["samples_per_s"] * e["window_s"] for e in tr)
    tokens = sum(e["tokens_per_s"] * e["window_s"] for e in tr)
    return {"samples_per_s": samples / secs, "tokens_per_s": tokens / secs, "samples": round(samples),
            "real_tokens": round(tokens), "seconds": secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(SWEEP, "data/dataset.h5"),
                    help="prepared dataset for the from-scratch presets (smp2017_intent, character level)")
    ap.add_argument("--e5-data", default=os.path.join(SWEEP, "data/teacher-dataset.h5"),
                    help="the same texts prepared for e5-small (configs/datasets/smp2017_intent_e5.yaml)")
    ap.add_argument("--cells", default=",".join(STUDENTS + BIG), help="model presets (configs/models/NAME.yaml)")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=64, help="model.max_length for every cell (as the sweep)")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=50, help="timed optimizer steps per run (students)")
    ap.add_argument("--big-steps", type=int, default=20,
                    help="timed steps for the teacher-sized cells (" + ", ".join(BIG) + ")")
    ap.add_argument("--big-warmup", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smoke run: two cells, 1 repetition, 2 + 3 steps")
    ap.add_argument("--build", default=os.environ.get("ZL_BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--out", default="", help="JSON lines of every measurement (default: a temp file)")
    a = ap.parse_args()
    if a.quick:
        a.cells, a.reps, a.warmup, a.steps, a.big_warmup, a.big_steps = "student_64th,e5_small", 1, 2, 3, 2, 3
    kd = os.path.join(a.build, "bin/kd-train")
    bench = os.path.join(a.build, "bin/zl_train_bench")
    for exe in (kd, bench):
        if not os.access(exe, os.X_OK):
            raise SystemExit(f"bench_train: {exe} is not built (scripts/build, or ZL_TARGETS='kd-train zl_train_bench')")
    py = sys.executable
    torch_py = os.path.join(ROOT, "scripts/bench_train_torch.py")
    tmp = tempfile.mkdtemp(prefix="zl_bench_train_")
    out_path = a.out or os.path.join(tmp, "results.jsonl")
    out = open(out_path, "w")
    t_start = time.time()

    def record(r):
        out.write(json.dumps(r) + "\n")
        out.flush()

    # The MFU denominator, measured now with the same thread count, in both libraries.
    pk_torch = json.loads(run([py, torch_py, "--peak", "--threads", str(a.threads)]))
    pk_lt = json.loads(run([bench, "--gemm-cpu", "--threads", str(a.threads)]))
    peak = max(pk_torch["matmul_fp32_flops"], pk_lt["matmul_fp32_flops"])
    record({"kind": "peak", "torch": pk_torch, "libtorch": pk_lt})
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} available), {cpu}; "
          f"load average at start {load[0]:.2f}")
    print(f"threads: {a.threads} intra-op, 1 inter-op on both sides (kd: --threads; torch: set_num_threads / "
          f"set_num_interop_threads); torch reports {pk_torch['threads']}, LibTorch {pk_lt['threads']}")
    print(f"fp32 matmul peak (2048^3, best of 10): torch.mm {pk_torch['matmul_fp32_flops'] / 1e9:.1f} GFLOP/s, "
          f"LibTorch mm {pk_lt['matmul_fp32_flops'] / 1e9:.1f} GFLOP/s; MFU uses {peak / 1e9:.1f}")

    cells = [c for c in a.cells.split(",") if c]
    plan = {}
    for c in cells:
        big = c in BIG
        warm, steps = (a.big_warmup, a.big_steps) if big else (a.warmup, a.steps)
        data = a.e5_data if c.startswith("e5") else a.data
        model = os.path.join(ROOT, "configs/models", c + ".yaml")
        order = os.path.join(tmp, c + ".batches.json")
        run([bench, "--dump-batches", order, "--data", data, "--batch", str(a.batch), "--seed", "0",
             "--steps", str(warm + steps), "--max-length", str(a.max_length)])
        plan[c] = (data, model, order, warm, steps)

    res = {}
    for rep in range(a.reps):
        for c in cells:
            data, model, order, warm, steps = plan[c]
            sides = ["kd", "torch"] if rep % 2 == 0 else ["torch", "kd"]
            for side in sides:
                if side == "kd":
                    rd = os.path.join(tmp, f"{c}-{rep}")
                    run([kd, "--data", data, "--model", model, "--out", rd, "--threads", str(a.threads),
                         "--device", "cpu", "--set", f"train.max_steps={warm + steps}", "--set",
                         f"train.log_every={warm}", "--set", "train.dev_split=none", "--set", "train.seed=0",
                         "--set", f"train.batch_size={a.batch}", "--set", "train.warmup_steps=1", "--set",
                         "train.progress=lines", "--set", f"model.max_length={a.max_length}"])
                    r = kd_windows(rd)
                    rj = json.load(open(os.path.join(rd, "run.json")))
                    r["threads"] = rj.get("thread_settings")
                    r["non_embedding"] = rj["parameters"]["non_embedding"]
                else:
                    r = json.loads(run([py, torch_py, "--data", data, "--model", model, "--batches", order,
                                        "--warmup", str(warm), "--steps", str(steps), "--threads", str(a.threads),
                                        "--max-length", str(a.max_length)]))
                r.update({"kind": "run", "cell": c, "side": side, "rep": rep, "timed_steps": steps,
                          "warmup_steps": warm, "batch": a.batch})
                record(r)
                res.setdefault((c, side), []).append(r)
                print(f"  {c} rep {rep + 1} {side}: {r['samples_per_s']:.1f} samples/s", file=sys.stderr)

    def med(xs):
        return statistics.median(xs)

    def cell(xs, fmt):
        return f"{fmt.format(med(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"

    print(f"\nbatch {a.batch}, max_length {a.max_length}; per run: warm-up then timed optimizer steps "
          f"(students {a.warmup} + {a.steps}, teacher-sized {a.big_warmup} + {a.big_steps}); {a.reps} repetitions, "
          f"kd and PyTorch alternating; median (min-max)\n")
    print("| model | non-emb params | kd samples/s | PyTorch samples/s | kd / PyTorch | kd real tokens/s | "
          "PyTorch real tokens/s | kd MFU | PyTorch MFU |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in cells:
        k, t = res[(c, "kd")], res[(c, "torch")]
        n = k[0]["non_embedding"]
        if any(x["samples"] != y["samples"] for x, y in zip(k, t)):
            print(f"warning: {c}: the two sides timed different sample counts", file=sys.stderr)
        ratio = [x["samples_per_s"] / y["samples_per_s"] for x, y in zip(k, t)]
        mfu = lambda rs: [100 * 6 * n * r["tokens_per_s"] / peak for r in rs]
        print(f"| {c} | {n / 1e6:.2f}M | {cell([r['samples_per_s'] for r in k], '{:.1f}')} | "
              f"{cell([r['samples_per_s'] for r in t], '{:.1f}')} | {cell(ratio, '{:.2f}')} | "
              f"{cell([r['tokens_per_s'] for r in k], '{:.0f}')} | {cell([r['tokens_per_s'] for r in t], '{:.0f}')} | "
              f"{cell(mfu(k), '{:.1f}')}% | {cell(mfu(t), '{:.1f}')}% |")
    print(f"\n{time.time() - t_start:.0f} s in all; load average at the end {os.getloadavg()[0]:.2f}; "
          f"measurements in {out_path}; {platform.platform()}")


if __name__ == "__main__":
    main()
