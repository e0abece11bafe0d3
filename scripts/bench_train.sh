#!/usr/bin/env bash
# Training-speed benchmark: kd train against an equivalent plain PyTorch loop, side by
# side in one invocation (same model shape, same batches in the same order, AdamW,
# clipping, bucketing, same threads), alternating, repeated; samples/s, real tokens/s
# and MFU against the fp32 matmul peak measured in the same run. The driver is
# scripts/bench_train.py (options: --help); method and results: docs/benchmarks-train.md.
#   scripts/bench_train.sh --quick      # smoke run, under a minute
#   scripts/bench_train.sh              # the full table (estimated 10-12 minutes on 2 idle cores)
# Needs the build's kd-train and zl_train_bench (ZL_BUILD_DIR, default <repo>/build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/setup" | tail -n1)/bin/python"
exec "$py" "$root/scripts/bench_train.py" "$@"
