// kd report on the synthetic fixture (tests/fixtures/report): golden summary.json,
// the recommendation rule, and bad inputs named in the error.
#include "report_builder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "atomic_file.h"
#include "error.h"
#include "report_html.h"

namespace zl::report {
namespace {

namespace fs = std::filesystem;

const std::string kFixture = std::string(ZL_SOURCE_DIR) + "/tests/fixtures/report";

ReportData build(const std::vector<std::string>& inputs, ReportOptions options = {}) {
  return build_report_data(load_runs(find_run_dirs(inputs), options.split), options);
}

// A scratch copy of the fixture sweep that a test may damage.
class ScratchSweep {
 public:
  ScratchSweep() {
    dir_ = fs::temp_directory_path() /
           ("zl_report_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy(kFixture + "/sweep", dir_ / "sweep", fs::copy_options::recursive);
  }
  ~ScratchSweep() { fs::remove_all(dir_); }
  fs::path sweep() const { return dir_ / "sweep"; }
  fs::path run(const std::string& id) const { return dir_ / "sweep" / "runs" / id; }
  fs::path root() const { return dir_; }

 private:
  fs::path dir_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UserError";
  return "";
}

TEST(Report, SummaryMatchesGolden) {
  ReportData d = build({kFixture + "/sweep"});
  nlohmann::json actual = summary_json(d);
  nlohmann::json golden = nlohmann::json::parse(read_file(kFixture + "/golden_summary.json"));
  EXPECT_EQ(actual, golden) << "summary.json differs from the golden file; if the change is intended, see "
                               "tests/fixtures/report/README.md. Actual:\n"
                            << actual.dump(2);
}

TEST(Report, RecommendationFollowsTheRule) {
  // Fixture (synthetic): teacher 90.50%; small+kd seeds 89.83/89.67 -> 89.75%, within 1.0 point;
  // tiny+kd 88.83/89.33 -> 89.08%, 1.42 points below. Smallest within the drop: small+kd.
  ReportData d = build({kFixture + "/sweep"});
  ASSERT_TRUE(d.recommended.has_value());
  EXPECT_EQ(d.groups[*d.recommended].id, "small+kd@100%");
  EXPECT_EQ(d.groups[d.teacher].id, "teacher");
  EXPECT_NEAR(d.groups[*d.recommended].accuracy, (0.8983333333333333 + 0.8966666666666666) / 2, 1e-9);
  // 102267648 / 11610112 = 8.81 -> "1/8.8"; 89.75 / 90.50 = 99.17% -> "99.2%"
  EXPECT_NE(d.summary_zh.find("推荐学生模型 small"), std::string::npos) << d.summary_zh;
  EXPECT_NE(d.summary_zh.find("1/8.8"), std::string::npos) << d.summary_zh;
  EXPECT_NE(d.summary_zh.find("99.2%"), std::string::npos) << d.summary_zh;
  EXPECT_NE(d.summary_en.find("keeps 99.2% of the teacher's accuracy"), std::string::npos) << d.summary_en;
  ASSERT_TRUE(d.counterpart.has_value());
  EXPECT_EQ(d.groups[*d.counterpart].id, "small@100%");

  ReportOptions loose;
  loose.max_drop_points = 1.5;  // tiny+kd (1.42 below) now qualifies and is smaller
  ReportData l = build({kFixture + "/sweep"}, loose);
  EXPECT_EQ(l.groups[*l.recommended].id, "tiny+kd@100%");

  ReportOptions strict;
  strict.max_drop_points = 0.1;  // base+kd is 0.25 below: nobody qualifies
  ReportData s = build({kFixture + "/sweep"}, strict);
  EXPECT_FALSE(s.recommended.has_value());
  EXPECT_EQ(s.groups[s.focus].id, "base+kd@100%");  // the best student is still shown
  EXPECT_NE(s.summary_en.find("No student comes within 0.1 points"), std::string::npos) << s.summary_en;
  EXPECT_TRUE(summary_json(s)["recommended"].is_null());
}

// tests/fixtures/report/imbalanced (synthetic, README there): 正常咨询 is 87% of the test
// split; tiny+kd answers it nearly always (accuracy 91.50% > teacher 90.87%, macro-F1 58.4%).
TEST(ReportImbalanced, AccuracyRecommendsTheMajorityGuesserAndWarns) {
  ReportData d = build({kFixture + "/imbalanced"});
  ASSERT_TRUE(d.recommended.has_value());
  EXPECT_EQ(d.groups[*d.recommended].id, "tiny+kd@100%");
  EXPECT_EQ(d.majority_label, "正常咨询");
  EXPECT_NEAR(d.majority_share, 0.87, 1e-9);
  EXPECT_NE(d.warning_en.find("'正常咨询' is 87.0% of the test split"), std::string::npos) << d.warning_en;
  EXPECT_NE(d.warning_en.find("--metric macro_f1"), std::string::npos) << d.warning_en;
  EXPECT_NE(d.warning_zh.find("多数类别「正常咨询」占测试集的 87.0%"), std::string::npos) << d.warning_zh;
  // The summary sentence shows macro-F1 beside accuracy.
  EXPECT_NE(d.summary_en.find("keeps 100.7% of the teacher's accuracy (accuracy 91.5% vs 90.9%; macro-F1 58.4% vs 77.1%)"),
            std::string::npos)
      << d.summary_en;
  EXPECT_NE(d.summary_zh.find("宏平均 F1 58.4% 对 77.1%"), std::string::npos) << d.summary_zh;
  nlohmann::json j = summary_json(d);
  EXPECT_EQ(j["rule"]["metric"], "accuracy");
  EXPECT_EQ(j["majority_class"]["label"], "正常咨询");
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["warnings"][0]["kind"], "imbalance");
  std::string html = report_html(d);
  EXPECT_NE(html.find("id=\"imbalance-warning\""), std::string::npos);
  EXPECT_NE(html.find("数据不均衡"), std::string::npos);
  EXPECT_NE(report_markdown(d).find("Imbalanced data"), std::string::npos);
}

TEST(ReportImbalanced, MacroF1DrivesRecommendationHeadlineAndCharts) {
  ReportOptions o;
  o.metric = ReportMetric::kMacroF1;
  ReportData d = build({kFixture + "/imbalanced"}, o);
  ASSERT_TRUE(d.recommended.has_value());
  // teacher macro-F1 77.15%: tiny (58.4) and small (69.9) are far below, base (81.1) qualifies.
  EXPECT_EQ(d.groups[*d.recommended].id, "base+kd@100%");
  EXPECT_NE(d.rule_en.find("mean test macro-F1 over seeds"), std::string::npos) << d.rule_en;
  EXPECT_NE(d.rule_zh.find("宏平均 F1"), std::string::npos) << d.rule_zh;
  EXPECT_NE(d.summary_en.find("of the teacher's macro-F1 (macro-F1 81.1% vs 77.1%; accuracy 93.8% vs 90.9%)"),
            std::string::npos)
      << d.summary_en;
  EXPECT_NE(d.warning_en.find("This report ranks by macro-F1."), std::string::npos) << d.warning_en;
  EXPECT_EQ(summary_json(d)["rule"]["metric"], "macro_f1");
  std::string html = report_html(d);
  EXPECT_NE(html.find("Macro-F1 versus model size"), std::string::npos);
  EXPECT_NE(html.find("macro-F1 宏平均F1 (%)"), std::string::npos);  // the chart's axis title
  EXPECT_EQ(html.find("Accuracy versus model size"), std::string::npos);
}

TEST(ReportImbalanced, BalancedDataHasNoWarningAndMetricNamesAreChecked) {
  ReportData d = build({kFixture + "/sweep"});  // largest class 26% of the split
  EXPECT_TRUE(d.warning_en.empty());
  EXPECT_TRUE(summary_json(d)["warnings"].empty());
  EXPECT_EQ(report_html(d).find("imbalance-warning"), std::string::npos);
  EXPECT_EQ(parse_report_metric("macro_f1", "--metric"), ReportMetric::kMacroF1);
  EXPECT_NE(error_of([] { parse_report_metric("f1", "--metric"); }).find("--metric is 'f1'; use accuracy or macro_f1"),
            std::string::npos);
}

TEST(Report, ParetoFrontAndSeedAveraging) {
  ReportData d = build({kFixture + "/sweep"});
  std::vector<std::string> front;
  for (const Group& g : d.groups)
    if (g.pareto) front.push_back(g.id);
  // Full-share models: tiny+kd 89.08 (4.9M), small+kd 89.75 (11.6M), base+kd 90.25 (24.1M),
  // teacher 90.50 (102M) each beat everything smaller; the others are dominated.
  EXPECT_EQ(front, (std::vector<std::string>{"teacher", "tiny+kd@100%", "small+kd@100%", "base+kd@100%"}));
  for (const Group& g : d.groups)
    if (g.id == "tiny@100%") {
      EXPECT_EQ(g.seeds, (std::vector<int64_t>{1, 2}));
      EXPECT_NEAR(g.accuracy, (0.8616666666666667 + 0.8583333333333333) / 2, 1e-9);
      EXPECT_NEAR(g.accuracy_min, 0.8583333333333333, 1e-9);
    }
}

TEST(Report, WritesThreeSelfContainedFiles) {
  ScratchSweep s;
  ReportData d = build({s.sweep().string()});
  fs::path out = s.root() / "out";
  write_report(d, out.string());
  std::string html = read_file((out / "report.html").string());
  for (const char* cls : {"chart-accuracy-params", "chart-latency", "chart-kd-gain", "chart-label-share", "chart-per-class"})
    EXPECT_NE(html.find(cls), std::string::npos) << cls;
  EXPECT_NE(html.find("class=\"confusion\""), std::string::npos);
  EXPECT_NE(html.find("class=\"slices\""), std::string::npos);
  // Self-contained: no scripts, no external resources.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(read_file((out / "report.md").string()).find("| small **recommended** |"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(read_file((out / "summary.json").string())), summary_json(d));
}

TEST(Report, RunDirectoriesCanBeListed) {
  std::string runs = kFixture + "/sweep/runs/";
  ReportData d = build({runs + "teacher-s1", runs + "tiny-s1", runs + "tiny-kd-s1"});
  EXPECT_EQ(d.groups.size(), 3u);
  EXPECT_EQ(d.runs.size(), 3u);
}

TEST(ReportErrors, MissingMetricsNamesTheFile) {
  ScratchSweep s;
  fs::path m = s.run("tiny-s1") / "eval" / "test" / "metrics.json";
  fs::remove(m);
  std::string msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find(m.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("kd eval"), std::string::npos) << msg;
}

TEST(ReportErrors, CorruptJsonNamesTheFile) {
  ScratchSweep s;
  fs::path m = s.run("small-kd-s2") / "eval" / "test" / "metrics.json";
  std::string text = read_file(m.string());
  write_file_atomic(m.string(), text.substr(0, text.size() / 2));  // cut short
  std::string msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find(m.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;

  fs::path r = s.run("base-s1") / "run.json";
  write_file_atomic(r.string(), "{\"run_id\": \"base-s1\", \"name\": \"base\"}");
  write_file_atomic(m.string(), text);
  msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find(r.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'kind' is missing"), std::string::npos) << msg;
}

TEST(ReportErrors, EmptyDirectory) {
  ScratchSweep s;
  fs::path empty = s.root() / "empty";
  fs::create_directories(empty);
  std::string msg = error_of([&] { find_run_dirs({empty.string()}); });
  EXPECT_NE(msg.find(empty.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("no run directories"), std::string::npos) << msg;
  msg = error_of([&] { find_run_dirs({(s.root() / "nonexistent").string()}); });
  EXPECT_NE(msg.find("not a directory"), std::string::npos) << msg;
}

TEST(ReportErrors, DifferentLabelSetsNameTheFile) {
  ScratchSweep s;
  fs::path m = s.run("tiny-kd-s1") / "eval" / "test" / "metrics.json";
  nlohmann::json j = nlohmann::json::parse(read_file(m.string()));
  j["label_names"][5] = "售后服务";
  j["metrics"]["per_class"][5]["label"] = "售后服务";
  write_file_atomic(m.string(), j.dump());
  std::string msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find(m.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("differs from"), std::string::npos) << msg;
}

TEST(ReportErrors, InconsistentRuns) {
  ScratchSweep s;
  // metrics.json of another run
  fs::copy_file(s.run("tiny-s2") / "eval/test/metrics.json", s.run("tiny-s1") / "eval/test/metrics.json",
                fs::copy_options::overwrite_existing);
  std::string msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find("'run_id' is 'tiny-s2'"), std::string::npos) << msg;
}

TEST(ReportErrors, NoTeacherOrDuplicateSeed) {
  std::string runs = kFixture + "/sweep/runs/";
  std::string msg = error_of([&] { build({runs + "tiny-s1", runs + "tiny-kd-s1"}); });
  EXPECT_NE(msg.find("none of the 2 runs is a teacher"), std::string::npos) << msg;

  ScratchSweep s;
  fs::path r = s.run("tiny-s2") / "run.json";
  nlohmann::json j = nlohmann::json::parse(read_file(r.string()));
  j["seed"] = 1;  // now two runs of tiny@100% with seed 1
  write_file_atomic(r.string(), j.dump());
  msg = error_of([&] { build({s.sweep().string()}); });
  EXPECT_NE(msg.find("key 'seed' 1 repeats"), std::string::npos) << msg;
}

}  // namespace
}  // namespace zl::report

namespace zl::report {
namespace {

// The whole path kd eval -> kd report on real metric code: runs whose metrics.json
// comes from evaluate_to_json (pair and multi-label tasks, cost not measured).
class EvaluatedRuns {
 public:
  explicit EvaluatedRuns(const std::string& tag) {
    dir_ = fs::temp_directory_path() / ("zl_report_eval_" + std::to_string(::getpid()) + "_" + tag);
    fs::remove_all(dir_);
  }
  ~EvaluatedRuns() { fs::remove_all(dir_); }
  void add(const std::string& id, const std::string& name, const std::string& kind, bool kd, int64_t params,
           const metrics::EvalInput& in, const std::vector<std::string>& labels) {
    fs::path run = dir_ / "runs" / id;
    fs::create_directories(run / "eval" / "test");
    nlohmann::json info = {{"run_id", id},          {"name", name}, {"kind", kind},
                           {"architecture", "transformer"}, {"with_distillation", kd}, {"seed", 1},
                           {"gold_label_share", 1.0}, {"params", {{"total", params}, {"non_embedding", params / 2}}}};
    write_file_atomic((run / "run.json").string(), info.dump());
    metrics::EvalOptions opt;
    opt.bootstrap_resamples = 200;
    metrics::EvalExtras ex;
    ex.lengths.assign(static_cast<size_t>(in.size()), 5);
    nlohmann::json m = metrics::evaluate_to_json({id, "test", "d.h5", "sha", labels}, in, ex, opt);
    write_file_atomic((run / "eval" / "test" / "metrics.json").string(), m.dump());
  }
  std::string sweep() const { return dir_.string(); }

