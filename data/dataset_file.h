// The prepared-dataset file (HDF5): the one format every trainer reads.
// Schema "zhengliu.dataset" version 1 — documented in docs/formats.md.
//
//   /                      attrs: format, format_version, task, label_names,
//                          max_length, vocab_size, pad_id, unk_id, cls_id, sep_id,
//                          tokenizer_sha256, tokenizer_type, normalization (JSON),
//                          masking (JSON), source_files (JSON), stats (JSON),
//                          toolkit_version, content_sha256, text_sha256, created_at,
//                          config (the resolved dataset config, YAML; optional);
//                          label_names only up to kLabelNamesAttrMax names (label_names.h)
//   /label_names           string[L]  the class names (readers prefer it to the attribute)
//   /tokenizer/model       uint8[]  the sentencepiece model bytes
//   /splits/<name>             attr text_sha256: that split's text checksum (see below)
//   /splits/<name>/ids         string[n]  stable example ids
//   /splits/<name>/input_ids   int32[T]   all examples' token ids, concatenated
//                                         ([CLS] a... [SEP] (b... [SEP])), no padding
//   /splits/<name>/offsets     int64[n+1] example i = input_ids[offsets[i]:offsets[i+1]]
//   /splits/<name>/segment_ids int8[T]    pair task only: 0 for [CLS] a [SEP], 1 for b [SEP]
//   /splits/<name>/labels      int32[n]   class index, -1 = unlabelled (single/pair)
//                              uint8[n,L] multi-hot (multi_label)
//   /splits/<name>/text        string[n]  normalized, masked text (pair: text_a)
//   /splits/<name>/text_b      string[n]  pair task only
//   /splits/<name>/original_text string[n] only with the explicit opt-in
//   /splits/<name>/meta/<field> string[n] metadata fields kept from the input (slices)
//
// Depends on HDF5 only (no sentencepiece, no LibTorch), so trainers can read it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zl {

constexpr const char* kDatasetFormat = "zhengliu.dataset";
constexpr int64_t kDatasetFormatVersion = 1;

enum class Task { kSingleLabel, kMultiLabel, kPair };
std::string task_name(Task t);
Task parse_task(const std::string& name, const std::string& context);  // throws UserError

struct DatasetInfo {
  Task task = Task::kSingleLabel;
  std::vector<std::string> label_names;
  int64_t max_length = 128;
  int64_t vocab_size = 0;
  int64_t pad_id = 0, unk_id = 1, cls_id = 2, sep_id = 3;
  std::string tokenizer_sha256;
  std::string tokenizer_type;
  std::string normalization_json = "{}";
  std::string masking_json = "{}";
  std::string source_files_json = "[]";
  std::string stats_json = "{}";
  std::string toolkit_version;
  std::string content_sha256;  // over ids, tokens, labels of every split: what teacher files pin
  // Tokenization-independent checksum (compute_text_sha256): equal for two files prepared
  // from the same inputs and config with different tokenizers, so a teacher file computed
  // on one is usable with the other (rows align by id). "" for files written before it.
  std::string text_sha256;
  std::map<std::string, std::string> split_text_sha256;  // per split (attr of /splits/<name>); "" = absent
  std::string created_at;
  std::string config_yaml;  // the resolved config that made the file ("" when not stored)
  // A pretrained checkpoint's tokenizer (dataset config `tokenizer.pretrained: DIR`):
  // attribute `pretrained_tokenizer`, JSON {"dir", "family" (bert | xlm-roberta),
  // "kind" (wordpiece | sentencepiece), "base_vocab_size" (the checkpoint's),
  // "added" (pieces added here: the placeholders), "pruned", ...}; "" otherwise.
  std::string pretrained_json;
  // Dataset `/tokenizer/vocab_map` int32[vocab_size]: for each token id of this file,
  // the checkpoint's embedding row, or -1 for a piece added here (a placeholder).
  // With vocabulary pruning it is the list of kept rows. Empty unless pretrained.
  std::vector<int32_t> vocab_map;
  std::vector<std::string> split_names;  // filled by the reader
};

struct SplitData {
  std::string name;
  std::vector<std::string> ids;
  std::vector<int32_t> input_ids;
  std::vector<int64_t> offsets{0};
  std::vector<int8_t> segment_ids;    // pair task only
  std::vector<int32_t> labels;        // single/pair: n entries, -1 = unlabelled
  std::vector<uint8_t> multi_hot;     // multi-label: n * num_labels
  std::vector<std::string> text;
  std::vector<std::string> text_b;    // pair task only
  std::vector<std::string> original_text;  // opt-in only
  std::map<std::string, std::vector<std::string>> meta;

  size_t size() const { return ids.size(); }
  int64_t length(size_t i) const { return offsets[i + 1] - offsets[i]; }
};

// Writes a complete dataset file at `path` (callers write to a temporary path
// and rename; see AtomicFile). Computes and stores content_sha256 and text_sha256.
void write_dataset_file(const std::string& path, DatasetInfo info, const std::vector<SplitData>& splits,
                        const std::string& tokenizer_model_bytes);

// Reads the file attributes; checks format and version with a clear message.
DatasetInfo read_dataset_info(const std::string& path);
// Reads one split. `with_text` also loads the texts and metadata (not needed for training).
SplitData read_split(const std::string& path, const std::string& split, bool with_text = false);
// Reads one split's ids and labels only (no tokens): what aligning and checking by id needs.
SplitData read_split_labels(const std::string& path, const std::string& split);
// Ids, labels and texts (text, text_b) without tokens: what comparing two files' texts needs.
SplitData read_split_texts(const std::string& path, const std::string& split);
std::string read_tokenizer_model(const std::string& path);

// The checksum write_dataset_file stores: label names + every split's ids, tokens, labels
// (+ the vocab map when there is one: the same ids mean other pieces without it).
std::string compute_content_sha256(const DatasetInfo& info, const std::vector<SplitData>& splits);

// One split's text checksum: its name, and per row the id, text, text_b (pair task) and
// label (single/pair) or multi-hot row (multi-label); strings length-prefixed. Not the
// token ids, offsets, segment ids, tokenizer or vocab map: what the tokenizer decides.
std::string compute_split_text_sha256(const SplitData& split);
// The file's text checksum: task, label names, and every split's text checksum in
// split-name order. `per_split` (optional) receives each split's checksum.
std::string compute_text_sha256(const DatasetInfo& info, const std::vector<SplitData>& splits,
                                std::map<std::string, std::string>* per_split = nullptr);

}  // namespace zl
