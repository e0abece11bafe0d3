// Test helpers for RecordReader: read a whole file, or the UserError it raises.
// Shared by the reader's own tests and the input-hygiene tests.
#pragma once

#include <string>
#include <vector>

#include "error.h"
#include "record_reader.h"

namespace zl::testing {

inline std::vector<InputRecord> read_all(const std::string& path, ReaderOptions o) {
  RecordReader r(path, o);
  std::vector<InputRecord> out;
  InputRecord rec;
  while (r.next(rec)) out.push_back(rec);
  return out;
}

// The message of the UserError reading PATH raises; "" when it reads cleanly.
inline std::string reader_error(const std::string& path, ReaderOptions o) {
  try {
    read_all(path, o);
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

}  // namespace zl::testing
