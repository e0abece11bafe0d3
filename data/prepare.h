// `kd data prepare`: one dataset config -> one prepared HDF5 file.
//
// Order of work for every record (nothing sees a text before it is masked):
//   read (JSONL/CSV/TSV, UTF-8 checked) -> normalize (NFKC, control characters,
//   white space, t2s) -> mask personal data -> empty check -> labels
// then per split: dedup, leakage report against train, tokenizer (trained on
// the train split, reused, or a pretrained checkpoint's own: tokenizer.pretrained),
// token ids (with a pretrained tokenizer: the vocab map and optional pruning), and one
// atomic write of the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zl {

struct PrepareOptions {
  std::string config_path;
  std::string out_path;
  std::string input_dir;               // replaces inputs.dir when set
  std::vector<std::string> overrides;  // --set a.b=value
  bool skip_bad_lines = false;         // record errors become counted warnings
  bool force = false;                  // overwrite an existing output file
  bool quiet = false;                  // no warnings on stderr
};

struct PrepareResult {
  std::string out_path;
  nlohmann::json stats;  // what the file's `stats` attribute holds
  std::string summary;   // the human summary printed by the command
};

// Throws UserError on bad input or config; leaves no output file then.
PrepareResult prepare_dataset(const PrepareOptions& options);

// Nearest-rank percentile of sorted values (q in [0, 1]).
int64_t percentile(const std::vector<int64_t>& sorted, double q);

}  // namespace zl
