// kd eval end to end on a small synthetic run: metrics.json in the schema the
// report reads, agreement with a teacher file, McNemar, transfer rows, and every
// bad input the issue lists (label set or task mismatch, missing or empty split,
// damaged run directory).
#include "eval_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "error.h"
#include "metrics_json.h"
#include "predict.h"
#include "run_dir.h"
#include "run_training_test_util.h"
#include "teacher_file.h"

namespace fs = std::filesystem;

namespace zl {
namespace {

#define EXPECT_CONTAINS(hay, needle) EXPECT_NE(std::string(hay).find(needle), std::string::npos) << (hay)

std::string error_of(const EvalRequest& r) {
  try {
    run_eval(r);
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// One trained run shared by the tests (training is the slow part).
struct Fixture {
  testing::SmallRun s;
  std::string run_a, run_b;
  Fixture() {
    s = testing::small_run("kd_eval", "architecture: textcnn\nembedding_dim: 16\nfilters: 8\nmax_length: 32\n");
    auto ra = s.request("a", {"train.max_steps=20"});
    auto rb = s.request("b", {"train.max_steps=4", "train.seed=9"});
    if (run_training(ra) != 0 || run_training(rb) != 0) throw std::runtime_error("training the fixture failed");
    run_a = ra.out_dir;
    run_b = rb.out_dir;
  }
};
Fixture& fixture() {
  static Fixture f;
  return f;
}

EvalRequest request(const std::string& run) {
  EvalRequest r;
  r.run_dir = run;
  r.data_path = fixture().s.data;
  r.split = "dev";
  r.device = "cpu";
  r.bootstrap_resamples = 200;
  r.quiet = true;
  return r;
}

TEST(KdEval, WritesMetricsTheReportCanRead) {
  auto& f = fixture();
  EvalRequest r = request(f.run_a);
  r.compare_dir = f.run_b;
  nlohmann::json m = run_eval(r);
  const std::string out = f.run_a + "/eval/dev/metrics.json";
  ASSERT_TRUE(file_exists(out));
  metrics::MetricsFile mf = metrics::read_metrics_json(out);  // the report's strict reader
  SplitData dev = read_split(f.s.data, "dev");
  EXPECT_EQ(mf.n, static_cast<int64_t>(dev.size()));
  EXPECT_LE(mf.accuracy_ci.low, mf.accuracy);
  EXPECT_GE(mf.accuracy_ci.high, mf.accuracy);
  ASSERT_TRUE(mf.cost.has_value());
  EXPECT_GT(mf.cost->params_total, 0);
  EXPECT_EQ(mf.cost->bytes_fp32, 4 * mf.cost->params_total);
  EXPECT_EQ(mf.cost->bytes_fp16, 2 * mf.cost->params_total);
  EXPECT_LT(mf.cost->bytes_int8, mf.cost->bytes_fp16);
  EXPECT_EQ(mf.cost->cpu.threads, 1);
  EXPECT_EQ(mf.cost->cpu.runs, 200);
  EXPECT_GT(mf.cost->cpu.p50_ms, 0);
  EXPECT_LE(mf.cost->cpu.p50_ms, mf.cost->cpu.p95_ms);
  EXPECT_LE(mf.cost->cpu.p95_ms, mf.cost->cpu.p99_ms);
  EXPECT_GT(mf.cost->cpu.throughput_per_s, 0);
  // On a machine with CUDA the same measurements are made on the GPU.
  if (torch::cuda::is_available()) {
    ASSERT_TRUE(mf.cost->gpu.has_value());
    EXPECT_EQ(mf.cost->gpu->runs, 200);
    EXPECT_GT(mf.cost->gpu->p50_ms, 0);
    EXPECT_GT(mf.cost->gpu->throughput_per_s, 0);
    std::printf("GPU %s: p50 %.3f ms, p99 %.3f ms, %.0f examples/s; CPU p50 %.3f ms\n", mf.cost->gpu->device.c_str(),
                mf.cost->gpu->p50_ms, mf.cost->gpu->p99_ms, mf.cost->gpu->throughput_per_s, mf.cost->cpu.p50_ms);
  } else {
    EXPECT_FALSE(mf.cost->gpu.has_value());
  }
  // Length slices are always there.
  bool has_length = false;
  for (const auto& sl : mf.slices) has_length |= sl.field == "length";
  EXPECT_TRUE(has_length);
  // McNemar against run b: b + c = rows where exactly one of the two is right.
  const auto& mc = m["comparison"]["mcnemar"];
  EXPECT_GE(mc["p_value"].get<double>(), 0.0);
  EXPECT_LE(mc["p_value"].get<double>(), 1.0);
  const double acc_b = m["comparison"]["accuracy"].get<double>();
  const int64_t n = mf.n;
  EXPECT_EQ(mc["b_this_right_other_wrong"].get<int64_t>() - mc["c_this_wrong_other_right"].get<int64_t>(),
            std::llround(mf.accuracy * n) - std::llround(acc_b * n));
}

TEST(KdEval, AgreementWithItsOwnOutputsIsOne) {
  auto& f = fixture();
  // A teacher file made from run a's own logits: agreement must be exactly 1.
  LoadedRun run = load_run(f.run_a);
  DatasetInfo info = read_dataset_info(f.s.data);
  SplitData dev = read_split(f.s.data, "dev");
  std::vector<int64_t> rows;
  for (size_t i = 0; i < dev.size(); ++i) rows.push_back(static_cast<int64_t>(i));
  torch::Tensor lg = predict_logits(*run.model, dev, info, rows, torch::kCPU).contiguous();
  TeacherInfo ti;
  ti.task = info.task;
  ti.label_names = info.label_names;
  ti.dataset_sha256 = info.content_sha256;
  ti.teacher_run_id = "self";
  TeacherSplit ts;
  ts.name = "dev";
  ts.ids = dev.ids;
  ts.num_labels = static_cast<int64_t>(info.label_names.size());
  ts.values.assign(lg.data_ptr<float>(), lg.data_ptr<float>() + lg.numel());
  const std::string tpath = f.s.dir + "/self_teacher.h5";
  write_teacher_file(tpath, ti, {ts});
  EvalRequest r = request(f.run_a);
  r.teacher_path = tpath;
  r.measure_cost = false;
  r.out_path = f.s.dir + "/agree.json";
  nlohmann::json m = run_eval(r);
  EXPECT_DOUBLE_EQ(m["teacher_agreement"]["agreement"].get<double>(), 1.0);
}

TEST(KdEval, TransferRowsAccuracy) {
  auto& f = fixture();
  SplitData train = read_split(f.s.data, "train");
  std::string ids;
  for (size_t i = 0; i < 50; ++i) ids += train.ids[i] + "\n";
  write_file_atomic(f.s.dir + "/transfer.ids", ids);
  EvalRequest r = request(f.run_a);
  r.transfer_ids = f.s.dir + "/transfer.ids";
  r.measure_cost = false;
  r.out_path = f.s.dir + "/transfer.json";
  nlohmann::json m = run_eval(r);
  EXPECT_EQ(m["transfer"]["n"].get<int64_t>(), 50);
  EXPECT_EQ(m["transfer"]["split"], "train");
  // An ids file from another dataset is refused.
  write_file_atomic(f.s.dir + "/bad.ids", "no-such-id\n");
  r.transfer_ids = f.s.dir + "/bad.ids";
  EXPECT_CONTAINS(error_of(r), "are not labelled rows of the train split");
}

TEST(KdEval, LabelSetOrTaskMismatchIsRefused) {
  auto& f = fixture();
  testing::SyntheticOptions o;
  o.num_labels = 4;
  EvalRequest r = request(f.run_a);
  r.data_path = testing::write_synthetic_dataset(f.s.dir, "four_labels", o);
  EXPECT_CONTAINS(error_of(r), "has the labels");
  testing::SyntheticOptions p;
  p.task = Task::kPair;
  r.data_path = testing::write_synthetic_dataset(f.s.dir, "pairs", p);
  EXPECT_CONTAINS(error_of(r), "dataset: evaluate it on the dataset it was trained for");
}

TEST(KdEval, MissingAndEmptySplitsAreRefused) {
  auto& f = fixture();
  EvalRequest r = request(f.run_a);
  r.split = "test";  // the synthetic dataset has train and dev only
  EXPECT_CONTAINS(error_of(r), "no split 'test'");
  // A dataset whose test split has no rows.
  DatasetInfo info = read_dataset_info(f.s.data);
  std::vector<SplitData> splits = {read_split(f.s.data, "train", true), read_split(f.s.data, "dev", true)};
  SplitData empty;
  empty.name = "test";
  splits.push_back(empty);
  const std::string path = f.s.dir + "/empty_test.h5";
  write_dataset_file(path, info, splits, read_tokenizer_model(f.s.data));
  r.data_path = path;
  EXPECT_CONTAINS(error_of(r), "is empty");
}

TEST(KdEval, RobustnessOnNoisedCopiesOfTheSplit) {
  // A file with two "noised" copies of dev (kd data augment --noisy-eval writes such splits): one
  // equal to dev (drop 0), one with every token replaced by the first content token (a real drop).
  auto& f = fixture();
  DatasetInfo info = read_dataset_info(f.s.data);
  std::vector<SplitData> splits = {read_split(f.s.data, "train", true), read_split(f.s.data, "dev", true)};
  SplitData same = splits[1], garbled = splits[1];
  same.name = "dev@noise-0.1";
  garbled.name = "dev@noise-homophone=0.5+drop=0.1";
  for (size_t i = 0; i < garbled.size(); ++i)
    for (int64_t k = garbled.offsets[i] + 1; k + 1 < garbled.offsets[i + 1]; ++k)
      garbled.input_ids[static_cast<size_t>(k)] = garbled.input_ids[static_cast<size_t>(garbled.offsets[0] + 1)];
  splits.push_back(same);
  splits.push_back(garbled);
  const std::string path = f.s.dir + "/noisy.h5";
  write_dataset_file(path, info, splits, read_tokenizer_model(f.s.data));
  EvalRequest r = request(f.run_a);
  r.data_path = path;
  r.measure_cost = false;
  r.out_path = f.s.dir + "/noisy_metrics.json";
  nlohmann::json m = run_eval(r);
  ASSERT_TRUE(m["robustness"].is_object()) << m.dump();
  const auto& rb = m["robustness"];
  EXPECT_DOUBLE_EQ(rb["clean"]["accuracy"].get<double>(), m["metrics"]["accuracy"].get<double>());
  ASSERT_EQ(rb["noisy"].size(), 2u);
  const auto& a = rb["noisy"][0]["noise"] == "0.1" ? rb["noisy"][0] : rb["noisy"][1];
  const auto& b = rb["noisy"][0]["noise"] == "0.1" ? rb["noisy"][1] : rb["noisy"][0];
  EXPECT_DOUBLE_EQ(a["accuracy_drop_points"].get<double>(), 0.0);
  EXPECT_EQ(b["noise"], "homophone=0.5,drop=0.1");
  EXPECT_NEAR(b["accuracy_drop_points"].get<double>(),
              100 * (m["metrics"]["accuracy"].get<double>() - b["accuracy"].get<double>()), 1e-9);
  EXPECT_GT(b["accuracy_drop_points"].get<double>(), 0.0);
  EXPECT_CONTAINS(eval_summary(m), "under noise 0.1");
  // Without noised splits the field is null.
  EvalRequest plain = request(f.run_a);
  plain.measure_cost = false;
  plain.out_path = f.s.dir + "/plain_metrics.json";
  EXPECT_TRUE(run_eval(plain)["robustness"].is_null());
}

TEST(KdEval, DamagedRunDirectoryIsRefused) {
  auto& f = fixture();
  const std::string bad = f.s.dir + "/damaged";
  fs::remove_all(bad);
  fs::copy(f.run_a, bad, fs::copy_options::recursive);
  fs::remove_all(bad + "/eval");
  std::ofstream(bad + "/best.pt", std::ios::trunc) << "not a checkpoint";
  EXPECT_NE(error_of(request(bad)), "(no error)");
  fs::remove(bad + "/config.yaml");
  EXPECT_CONTAINS(error_of(request(bad)), "config.yaml");
  EXPECT_CONTAINS(error_of(request(f.s.dir + "/nope")), "is not a directory");
  EXPECT_FALSE(file_exists(bad + "/eval/dev/metrics.json"));  // nothing half-written
}

}  // namespace
}  // namespace zl
