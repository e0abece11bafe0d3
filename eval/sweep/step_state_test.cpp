#include "step_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "error.h"

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

class StepStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zl_step_state_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "steps");
    state_ = (dir_ / "steps").string();
    input_ = (dir_ / "input.txt").string();
    output_ = (dir_ / "output.txt").string();
    write(input_, "input v1");
    write(output_, "output v1");
    key_.id = "student/tiny/kd/share-0.2/seed-1";
    key_.command = {"kd-distill", "--data", input_, "--out", output_};
    key_.inputs = {input_};
    key_.outputs = {output_};
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Rewrites a file with a later mtime so the checksum cache sees a new version.
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
    static int tick = 0;
    auto t = fs::file_time_type::clock::now() + std::chrono::seconds(++tick);
    fs::last_write_time(path, t);
  }
  fs::path dir_;
  std::string state_, input_, output_;
  StepKey key_;
};

TEST_F(StepStateTest, MissingMarkerMeansRerun) {
  Validity v = check_step(key_, state_);
  EXPECT_FALSE(v.done);
  EXPECT_NE(v.reason.find("no completion marker"), std::string::npos) << v.reason;
}

TEST_F(StepStateTest, MarkerWithSameInputsIsDone) {
  write_marker(key_, state_, 1.5);
  Validity v = check_step(key_, state_);
  EXPECT_TRUE(v.done) << v.reason;
}

TEST_F(StepStateTest, StaleInputChecksumMeansRerun) {
  write_marker(key_, state_, 1.0);
  write(input_, "input v2");
  Validity v = check_step(key_, state_);
  EXPECT_FALSE(v.done);
  EXPECT_EQ(v.reason, "input changed: " + input_);
}

TEST_F(StepStateTest, RemovedMarkerMeansRerun) {
  write_marker(key_, state_, 1.0);
  remove_marker(state_, key_.id);
  EXPECT_FALSE(check_step(key_, state_).done);
}

TEST_F(StepStateTest, ChangedCommandMeansRerun) {
  write_marker(key_, state_, 1.0);
  key_.command.push_back("--set");
  key_.command.push_back("train.seed=2");
  Validity v = check_step(key_, state_);
  EXPECT_FALSE(v.done);
  EXPECT_EQ(v.reason, "command or settings changed");
}

TEST_F(StepStateTest, MissingOrChangedOutputMeansRerun) {
  write_marker(key_, state_, 1.0);
  write(output_, "half-written");
  EXPECT_EQ(check_step(key_, state_).reason, "output changed since the step ran: " + output_);
  fs::remove(output_);
  EXPECT_EQ(check_step(key_, state_).reason, "output missing: " + output_);
}

TEST_F(StepStateTest, MissingInputMeansRerun) {
  write_marker(key_, state_, 1.0);
  fs::remove(input_);
  EXPECT_EQ(check_step(key_, state_).reason, "input missing: " + input_);
}

TEST_F(StepStateTest, CorruptMarkerMeansRerun) {
  write_marker(key_, state_, 1.0);
  std::ofstream(marker_path(state_, key_.id), std::ios::trunc) << "{not json";
  EXPECT_FALSE(check_step(key_, state_).done);
}

TEST_F(StepStateTest, MarkerRefusesAStepThatWroteNothing) {
  fs::remove(output_);
  EXPECT_THROW(write_marker(key_, state_, 1.0), zl::UserError);
  EXPECT_FALSE(zl::file_exists(marker_path(state_, key_.id)));
}

TEST(StepNames, SafeNamesAreDistinctFileNames) {
  EXPECT_EQ(safe_name("student/tiny/kd/share-0.2/seed-1"), "student__tiny__kd__share-0.2__seed-1");
  EXPECT_EQ(safe_name("a b"), "a_b");
  StepKey a, b;
  a.command = {"ab", "c"};
  b.command = {"a", "bc"};
  EXPECT_NE(command_hash(a), command_hash(b));
}

// An interrupted training step continues only when it was started with the same
// command and inputs, and left a checkpoint (kd_sweep_main adds --resume then).
TEST_F(StepStateTest, InterruptedStepResumesOnlyWhenNothingChanged) {
  const std::string ckpt = (dir_ / "checkpoint.pt").string();
  EXPECT_EQ(check_resumable(key_, state_, ckpt).reason, "no checkpoint to continue from");
  write(ckpt, "state");
  EXPECT_FALSE(check_resumable(key_, state_, ckpt).done);  // no start record
  write_started(key_, state_);
  EXPECT_TRUE(check_resumable(key_, state_, ckpt).done) << check_resumable(key_, state_, ckpt).reason;
  EXPECT_FALSE(check_step(key_, state_).done);  // resumable is not done

  StepKey other = key_;
  other.command.push_back("--set");
  other.command.push_back("train.lr=1e-3");
  EXPECT_EQ(check_resumable(other, state_, ckpt).reason, "command or settings changed");

  write(input_, "input v2");
  EXPECT_EQ(check_resumable(key_, state_, ckpt).reason, "input changed: " + input_);

  write_started(key_, state_);  // a fresh start records the new input
  EXPECT_TRUE(check_resumable(key_, state_, ckpt).done);
  remove_started(state_, key_.id);
  EXPECT_FALSE(check_resumable(key_, state_, ckpt).done);

  std::ofstream(started_path(state_, key_.id)) << "{garbled";
  EXPECT_NE(check_resumable(key_, state_, ckpt).reason.find("unreadable"), std::string::npos);
}

}  // namespace
