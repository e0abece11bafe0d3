// The fields of run.json that `kd report` reads (docs/evaluation.md) and only the
// sweep knows: what role a run plays in the grid. Written into each run's run.json
// (atomically, only when something changes) before the reports.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace zl::sweep {

// For every run of the manifest whose run.json exists: name (student name or
// "teacher"), kind, with_distillation, gold_label_share, seed, and params
// {total, non_embedding} copied from the trainer's "parameters" when absent.
// Returns the number of files changed.
int annotate_runs(const nlohmann::json& manifest);

// The run directory of the run whose run.json has this run_id ("" when none).
std::string run_dir_of(const nlohmann::json& manifest, const std::string& run_id);

}  // namespace zl::sweep