 private:
  fs::path dir_;
};

// n rows; the first `right` rows predicted correctly (probability .8 on the gold class).
metrics::EvalInput pair_input(int n, int right) {
  metrics::EvalInput in;
  in.task = Task::kPair;
  in.probs.rows = n, in.probs.cols = 2;
  for (int i = 0; i < n; ++i) {
    int gold = i % 2, pred = i < right ? gold : 1 - gold;
    in.gold.push_back(gold);
    in.probs.values.push_back(pred == 0 ? 0.8 : 0.2);
    in.probs.values.push_back(pred == 1 ? 0.8 : 0.2);
  }
  return in;
}

TEST(ReportFromEvaluate, PairTaskWithoutCost) {
  EvaluatedRuns r("pair");
  std::vector<std::string> labels = {"different", "same"};
  r.add("t", "teacher", "teacher", false, 1000000, pair_input(100, 90), labels);   // 90%
  r.add("a", "tiny", "student", true, 50000, pair_input(100, 89), labels);         // 89%: within 1.0
  r.add("b", "tiny", "student", false, 50000, pair_input(100, 80), labels);        // 80%
  ReportData d = build({r.sweep()});
  ASSERT_TRUE(d.recommended.has_value());
  EXPECT_EQ(d.groups[*d.recommended].id, "tiny+kd@100%");
  EXPECT_NE(d.summary_en.find("1/20 of the teacher's parameters"), std::string::npos) << d.summary_en;
  EXPECT_NE(d.summary_en.find("CPU latency not measured"), std::string::npos) << d.summary_en;
  EXPECT_NE(d.summary_en.find("+9.0 points"), std::string::npos) << d.summary_en;
  std::string html = report_html(d);
  EXPECT_NE(html.find("Latency was not measured"), std::string::npos);
  EXPECT_NE(html.find("class=\"confusion\""), std::string::npos);
  EXPECT_TRUE(summary_json(d)["models"][0]["latency_p50_ms"].is_null());
}

TEST(ReportFromEvaluate, MultiLabelHasNoConfusionMatrix) {
  EvaluatedRuns r("multi");
  auto input = [](int right) {
    metrics::EvalInput in;
    in.task = Task::kMultiLabel;
    in.probs.rows = 50, in.probs.cols = 3;
    for (int i = 0; i < 50; ++i)
      for (int j = 0; j < 3; ++j) {
        bool gold = (i + j) % 2 == 0;
        in.gold_multi.push_back(gold);
        in.probs.values.push_back((i < right) == gold ? 0.9 : 0.1);  // rows past `right` all wrong
      }
    return in;
  };
  r.add("t", "teacher", "teacher", false, 1000000, input(45), {"x", "y", "z"});
  r.add("s", "tiny", "student", true, 100000, input(40), {"x", "y", "z"});
  ReportData d = build({r.sweep()});
  EXPECT_EQ(d.task, Task::kMultiLabel);
  EXPECT_NEAR(d.groups[d.teacher].accuracy, 0.9, 1e-12);  // subset accuracy 45/50
  EXPECT_FALSE(d.recommended.has_value());                // 80% is 10 points below
  std::string html = report_html(d);
  EXPECT_EQ(html.find("class=\"confusion\""), std::string::npos);
  EXPECT_NE(html.find("chart-per-class"), std::string::npos);
}

}  // namespace
}  // namespace zl::report

namespace zl::report {
namespace {

// Multi-label: macro-F1 over labels drives the rule; a label on 80% of the rows warns.
TEST(ReportFromEvaluate, MultiLabelMacroF1AndImbalance) {
  EvaluatedRuns r("multi_f1");
  // 50 rows; label "常见" on rows 0-39 (80%), "少见" on every 5th, "罕见" on every 7th.
  auto gold = [](int i, int j) { return j == 0 ? i < 40 : j == 1 ? i % 5 == 0 : i % 7 == 0; };
  auto input = [&](auto predict) {
    metrics::EvalInput in;
    in.task = Task::kMultiLabel;
    in.probs.rows = 50, in.probs.cols = 3;
    for (int i = 0; i < 50; ++i)
      for (int j = 0; j < 3; ++j) {
        in.gold_multi.push_back(gold(i, j));
        in.probs.values.push_back(predict(i, j) ? 0.9 : 0.1);
      }
    return in;
  };
  std::vector<std::string> labels = {"常见", "少见", "罕见"};
  r.add("t", "teacher", "teacher", false, 1000000, input(gold), labels);  // perfect
  // tiny answers only the frequent label: subset accuracy 34/50, macro-F1 1/3.
  r.add("a", "tiny", "student", true, 50000, input([&](int i, int j) { return j == 0 && gold(i, 0); }), labels);
  // base flips "常见" on rows 35-44: subset accuracy 40/50, macro-F1 (0.875 + 1 + 1) / 3.
  r.add("b", "base", "student", true, 200000,
        input([&](int i, int j) { return j == 0 && i >= 35 && i < 45 ? !gold(i, j) : gold(i, j); }), labels);
  ReportOptions o;
  o.max_drop_points = 40;
  ReportData acc = build({r.sweep()}, o);
  EXPECT_EQ(acc.groups[*acc.recommended].id, "tiny+kd@100%");
  EXPECT_NE(acc.warning_en.find("the label '常见' is on 80.0% of the rows of the test split"), std::string::npos)
      << acc.warning_en;
  EXPECT_NE(acc.warning_zh.find("标签「常见」"), std::string::npos) << acc.warning_zh;
  o.metric = ReportMetric::kMacroF1;
  ReportData f1 = build({r.sweep()}, o);
  EXPECT_EQ(f1.groups[*f1.recommended].id, "base+kd@100%");
  EXPECT_NEAR(f1.groups[1].macro_f1, 1.0 / 3, 1e-9);  // groups: teacher, tiny, base (by size)
}

}  // namespace
}  // namespace zl::report
