// Batches for training and evaluation: token ids with dynamic padding, and the
// sampler that groups examples of similar length (these texts are 8-25 tokens on
// average; padding every batch to a fixed 128 wastes most of the compute).
//
// Determinism: an epoch's batch order is a pure function of (seed, epoch), so the
// sampler's whole state is its position (epoch, batch index). A checkpoint saves
// the position; resuming rebuilds the same order and continues from there.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dataset_file.h"

namespace zl {

struct Batch {
  torch::Tensor input_ids;       // int64 [B,T], padded with pad_id
  torch::Tensor attention_mask;  // int64 [B,T], 1 = token, 0 = padding
  torch::Tensor token_type_ids;  // int64 [B,T], pair task only (undefined otherwise)
  // single-label / pair: int64 [B], -1 = no gold label;
  // multi-label: float [B,L] multi-hot (undefined when the split has no labels).
  torch::Tensor labels;
  // Example indices into the split, so a distillation loss can look up teacher logits.
  std::vector<int64_t> rows;
  // The same rows as an int64 [B] tensor on the batch's device (set by the StepLoader, which
  // builds it off the training thread), so a hook indexes device tensors without a host copy.
  torch::Tensor row_index;
  // Per-row values a hook asked the loader to read with the rows (StepLoaderOptions::row_extra;
  // kd distill: the teacher logits of a data-parallel rank's rows). Undefined otherwise.
  torch::Tensor row_extra;

  int64_t size() const { return static_cast<int64_t>(rows.size()); }
  int64_t num_tokens() const;  // non-padding tokens
  Batch to(const torch::Device& device) const;
};

// Builds one padded batch from split rows. Sequences longer than `max_length`
// (0 = no limit) are truncated, keeping the final [SEP].
Batch make_batch(const SplitData& split, Task task, int64_t num_labels, int64_t pad_id,
                 const std::vector<int64_t>& rows, int64_t max_length = 0);

struct SamplerOptions {
  int64_t batch_size = 32;
  bool shuffle = true;        // false: examples in file order (or sorted by length when bucketing)
  bool bucket = true;         // group similar lengths (sort inside a shuffled pool, then shuffle batches)
  int64_t pool_batches = 100; // pool size for bucketing, in batches
  bool drop_last = false;
};

struct SamplerPosition {
  int64_t epoch = 0;
  int64_t batch = 0;  // index of the next batch within the epoch
};

class BatchSampler {
 public:
  BatchSampler(std::vector<int64_t> lengths, SamplerOptions options, uint64_t seed);

  // The batches (lists of rows) of an epoch; a pure function of (seed, epoch).
  std::vector<std::vector<int64_t>> epoch_batches(int64_t epoch) const;
  int64_t batches_per_epoch() const;

  // Returns the next batch's rows and advances the position (rolling into the next epoch).
  std::vector<int64_t> next();
  SamplerPosition position() const { return pos_; }
  void set_position(SamplerPosition pos);

 private:
  std::vector<int64_t> lengths_;
  SamplerOptions opt_;
  uint64_t seed_;
  SamplerPosition pos_;
  int64_t cached_epoch_ = -1;
  std::vector<std::vector<int64_t>> cached_;
};

// A sampler plus batch building over one split.
class DataLoader {
 public:
  DataLoader(const SplitData& split, const DatasetInfo& info, SamplerOptions options, uint64_t seed,
             int64_t max_length = 0);
  Batch next();
  BatchSampler& sampler() { return sampler_; }
  const BatchSampler& sampler() const { return sampler_; }

 private:
  const SplitData& split_;
  Task task_;
  int64_t num_labels_, pad_id_, max_length_;
  BatchSampler sampler_;
};

// All batches of a split once, for evaluation (no shuffling; bucketed by length,
// which does not change results because padding does not change outputs).
std::vector<std::vector<int64_t>> eval_batches(const SplitData& split, int64_t batch_size);

}  // namespace zl
