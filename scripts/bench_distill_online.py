#!/usr/bin/env python3
"""Cached against online distillation (driven by scripts/bench_distill_online.sh;
docs/benchmarks-train.md): the same kd distill of the same student from the same
teacher with the same budget, once reading the teacher's outputs from its cached
teacher file (--teacher), once running the teacher run every step in the same
process (distill.online_teacher, with the teacher's own tokenization of the rows:
distill.online_teacher_data). Reports the student's training samples/s (timed
windows only: start-up and evaluation excluded) and its accuracy (dev: the last
evaluation; test: kd eval) for both, alternating the two modes per seed.

Inputs are read, never written: a finished `kd sweep` directory (default the
smp2017_intent_e5 sweep) with data/dataset.h5 (student), data/teacher-dataset.h5
(e5's tokenization), teachers/teacher_share1.h5 and runs/teacher_share1_seed1; the
student's config is copied from runs/l2_h128_kd_share1_seed1/config.yaml.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(f"bench_distill_online: failed ({p.returncode}): {' '.join(cmd)}")
    return p.stdout + p.stderr


def student_speed(run_dir):
    ev = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl"))]
    tr = [e for e in ev if e.get("event") == "train"]
    tr = tr[1:] if len(tr) > 1 else tr  # the first window holds the start-up
    secs = sum(e["window_s"] for e in tr)
    dev = [e for e in ev if e.get("event") == "eval"]
    return {"samples_per_s": sum(e["samples_per_s"] * e["window_s"] for e in tr) / secs, "timed_s": secs,
            "dev_accuracy": dev[-1]["accuracy"] if dev else None, "steps": ev[-1].get("step")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sweep", default=os.environ.get("ZL_BENCH_SWEEP", os.path.join(ROOT, "runs/sweeps/smp2017_intent_e5")))
    ap.add_argument("--student-run", default="l2_h128_kd_share1_seed1", help="its config.yaml is the student's")
    ap.add_argument("--teacher-run", default="teacher_share1_seed1")
    ap.add_argument("--teacher-file", default="teachers/teacher_share1.h5")
    ap.add_argument("--epochs", type=int, default=3, help="the budget of both students")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--quick", action="store_true", help="smoke run: 12 steps each, no test evaluation")
    ap.add_argument("--build", default=os.environ.get("ZL_BUILD_DIR", os.path.join(ROOT, "build")))
    ap.add_argument("--out", default="", help="JSON lines of the measurements (default: a temp file)")
    a = ap.parse_args()
    sw = a.sweep
    data, tdata = os.path.join(sw, "data/dataset.h5"), os.path.join(sw, "data/teacher-dataset.h5")
    tfile, trun = os.path.join(sw, a.teacher_file), os.path.join(sw, "runs", a.teacher_run)
    for p in (data, tdata, tfile, trun):
        if not os.path.exists(p):
            raise SystemExit(f"bench_distill_online: {p} does not exist (a finished kd sweep: --sweep)")
    distill = os.path.join(a.build, "bin/kd-distill")
    kd_eval = os.path.join(a.build, "bin/kd-eval")
    if not os.access(distill, os.X_OK):
        raise SystemExit(f"bench_distill_online: {distill} is not built")
    tmp = tempfile.mkdtemp(prefix="zl_bench_distill_")
    cfg = os.path.join(tmp, "student.yaml")
    with open(os.path.join(sw, "runs", a.student_run, "config.yaml")) as src, open(cfg, "w") as dst:
        dst.write(src.read())
    out_path = a.out or os.path.join(tmp, "results.jsonl")
    out = open(out_path, "w")
    budget = ["--set", "train.max_steps=12", "--set", "train.log_every=4", "--set", "train.eval_every=12"] if a.quick \
        else ["--set", f"train.epochs={a.epochs}", "--set", "train.log_every=20"]
    t0 = time.time()
    res = {"cached": [], "online": []}
    seeds = [int(s) for s in a.seeds.split(",") if s]
    for i, seed in enumerate(seeds):
        for mode in (["cached", "online"] if i % 2 == 0 else ["online", "cached"]):
            rd = os.path.join(tmp, f"{mode}-s{seed}")
            cmd = [distill, "--data", data, "--config", cfg, "--out", rd, "--threads", str(a.threads), "--device",
                   "cpu", "--set", f"train.seed={seed}", "--set", "train.patience=0", "--set", "train.progress=lines",
                   "--set", "train.max_steps_this_invocation=0"] + budget
            if mode == "cached":
                cmd += ["--teacher", tfile]
            else:
                cmd += ["--set", f"distill.online_teacher={trun}", "--set", f"distill.online_teacher_data={tdata}"]
            w = time.time()
            run(cmd)
            r = student_speed(rd)
            r.update({"mode": mode, "seed": seed, "wall_s": time.time() - w})
            if not a.quick and os.access(kd_eval, os.X_OK):
                mp = os.path.join(rd, "test_metrics.json")
                run([kd_eval, "--run", rd, "--data", data, "--split", "test", "--no-cost", "--quiet", "--out", mp,
                     "--device", "cpu", "--threads", str(a.threads)])
                r["test_accuracy"] = json.load(open(mp))["metrics"]["accuracy"]
            out.write(json.dumps(r) + "\n")
            out.flush()
            res[mode].append(r)
            print(f"  {mode} seed {seed}: {r['samples_per_s']:.1f} student samples/s", file=sys.stderr)
    # The seed spread of the sweep's own students of this kind (test accuracy), for "equal accuracy".
    spread = []
    base = a.student_run.rsplit("_seed", 1)[0]
    for d in sorted(os.listdir(os.path.join(sw, "runs"))):
        m = os.path.join(sw, "runs", d, "eval/test/metrics.json")
        if d.startswith(base + "_seed") and os.path.exists(m):
            spread.append(json.load(open(m))["metrics"]["accuracy"])

    def fmt(xs, f="{:.4f}"):
        xs = [x for x in xs if x is not None]
        if not xs:
            return "-"
        return f.format(statistics.median(xs)) + (f" ({f.format(min(xs))}-{f.format(max(xs))})" if len(xs) > 1 else "")

    print(f"student {a.student_run} config, teacher {a.teacher_run}; budget "
          f"{'12 steps (quick)' if a.quick else str(a.epochs) + ' epochs'}; seeds {a.seeds}; threads {a.threads}\n")
    print("| mode | student samples/s | dev accuracy | test accuracy | wall s |")
    print("|---|---|---|---|---|")
    for mode in ("cached", "online"):
        rs = res[mode]
        print(f"| {mode} | {fmt([r['samples_per_s'] for r in rs], '{:.1f}')} | {fmt([r['dev_accuracy'] for r in rs])} | "
              f"{fmt([r.get('test_accuracy') for r in rs])} | {fmt([r['wall_s'] for r in rs], '{:.0f}')} |")
    ratio = statistics.median(r["samples_per_s"] for r in res["cached"]) / \
        statistics.median(r["samples_per_s"] for r in res["online"])
    print(f"\ncached / online student samples/s: {ratio:.2f}x")
    if spread:
        print(f"seed spread of the sweep's {base} students (test accuracy, {len(spread)} seeds, full budget): "
              f"{min(spread):.4f}-{max(spread):.4f}")
    print(f"{time.time() - t0:.0f} s in all; measurements in {out_path}")


if __name__ == "__main__":
    main()
