#include "pipeline_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "error.h"

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

class PipelineConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zl_pipeline_cfg_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const char* f : {"data.yaml", "teacher.yaml", "train.yaml", "student.yaml", "tiny.yaml", "distill.yaml"})
      std::ofstream(dir_ / f) << "{}\n";
    ::setenv("ZL_TEST_DIR", dir_.c_str(), 1);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    std::string p = (dir_ / "pipeline.yaml").string();
    std::ofstream(p, std::ios::trunc) << text;
    return p;
  }
  std::string valid() const {
    return "name: t\n"
           "dataset:\n"
           "  config: ${ZL_TEST_DIR}/data.yaml\n"
           "teacher:\n"
           "  model: ${ZL_TEST_DIR}/teacher.yaml\n"
           "  train: ${ZL_TEST_DIR}/train.yaml\n"
           "students:\n"
           "  models:\n"
           "    tiny: ${ZL_TEST_DIR}/tiny.yaml\n"
           "  train: ${ZL_TEST_DIR}/student.yaml\n"
           "  distill: ${ZL_TEST_DIR}/distill.yaml\n"
           "  label_shares: [0.2, 1.0]\n";
  }
  fs::path dir_;
};

TEST_F(PipelineConfigTest, ReadsAValidConfig) {
  PipelineConfig p = load_pipeline_config(write(valid()), {});
  EXPECT_EQ(p.dataset.config, (dir_ / "data.yaml").string());
  ASSERT_EQ(p.students.models.size(), 1u);
  EXPECT_EQ(p.students.models[0].first, "tiny");
  EXPECT_EQ(p.students.label_shares, (std::vector<double>{0.2, 1.0}));
  EXPECT_EQ(p.students.distillation, (std::vector<bool>{true, false}));
  EXPECT_EQ(p.output, "runs/sweeps/t");
}

TEST_F(PipelineConfigTest, AStudentNameThatIsAListIsAUserErrorWithItsLine) {
  std::string text = valid();
  const std::string tiny = "    tiny: ${ZL_TEST_DIR}/tiny.yaml\n";
  text.replace(text.find(tiny), tiny.size(), tiny + "    [a, b]: ${ZL_TEST_DIR}/tiny.yaml\n");
  try {
    load_pipeline_config(write(text), {});
    FAIL() << "expected a UserError";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("pipeline.yaml:10: a key in section 'students.models' is a list or mapping"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(PipelineConfigTest, OverridesApply) {
  PipelineConfig p = load_pipeline_config(write(valid()), {"students.seeds=[1,2,3]"});
  EXPECT_EQ(p.students.seeds, (std::vector<int64_t>{1, 2, 3}));
}

TEST_F(PipelineConfigTest, MisspeltKeyIsAnError) {
  try {
    load_pipeline_config(write(valid() + "  label_share: [0.5]\n"), {});
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("label_shares"), std::string::npos) << e.what();
  }
}

TEST_F(PipelineConfigTest, MissingFileIsAnErrorNamingTheKey) {
  std::string text = valid();
  text.replace(text.find("tiny.yaml"), 9, "nope.yaml");
  try {
    load_pipeline_config(write(text), {});
    FAIL() << "no error";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("students.models.tiny"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
}

TEST_F(PipelineConfigTest, UnsetVariableIsAnError) {
  ::unsetenv("ZL_TEST_DIR");
  EXPECT_THROW(load_pipeline_config(write(valid()), {}), zl::UserError);
}

TEST_F(PipelineConfigTest, BadShareIsAnError) {
  EXPECT_THROW(load_pipeline_config(write(valid()), {"students.label_shares=[0]"}), zl::UserError);
  EXPECT_THROW(load_pipeline_config(write(valid()), {"students.label_shares=[1.5]"}), zl::UserError);
}

}  // namespace
