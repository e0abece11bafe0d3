#include "teacher_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "atomic_file.h"
#include "label_names.h"
#include "error.h"
#include "h5_file.h"

namespace zl {

namespace {

// IEEE binary16, little-endian, built the way h5py builds its float16 type, so
// h5py/numpy read the dataset as dtype float16.
h5::Handle half_type() {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return h5::Handle(t, H5Tclose);
}

void write_half_matrix(const h5::File& f, const std::string& path, const std::vector<uint16_t>& data, hsize_t rows,
                       hsize_t cols) {
  hsize_t dims[2] = {rows, cols};
  h5::Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
  h5::Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (rows * cols >= 4096) {
    hsize_t chunk[2] = {std::max<hsize_t>(1, std::min<hsize_t>(rows, (1u << 17) / std::max<hsize_t>(1, cols))), cols};
    H5Pset_chunk(dcpl.id(), 2, chunk);
    H5Pset_shuffle(dcpl.id());
    H5Pset_deflate(dcpl.id(), 1);
  }
  h5::Handle t = half_type();
  h5::Handle ds(H5Dcreate2(f.id(), path.c_str(), t.id(), space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw UserError(f.path() + ": cannot create dataset " + path);
  if (!data.empty() && H5Dwrite(ds.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    throw UserError(f.path() + ": cannot write dataset " + path + " (disk full?)");
}

std::vector<float> read_half_matrix(const h5::File& f, const std::string& path) {
  h5::Handle ds(H5Dopen2(f.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw UserError(f.path() + ": dataset '" + path + "' is missing");
  h5::Handle space(H5Dget_space(ds.id()), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.id());
  std::vector<uint16_t> raw(static_cast<size_t>(n));
  h5::Handle t = half_type();
  if (n && H5Dread(ds.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    throw UserError(f.path() + ": cannot read " + path + " as float16");
  std::vector<float> out(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) out[i] = half_to_float(raw[i]);
  return out;
}

// One [rows, cols] float matrix in the file's dtype; float16 refuses what it cannot hold,
// naming the example (ids[row]) and the dataset (logits or sentence).
void write_matrix(h5::File& f, const std::string& teacher_path, const std::string& ds,
                  const std::vector<float>& values, const std::vector<std::string>& ids, hsize_t cols,
                  const std::string& dtype) {
  if (dtype == "float32") {
    f.write<float>(ds, values, {ids.size(), cols});
    return;
  }
  std::vector<uint16_t> half(values.size());
  for (size_t i = 0; i < half.size(); ++i) {
    if (std::isfinite(values[i]) && std::fabs(values[i]) >= 65504.0f)
      throw UserError(teacher_path + ": teacher value " + std::to_string(values[i]) + " of example '" +
                      ids[i / static_cast<size_t>(cols)] + "' in " + ds +
                      " does not fit in float16 (max 65504); write with --dtype float32");
    half[i] = float_to_half(values[i]);
  }
  write_half_matrix(f, ds, half, ids.size(), cols);
}

std::string join_first(const std::vector<std::string>& v, size_t k) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < k; ++i) s += (i ? ", " : "") + ("'" + v[i] + "'");
  if (v.size() > k) s += ", ...";
  return s;
}

std::string join_all(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

}  // namespace

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t a = x & 0x7fffffffu;
  if (a >= 0x7f800000u) return sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0u);  // inf / nan
  if (a >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (a < 0x38800000u) {                          // below 2^-14: half subnormal (unit 2^-24)
    float v;
    std::memcpy(&v, &a, 4);
    return sign | static_cast<uint16_t>(std::nearbyint(v * 16777216.0f));  // ties to even
  }
  uint32_t h = (((a >> 23) - 127 + 15) << 10) | ((a & 0x7fffffu) >> 13);
  const uint32_t rest = a & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (static_cast<uint32_t>(h) & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  float out;
  if (e == 0) {
    out = std::ldexp(static_cast<float>(m), -24);
    return sign ? -out : out;
  }
  uint32_t bits = e == 31 ? (sign | 0x7f800000u | (m << 13)) : (sign | ((e - 15 + 127) << 23) | (m << 13));
  std::memcpy(&out, &bits, 4);
  return out;
}

std::string utc_timestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_teacher_file(const std::string& path, TeacherInfo info, const std::vector<TeacherSplit>& splits,
                        const std::string& dtype) {
  if (dtype != "float32" && dtype != "float16")
    throw UserError("--dtype must be float32 or float16 (got '" + dtype + "')");
  if (info.kind != "logits" && info.kind != "probs")
    throw UserError("teacher kind must be logits or probs (got '" + info.kind + "')");
  if (info.created_at.empty()) info.created_at = utc_timestamp();
  if (info.toolkit_version.empty()) info.toolkit_version = ZL_VERSION;
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  AtomicFile out(path);
  {
    auto f = h5::File::create(out.temp_path());
    f.set_attr("/", "format", std::string(kTeacherFormat));
    f.set_attr("/", "format_version", kTeacherFormatVersion);
    f.set_attr("/", "task", task_name(info.task));
    write_label_names(f, info.label_names);  // a dataset, and the attribute while it fits
    f.set_attr("/", "dataset_sha256", info.dataset_sha256);
    f.set_attr("/", "dataset_text_sha256", info.dataset_text_sha256);
    f.set_attr("/", "dataset_path", info.dataset_path);
    f.set_attr("/", "teacher_run_id", info.teacher_run_id);
    f.set_attr("/", "param_count", info.param_count);
    f.set_attr("/", "checkpoint_sha256", info.checkpoint_sha256);
    f.set_attr("/", "kind", info.kind);
    f.set_attr("/", "temperature", info.temperature);
    f.set_attr("/", "source", info.source);
    f.set_attr("/", "members", info.members_json);
    f.set_attr("/", "sentence_dim", info.sentence_dim);
    f.set_attr("/", "toolkit_version", info.toolkit_version);
    f.set_attr("/", "created_at", info.created_at);
    f.create_group("/splits");
    for (const auto& s : splits) {
      if (s.num_labels != L || s.values.size() != s.ids.size() * static_cast<size_t>(L))
        throw std::logic_error("teacher split " + s.name + ": values do not match ids x labels");
      const size_t D = static_cast<size_t>(std::max<int64_t>(0, info.sentence_dim));
      if (D ? s.sentence.size() != s.ids.size() * D : !s.sentence.empty())
        throw std::logic_error("teacher split " + s.name + ": sentence vectors do not match ids x sentence_dim");
      const std::string g = "/splits/" + s.name;
      f.write_strings(g + "/ids", s.ids);
      write_matrix(f, path, g + "/logits", s.values, s.ids, static_cast<hsize_t>(L), dtype);
      if (D) write_matrix(f, path, g + "/sentence", s.sentence, s.ids, D, dtype);
      f.set_attr(g, "dataset_text_sha256", s.dataset_text_sha256);
      f.set_attr(g, "num_examples", static_cast<int64_t>(s.ids.size()));
    }
    f.flush();
  }
  out.commit();
}

TeacherInfo read_teacher_info(const std::string& path) {
  auto f = h5::File::open_read(path);
  if (!f.has_attr("/", "format") || f.attr_string("/", "format") != kTeacherFormat)
    throw UserError(path + ": not a Zhengliu teacher file (format attribute is not '" + std::string(kTeacherFormat) +
                    "'; write one with `kd teacher predict` or scripts/teacher_from_hf.py)");
  TeacherInfo info;
  info.format_version = f.attr_int("/", "format_version");
  if (info.format_version != kTeacherFormatVersion)
    throw UserError(path + ": teacher file schema version " + std::to_string(info.format_version) +
                    " is unknown; this build reads version " + std::to_string(kTeacherFormatVersion) +
                    " (write the teacher file again with this build)");
  info.task = parse_task(f.attr_string("/", "task"), path);
  info.label_names = read_label_names(f);
  info.dataset_sha256 = f.attr_string("/", "dataset_sha256");
  // Optional: files written before text checksums and sentence vectors lack them.
  if (f.has_attr("/", "dataset_text_sha256")) info.dataset_text_sha256 = f.attr_string("/", "dataset_text_sha256");
  if (f.has_attr("/", "dataset_path")) info.dataset_path = f.attr_string("/", "dataset_path");
  if (f.has_attr("/", "sentence_dim")) info.sentence_dim = f.attr_int("/", "sentence_dim");
  info.teacher_run_id = f.attr_string("/", "teacher_run_id");
  info.param_count = f.attr_int("/", "param_count");
  info.checkpoint_sha256 = f.attr_string("/", "checkpoint_sha256");
  info.kind = f.attr_string("/", "kind");
  info.temperature = f.attr_double("/", "temperature");
  info.source = f.attr_string("/", "source");
  info.members_json = f.has_attr("/", "members") ? f.attr_string("/", "members") : "[]";
  info.toolkit_version = f.attr_string("/", "toolkit_version");
  info.created_at = f.attr_string("/", "created_at");
  info.split_names = f.list("/splits");
  if (info.kind != "logits" && info.kind != "probs")
    throw UserError(path + ": attribute kind is '" + info.kind + "'; expected logits or probs");
  return info;
}

TeacherSplit read_teacher_split(const std::string& path, const std::string& split, bool with_values) {
  auto f = h5::File::open_read(path);
  const std::string g = "/splits/" + split;
  if (!f.exists(g)) throw UserError(path + ": the teacher file has no split '" + split + "'");
  TeacherSplit s;
  s.name = split;
  s.ids = f.read_strings(g + "/ids");
  auto shape = f.shape(g + "/logits");
  if (shape.size() != 2)
    throw UserError(path + ": " + g + "/logits has " + std::to_string(shape.size()) +
                    " dimensions; expected 2 ([examples, labels])");
  s.num_labels = static_cast<int64_t>(shape[1]);
  s.stored_dtype = f.type_name(g + "/logits");
  if (s.stored_dtype != "float16" && s.stored_dtype != "float32" && s.stored_dtype != "float64")
    throw UserError(path + ": " + g + "/logits has type " + s.stored_dtype + "; expected float32 or float16");
  if (with_values)
    s.values = s.stored_dtype == "float16" ? read_half_matrix(f, g + "/logits") : f.read<float>(g + "/logits");
  if (shape[0] != s.ids.size())
    throw UserError(path + ": " + g + "/logits has " + std::to_string(shape[0]) + " rows but " + g + "/ids has " +
                    std::to_string(s.ids.size()) + " ids");
  if (f.has_attr(g, "dataset_text_sha256")) s.dataset_text_sha256 = f.attr_string(g, "dataset_text_sha256");
  if (f.exists(g + "/sentence")) {
    auto ss = f.shape(g + "/sentence");
    s.sentence_dim = ss.size() == 2 ? static_cast<int64_t>(ss[1]) : 0;
  }
  return s;
}

TeacherDataset teacher_dataset_relation(const TeacherInfo& teacher, const DatasetInfo& dataset) {
  if (teacher.dataset_sha256 == dataset.content_sha256) return TeacherDataset::kSameFile;
  if (!teacher.dataset_text_sha256.empty() && teacher.dataset_text_sha256 == dataset.text_sha256)
    return TeacherDataset::kSameTexts;
  return TeacherDataset::kOther;
}

namespace {

// Scans a [n, width] float dataset in blocks of rows (a transfer set of millions of
// rows needs little memory): fn(row, pointer to its `width` values).
template <class Fn>
void scan_rows(const h5::File& f, const std::string& ds, size_t n, size_t width, Fn fn) {
  const size_t block_rows = std::max<size_t>(1, (size_t{1} << 21) / std::max<size_t>(1, width));
  std::vector<float> block;
  for (size_t i = 0; i < n; ++i) {
    if (i % block_rows == 0) block = f.read_rows<float>(ds, i, std::min(block_rows, n - i));
    fn(i, &block[(i % block_rows) * width]);
  }
}

// A text for a message: at most ~40 bytes, cut at a UTF-8 character boundary.
std::string excerpt(const std::string& s) {
  constexpr size_t kMax = 40;
  if (s.size() <= kMax) return "\"" + s + "\"";
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return "\"" + s.substr(0, cut) + "...\"";
}

// What the differing split's rows of two datasets (the teacher's, then this one) disagree
// on, for the ids both have: labels, then texts. Appends lines to `msg`; returns what differs.
struct SplitDiff {
  size_t labels = 0, texts = 0;
};
SplitDiff compare_split_rows(const std::string& teacher_dataset, const std::string& dataset_path,
                             const DatasetInfo& d, const std::string& split, std::string& msg) {
  SplitDiff out;
  SplitData a = read_split_texts(teacher_dataset, split);
  SplitData b = read_split_texts(dataset_path, split);
  const DatasetInfo da = read_dataset_info(teacher_dataset);
  // Labels by name, each file's index read with its own label names (they may differ).
  auto label_of = [&](const DatasetInfo& info, const SplitData& s, size_t i) -> std::string {
    const auto& names = info.label_names;
    const size_t L = names.size();
    if (info.task == Task::kMultiLabel) {
      std::string set;
      for (size_t j = 0; j < L && (i + 1) * L <= s.multi_hot.size(); ++j)
        if (s.multi_hot[i * L + j]) set += (set.empty() ? "" : ",") + names[j];
      return "{" + set + "}";
    }
    if (i >= s.labels.size()) return "?";
    const int32_t y = s.labels[i];
    return y >= 0 && static_cast<size_t>(y) < L ? names[static_cast<size_t>(y)] : "(no label)";
  };
  auto text_of = [](const SplitData& s, size_t i) {
    std::string t = i < s.text.size() ? s.text[i] : "";
    if (!s.text_b.empty()) t += " || " + (i < s.text_b.size() ? s.text_b[i] : "");
    return t;
  };
  std::unordered_map<std::string, size_t> row_a;
  for (size_t i = 0; i < a.ids.size(); ++i) row_a.emplace(a.ids[i], i);
  std::vector<std::string> label_examples, text_examples;
  for (size_t i = 0; i < b.ids.size(); ++i) {
    auto it = row_a.find(b.ids[i]);
    if (it == row_a.end()) continue;  // counted by the id check
    const std::string la = label_of(da, a, it->second), lb = label_of(d, b, i);
    if (la != lb && out.labels++ < 3) label_examples.push_back("'" + b.ids[i] + "' " + la + " there, " + lb + " here");
    const std::string ta = text_of(a, it->second), tb = text_of(b, i);
    if (ta != tb && out.texts++ < 2)
      text_examples.push_back("'" + b.ids[i] + "' " + excerpt(ta) + " there, " + excerpt(tb) + " here");
  }
  const std::string where = "\n    split '" + split + "': ";
  auto list = [](const std::vector<std::string>& v, size_t total) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
    return s + (total > v.size() ? "; ..." : "");
  };
  if (out.labels) msg += where + std::to_string(out.labels) + " shared ids have other labels (" + list(label_examples, out.labels) + ")";
  if (out.texts) msg += where + std::to_string(out.texts) + " shared ids have other texts (" + list(text_examples, out.texts) + ")";
  return out;
}

// Why a teacher file computed on other data cannot serve this dataset (relation kOther):
// one problem of several lines, computed from the files.
std::string explain_other_dataset(const TeacherInfo& t, const std::string& teacher_path, const DatasetInfo& d,
                                  const std::string& dataset_path) {
  auto sha = [](const std::string& x) { return x.empty() ? std::string("not recorded") : x; };
  std::string msg = "dataset checksum changed: the teacher file was computed on dataset content " + t.dataset_sha256 +
                    " (texts " + sha(t.dataset_text_sha256) + "), " + dataset_path + " has " + d.content_sha256 +
                    " (texts " + sha(d.text_sha256) + ")";
  if (t.dataset_text_sha256.empty())
    return msg + "\n    the teacher file predates text checksums (no dataset_text_sha256 attribute), so it serves "
                 "only the dataset file it was computed on: recompute the teacher file (`kd teacher predict`, or "
                 "the importer, on the teacher's dataset) to use it with a dataset prepared with another tokenizer; "
                 "if the dataset was prepared again or is a different one, run `kd teacher predict` on it";
  if (d.text_sha256.empty())
    return msg + "\n    " + dataset_path + " predates text checksums (no text_sha256 attribute): prepare it again "
                 "with this build (kd data prepare) so that its texts can be compared with the teacher's";
  msg += ": neither the same dataset file nor the same texts prepared with another tokenizer";
  // Which splits differ: each teacher split records its dataset split's text checksum.
  auto f = h5::File::open_read(teacher_path);
  std::vector<std::string> differing, same;
  for (const auto& name : t.split_names) {
    auto it = d.split_text_sha256.find(name);
    const std::string g = "/splits/" + name;
    const std::string ts = f.has_attr(g, "dataset_text_sha256") ? f.attr_string(g, "dataset_text_sha256") : "";
    if (it == d.split_text_sha256.end() || it->second.empty() || ts.empty()) continue;
    (ts == it->second ? same : differing).push_back(name);
  }
  if (!differing.empty())
    msg += "\n    texts, labels or ids differ in split" + std::string(differing.size() > 1 ? "s " : " ") +
           join_first(differing, differing.size());
  if (!same.empty())
    msg += "\n    same texts, labels and ids in split" + std::string(same.size() > 1 ? "s " : " ") + join_first(same, same.size());
  if (differing.empty())
    msg += "\n    the splits the teacher file holds agree: the difference is in the task, the label names or a "
           "split the teacher file does not hold (the dataset has " + join_all(d.split_names) + ")";
  // The details need the teacher's own dataset: its texts and labels, compared by id.
  bool texts = true, labels = false;
  if (!differing.empty()) {
    const std::string& a = t.dataset_path;
    std::string why;
    if (a.empty()) why = "the teacher file does not name its dataset";
    else if (!file_exists(a)) why = "the teacher's dataset " + a + " is no longer there";
    else if (read_dataset_info(a).content_sha256 != t.dataset_sha256) why = "the teacher's dataset " + a + " has changed since";
    if (why.empty()) {
      msg += "\n    compared with the teacher's dataset " + a + " (there) by example id:";
      size_t nl = 0, nt = 0;
      for (const auto& name : differing) {
        SplitDiff diff = compare_split_rows(a, dataset_path, d, name, msg);
        nl += diff.labels, nt += diff.texts;
      }
      if (!nl && !nt) msg += "\n    the shared ids have the same texts and labels: the id sets differ (see below)";
      texts = nt > 0, labels = nl > 0;
    } else {
      msg += "\n    (" + why + ": cannot say which texts, labels or ids differ)";
    }
  }
  const std::string what = texts && labels ? "other texts and labels" : labels ? "other labels" : texts ? "other texts" : "other example ids";
  return msg + "\n    the teacher was computed on " + what +
         ": prepare the student's dataset from the same inputs and config (only the tokenizer may differ), or "
         "compute the teacher file on this dataset";
}

}  // namespace

std::vector<std::string> find_teacher_problems(const std::string& teacher_path, const std::string& dataset_path,
                                               const std::vector<std::string>& required_splits) {
  std::vector<std::string> problems;
  TeacherInfo t = read_teacher_info(teacher_path);  // unknown format / version: thrown at once
  DatasetInfo d = read_dataset_info(dataset_path);
  if (t.task != d.task)
    problems.push_back("task differs: the teacher file is for a " + task_name(t.task) + " task, the dataset is " +
                       task_name(d.task));
  if (t.label_names != d.label_names)
    problems.push_back("label order differs:\n    teacher: " + join_all(t.label_names) +
                       "\n    dataset: " + join_all(d.label_names) +
                       "\n  (the teacher's columns must be the dataset's labels in the same order)");
  // Accepted: the very dataset (content checksum), or the same texts with another tokenizer.
  if (teacher_dataset_relation(t, d) == TeacherDataset::kOther)
    problems.push_back(explain_other_dataset(t, teacher_path, d, dataset_path));
  for (const auto& r : required_splits) {
    if (std::find(t.split_names.begin(), t.split_names.end(), r) == t.split_names.end()) {
      problems.push_back("split '" + r + "' is missing from the teacher file (it has " + join_all(t.split_names) +
                         "); write it with `kd teacher predict --splits " + r + "`");
      continue;
    }
    // A required split is one a student learns from or is scored on: 0 rows there is nothing.
    auto tf = h5::File::open_read(teacher_path);
    const auto shape = tf.shape("/splits/" + r + "/ids");
    if (!shape.empty() && shape[0] == 0)
      problems.push_back("split '" + r + "' of the teacher file has 0 rows; prepare the data with a non-empty " + r +
                         " split and predict it again");
  }
  if (t.sentence_dim < 0) problems.push_back("attribute sentence_dim is " + std::to_string(t.sentence_dim) + "; expected >= 0");
  const int64_t L = static_cast<int64_t>(d.label_names.size());
  auto f = h5::File::open_read(teacher_path);
  for (const auto& name : t.split_names) {
    const std::string where = "split '" + name + "': ";
    if (std::find(d.split_names.begin(), d.split_names.end(), name) == d.split_names.end()) {
      problems.push_back(where + "the dataset has no such split (it has " + join_all(d.split_names) + ")");
      continue;
    }
    TeacherSplit s;  // ids and shape; the values are scanned below in blocks of rows
    try {
      s = read_teacher_split(teacher_path, name, /*with_values=*/false);
    } catch (const UserError& e) {
      problems.push_back(where + "wrong shape: " + e.what());
      continue;
    }
    if (s.num_labels != L)
      problems.push_back(where + "wrong shape: logits are [" + std::to_string(s.size()) + ", " +
                         std::to_string(s.num_labels) + "], expected [" + std::to_string(s.size()) + ", " +
                         std::to_string(L) + "] (one column per dataset label)");
    SplitData ds = read_split_labels(dataset_path, name);
    std::unordered_set<std::string> teacher_ids(s.ids.begin(), s.ids.end());
    std::unordered_set<std::string> dataset_ids(ds.ids.begin(), ds.ids.end());
    if (teacher_ids.size() != s.ids.size())
      problems.push_back(where + std::to_string(s.ids.size() - teacher_ids.size()) + " duplicate example ids");
    std::vector<std::string> missing, extra;
    for (const auto& id : ds.ids)
      if (!teacher_ids.count(id)) missing.push_back(id);
    for (const auto& id : s.ids)
      if (!dataset_ids.count(id)) extra.push_back(id);
    if (!missing.empty())
      problems.push_back(where + std::to_string(missing.size()) + " dataset example ids have no teacher output (" +
                         join_first(missing, 5) + ")");
    if (!extra.empty())
      problems.push_back(where + std::to_string(extra.size()) + " teacher example ids are not in the dataset (" +
                         join_first(extra, 5) + ")");
    if (s.num_labels > 0) {
      size_t bad = 0;
      std::string first_bad;
      size_t bad_prob = 0;
      std::string first_bad_prob;
      const size_t W = static_cast<size_t>(s.num_labels);
      scan_rows(f, "/splits/" + name + "/logits", s.size(), W, [&](size_t i, const float* row) {
        double sum = 0;
        bool row_bad = false, row_bad_prob = false;
        for (size_t j = 0; j < W; ++j) {
          if (!std::isfinite(row[j])) row_bad = true;
          if (row[j] < 0.f || row[j] > 1.f) row_bad_prob = true;
          sum += row[j];
        }
        if (row_bad) {
          if (!bad++) first_bad = s.ids[i];
          return;
        }
        // probabilities: each in [0,1]; single-label rows sum to 1 (float16 rounding allowed).
        if (t.kind == "probs" && (row_bad_prob || (t.task != Task::kMultiLabel && std::fabs(sum - 1.0) > 1e-2)))
          if (!bad_prob++) first_bad_prob = s.ids[i];
      });
      if (bad)
        problems.push_back(where + std::to_string(bad) + " examples have non-finite values (NaN or Inf), first '" +
                           first_bad + "'");
      if (bad_prob)
        problems.push_back(where + std::to_string(bad_prob) +
                           " rows are not probability distributions although kind=probs, first '" + first_bad_prob +
                           "'");
    }
    // The optional sentence vectors: [n, sentence_dim], float, finite.
    const std::string sv = "/splits/" + name + "/sentence";
    if (f.exists(sv)) {
      const auto shape = f.shape(sv);
      const std::string type = f.type_name(sv);
      if (t.sentence_dim <= 0) {
        problems.push_back(where + "sentence vectors are stored but the attribute sentence_dim is " +
                           std::to_string(t.sentence_dim) + " (write the file again)");
      } else if (shape.size() != 2 || shape[0] != s.size() || static_cast<int64_t>(shape[1]) != t.sentence_dim) {
        std::string got;
        for (size_t k = 0; k < shape.size(); ++k) got += (k ? ", " : "") + std::to_string(shape[k]);
        problems.push_back(where + "wrong shape: sentence vectors are [" + got + "], expected [" +
                           std::to_string(s.size()) + ", " + std::to_string(t.sentence_dim) +
                           "] (one row per id, sentence_dim columns)");
      } else if (type != "float16" && type != "float32" && type != "float64") {
        problems.push_back(where + sv + " has type " + type + "; expected float32 or float16");
      } else {
        size_t bad = 0;
        std::string first_bad;
        const size_t D = static_cast<size_t>(t.sentence_dim);
        scan_rows(f, sv, s.size(), D, [&](size_t i, const float* row) {
          for (size_t j = 0; j < D; ++j)
            if (!std::isfinite(row[j])) {
              if (!bad++) first_bad = s.ids[i];
              return;
            }
        });
        if (bad)
          problems.push_back(where + std::to_string(bad) +
                             " examples have non-finite sentence vectors (NaN or Inf), first '" + first_bad + "'");
      }
    } else if (t.sentence_dim > 0) {
      problems.push_back(where + "no sentence vectors (" + sv + ") although sentence_dim is " +
                         std::to_string(t.sentence_dim));
    }
  }
  return problems;
}

void check_teacher_file(const std::string& teacher_path, const std::string& dataset_path,
                        const std::vector<std::string>& required_splits) {
  auto problems = find_teacher_problems(teacher_path, dataset_path, required_splits);
  if (problems.empty()) return;
  std::string msg = teacher_path + " does not match " + dataset_path + " (" + std::to_string(problems.size()) +
                    " problem" + (problems.size() > 1 ? "s" : "") + "):";
  for (const auto& p : problems) msg += "\n  - " + p;
  msg += "\nRegenerate the teacher file for this dataset (kd teacher predict ... --data " + dataset_path +
         "), or for a teacher with its own tokenizer on a dataset prepared from the same inputs and config.";
  throw UserError(msg);
}

namespace {
// kind=probs -> logits that softmax(z / T) re-softens consistently (see teacher_file.h).
float as_logit(const TeacherInfo& info, double v) {
  constexpr double kEps = 1e-7;  // keeps log p finite for a zero probability
  if (info.kind != "probs") return static_cast<float>(v);
  double p = std::min(std::max(v, kEps), 1.0 - kEps);
  return static_cast<float>(info.task == Task::kMultiLabel ? info.temperature * std::log(p / (1.0 - p))
                                                           : info.temperature * std::log(p));
}
}  // namespace

TeacherRowReader::TeacherRowReader(const std::string& teacher_path, const std::string& split,
                                   const std::vector<std::string>& dataset_ids)
    : path_(teacher_path), split_(split), info_(read_teacher_info(teacher_path)) {
  TeacherSplit s = read_teacher_split(teacher_path, split, /*with_values=*/false);
  num_labels_ = s.num_labels;
  sentence_dim_ = s.sentence_dim;
  std::unordered_map<std::string, int64_t> row;
  row.reserve(s.ids.size());
  for (size_t i = 0; i < s.ids.size(); ++i) row.emplace(s.ids[i], static_cast<int64_t>(i));
  teacher_row_.resize(dataset_ids.size());
  for (size_t i = 0; i < dataset_ids.size(); ++i) {
    auto it = row.find(dataset_ids[i]);
    if (it == row.end())
      throw UserError(teacher_path + ": split '" + split + "' has no teacher output for example '" + dataset_ids[i] +
                      "' (run `kd teacher check`)");
    teacher_row_[i] = it->second;
  }
}

std::vector<float> TeacherRowReader::read(const std::vector<int64_t>& rows) const {
  return read_matrix("logits", num_labels_, rows, /*as_logits=*/true);
}

std::vector<float> TeacherRowReader::read_sentences(const std::vector<int64_t>& rows) const {
  if (sentence_dim_ <= 0) throw std::logic_error("TeacherRowReader: " + path_ + " stores no sentence vectors");
  return read_matrix("sentence", sentence_dim_, rows, /*as_logits=*/false);
}

std::vector<float> TeacherRowReader::read_matrix(const std::string& name, int64_t width,
                                                 const std::vector<int64_t>& rows, bool as_logits) const {
  const size_t W = static_cast<size_t>(width);
  // (teacher row, position in the request), sorted by teacher row: nearby rows share one read.
  std::vector<std::pair<int64_t, size_t>> want(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= size())
      throw std::out_of_range("TeacherRowReader: row " + std::to_string(rows[i]) + " of " + std::to_string(size()));
    want[i] = {teacher_row_[static_cast<size_t>(rows[i])], i};
  }
  std::sort(want.begin(), want.end());
  std::vector<float> out(rows.size() * W);
  auto f = h5::File::open_read(path_);
  const std::string ds = "/splits/" + split_ + "/" + name;
  constexpr int64_t kGap = 16;  // rows read and thrown away rather than starting another read
  for (size_t a = 0; a < want.size();) {
    size_t b = a + 1;
    while (b < want.size() && want[b].first - want[b - 1].first <= kGap) ++b;
    const int64_t first = want[a].first, count = want[b - 1].first - first + 1;
    std::vector<float> block = f.read_rows<float>(ds, static_cast<hsize_t>(first), static_cast<hsize_t>(count));
    for (size_t k = a; k < b; ++k) {
      const float* src = &block[static_cast<size_t>(want[k].first - first) * W];
      for (size_t j = 0; j < W; ++j) out[want[k].second * W + j] = as_logits ? as_logit(info_, src[j]) : src[j];
    }
    a = b;
  }
  return out;
}

std::vector<float> aligned_teacher_sentences(const std::string& teacher_path, const std::string& split,
                                             const std::vector<std::string>& dataset_ids) {
  const TeacherInfo info = read_teacher_info(teacher_path);
  const TeacherSplit s = read_teacher_split(teacher_path, split, /*with_values=*/false);
  if (info.sentence_dim <= 0 || s.sentence_dim != info.sentence_dim)
    throw UserError(teacher_path + ": split '" + split +
                    "' stores no sentence vectors (predict it with `kd teacher predict --sentence`, or "
                    "scripts/teacher_from_hf.py --sentence)");
  const size_t D = static_cast<size_t>(info.sentence_dim);
  // Teacher row -> the dataset rows it fills (ids are unique after kd teacher check).
  std::unordered_map<std::string, size_t> dataset_row;
  dataset_row.reserve(dataset_ids.size());
  for (size_t i = 0; i < dataset_ids.size(); ++i) dataset_row.emplace(dataset_ids[i], i);
  std::vector<int64_t> target(s.size(), -1);
  size_t found = 0;
  for (size_t r = 0; r < s.size(); ++r) {
    auto it = dataset_row.find(s.ids[r]);
    if (it != dataset_row.end()) target[r] = static_cast<int64_t>(it->second), ++found;
  }
  if (found != dataset_ids.size())
    for (const auto& id : dataset_ids)
      if (!std::count(s.ids.begin(), s.ids.end(), id))
        throw UserError(teacher_path + ": split '" + split + "' has no teacher output for example '" + id +
                        "' (run `kd teacher check`)");
  std::vector<float> out(dataset_ids.size() * D);
  auto f = h5::File::open_read(teacher_path);
  scan_rows(f, "/splits/" + split + "/sentence", s.size(), D, [&](size_t r, const float* row) {
    if (target[r] >= 0) std::copy(row, row + D, out.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(target[r]) * D));
  });
  return out;
}

std::vector<float> aligned_teacher_logits(const std::string& teacher_path, const TeacherInfo& info,
                                          const TeacherSplit& split, const std::vector<std::string>& dataset_ids) {
  const size_t L = static_cast<size_t>(split.num_labels);
  std::unordered_map<std::string, size_t> row;
  row.reserve(split.ids.size());
  for (size_t i = 0; i < split.ids.size(); ++i) row.emplace(split.ids[i], i);
  std::vector<float> out(dataset_ids.size() * L);
  for (size_t i = 0; i < dataset_ids.size(); ++i) {
    auto it = row.find(dataset_ids[i]);
    if (it == row.end())
      throw UserError(teacher_path + ": split '" + split.name + "' has no teacher output for example '" +
                      dataset_ids[i] + "' (run `kd teacher check`)");
    const float* src = &split.values[it->second * L];
    for (size_t j = 0; j < L; ++j) out[i * L + j] = as_logit(info, src[j]);
  }
  return out;
}

}  // namespace zl
