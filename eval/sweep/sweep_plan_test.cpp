// The step graph: which data each step trains on, which teacher file each KD
// student uses, and what each evaluation compares with (the honest-teacher design).
#include "sweep_plan.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "error.h"

namespace fs = std::filesystem;
using namespace zl::sweep;

namespace {

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }
std::string arg_after(const std::vector<std::string>& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

class SweepPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("zl_sweep_plan_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const char* f : {"data.yaml", "teacher.yaml", "train.yaml", "student.yaml", "tiny.yaml", "distill.yaml"})
      std::ofstream(dir_ / f) << "{}\n";
    std::ofstream(dir_ / "pipeline.yaml") << "name: t\n"
                                             "dataset:\n  config: data.yaml\n"
                                             "teacher:\n  model: teacher.yaml\n  train: train.yaml\n"
                                             "students:\n  models:\n    tiny: tiny.yaml\n"
                                             "  train: student.yaml\n  distill: distill.yaml\n"
                                             "  label_shares: [0.2, 1.0]\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  Plan plan(const std::vector<std::string>& overrides = {}) {
    PipelineConfig cfg = load_pipeline_config((dir_ / "pipeline.yaml").string(), overrides);
    return build_plan(cfg, (dir_ / "sweep").string(), "/opt/kd/bin");
  }
  const Step& step(const Plan& p, const std::string& id) {
    for (const auto& s : p.steps)
      if (s.key.id == id) return s;
    throw std::runtime_error("no step " + id);
  }
  fs::path dir_;
};

TEST_F(SweepPlanTest, StepsInOrder) {
  Plan p = plan();
  std::vector<std::string> ids;
  for (const auto& s : p.steps) ids.push_back(s.key.id);
  const std::vector<std::string> want = {"prepare",
                                         "shares/0.2",
                                         "teacher/share-0.2/seed-1",
                                         "teacher/share-1/seed-1",
                                         "teacher-predict/share-0.2",
                                         "teacher-predict/share-1",
                                         "student/tiny/kd/share-0.2/seed-1",
                                         "student/tiny/nokd/share-0.2/seed-1",
                                         "student/tiny/kd/share-1/seed-1",
                                         "student/tiny/nokd/share-1/seed-1",
                                         "eval/teacher_share0.2_seed1",
                                         "eval/teacher_share1_seed1",
                                         "eval/tiny_kd_share0.2_seed1",
                                         "eval/tiny_nokd_share0.2_seed1",
                                         "eval/tiny_kd_share1_seed1",
                                         "eval/tiny_nokd_share1_seed1",
                                         "report",
                                         "report/share-0.2"};
  EXPECT_EQ(ids, want);
}

