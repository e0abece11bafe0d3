// RUN_DIR/metrics.jsonl: one JSON object per log or evaluation event, flushed as
// written. A checkpoint records the file size, and resume truncates events written
// after that checkpoint, so a resumed run's log reads like an uninterrupted one.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <fstream>
#include <string>

namespace zl {

class MetricsLog {
 public:
  MetricsLog() = default;
  // Opens for appending; `truncate_to` >= 0 first cuts the file to that many bytes.
  void open(const std::string& path, int64_t truncate_to = -1);
  void write(const nlohmann::json& event);
  int64_t size() const { return size_; }

 private:
  std::string path_;
  std::ofstream out_;
  int64_t size_ = 0;
};

}  // namespace zl
