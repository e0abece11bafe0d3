// Label shares: the everyday case where only a share s of the training messages
// has a gold label and the rest is unlabelled transfer data that only the teacher
// labels. For each share the sweep derives two files from the prepared dataset,
// with the same gold rows G (a seeded stratified choice) in both:
//   gold-<s>.h5     train = the rows of G only: what the teacher of share s and the
//                   students without distillation train on (they never see T);
//   share-<s>.h5    train = every row, the gold labels of T = train \ G set to -1:
//                   what the teacher of share s labels and the distilled students
//                   train on (rows with -1 get the teacher term only);
//   transfer-<s>.ids   the ids of T, one per line, so `kd eval` can report the
//                   teacher's accuracy on exactly the rows it labelled unseen.
// dev and test are copied unchanged. Why per-share teachers: docs/sweep.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_file.h"

namespace zl::sweep {

// 1 for rows that keep their gold label. Per class c with n_c labelled rows,
// max(1, round(share * n_c)) rows are kept, chosen by a shuffle seeded with
// `seed` (multi-label: round(share * n) rows of the labelled ones, at least one).
// Rows without a label are never chosen.
std::vector<uint8_t> choose_gold_rows(const SplitData& train, Task task, int64_t num_labels, double share,
                                      uint64_t seed);

struct ShareFiles {
  std::string gold_path, share_path, transfer_ids_path;
};

// Writes the three files atomically from `dataset_path` (its split "train").
// Returns the number of gold rows and transfer rows through the pointers.
void write_share_files(const std::string& dataset_path, double share, uint64_t seed, const ShareFiles& out,
                       int64_t* gold_rows = nullptr, int64_t* transfer_rows = nullptr);

// The same gold and transfer rows for another view of the dataset: the same inputs
// prepared with another tokenizer (a pretrained teacher's own), so that the teacher of
// a share trains on exactly the rows the students' gold file holds. The rows are
// chosen by id from `reference_gold_path` (a gold file written by write_share_files);
// a view whose train split holds other ids than `reference_dataset_path`'s is refused.
void write_share_files_like(const std::string& view_path, const std::string& reference_dataset_path,
                            const std::string& reference_gold_path, const ShareFiles& out);

}  // namespace zl::sweep
