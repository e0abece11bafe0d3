// The teacher-output file (HDF5): a teacher's outputs, computed once, that
// every student distills from. Schema "zhengliu.teacher" version 1 — documented
// in docs/teacher-files.md, written by `kd teacher predict` and by the Python
// importers (scripts/teacher_from_hf.py, scripts/teacher_from_llm.py).
//
//   /                          attrs: format, format_version, task, label_names,
//                              dataset_sha256, dataset_text_sha256, dataset_path,
//                              teacher_run_id, param_count, checkpoint_sha256,
//                              kind (logits|probs), temperature,
//                              source (zhengliu|hf|llm|ensemble), members (JSON),
//                              sentence_dim, toolkit_version, created_at
//                              (label_names only up to kLabelNamesAttrMax names)
//   /label_names               string[L]  the class names (readers prefer it)
//   /splits/<name>             attrs: num_examples, dataset_text_sha256
//   /splits/<name>/ids         string[n]           the dataset's stable example ids
//   /splits/<name>/logits      float32|float16[n,L] kind=logits: raw logits
//                                                   kind=probs:  probabilities
//   /splits/<name>/sentence    float32|float16[n,D] optional: the teacher's sentence
//                                                   representation (D = sentence_dim)
//   Reserved (optional, readers ignore what they do not use; no format break):
//   /splits/<name>/hidden/layer_<k>     float[T, H]  per-token hidden states, rows
//                                       aligned with the dataset's offsets
//   /splits/<name>/tokens/{topk_ids, topk_logprobs, offsets}  per-token top-k
//                                       (generative students, DistillKit style)
//
// Which datasets a teacher file serves: the one it was computed on (dataset_sha256
// == the dataset's content_sha256), or any dataset prepared from the same inputs
// and config with another tokenizer (dataset_text_sha256 == its text_sha256); rows
// are always matched by example id.
//
// Depends on zl_core/HDF5 only (no LibTorch), so the check runs anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_file.h"

