// Damaged run directories and checkpoints (issue 14): a truncated checkpoint.pt or
// best.pt, a garbled or foreign run.json / dataset.json, weights of another model
// size. Each is a UserError naming the file and what to do (exit status 2 through
// run_main), never a LibTorch message with its stack trace.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "atomic_file.h"
#include "error.h"
#include "run_dir.h"
#include "run_training.h"
#include "run_training_test_util.h"
#include "stale_temp_files.h"

namespace zl {
namespace {

namespace fs = std::filesystem;

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

// What `kd train` prints and returns for the request (run_main is the mains' error mapping).
struct Outcome {
  int status;
  std::string err;
};
Outcome run_cli(const RunRequest& r) {
  ::testing::internal::CaptureStderr();
  const int status = run_main("train", [&] { return run_training(r); });
  return {status, ::testing::internal::GetCapturedStderr()};
}

void expect_user_error(const Outcome& o, const std::string& file, const std::string& hint) {
  EXPECT_EQ(o.status, kUserErrorExit) << o.err;
  EXPECT_CONTAINS(o.err, "kd train: error: ");
  EXPECT_CONTAINS(o.err, file);
  EXPECT_CONTAINS(o.err, hint);
  // c10::Error's text with its backtrace, or the internal-error path.
  EXPECT_EQ(o.err.find("Exception raised from"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("internal error"), std::string::npos) << o.err;
}

void truncate_half(const std::string& path) { fs::resize_file(path, fs::file_size(path) / 2); }

// A paused run (checkpoint.pt, run.json, no final weights) of the small model.
testing::SmallRun paused_run(const std::string& tag, const std::string& out) {
  auto s = testing::small_run(tag);
  EXPECT_EQ(run_training(s.request(out, {"train.max_steps_this_invocation=5"})), 0);
  return s;
}

RunRequest resume_of(const testing::SmallRun& s, const std::string& out) {
  auto r = s.request(out);
  r.resume = true;
  return r;
}

TEST(CorruptRun, TruncatedCheckpointNamesTheFile) {
  auto s = paused_run("trunc_ckpt", "r");
  const std::string ckpt = s.dir + "/r/checkpoint.pt";
  truncate_half(ckpt);
  expect_user_error(run_cli(resume_of(s, "r")), ckpt, "truncated or damaged");
}

TEST(CorruptRun, GarbageCheckpointNamesTheFile) {
  auto s = paused_run("garbage_ckpt", "r");
  const std::string ckpt = s.dir + "/r/checkpoint.pt";
  write_file_atomic(ckpt, "this is not an archive\n");
  expect_user_error(run_cli(resume_of(s, "r")), ckpt, "truncated or damaged");
}

TEST(CorruptRun, CheckpointOfAnotherModelSize) {
  // The checkpoint of a wider model copied over this run's: refused, nothing rewritten.
  auto s = paused_run("other_size", "r");
  auto wide = s.request("wide", {"model.hidden=64", "train.max_steps_this_invocation=5"});
  ASSERT_EQ(run_training(wide), 0);
  fs::copy_file(s.dir + "/wide/checkpoint.pt", s.dir + "/r/checkpoint.pt", fs::copy_options::overwrite_existing);
  const std::string before = read_file(s.dir + "/r/run.json");
  expect_user_error(run_cli(resume_of(s, "r")), s.dir + "/r/checkpoint.pt", "different model/data/training config");
  EXPECT_EQ(read_file(s.dir + "/r/run.json"), before);
}

TEST(CorruptRun, GarbledRunJson) {
  auto s = paused_run("garbled_runjson", "r");
  const std::string rj = s.dir + "/r/run.json";
  write_file_atomic(rj, "{\"run_id\": \"r-1\", \"status\": \"runn");  // cut short
  expect_user_error(run_cli(resume_of(s, "r")), rj, "delete run.json");
  EXPECT_THROW(load_run(s.dir + "/r"), UserError);
}

TEST(CorruptRun, RunJsonFromAnotherToolOrVersion) {
  auto s = paused_run("foreign_runjson", "r");
  const std::string rj = s.dir + "/r/run.json";
  write_file_atomic(rj, "[\"a list, not a kd train run.json\"]\n");
  expect_user_error(run_cli(resume_of(s, "r")), rj, "not a run.json written by kd train");
  write_file_atomic(rj, "{\"run_id\": 7, \"format_version\": 99}\n");
  expect_user_error(run_cli(resume_of(s, "r")), rj, "not a run.json written by kd train");
}

TEST(CorruptRun, GarbledDatasetJsonOnBareResume) {
  auto s = paused_run("garbled_datasetjson", "r");
  const std::string dj = s.dir + "/r/dataset.json";
  write_file_atomic(dj, "{\"path\": ");
  RunRequest bare;
  bare.out_dir = s.dir + "/r";
  bare.resume = true;
  bare.device = "cpu";
  expect_user_error(run_cli(bare), dj, "--data");
}

TEST(CorruptRun, TruncatedOrForeignWeightsInLoadRunAndInit) {
  auto s = testing::small_run("weights");
  ASSERT_EQ(run_training(s.request("small")), 0);
  ASSERT_EQ(run_training(s.request("wide", {"model.hidden=64", "model.ffn=128"})), 0);
  // best.pt of the wide model in the small model's run: the shapes are named.
  fs::copy_file(s.dir + "/wide/best.pt", s.dir + "/small/best.pt", fs::copy_options::overwrite_existing);
  try {
    load_run(s.dir + "/small");
    ADD_FAILURE() << "another model's best.pt loaded";
  } catch (const UserError& e) {
    EXPECT_CONTAINS(e.what(), s.dir + "/small/best.pt");
    EXPECT_CONTAINS(e.what(), "does not fit the model");
  }
  // --init from that run (model.init_from.run): the same error, exit status 2.
  expect_user_error(run_cli(s.request("init1", {"model.init_from.run=" + s.dir + "/small"})),
                    s.dir + "/small/best.pt", "does not fit the model");
  // --init from a truncated best.pt.
  truncate_half(s.dir + "/wide/best.pt");
  expect_user_error(run_cli(s.request("init2", {"model.init_from.run=" + s.dir + "/wide"})),
                    s.dir + "/wide/best.pt", "truncated or damaged");
}

TEST(CorruptRun, StaleTemporaryFilesOfAKilledWriterAreRemoved) {
  // A SIGKILL leaves FINAL.tmp.PID.HEX behind; the next start removes it (only
  // when PID is gone: a live writer's file stays).
  auto s = paused_run("stale_tmp", "r");
  const std::string stale = s.dir + "/r/checkpoint.pt.tmp.999999999.abc123";
  const std::string live = s.dir + "/r/best.pt.tmp." + std::to_string(::getpid()) + ".abc";
  write_file_atomic(stale, "half");
  write_file_atomic(live, "half");
  ASSERT_EQ(run_training(resume_of(s, "r")), 0);
  EXPECT_FALSE(file_exists(stale));
  EXPECT_TRUE(file_exists(live));
  EXPECT_EQ(remove_stale_temp_files(s.dir + "/r"), 0);
}

}  // namespace
}  // namespace zl
