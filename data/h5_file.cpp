#include "h5_file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <type_traits>

#include "error.h"

namespace zl::h5 {

template <>
hid_t native_type<int8_t>() { return H5T_NATIVE_INT8; }
template <>
hid_t native_type<uint8_t>() { return H5T_NATIVE_UINT8; }
template <>
hid_t native_type<int16_t>() { return H5T_NATIVE_INT16; }
template <>
hid_t native_type<uint16_t>() { return H5T_NATIVE_UINT16; }
template <>
hid_t native_type<int32_t>() { return H5T_NATIVE_INT32; }
template <>
hid_t native_type<int64_t>() { return H5T_NATIVE_INT64; }
template <>
hid_t native_type<float>() { return H5T_NATIVE_FLOAT; }
template <>
hid_t native_type<double>() { return H5T_NATIVE_DOUBLE; }

namespace {

// HDF5 prints its own error stack to stderr by default; we report our own.
struct SilenceHdf5 {
  SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceHdf5 silence_once;

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw UserError(file + ": " + what);
}

// A failed write: HDF5 keeps the system's errno (ENOSPC, EROFS, EACCES), which says why.
[[noreturn]] void fail_write(const std::string& file, const std::string& what) {
  const int err = errno;
  throw UserError(file + ": " + what + (err ? std::string(" (") + std::strerror(err) + ")" : std::string()) +
                  "; check the free space and the permissions of that directory");
}

Handle utf8_string_type() {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return Handle(t, H5Tclose);
}

Handle open_object(const File& f, const std::string& obj) {
  hid_t id = H5Oopen(f.id(), obj.c_str(), H5P_DEFAULT);
  if (id < 0) fail(f.path(), "object '" + obj + "' is missing (not a Zhengliu file, or from an older version?)");
  return Handle(id, H5Oclose);
}

Handle open_dataset(const File& f, const std::string& path) {
  hid_t id = H5Dopen2(f.id(), path.c_str(), H5P_DEFAULT);
  if (id < 0) fail(f.path(), "dataset '" + path + "' is missing");
  return Handle(id, H5Dclose);
}

void write_attr(const File& f, const std::string& obj, const std::string& name, hid_t mem_type,
                hid_t file_type, const void* data, hsize_t n, bool scalar) {
  Handle o = open_object(f, obj);
  if (H5Aexists(o.id(), name.c_str()) > 0) H5Adelete(o.id(), name.c_str());
  Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle a(H5Acreate2(o.id(), name.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || H5Awrite(a.id(), mem_type, data) < 0) fail_write(f.path(), "cannot write attribute " + obj + "@" + name);
}

Handle open_attr(const File& f, const std::string& obj, const std::string& name) {
  Handle o = open_object(f, obj);
  hid_t a = H5Aopen(o.id(), name.c_str(), H5P_DEFAULT);
  if (a < 0) fail(f.path(), "attribute '" + name + "' on '" + obj + "' is missing (not a Zhengliu file, or written by an older version?)");
  return Handle(a, H5Aclose);
}

// The element count of a dataset or attribute, checked against what the file stores:
// a corrupt file can claim 2^60 elements in a few bytes (HDF5 would hand back fill
// values), and the reader would try to allocate them. Our writer stores every element;
// deflate (level 1) compresses at most ~1032:1, so more than that over the stored
// bytes (plus some slack for tiny arrays) is refused as corrupt. Found by fuzz/.
size_t checked_points(const std::string& file, hid_t obj, hid_t space, bool is_attr, size_t elem_size,
                      const std::string& what) {
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) fail(file, "cannot read the shape of " + what + " (corrupt file?)");
  if (n == 0) return 0;
  const hsize_t stored = is_attr ? H5Aget_storage_size(obj) : H5Dget_storage_size(obj);
  constexpr double kMaxRatio = 1100.0, kSlack = 1 << 20;
  const double claimed = static_cast<double>(n) * static_cast<double>(std::max<size_t>(elem_size, 1));
  if (claimed > kMaxRatio * static_cast<double>(stored) + kSlack)
    fail(file, what + " claims " + std::to_string(n) + " elements but the file stores only " +
                   std::to_string(stored) + " bytes of it (corrupt or truncated file; write it again)");
  return static_cast<size_t>(n);
}

std::vector<std::string> read_vlen_strings(const std::string& file, hid_t obj, bool is_attr, const std::string& what) {
  Handle space(is_attr ? H5Aget_space(obj) : H5Dget_space(obj), H5Sclose);
  Handle ftype(is_attr ? H5Aget_type(obj) : H5Dget_type(obj), H5Tclose);
  if (!space.valid() || !ftype.valid()) fail(file, "cannot read the shape or type of " + what + " (corrupt file?)");
  if (H5Tget_class(ftype.id()) != H5T_STRING) fail(file, what + " is not a string");
  const bool vlen = H5Tis_variable_str(ftype.id()) > 0;
  const size_t n = checked_points(file, obj, space.id(), is_attr, vlen ? sizeof(char*) : H5Tget_size(ftype.id()), what);
  std::vector<std::string> out(n);
  if (n == 0) return out;
  if (vlen) {
    Handle mtype = utf8_string_type();
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    herr_t rc = is_attr ? H5Aread(obj, mtype.id(), ptrs.data())
                        : H5Dread(obj, mtype.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    if (rc < 0) fail(file, "cannot read " + what);
    for (size_t i = 0; i < ptrs.size(); ++i) out[i] = ptrs[i] ? ptrs[i] : "";
    H5Dvlen_reclaim(mtype.id(), space.id(), H5P_DEFAULT, ptrs.data());
  } else {
    size_t sz = H5Tget_size(ftype.id());
    if (sz == 0) fail(file, what + " has strings of size 0 (corrupt file?)");
    std::vector<char> buf(sz * n);
    herr_t rc = is_attr ? H5Aread(obj, ftype.id(), buf.data())
                        : H5Dread(obj, ftype.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    if (rc < 0) fail(file, "cannot read " + what);
    for (size_t i = 0; i < out.size(); ++i) {
      const char* p = buf.data() + i * sz;
      out[i] = std::string(p, strnlen(p, sz));
    }
  }
  return out;
}

}  // namespace

File File::create(const std::string& path) {
  File f;
  f.path_ = path;
  errno = 0;
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail_write(path, "cannot create HDF5 file (check the directory exists and is writable)");
  f.file_ = Handle(id, H5Fclose);
  return f;
}

File File::open_read(const std::string& path) {
  if (!std::filesystem::exists(path)) fail(path, "file does not exist (check the path)");
  File f;
  f.path_ = path;
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail(path, "not a readable HDF5 file (truncated or not HDF5?)");
  f.file_ = Handle(id, H5Fclose);
  return f;
}

File File::open_rw(const std::string& path) {
  File f;
  f.path_ = path;
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (id < 0) fail(path, "cannot open HDF5 file for writing");
  f.file_ = Handle(id, H5Fclose);
  return f;
}

// HDF5 keeps metadata (and small raw data) in its cache until a flush: a file whose
// flush failed (disk full) is incomplete, so callers flush before they commit it.
void File::flush() {
  errno = 0;
  if (H5Fflush(file_.id(), H5F_SCOPE_GLOBAL) < 0) fail_write(path_, "cannot write the file (flush failed)");
}

bool File::exists(const std::string& object_path) const {
  if (object_path == "/") return true;
  // Check each prefix: H5Lexists fails on a path whose parent is missing.
  size_t pos = 0;
  while (true) {
    pos = object_path.find('/', pos + 1);
    std::string prefix = object_path.substr(0, pos);
    if (H5Lexists(file_.id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

void File::create_group(const std::string& group_path) {
  if (exists(group_path)) return;
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id(), 1);
  Handle g(H5Gcreate2(file_.id(), group_path.c_str(), lcpl.id(), H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail_write(path_, "cannot create group " + group_path);
}

std::vector<std::string> File::list(const std::string& group_path) const {
  std::vector<std::string> names;
  if (!exists(group_path)) return names;
  Handle g(H5Gopen2(file_.id(), group_path.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(path_, group_path + " is not a group");
  H5G_info_t info;
  if (H5Gget_info(g.id(), &info) < 0) fail(path_, "cannot list group " + group_path + " (corrupt file?)");
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    // A negative length is an unreadable link (a corrupt file; found by fuzz/dataset_file_fuzz).
    ssize_t len = H5Lget_name_by_idx(g.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(path_, "cannot read the name of entry " + std::to_string(i) + " of group " + group_path + " (corrupt file?)");
    std::string name(static_cast<size_t>(len), '\0');
    if (H5Lget_name_by_idx(g.id(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), static_cast<size_t>(len) + 1,
                           H5P_DEFAULT) < 0)
      fail(path_, "cannot read the name of entry " + std::to_string(i) + " of group " + group_path + " (corrupt file?)");
    names.push_back(name);
  }
  return names;
}

void File::set_attr(const std::string& obj, const std::string& name, const std::string& value) {
  Handle t = utf8_string_type();
  const char* p = value.c_str();
  write_attr(*this, obj, name, t.id(), t.id(), &p, 1, true);
}

void File::set_attr(const std::string& obj, const std::string& name, int64_t value) {
  write_attr(*this, obj, name, H5T_NATIVE_INT64, H5T_STD_I64LE, &value, 1, true);
}

void File::set_attr(const std::string& obj, const std::string& name, double value) {
  write_attr(*this, obj, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &value, 1, true);
}

void File::set_attr(const std::string& obj, const std::string& name, const std::vector<std::string>& values) {
  Handle t = utf8_string_type();
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  write_attr(*this, obj, name, t.id(), t.id(), ptrs.data(), ptrs.size(), false);
}

bool File::has_attr(const std::string& obj, const std::string& name) const {
  if (!exists(obj)) return false;
  Handle o = open_object(*this, obj);
  return H5Aexists(o.id(), name.c_str()) > 0;
}

std::string File::attr_string(const std::string& obj, const std::string& name) const {
  Handle a = open_attr(*this, obj, name);
  auto v = read_vlen_strings(path_, a.id(), true, "attribute " + name);
  if (v.size() != 1) fail(path_, "attribute " + name + " should hold one string");
  return v[0];
}

int64_t File::attr_int(const std::string& obj, const std::string& name) const {
  Handle a = open_attr(*this, obj, name);
  int64_t v = 0;
  if (H5Aread(a.id(), H5T_NATIVE_INT64, &v) < 0) fail(path_, "attribute " + name + " is not an integer");
  return v;
}

double File::attr_double(const std::string& obj, const std::string& name) const {
  Handle a = open_attr(*this, obj, name);
  double v = 0;
  if (H5Aread(a.id(), H5T_NATIVE_DOUBLE, &v) < 0) fail(path_, "attribute " + name + " is not a number");
  return v;
}

std::vector<std::string> File::attr_strings(const std::string& obj, const std::string& name) const {
  Handle a = open_attr(*this, obj, name);
  return read_vlen_strings(path_, a.id(), true, "attribute " + name);
}

template <class T>
void File::write(const std::string& path, const std::vector<T>& data, const std::vector<hsize_t>& dims_in) {
  std::vector<hsize_t> dims = dims_in.empty() ? std::vector<hsize_t>{data.size()} : dims_in;
  hsize_t total = 1;
  for (auto d : dims) total *= d;
  if (total != data.size()) fail(path_, "internal: shape does not match data for " + path);
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) create_group(path.substr(0, slash));
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  // Compress only arrays big enough to gain; rows stay readable piece by piece.
  if (total >= 4096) {
    std::vector<hsize_t> chunk = dims;
    hsize_t row = 1;
    for (size_t i = 1; i < dims.size(); ++i) row *= dims[i];
    chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], (1u << 18) / std::max<hsize_t>(1, row)));
    H5Pset_chunk(dcpl.id(), static_cast<int>(chunk.size()), chunk.data());
    H5Pset_shuffle(dcpl.id());
    H5Pset_deflate(dcpl.id(), 1);
  }
  hid_t ft = H5Tcopy(native_type<T>());
  H5Tset_order(ft, H5T_ORDER_LE);
  Handle file_type(ft, H5Tclose);
  Handle ds(H5Dcreate2(file_.id(), path.c_str(), file_type.id(), space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT),
            H5Dclose);
  if (!ds.valid()) fail_write(path_, "cannot create dataset " + path);
  if (total && H5Dwrite(ds.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0)
    fail_write(path_, "cannot write dataset " + path);
}

void File::write_strings(const std::string& path, const std::vector<std::string>& values) {
  auto slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) create_group(path.substr(0, slash));
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle t = utf8_string_type();
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (n >= 1024) {
    hsize_t chunk = std::min<hsize_t>(n, 16384);
    H5Pset_chunk(dcpl.id(), 1, &chunk);
    H5Pset_deflate(dcpl.id(), 1);
  }
  Handle ds(H5Dcreate2(file_.id(), path.c_str(), t.id(), space.id(), H5P_DEFAULT, dcpl.id(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail_write(path_, "cannot create dataset " + path);
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (n && H5Dwrite(ds.id(), t.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0)
    fail_write(path_, "cannot write dataset " + path);
}

void File::write_bytes(const std::string& path, const std::string& bytes) {
  std::vector<uint8_t> v(bytes.begin(), bytes.end());
  write<uint8_t>(path, v);
}

std::vector<hsize_t> File::shape(const std::string& path) const {
  Handle ds = open_dataset(*this, path);
  Handle space(H5Dget_space(ds.id()), H5Sclose);
  int nd = H5Sget_simple_extent_ndims(space.id());
  if (nd < 0) fail(path_, "cannot read the shape of dataset " + path + " (corrupt file?)");
  std::vector<hsize_t> dims(static_cast<size_t>(nd));
  if (nd > 0 && H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
    fail(path_, "cannot read the shape of dataset " + path + " (corrupt file?)");
  return dims;
}

template <class T>
std::vector<T> File::read(const std::string& path) const {
  Handle ds = open_dataset(*this, path);
  Handle space(H5Dget_space(ds.id()), H5Sclose);
  const size_t n = checked_points(path_, ds.id(), space.id(), false, sizeof(T), "dataset " + path);
  std::vector<T> out(n);
  if (n && H5Dread(ds.id(), native_type<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    fail(path_, "cannot read dataset " + path + " as the expected numeric type");
  return out;
}

template <class T>
std::vector<T> File::read_rows(const std::string& path, hsize_t start, hsize_t count) const {
  Handle ds = open_dataset(*this, path);
  Handle space(H5Dget_space(ds.id()), H5Sclose);
  int nd = H5Sget_simple_extent_ndims(space.id());
  if (nd < 1) fail(path_, "dataset " + path + " has no rows (expected an array; corrupt file?)");
  std::vector<hsize_t> dims(static_cast<size_t>(nd));
  if (H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr) < 0)
    fail(path_, "cannot read the shape of dataset " + path + " (corrupt file?)");
  if (start > dims[0] || count > dims[0] - start) fail(path_, "rows out of range in " + path);
  std::vector<hsize_t> offset(dims.size(), 0), cnt = dims;
  offset[0] = start;
  cnt[0] = count;
  hsize_t total = 1;
  for (auto c : cnt) total *= c;
  if (total) checked_points(path_, ds.id(), space.id(), false, sizeof(T), "dataset " + path);
  std::vector<T> out(total);
  if (!total) return out;
  H5Sselect_hyperslab(space.id(), H5S_SELECT_SET, offset.data(), nullptr, cnt.data(), nullptr);
  Handle mem(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  if (H5Dread(ds.id(), native_type<T>(), mem.id(), space.id(), H5P_DEFAULT, out.data()) < 0)
    fail(path_, "cannot read rows of " + path);
  return out;
}

std::vector<std::string> File::read_strings(const std::string& path) const {
  Handle ds = open_dataset(*this, path);
  return read_vlen_strings(path_, ds.id(), false, "dataset " + path);
}

std::string File::read_bytes(const std::string& path) const {
  auto v = read<uint8_t>(path);
  return std::string(v.begin(), v.end());
}

std::string File::type_name(const std::string& path) const {
  Handle ds = open_dataset(*this, path);
  Handle t(H5Dget_type(ds.id()), H5Tclose);
  size_t sz = H5Tget_size(t.id());
  switch (H5Tget_class(t.id())) {
    case H5T_FLOAT: return "float" + std::to_string(sz * 8);
    case H5T_INTEGER: return (H5Tget_sign(t.id()) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(sz * 8);
    case H5T_STRING: return "string";
    default: return "other";
  }
}

#define ZL_H5_INSTANTIATE(T)                                                                     \
  template void File::write<T>(const std::string&, const std::vector<T>&, const std::vector<hsize_t>&); \
  template std::vector<T> File::read<T>(const std::string&) const;                              \
  template std::vector<T> File::read_rows<T>(const std::string&, hsize_t, hsize_t) const;
ZL_H5_INSTANTIATE(int8_t)
ZL_H5_INSTANTIATE(uint8_t)
ZL_H5_INSTANTIATE(int16_t)
ZL_H5_INSTANTIATE(uint16_t)
ZL_H5_INSTANTIATE(int32_t)
ZL_H5_INSTANTIATE(int64_t)
ZL_H5_INSTANTIATE(float)
ZL_H5_INSTANTIATE(double)
#undef ZL_H5_INSTANTIATE

}  // namespace zl::h5
