#include "text_encoder.h"

#include <algorithm>
#include <utility>

namespace zl {

void truncate_lengths(const Framing& f, size_t budget, size_t& la, size_t& lb) {
  if (la + lb <= budget) return;
  if (lb == 0) {
    la = std::min(la, budget);
    return;
  }
  if (f.pair_truncation == Framing::PairTruncation::kOneAtATime) {
    while (la + lb > budget) (la >= lb ? la : lb)--;  // trim the longer side first
    return;
  }
  // tokenizers' truncate_encodings, LongestFirst: n1 is the shorter side.
  size_t n1 = la, n2 = lb;
  const bool swap = n1 > n2;
  if (swap) std::swap(n1, n2);
  if (n1 > budget) n2 = n1;
  else n2 = std::max(n1, budget - n1);
  if (n1 + n2 > budget) {
    n1 = budget / 2;
    n2 = n1 + budget % 2;
  }
  if (swap) std::swap(n1, n2);
  la = std::min(la, n1);
  lb = std::min(lb, n2);
}

bool frame_example(const Framing& f, const std::vector<int>& a, const std::vector<int>* b, size_t max_length,
                   std::vector<int32_t>& ids, std::vector<int8_t>* segments, size_t& kept_a, size_t& kept_b) {
  const bool pair = b != nullptr;
  const size_t budget = max_length - f.specials(pair);
  size_t la = a.size(), lb = pair ? b->size() : 0;
  const bool cut = la + lb > budget;
  truncate_lengths(f, budget, la, lb);
  const size_t start = ids.size();
  ids.push_back(f.cls_id);
  ids.insert(ids.end(), a.begin(), a.begin() + static_cast<long>(la));
  ids.push_back(f.sep_id);
  if (pair) {
    if (f.double_sep) ids.push_back(f.sep_id);
    if (segments) segments->insert(segments->end(), ids.size() - start, 0);
    const size_t b_start = ids.size();
    ids.insert(ids.end(), b->begin(), b->begin() + static_cast<long>(lb));
    ids.push_back(f.sep_id);
    if (segments) segments->insert(segments->end(), ids.size() - b_start, f.segment_b);
  }
  kept_a = la;
  kept_b = lb;
  return cut;
}

}  // namespace zl
