// Feeds the training loop one optimizer step at a time: this rank's
// micro-batches of the step, built on a background thread a few steps ahead,
// in pinned memory and copied to the GPU asynchronously, so the step never
// waits for HDF5 reads, padding or host-to-device copies.
//
// The step's rows are the single-process run's (train.grad_accum sampler
// batches of train.batch_size rows), split between the ranks by
// dist::rank_micro_batches, so the sampler position — the only data state in a
// checkpoint — means the same thing whatever the world size: resuming on another
// number of ranks continues with the same global batches.
//
// Data comes either from a split already in memory, or from a SplitRowReader:
// then the loader reads, window by window (`window_steps` steps), only the rows
// this rank trains on.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "batch.h"
#include "dataset_file.h"
#include "split_rows.h"

namespace zl {

struct StepBatches {
  std::vector<Batch> micro;  // this rank's micro-batches (on the device); Batch::rows are split rows
  int64_t rank_samples = 0;  // rows in `micro`
  int64_t rank_tokens = 0;   // non-padding tokens in `micro` (counted on the host)
  int64_t global_samples = 0;  // rows of the whole step (all ranks)
  SamplerPosition after;     // sampler position once this step is consumed
};

struct StepLoaderOptions {
  SamplerOptions sampler;
  uint64_t seed = 42;
  int64_t grad_accum = 1;
  int64_t max_length = 0;
  int rank = 0, world_size = 1;
  torch::Device device = torch::kCPU;
  int64_t prefetch_steps = 4;   // steps built ahead (0 = build on the calling thread)
  int64_t window_steps = 256;   // SplitRowReader only: steps whose rows are read at once
  // Optional per-row values read together with the rows (sorted, unique split rows ->
  // float [rows, K] on the CPU), attached to each batch as Batch::row_extra. Only with a
  // SplitRowReader: it is called once per window, so a rank reads only its own rows.
  std::function<torch::Tensor(const std::vector<int64_t>& rows)> row_extra;
};

class StepLoader {
 public:
  // From a split in memory (every row present).
  StepLoader(const SplitData& split, const DatasetInfo& info, StepLoaderOptions options);
  // From a reader: only this rank's rows are ever read.
  StepLoader(std::shared_ptr<SplitRowReader> reader, StepLoaderOptions options);
  ~StepLoader();
  StepLoader(const StepLoader&) = delete;
  StepLoader& operator=(const StepLoader&) = delete;

  int64_t batches_per_epoch() const { return sampler_.batches_per_epoch(); }
  // Optimizer steps per epoch: ceil(batches per epoch / grad_accum).
  int64_t steps_per_epoch() const;
  // Before the first next() (resume): continue from a checkpointed position.
  void set_position(SamplerPosition pos);
  // The position after the last step next() returned: what a checkpoint stores.
  SamplerPosition position() const { return consumed_; }
  StepBatches next();

 private:
  StepBatches build();  // on the producer thread (or the caller's when prefetch_steps = 0)
  void produce();
  void refill_window();

  const SplitData* split_ = nullptr;
  std::shared_ptr<SplitRowReader> reader_;
  Task task_;
  int64_t num_labels_, pad_id_;
  StepLoaderOptions opt_;
  BatchSampler sampler_;  // owned by the producer once started
  SamplerPosition consumed_;
  bool pin_;

  // Reader windows: the coming steps' rank rows, and the rows read for them.
  std::deque<std::pair<std::vector<std::vector<int64_t>>, int64_t>> window_steps_;  // (micro rows, global rows)
  std::deque<SamplerPosition> window_pos_;
  SplitData window_;
  torch::Tensor window_extra_;        // row_extra of window_rows_
  std::vector<int64_t> window_rows_;  // sorted global rows held in window_

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<StepBatches> queue_;
  std::exception_ptr error_;
  bool stop_ = false, started_ = false;
};

}  // namespace zl
