// The check `kd sweep` makes before its first step: every training step evaluates
// on its training config's `train.dev_split` ("dev" unless set; "none" = no
// evaluation), so a dataset without that split (or with 0 rows in it) would fail
// only at the first training step, minutes or hours in. Refused at the start with
// the two remedies (docs/sweep.md): carve a seeded, stratified dev split out of
// train (`inputs.split.dev_from_train` in the dataset config), or train a fixed
// budget without evaluation (`train.dev_split=none`).
#pragma once

#include <string>
#include <vector>

#include "pipeline_config.h"

namespace zl::sweep {

// The split a training config evaluates on, after its --set overrides.
std::string training_dev_split(const std::string& train_config, const std::vector<std::string>& overrides);

// The splits a dataset config will give `kd data prepare` (read without preparing anything):
// inputs.files' names, or train and each inputs.split ratio above 0, plus dev when
// inputs.split.dev_from_train is above 0.
std::vector<std::string> dataset_config_splits(const std::string& dataset_config);

// Throws UserError naming the pipeline, the training config, the dataset and the remedies.
void check_dev_splits(const PipelineConfig& cfg);

}  // namespace zl::sweep
