#include "stale_temp_files.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace zl {

namespace {
// The writer's pid in a temporary file name (temp_name_for), or 0 when it is not one.
pid_t temp_file_writer(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos) return 0;
  const std::string rest = name.substr(at + 5);  // PID.HEX
  const size_t dot = rest.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= rest.size()) return 0;
  if (rest.find_first_not_of("0123456789") != dot) return 0;
  if (rest.find_first_not_of("0123456789abcdef", dot + 1) != std::string::npos) return 0;
  try {
    return static_cast<pid_t>(std::stol(rest.substr(0, dot)));
  } catch (const std::exception&) {
    return 0;
  }
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }
}  // namespace

int remove_stale_temp_files(const std::string& dir, bool recursive) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  int removed = 0;
  auto consider = [&](const fs::directory_entry& e) {
    std::error_code ec2;
    if (!e.is_regular_file(ec2)) return;
    const pid_t pid = temp_file_writer(e.path().filename().string());
    if (pid <= 0 || pid == ::getpid() || process_alive(pid)) return;
    if (fs::remove(e.path(), ec2)) ++removed;
  };
  if (recursive) {
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      consider(*it);
  } else {
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      consider(*it);
  }
  return removed;
}

}  // namespace zl
