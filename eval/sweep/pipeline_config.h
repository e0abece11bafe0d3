// The pipeline config of `kd sweep` (configs/pipelines/*.yaml; keys in docs/sweep.md):
// a dataset, a teacher, and a grid of students. Read with the strict zl::Config,
// so a misspelt key is an error naming the closest valid one. Relative input paths
// start at the pipeline file's folder (as in dataset configs); the output folder is
// relative to the directory kd sweep runs in. ${VAR} is replaced by the environment
// variable VAR.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config.h"

namespace zl::sweep {

struct DatasetSpec {
  std::string config;  // dataset config to prepare with `kd data prepare` ...
  std::string file;    // ... or an existing prepared file (exactly one of the two)
};

struct TeacherSpec {
  std::string model;                  // model preset (kd train --model)
  std::string train;                  // training config (kd train --config)
  std::vector<int64_t> seeds{1};      // more than one: an ensemble (probabilities averaged)
  std::vector<std::string> overrides; // extra --set for kd train
  std::string file;                   // an external teacher file instead of training one
  // The teacher's own view of the data: a dataset config preparing the same inputs
  // with another tokenizer (a pretrained checkpoint's, tokenizer.pretrained). The
  // teacher trains, predicts and is evaluated on it; students keep dataset.config's.
  std::string dataset;
  bool sentence = false;              // kd teacher predict --sentence: store the teacher's sentence vectors
};

struct StudentSpec {
  std::vector<std::pair<std::string, std::string>> models;  // name -> model preset, in config order
  // name -> extra --set for that student only (models: {name: {model: PRESET, set: [...]}}),
  // e.g. a smaller learning rate for a pretrained-initialised student.
  std::map<std::string, std::vector<std::string>> model_overrides;
  std::map<std::string, std::vector<int64_t>> model_seeds;  // name -> its own seeds (map form, `seeds:`)
  std::string train;                  // training config for students without distillation (kd train)
  std::string distill;                // training + distill config for students with it (kd distill)
  std::vector<bool> distillation{true, false};
  std::vector<int64_t> seeds{1};
  std::vector<double> label_shares{1.0};
  uint64_t label_share_seed = 0;      // which rows keep their gold label (the same for every student)
  std::vector<std::string> overrides; // extra --set for every student
  // Students that read the teacher's view of the data (teacher.dataset) instead of
  // dataset.config's: students initialised from the pretrained teacher's layers,
  // whose embeddings are the checkpoint's vocabulary.
  std::vector<std::string> teacher_view;
  // Distil on a noised transfer set: kd data augment --noise SPEC --copies N of the data the teacher
  // labels (each view, with the same options, so their text checksums stay equal). "" = the rows as they are.
  std::string transfer_noise;
  int64_t transfer_copies = 4;
  uint64_t transfer_seed = 1;
};

struct EvalSpec {
  std::string split = "test";
  std::string device = "cpu";
  int64_t latency_runs = 200;
  // Noise specs (kd data augment --eval-noise: a level such as 0.1, or kind=rate,...): the sweep adds
  // a noised copy of the split per spec to the evaluated files, and kd eval reports robustness.
  std::vector<std::string> noise;
};

struct PipelineConfig {
  std::string source;   // the config file
  std::string name;
  std::string output;   // default sweep directory
  DatasetSpec dataset;
  TeacherSpec teacher;
  StudentSpec students;
  EvalSpec eval;
  double report_max_drop_points = 1.0;  // recommendation: smallest student within this many points of the teacher
  std::string report_metric = "accuracy";  // accuracy | macro_f1: what the report ranks by (kd report --metric)
  bool export_onnx = false;
  std::string resolved_yaml;      // the resolved config (every default), saved in the sweep directory
};

// Reads and checks the config; every path it names must exist (UserError otherwise).
PipelineConfig load_pipeline_config(const std::string& path, const std::vector<std::string>& overrides);

// Replaces ${VAR} with the environment variable's value (UserError naming `where` when unset).
std::string expand_env(const std::string& text, const std::string& where);

// "0.05" -> "0.05", 1 -> "1": the share as written in step ids and directory names.
std::string share_label(double share);

}  // namespace zl::sweep
