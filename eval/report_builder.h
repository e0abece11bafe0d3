// `kd report`: reads run directories (run.json + eval/<split>/metrics.json),
// averages seeds, picks the recommended student and writes report.html,
// report.md and summary.json. Inputs and outputs: docs/evaluation.md.
// Pure C++ (no LibTorch): the report only reads numbers that kd eval measured.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics_json.h"

namespace zl::report {

// run.json: the fields the report reads (a trainer may write more).
struct RunInfo {
  std::string dir;  // the run directory
  std::string run_id, name, kind, architecture;  // kind: teacher | student
  bool with_distillation = false;
  int64_t seed = 0;
  double gold_label_share = 1.0;  // share of the training split's gold labels used, (0, 1]
  int64_t params_total = 0, params_non_embedding = 0;
};
RunInfo parse_run_json(const std::string& text, const std::string& source);

struct LoadedRun {
  RunInfo info;
  metrics::MetricsFile metrics;
};

// Each input is a run directory (it holds run.json) or a sweep directory whose
// runs sit in <dir>/<run>/ or <dir>/runs/<run>/. Sorted, without duplicates.
std::vector<std::string> find_run_dirs(const std::vector<std::string>& inputs);
// Reads every run and checks they describe the same task and label set.
std::vector<LoadedRun> load_runs(const std::vector<std::string>& run_dirs, const std::string& split);

// The quality measure the recommendation, the headline and the charts use.
// macro_f1 weighs every class (multi-label: every label) alike, so a model that
// only learned the majority class does not look good on imbalanced data.
enum class ReportMetric { kAccuracy, kMacroF1 };
ReportMetric parse_report_metric(const std::string& name, const std::string& where);  // accuracy | macro_f1
const char* report_metric_name(ReportMetric m);                                      // "accuracy" | "macro_f1"

// Above this share of the evaluation split, one class is "the majority" and the
// report warns that accuracy flatters a model.
constexpr double kImbalanceWarnShare = 0.5;

struct ReportOptions {
  double max_drop_points = 1.0;  // recommendation: within this many points (of `metric`) of the teacher
  ReportMetric metric = ReportMetric::kAccuracy;
  std::string split = "test";
  std::string title;             // optional page title
};

// McNemar test of a distilled run against its twin trained without the teacher
// (same name, seed and gold-label share), as kd eval recorded it.
struct KdTest {
  int64_t seed = 0;
  std::string run_id, other_run_id;
  metrics::McNemarResult result;
};

// One model variant (name, distillation, gold-label share); its seeds averaged.
struct Group {
  std::string id;  // e.g. "tiny+kd@100%", "tiny@100%", "teacher"
  std::string name, kind, architecture;
  bool with_distillation = false;
  double gold_label_share = 1.0;
  int64_t params_total = 0, params_non_embedding = 0;
  std::vector<size_t> runs;  // indices into ReportData::runs, by seed
  std::vector<int64_t> seeds;
  double accuracy = 0, accuracy_min = 0, accuracy_max = 0;  // mean and range over seeds
  metrics::Interval accuracy_ci;  // mean of the per-seed bootstrap bounds
  double macro_f1 = 0;
  metrics::Interval macro_f1_ci;
  std::optional<double> teacher_agreement;
  // Cost (means over seeds); absent when kd eval did not measure it.
  std::optional<double> latency_p50_ms, latency_p95_ms, latency_p99_ms, throughput_per_s;
  std::optional<int64_t> cpu_threads, bytes_fp32, bytes_fp16, bytes_int8;
  bool pareto = false;  // no other model is at most as large and at least as accurate (one strictly)
  std::vector<KdTest> kd_tests;  // distilled students: tests against the twin without distillation
};

struct ReportData {
  ReportOptions options;
  std::vector<LoadedRun> runs;
  std::vector<Group> groups;  // teacher first, then students by size
  Task task = Task::kSingleLabel;
  std::vector<std::string> label_names;
  size_t teacher = 0;
  double full_share = 1.0;            // the largest gold-label share among students
  std::optional<size_t> recommended;  // group index
  size_t focus = 0;                   // recommended, else the most accurate student
  std::optional<size_t> counterpart;  // the focus model's twin with the other distillation setting
  std::string rule_en, rule_zh, summary_en, summary_zh;
  // The most frequent class of the evaluation split (per-class support of the
  // teacher's metrics.json; multi-label: the share of rows carrying the label).
  std::string majority_label;
  double majority_share = 0;
  std::string warning_en, warning_zh;  // empty unless majority_share > kImbalanceWarnShare
};

// The chosen metric of a model (mean over seeds) and its interval.
double score(const Group& g, ReportMetric m);
metrics::Interval score_ci(const Group& g, ReportMetric m);
std::string metric_title(ReportMetric m);  // "accuracy 准确率" | "macro-F1 宏平均F1"

ReportData build_report_data(std::vector<LoadedRun> runs, const ReportOptions& options);

nlohmann::json summary_json(const ReportData& data);  // floats rounded to 4 decimals
std::string report_markdown(const ReportData& data);

// Writes report.html, report.md and summary.json into out_dir (each atomically).
void write_report(const ReportData& data, const std::string& out_dir);

// Helpers shared with the HTML page.
std::string percent(double share, int decimals = 1);  // 0.9012 -> "90.1%"
std::string format_params(int64_t n);                 // 12345678 -> "12.3M"
std::string format_bytes(int64_t n);                  // -> "4.2 MB"
std::string share_label(double share);                // 0.05 -> "5%"
std::string format_p(double p);                       // 0.0123 -> "0.012", 1e-5 -> "< 0.001"

}  // namespace zl::report
