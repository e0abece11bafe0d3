#!/usr/bin/env bash
# Benchmark of `kd data prepare` (not a test): afqmc_faq_match train, 34,334
# pairs = 68,668 texts, pinned to one core. Prints, per run, the summary's
# throughput lines: texts/s for read+normalize+mask+tokenize(encode)+write by
# wall clock and by CPU time (on a shared machine the wall clock also counts
# other processes), and the time of each phase. Run 1 trains the tokenizer
# (timed separately: it happens once per dataset, not per text); later runs
# reuse that model through tokenizer.model.
# usage: KD_DATASETS=/work/shared/datasets scripts/bench_prepare.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${ZL_BUILD_DIR:-$root/build}}"
runs="${2:-4}"
: "${KD_DATASETS:?set KD_DATASETS to the shared datasets folder, e.g. /work/shared/datasets}"
kd_data="$build/bin/kd-data"
[[ -x "$kd_data" ]] || { echo "bench_prepare: $kd_data not built (run scripts/build)" >&2; exit 2; }
python="$("$root/scripts/setup" 2>/dev/null | tail -n1)/bin/python"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg), pinned: ${pin[*]:-no}"
cfg="$root/configs/datasets/afqmc_faq_match.yaml"
echo "command: ${pin[*]} kd-data prepare --config configs/datasets/afqmc_faq_match.yaml --set inputs.files.test=null --out OUT.h5 [--set tokenizer.model=M]"
for i in $(seq "$runs"); do
  extra=()
  if [[ $i -gt 1 ]]; then extra=(--set "tokenizer.model=$out/afqmc.model"); fi
  echo "run $i${extra[*]:+ (tokenizer reused)}:"
  "${pin[@]}" "$kd_data" prepare --config "$cfg" --set inputs.files.test=null "${extra[@]}" \
    --out "$out/afqmc.h5" --force --quiet | grep -E "read .* kept|throughput|cpu time"
  if [[ $i -eq 1 ]]; then
    "$python" -c "import h5py,sys; open(sys.argv[2],'wb').write(h5py.File(sys.argv[1],'r')['tokenizer/model'][()].tobytes())" \
      "$out/afqmc.h5" "$out/afqmc.model"
  fi
done
