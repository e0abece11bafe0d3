#!/usr/bin/env bash
# One GPU check for Zhengliu, under 8 minutes on one GPU: build against the
# LibTorch found on the machine, run the ctest tests labelled `cuda`, measure
# the achieved bf16 matmul rate, and benchmark the real training loop at
# student and teacher sizes (samples/s, tokens/s, model FLOP utilisation).
#
# Usage: scripts/gpu_check.sh
# Environment (all optional):
#   ZL_BUILD_DIR   an existing build (with bin/zl_train_bench): used as is, nothing is built
#   ZL_VENV        a Python environment whose torch provides LibTorch (else: python3 with torch, else scripts/setup)
#   ZL_PEAK_TFLOPS dense bf16 peak for MFU (default 989, the H100/H200 SXM datasheet figure)
#   ZL_BENCH_STEPS optimizer steps per benchmark (default 60; the last third is timed)
#   ZL_JOBS        build parallelism (default: number of cores)
# Exit status: 0 when the build, the cuda tests and every benchmark succeeded.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Debian libraries carried as .deb files (GPU machines have no package registry).
source "$root/scripts/gpu_deps.sh"
t0=$(date +%s)
peak="${ZL_PEAK_TFLOPS:-989}"
steps="${ZL_BENCH_STEPS:-60}"
summary=()
fail=0
say() { echo "[gpu_check $(($(date +%s) - t0))s] $*" >&2; }
note() { summary+=("$*"); }

if command -v nvidia-smi >/dev/null; then
  gpu="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -n1)"
else
  gpu="(no nvidia-smi)"
fi
say "GPU: $gpu"
note "gpu: $gpu"

# --- 1. Build -----------------------------------------------------------------
build="${ZL_BUILD_DIR:-}"
if [[ -n "$build" && -x "$build/bin/zl_train_bench" ]]; then
  say "using the existing build $build"
else
  build="${ZL_BUILD_DIR:-$root/build-gpu}"
  py=""
  if [[ -n "${ZL_VENV:-}" ]]; then py="$ZL_VENV/bin/python"
  elif python3 -c 'import torch' 2>/dev/null; then py="$(command -v python3)"
  else py="$("$root/scripts/setup" | tail -n1)/bin/python"; fi
  prefix="$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')" || { say "no torch in $py"; exit 2; }
  tver="$("$py" -c 'import torch; print(torch.__version__)')"
  say "LibTorch from torch $tver ($py)"
  note "libtorch: torch $tver"
  [[ -z "${CUDAToolkit_ROOT:-}" && -d /usr/local/cuda ]] && export CUDAToolkit_ROOT=/usr/local/cuda
  # shellcheck disable=SC2086
  if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="${ZL_EXTRA_PREFIX:+$ZL_EXTRA_PREFIX;}$prefix" -DZL_PYTHON="$py" ${ZL_CMAKE_ARGS:-} \
      >"$build.configure.log" 2>&1; then
    tail -n 30 "$build.configure.log" >&2
    say "configure FAILED (log: $build.configure.log)"; exit 1
  fi
  if ! cmake --build "$build" -j "${ZL_JOBS:-$(nproc)}" --target zl_train_bench zl_distributed_cuda_test zl_evaluate_test \
      >"$build.build.log" 2>&1; then
    grep -E "error|Error" "$build.build.log" | head -n 30 >&2
    say "build FAILED (log: $build.build.log)"; exit 1
  fi
fi
bench="$build/bin/zl_train_bench"
note "build: $build ($(($(date +%s) - t0)) s so far)"

# --- 2. CUDA tests -------------------------------------------------------------
say "ctest -L cuda"
if (cd "$build" && timeout 180 ctest -L cuda --output-on-failure -j1 >"$build/ctest-cuda.log" 2>&1); then
  note "ctest -L cuda: $(grep -E 'tests passed|tests failed' "$build/ctest-cuda.log" | tail -n1)"
else
  fail=1
  tail -n 40 "$build/ctest-cuda.log" >&2
  note "ctest -L cuda: FAILED ($(grep -E 'tests passed|tests failed' "$build/ctest-cuda.log" | tail -n1))"
fi
grep -q "Skipped" "$build/ctest-cuda.log" && note "  (some cuda tests were SKIPPED: no usable GPU?)"

# --- 3. Achieved bf16 matmul peak -------------------------------------------------
mm="$(timeout 60 "$bench" --matmul 2>/dev/null | tail -n1)"
note "bf16 matmul 8192^3: ${mm:-FAILED}  (MFU below uses the ${peak} TFLOP/s datasheet peak)"

# --- 4. Training benchmarks: student and teacher sizes -------------------------------
run_bench() {  # name model batch
  local name=$1 model=$2 batch=$3 out
  say "benchmark $name (batch $batch, $steps steps)"
  if out="$(timeout 150 "$bench" --model "$root/$model" --device cuda --batch "$batch" --steps "$steps" \
              --peak-tflops "$peak" 2>"$build/bench-$name.log" | tail -n1)" && [[ -n "$out" ]]; then
    note "$(printf '%-26s' "$name") $(echo "$out" | "${ZL_SUMMARY_PY:-python3}" -c '
import json, sys
r = json.loads(sys.stdin.read())
print("%-32s batch %4d  %9.0f samples/s  %10.0f tokens/s  %6.1f TFLOP/s  MFU %5.1f%%" % (
    r["model"], r["batch"], r["samples_per_s"], r["tokens_per_s"], r["train_tflops"], 100 * r["mfu_vs_peak"]))' 2>/dev/null || echo "$out")"
  else
    fail=1
    tail -n 20 "$build/bench-$name.log" >&2
    note "$name: FAILED (log $build/bench-$name.log)"
  fi
}
run_bench student_l2_h128 configs/models/student_l2_h128.yaml 256
run_bench student_quarter configs/models/student_quarter.yaml 256
run_bench teacher configs/models/teacher.yaml 256
run_bench teacher-b1024 configs/models/teacher.yaml 1024

echo "===== gpu_check summary ($(($(date +%s) - t0)) s) ====="
for l in "${summary[@]}"; do echo "$l"; done
exit $fail
