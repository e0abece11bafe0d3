// Later commands refuse an empty split (issue 11): kd train / kd distill (run_training) on a
// train or dev split of 0 rows, and kd teacher predict on a split of 0 rows. Before, an empty
// dev split made every evaluation a score of nothing, an empty train split failed deep in
// batching naming no file, and an empty teacher split was written silently.
#include <gtest/gtest.h>

#include "error.h"
#include "run_training_test_util.h"
#include "teacher_predict.h"

namespace zl {
namespace {

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

std::string error_of(const RunRequest& r) {
  try {
    run_training(r);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(EmptySplits, TrainingRefusesAnEmptyDevOrTrainSplit) {
  auto s = testing::small_run("emptydev");
  testing::SyntheticOptions o;
  o.train = 30;
  o.dev = 0;
  auto r = s.request("e");
  r.data_path = testing::write_synthetic_dataset(s.dir, "nodev", o);
  const std::string e = error_of(r);
  EXPECT_CONTAINS(e, "split 'dev' has 0 examples, nothing to evaluate on");
  EXPECT_CONTAINS(e, "inputs.split.dev_from_train");
  EXPECT_CONTAINS(e, "train.dev_split=none");
  EXPECT_FALSE(file_exists(s.dir + "/e/run.json"));
  // A fixed budget without evaluation still trains.
  auto fixed = s.request("fixed", {"train.dev_split=none", "train.max_steps=2"});
  fixed.data_path = r.data_path;
  EXPECT_EQ(run_training(fixed), 0);
  o.train = 0;
  o.dev = 10;
  auto t = s.request("t");
  t.data_path = testing::write_synthetic_dataset(s.dir, "notrain", o);
  EXPECT_CONTAINS(error_of(t), "split 'train' has 0 examples, nothing to train on");
}

TEST(EmptySplits, TeacherPredictRefusesAnEmptySplit) {
  auto s = testing::small_run("predict_empty");
  testing::SyntheticOptions o;
  o.train = 24;
  o.dev = 0;
  const std::string data = testing::write_synthetic_dataset(s.dir, "nodev", o);
  auto r = s.request("teacher", {"train.dev_split=none", "train.max_steps=2"});
  r.data_path = data;
  ASSERT_EQ(run_training(r), 0);
  TeacherPredictRequest p;
  p.runs = {r.out_dir};
  p.data_path = data;
  p.splits = {"train", "dev"};
  p.out_path = s.dir + "/teacher.h5";
  p.device = "cpu";
  try {
    predict_teacher(p);
    ADD_FAILURE() << "no error";
  } catch (const UserError& e) {
    EXPECT_CONTAINS(e.what(), "split 'dev' has 0 examples; leave it out of --splits");
  }
  EXPECT_FALSE(file_exists(p.out_path));
  p.splits = {"train"};
  EXPECT_EQ(predict_teacher(p).size(), 1u);
}

}  // namespace
}  // namespace zl
