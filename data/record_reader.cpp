#include "record_reader.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "text_normalizer.h"

namespace zl {

std::string format_name(InputFormat f) {
  switch (f) {
    case InputFormat::kJsonl: return "jsonl";
    case InputFormat::kCsv: return "csv";
    case InputFormat::kTsv: return "tsv";
  }
  return "?";
}

InputFormat parse_format(const std::string& name, const std::string& path, const std::string& context) {
  std::string n = name;
  if (n == "auto") {
    auto dot = path.rfind('.');
    std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
    if (ext == "jsonl" || ext == "json") n = "jsonl";
    else if (ext == "csv") n = "csv";
    else if (ext == "tsv" || ext == "txt") n = "tsv";
    else
      throw UserError(context + ": cannot tell the format of " + path +
                      " from its extension; set inputs.format to jsonl, csv or tsv");
  }
  if (n == "jsonl") return InputFormat::kJsonl;
  if (n == "csv") return InputFormat::kCsv;
  if (n == "tsv") return InputFormat::kTsv;
  throw UserError(context + ": format '" + name + "' is not one of jsonl, csv, tsv, auto");
}

namespace {

const std::string& text_field(const ReaderOptions& o) { return o.task == Task::kPair ? o.fields.text_a : o.fields.text; }
const std::string& label_field(const ReaderOptions& o) {
  return o.task == Task::kMultiLabel ? o.fields.labels : o.fields.label;
}

// Why a NUL is refused: it is never text (a binary file, UTF-16, or padding from a
// fixed-width export), and HDF5 strings end at the first NUL, so it would cut the text.
const char* kNulAdvice =
    "a NUL is never text: the file may be binary, UTF-16 (convert it: iconv -f UTF-16 -t UTF-8) or corrupt; "
    "remove the NUL characters from the input";

std::string human_bytes(size_t n) {
  std::ostringstream s;
  s.precision(2);
  s << std::fixed << static_cast<double>(n) / (1 << 20) << " MB";
  return s.str();
}

bool is_label_space(const std::string& s, size_t i, size_t& len) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') return (len = 1), true;
  if (s.compare(i, 2, "\xC2\xA0") == 0) return (len = 2), true;      // U+00A0 no-break space
  if (s.compare(i, 3, "\xE3\x80\x80") == 0) return (len = 3), true;  // U+3000 ideographic space
  return false;
}

}  // namespace

