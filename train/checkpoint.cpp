#include "checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include "atomic_file.h"
#include "error.h"

namespace zl {

void save_archive_atomic(const std::string& path, const std::function<void(torch::serialize::OutputArchive&)>& fill) {
  AtomicFile f(path);
  torch::serialize::OutputArchive a;
  fill(a);
  a.save_to(f.temp_path());
  f.commit();
}

void load_archive(const std::string& path, torch::serialize::InputArchive& archive) {
  if (!file_exists(path)) throw UserError(path + " does not exist");
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    throw UserError(path + " is not a readable Zhengliu checkpoint (" + std::string(e.what_without_backtrace()) + ")");
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

int64_t read_int(torch::serialize::InputArchive& a, const std::string& key) { return read_value(a, key).toInt(); }
double read_double(torch::serialize::InputArchive& a, const std::string& key) { return read_value(a, key).toDouble(); }
std::string read_string(torch::serialize::InputArchive& a, const std::string& key) {
  return read_value(a, key).toStringRef();
}

std::string checkpoint_config_hash(const std::string& path) {
  torch::serialize::InputArchive a;
  load_archive(path, a);
  return read_string(a, "config_hash");
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
