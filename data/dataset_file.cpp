#include "dataset_file.h"

#include <algorithm>

#include "checksum.h"
#include "error.h"
#include "h5_file.h"
#include "label_names.h"

namespace zl {

std::string task_name(Task t) {
  switch (t) {
    case Task::kSingleLabel: return "single_label";
    case Task::kMultiLabel: return "multi_label";
    case Task::kPair: return "pair";
  }
  return "?";
}

Task parse_task(const std::string& name, const std::string& context) {
  if (name == "single_label") return Task::kSingleLabel;
  if (name == "multi_label") return Task::kMultiLabel;
  if (name == "pair") return Task::kPair;
  throw UserError(context + ": task '" + name + "' is not one of single_label, multi_label, pair");
}

std::string compute_content_sha256(const DatasetInfo& info, const std::vector<SplitData>& splits) {
  Sha256 h;
  h.update(task_name(info.task));
  for (const auto& l : info.label_names) {
    h.update(l);
    h.update("\0", 1);
  }
  std::vector<const SplitData*> sorted;
  for (const auto& s : splits) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const SplitData* s : sorted) {
    h.update("split:" + s->name);
    for (const auto& id : s->ids) {
      h.update(id);
      h.update("\0", 1);
    }
    h.update(s->input_ids.data(), s->input_ids.size() * sizeof(int32_t));
    h.update(s->offsets.data(), s->offsets.size() * sizeof(int64_t));
    h.update(s->segment_ids.data(), s->segment_ids.size());
    h.update(s->labels.data(), s->labels.size() * sizeof(int32_t));
    h.update(s->multi_hot.data(), s->multi_hot.size());
  }
  if (!info.vocab_map.empty()) h.update(info.vocab_map.data(), info.vocab_map.size() * sizeof(int32_t));
  return h.hex_digest();
}

namespace {
// Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
void update_string(Sha256& h, const std::string& s) {
  const uint64_t n = s.size();
  h.update(&n, sizeof n);
  h.update(s);
}
void update_strings(Sha256& h, const std::vector<std::string>& v) {
  const uint64_t n = v.size();
  h.update(&n, sizeof n);
  for (const auto& s : v) update_string(h, s);
}
}  // namespace

std::string compute_split_text_sha256(const SplitData& s) {
  Sha256 h;
  update_string(h, "zhengliu.split-text.v1");
  update_string(h, s.name);
  update_strings(h, s.ids);
  update_strings(h, s.text);
  update_strings(h, s.text_b);
  const uint64_t nl = s.labels.size(), nm = s.multi_hot.size();
  h.update(&nl, sizeof nl);
  h.update(s.labels.data(), s.labels.size() * sizeof(int32_t));
  h.update(&nm, sizeof nm);
  h.update(s.multi_hot.data(), s.multi_hot.size());
  return h.hex_digest();
}

std::string compute_text_sha256(const DatasetInfo& info, const std::vector<SplitData>& splits,
                                std::map<std::string, std::string>* per_split) {
  std::map<std::string, std::string> by_name;  // sorted by split name
  for (const auto& s : splits) by_name[s.name] = compute_split_text_sha256(s);
  Sha256 h;
  update_string(h, "zhengliu.dataset-text.v1");
  update_string(h, task_name(info.task));
  update_strings(h, info.label_names);
  for (const auto& [name, sha] : by_name) {
    update_string(h, name);
    update_string(h, sha);
  }
  if (per_split) *per_split = by_name;
  return h.hex_digest();
}

