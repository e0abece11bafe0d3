#include "split_rows.h"

#include <algorithm>

#include "error.h"
#include "h5_file.h"

namespace zl {

struct SplitRowReader::Impl {
  h5::File file;
  h5::Handle input_ids, segment_ids, labels;
  hsize_t label_width = 1;  // multi-label: number of labels per row
};

namespace {

h5::Handle open_ds(const h5::File& f, const std::string& path) {
  hid_t id = H5Dopen2(f.id(), path.c_str(), H5P_DEFAULT);
  if (id < 0) throw UserError(f.path() + ": missing dataset " + path + " (prepare the dataset again)");
  return h5::Handle(id, H5Dclose);
}

// Appends rows [start, start+count) of a 1-D or 2-D dataset (`width` values per row).
template <class T>
void append_rows(const std::string& file, const h5::Handle& ds, hsize_t start, hsize_t count, hsize_t width,
                 std::vector<T>& out) {
  if (count == 0) return;
  h5::Handle space(H5Dget_space(ds.id()), H5Sclose);
  const int nd = H5Sget_simple_extent_ndims(space.id());
  hsize_t off[2] = {start, 0}, cnt[2] = {count, width};
  H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, off, nullptr, cnt, nullptr);
  h5::Handle mem(H5Screate_simple(nd, cnt, nullptr), H5Sclose);
  const size_t at = out.size();
  out.resize(at + count * width);
  if (H5Dread(ds.id(), h5::native_type<T>(), mem.id(), space.id(), H5P_DEFAULT, out.data() + at) < 0)
    throw UserError(file + ": cannot read rows " + std::to_string(start) + ".." + std::to_string(start + count) +
                    " (the file may be truncated; prepare it again)");
}

}  // namespace

SplitRowReader::SplitRowReader(const std::string& path, const std::string& split)
    : impl_(std::make_unique<Impl>()), info_(read_dataset_info(path)), split_(split) {
  auto& s = *impl_;
  s.file = h5::File::open_read(path);
  const std::string g = "/splits/" + split;
  if (!s.file.exists(g)) {
    std::string have;
    for (const auto& n : info_.split_names) have += (have.empty() ? "" : ", ") + n;
    throw UserError(path + ": no split '" + split + "' (the file has: " + have + ")");
  }
  offsets_ = s.file.read<int64_t>(g + "/offsets");
  const auto n_tokens = s.file.shape(g + "/input_ids").at(0);
  if (offsets_.empty() || offsets_.front() != 0 || static_cast<hsize_t>(offsets_.back()) != n_tokens)
    throw UserError(path + ": split '" + split + "' is inconsistent (offsets vs input_ids); prepare it again");
  lengths_.resize(offsets_.size() - 1);
  for (size_t i = 0; i + 1 < offsets_.size(); ++i) lengths_[i] = offsets_[i + 1] - offsets_[i];
  s.input_ids = open_ds(s.file, g + "/input_ids");
  if (info_.task == Task::kPair) s.segment_ids = open_ds(s.file, g + "/segment_ids");
  s.labels = open_ds(s.file, g + "/labels");
  if (info_.task == Task::kMultiLabel) s.label_width = static_cast<hsize_t>(info_.label_names.size());
}

SplitRowReader::~SplitRowReader() = default;

bool SplitRowReader::any_gold_label() const {
  const std::string g = "/splits/" + split_ + "/labels";
  if (info_.task == Task::kMultiLabel) return impl_->file.exists(g) && size() > 0;
  auto labels = impl_->file.read<int32_t>(g);
  return std::any_of(labels.begin(), labels.end(), [](int32_t l) { return l >= 0; });
}

SplitData SplitRowReader::read(const std::vector<int64_t>& rows) const {
  auto& s = *impl_;
  SplitData out;
  out.name = split_;
  out.offsets.assign(1, 0);
  const std::string& file = s.file.path();
  const bool multi = info_.task == Task::kMultiLabel;
  const int64_t n = size();
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < 0 || rows[i] >= n || (i > 0 && rows[i] <= rows[i - 1]))
      throw std::logic_error("SplitRowReader::read: rows must be sorted, unique and < " + std::to_string(n));
  // Coalesced ranges [lo, hi) of rows; unwanted rows inside a range are dropped after reading.
  size_t i = 0;
  std::vector<int32_t> ids;
  std::vector<int8_t> seg;
  std::vector<int32_t> lab;
  std::vector<uint8_t> hot;
  while (i < rows.size()) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] - rows[j - 1] <= kCoalesceGap) ++j;
    const int64_t lo = rows[i], hi = rows[j - 1] + 1;
    const int64_t t0 = offsets_[static_cast<size_t>(lo)], t1 = offsets_[static_cast<size_t>(hi)];
    ids.clear();
    seg.clear();
    lab.clear();
    hot.clear();
    append_rows(file, s.input_ids, static_cast<hsize_t>(t0), static_cast<hsize_t>(t1 - t0), 1, ids);
    if (s.segment_ids.valid())
      append_rows(file, s.segment_ids, static_cast<hsize_t>(t0), static_cast<hsize_t>(t1 - t0), 1, seg);
    if (multi)
      append_rows(file, s.labels, static_cast<hsize_t>(lo), static_cast<hsize_t>(hi - lo), s.label_width, hot);
    else
      append_rows(file, s.labels, static_cast<hsize_t>(lo), static_cast<hsize_t>(hi - lo), 1, lab);
    for (size_t k = i; k < j; ++k) {
      const int64_t r = rows[k];
      const int64_t a = offsets_[static_cast<size_t>(r)] - t0, b = offsets_[static_cast<size_t>(r) + 1] - t0;
      out.input_ids.insert(out.input_ids.end(), ids.begin() + a, ids.begin() + b);
      if (!seg.empty()) out.segment_ids.insert(out.segment_ids.end(), seg.begin() + a, seg.begin() + b);
      out.offsets.push_back(static_cast<int64_t>(out.input_ids.size()));
      if (multi) {
        auto w = static_cast<int64_t>(s.label_width);
        out.multi_hot.insert(out.multi_hot.end(), hot.begin() + (r - lo) * w, hot.begin() + (r - lo + 1) * w);
      } else {
        out.labels.push_back(lab[static_cast<size_t>(r - lo)]);
      }
      out.ids.push_back(std::to_string(r));  // the global row; real ids are not read
    }
    i = j;
  }
  return out;
}

std::vector<int64_t> unique_rows(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace zl
