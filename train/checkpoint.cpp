#include "checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "atomic_file.h"
#include "error.h"

namespace zl {

void save_archive_atomic(const std::string& path, const std::function<void(torch::serialize::OutputArchive&)>& fill) {
  AtomicFile f(path);
  torch::serialize::OutputArchive a;
  fill(a);
  // Through a stream, not save_to(path): an archive saved to a path takes that
  // file's name (here the temporary name, with a pid) as its root folder, so the same
  // weights saved by two processes would differ byte for byte.
  std::ofstream out(f.temp_path(), std::ios::binary);
  if (!out)
    throw UserError("cannot write " + path + ": " + std::strerror(errno) +
                    " (check the free space and the permissions of that directory)");
  try {
    a.save_to(out);
  } catch (const c10::Error& e) {
    throw UserError("cannot write " + path + ": " + std::string(e.what_without_backtrace()).substr(0, 200) +
                    " (disk full or not writable? the previous file, if any, is unchanged)");
  }
  out.flush();
  if (!out)
    throw UserError("cannot write " + path + ": " + std::strerror(errno ? errno : EIO) +
                    " (disk full? the previous file, if any, is unchanged)");
  out.close();
  f.commit();
}

void load_archive(const std::string& path, torch::serialize::InputArchive& archive) {
  if (!file_exists(path)) throw UserError(path + " does not exist");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw UserError(path + " is not a readable Zhengliu checkpoint (" +
                    std::string(e.what_without_backtrace()).substr(0, 300) +
                    "): it is truncated or damaged (a copy cut short, a full disk) or not a LibTorch archive; restore "
                    "it from a good copy, or train again into a new --out");
  }
}

void write_int(torch::serialize::OutputArchive& a, const std::string& key, int64_t v) { a.write(key, c10::IValue(v)); }
void write_double(torch::serialize::OutputArchive& a, const std::string& key, double v) { a.write(key, c10::IValue(v)); }
void write_string(torch::serialize::OutputArchive& a, const std::string& key, const std::string& v) {
  a.write(key, c10::IValue(v));
}

namespace {
c10::IValue read_value(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  if (!a.try_read(key, v)) throw UserError("checkpoint has no '" + key + "' entry (written by another version?)");
  return v;
}
}  // namespace

// Typed reads: an entry of another type (a file from another version, or damaged)
// is a UserError, not a c10::Error with a stack trace.
int64_t read_int(torch::serialize::InputArchive& a, const std::string& key) {
  auto v = read_value(a, key);
  if (!v.isInt()) throw UserError("checkpoint entry '" + key + "' is not an integer (written by another version?)");
  return v.toInt();
}
double read_double(torch::serialize::InputArchive& a, const std::string& key) {
  auto v = read_value(a, key);
  if (!v.isDouble()) throw UserError("checkpoint entry '" + key + "' is not a number (written by another version?)");
  return v.toDouble();
}
std::string read_string(torch::serialize::InputArchive& a, const std::string& key) {
  auto v = read_value(a, key);
  if (!v.isString()) throw UserError("checkpoint entry '" + key + "' is not a string (written by another version?)");
  return v.toStringRef();
}

std::string checkpoint_config_hash(const std::string& path) {
  torch::serialize::InputArchive a;
  load_archive(path, a);
  try {
    return read_string(a, "config_hash");
  } catch (const UserError& e) {
    throw UserError(path + ": " + e.what() + "; start a new --out (or remove the run directory and train again)");
  }
}

void save_rng_state(torch::serialize::OutputArchive& a) {
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    a.write("rng_cpu", gen.get_state());
  }
  if (torch::cuda::is_available()) {
    auto cg = at::globalContext().defaultGenerator(at::kCUDA);
    std::lock_guard<std::mutex> lock(cg.mutex());
    a.write("rng_cuda", cg.get_state());
  }
}

void load_rng_state(torch::serialize::InputArchive& a) {
  torch::Tensor t;
  a.read("rng_cpu", t);
  auto gen = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(t);
  }
  torch::Tensor c;
  if (torch::cuda::is_available() && a.try_read("rng_cuda", c)) {
    auto cg = at::globalContext().defaultGenerator(at::kCUDA);
    std::lock_guard<std::mutex> lock(cg.mutex());
    cg.set_state(c);
  }
}

}  // namespace zl
