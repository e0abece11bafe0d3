// metrics.json: what `kd eval` writes for one run and one split, and what
// `kd report` reads. Schema "zhengliu.metrics" version 1, documented field by
// field in docs/evaluation.md. Pure C++ (no LibTorch).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics.h"

namespace zl::metrics {

constexpr const char* kMetricsFormat = "zhengliu.metrics";
constexpr int64_t kMetricsFormatVersion = 1;

// Speed of one device. Latency: batch 1, `runs` timed calls after `warmup_runs`.
struct DeviceCost {
  std::string device;  // e.g. "cpu" or the GPU name
  int64_t threads = 0;  // intra-op threads (CPU); 0 for GPU
  int64_t warmup_runs = 0, runs = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  int64_t throughput_batch = 64;
  double throughput_per_s = 0;  // examples per second at throughput_batch
};

// What a model costs to ship and run; measured by `kd eval`, only read here.
struct Cost {
  int64_t params_total = 0, params_non_embedding = 0;
  int64_t bytes_fp32 = 0, bytes_fp16 = 0, bytes_int8 = 0;  // model file sizes
  DeviceCost cpu;
  std::optional<DeviceCost> gpu;
};

nlohmann::json cost_to_json(const Cost& cost);
// Throws UserError naming `source` and the key when a field is missing or has the wrong type.
Cost cost_from_json(const nlohmann::json& j, const std::string& source);

struct EvalOptions {
  int64_t calibration_bins = 15;
  int64_t bootstrap_resamples = 1000;
  uint64_t bootstrap_seed = 20240601;
  std::vector<int64_t> length_upper_bounds = {8, 16, 32};
};

// Identity of what was evaluated, written as given.
struct EvalRecord {
  std::string run_id;
  std::string split;           // e.g. "test"
  std::string dataset_path;
  std::string dataset_sha256;  // the prepared file's content_sha256
  std::vector<std::string> label_names;
};

// Optional extras of one evaluation.
struct EvalExtras {
  std::map<std::string, std::vector<std::string>> meta;  // slice fields, n values each
  std::vector<int64_t> lengths;                          // token lengths (empty: no length slices)
  std::optional<ProbMatrix> teacher_probs;               // same rows: agreement with the teacher
  std::string teacher_name;
  std::optional<Cost> cost;
  // Teacher runs only: accuracy on the transfer rows it labels for the students.
  std::optional<EvalInput> transfer;
  std::string transfer_split;
};

// Computes every metric of the task and returns the whole metrics.json document.
nlohmann::json evaluate_to_json(const EvalRecord& record, const EvalInput& input, const EvalExtras& extras = {},
                                const EvalOptions& options = {});

// ---- reading (what the report needs) ---------------------------------------

struct ClassRow {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};
struct SliceRow {
  std::string field, value;
  int64_t n = 0;
  double accuracy = 0, macro_f1 = 0;
};
struct MetricsFile {
  std::string source;  // the path it was read from
  std::string run_id, split;
  Task task = Task::kSingleLabel;
  std::vector<std::string> label_names;
  int64_t n = 0;
  double accuracy = 0, macro_f1 = 0;
  Interval accuracy_ci, macro_f1_ci;
  std::vector<ClassRow> per_class;
  std::vector<std::vector<int64_t>> confusion;  // empty for multi-label
  std::vector<SliceRow> slices;
  std::optional<double> teacher_agreement;
  std::optional<CoreMetrics> transfer;
  std::optional<Cost> cost;
};

// Parses and checks a metrics.json text; every error names `source` and the key.
MetricsFile parse_metrics_json(const std::string& text, const std::string& source);
MetricsFile read_metrics_json(const std::string& path);

}  // namespace zl::metrics
