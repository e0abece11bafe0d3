#!/usr/bin/env bash
# Cached against online distillation: the same kd distill of the same student, from the
# cached teacher file and from the teacher run evaluated every step (distill.online_teacher);
# student samples/s and accuracy of both. Driver: scripts/bench_distill_online.py (--help);
# results: docs/benchmarks-train.md.
#   scripts/bench_distill_online.sh --quick   # smoke run, under a minute
#   scripts/bench_distill_online.sh           # 3 epochs each (a few minutes on 2 idle cores)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/setup" | tail -n1)/bin/python"
exec "$py" "$root/scripts/bench_distill_online.py" "$@"
