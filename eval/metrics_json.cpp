#include "metrics_json.h"

#include <cmath>

#include "atomic_file.h"
#include "error.h"
#include "json_reader.h"

namespace zl::metrics {

using nlohmann::json;

namespace {

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json class_rows(const std::vector<ClassScores>& scores, const std::vector<std::string>& names) {
  json rows = json::array();
  for (size_t j = 0; j < scores.size(); ++j)
    rows.push_back({{"label", names[j]},
                    {"precision", scores[j].precision},
                    {"recall", scores[j].recall},
                    {"f1", scores[j].f1},
                    {"support", scores[j].support},
                    {"predicted", scores[j].predicted}});
  return rows;
}

json single_json(const SingleLabelMetrics& m, const std::vector<std::string>& names) {
  json bins = json::array();
  for (const auto& b : m.calibration.bins)
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_confidence", b.mean_confidence},
                    {"accuracy", b.accuracy}});
  return {{"accuracy", m.accuracy},
          {"macro_f1", m.macro_f1},
          {"weighted_f1", m.weighted_f1},
          {"top_k", m.top_k},
          {"top_k_accuracy", m.top_k_accuracy},
          {"per_class", class_rows(m.per_class, names)},
          {"confusion_matrix", {{"rows", "gold"}, {"columns", "predicted"}, {"counts", m.confusion}}},
          {"calibration", {{"ece", m.calibration.ece}, {"num_bins", bins.size()}, {"bins", bins}}}};
}

json device_json(const DeviceCost& d) {
  return {{"device", d.device},
          {"threads", d.threads},
          {"warmup_runs", d.warmup_runs},
          {"runs", d.runs},
          {"latency_ms", {{"batch_size", 1}, {"p50", d.p50_ms}, {"p95", d.p95_ms}, {"p99", d.p99_ms}}},
          {"throughput", {{"batch_size", d.throughput_batch}, {"examples_per_s", d.throughput_per_s}}}};
}

DeviceCost device_from(const JsonReader& r, const json& j, const std::string& path) {
  DeviceCost d;
  d.device = r.str(j, "device", path);
  d.threads = r.integer(j, "threads", path);
  d.warmup_runs = r.integer(j, "warmup_runs", path);
  d.runs = r.integer(j, "runs", path);
  const json& lat = r.object(j, "latency_ms", path);
  d.p50_ms = r.number(lat, "p50", path + ".latency_ms");
  d.p95_ms = r.number(lat, "p95", path + ".latency_ms");
  d.p99_ms = r.number(lat, "p99", path + ".latency_ms");
  const json& tp = r.object(j, "throughput", path);
  d.throughput_batch = r.integer(tp, "batch_size", path + ".throughput");
  d.throughput_per_s = r.number(tp, "examples_per_s", path + ".throughput");
  return d;
}

}  // namespace

json cost_to_json(const Cost& c) {
  return {{"params", {{"total", c.params_total}, {"non_embedding", c.params_non_embedding}}},
          {"file_size_bytes", {{"fp32", c.bytes_fp32}, {"fp16", c.bytes_fp16}, {"int8", c.bytes_int8}}},
          {"cpu", device_json(c.cpu)},
          {"gpu", c.gpu ? device_json(*c.gpu) : json(nullptr)}};
}

Cost cost_from_json(const json& j, const std::string& source) {
  JsonReader r{source};
  Cost c;
  const json& params = r.object(j, "params", "cost");
  c.params_total = r.integer(params, "total", "cost.params");
  c.params_non_embedding = r.integer(params, "non_embedding", "cost.params");
  const json& size = r.object(j, "file_size_bytes", "cost");
  c.bytes_fp32 = r.integer(size, "fp32", "cost.file_size_bytes");
  c.bytes_fp16 = r.integer(size, "fp16", "cost.file_size_bytes");
  c.bytes_int8 = r.integer(size, "int8", "cost.file_size_bytes");
  c.cpu = device_from(r, r.object(j, "cpu", "cost"), "cost.cpu");
  if (j.contains("gpu") && !j["gpu"].is_null()) c.gpu = device_from(r, r.object(j, "gpu", "cost"), "cost.gpu");
  return c;
}

