// Shared by the fuzz targets: the fuzzed bytes as a file (the readers under test
// take paths), and the option byte that targets with switches take first.
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace zl_fuzz {

// One file per process, rewritten on every input, under ZL_FUZZ_TMPDIR (scripts/fuzz
// points it at /dev/shm: a tmpfs keeps the write out of the executions/s) or $TMPDIR.
inline std::string write_input_file(const uint8_t* data, size_t size, const char* suffix) {
  struct File {  // removed at exit, so replays and fuzz runs leave nothing behind
    std::string path;
    ~File() { std::remove(path.c_str()); }
  };
  static const File file{[&] {
    const char* dir = std::getenv("ZL_FUZZ_TMPDIR");
    if (!dir || !*dir) dir = std::getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    return std::string(dir) + "/zl_fuzz_" + std::to_string(getpid()) + suffix;
  }()};
  const std::string& path = file.path;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();  // the harness itself failed, not the code under test
  }
  return path;
}

}  // namespace zl_fuzz
