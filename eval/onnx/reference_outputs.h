// The LibTorch side of the parity check: the model's logits over a whole split
// (the examples exactly as the trainer's evaluation batches them, truncation
// included), its accuracy, and its CPU latency at batch 1. Written to an HDF5
// file that scripts/verify_onnx.py reads with h5py and replays through ONNX Runtime.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_file.h"
#include "run_dir.h"

namespace zl {

struct LatencyStats {
  int64_t runs = 0;
  int64_t threads = 1;
  double p50_ms = 0, p95_ms = 0, mean_ms = 0;
};

struct ReferenceOutputs {
  std::string split;
  int64_t num_examples = 0, num_labels = 0;
  // The examples after truncation to the model's max_length: tokens, offsets (n+1), segments (pairs).
  std::vector<int64_t> input_ids, offsets{0}, token_type_ids;
  std::vector<float> logits;       // n * num_labels
  std::vector<int32_t> labels;     // single/pair: n, -1 = unlabelled
  std::vector<uint8_t> multi_hot;  // multi-label: n * num_labels (empty when unlabelled)
  int64_t labelled = 0;
  double accuracy = 0;  // single/pair: top-1 over labelled rows; multi-label: exact match (logit > 0)
};

// Runs the run's model over `split` of the dataset at `data_path`.
ReferenceOutputs compute_reference(const LoadedRun& run, const std::string& data_path, const std::string& split,
                                   int64_t batch_size);

// Batch-1 CPU latency over `runs` forward passes (after warmup), cycling over the
// first examples of the split, with `threads` intra-op threads.
LatencyStats measure_latency(const LoadedRun& run, const ReferenceOutputs& ref, int64_t runs, int64_t threads);

// Writes the HDF5 file verify_onnx.py reads (schema in docs/export.md).
void write_reference_file(const std::string& path, const ReferenceOutputs& ref, const DatasetInfo& info,
                          const LatencyStats& torch_latency);

// p50 / p95 / mean of a list of milliseconds.
LatencyStats summarize_latency(std::vector<double> ms, int64_t threads);

}  // namespace zl
