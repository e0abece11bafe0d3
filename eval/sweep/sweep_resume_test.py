"""A sweep resumes inside an interrupted training step (ctest label `slow`, seconds).

A tiny teacher on the demo data (the sweep's prepare and teacher steps only:
--max-steps 2), three sweeps:
  A. uninterrupted: the reference weights;
  B. SIGTERM while the teacher trains, then the same command again: the step
     continues from its checkpoint ("continuing the interrupted run", the trainer
     says "resuming at step N" with N > 0), metrics.jsonl holds every step once, and
     final.pt / best.pt are byte-identical to A's;
  C. SIGTERM while the teacher trains, then the teacher's training config changes:
     the step starts over and says why ("input changed: ...").
Exits non-zero on the first failed check.
"""
import argparse
import hashlib
import json
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kd", required=True)
    ap.add_argument("--repo", required=True)
    args = ap.parse_args()
    repo = pathlib.Path(args.repo)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="zl_sweep_resume_"))
    models = repo / "configs/models"
    teacher_cfg = tmp / "teacher.yaml"
    # Many small steps with a checkpoint every 10: the interrupt lands mid-training.
    teacher_cfg.write_text("train:\n  seed: 1\n  batch_size: 16\n  max_steps: 400\n  lr: 1.0e-3\n"
                           "  warmup_steps: 10\n  eval_every: 100\n  checkpoint_every: 10\n  log_every: 10\n"
                           "  threads: 1\n  progress: lines\n")
    cfg = tmp / "pipeline.yaml"
    cfg.write_text(f"""
name: resume
dataset:
  config: {repo}/configs/datasets/demo.yaml
teacher:
  model: {models}/student_l1_h64.yaml
  train: {teacher_cfg}
  set: [model.max_length=32]
students:
  models:
    tiny: {models}/student_l1_h64.yaml
  train: {repo}/configs/pipelines/train/student.yaml
  distill: {repo}/configs/pipelines/train/distill.yaml
  distillation: [false]
  set: [train.epochs=1, model.max_length=32]
""")

    def cmd(out):
        return [args.kd, "sweep", "--config", str(cfg), "--out", str(out), "--max-steps", "2"]

    def run(out):
        p = subprocess.run(cmd(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(p.stdout[-3000:])
        if p.returncode != 0:
            fail(f"kd sweep --out {out} exited {p.returncode}")
        return p.stdout

    run_name = "runs/teacher_share1_seed1"

    def interrupt(out):
        """Starts the sweep, sends SIGTERM once the teacher wrote its first checkpoint."""
        proc = subprocess.Popen(cmd(out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ckpt = out / run_name / "checkpoint.pt"
        deadline = time.time() + 600
        while time.time() < deadline and proc.poll() is None and not ckpt.exists():
            time.sleep(0.01)
        if proc.poll() is not None:
            fail("the sweep ended before the teacher could be interrupted:\n" + proc.stdout.read())
        proc.send_signal(signal.SIGTERM)
        text, _ = proc.communicate(timeout=300)
        print(text[-2000:])
        if proc.returncode != 128 + signal.SIGTERM:
            fail(f"SIGTERM: expected exit {128 + signal.SIGTERM}, got {proc.returncode}")
        log = (out / "logs/teacher__share-1__seed-1.log").read_text()
        m = re.search(r"checkpoint at step (\d+)", log)
        if not m:
            fail("the teacher wrote no checkpoint on SIGTERM:\n" + log[-2000:])
        step = int(m.group(1))
        if step <= 0 or step >= 400:
            fail(f"interrupted at step {step}: not inside the training")
        return step

    # A: the reference.
    a = tmp / "a"
    run(a)

    # B: interrupted, then resumed.
    b = tmp / "b"
    stopped = interrupt(b)
    out = run(b)
    if "continuing the interrupted run" not in out:
        fail("the rerun did not continue the interrupted teacher")
    log = (b / "logs/teacher__share-1__seed-1.log").read_text()
    m = re.search(r"resuming at step (\d+)", log)
    if not m or int(m.group(1)) != stopped:
        fail(f"the teacher did not resume at step {stopped}:\n" + log[-2000:])
    steps = [json.loads(l).get("step") for l in (b / run_name / "metrics.jsonl").read_text().splitlines()
             if json.loads(l).get("event") == "train"]
    if steps != sorted(set(steps)) or steps != [s for s in range(10, 401, 10)]:
        fail(f"metrics.jsonl steps are not each step once: {steps}")
    for f in ["final.pt", "best.pt"]:
        if sha(a / run_name / f) != sha(b / run_name / f):
            fail(f"{f} after the resumed sweep differs from the uninterrupted sweep's")
    if list((b / "steps").glob("*.started.json")):
        fail("a finished step kept its start record")

    # C: interrupted, then an input of the step changes: it starts over, saying why.
    c = tmp / "c"
    interrupt(c)
    teacher_cfg.write_text(teacher_cfg.read_text().replace("lr: 1.0e-3", "lr: 2.0e-3"))
    out = run(c)
    if not re.search(r"starting over \(the interrupted run in .* cannot continue: input changed: .*teacher\.yaml\)", out):
        fail("a changed input did not restart the interrupted step with its reason")
    log = (c / "logs/teacher__share-1__seed-1.log").read_text().split("\n$ ")[-1]
    if "resuming at step" in log:
        fail("the restarted step resumed anyway")
    shutil.rmtree(tmp)
    print("OK")


if __name__ == "__main__":
    main()