namespace zl {

constexpr const char* kTeacherFormat = "zhengliu.teacher";
constexpr int64_t kTeacherFormatVersion = 1;

struct TeacherInfo {
  Task task = Task::kSingleLabel;
  std::vector<std::string> label_names;
  std::string dataset_sha256;      // DatasetInfo::content_sha256 of the dataset it was computed on
  // DatasetInfo::text_sha256 of that dataset: "" when unknown (files written before
  // text checksums, or from a dataset without one); then only dataset_sha256 matches.
  std::string dataset_text_sha256;
  std::string dataset_path;        // that dataset's path when written ("" unknown): explains a mismatch
  std::string teacher_run_id;
  int64_t param_count = -1;        // -1: unknown (e.g. an LLM behind an API)
  std::string checkpoint_sha256;   // "" when unknown
  std::string kind = "logits";     // logits | probs
  double temperature = 1.0;        // kind=probs: the temperature the probabilities were made at
  std::string source = "zhengliu"; // zhengliu | hf | llm | ensemble
  std::string members_json = "[]"; // ensemble: [{"run_id","checkpoint_sha256","param_count"}...]
  // Columns of every split's /sentence (the teacher's ModelOutput::sentence); 0 = none stored.
  int64_t sentence_dim = 0;
  std::string toolkit_version;
  std::string created_at;
  std::vector<std::string> split_names;  // filled by the reader
  int64_t format_version = kTeacherFormatVersion;
};

struct TeacherSplit {
  std::string name;
  std::vector<std::string> ids;
  std::vector<float> values;  // ids.size() x num_labels, row-major
  int64_t num_labels = 0;
  std::string stored_dtype = "float32";  // float32 | float16 (on disk; values are always float here)
  std::string dataset_text_sha256;       // the dataset split's text checksum ("" unknown)
  // Writing: ids.size() x sentence_dim floats when TeacherInfo::sentence_dim > 0.
  // Reading: left empty (aligned_teacher_sentences / TeacherRowReader read them);
  // sentence_dim = the columns of /sentence, 0 when the split has none.
  std::vector<float> sentence;
  int64_t sentence_dim = 0;
  size_t size() const { return ids.size(); }
};

// Writes the whole file atomically (temporary file, then rename). `dtype` is
// float32 or float16; float16 refuses values outside its range (use float32).
void write_teacher_file(const std::string& path, TeacherInfo info, const std::vector<TeacherSplit>& splits,
                        const std::string& dtype = "float32");

// Reads the attributes; refuses other formats and unknown schema versions.
TeacherInfo read_teacher_info(const std::string& path);
// `with_values` false: ids, shape and dtype only (values left empty). Never reads the
// sentence vectors (they can be large); sentence_dim tells whether there are any.
TeacherSplit read_teacher_split(const std::string& path, const std::string& split, bool with_values = true);

// How a teacher file relates to a dataset (the rule is in the header comment).
enum class TeacherDataset {
  kSameFile,   // dataset_sha256 == content_sha256: computed on this very dataset
  kSameTexts,  // dataset_text_sha256 == text_sha256: same texts, another tokenizer
  kOther,      // neither: kd teacher check lists what differs
};
TeacherDataset teacher_dataset_relation(const TeacherInfo& teacher, const DatasetInfo& dataset);

// Every reason the teacher file cannot be used with this dataset (empty: it can):
// also checks the optional sentence vectors (shape [n, sentence_dim], finite).
// `required_splits` must be present in the teacher file (e.g. {"train"} for kd distill);
// every split the teacher file holds is checked against the dataset's split of that name.
std::vector<std::string> find_teacher_problems(const std::string& teacher_path, const std::string& dataset_path,
                                               const std::vector<std::string>& required_splits = {});
// Throws UserError listing every problem (exit status 2 through run_main).
void check_teacher_file(const std::string& teacher_path, const std::string& dataset_path,
                        const std::vector<std::string>& required_splits = {});

// The teacher's outputs as logits (n_dataset x L), in the dataset's row order.
// kind=probs is turned into equivalent logits: temperature * log p (single-label),
// temperature * logit(p) (multi-label), clamped away from 0 and 1, so that
// softmax(z / T) re-softens them consistently.
std::vector<float> aligned_teacher_logits(const std::string& teacher_path, const TeacherInfo& info,
                                          const TeacherSplit& split, const std::vector<std::string>& dataset_ids);

// The teacher's sentence vectors (n_dataset x sentence_dim), in the dataset's row order,
// read in blocks of rows. UserError naming the file when it stores none.
std::vector<float> aligned_teacher_sentences(const std::string& teacher_path, const std::string& split,
                                             const std::vector<std::string>& dataset_ids);

// A teacher split's outputs for chosen dataset rows only: data-parallel kd distill
// reads each rank's rows this way instead of the whole file. The ids of the teacher
// split (and the dataset's, passed in) are read whole to align by id; the logits
// only for the rows asked for, in runs of nearby rows. Values are converted to
// logits exactly as aligned_teacher_logits does. Call check_teacher_file first.
class TeacherRowReader {
 public:
  TeacherRowReader(const std::string& teacher_path, const std::string& split,
                   const std::vector<std::string>& dataset_ids);
  int64_t num_labels() const { return num_labels_; }
  int64_t size() const { return static_cast<int64_t>(teacher_row_.size()); }  // dataset rows
  // rows: dataset rows (any order, repeats allowed) -> rows.size() x num_labels floats.
  std::vector<float> read(const std::vector<int64_t>& rows) const;
  // Columns of the split's sentence vectors (0: the file stores none).
  int64_t sentence_dim() const { return sentence_dim_; }
  // rows -> rows.size() x sentence_dim floats (std::logic_error when there are none).
  std::vector<float> read_sentences(const std::vector<int64_t>& rows) const;

 private:
  std::vector<float> read_matrix(const std::string& name, int64_t width, const std::vector<int64_t>& rows,
                                 bool as_logits) const;
  std::string path_, split_;
  TeacherInfo info_;
  int64_t num_labels_ = 0, sentence_dim_ = 0;
  std::vector<int64_t> teacher_row_;  // dataset row -> teacher-file row
};

// IEEE binary16 conversion with round-to-nearest-even (what --dtype float16 stores).
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);

std::string utc_timestamp();

}  // namespace zl