void write_dataset_file(const std::string& path, DatasetInfo info, const std::vector<SplitData>& splits,
                        const std::string& tokenizer_model_bytes) {
  info.content_sha256 = compute_content_sha256(info, splits);
  info.text_sha256 = compute_text_sha256(info, splits, &info.split_text_sha256);
  auto f = h5::File::create(path);
  f.set_attr("/", "format", std::string(kDatasetFormat));
  f.set_attr("/", "format_version", kDatasetFormatVersion);
  f.set_attr("/", "task", task_name(info.task));
  write_label_names(f, info.label_names);
  f.set_attr("/", "max_length", info.max_length);
  f.set_attr("/", "vocab_size", info.vocab_size);
  f.set_attr("/", "pad_id", info.pad_id);
  f.set_attr("/", "unk_id", info.unk_id);
  f.set_attr("/", "cls_id", info.cls_id);
  f.set_attr("/", "sep_id", info.sep_id);
  f.set_attr("/", "tokenizer_sha256", info.tokenizer_sha256);
  f.set_attr("/", "tokenizer_type", info.tokenizer_type);
  f.set_attr("/", "normalization", info.normalization_json);
  f.set_attr("/", "masking", info.masking_json);
  f.set_attr("/", "source_files", info.source_files_json);
  f.set_attr("/", "stats", info.stats_json);
  f.set_attr("/", "toolkit_version", info.toolkit_version);
  f.set_attr("/", "content_sha256", info.content_sha256);
  f.set_attr("/", "text_sha256", info.text_sha256);
  f.set_attr("/", "created_at", info.created_at);
  if (!info.config_yaml.empty()) f.set_attr("/", "config", info.config_yaml);
  f.write_bytes("/tokenizer/model", tokenizer_model_bytes);
  if (!info.pretrained_json.empty()) f.set_attr("/", "pretrained_tokenizer", info.pretrained_json);
  if (!info.vocab_map.empty()) f.write<int32_t>("/tokenizer/vocab_map", info.vocab_map);
  const size_t L = info.label_names.size();
  for (const auto& s : splits) {
    const std::string g = "/splits/" + s.name;
    const size_t n = s.size();
    if (s.offsets.size() != n + 1 || static_cast<size_t>(s.offsets.back()) != s.input_ids.size())
      throw std::runtime_error("split " + s.name + ": offsets do not match input_ids");
    f.create_group(g);
    f.set_attr(g, "text_sha256", info.split_text_sha256.at(s.name));
    f.write_strings(g + "/ids", s.ids);
    f.write<int32_t>(g + "/input_ids", s.input_ids);
    f.write<int64_t>(g + "/offsets", s.offsets);
    if (info.task == Task::kPair) f.write<int8_t>(g + "/segment_ids", s.segment_ids);
    if (info.task == Task::kMultiLabel) {
      if (s.multi_hot.size() != n * L) throw std::runtime_error("split " + s.name + ": multi-hot shape mismatch");
      f.write<uint8_t>(g + "/labels", s.multi_hot, {n, L});
    } else {
      if (s.labels.size() != n) throw std::runtime_error("split " + s.name + ": labels size mismatch");
      f.write<int32_t>(g + "/labels", s.labels);
    }
    f.write_strings(g + "/text", s.text);
    if (info.task == Task::kPair) f.write_strings(g + "/text_b", s.text_b);
    if (!s.original_text.empty()) f.write_strings(g + "/original_text", s.original_text);
    for (const auto& [field, values] : s.meta) f.write_strings(g + "/meta/" + field, values);
  }
  f.flush();
}

