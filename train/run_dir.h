// The run directory: everything needed to evaluate or export a model later.
//   config.yaml  resolved config (model section + training config, every default)
//   labels.json  label names in order
//   dataset.json path, content_sha256, task, vocab size, special ids, max_length
//   tokenizer.model  the dataset's tokenizer bytes (copied, never parsed here)
//   best.pt / final.pt  model weights; checkpoint.pt  full training state for --resume
//   metrics.jsonl  one JSON object per log / eval event; run.json  id, status, sizes, best metric, timing
#pragma once

#include <string>

#include "dataset_file.h"
#include "model.h"

namespace zl {

struct LoadedRun {
  Classifier model;  // eval mode, on CPU
  ModelConfig model_config;
  DatasetInfo info;  // from dataset.json (task, labels, special ids, content_sha256)
  std::string run_dir;
  std::string run_id;
  std::string weights_path;
  std::string weights_sha256;
};

// Loads RUN_DIR/{best,final}.pt into a model built from RUN_DIR/config.yaml.
LoadedRun load_run(const std::string& run_dir, const std::string& which = "best");

// Writes dataset.json / reads it back.
std::string dataset_info_json(const DatasetInfo& info, const std::string& data_path);
DatasetInfo dataset_info_from_json(const std::string& json_text, const std::string& source);

void save_weights(ClassifierImpl& model, const std::string& path);  // atomic
void load_weights(ClassifierImpl& model, const std::string& path);

}  // namespace zl
