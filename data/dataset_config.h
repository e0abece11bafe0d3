// The dataset config of `kd data prepare` (YAML through zl::Config: strict,
// unknown keys are errors with a suggestion, `--set a.b=v` overrides).
// Every key, its default and meaning: docs/data.md.
//
// Paths: `${NAME}` is replaced by the environment variable NAME (an unset one is
// an error); a relative inputs.dir, tokenizer.model or tokenizer.pretrained resolves against the
// config file's folder; input files resolve against inputs.dir. `--input-dir`
// replaces inputs.dir.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "dataset_file.h"
#include "pii_masker.h"
#include "record_reader.h"
#include "text_normalizer.h"
#include "tokenizer_trainer.h"

namespace zl {

struct SplitRatios {
  double train = 0.8, dev = 0.1, test = 0.1;
  uint64_t seed = 20240601;
};

struct DatasetConfig {
  std::string config_path;
  std::string name;
  Task task = Task::kSingleLabel;
  ReaderOptions reader;  // format resolved per file
  std::string format = "auto";
  std::vector<std::pair<std::string, std::string>> files;  // split -> resolved path (train first)
  std::string single_file;                                  // set when one file is split
  SplitRatios ratios;
  // inputs.split.dev_from_train (inputs.files without a dev file): this share of train, seeded by
  // inputs.split.seed and stratified by label, becomes the dev split (0 = none).
  double dev_from_train = 0;
  std::vector<std::string> labels;  // explicit label list (empty: from the train split)
  // Refused unless set: 10+ classes, more than half of them with fewer than 2 train examples.
  bool allow_singleton_labels = false;
  int64_t max_length = 128;
  NormalizeOptions normalize;
  MaskOptions mask;
  bool dedup = true;
  TokenizerOptions tokenizer;         // the sentencepiece tokenizer trained or reused here
  std::string tokenizer_pretrained;   // tokenizer.pretrained: a Hugging Face checkpoint directory ("" = none)
  bool tokenizer_prune = false;       // tokenizer.prune: keep only the checkpoint's pieces the data uses
  bool keep_original_text = false;
  std::string resolved_yaml;  // the whole config with defaults and overrides
};

// Loads and validates a dataset config; throws UserError naming the key.
DatasetConfig load_dataset_config(const std::string& path, const std::vector<std::string>& overrides = {},
                                  const std::string& input_dir = "");

// "${NAME}" expansion from the environment; `key` names the config key in errors.
std::string expand_env(const std::string& value, const std::string& where);
// `path` if absolute, else base/path.
std::string resolve_path(const std::string& path, const std::string& base);

}  // namespace zl
