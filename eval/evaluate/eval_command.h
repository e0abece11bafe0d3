// `kd eval` as a library function: load a run, predict a split of a prepared
// dataset, compute every metric with zl_metrics, measure the cost, and write
// metrics.json (schema "zhengliu.metrics", docs/evaluation.md; the extra fields
// kd eval adds are listed in docs/eval-command.md).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace zl {

struct EvalRequest {
  std::string run_dir;
  std::string which = "best";  // best | final weights
  std::string data_path;
  std::string split = "test";
  std::string teacher_path;    // teacher file: agreement with the teacher ("" = none)
  std::string compare_dir;     // another run: McNemar on the same rows ("" = none)
  std::string transfer_ids;    // ids of train rows the run labelled as a teacher ("" = none)
  std::string out_path;        // "" = RUN_DIR/eval/<split>/metrics.json
  std::string device = "auto"; // for predictions; latency is measured on CPU and, when present, GPU
  int64_t batch_size = 128;
  int64_t latency_runs = 200;
  int64_t warmup_runs = 20;
  int64_t bootstrap_resamples = 1000;
  bool measure_cost = true;
  bool quiet = false;
};

// Returns the metrics.json document (also written to the output path).
// Bad input (label set or task mismatch, missing or empty split, corrupt run
// directory, a teacher file for other rows) throws UserError.
nlohmann::json run_eval(const EvalRequest& req);

// The readable summary printed after an evaluation.
std::string eval_summary(const nlohmann::json& metrics);

}  // namespace zl
