#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "error.h"

namespace zl {

namespace {
std::string temp_name_for(const std::string& final_path) {
  std::random_device rd;
  std::ostringstream s;
  s << final_path << ".tmp." << ::getpid() << "." << std::hex << rd();
  return s.str();
}
}  // namespace

AtomicFile::AtomicFile(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(temp_name_for(final_path_)) {
  auto parent = std::filesystem::path(final_path_).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw UserError("cannot create directory " + parent.string() + ": " + ec.message());
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const std::string& content) {
  std::ofstream out(temp_path_, std::ios::binary);
  if (!out)
    throw UserError("cannot write " + final_path_ + ": " + std::strerror(errno) +
                    " (check the free space and the permissions of that directory)");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.flush();
  if (!out)
    throw UserError("cannot write " + final_path_ + ": " + std::strerror(errno ? errno : EIO) +
                    " (disk full? the previous file, if any, is unchanged)");
}

void AtomicFile::sync() {
  // fsync reports a write the file system could not keep (ENOSPC on NFS, EIO):
  // the old file stays in place then.
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd >= 0) {
    const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
    const int err = errno;
    ::close(fd);
    if (!synced)
      throw UserError("cannot write " + final_path_ + ": " + std::strerror(err) +
                      " (check the free space and the permissions of that directory)");
  }
  synced_ = true;
}

void AtomicFile::commit() {
  if (!synced_) sync();
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw UserError("cannot rename " + temp_path_ + " to " + final_path_ + ": " + std::strerror(errno));
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& content) {
  AtomicFile f(path);
  f.write(content);
  f.commit();
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::unique_ptr<AtomicFile>> pending;
  for (const auto& [path, content] : files) {
    pending.push_back(std::make_unique<AtomicFile>(path));
    pending.back()->write(content);
    pending.back()->sync();
  }
  for (auto& f : pending) f->commit();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot open " + path + ": " + std::strerror(errno) + " (check the path)");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool file_exists(const std::string& path) { return std::filesystem::exists(path); }

}  // namespace zl
