// Which rows of a split are transfer copies made by `kd data augment`, and of which row.
// Copies carry the id of their source with a suffix: "<id>~aug<k>" (token-level
// perturbations) or "<id>~noise<k>" (text noise), plus ".<m>" when that id was taken.
// distill.copy_source_weight uses the map to give a copy the teacher's outputs on its
// clean source (a consistency target: the teacher reads the clean message, the
// student the perturbed one), mixed with the teacher's outputs on the copy itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zl {

struct CopySources {
  // For every row, the row whose teacher outputs stand for its source: the root of
  // its chain of copies ("a~noise1~aug2" -> "a"), or the row itself when it is no copy.
  std::vector<int64_t> source;
  int64_t copies = 0;          // rows that are copies of another row of the split
  std::string orphan_example;  // first id that looks like a copy but whose source is absent ("" = none)
  int64_t orphans = 0;
};

// The id a copy id was made from, or "" when `id` has no copy suffix.
std::string copy_parent_id(const std::string& id);

CopySources find_copy_sources(const std::vector<std::string>& ids);

}  // namespace zl
