// Write-to-temporary-then-rename, so a failed or interrupted run never leaves a
// half-written output where a finished one is expected.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace zl {

class AtomicFile {
 public:
  // The temporary file sits beside `final_path` (same file system, so rename is atomic).
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // Writes `content` to the temporary file (UserError naming the final path on failure).
  void write(const std::string& content);
  // fsyncs the temporary file (UserError when the file system cannot keep it).
  void sync();
  // sync() unless done, then renames the temporary file over the final path.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool synced_ = false;
  bool committed_ = false;
};

// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& content);
// Writes several files so that either all of them are replaced or none: every
// temporary file is written and fsynced before the first rename (a full disk part-way
// leaves the previous set as it was). Pairs of (path, content).
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files);
// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace zl
