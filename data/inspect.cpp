#include "inspect.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "atomic_file.h"
#include "dataset_file.h"
#include "error.h"
#include "prepare.h"

namespace zl {

nlohmann::json inspect_dataset(const std::string& path) {
  if (!file_exists(path)) throw UserError(path + " does not exist (make it with `kd data prepare`)");
  DatasetInfo info = read_dataset_info(path);
  nlohmann::json r;
  r["file"] = path;
  r["task"] = task_name(info.task);
  r["label_names"] = info.label_names;
  r["max_length"] = info.max_length;
  r["tokenizer"] = {{"type", info.tokenizer_type}, {"vocab_size", info.vocab_size}, {"sha256", info.tokenizer_sha256},
                    {"pad_id", info.pad_id}, {"unk_id", info.unk_id}, {"cls_id", info.cls_id}, {"sep_id", info.sep_id}};
  auto parse = [](const std::string& s) {
    try {
      return nlohmann::json::parse(s);
    } catch (...) {
      return nlohmann::json(s);
    }
  };
  if (!info.pretrained_json.empty()) {
    // A checkpoint's own tokenizer: where it came from, what was added, and the pruning.
    nlohmann::json p = parse(info.pretrained_json);
    int64_t added_rows = 0;
    for (int32_t row : info.vocab_map) added_rows += row < 0;
    r["tokenizer"]["pretrained"] = p;
    r["tokenizer"]["vocab_map"] = {{"entries", info.vocab_map.size()}, {"added", added_rows},
                                   {"checkpoint_rows", static_cast<int64_t>(info.vocab_map.size()) - added_rows}};
  }
  r["provenance"] = {{"source_files", parse(info.source_files_json)},
                     {"normalization", parse(info.normalization_json)},
                     {"masking", parse(info.masking_json)},
                     {"toolkit_version", info.toolkit_version},
                     {"created_at", info.created_at},
                     {"content_sha256", info.content_sha256}};
  nlohmann::json stats = parse(info.stats_json);
  if (stats.is_object()) {
    r["masks"] = stats.value("masks", nlohmann::json::object());
    r["leakage"] = stats.value("leakage", nlohmann::json::object());
    r["leakage"].erase("examples");
    r["skipped_bad_lines"] = stats.value("skipped_bad_lines", 0);
    r["labels_trimmed"] = stats.value("labels_trimmed", 0);
  }
  std::vector<std::string> order;
  for (const char* s : {"train", "dev", "test"})
    if (std::find(info.split_names.begin(), info.split_names.end(), s) != info.split_names.end()) order.push_back(s);
  for (const auto& s : info.split_names)
    if (std::find(order.begin(), order.end(), s) == order.end()) order.push_back(s);
  r["splits"] = nlohmann::json::array();
  const size_t L = info.label_names.size();
  for (const auto& name : order) {
    SplitData d = read_split(path, name, false);
    const size_t n = d.size();
    std::vector<int64_t> lens(n);
    for (size_t i = 0; i < n; ++i) lens[i] = d.length(i);
    std::sort(lens.begin(), lens.end());
    int64_t unk = 0, content = 0;
    for (int32_t id : d.input_ids) {
      if (id == info.cls_id || id == info.sep_id || id == info.pad_id) continue;
      ++content;
      unk += id == info.unk_id;
    }
    nlohmann::json dist = nlohmann::json::object();
    for (const auto& l : info.label_names) dist[l] = 0;
    int64_t unlabelled = 0;
    if (info.task == Task::kMultiLabel) {
      for (size_t i = 0; i < n; ++i)
        for (size_t k = 0; k < L; ++k)
          if (d.multi_hot[i * L + k]) dist[info.label_names[k]] = dist[info.label_names[k]].get<int64_t>() + 1;
    } else {
      for (int32_t l : d.labels) {
        if (l < 0 || static_cast<size_t>(l) >= L) {
          ++unlabelled;
          continue;
        }
        dist[info.label_names[l]] = dist[info.label_names[l]].get<int64_t>() + 1;
      }
    }
    r["splits"].push_back({{"name", name},
                           {"examples", n},
                           {"tokens", d.input_ids.size()},
                           {"label_counts", dist},
                           {"unlabelled", unlabelled},
                           {"length", {{"p50", percentile(lens, 0.5)}, {"p90", percentile(lens, 0.9)},
                                       {"p99", percentile(lens, 0.99)}, {"max", lens.empty() ? 0 : lens.back()}}},
                           {"unk_rate", content ? static_cast<double>(unk) / static_cast<double>(content) : 0.0},
                           {"unk_tokens", unk}});
  }
  return r;
}

std::string format_inspection(const nlohmann::json& r) {
  std::ostringstream o;
  o << r["file"].get<std::string>() << ": " << r["task"].get<std::string>() << ", " << r["label_names"].size()
    << " labels, max_length " << r["max_length"] << "\n";
  const auto& t = r["tokenizer"];
  o << "tokenizer: " << t["type"].get<std::string>() << ", vocab " << t["vocab_size"] << ", sha256 "
    << t["sha256"].get<std::string>() << " (pad " << t["pad_id"] << ", unk " << t["unk_id"] << ", cls " << t["cls_id"]
    << ", sep " << t["sep_id"] << ")\n";
  if (t.contains("pretrained") && t["pretrained"].is_object()) {
    const auto& p = t["pretrained"];
    o << "  pretrained: " << p.value("family", "?") << " (" << p.value("kind", "?") << ", from "
      << p.value("source", "?") << ") " << p.value("dir", "?") << "\n";
    o << "  tokenizer pieces " << p.value("base_vocab_size", 0) << " (checkpoint rows "
      << p.value("checkpoint_vocab_size", 0) << "), added " << p.value("added", nlohmann::json::array()).dump();
    if (p.value("pruned", false))
      o << ", pruned: kept " << p.value("vocab_size", 0) << " of " << p.value("encoder_vocab_size", 0) << " pieces";
    else
      o << ", not pruned";
    o << "; vocab_map: " << t["vocab_map"]["checkpoint_rows"] << " checkpoint rows + " << t["vocab_map"]["added"]
      << " new\n";
    if (p.contains("do_lower_case")) o << "  do_lower_case " << p["do_lower_case"].dump() << "\n";
  }
  o << "splits:\n";
  for (const auto& s : r["splits"]) {
    o << "  " << std::left << std::setw(6) << s["name"].get<std::string>() << std::right << " " << s["examples"]
      << " examples, " << s["tokens"] << " tokens, length p50/p90/p99/max " << s["length"]["p50"] << "/"
      << s["length"]["p90"] << "/" << s["length"]["p99"] << "/" << s["length"]["max"] << ", unk rate "
      << std::fixed << std::setprecision(4) << s["unk_rate"].get<double>() * 100 << "%\n";
    o << "         labels:";
    size_t shown = 0;
    for (auto it = s["label_counts"].begin(); it != s["label_counts"].end(); ++it) {
      if (shown++ == 40) {
        o << " ...";
        break;
      }
      o << " " << it.key() << "=" << it.value();
    }
    if (s["unlabelled"].get<int64_t>() > 0) o << " (unlabelled " << s["unlabelled"] << ")";
    o << "\n";
  }
  if (r.value("labels_trimmed", 0) > 0)
    o << "labels trimmed of surrounding white space when prepared: " << r["labels_trimmed"] << "\n";
  if (r.contains("masks")) {
    o << "masked:";
    for (auto it = r["masks"].begin(); it != r["masks"].end(); ++it) o << " " << it.key() << "=" << it.value();
    o << "\nleakage:";
    for (auto it = r["leakage"].begin(); it != r["leakage"].end(); ++it) o << " " << it.key() << "=" << it.value();
    o << "\n";
  }
  const auto& p = r["provenance"];
  o << "provenance:\n";
  for (const auto& f : p["source_files"])
    o << "  source " << f.value("split", "") << ": " << f.value("path", "") << " (" << f.value("format", "") << ", "
      << f.value("bytes", 0) << " bytes, sha256 " << f.value("sha256", "") << ")\n";
  o << "  normalization: " << p["normalization"].dump() << "\n";
  o << "  masking: " << p["masking"].dump() << "\n";
  o << "  toolkit " << p["toolkit_version"].get<std::string>() << ", created " << p["created_at"].get<std::string>()
    << ", content sha256 " << p["content_sha256"].get<std::string>() << "\n";
  return o.str();
}

}  // namespace zl
