"""End-to-end kd sweep on the demo data with a tiny budget (ctest label `slow`).

Checks, in order:
  1. --max-steps stops a sweep early; the next invocation continues it;
  2. SIGTERM during a training step stops the sweep (exit 143) and keeps the
     finished steps; re-running completes the sweep (report/summary.json exists);
  3. re-running the finished sweep does no work at all (every step skipped);
  4. changing the students' training config reruns the students, their
     evaluations and the report, but neither the dataset nor the teachers.
Exits non-zero on the first failed check.
"""
import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kd", required=True)
    ap.add_argument("--repo", required=True)
    args = ap.parse_args()
    repo = pathlib.Path(args.repo)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="zl_sweep_e2e_"))
    sweep = tmp / "sweep"
    train_cfg = tmp / "student.yaml"
    train_cfg.write_text((repo / "configs/pipelines/train/student.yaml").read_text())
    cfg = tmp / "pipeline.yaml"
    models = repo / "configs/models"
    cfg.write_text(f"""
name: e2e
dataset:
  config: {repo}/configs/datasets/demo.yaml
teacher:
  model: {models}/student_l2_h128.yaml
  train: {repo}/configs/pipelines/train/teacher.yaml
  set: [train.epochs=2, model.max_length=64]
students:
  models:
    tiny: {models}/student_l1_h64.yaml
  train: {train_cfg}
  distill: {repo}/configs/pipelines/train/distill.yaml
  distillation: [true, false]
  label_shares: [0.5, 1.0]
  set: [train.epochs=1, model.max_length=64]
""")
    cmd = [args.kd, "sweep", "--config", str(cfg), "--out", str(sweep)]

    def last():
        return json.loads((sweep / "last_invocation.json").read_text())

    def run(extra=()):
        p = subprocess.run(cmd + list(extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(p.stdout[-3000:])
        return p

    # 1. a step limit
    p = run(["--max-steps", "2"])
    if p.returncode != 0:
        fail(f"--max-steps 2 exited {p.returncode}")
    if last()["steps_run"] != 2 or last()["complete"]:
        fail(f"--max-steps 2: {last()}")

    # 2. SIGTERM once the first training step has finished and the next one runs
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 900
    steps = sweep / "steps"
    while time.time() < deadline:
        done = [f.name for f in steps.glob("*.done.json")]
        if any(n.startswith("teacher__") for n in done) and proc.poll() is None:
            time.sleep(1.0)  # inside the next step
            break
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        fail("the sweep ended before it could be interrupted:\n" + proc.stdout.read())
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=300)
    print(out[-2000:])
    if proc.returncode != 128 + signal.SIGTERM:
        fail(f"SIGTERM: expected exit {128 + signal.SIGTERM}, got {proc.returncode}")
    if "run the same kd sweep command again to resume" not in out:
        fail("no resume hint after SIGTERM")
    kept = len(list(steps.glob("*.done.json")))
    if kept < 3:
        fail(f"finished steps were not kept ({kept} markers)")

    p = run()
    if p.returncode != 0:
        fail(f"resumed sweep exited {p.returncode}")
    if last()["steps_skipped"] < kept:
        fail(f"the resumed sweep redid finished steps: {last()} (had {kept} done)")
    for f in ["report/summary.json", "report/report.html", "report/report.md", "sweep.json"]:
        if not (sweep / f).is_file():
            fail(f"missing {f}")
    if "accuracy versus size" not in p.stdout or "report: " not in p.stdout:
        fail("the table or the report path was not printed")

    # 3. a finished sweep does nothing
    p = run()
    if p.returncode != 0 or last()["steps_run"] != 0 or last()["steps_skipped"] != last()["steps_total"]:
        fail(f"re-running a finished sweep did work: {last()}")
    if "0 run (0 training)" not in p.stdout:
        fail("summary line missing")

    # 4. a changed student config reruns the students only (and what depends on them)
    train_cfg.write_text(train_cfg.read_text().replace("lr: 1.0e-3", "lr: 2.0e-3"))
    p = run()
    if p.returncode != 0:
        fail("rerun after a config change failed")
    ran = [l for l in p.stdout.splitlines() if ": running" in l]
    if not ran or any(("teacher" in l or "prepare" in l or "shares/" in l) for l in ran):
        fail("a student config change reran the wrong steps:\n" + "\n".join(ran))
    if not any("student/tiny/nokd" in l for l in ran) or any("student/tiny/kd/" in l for l in ran):
        fail("expected exactly the no-KD students to rerun:\n" + "\n".join(ran))
    shutil.rmtree(tmp)
    print("OK")


if __name__ == "__main__":
    main()
