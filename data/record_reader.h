// Readers for the input files of `kd data prepare`: JSONL (one JSON object a
// line), CSV (RFC 4180: quoted fields may hold commas, quotes and newlines) and
// TSV (tab-separated, no quoting). A UTF-8 BOM and CRLF line ends are accepted.
//
// Every problem with one record throws RecordError naming the file, the line
// the record starts on, the problem and what to do; the reader stays usable
// after it (the caller may skip the record with --skip-bad-lines) unless
// `fatal()` says the rest of the file cannot be read (an unterminated quote).
//
// Label hygiene (docs/data.md "Labels"): surrounding white space of a label is
// trimmed and counted (InputRecord::labels_trimmed; prepare warns and records the
// count), an empty label, an empty label list (multi_label) and any NUL character
// (raw, or JSON's escaped \u0000) are record errors. An empty file, a file of
// blank lines and a directory are UserErrors naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_file.h"
#include "error.h"

namespace zl {

enum class InputFormat { kJsonl, kCsv, kTsv };
std::string format_name(InputFormat f);
// "jsonl" | "csv" | "tsv"; "auto" picks by extension (.jsonl/.json, .csv, .tsv/.txt).
InputFormat parse_format(const std::string& name, const std::string& path, const std::string& context);

struct FieldNames {
  std::string text = "text";
  std::string text_b = "text_b";  // pair task: second text; the first is `text_a`
  std::string text_a = "text_a";
  std::string label = "label";    // single_label and pair
  std::string labels = "labels";  // multi_label: a list (JSONL) or separated by label_separator (CSV/TSV)
  std::vector<std::string> meta;  // extra string fields kept in the output (e.g. channel)
};

struct ReaderOptions {
  InputFormat format = InputFormat::kJsonl;
  Task task = Task::kSingleLabel;
  FieldNames fields;
  bool header = true;                // CSV/TSV: first record names the columns
  std::vector<std::string> columns;  // CSV/TSV without header: the column names in order
  std::string label_separator = "|";
  size_t max_record_bytes = 1 << 20;  // 1 MB
};

struct InputRecord {
  int64_t line = 0;  // 1-based line where the record starts
  std::string text;    // text, or text_a for pairs
  std::string text_b;  // pair task only
  std::vector<std::string> labels;  // one entry for single_label/pair
  std::vector<std::string> meta;    // in FieldNames::meta order; "" when absent
  int64_t labels_trimmed = 0;       // labels of this record that had surrounding white space
  std::string trimmed_example;      // the first such label as read (quoted in the warning)
};

// A label without its surrounding white space (ASCII white space, U+00A0, U+3000).
std::string trim_label(const std::string& label);

class RecordError : public UserError {
 public:
  RecordError(const std::string& file, int64_t line, const std::string& problem)
      : UserError(file + ":" + std::to_string(line) + ": " + problem), file_(file), line_(line) {}
  const std::string& file() const { return file_; }
  int64_t line() const { return line_; }

 private:
  std::string file_;
  int64_t line_;
};

class RecordReader {
 public:
  // Reads the whole file (throws UserError when it is missing or unreadable).
  RecordReader(std::string path, ReaderOptions options);
  // Fills `r` and returns true, or returns false at the end of the file.
  bool next(InputRecord& r);
  bool fatal() const { return fatal_; }
  const std::string& path() const { return path_; }
  const std::string& bytes() const { return data_; }  // the file content (for checksums)

 private:
  bool next_jsonl(InputRecord& r);
  bool next_delimited(InputRecord& r);
  // Splits one CSV/TSV record starting at pos_; returns false at the end.
  bool split_record(std::vector<std::string>& fields, int64_t& start_line);
  [[noreturn]] void fail(int64_t line, const std::string& problem) const;
  // Trims and checks one label of the record at `line` (`field` names it in errors).
  void add_label(InputRecord& r, const std::string& raw, int64_t line, const std::string& field) const;

  std::string path_;
  ReaderOptions opt_;
  std::string data_;
  size_t pos_ = 0;
  int64_t line_ = 1;  // line number at pos_
  bool fatal_ = false;
  std::vector<std::string> header_;
  std::vector<int> col_;  // field index per wanted column: text, text_b, label(s), meta...
};

}  // namespace zl
