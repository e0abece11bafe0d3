#include "synthetic_data_testing.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace zl::testing {

namespace {

SplitData make_split(const std::string& name, int64_t n, const SyntheticOptions& o, std::mt19937_64& rng) {
  SplitData s;
  s.name = name;
  const int64_t first_plain = 4 + o.num_labels;  // 0-3 special, then one keyword per label
  auto uni = [&](int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1)); };
  auto sentence = [&](std::vector<int32_t>& toks, const std::vector<int64_t>& keywords) {
    int64_t len = uni(o.min_len, o.max_len);
    std::vector<int32_t> body;
    for (int64_t t = 0; t < len; ++t) body.push_back(static_cast<int32_t>(uni(first_plain, o.vocab - 1)));
    for (auto k : keywords) body[static_cast<size_t>(uni(0, len - 1))] = static_cast<int32_t>(4 + k);
    toks.insert(toks.end(), body.begin(), body.end());
  };
  for (int64_t i = 0; i < n; ++i) {
    s.ids.push_back(name + "-" + std::to_string(i));
    std::vector<int32_t> toks{2};
    std::vector<int8_t> seg;
    if (o.task == Task::kMultiLabel) {
      std::vector<int64_t> on;
      for (int64_t l = 0; l < o.num_labels; ++l)
        if (rng() % 2) on.push_back(l);
      sentence(toks, on);
      toks.push_back(3);
      for (int64_t l = 0; l < o.num_labels; ++l)
        s.multi_hot.push_back(std::find(on.begin(), on.end(), l) != on.end() ? 1 : 0);
    } else if (o.task == Task::kPair) {
      int64_t ka = uni(0, o.num_labels - 1), same = static_cast<int64_t>(rng() % 2);
      int64_t kb = same ? ka : (ka + 1) % o.num_labels;
      sentence(toks, {ka});
      toks.push_back(3);
      size_t a_end = toks.size();
      sentence(toks, {kb});
      toks.push_back(3);
      for (size_t t = 0; t < toks.size(); ++t) seg.push_back(t < a_end ? 0 : 1);
      s.labels.push_back(static_cast<int32_t>(same));
      s.text_b.push_back("b" + std::to_string(i));
    } else {
      int64_t label = uni(0, o.num_labels - 1);
      sentence(toks, {label});
      toks.push_back(3);
      s.labels.push_back(static_cast<int32_t>(label));
    }
    s.input_ids.insert(s.input_ids.end(), toks.begin(), toks.end());
    s.segment_ids.insert(s.segment_ids.end(), seg.begin(), seg.end());
    s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
    s.text.push_back("t" + std::to_string(i));
  }
  return s;
}

}  // namespace

std::string write_synthetic_dataset(const std::string& dir, const std::string& name, const SyntheticOptions& o) {
  std::mt19937_64 rng(o.seed);
  DatasetInfo info;
  info.task = o.task;
  const int64_t L = o.task == Task::kPair ? 2 : o.num_labels;
  for (int64_t l = 0; l < L; ++l) info.label_names.push_back("label" + std::to_string(l));
  info.vocab_size = o.vocab;
  info.max_length = 2 * o.max_len + 3;
  info.tokenizer_type = "synthetic";
  info.tokenizer_sha256 = "synthetic";
  std::vector<SplitData> splits{make_split("train", o.train, o, rng), make_split("dev", o.dev, o, rng)};
  std::string path = dir + "/" + name + ".h5";
  write_dataset_file(path, info, splits, "synthetic-tokenizer-bytes");
  return path;
}

int64_t write_with_transfer_copies(const std::string& data, const std::string& out, int copies) {
  const DatasetInfo info = read_dataset_info(data);
  if (info.task != Task::kSingleLabel) throw std::invalid_argument("write_with_transfer_copies: single-label data only");
  std::vector<SplitData> splits;
  for (const auto& name : info.split_names) splits.push_back(read_split(data, name, /*with_text=*/true));
  int64_t added = 0;
  for (auto& s : splits) {
    if (s.name != "train") continue;
    const size_t n = s.size();
    for (int k = 1; k <= copies; ++k)
      for (size_t i = 0; i < n; i += 2) {
        s.ids.push_back(s.ids[i] + "~noise" + std::to_string(k));
        std::vector<int32_t> row(s.input_ids.begin() + s.offsets[i], s.input_ids.begin() + s.offsets[i + 1]);
        std::reverse(row.begin() + 1, row.end() - 1);  // keep [CLS] ... [SEP]
        if (k >= 2 && row.size() > 3) row.erase(row.begin() + 1);
        s.input_ids.insert(s.input_ids.end(), row.begin(), row.end());
        s.offsets.push_back(static_cast<int64_t>(s.input_ids.size()));
        s.labels.push_back(-1);
        s.text.push_back(s.text[i] + " (copy " + std::to_string(k) + ")");
        for (auto& [field, col] : s.meta) col.push_back(col[i]);
        if (!s.original_text.empty()) s.original_text.push_back("");
        ++added;
      }
  }
  write_dataset_file(out, info, splits, read_tokenizer_model(data));
  return added;
}

std::string make_temp_dir(const std::string& tag) {
  namespace fs = std::filesystem;
  static int counter = 0;
  fs::path p = fs::temp_directory_path() /
               ("zl_train_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

}  // namespace zl::testing
