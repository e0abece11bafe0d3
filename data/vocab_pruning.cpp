#include "vocab_pruning.h"

#include <stdexcept>
#include <string>

namespace zl {

VocabPlan full_vocab(int64_t encoder_vocab_size, int64_t base_vocab_size) {
  return pruned_vocab(std::vector<bool>(static_cast<size_t>(encoder_vocab_size), true), base_vocab_size);
}

VocabPlan pruned_vocab(const std::vector<bool>& keep, int64_t base_vocab_size) {
  VocabPlan p;
  p.file_id.assign(keep.size(), -1);
  for (size_t id = 0; id < keep.size(); ++id) {
    if (!keep[id]) {
      p.pruned = true;
      continue;
    }
    p.file_id[id] = static_cast<int32_t>(p.vocab_map.size());
    p.vocab_map.push_back(static_cast<int64_t>(id) < base_vocab_size ? static_cast<int32_t>(id) : -1);
  }
  return p;
}

void remap_ids(const VocabPlan& plan, std::vector<int32_t>& ids) {
  for (auto& id : ids) {
    const int32_t f = id >= 0 && static_cast<size_t>(id) < plan.file_id.size() ? plan.file_id[static_cast<size_t>(id)] : -1;
    if (f < 0) throw std::logic_error("vocabulary pruning: token id " + std::to_string(id) + " was dropped but is used");
    id = f;
  }
}

}  // namespace zl
