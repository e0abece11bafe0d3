#include "metrics_log.h"

#include <filesystem>

#include "error.h"

namespace zl {

void MetricsLog::open(const std::string& path, int64_t truncate_to) {
  path_ = path;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (truncate_to >= 0 && fs::exists(path, ec) && static_cast<int64_t>(fs::file_size(path, ec)) > truncate_to)
    fs::resize_file(path, static_cast<uintmax_t>(truncate_to), ec);
  out_.open(path, std::ios::app | std::ios::binary);
  if (!out_) throw UserError("cannot write " + path);
  size_ = fs::exists(path, ec) ? static_cast<int64_t>(fs::file_size(path, ec)) : 0;
}

void MetricsLog::write(const nlohmann::json& event) {
  if (!out_.is_open()) return;
  std::string line = event.dump() + "\n";
  out_.write(line.data(), static_cast<std::streamsize>(line.size()));
  out_.flush();
  // A lost line would leave a gap in the log: stop (the last checkpoint truncates the
  // file to what it had recorded, so a resumed run has no torn line either).
  if (!out_) throw UserError("cannot append to " + path_ + " (disk full?); the run stopped, continue it with --resume");
  size_ += static_cast<int64_t>(line.size());
}

}  // namespace zl
