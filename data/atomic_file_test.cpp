// AtomicFile and write_files_atomic: a failure part-way through a set of files leaves
// every previous file as it was and no temporary file behind.
#include "atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "error.h"

namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("zl_atomic_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

size_t temp_files(const fs::path& d) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(d))
    n += e.path().filename().string().find(".tmp.") != std::string::npos;
  return n;
}

TEST(AtomicFile, ReplacesAndLeavesNoTemporary) {
  const fs::path d = fresh_dir("one");
  zl::write_file_atomic((d / "a.txt").string(), "old");
  zl::write_file_atomic((d / "a.txt").string(), "new");
  EXPECT_EQ(zl::read_file((d / "a.txt").string()), "new");
  EXPECT_EQ(temp_files(d), 0u);
  {
    zl::AtomicFile f((d / "a.txt").string());
    f.write("never committed");
  }  // destroyed without commit: the temporary goes, the file stays
  EXPECT_EQ(zl::read_file((d / "a.txt").string()), "new");
  EXPECT_EQ(temp_files(d), 0u);
  fs::remove_all(d);
}

TEST(AtomicFile, AGroupIsReplacedWholeOrNotAtAll) {
  const fs::path d = fresh_dir("group");
  zl::write_files_atomic({{(d / "summary.json").string(), "old summary"}, {(d / "report.html").string(), "old html"}});
  // The third file cannot be written (its directory is a regular file): the first two,
  // already written to their temporaries, must not replace the previous ones.
  zl::write_file_atomic((d / "blocker").string(), "a file, not a directory");
  EXPECT_THROW(zl::write_files_atomic({{(d / "summary.json").string(), "new summary"},
                                       {(d / "report.html").string(), "new html"},
                                       {(d / "blocker" / "report.md").string(), "new md"}}),
               zl::UserError);
  EXPECT_EQ(zl::read_file((d / "summary.json").string()), "old summary");
  EXPECT_EQ(zl::read_file((d / "report.html").string()), "old html");
  EXPECT_EQ(temp_files(d), 0u);
  zl::write_files_atomic({{(d / "summary.json").string(), "new summary"}, {(d / "report.html").string(), "new html"}});
  EXPECT_EQ(zl::read_file((d / "summary.json").string()), "new summary");
  EXPECT_EQ(zl::read_file((d / "report.html").string()), "new html");
  fs::remove_all(d);
}

}  // namespace
