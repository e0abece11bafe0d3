// metrics.json: what evaluate_to_json writes parses back, and bad files fail with
// the file and key named.
#include "metrics_json.h"

#include <gtest/gtest.h>

#include "error.h"

namespace zl::metrics {
namespace {

EvalInput six_rows() {
  // Same six rows as metrics_test: accuracy 4/6, macro F1 59/90.
  EvalInput in;
  in.probs = {6, 3, {.70, .20, .10, .10, .75, .15, .50, .30, .20, .20, .15, .65, .30, .62, .08, .90, .05, .05}};
  in.gold = {0, 1, 1, 2, 2, 0};
  return in;
}

Cost some_cost() {
  Cost c;
  c.params_total = 1000;
  c.params_non_embedding = 400;
  c.bytes_fp32 = 4000, c.bytes_fp16 = 2000, c.bytes_int8 = 1000;
  c.cpu = {"cpu", 1, 20, 200, 1.5, 2.0, 3.0, 64, 900.0};
  return c;
}

std::string expect_user_error(const std::string& text) {
  try {
    parse_metrics_json(text, "runs/x/eval/test/metrics.json");
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UserError for: " << text.substr(0, 80);
  return "";
}

TEST(MetricsJson, RoundTrip) {
  EvalRecord rec{"run-1", "test", "d.h5", "abc", {"a", "b", "c"}};
  EvalExtras ex;
  ex.meta = {{"channel", {"x", "y", "x", "y", "x", "y"}}};
  ex.lengths = {3, 9, 20, 40, 8, 16};
  ex.teacher_probs = six_rows().probs;
  ex.teacher_name = "teacher";
  ex.cost = some_cost();
  ex.transfer = six_rows();
  ex.transfer_split = "transfer";
  nlohmann::json j = evaluate_to_json(rec, six_rows(), ex);
  EXPECT_EQ(j["metrics"]["calibration"]["num_bins"], 15);
  EXPECT_EQ(j["uncertainty"]["resamples"], 1000);
  MetricsFile m = parse_metrics_json(j.dump(), "metrics.json");
  EXPECT_EQ(m.run_id, "run-1");
  EXPECT_EQ(m.n, 6);
  EXPECT_NEAR(m.accuracy, 4.0 / 6, 1e-12);
  EXPECT_NEAR(m.macro_f1, 59.0 / 90, 1e-12);
  EXPECT_LE(m.accuracy_ci.low, m.accuracy);
  EXPECT_GE(m.accuracy_ci.high, m.accuracy);
  ASSERT_EQ(m.per_class.size(), 3u);
  EXPECT_NEAR(m.per_class[0].f1, 0.8, 1e-12);
  EXPECT_EQ(m.confusion, (std::vector<std::vector<int64_t>>{{2, 0, 0}, {1, 1, 0}, {0, 1, 1}}));
  ASSERT_EQ(m.slices.size(), 6u);  // channel x, y + four length buckets
  EXPECT_EQ(m.slices[0].field, "channel");
  EXPECT_EQ(m.slices[5].value, "33+");
  ASSERT_TRUE(m.teacher_agreement.has_value());
  EXPECT_EQ(*m.teacher_agreement, 1.0);  // the same probabilities
  ASSERT_TRUE(m.transfer.has_value());
  EXPECT_NEAR(m.transfer->accuracy, 4.0 / 6, 1e-12);
  ASSERT_TRUE(m.cost.has_value());
  EXPECT_EQ(m.cost->params_non_embedding, 400);
  EXPECT_EQ(m.cost->cpu.p99_ms, 3.0);
  EXPECT_FALSE(m.cost->gpu.has_value());
}

TEST(MetricsJson, PairAucUndefinedIsNull) {
  EvalInput in;
  in.task = Task::kPair;
  in.probs = {2, 2, {.8, .2, .3, .7}};
  in.gold = {0, 0};  // no positive row: AUC undefined
  nlohmann::json j = evaluate_to_json({"r", "test", "", "", {"different", "same"}}, in);
  EXPECT_TRUE(j["metrics"]["roc_auc"].is_null());
  EXPECT_EQ(j["metrics"]["positive_label"], "same");
  EXPECT_NO_THROW(parse_metrics_json(j.dump(), "m.json"));
}

TEST(MetricsJson, MultiLabelHasThresholdAndNoConfusion) {
  EvalInput in;
  in.task = Task::kMultiLabel;
  in.threshold = 0.4;
  in.probs = {2, 2, {.5, .1, .3, .9}};
  in.gold_multi = {1, 0, 0, 1};
  nlohmann::json j = evaluate_to_json({"r", "test", "", "", {"x", "y"}}, in);
  EXPECT_EQ(j["metrics"]["threshold"], 0.4);
  EXPECT_EQ(j["metrics"]["accuracy"], 1.0);
  MetricsFile m = parse_metrics_json(j.dump(), "m.json");
  EXPECT_TRUE(m.confusion.empty());
  EXPECT_EQ(m.task, Task::kMultiLabel);
}

TEST(MetricsJson, BadFilesNameTheFileAndKey) {
  nlohmann::json good = evaluate_to_json({"r", "test", "", "", {"a", "b", "c"}}, six_rows());
  std::string msg = expect_user_error("{\"format\": ");
  EXPECT_NE(msg.find("runs/x/eval/test/metrics.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;

  nlohmann::json no_acc = good;
  no_acc["metrics"].erase("accuracy");
  msg = expect_user_error(no_acc.dump());
  EXPECT_NE(msg.find("'metrics.accuracy' is missing"), std::string::npos) << msg;

  nlohmann::json wrong = good;
  wrong["format"] = "zhengliu.run";
  msg = expect_user_error(wrong.dump());
  EXPECT_NE(msg.find("'format'"), std::string::npos) << msg;

  nlohmann::json bad_type = good;
  bad_type["n"] = "six";
  msg = expect_user_error(bad_type.dump());
  EXPECT_NE(msg.find("'n' must be an integer"), std::string::npos) << msg;

  EXPECT_THROW(read_metrics_json("/nonexistent/metrics.json"), UserError);
}

}  // namespace
}  // namespace zl::metrics
