// The vocabulary of a prepared file made with a pretrained checkpoint's tokenizer: which
// checkpoint embedding row each token id of the file stands for (DatasetInfo::vocab_map).
//
// Encoder ids are the checkpoint's own ids (0 .. base_vocab_size-1) followed by the pieces added
// here (the placeholders, base_vocab_size + j). Without pruning the file keeps them all: the map
// is the identity over the checkpoint's rows, then -1 for each added piece. With pruning
// (TextPruner's vocabulary pruning: Yang et al. 2022), only the ids marked to keep stay, with new
// dense ids in increasing encoder-id order; the map lists the kept rows.
#pragma once

#include <cstdint>
#include <vector>

namespace zl {

struct VocabPlan {
  std::vector<int32_t> vocab_map;   // file id -> checkpoint row (-1: a piece added here)
  std::vector<int32_t> file_id;     // encoder id -> file id (-1: pruned away)
  bool pruned = false;
  int64_t size() const { return static_cast<int64_t>(vocab_map.size()); }
};

// Every encoder id kept (ids >= base_vocab_size are added pieces).
VocabPlan full_vocab(int64_t encoder_vocab_size, int64_t base_vocab_size);
// The ids with keep[id] set, in increasing order.
VocabPlan pruned_vocab(const std::vector<bool>& keep, int64_t base_vocab_size);
// Encoder ids -> file ids in place; throws std::logic_error for an id the plan dropped.
void remap_ids(const VocabPlan& plan, std::vector<int32_t>& ids);

}  // namespace zl