std::string trim_label(const std::string& label) {
  size_t b = 0, len = 0;
  while (b < label.size() && is_label_space(label, b, len)) b += len;
  size_t e = label.size();
  while (e > b) {
    // Step back over one white-space character ending at e (1, 2 or 3 bytes).
    bool found = false;
    for (size_t l : {size_t{1}, size_t{2}, size_t{3}}) {
      if (e - b < l) break;
      if (is_label_space(label, e - l, len) && len == l) {
        e -= l;
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  return label.substr(b, e - b);
}

void RecordReader::add_label(InputRecord& r, const std::string& raw, int64_t line, const std::string& field) const {
  if (raw.find('\0') != std::string::npos)
    fail(line, "label in '" + field + "' holds a NUL character (\\u0000); " + kNulAdvice);
  std::string l = trim_label(raw);
  if (l.empty()) {
    if (opt_.task == Task::kMultiLabel)
      fail(line, (raw.empty() ? std::string("an empty label") : "a label of only white space") + " in '" + field +
                     "' (" + (opt_.format == InputFormat::kJsonl ? "a \"\" in the list"
                                                                  : "nothing between two '" + opt_.label_separator +
                                                                        "' separators, or one at an end") +
                     "); remove it or give the label");
    fail(line, (raw.empty() ? std::string("empty label") : "label of only white space") + " in '" + field +
                   "'; every record needs a label (an empty one would become a class of its own)");
  }
  if (l.size() != raw.size()) {
    if (r.labels_trimmed++ == 0) r.trimmed_example = raw;
  }
  r.labels.push_back(std::move(l));
}

RecordReader::RecordReader(std::string path, ReaderOptions options) : path_(std::move(path)), opt_(std::move(options)) {
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec))
    throw UserError("input " + path_ + " is a directory, not a file; name the file itself in inputs.file / "
                    "inputs.files (a relative name resolves against inputs.dir)");
  std::ifstream in(path_, std::ios::binary);
  if (!in)
    throw UserError("input file " + path_ + " does not exist or cannot be read (" + std::strerror(errno) +
                    "); check inputs.dir / inputs.files in the config, or --input-dir");
  std::ostringstream ss;
  ss << in.rdbuf();
  data_ = ss.str();
  if (data_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;  // UTF-8 BOM
  if (data_.find_first_not_of(" \t\r\n", pos_) == std::string::npos)
    throw UserError("input file " + path_ + " has no records: " +
                    (data_.size() == pos_ ? std::string("it is empty (") + std::to_string(data_.size()) + " bytes)"
                                          : "it holds only blank lines") +
                    "; check that inputs.file / inputs.files name the right file, or fill it");
  if (opt_.format != InputFormat::kJsonl) {
    if (opt_.header) {
      int64_t l;
      if (!split_record(header_, l)) fail(1, "the file is empty but a header line is expected");
    } else {
      if (opt_.columns.empty())
        fail(1, "no header and no column names: set inputs.columns (e.g. [text, label]) or inputs.header: true");
      header_ = opt_.columns;
    }
    auto find = [&](const std::string& name, bool required) {
      for (size_t k = 0; k < header_.size(); ++k)
        if (header_[k] == name) return static_cast<int>(k);
      if (required) {
        std::string have;
        for (const auto& h : header_) have += (have.empty() ? "" : ", ") + h;
        fail(1, "no column '" + name + "' (columns: " + have +
                    "); set inputs.fields to the right names or inputs.columns when there is no header");
      }
      return -1;
    };
    col_.push_back(find(text_field(opt_), true));
    col_.push_back(opt_.task == Task::kPair ? find(opt_.fields.text_b, true) : -1);
    col_.push_back(find(label_field(opt_), true));
    for (const auto& m : opt_.fields.meta) col_.push_back(find(m, false));
  }
}

void RecordReader::fail(int64_t line, const std::string& problem) const { throw RecordError(path_, line, problem); }

bool RecordReader::next(InputRecord& r) {
  if (fatal_) return false;
  return opt_.format == InputFormat::kJsonl ? next_jsonl(r) : next_delimited(r);
}

bool RecordReader::next_jsonl(InputRecord& r) {
  while (pos_ < data_.size()) {
    size_t nl = data_.find('\n', pos_);
    size_t end = nl == std::string::npos ? data_.size() : nl;
    size_t next = nl == std::string::npos ? data_.size() : nl + 1;
    const int64_t line = line_++;
    std::string_view s(data_.data() + pos_, end - pos_);
    pos_ = next;
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    if (s.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines are not records
    if (s.size() > opt_.max_record_bytes)
      fail(line, "line is " + human_bytes(s.size()) + ", over the 1 MB limit per record; split or shorten it");
    if (size_t nul = s.find('\0'); nul != std::string_view::npos)
      fail(line, "a NUL byte (0x00) at byte " + std::to_string(nul + 1) + " of the line; " + kNulAdvice);
    size_t bad;
    if (!valid_utf8(s, &bad))
      fail(line, "invalid UTF-8 at byte " + std::to_string(bad + 1) +
                     " of the line; convert the file to UTF-8 (e.g. iconv -f GBK -t UTF-8)");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(s.begin(), s.end());
    } catch (const nlohmann::json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double (1e400: found
      // by fuzz/record_reader_fuzz; it escaped as an internal error before).
      std::string what = e.what();
      auto p = what.find("parse error");
      if (p == std::string::npos && (p = what.find("] ")) != std::string::npos) p += 2;
      fail(line, "malformed JSON (" + (p == std::string::npos ? what : what.substr(p)) +
                     "); each line must be one JSON object");
    }
    if (!j.is_object()) fail(line, "expected a JSON object {...}, got " + std::string(j.type_name()));
    auto keys = [&]() {
      std::string k;
      for (auto it = j.begin(); it != j.end(); ++it) k += (k.empty() ? "" : ", ") + it.key();
      return k;
    };
    auto get_text = [&](const std::string& field, std::string& out) {
      auto it = j.find(field);
      if (it == j.end() || it->is_null())
        fail(line, "missing field '" + field + "' (the record has: " + keys() +
                       "); set inputs.fields." + (field == opt_.fields.text_b ? "text_b" : "text") +
                       " in the config if the name differs");
      if (!it->is_string()) fail(line, "field '" + field + "' must be a string, got " + it->dump());
      out = it->get<std::string>();
      if (out.find('\0') != std::string::npos)
        fail(line, "field '" + field + "' holds a NUL character (\\u0000); " + kNulAdvice);
    };
    auto label_string = [&](const nlohmann::json& v, const std::string& field) -> std::string {
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
      fail(line, "label in '" + field + "' must be a string or an integer, got " + v.dump());
    };
    get_text(text_field(opt_), r.text);
    if (opt_.task == Task::kPair) get_text(opt_.fields.text_b, r.text_b);
    r.labels.clear();
    r.labels_trimmed = 0;
    r.trimmed_example.clear();
    const std::string& lf = label_field(opt_);
    auto it = j.find(lf);
    if (it == j.end() || it->is_null())
      fail(line, "missing field '" + lf + "' (the record has: " + keys() + "); set inputs.fields." +
                     (opt_.task == Task::kMultiLabel ? "labels" : "label") + " in the config if the name differs");
    if (opt_.task == Task::kMultiLabel) {
      if (!it->is_array())
        fail(line, "field '" + lf + "' must be a list of labels for task multi_label, got " + it->dump());
      if (it->empty())
        fail(line, "field '" + lf + "' is an empty list; every multi_label record needs at least one label (when "
                       "none applies, give an explicit one such as \"none\"), or remove the record");
      for (const auto& v : *it) add_label(r, label_string(v, lf), line, lf);
    } else {
      if (it->is_array())
        fail(line, "field '" + lf + "' is a list " + it->dump() + ", but the task is " + task_name(opt_.task) +
                       " (one label per record); use task: multi_label with a 'labels' list, or give one label");
      add_label(r, label_string(*it, lf), line, lf);
    }
    r.meta.clear();
    for (const auto& m : opt_.fields.meta) {
      auto mi = j.find(m);
      if (mi == j.end() || mi->is_null()) r.meta.emplace_back();
      else r.meta.push_back(mi->is_string() ? mi->get<std::string>() : mi->dump());
      if (r.meta.back().find('\0') != std::string::npos)
        fail(line, "field '" + m + "' holds a NUL character (\\u0000); " + kNulAdvice);
    }
    r.line = line;
    return true;
  }
  return false;
}

bool RecordReader::split_record(std::vector<std::string>& fields, int64_t& start_line) {
  fields.clear();
  const char delim = opt_.format == InputFormat::kCsv ? ',' : '\t';
  const bool quoting = opt_.format == InputFormat::kCsv;
  const size_t n = data_.size();
  // Skip blank lines between records.
  while (pos_ < n && (data_[pos_] == '\n' || (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n'))) {
    pos_ += data_[pos_] == '\r' ? 2 : 1;
    ++line_;
  }
  if (pos_ >= n) return false;
  start_line = line_;
  const size_t record_start = pos_;
  std::string field;
  while (true) {
    field.clear();
    if (quoting && pos_ < n && data_[pos_] == '"') {
      ++pos_;
      while (true) {
        if (pos_ >= n) {
          fatal_ = true;
          fail(start_line, "unterminated quoted field (a '\"' opened here is never closed); fix the quoting");
        }
        char c = data_[pos_];
        if (c == '"') {
          if (pos_ + 1 < n && data_[pos_ + 1] == '"') {
            field.push_back('"');
            pos_ += 2;
            continue;
          }
          ++pos_;
          break;
        }
        if (c == '\n') ++line_;
        field.push_back(c);
        ++pos_;
      }
      if (pos_ < n && data_[pos_] != delim && data_[pos_] != '\n' && data_[pos_] != '\r') {
        // Skip to the end of the line so the next record can still be read.
        size_t nl = data_.find('\n', pos_);
        pos_ = nl == std::string::npos ? n : nl + 1;
        const int64_t at = line_;
        ++line_;
        fail(at, "unexpected character after a closing quote; inside a quoted field write \"\" for a quote");
      }
    } else {
      while (pos_ < n && data_[pos_] != delim && data_[pos_] != '\n') field.push_back(data_[pos_++]);
      if (!field.empty() && field.back() == '\r' && (pos_ >= n || data_[pos_] == '\n')) field.pop_back();
    }
    fields.push_back(field);
    if (pos_ < n && data_[pos_] == '\r') ++pos_;
    if (pos_ >= n) break;
    if (data_[pos_] == delim) {
      ++pos_;
      continue;
    }
    if (data_[pos_] == '\n') {
      ++pos_;
      ++line_;
      break;
    }
  }
  if (pos_ - record_start > opt_.max_record_bytes)
    fail(start_line, "record is " + human_bytes(pos_ - record_start) + ", over the 1 MB limit per record; split or shorten it");
  if (size_t nul = data_.find('\0', record_start); nul < pos_)
    fail(start_line, "a NUL byte (0x00) at byte " + std::to_string(nul - record_start + 1) + " of the record; " +
                         kNulAdvice);
  size_t bad;
  if (!valid_utf8(std::string_view(data_.data() + record_start, pos_ - record_start), &bad))
    fail(start_line, "invalid UTF-8 at byte " + std::to_string(bad + 1) +
                         " of the record; convert the file to UTF-8 (e.g. iconv -f GBK -t UTF-8)");
  return true;
}

bool RecordReader::next_delimited(InputRecord& r) {
  std::vector<std::string> f;
  int64_t line;
  if (!split_record(f, line)) return false;
  if (f.size() != header_.size())
    fail(line, "has " + std::to_string(f.size()) + " fields, but there are " + std::to_string(header_.size()) +
                   " columns; quote fields that contain the delimiter");
  r.line = line;
  r.text = f[col_[0]];
  if (opt_.task == Task::kPair) r.text_b = f[col_[1]];
  r.labels.clear();
  r.labels_trimmed = 0;
  r.trimmed_example.clear();
  const std::string& lab = f[col_[2]];
  const std::string& column = header_[col_[2]];
  if (opt_.task == Task::kMultiLabel) {
    if (trim_label(lab).empty())
      fail(line, "column '" + column + "' is empty; every multi_label record needs at least one label (when none "
                     "applies, give an explicit one such as none), or remove the record");
    size_t s = 0;
    while (true) {
      size_t e = lab.find(opt_.label_separator, s);
      add_label(r, lab.substr(s, e == std::string::npos ? std::string::npos : e - s), line, column);
      if (e == std::string::npos) break;
      s = e + opt_.label_separator.size();
    }
  } else {
    add_label(r, lab, line, column);
  }
  r.meta.clear();
  for (size_t m = 0; m < opt_.fields.meta.size(); ++m) r.meta.push_back(col_[3 + m] >= 0 ? f[col_[3 + m]] : "");
  return true;
}

}  // namespace zl
