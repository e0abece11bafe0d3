// Running a trained model over a split: no gradients, batches bucketed by length
// (padding does not change the outputs, and bucketing avoids most of it).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dataset_file.h"
#include "model.h"

namespace zl {

// Logits [rows.size(), L] (float32, CPU) for the given rows of `split`, in the
// order of `rows`. `info` supplies the task and the padding id.
torch::Tensor predict_logits(ClassifierImpl& model, const SplitData& split, const DatasetInfo& info,
                             const std::vector<int64_t>& rows, const torch::Device& device, int64_t batch_size = 128);

// Softmax (single-label, pair) or sigmoid (multi-label) of logits, as doubles row-major.
std::vector<double> probabilities(const torch::Tensor& logits, Task task);

}  // namespace zl
