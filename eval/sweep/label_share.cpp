#include "label_share.h"

#include <algorithm>
#include <functional>
#include <set>
#include <cmath>
#include <numeric>
#include <random>

#include "atomic_file.h"
#include "error.h"

namespace zl::sweep {

std::vector<uint8_t> choose_gold_rows(const SplitData& train, Task task, int64_t num_labels, double share,
                                      uint64_t seed) {
  const size_t n = train.size();
  std::vector<uint8_t> keep(n, 0);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  // Fisher-Yates with explicit draws: std::shuffle's algorithm is implementation-defined.
  for (size_t i = n; i > 1; --i) {
    std::uniform_int_distribution<size_t> d(0, i - 1);
    std::swap(order[i - 1], order[d(rng)]);
  }
  auto quota = [&](int64_t count) -> int64_t {
    if (count == 0) return 0;
    return std::max<int64_t>(1, std::llround(share * static_cast<double>(count)));
  };
  if (task == Task::kMultiLabel) {  // every multi-label row is labelled (the empty set is a label set)
    int64_t k = quota(static_cast<int64_t>(n));
    for (int64_t i = 0; i < k; ++i) keep[static_cast<size_t>(order[static_cast<size_t>(i)])] = 1;
    return keep;
  }
  std::vector<int64_t> count(static_cast<size_t>(num_labels), 0);
  for (int32_t y : train.labels)
    if (y >= 0 && y < num_labels) ++count[static_cast<size_t>(y)];
  std::vector<int64_t> taken(static_cast<size_t>(num_labels), 0);
  for (int64_t r : order) {
    int32_t y = train.labels[static_cast<size_t>(r)];
    if (y < 0 || y >= num_labels) continue;
    if (taken[static_cast<size_t>(y)] < quota(count[static_cast<size_t>(y)])) {
      keep[static_cast<size_t>(r)] = 1;
      ++taken[static_cast<size_t>(y)];
    }
  }
  return keep;
}

namespace {

// The rows of `s` where keep[i] is set, in file order.
SplitData subset(const SplitData& s, const std::vector<uint8_t>& keep, Task task, int64_t num_labels) {
  SplitData o;
  o.name = s.name;
  for (const auto& [field, values] : s.meta) o.meta[field];
  for (size_t i = 0; i < s.size(); ++i) {
    if (!keep[i]) continue;
    o.ids.push_back(s.ids[i]);
    o.input_ids.insert(o.input_ids.end(), s.input_ids.begin() + s.offsets[i], s.input_ids.begin() + s.offsets[i + 1]);
    if (task == Task::kPair)
      o.segment_ids.insert(o.segment_ids.end(), s.segment_ids.begin() + s.offsets[i],
                           s.segment_ids.begin() + s.offsets[i + 1]);
    o.offsets.push_back(static_cast<int64_t>(o.input_ids.size()));
    if (task == Task::kMultiLabel)
      o.multi_hot.insert(o.multi_hot.end(), s.multi_hot.begin() + static_cast<int64_t>(i) * num_labels,
                         s.multi_hot.begin() + static_cast<int64_t>(i + 1) * num_labels);
    else
      o.labels.push_back(s.labels[i]);
    o.text.push_back(s.text[i]);
    if (task == Task::kPair) o.text_b.push_back(s.text_b[i]);
    if (!s.original_text.empty()) o.original_text.push_back(s.original_text[i]);
    for (const auto& [field, values] : s.meta) o.meta[field].push_back(values[i]);
  }
  return o;
}

void write_dataset_atomic(const std::string& path, const DatasetInfo& info, const std::vector<SplitData>& splits,
                          const std::string& tokenizer) {
  AtomicFile f(path);
  write_dataset_file(f.temp_path(), info, splits, tokenizer);
  f.commit();
}

}  // namespace

namespace {

// Writes the gold and share files of `dataset_path` with the gold rows that `choose`
// picks from its train split (1 = keeps its gold label).
void write_share_files_with(const std::string& dataset_path,
                            const std::function<std::vector<uint8_t>(const SplitData&, const DatasetInfo&)>& choose,
                            const ShareFiles& out, int64_t* gold_rows, int64_t* transfer_rows) {
  DatasetInfo info = read_dataset_info(dataset_path);
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  if (info.task == Task::kMultiLabel)
    throw UserError(dataset_path + ": label shares below 1 are supported for single-label and pair tasks only "
                    "(kd distill marks transfer rows with label -1); set students.label_shares: [1.0]");
  if (std::find(info.split_names.begin(), info.split_names.end(), "train") == info.split_names.end())
    throw UserError(dataset_path + ": has no 'train' split to take label shares of");
  std::vector<SplitData> splits;
  for (const auto& name : info.split_names) splits.push_back(read_split(dataset_path, name, /*with_text=*/true));
  const std::string tokenizer = read_tokenizer_model(dataset_path);

  size_t train_index = 0;
  for (size_t i = 0; i < splits.size(); ++i)
    if (splits[i].name == "train") train_index = i;
  const SplitData& train = splits[train_index];
  std::vector<uint8_t> keep = choose(train, info);

  // gold-<s>.h5: train holds G only.
  std::vector<SplitData> gold = splits;
  gold[train_index] = subset(train, keep, info.task, L);
  // share-<s>.h5: every train row, gold labels of T hidden.
  std::vector<SplitData> shared = splits;
  std::string ids;
  int64_t n_gold = 0, n_transfer = 0;
  for (size_t i = 0; i < train.size(); ++i) {
    if (keep[i]) {
      ++n_gold;
    } else if (train.labels[i] >= 0) {
      shared[train_index].labels[i] = -1;
      ids += train.ids[i] + "\n";
      ++n_transfer;
    }
  }
  if (n_gold == 0) throw UserError(dataset_path + ": the train split has no labelled rows to keep");
  write_dataset_atomic(out.gold_path, info, gold, tokenizer);
  write_dataset_atomic(out.share_path, info, shared, tokenizer);
  write_file_atomic(out.transfer_ids_path, ids);
  if (gold_rows) *gold_rows = n_gold;
  if (transfer_rows) *transfer_rows = n_transfer;
}

}  // namespace

void write_share_files(const std::string& dataset_path, double share, uint64_t seed, const ShareFiles& out,
                       int64_t* gold_rows, int64_t* transfer_rows) {
  write_share_files_with(
      dataset_path,
      [&](const SplitData& train, const DatasetInfo& info) {
        return choose_gold_rows(train, info.task, static_cast<int64_t>(info.label_names.size()), share, seed);
      },
      out, gold_rows, transfer_rows);
}

void write_share_files_like(const std::string& view_path, const std::string& reference_dataset_path,
                            const std::string& reference_gold_path, const ShareFiles& out) {
  const SplitData ref_train = read_split_labels(reference_dataset_path, "train");
  const SplitData ref_gold = read_split_labels(reference_gold_path, "train");
  const std::set<std::string> gold_ids(ref_gold.ids.begin(), ref_gold.ids.end());
  write_share_files_with(
      view_path,
      [&](const SplitData& train, const DatasetInfo&) {
        std::set<std::string> a(train.ids.begin(), train.ids.end()), b(ref_train.ids.begin(), ref_train.ids.end());
        if (a != b) {
          size_t only_view = 0, only_ref = 0;
          for (const auto& id : a) only_view += b.count(id) ? 0 : 1;
          for (const auto& id : b) only_ref += a.count(id) ? 0 : 1;
          throw UserError(view_path + ": its train split is not the same rows as " + reference_dataset_path + "'s (" +
                          std::to_string(only_view) + " ids only in the teacher's view, " + std::to_string(only_ref) +
                          " only in the students'): prepare teacher.dataset from the same inputs and split settings "
                          "as dataset.config, changing only the tokenizer");
        }
        std::vector<uint8_t> keep(train.size(), 0);
        for (size_t i = 0; i < train.size(); ++i) keep[i] = gold_ids.count(train.ids[i]) ? 1 : 0;
        return keep;
      },
      out, nullptr, nullptr);
}

}  // namespace zl::sweep
