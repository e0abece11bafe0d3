// What a model costs to ship and to run (the cost section of metrics.json).
// Sizes are computed, not measured from a file (docs/eval-command.md):
//   fp32 = 4 bytes per parameter, fp16 = 2 bytes per parameter (the weights as
//   serialized in a state dict, without container overhead);
//   int8 = per-tensor symmetric int8 for every weight matrix (parameters with two
//   or more dimensions, embeddings included: 1 byte per value plus one fp32 scale)
//   and fp32 for the rest (biases, LayerNorm).
// Latency is measured at batch 1 with ONE intra-op thread (torch::set_num_threads(1)):
// `runs` timed forward passes on real examples of the split after `warmup` ones.
// Throughput is measured at batch 64, also with one thread, and again with all threads.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_file.h"
#include "metrics_json.h"
#include "model.h"

namespace zl {

struct ParameterSizes {
  int64_t params_total = 0, params_non_embedding = 0;
  int64_t bytes_fp32 = 0, bytes_fp16 = 0, bytes_int8 = 0;
};
ParameterSizes parameter_sizes(ClassifierImpl& model);

struct SpeedOptions {
  int64_t warmup_runs = 20;
  int64_t runs = 200;
  int64_t throughput_batch = 64;
  int64_t throughput_batches = 20;  // timed batches (after 2 warm-up batches)
};

// Measures latency and throughput on `device` (the model is moved there and back to CPU).
// CPU: one intra-op thread for both (the previous thread count is restored).
metrics::DeviceCost measure_speed(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                                  const torch::Device& device, const SpeedOptions& opt);

// Throughput at batch `opt.throughput_batch` with `threads` intra-op threads (CPU only).
double measure_cpu_throughput(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                              int64_t threads, const SpeedOptions& opt);

}  // namespace zl
