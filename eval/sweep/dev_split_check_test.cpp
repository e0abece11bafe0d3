// kd sweep refuses, before its first step, a dataset without the dev split its training
// steps evaluate on (issue 11 item 7): before this check the sweep failed only at the first
// training step with "no split 'dev' for evaluation".
#include "dev_split_check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dataset_file.h"
#include "error.h"

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

class DevSplitCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zl_dev_split_check_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const char* f : {"teacher.yaml", "tiny.yaml", "distill.yaml"}) put(f, "{}\n");
    put("train.yaml", "train:\n  steps: 10\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string put(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::trunc) << text;
    return p;
  }
  PipelineConfig pipeline(const std::string& dataset_line, const std::string& extra = "") {
    const std::string d = dir_.string();
    return load_pipeline_config(put("pipeline.yaml", "name: t\ndataset:\n  " + dataset_line + "\nteacher:\n  model: " +
                                                         d + "/teacher.yaml\n  train: " + d + "/train.yaml\n" + extra +
                                                         "students:\n  models:\n    tiny: " + d +
                                                         "/tiny.yaml\n  train: " + d + "/train.yaml\n  distill: " + d +
                                                         "/distill.yaml\n"),
                                {});
  }
  std::string error_of(const PipelineConfig& p) {
    try {
      check_dev_splits(p);
    } catch (const zl::UserError& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
};

TEST_F(DevSplitCheckTest, DatasetConfigSplits) {
  EXPECT_EQ(dataset_config_splits(put("a.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n")),
            (std::vector<std::string>{"train", "test"}));
  EXPECT_EQ(dataset_config_splits(put("b.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n  split: "
                                                 "{dev_from_train: 0.1}\n")),
            (std::vector<std::string>{"train", "test", "dev"}));
  EXPECT_EQ(dataset_config_splits(put("c.yaml", "inputs:\n  file: all.jsonl\n  split: {train: 0.9, dev: 0, test: 0.1}\n")),
            (std::vector<std::string>{"train", "test"}));
  EXPECT_EQ(dataset_config_splits(put("d.yaml", "inputs:\n  file: all.jsonl\n")),
            (std::vector<std::string>{"train", "dev", "test"}));
}

TEST_F(DevSplitCheckTest, AListAsASplitNameIsAUserError) {
  try {
    dataset_config_splits(put("l.yaml", "inputs:\n  files: {train: t.jsonl, [dev]: d.jsonl}\n"));
    FAIL() << "expected a UserError";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("l.yaml:2: a key in section 'inputs.files' is a list or mapping"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(DevSplitCheckTest, ADatasetConfigWithoutDevIsRefusedWithTheRemedies) {
  const std::string data = put("data.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n");
  const std::string e = error_of(pipeline("config: " + data));
  EXPECT_NE(e.find("evaluates on split 'dev'"), std::string::npos) << e;
  EXPECT_NE(e.find("gives no split 'dev' (it gives: train, test)"), std::string::npos) << e;
  EXPECT_NE(e.find("inputs.split.dev_from_train: 0.1"), std::string::npos) << e;
  EXPECT_NE(e.find("train.dev_split=none"), std::string::npos) << e;
  // Either remedy passes the check.
  put("data.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n  split: {dev_from_train: 0.1}\n");
  EXPECT_EQ(error_of(pipeline("config: " + data)), "");
  put("data.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n");
  // teacher.set alone leaves the students evaluating on dev.
  EXPECT_NE(error_of(pipeline("config: " + data, "  set: [train.dev_split=none]\n")).find("student tiny"),
            std::string::npos);
}

TEST_F(DevSplitCheckTest, FixedBudgetEverywherePasses) {
  const std::string data = put("data.yaml", "inputs:\n  files: {train: t.jsonl, test: s.jsonl}\n");
  put("train.yaml", "train:\n  steps: 10\n  dev_split: none\n");
  put("distill.yaml", "train:\n  dev_split: none\n");
  EXPECT_EQ(error_of(pipeline("config: " + data)), "");
  // Only the teacher's config says none: the students still need dev.
  put("distill.yaml", "{}\n");
  EXPECT_NE(error_of(pipeline("config: " + data)).find("student tiny (students.distill)"), std::string::npos);
}

TEST_F(DevSplitCheckTest, APreparedFileWithoutDevIsRefused) {
  zl::DatasetInfo info;
  info.label_names = {"a", "b"};
  zl::SplitData train;
  train.name = "train";
  train.ids = {"x:1"};
  train.input_ids = {2, 3};
  train.offsets = {0, 2};
  train.labels = {0};
  train.text = {"x"};
  zl::SplitData test = train;
  test.name = "test";
  const std::string h5 = (dir_ / "d.h5").string();
  zl::write_dataset_file(h5, info, {train, test}, "model");
  const std::string e = error_of(pipeline("file: " + h5));
  EXPECT_NE(e.find("has no split 'dev' (it has: test, train)"), std::string::npos) << e;
  zl::SplitData dev = train;
  dev.name = "dev";
  dev.ids.clear();
  dev.input_ids.clear();
  dev.offsets = {0};
  dev.labels.clear();
  dev.text.clear();
  zl::write_dataset_file(h5, info, {train, dev, test}, "model");
  EXPECT_NE(error_of(pipeline("file: " + h5)).find("split 'dev' of the prepared dataset " + h5 + " is empty"),
            std::string::npos);
}

}  // namespace
