#include "batch.h"

#include <algorithm>
#include <random>

#include "error.h"

namespace zl {

int64_t Batch::num_tokens() const { return attention_mask.defined() ? attention_mask.sum().item<int64_t>() : 0; }

Batch Batch::to(const torch::Device& device) const {
  Batch b;
  auto mv = [&](const torch::Tensor& t) { return t.defined() ? t.to(device) : t; };
  b.input_ids = mv(input_ids);
  b.attention_mask = mv(attention_mask);
  b.token_type_ids = mv(token_type_ids);
  b.labels = mv(labels);
  b.row_extra = mv(row_extra);
  b.row_index = mv(row_index);
  b.rows = rows;
  return b;
}

Batch make_batch(const SplitData& split, Task task, int64_t num_labels, int64_t pad_id,
                 const std::vector<int64_t>& rows, int64_t max_length) {
  const int64_t B = static_cast<int64_t>(rows.size());
  int64_t T = 1;
  auto len_of = [&](int64_t r) {
    int64_t n = split.length(static_cast<size_t>(r));
    return max_length > 0 ? std::min(n, max_length) : n;
  };
  for (int64_t r : rows) T = std::max(T, len_of(r));
  const bool pair = task == Task::kPair;
  auto ids = torch::full({B, T}, pad_id, torch::kInt64);
  auto mask = torch::zeros({B, T}, torch::kInt64);
  torch::Tensor seg = pair ? torch::zeros({B, T}, torch::kInt64) : torch::Tensor();
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const size_t r = static_cast<size_t>(rows[b]);
    const int64_t start = split.offsets[r];
    const int64_t full = split.length(r);
    const int64_t n = len_of(rows[b]);
    for (int64_t t = 0; t < n; ++t) {
      // Truncation keeps the final [SEP]: position n-1 takes the last token.
      int64_t src = (t == n - 1) ? start + full - 1 : start + t;
      ids_a[b][t] = split.input_ids[static_cast<size_t>(src)];
      mask_a[b][t] = 1;
      if (pair) seg[b][t] = split.segment_ids.empty() ? 0 : split.segment_ids[static_cast<size_t>(src)];
    }
  }
  Batch batch;
  batch.input_ids = ids;
  batch.attention_mask = mask;
  batch.token_type_ids = seg;
  batch.rows = rows;
  if (task == Task::kMultiLabel) {
    if (!split.multi_hot.empty()) {
      auto lab = torch::zeros({B, num_labels}, torch::kFloat32);
      auto la = lab.accessor<float, 2>();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t l = 0; l < num_labels; ++l)
          la[b][l] = split.multi_hot[static_cast<size_t>(rows[b] * num_labels + l)] ? 1.f : 0.f;
      batch.labels = lab;
    }
  } else if (!split.labels.empty()) {
    auto lab = torch::empty({B}, torch::kInt64);
    auto la = lab.accessor<int64_t, 1>();
    for (int64_t b = 0; b < B; ++b) la[b] = split.labels[static_cast<size_t>(rows[b])];
    batch.labels = lab;
  } else {
    batch.labels = torch::full({B}, -1, torch::kInt64);
  }
  return batch;
}

namespace {

// splitmix64: mixes (seed, epoch) into an independent generator seed.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fisher-Yates with our own index draw: std::shuffle's algorithm is
// implementation-defined, and batch order must not change with the standard library.
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace

BatchSampler::BatchSampler(std::vector<int64_t> lengths, SamplerOptions options, uint64_t seed)
    : lengths_(std::move(lengths)), opt_(options), seed_(seed) {
  if (opt_.batch_size <= 0) throw UserError("batch size must be positive (got " + std::to_string(opt_.batch_size) + ")");
  if (opt_.pool_batches <= 0) throw UserError("bucketing pool must be positive");
  if (lengths_.empty()) throw UserError("cannot sample batches from an empty split");
}

int64_t BatchSampler::batches_per_epoch() const {
  const int64_t n = static_cast<int64_t>(lengths_.size());
  const int64_t bs = opt_.batch_size;
  if (opt_.drop_last) return std::max<int64_t>(1, n / bs);
  return (n + bs - 1) / bs;
}

std::vector<std::vector<int64_t>> BatchSampler::epoch_batches(int64_t epoch) const {
  const int64_t n = static_cast<int64_t>(lengths_.size());
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::mt19937_64 rng(mix(seed_ ^ mix(static_cast<uint64_t>(epoch) + 1)));
  if (opt_.shuffle) shuffle(order, rng);
  const int64_t bs = opt_.batch_size;
  auto by_len = [&](int64_t a, int64_t b) { return lengths_[static_cast<size_t>(a)] < lengths_[static_cast<size_t>(b)]; };
  if (opt_.bucket) {
    // Sort inside pools of pool_batches batches: similar lengths share a batch,
    // while the pools keep the batch composition random from epoch to epoch.
    const int64_t pool = opt_.shuffle ? bs * opt_.pool_batches : n;
    for (int64_t s = 0; s < n; s += pool) {
      auto e = std::min(n, s + pool);
      std::stable_sort(order.begin() + s, order.begin() + e, by_len);
    }
  }
  std::vector<std::vector<int64_t>> batches;
  for (int64_t s = 0; s < n; s += bs) {
    auto e = std::min(n, s + bs);
    if (opt_.drop_last && e - s < bs && !batches.empty()) break;
    batches.emplace_back(order.begin() + s, order.begin() + e);
  }
  if (opt_.shuffle && opt_.bucket) shuffle(batches, rng);
  return batches;
}

std::vector<int64_t> BatchSampler::next() {
  if (cached_epoch_ != pos_.epoch) {
    cached_ = epoch_batches(pos_.epoch);
    cached_epoch_ = pos_.epoch;
  }
  std::vector<int64_t> rows = cached_[static_cast<size_t>(pos_.batch)];
  if (++pos_.batch >= static_cast<int64_t>(cached_.size())) {
    pos_.batch = 0;
    ++pos_.epoch;
  }
  return rows;
}

void BatchSampler::set_position(SamplerPosition pos) {
  if (pos.epoch < 0 || pos.batch < 0 || pos.batch >= batches_per_epoch())
    throw UserError("sampler position (epoch " + std::to_string(pos.epoch) + ", batch " + std::to_string(pos.batch) +
                    ") does not fit this split (" + std::to_string(batches_per_epoch()) +
                    " batches per epoch): the checkpoint belongs to another dataset or batch size");
  pos_ = pos;
}

namespace {
std::vector<int64_t> split_lengths(const SplitData& split) {
  std::vector<int64_t> l(split.size());
  for (size_t i = 0; i < split.size(); ++i) l[i] = split.length(i);
  return l;
}
}  // namespace

DataLoader::DataLoader(const SplitData& split, const DatasetInfo& info, SamplerOptions options, uint64_t seed,
                       int64_t max_length)
    : split_(split),
      task_(info.task),
      num_labels_(static_cast<int64_t>(info.label_names.size())),
      pad_id_(info.pad_id),
      max_length_(max_length),
      sampler_(split_lengths(split), options, seed) {}

Batch DataLoader::next() { return make_batch(split_, task_, num_labels_, pad_id_, sampler_.next(), max_length_); }

std::vector<std::vector<int64_t>> eval_batches(const SplitData& split, int64_t batch_size) {
  SamplerOptions o;
  o.batch_size = batch_size;
  o.shuffle = false;
  o.bucket = true;
  return BatchSampler(split_lengths(split), o, 0).epoch_batches(0);
}

}  // namespace zl