json evaluate_to_json(const EvalRecord& record, const EvalInput& in, const EvalExtras& extras,
                      const EvalOptions& options) {
  in.validate();
  if (static_cast<int64_t>(record.label_names.size()) != in.num_labels())
    throw UserError("metrics.json: " + std::to_string(record.label_names.size()) + " label names for " +
                    std::to_string(in.num_labels()) + " probability columns");
  json metrics;
  switch (in.task) {
    case Task::kSingleLabel:
      metrics = single_json(single_label_metrics(in.probs, in.gold, options.calibration_bins), record.label_names);
      break;
    case Task::kPair: {
      PairMetrics m = pair_metrics(in.probs, in.gold, options.calibration_bins);
      metrics = single_json(m.base, record.label_names);
      metrics["positive_label"] = record.label_names[m.positive_class];
      metrics["positive_f1"] = m.positive_f1;
      metrics["roc_auc"] = number_or_null(m.roc_auc);
      break;
    }
    case Task::kMultiLabel: {
      MultiLabelMetrics m = multi_label_metrics(in.probs, in.gold_multi, in.threshold);
      metrics = {{"accuracy", m.subset_accuracy},  // the headline accuracy of a multi-label task
                 {"macro_f1", m.macro_f1},
                 {"micro_f1", m.micro_f1},
                 {"subset_accuracy", m.subset_accuracy},
                 {"threshold", m.threshold},
                 {"per_class", class_rows(m.per_label, record.label_names)}};
      break;
    }
  }
  BootstrapResult boot = bootstrap_ci(in, options.bootstrap_resamples, options.bootstrap_seed);

  json slices = json::array();
  for (const auto& s : slice_metrics(in, extras.meta, extras.lengths, options.length_upper_bounds))
    slices.push_back({{"field", s.field},
                      {"value", s.value},
                      {"n", s.metrics.n},
                      {"accuracy", s.metrics.accuracy},
                      {"macro_f1", s.metrics.macro_f1}});

  json agreement_json = nullptr;
  if (extras.teacher_probs) {
    const ProbMatrix& t = *extras.teacher_probs;
    if (t.rows != in.size() || t.cols != in.num_labels())
      throw UserError("metrics.json: the teacher's outputs have shape " + std::to_string(t.rows) + " x " +
                      std::to_string(t.cols) + ", the evaluated split " + std::to_string(in.size()) + " x " +
                      std::to_string(in.num_labels()));
    double a = in.task == Task::kMultiLabel ? agreement_multi(in.probs, t, in.threshold)
                                            : agreement(argmax_rows(in.probs), argmax_rows(t));
    agreement_json = {{"teacher", extras.teacher_name}, {"agreement", a}};
  }

  json transfer_json = nullptr;
  if (extras.transfer) {
    CoreMetrics t = core_metrics(*extras.transfer);
    transfer_json = {{"split", extras.transfer_split}, {"n", t.n}, {"accuracy", t.accuracy}, {"macro_f1", t.macro_f1}};
  }

  return {{"format", kMetricsFormat},
          {"format_version", kMetricsFormatVersion},
          {"toolkit_version", ZL_VERSION},
          {"run_id", record.run_id},
          {"split", record.split},
          {"dataset", {{"path", record.dataset_path}, {"content_sha256", record.dataset_sha256}}},
          {"task", task_name(in.task)},
          {"label_names", record.label_names},
          {"n", in.size()},
          {"metrics", metrics},
          {"uncertainty",
           {{"method", "bootstrap_percentile"},
            {"resamples", boot.resamples},
            {"seed", boot.seed},
            {"confidence", boot.confidence},
            {"accuracy", {{"low", boot.accuracy.low}, {"high", boot.accuracy.high}}},
            {"macro_f1", {{"low", boot.macro_f1.low}, {"high", boot.macro_f1.high}}}}},
          {"teacher_agreement", agreement_json},
          {"slices", {{"length_buckets", options.length_upper_bounds}, {"rows", slices}}},
          {"transfer", transfer_json},
          {"cost", extras.cost ? cost_to_json(*extras.cost) : json(nullptr)}};
}

