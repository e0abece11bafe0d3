// Shared by the model tests: a small DatasetInfo, hand-made batches, and the
// padding-invariance check (a sequence alone vs padded inside a batch).
#pragma once

#include <gtest/gtest.h>

#include "batch.h"
#include "model.h"

namespace zl::testing {

inline DatasetInfo tiny_info(Task task = Task::kSingleLabel, int64_t labels = 3) {
  DatasetInfo info;
  info.task = task;
  for (int64_t i = 0; i < labels; ++i) info.label_names.push_back("l" + std::to_string(i));
  info.vocab_size = 50;
  return info;
}

// Three sequences of different lengths (2, 9, 5 tokens).
inline SplitData tiny_split(Task task = Task::kSingleLabel) {
  SplitData s;
  s.name = "t";
  std::vector<std::vector<int32_t>> seqs{{2, 3}, {2, 10, 11, 12, 13, 14, 15, 16, 3}, {2, 20, 21, 3, 3}};
  for (size_t i = 0; i < seqs.size(); ++i) {
    s.ids.push_back(std::to_string(i));
    s.input_ids.insert(s.input_ids.end(), seqs[i].begin(), seqs[i].end());
    s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
    for (size_t t = 0; t < seqs[i].size(); ++t) s.segment_ids.push_back(t >= 3 ? 1 : 0);
    s.labels.push_back(static_cast<int32_t>(i % 2));
  }
  if (task == Task::kMultiLabel) s.multi_hot = {1, 0, 1, 0, 1, 0, 1, 1, 0};
  return s;
}

inline void expect_padding_invariant(ClassifierImpl& model, Task task, int64_t labels = 3) {
  model.eval();
  torch::NoGradGuard g;
  SplitData s = tiny_split(task);
  Batch all = make_batch(s, task, labels, 0, {0, 1, 2});
  auto together = model.forward(all).logits;
  ASSERT_EQ(together.sizes(), (std::vector<int64_t>{3, labels}));
  for (int64_t r = 0; r < 3; ++r) {
    Batch one = make_batch(s, task, labels, 0, {r});
    auto alone = model.forward(one).logits;
    EXPECT_LT((alone[0] - together[r]).abs().max().item<double>(), 1e-5) << "row " << r;
  }
}

}  // namespace zl::testing
