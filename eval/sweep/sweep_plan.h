// The step graph of one sweep, in the order the steps run (each step's inputs are
// produced by earlier steps):
//   prepare                      kd data prepare (when the config names a dataset config)
//   shares/<s>                   gold-<s>.h5, share-<s>.h5, transfer-<s>.ids (each share < 1)
//   teacher/share-<s>/seed-<n>   kd train on gold-<s>.h5 (share 1: the whole train split)
//   teacher-predict/share-<s>    kd teacher predict over share-<s>.h5 (an ensemble when several seeds),
//                                after every teacher has trained
//   student/<name>/<kd|nokd>/share-<s>/seed-<n>
//                                kd distill on share-<s>.h5 with that share's teacher file, or
//                                kd train on gold-<s>.h5 (the no-distillation twin)
//   eval/<run>                   kd eval on the test split of the full dataset
//   report                       kd report on the sweep directory
// The directory layout and the reasons are in docs/sweep.md.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "pipeline_config.h"
#include "step_state.h"

namespace zl::sweep {

struct Step {
  StepKey key;
  std::vector<std::string> argv;   // program path first; empty for an in-process step
  std::function<void()> action;    // in-process step (the label-share files)
  std::vector<std::string> clean;  // removed before the step (re)runs: no stale half-outputs
  std::string kind;                // prepare | shares | teacher | teacher-predict | student | eval | report
  bool trains = false;             // a training step (counted separately in the summary)
  // Training steps: the run directory. When such a step was interrupted, its
  // checkpoint.pt is continued with --resume instead of removing the run (step_state.h).
  std::string run_dir;
  // Inputs known only from the step's own output (the raw files a dataset was
  // prepared from, as recorded in it); added to key.inputs before checks and markers.
  std::function<std::vector<std::string>()> discovered_inputs;
};

struct Plan {
  std::string sweep_dir;
  std::string dataset;  // the prepared dataset every model is evaluated on
  std::vector<Step> steps;
  nlohmann::json manifest;  // sweep.json: what each run is (role, model, share, seed, twin, metrics path)
};

// Directory holding kd-data, kd-train, kd-distill, kd-teacher, kd-eval, kd-report, kd-export.
Plan build_plan(const PipelineConfig& cfg, const std::string& sweep_dir, const std::string& bin_dir);

}  // namespace zl::sweep
