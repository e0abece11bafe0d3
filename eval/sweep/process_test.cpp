// What a failed step's log says, printed with the failure (docs/sweep.md).
#include "process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

std::string write_log(const std::string& name, const std::string& text) {
  const auto p = fs::temp_directory_path() / ("zl_process_" + std::to_string(::getpid()) + "_" + name);
  std::ofstream(p) << text;
  return p.string();
}

TEST(LastErrorLines, ErrorLinesOfTheLastRunOnly) {
  const auto log = write_log("a.log",
                             "$ kd-data prepare --config old.yaml\n"
                             "kd data prepare: error: an old failure\n"
                             "$ kd-data prepare --config d.yaml\n"
                             "reading train.jsonl\n"
                             "kd data prepare: error: label 'GetDate' (split test) is not in the label set\n"
                             "\n");
  const std::string got = last_error_lines(log);
  EXPECT_NE(got.find("label 'GetDate' (split test) is not in the label set"), std::string::npos) << got;
  EXPECT_EQ(got.find("an old failure"), std::string::npos) << got;
  EXPECT_EQ(got.find("reading train.jsonl"), std::string::npos) << got;
  fs::remove(log);
}

TEST(LastErrorLines, LastLinesWhenNoneSaysError) {
  std::string text = "$ kd-train --data x\n";
  for (int i = 0; i < 20; ++i) text += "line " + std::to_string(i) + "\n";
  const auto log = write_log("b.log", text + "terminate called after throwing\n");
  const std::string got = last_error_lines(log, 3);
  EXPECT_EQ(got, "    line 18\n    line 19\n    terminate called after throwing\n");
  EXPECT_EQ(last_error_lines(log + ".missing"), "");
  fs::remove(log);
}

}  // namespace
