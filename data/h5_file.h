// Thin RAII layer over the HDF5 C API: the few shapes Zhengliu stores (1-D and
// 2-D numeric arrays, UTF-8 string arrays, scalar attributes), written so that
// h5py reads them as ordinary numpy arrays and str / bytes.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace zl::h5 {

// Owns one hid_t and closes it with the right H5*close.
class Handle {
 public:
  Handle() = default;
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

// An HDF5 file. Errors throw zl::UserError naming the file and the object.
class File {
 public:
  static File create(const std::string& path);  // truncates
  static File open_read(const std::string& path);
  static File open_rw(const std::string& path);
  const std::string& path() const { return path_; }
  hid_t id() const { return file_.id(); }
  void flush();
  void close() { file_.reset(); }

  bool exists(const std::string& object_path) const;
  void create_group(const std::string& group_path);  // creates parents as needed
  std::vector<std::string> list(const std::string& group_path) const;

  // Attributes on an object ("/" for the file).
  void set_attr(const std::string& obj, const std::string& name, const std::string& value);
  void set_attr(const std::string& obj, const std::string& name, int64_t value);
  void set_attr(const std::string& obj, const std::string& name, double value);
  void set_attr(const std::string& obj, const std::string& name, const std::vector<std::string>& values);
  bool has_attr(const std::string& obj, const std::string& name) const;
  std::string attr_string(const std::string& obj, const std::string& name) const;
  int64_t attr_int(const std::string& obj, const std::string& name) const;
  double attr_double(const std::string& obj, const std::string& name) const;
  std::vector<std::string> attr_strings(const std::string& obj, const std::string& name) const;

  // Datasets. Numeric ones are chunked and gzip-compressed when large.
  template <class T>
  void write(const std::string& path, const std::vector<T>& data, const std::vector<hsize_t>& dims = {});
  void write_strings(const std::string& path, const std::vector<std::string>& values);
  void write_bytes(const std::string& path, const std::string& bytes);  // uint8 array

  std::vector<hsize_t> shape(const std::string& path) const;
  template <class T>
  std::vector<T> read(const std::string& path) const;
  // Reads rows [start, start+count) of a 1-D dataset, or of the first axis.
  template <class T>
  std::vector<T> read_rows(const std::string& path, hsize_t start, hsize_t count) const;
  std::vector<std::string> read_strings(const std::string& path) const;
  std::string read_bytes(const std::string& path) const;
  // The stored element type's class and size, e.g. to tell float16 from float32.
  std::string type_name(const std::string& path) const;

 private:
  std::string path_;
  Handle file_;
};

// HDF5 memory type for a C++ arithmetic type.
template <class T>
hid_t native_type();

}  // namespace zl::h5