// teacher.dataset: the teacher trains, predicts and is evaluated on its own view of the
// data (a pretrained tokenizer), with the same gold rows; students keep theirs.
TEST_F(SweepPlanTest, TeacherWithItsOwnDatasetView) {
  std::ofstream(dir_ / "teacher_data.yaml") << "{}\n";
  Plan p = plan({"teacher.dataset=teacher_data.yaml"});
  const std::string sweep = p.sweep_dir;
  const Step& prep = step(p, "prepare-teacher");
  EXPECT_EQ(arg_after(prep.argv, "--out"), sweep + "/data/teacher-dataset.h5");
  EXPECT_TRUE(has(step(p, "shares/0.2").key.outputs, sweep + "/data/teacher-gold-0.2.h5"));
  EXPECT_EQ(arg_after(step(p, "teacher/share-0.2/seed-1").argv, "--data"), sweep + "/data/teacher-gold-0.2.h5");
  EXPECT_EQ(arg_after(step(p, "teacher/share-1/seed-1").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  EXPECT_EQ(arg_after(step(p, "teacher-predict/share-0.2").argv, "--data"), sweep + "/data/teacher-share-0.2.h5");
  EXPECT_EQ(arg_after(step(p, "eval/teacher_share1_seed1").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  // Students: their own data, the teacher's file.
  const Step& kd = step(p, "student/tiny/kd/share-0.2/seed-1");
  EXPECT_EQ(arg_after(kd.argv, "--data"), sweep + "/data/share-0.2.h5");
  EXPECT_EQ(arg_after(kd.argv, "--teacher"), sweep + "/teachers/teacher_share0.2.h5");
  EXPECT_EQ(arg_after(step(p, "eval/tiny_kd_share1_seed1").argv, "--data"), sweep + "/data/dataset.h5");
  // A student named in students.teacher_view reads the teacher's view.
  std::ofstream(dir_ / "e5_l3.yaml") << "{}\n";
  Plan v = plan({"teacher.dataset=teacher_data.yaml", "students.models.e5_l3=e5_l3.yaml",
                 "students.teacher_view=[e5_l3]"});
  EXPECT_EQ(arg_after(step(v, "student/e5_l3/kd/share-0.2/seed-1").argv, "--data"), sweep + "/data/teacher-share-0.2.h5");
  EXPECT_EQ(arg_after(step(v, "student/e5_l3/nokd/share-0.2/seed-1").argv, "--data"), sweep + "/data/teacher-gold-0.2.h5");
  EXPECT_EQ(arg_after(step(v, "eval/e5_l3_kd_share1_seed1").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  EXPECT_EQ(arg_after(step(v, "student/tiny/kd/share-0.2/seed-1").argv, "--data"), sweep + "/data/share-0.2.h5");
  EXPECT_THROW(plan({"students.teacher_view=[tiny]"}), zl::UserError);  // no teacher view to read
  // Per-student overrides, and the teacher's sentence vectors when asked.
  Plan o = plan({"teacher.dataset=teacher_data.yaml", "teacher.sentence=true",
                 "students.models.e5_l3={model: e5_l3.yaml, set: [train.lr=2e-4]}"});
  EXPECT_EQ(arg_after(step(o, "student/e5_l3/kd/share-1/seed-1").argv, "train.seed=1"), "--set");
  EXPECT_TRUE(has(step(o, "student/e5_l3/kd/share-1/seed-1").argv, "train.lr=2e-4"));
  EXPECT_FALSE(has(step(o, "student/tiny/kd/share-1/seed-1").argv, "train.lr=2e-4"));
  EXPECT_TRUE(has(step(o, "teacher-predict/share-1").argv, "--sentence"));
  EXPECT_THROW(plan({"students.models.e5_l3={model: e5_l3.yaml, sett: [x=1]}"}), zl::UserError);
  Plan seeds = plan({"students.seeds=[1,2]", "students.models.e5_l3={model: e5_l3.yaml, seeds: [7]}"});
  size_t e5_runs = 0, tiny_runs = 0;
  for (const auto& st : seeds.steps) {
    if (st.key.id.rfind("student/e5_l3/", 0) == 0) {
      ++e5_runs;
      EXPECT_NE(st.key.id.find("seed-7"), std::string::npos) << st.key.id;
    }
    if (st.key.id.rfind("student/tiny/", 0) == 0) ++tiny_runs;
  }
  EXPECT_EQ(e5_runs, 4u);   // kd + nokd, 2 shares, its one seed
  EXPECT_EQ(tiny_runs, 8u); // kd + nokd, 2 shares, 2 seeds
  // Without a dataset config for the students, there is nothing to prepare the view from.
  std::ofstream(dir_ / "prepared.h5") << "x";
  EXPECT_THROW(plan({"teacher.dataset=teacher_data.yaml", "dataset.config=", "dataset.file=prepared.h5"}),
               zl::UserError);
}

TEST_F(SweepPlanTest, EvalNoiseAddsNoisedSplitsToTheEvaluatedFiles) {
  std::ofstream(dir_ / "teacher_data.yaml") << "{}\n";
  Plan p = plan({"teacher.dataset=teacher_data.yaml", "eval.noise=[0.1, 0.2]"});
  const std::string sweep = p.sweep_dir;
  const Step& n = step(p, "noisy-eval");
  EXPECT_EQ(arg_after(n.argv, "--data"), sweep + "/data/dataset.h5");
  EXPECT_EQ(arg_after(n.argv, "--out"), sweep + "/data/dataset-noisy.h5");
  EXPECT_EQ(arg_after(n.argv, "--noisy-eval"), "test");
  EXPECT_TRUE(has(n.argv, "0.1") && has(n.argv, "0.2"));
  EXPECT_EQ(arg_after(step(p, "noisy-eval-teacher").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  EXPECT_EQ(arg_after(step(p, "eval/teacher_share1_seed1").argv, "--data"), sweep + "/data/teacher-dataset-noisy.h5");
  EXPECT_EQ(arg_after(step(p, "eval/tiny_kd_share1_seed1").argv, "--data"), sweep + "/data/dataset-noisy.h5");
  EXPECT_EQ(arg_after(step(p, "eval/tiny_kd_share0.2_seed1").argv, "--data"), sweep + "/data/dataset-noisy.h5");
  // Training still reads the clean files; without eval.noise there is no such step.
  EXPECT_EQ(arg_after(step(p, "student/tiny/kd/share-1/seed-1").argv, "--data"), sweep + "/data/dataset.h5");
  EXPECT_THROW(step(plan(), "noisy-eval"), std::runtime_error);
}

TEST_F(SweepPlanTest, TransferNoiseMakesTheTeacherLabelNoisedCopies) {
  std::ofstream(dir_ / "teacher_data.yaml") << "{}\n";
  Plan p = plan({"teacher.dataset=teacher_data.yaml", "students.transfer_noise=0.15", "students.transfer_copies=3"});
  const std::string sweep = p.sweep_dir;
  const Step& n = step(p, "noise-transfer/share-1");
  EXPECT_EQ(arg_after(n.argv, "--data"), sweep + "/data/dataset.h5");
  EXPECT_EQ(arg_after(n.argv, "--noise"), "0.15");
  EXPECT_EQ(arg_after(n.argv, "--copies"), "3");
  EXPECT_EQ(arg_after(step(p, "noise-transfer-teacher/share-1").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  EXPECT_EQ(arg_after(step(p, "noise-transfer/share-0.2").argv, "--data"), sweep + "/data/share-0.2.h5");
  EXPECT_EQ(arg_after(step(p, "teacher-predict/share-1").argv, "--data"), sweep + "/data/teacher-noise-transfer-1.h5");
  EXPECT_EQ(arg_after(step(p, "student/tiny/kd/share-1/seed-1").argv, "--data"), sweep + "/data/noise-transfer-1.h5");
  // The teacher and the no-KD students still train on the clean rows.
  EXPECT_EQ(arg_after(step(p, "teacher/share-1/seed-1").argv, "--data"), sweep + "/data/teacher-dataset.h5");
  EXPECT_EQ(arg_after(step(p, "student/tiny/nokd/share-1/seed-1").argv, "--data"), sweep + "/data/dataset.h5");
  EXPECT_THROW(step(plan(), "noise-transfer/share-1"), std::runtime_error);
}

TEST_F(SweepPlanTest, HonestTeacherPerShare) {
  Plan p = plan();
  const std::string sweep = p.sweep_dir;
  // The share-0.2 teacher trains on the gold rows only and labels the share file.
  const Step& t = step(p, "teacher/share-0.2/seed-1");
  EXPECT_EQ(arg_after(t.argv, "--data"), sweep + "/data/gold-0.2.h5");
  const Step& tp = step(p, "teacher-predict/share-0.2");
  EXPECT_EQ(arg_after(tp.argv, "--data"), sweep + "/data/share-0.2.h5");
  EXPECT_EQ(arg_after(tp.argv, "--run"), sweep + "/runs/teacher_share0.2_seed1");
  // The KD student of share 0.2 distills on the share file from that share's teacher.
  const Step& kd = step(p, "student/tiny/kd/share-0.2/seed-1");
  EXPECT_EQ(kd.argv[0], "/opt/kd/bin/kd-distill");
  EXPECT_EQ(arg_after(kd.argv, "--data"), sweep + "/data/share-0.2.h5");
  EXPECT_EQ(arg_after(kd.argv, "--teacher"), sweep + "/teachers/teacher_share0.2.h5");
  EXPECT_TRUE(has(kd.key.inputs, sweep + "/teachers/teacher_share0.2.h5"));
  // Its twin sees exactly the same gold labels, without the teacher.
  const Step& plain = step(p, "student/tiny/nokd/share-0.2/seed-1");
  EXPECT_EQ(plain.argv[0], "/opt/kd/bin/kd-train");
  EXPECT_EQ(arg_after(plain.argv, "--data"), sweep + "/data/gold-0.2.h5");
  // Share 1: everything on the prepared dataset.
  EXPECT_EQ(arg_after(step(p, "teacher/share-1/seed-1").argv, "--data"), sweep + "/data/dataset.h5");
  EXPECT_EQ(arg_after(step(p, "student/tiny/kd/share-1/seed-1").argv, "--teacher"),
            sweep + "/teachers/teacher_share1.h5");
}

TEST_F(SweepPlanTest, EvaluationsOnTheFullTestSplit) {
  Plan p = plan();
  const std::string sweep = p.sweep_dir;
  for (const auto& s : p.steps) {
    if (s.kind != "eval") continue;
    EXPECT_EQ(arg_after(s.argv, "--data"), sweep + "/data/dataset.h5") << s.key.id;
    EXPECT_EQ(arg_after(s.argv, "--split"), "test") << s.key.id;
  }
  // Teachers of a share < 1 report their accuracy on the transfer rows.
  EXPECT_EQ(arg_after(step(p, "eval/teacher_share0.2_seed1").argv, "--transfer-ids"),
            sweep + "/data/transfer-0.2.ids");
  EXPECT_EQ(arg_after(step(p, "eval/teacher_share1_seed1").argv, "--transfer-ids"), "");
  // KD students: agreement with their teacher and McNemar against their twin.
  const Step& e = step(p, "eval/tiny_kd_share0.2_seed1");
  EXPECT_EQ(arg_after(e.argv, "--teacher"), sweep + "/teachers/teacher_share0.2.h5");
  EXPECT_EQ(arg_after(e.argv, "--compare"), sweep + "/runs/tiny_nokd_share0.2_seed1");
  EXPECT_TRUE(has(e.key.inputs, sweep + "/runs/tiny_nokd_share0.2_seed1/best.pt"));
  EXPECT_EQ(arg_after(step(p, "eval/tiny_nokd_share0.2_seed1").argv, "--compare"), "");
}

TEST_F(SweepPlanTest, ReportsHoldOneTeacherEach) {
  Plan p = plan();
  const Step& main = step(p, "report");
  EXPECT_TRUE(has(main.argv, p.sweep_dir + "/runs/teacher_share1_seed1"));
  EXPECT_FALSE(has(main.argv, p.sweep_dir + "/runs/teacher_share0.2_seed1"));
  EXPECT_TRUE(has(main.argv, p.sweep_dir + "/runs/tiny_kd_share0.2_seed1"));
  const Step& share = step(p, "report/share-0.2");
  EXPECT_TRUE(has(share.argv, p.sweep_dir + "/runs/teacher_share0.2_seed1"));
  EXPECT_FALSE(has(share.argv, p.sweep_dir + "/runs/tiny_kd_share1_seed1"));
}

// report.metric reaches every report step as kd report --metric (and changes its key).
TEST_F(SweepPlanTest, ReportMetricIsPassedToKdReport) {
  Plan a = plan();
  EXPECT_EQ(arg_after(step(a, "report").argv, "--metric"), "accuracy");
  Plan b = plan({"report.metric=macro_f1"});
  EXPECT_EQ(arg_after(step(b, "report").argv, "--metric"), "macro_f1");
  EXPECT_EQ(arg_after(step(b, "report/share-0.2").argv, "--metric"), "macro_f1");
  EXPECT_NE(command_hash(step(a, "report").key), command_hash(step(b, "report").key));
  EXPECT_EQ(b.manifest["report_metric"], "macro_f1");
  try {
    plan({"report.metric=f1"});
    ADD_FAILURE() << "report.metric=f1 was accepted";
  } catch (const zl::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("metric"), std::string::npos) << e.what();
  }
}

TEST_F(SweepPlanTest, SeedsAndOverridesChangeTheCommand) {
  Plan a = plan();
  Plan b = plan({"students.set=[train.epochs=3]"});
  EXPECT_NE(command_hash(step(a, "student/tiny/kd/share-1/seed-1").key),
            command_hash(step(b, "student/tiny/kd/share-1/seed-1").key));
  EXPECT_EQ(command_hash(step(a, "teacher/share-1/seed-1").key), command_hash(step(b, "teacher/share-1/seed-1").key));
  Plan c = plan({"students.seeds=[1,2]", "students.distillation=[true]"});
  int students = 0;
  for (const auto& s : c.steps) students += s.kind == "student";
  EXPECT_EQ(students, 4);  // 2 shares x 2 seeds, KD only
  EXPECT_EQ(arg_after(step(c, "eval/tiny_kd_share1_seed2").argv, "--compare"), "");  // no twin to compare with
}

TEST_F(SweepPlanTest, ExternalTeacherOnlyWithFullLabels) {
  std::ofstream(dir_ / "teacher.h5") << "x";
  EXPECT_THROW(plan({"teacher.file=teacher.h5"}), zl::UserError);
  Plan p = plan({"teacher.file=teacher.h5", "students.label_shares=[1.0]"});
  for (const auto& s : p.steps) EXPECT_NE(s.kind, "teacher") << s.key.id;
  EXPECT_EQ(arg_after(step(p, "student/tiny/kd/share-1/seed-1").argv, "--teacher"), (dir_ / "teacher.h5").string());
}

}  // namespace
