#!/usr/bin/env bash
# Benchmark of `kd data prepare` (not a test): afqmc_faq_match train, 34,334
# pairs = 68,668 texts, pinned to one core. Prints the summary's throughput
# line of each run: texts/s for read+normalize+mask+tokenize(encode)+write, and
# the time of each phase. Tokenizer training is timed separately (it is done
# once per dataset, not per text).
# usage: KD_DATASETS=/work/shared/datasets scripts/bench_prepare.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${ZL_BUILD_DIR:-$root/build}}"
runs="${2:-3}"
: "${KD_DATASETS:?set KD_DATASETS to the shared datasets folder, e.g. /work/shared/datasets}"
kd_data="$build/bin/kd-data"
[[ -x "$kd_data" ]] || { echo "bench_prepare: $kd_data not built (run scripts/build)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), pinned: ${pin[*]:-no}"
echo "command: ${pin[*]} $kd_data prepare --config configs/datasets/afqmc_faq_match.yaml --set inputs.files.test=null --out OUT.h5"
for i in $(seq "$runs"); do
  "${pin[@]}" "$kd_data" prepare --config "$root/configs/datasets/afqmc_faq_match.yaml" \
    --set inputs.files.test=null --out "$out/afqmc.h5" --force --quiet | grep -E "read .* kept|throughput"
done
