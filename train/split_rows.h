// Reads only some rows of a prepared split, so a data-parallel rank holds its
// own shard instead of the whole dataset. Every rank reads the small per-row
// columns (offsets, hence lengths: one int64 per row) because the batch order is
// a function of all lengths; token ids, segment ids and labels are read for the
// requested rows only, by sorted ranges (nearby rows coalesced) with the HDF5
// datasets held open so each compressed chunk is decompressed about once.
// (One H5Dread over an OR-union of thousands of hyperslabs is quadratic in
// HDF5 1.10: 68 s for 25k ranges, against 0.33 s for range-by-range reads.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset_file.h"

namespace zl {

class SplitRowReader {
 public:
  // UserError when the file or split is missing or inconsistent.
  SplitRowReader(const std::string& path, const std::string& split);
  ~SplitRowReader();
  const DatasetInfo& info() const { return info_; }
  const std::string& split() const { return split_; }
  int64_t size() const { return static_cast<int64_t>(lengths_.size()); }
  const std::vector<int64_t>& lengths() const { return lengths_; }  // tokens per row, every row

  // Whether any row has a gold label (reads the label column once).
  bool any_gold_label() const;

  // A SplitData holding exactly `rows` (sorted, unique global row indices):
  // row i of the result is rows[i]. No ids or texts (training needs neither).
  SplitData read(const std::vector<int64_t>& rows) const;

  // Rows merged into one read when fewer than this many unwanted rows lie between them.
  static constexpr int64_t kCoalesceGap = 16;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DatasetInfo info_;
  std::string split_;
  std::vector<int64_t> offsets_;
  std::vector<int64_t> lengths_;
};

// Sorted unique rows of a set of batches.
std::vector<int64_t> unique_rows(const std::vector<std::vector<int64_t>>& batches);

}  // namespace zl
