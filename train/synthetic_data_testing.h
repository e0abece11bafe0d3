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
// Copies DATA to OUT with transfer copies added to its train split, as `kd data augment`
// writes them: for every second row and k = 1..copies, an unlabelled row "<id>~noise<k>"
// whose content tokens are reversed (k >= 2: the first one also dropped), text
// "<text> (copy k)". Single-label data only. Returns the number of copies added.
int64_t write_with_transfer_copies(const std::string& data, const std::string& out, int copies = 2);
// A fresh empty temporary directory for one test.
std::string make_temp_dir(const std::string& tag);

}  // namespace zl::testing
