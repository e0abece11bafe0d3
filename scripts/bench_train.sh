#!/usr/bin/env bash
# Training-speed benchmark (not a timed test): kd train against an equivalent plain
# PyTorch loop (scripts/bench_train_torch.py: same model shape, batches, optimizer),
# in one invocation, on CPU, bucketing on and off; plus model FLOP utilisation
# (6 x non-embedding parameters x real tokens/s, over this machine's fp32 matmul
# peak measured with torch.mm on 2048x2048 matrices with the same thread count).
# Usage: scripts/bench_train.sh DATA.h5 [TIMED_STEPS] [MODELS...]
#   env: ZL_BENCH_THREADS (default 2), ZL_BUILD_DIR (default <repo>/build)
# Results go to docs/benchmarks-train.md by hand, with the machine and the command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:?usage: scripts/bench_train.sh DATA.h5 [TIMED_STEPS] [MODELS...]}"
steps="${2:-20}"
shift $(( $# >= 2 ? 2 : 1 ))
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(teacher student_quarter student_16th student_64th)
threads="${ZL_BENCH_THREADS:-2}"
build="${ZL_BUILD_DIR:-$root/build}"
py="$("$root/scripts/setup" | tail -n1)/bin/python"
kd="$build/bin/kd-train"
[[ -x "$kd" ]] || { echo "bench_train: $kd is not built (run scripts/build)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

peak=$("$py" "$root/scripts/bench_train_torch.py" --peak --threads "$threads" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["matmul_fp32_flops"])')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); threads $threads"
"$py" -c "print('fp32 matmul peak (torch.mm 2048^3, $threads threads): %.1f GFLOP/s' % ($peak / 1e9))"
echo "data: $data; batch 32; $steps warm-up + $steps timed steps per cell"
echo
echo "| model | non-emb params | bucketing | kd train samples/s | PyTorch samples/s | kd / PyTorch | kd MFU | PyTorch MFU |"
echo "|---|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  for bucket in true false; do
    out="$tmp/$m-$bucket"
    "$kd" --data "$data" --model "$root/configs/models/$m.yaml" --out "$out" --threads "$threads" --device cpu \
      --set train.max_steps=$((2 * steps)) --set train.log_every="$steps" --set train.dev_split=none \
      --set train.bucket="$bucket" --set train.progress=lines --set train.seed=0 --set train.batch_size=32 \
      --set train.warmup_steps=1 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
    pyb=$([[ $bucket == true ]] && echo 1 || echo 0)
    pyres=$("$py" "$root/scripts/bench_train_torch.py" --data "$data" --model "$root/configs/models/$m.yaml" \
      --steps "$steps" --bucket "$pyb" --threads "$threads")
    "$py" - "$out" "$pyres" "$peak" "$m" "$bucket" <<'PY'
import json, sys
out, pyres, peak, m, bucket = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
ev = [json.loads(l) for l in open(out + "/metrics.jsonl")]
tr = [e for e in ev if e["event"] == "train"][-1]   # the timed window (after the warm-up window)
ne = json.load(open(out + "/run.json"))["parameters"]["non_embedding"]
mfu = lambda tps, n: 6.0 * n * tps / peak
print(f"| {m} | {ne/1e6:.2f}M | {'on' if bucket == 'true' else 'off'} | {tr['samples_per_s']:.0f} | "
      f"{pyres['samples_per_s']:.0f} | {tr['samples_per_s']/pyres['samples_per_s']:.2f} | "
      f"{100*mfu(tr['tokens_per_s'], ne):.1f}% | {100*mfu(pyres['tokens_per_s'], pyres['non_embedding_params']):.1f}% |")
PY
  done
done
