#include "step_loader.h"

#include <algorithm>
#include <functional>

#include "distributed.h"

namespace zl {

namespace {

std::vector<int64_t> all_lengths(const SplitData& s) {
  std::vector<int64_t> l(s.size());
  for (size_t i = 0; i < s.size(); ++i) l[i] = s.length(i);
  return l;
}

// Pinned host memory, then an asynchronous copy: the copy overlaps the
// previous step's kernels instead of stalling the host.
Batch to_device(Batch b, const torch::Device& device, bool pin) {
  if (device.is_cpu()) return b;
  auto mv = [&](torch::Tensor& t) {
    if (!t.defined()) return;
    if (pin) t = t.pin_memory();
    t = t.to(device, /*non_blocking=*/pin);
  };
  mv(b.input_ids);
  mv(b.attention_mask);
  mv(b.token_type_ids);
  mv(b.labels);
  mv(b.row_extra);
  mv(b.row_index);
  return b;
}

}  // namespace

StepLoader::StepLoader(const SplitData& split, const DatasetInfo& info, StepLoaderOptions options)
    : split_(&split),
      task_(info.task),
      num_labels_(static_cast<int64_t>(info.label_names.size())),
      pad_id_(info.pad_id),
      opt_(std::move(options)),
      sampler_(all_lengths(split), opt_.sampler, opt_.seed),
      pin_(opt_.device.is_cuda()) {
  // A split held whole has its per-row data in memory too: row_extra is for row-by-row reads.
  if (opt_.row_extra) throw std::logic_error("StepLoaderOptions::row_extra needs the SplitRowReader constructor");
}

StepLoader::StepLoader(std::shared_ptr<SplitRowReader> reader, StepLoaderOptions options)
    : reader_(std::move(reader)),
      task_(reader_->info().task),
      num_labels_(static_cast<int64_t>(reader_->info().label_names.size())),
      pad_id_(reader_->info().pad_id),
      opt_(std::move(options)),
      sampler_(reader_->lengths(), opt_.sampler, opt_.seed),
      pin_(opt_.device.is_cuda()) {}

StepLoader::~StepLoader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t StepLoader::steps_per_epoch() const {
  return std::max<int64_t>(1, (batches_per_epoch() + opt_.grad_accum - 1) / opt_.grad_accum);
}

void StepLoader::set_position(SamplerPosition pos) {
  if (started_) throw std::logic_error("StepLoader::set_position after the first step");
  sampler_.set_position(pos);
  consumed_ = pos;
}

void StepLoader::refill_window() {
  std::vector<std::vector<int64_t>> rank_rows;
  for (int64_t s = 0; s < std::max<int64_t>(1, opt_.window_steps); ++s) {
    std::vector<std::vector<int64_t>> step;
    int64_t global = 0;
    for (int64_t a = 0; a < opt_.grad_accum; ++a) {
      step.push_back(sampler_.next());
      global += static_cast<int64_t>(step.back().size());
    }
    auto mine = dist::rank_micro_batches(step, opt_.rank, opt_.world_size, opt_.sampler.batch_size);
    rank_rows.insert(rank_rows.end(), mine.begin(), mine.end());
    window_steps_.emplace_back(std::move(mine), global);
    window_pos_.push_back(sampler_.position());
  }
  window_rows_ = unique_rows(rank_rows);
  window_ = reader_->read(window_rows_);
  if (opt_.row_extra) window_extra_ = opt_.row_extra(window_rows_);
}

StepBatches StepLoader::build() {
  StepBatches out;
  std::vector<std::vector<int64_t>> mine;
  const SplitData* src = split_;
  if (reader_) {
    if (window_steps_.empty()) refill_window();
    mine = std::move(window_steps_.front().first);
    out.global_samples = window_steps_.front().second;
    out.after = window_pos_.front();
    window_steps_.pop_front();
    window_pos_.pop_front();
    src = &window_;
  } else {
    std::vector<std::vector<int64_t>> step;
    for (int64_t a = 0; a < opt_.grad_accum; ++a) {
      step.push_back(sampler_.next());
      out.global_samples += static_cast<int64_t>(step.back().size());
    }
    mine = dist::rank_micro_batches(step, opt_.rank, opt_.world_size, opt_.sampler.batch_size);
    out.after = sampler_.position();
  }
  for (auto& rows : mine) {
    std::vector<int64_t> local = rows;
    if (reader_)
      for (auto& r : local)
        r = std::lower_bound(window_rows_.begin(), window_rows_.end(), r) - window_rows_.begin();
    Batch b = make_batch(*src, task_, num_labels_, pad_id_, local, opt_.max_length);
    b.rows = rows;  // split rows, e.g. for teacher logits
    b.row_index = torch::tensor(rows, torch::kLong);
    if (opt_.row_extra) b.row_extra = window_extra_.index_select(0, torch::tensor(local, torch::kLong));
    out.rank_samples += b.size();
    out.rank_tokens += b.num_tokens();  // still on the host: no device sync
    out.micro.push_back(to_device(std::move(b), opt_.device, pin_));
  }
  return out;
}

void StepLoader::produce() {
  try {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || static_cast<int64_t>(queue_.size()) < opt_.prefetch_steps; });
        if (stop_) return;
      }
      StepBatches s = build();
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(s));
      }
      cv_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mu_);
    error_ = std::current_exception();
    cv_.notify_all();
  }
}

StepBatches StepLoader::next() {
  if (opt_.prefetch_steps <= 0) {
    started_ = true;
    StepBatches s = build();
    consumed_ = s.after;
    return s;
  }
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { produce(); });
  }
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !queue_.empty() || error_; });
  if (queue_.empty() && error_) std::rethrow_exception(error_);
  StepBatches s = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  cv_.notify_all();
  consumed_ = s.after;
  return s;
}

}  // namespace zl
