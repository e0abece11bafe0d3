// Tests only: small synthetic prepared datasets (no tokenizer) with a learnable
// rule — each class has a keyword token placed at a random position.
#pragma once

#include <cstdint>
#include <string>

#include "dataset_file.h"

namespace zl::testing {

struct SyntheticOptions {
  Task task = Task::kSingleLabel;
  int64_t num_labels = 3;
  int64_t train = 200, dev = 60;
  int64_t min_len = 3, max_len = 20;  // content tokens (plus [CLS] and [SEP])
  int64_t vocab = 48;
  uint64_t seed = 1;
};

// Writes DIR/NAME.h5 and returns its path.
std::string write_synthetic_dataset(const std::string& dir, const std::string& name, const SyntheticOptions& o = {});
// A fresh empty temporary directory for one test.
std::string make_temp_dir(const std::string& tag);

}  // namespace zl::testing