namespace {
// The header of an open dataset file: read_dataset_info and the split readers share one
// open (each H5Fopen builds a metadata cache; the split readers used to open twice).
DatasetInfo read_info(const h5::File& f, const std::string& path) {
  if (!f.has_attr("/", "format") || f.attr_string("/", "format") != kDatasetFormat)
    throw UserError(path + ": not a Zhengliu prepared dataset (make one with `kd data prepare`)");
  int64_t version = f.attr_int("/", "format_version");
  if (version != kDatasetFormatVersion)
    throw UserError(path + ": dataset format version " + std::to_string(version) + ", this build reads version " +
                    std::to_string(kDatasetFormatVersion) + "; prepare the data again with this build");
  DatasetInfo info;
  info.task = parse_task(f.attr_string("/", "task"), path);
  info.label_names = read_label_names(f);
  info.max_length = f.attr_int("/", "max_length");
  info.vocab_size = f.attr_int("/", "vocab_size");
  info.pad_id = f.attr_int("/", "pad_id");
  info.unk_id = f.attr_int("/", "unk_id");
  info.cls_id = f.attr_int("/", "cls_id");
  info.sep_id = f.attr_int("/", "sep_id");
  info.tokenizer_sha256 = f.attr_string("/", "tokenizer_sha256");
  info.tokenizer_type = f.attr_string("/", "tokenizer_type");
  info.normalization_json = f.attr_string("/", "normalization");
  info.masking_json = f.attr_string("/", "masking");
  info.source_files_json = f.attr_string("/", "source_files");
  info.stats_json = f.attr_string("/", "stats");
  info.toolkit_version = f.attr_string("/", "toolkit_version");
  info.content_sha256 = f.attr_string("/", "content_sha256");
  info.created_at = f.attr_string("/", "created_at");
  if (f.has_attr("/", "text_sha256")) info.text_sha256 = f.attr_string("/", "text_sha256");
  if (f.has_attr("/", "config")) info.config_yaml = f.attr_string("/", "config");
  if (f.has_attr("/", "pretrained_tokenizer")) info.pretrained_json = f.attr_string("/", "pretrained_tokenizer");
  if (f.exists("/tokenizer/vocab_map")) {
    info.vocab_map = f.read<int32_t>("/tokenizer/vocab_map");
    if (static_cast<int64_t>(info.vocab_map.size()) != info.vocab_size)
      throw UserError(path + ": /tokenizer/vocab_map has " + std::to_string(info.vocab_map.size()) +
                      " entries but vocab_size is " + std::to_string(info.vocab_size) + "; prepare the data again");
  }
  info.split_names = f.list("/splits");
  for (const auto& s : info.split_names) {
    const std::string g = "/splits/" + s;
    info.split_text_sha256[s] = f.has_attr(g, "text_sha256") ? f.attr_string(g, "text_sha256") : "";
  }
  return info;
}

// A split's ids and labels (what read_split and read_split_labels share); `g` is its group.
SplitData read_ids_and_labels(const h5::File& f, const DatasetInfo& info, const std::string& path,
                              const std::string& split, std::string& g) {
  g = "/splits/" + split;
  if (!f.exists(g)) {
    std::string have;
    for (const auto& s : info.split_names) have += (have.empty() ? "" : ", ") + s;
    throw UserError(path + ": no split '" + split + "' (the file has: " + have + ")");
  }
  SplitData s;
  s.name = split;
  s.ids = f.read_strings(g + "/ids");
  if (info.task == Task::kMultiLabel) s.multi_hot = f.read<uint8_t>(g + "/labels");
  else s.labels = f.read<int32_t>(g + "/labels");
  return s;
}
}  // namespace

DatasetInfo read_dataset_info(const std::string& path) { return read_info(h5::File::open_read(path), path); }

SplitData read_split(const std::string& path, const std::string& split, bool with_text) {
  auto f = h5::File::open_read(path);
  const DatasetInfo info = read_info(f, path);
  std::string g;
  SplitData s = read_ids_and_labels(f, info, path, split, g);
  s.input_ids = f.read<int32_t>(g + "/input_ids");
  s.offsets = f.read<int64_t>(g + "/offsets");
  if (info.task == Task::kPair) s.segment_ids = f.read<int8_t>(g + "/segment_ids");
  if (s.offsets.size() != s.ids.size() + 1 || static_cast<size_t>(s.offsets.back()) != s.input_ids.size())
    throw UserError(path + ": split '" + split + "' is inconsistent (offsets vs input_ids); prepare it again");
  if (with_text) {
    s.text = f.read_strings(g + "/text");
    if (info.task == Task::kPair) s.text_b = f.read_strings(g + "/text_b");
    if (f.exists(g + "/original_text")) s.original_text = f.read_strings(g + "/original_text");
    for (const auto& field : f.list(g + "/meta")) s.meta[field] = f.read_strings(g + "/meta/" + field);
  }
  return s;
}

SplitData read_split_labels(const std::string& path, const std::string& split) {
  auto f = h5::File::open_read(path);
  const DatasetInfo info = read_info(f, path);
  std::string g;
  return read_ids_and_labels(f, info, path, split, g);
}

SplitData read_split_texts(const std::string& path, const std::string& split) {
  auto f = h5::File::open_read(path);
  const DatasetInfo info = read_info(f, path);
  std::string g;
  SplitData s = read_ids_and_labels(f, info, path, split, g);
  if (f.exists(g + "/text")) s.text = f.read_strings(g + "/text");
  if (info.task == Task::kPair && f.exists(g + "/text_b")) s.text_b = f.read_strings(g + "/text_b");
  return s;
}

std::string read_tokenizer_model(const std::string& path) {
  auto f = h5::File::open_read(path);
  return f.read_bytes("/tokenizer/model");
}

}  // namespace zl
