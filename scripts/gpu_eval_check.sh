#!/usr/bin/env bash
# kd eval on a GPU machine: builds only the kd eval test (no text tools there) and
# runs it; with CUDA present the test also checks the GPU latency/throughput.
# Run from the repository root on a machine with PyTorch, CMake and nvcc; the
# Debian .deb files for the other libraries come from .gpu/debs (scripts/gpu_deps.sh).
set -euo pipefail
source scripts/gpu_deps.sh
py="${ZL_TORCH_PYTHON:-python3}"
torch_prefix="$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')"
if [[ -z "${CUDAToolkit_ROOT:-}" && -d /usr/local/cuda ]]; then export CUDAToolkit_ROOT=/usr/local/cuda; fi
build="${ZL_BUILD_DIR:-build-gpu}"
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="${ZL_EXTRA_PREFIX:+$ZL_EXTRA_PREFIX;}$torch_prefix" -DZL_PYTHON="$py" ${ZL_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 \
  || { tail -40 "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target zl_evaluate_test 2>&1 | tail -5
"$build/tests/zl_evaluate_test" --gtest_filter='KdEval.WritesMetricsTheReportCanRead'