MetricsFile parse_metrics_json(const std::string& text, const std::string& source) {
  JsonReader r{source};
  json j = r.parse(text);
  MetricsFile m;
  m.source = source;
  std::string format = r.str(j, "format", "");
  if (format != kMetricsFormat)
    r.fail("format", "is '" + format + "', expected '" + kMetricsFormat + "' (is this a metrics.json from kd eval?)");
  int64_t version = r.integer(j, "format_version", "");
  if (version != kMetricsFormatVersion)
    r.fail("format_version", "is " + std::to_string(version) + "; this kd reads version " +
                                 std::to_string(kMetricsFormatVersion) + " (re-run kd eval)");
  m.run_id = r.str(j, "run_id", "");
  m.split = r.str(j, "split", "");
  m.task = parse_task(r.str(j, "task", ""), source + ": task");
  for (const json& name : r.array(j, "label_names", "")) {
    if (!name.is_string()) r.fail("label_names", "must hold strings");
    m.label_names.push_back(name.get<std::string>());
  }
  if (m.label_names.empty()) r.fail("label_names", "is empty");
  m.n = r.integer(j, "n", "");
  if (m.n <= 0) r.fail("n", "must be positive (an evaluation of no rows)");

  const json& met = r.object(j, "metrics", "");
  m.accuracy = r.number(met, "accuracy", "metrics");
  m.macro_f1 = r.number(met, "macro_f1", "metrics");
  const json& rows = r.array(met, "per_class", "metrics");
  if (rows.size() != m.label_names.size())
    r.fail("metrics.per_class", "has " + std::to_string(rows.size()) + " rows for " +
                                    std::to_string(m.label_names.size()) + " labels");
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string path = "metrics.per_class[" + std::to_string(i) + "]";
    ClassRow c;
    c.label = r.str(rows[i], "label", path);
    c.precision = r.number(rows[i], "precision", path);
    c.recall = r.number(rows[i], "recall", path);
    c.f1 = r.number(rows[i], "f1", path);
    c.support = r.integer(rows[i], "support", path);
    m.per_class.push_back(c);
  }
  if (m.task != Task::kMultiLabel) {
    const json& cm = r.array(r.object(met, "confusion_matrix", "metrics"), "counts", "metrics.confusion_matrix");
    if (cm.size() != m.label_names.size()) r.fail("metrics.confusion_matrix.counts", "is not L x L");
    for (const json& row : cm) {
      if (!row.is_array() || row.size() != m.label_names.size())
        r.fail("metrics.confusion_matrix.counts", "is not L x L");
      std::vector<int64_t> counts;
      for (const json& v : row) {
        if (!v.is_number_integer()) r.fail("metrics.confusion_matrix.counts", "must hold integers");
        counts.push_back(v.get<int64_t>());
      }
      m.confusion.push_back(counts);
    }
  }

  const json& unc = r.object(j, "uncertainty", "");
  const json& acc_ci = r.object(unc, "accuracy", "uncertainty");
  m.accuracy_ci = {r.number(acc_ci, "low", "uncertainty.accuracy"), r.number(acc_ci, "high", "uncertainty.accuracy")};
  const json& f1_ci = r.object(unc, "macro_f1", "uncertainty");
  m.macro_f1_ci = {r.number(f1_ci, "low", "uncertainty.macro_f1"), r.number(f1_ci, "high", "uncertainty.macro_f1")};

  const json& sl = r.object(j, "slices", "");
  const json& slice_rows = r.array(sl, "rows", "slices");
  for (size_t i = 0; i < slice_rows.size(); ++i) {
    std::string path = "slices.rows[" + std::to_string(i) + "]";
    SliceRow s;
    s.field = r.str(slice_rows[i], "field", path);
    s.value = r.str(slice_rows[i], "value", path);
    s.n = r.integer(slice_rows[i], "n", path);
    s.accuracy = r.number(slice_rows[i], "accuracy", path);
    s.macro_f1 = r.number(slice_rows[i], "macro_f1", path);
    m.slices.push_back(s);
  }
  if (j.contains("teacher_agreement") && !j["teacher_agreement"].is_null())
    m.teacher_agreement = r.number(r.object(j, "teacher_agreement", ""), "agreement", "teacher_agreement");
  if (j.contains("transfer") && !j["transfer"].is_null()) {
    const json& t = r.object(j, "transfer", "");
    CoreMetrics c;
    c.n = r.integer(t, "n", "transfer");
    c.accuracy = r.number(t, "accuracy", "transfer");
    c.macro_f1 = r.number(t, "macro_f1", "transfer");
    m.transfer = c;
  }
  if (j.contains("cost") && !j["cost"].is_null()) m.cost = cost_from_json(r.object(j, "cost", ""), source);
  return m;
}

MetricsFile read_metrics_json(const std::string& path) {
  if (!file_exists(path))
    throw UserError(path + ": missing (run `kd eval` on this run first, or remove the run from the report)");
  return parse_metrics_json(read_file(path), path);
}

}  // namespace zl::metrics
