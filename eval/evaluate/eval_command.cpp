#include "eval_command.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <unordered_map>

#include "atomic_file.h"
#include "error.h"
#include "metrics.h"
#include "metrics_json.h"
#include "model_cost.h"
#include "predict.h"
#include "robustness.h"
#include "run_dir.h"
#include "run_training.h"
#include "teacher_file.h"

namespace zl {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// load_run with every failure of a damaged run directory as a UserError.
LoadedRun load_run_checked(const std::string& run_dir, const std::string& which) {
  if (!fs::is_directory(run_dir))
    throw UserError(run_dir + " is not a directory: pass a run directory (the --out of kd train or kd distill)");
  try {
    return load_run(run_dir, which);
  } catch (const UserError&) {
    throw;
  } catch (const c10::Error& e) {
    throw UserError(run_dir + " looks damaged: its weights could not be loaded (" +
                    std::string(e.what_without_backtrace()).substr(0, 300) + "); train it again");
  } catch (const std::exception& e) {
    throw UserError(run_dir + " looks damaged (" + std::string(e.what()).substr(0, 300) + "); train it again");
  }
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The model must have been trained for this dataset's task and label set (same order).
void check_compatible(const LoadedRun& run, const DatasetInfo& data, const std::string& data_path) {
  if (run.info.task != data.task)
    throw UserError(run.run_dir + " is a " + task_name(run.info.task) + " model but " + data_path + " is a " +
                    task_name(data.task) + " dataset: evaluate it on the dataset it was trained for");
  if (run.info.label_names != data.label_names)
    throw UserError(run.run_dir + " predicts the labels [" + join(run.info.label_names) + "] but " + data_path +
                    " has the labels [" + join(data.label_names) +
                    "]: evaluate it on a dataset prepared with the same label set");
  if (!run.info.tokenizer_sha256.empty() && !data.tokenizer_sha256.empty() &&
      run.info.tokenizer_sha256 != data.tokenizer_sha256)
    throw UserError(run.run_dir + " was trained with another tokenizer than " + data_path +
                    " (tokenizer sha256 " + run.info.tokenizer_sha256.substr(0, 12) + " vs " +
                    data.tokenizer_sha256.substr(0, 12) + "): its token ids mean different words there");
}

// The labelled rows of a split (unlabelled rows have no gold answer to score).
std::vector<int64_t> labelled_rows(const SplitData& s, Task task) {
  std::vector<int64_t> rows;
  for (size_t i = 0; i < s.size(); ++i)
    if (task == Task::kMultiLabel || s.labels[i] >= 0) rows.push_back(static_cast<int64_t>(i));
  return rows;
}

metrics::EvalInput make_input(Task task, int64_t L, const std::vector<double>& probs, const SplitData& s,
                              const std::vector<int64_t>& rows) {
  metrics::EvalInput in;
  in.task = task;
  in.probs.rows = static_cast<int64_t>(rows.size());
  in.probs.cols = L;
  in.probs.values = probs;
  for (int64_t r : rows) {
    if (task == Task::kMultiLabel)
      in.gold_multi.insert(in.gold_multi.end(), s.multi_hot.begin() + r * L, s.multi_hot.begin() + (r + 1) * L);
    else
      in.gold.push_back(s.labels[static_cast<size_t>(r)]);
  }
  in.validate();
  return in;
}

torch::Device pick_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  return resolve_device(name);
}

}  // namespace

json run_eval(const EvalRequest& req) {
  LoadedRun run = load_run_checked(req.run_dir, req.which);
  DatasetInfo info = read_dataset_info(req.data_path);
  check_compatible(run, info, req.data_path);
  SplitData split = read_split(req.data_path, req.split, /*with_text=*/true);
  if (split.size() == 0)
    throw UserError(req.data_path + ": split '" + req.split + "' is empty: there is nothing to evaluate");
  const Task task = info.task;
  const int64_t L = static_cast<int64_t>(info.label_names.size());
  std::vector<int64_t> rows = labelled_rows(split, task);
  if (rows.empty())
    throw UserError(req.data_path + ": split '" + req.split + "' has no gold labels (" +
                    std::to_string(split.size()) + " unlabelled rows): evaluate on a labelled split");
  const torch::Device device = pick_device(req.device);
  run.model->to(device);

  torch::Tensor logits = predict_logits(*run.model, split, info, rows, device, req.batch_size);
  metrics::EvalInput input = make_input(task, L, probabilities(logits, task), split, rows);

  metrics::EvalExtras extras;
  for (const auto& [field, values] : split.meta) {
    std::vector<std::string> v;
    for (int64_t r : rows) v.push_back(values[static_cast<size_t>(r)]);
    extras.meta[field] = v;
  }
  for (int64_t r : rows) extras.lengths.push_back(split.length(static_cast<size_t>(r)));

  // Agreement with the teacher, on the same rows, aligned by example id.
  if (!req.teacher_path.empty()) {
    TeacherInfo tinfo = read_teacher_info(req.teacher_path);
    if (tinfo.label_names != info.label_names || tinfo.task != task)
      throw UserError(req.teacher_path + " is a teacher file for another task or label set than " + req.data_path);
    TeacherSplit ts = read_teacher_split(req.teacher_path, req.split);
    std::vector<std::string> ids;
    for (int64_t r : rows) ids.push_back(split.ids[static_cast<size_t>(r)]);
    std::vector<float> tl = aligned_teacher_logits(req.teacher_path, tinfo, ts, ids);
    torch::Tensor t = torch::from_blob(tl.data(), {static_cast<int64_t>(rows.size()), L}, torch::kFloat32).clone();
    metrics::ProbMatrix tp;
    tp.rows = static_cast<int64_t>(rows.size());
    tp.cols = L;
    tp.values = probabilities(t, task);
    extras.teacher_probs = tp;
    extras.teacher_name = tinfo.teacher_run_id.empty() ? fs::path(req.teacher_path).filename().string()
                                                       : tinfo.teacher_run_id;
  }

  // A teacher's accuracy on the transfer rows it labelled without seeing their gold labels.
  if (!req.transfer_ids.empty()) {
    std::set<std::string> wanted;
    std::istringstream in(read_file(req.transfer_ids));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) wanted.insert(line);
    SplitData train = read_split(req.data_path, "train");
    std::vector<int64_t> trows;
    for (size_t i = 0; i < train.size(); ++i)
      if (wanted.count(train.ids[i]) && (task == Task::kMultiLabel || train.labels[i] >= 0))
        trows.push_back(static_cast<int64_t>(i));
    if (trows.size() != wanted.size())
      throw UserError(req.transfer_ids + ": " + std::to_string(wanted.size() - trows.size()) + " of its " +
                      std::to_string(wanted.size()) + " ids are not labelled rows of the train split of " +
                      req.data_path + " (the ids file belongs to another dataset?)");
    if (!trows.empty()) {
      torch::Tensor tl = predict_logits(*run.model, train, info, trows, device, req.batch_size);
      extras.transfer = make_input(task, L, probabilities(tl, task), train, trows);
      extras.transfer_split = "train";
    }
  }

  // McNemar against another run on the same rows.
  json comparison = nullptr;
  if (!req.compare_dir.empty()) {
    LoadedRun other = load_run_checked(req.compare_dir, req.which);
    check_compatible(other, info, req.data_path);
    other.model->to(device);
    torch::Tensor ol = predict_logits(*other.model, split, info, rows, device, req.batch_size);
    metrics::EvalInput oin = make_input(task, L, probabilities(ol, task), split, rows);
    metrics::McNemarResult mc = metrics::mcnemar(metrics::correct_rows(input), metrics::correct_rows(oin));
    metrics::CoreMetrics om = metrics::core_metrics(oin);
    comparison = {{"run_id", other.run_id},
                  {"run_dir", fs::absolute(req.compare_dir).lexically_normal().string()},
                  {"accuracy", om.accuracy},
                  {"macro_f1", om.macro_f1},
                  {"mcnemar",
                   {{"b_this_right_other_wrong", mc.b},
                    {"c_this_wrong_other_right", mc.c},
                    {"method", mc.method},
                    {"statistic", mc.statistic},
                    {"p_value", mc.p_value}}}};
    other.model->to(torch::kCPU);
  }

  // Robustness: the split's noised copies in the same file (kd data augment --noisy-eval).
  json robustness = nullptr;
  if (task != Task::kMultiLabel) {
    std::vector<RobustnessPoint> noisy;
    for (const auto& name : noisy_splits_of(info.split_names, req.split)) {
      SplitData ns = read_split(req.data_path, name);
      std::vector<int64_t> nrows = labelled_rows(ns, task);
      if (nrows.empty()) continue;
      torch::Tensor nl = predict_logits(*run.model, ns, info, nrows, device, req.batch_size);
      metrics::CoreMetrics nm = metrics::core_metrics(make_input(task, L, probabilities(nl, task), ns, nrows));
      noisy.push_back({name, noise_of_split(name), nm.n, nm.accuracy, nm.macro_f1});
    }
    if (!noisy.empty()) {
      metrics::CoreMetrics cm = metrics::core_metrics(input);
      robustness = robustness_json({req.split, "", cm.n, cm.accuracy, cm.macro_f1}, noisy);
    }
  }

  // Cost: sizes, CPU speed (one thread), GPU speed when there is one.
  json cost_extra = nullptr;
  if (req.measure_cost) {
    run.model->to(torch::kCPU);
    ParameterSizes sz = parameter_sizes(*run.model);
    metrics::Cost cost;
    cost.params_total = sz.params_total;
    cost.params_non_embedding = sz.params_non_embedding;
    cost.bytes_fp32 = sz.bytes_fp32;
    cost.bytes_fp16 = sz.bytes_fp16;
    cost.bytes_int8 = sz.bytes_int8;
    SpeedOptions so;
    so.runs = req.latency_runs;
    so.warmup_runs = req.warmup_runs;
    cost.cpu = measure_speed(*run.model, split, info, torch::kCPU, so);
    const int64_t all_threads = torch::get_num_threads();
    double tp_all = measure_cpu_throughput(*run.model, split, info, all_threads, so);
    if (torch::cuda::is_available()) cost.gpu = measure_speed(*run.model, split, info, torch::kCUDA, so);
    extras.cost = cost;
    cost_extra = {{"file_size_method",
                   "computed from the parameters: fp32 = 4 B and fp16 = 2 B per parameter; int8 = 1 B per value of "
                   "every parameter with >= 2 dimensions plus a 4 B fp32 per-tensor scale, 4 B per value otherwise"},
                  {"checkpoint_file_bytes", static_cast<int64_t>(fs::file_size(run.weights_path))},
                  {"cpu_throughput_all_threads", {{"threads", all_threads}, {"batch_size", so.throughput_batch},
                                                  {"examples_per_s", tp_all}}},
                  {"timing_note", "latency: batch 1, one intra-op thread (torch::set_num_threads(1)), forward pass "
                                  "only on real examples of the split, after warm-up"}};
  }

  metrics::EvalRecord record;
  record.run_id = run.run_id.empty() ? fs::path(req.run_dir).filename().string() : run.run_id;
  record.split = req.split;
  record.dataset_path = fs::absolute(req.data_path).lexically_normal().string();
  record.dataset_sha256 = info.content_sha256;
  record.label_names = info.label_names;
  metrics::EvalOptions options;
  options.bootstrap_resamples = req.bootstrap_resamples;
  json doc = metrics::evaluate_to_json(record, input, extras, options);

  // Fields kd eval adds to the schema (docs/eval-command.md); readers ignore them.
  doc["run"] = {{"run_dir", fs::absolute(req.run_dir).lexically_normal().string()},
                {"weights", req.which},
                {"weights_sha256", run.weights_sha256},
                {"model", run.model->describe()},
                {"architecture", run.model_config.architecture},
                {"trained_on", run.info.content_sha256}};
  doc["unlabelled_rows_skipped"] = static_cast<int64_t>(split.size() - rows.size());
  doc["comparison"] = comparison;
  doc["robustness"] = robustness;
  if (!cost_extra.is_null())
    for (auto it = cost_extra.begin(); it != cost_extra.end(); ++it) doc["cost"][it.key()] = it.value();
  if (!req.teacher_path.empty()) doc["teacher_agreement"]["teacher_file"] = fs::absolute(req.teacher_path).string();

  const std::string out = req.out_path.empty() ? req.run_dir + "/eval/" + req.split + "/metrics.json" : req.out_path;
  fs::path parent = fs::path(out).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  write_file_atomic(out, doc.dump(2) + "\n");
  doc["_written_to"] = out;
  return doc;
}

std::string eval_summary(const json& m) {
  auto num = [](const json& j, std::initializer_list<const char*> keys) -> double {
    const json* cur = &j;
    for (const char* k : keys) {
      if (!cur->is_object() || !cur->contains(k) || (*cur)[k].is_null()) return std::nan("");
      cur = &(*cur)[k];
    }
    return cur->is_number() ? cur->get<double>() : std::nan("");
  };
  char buf[512];
  std::ostringstream s;
  std::snprintf(buf, sizeof(buf), "%s on %s split (%lld rows, task %s)\n", m.value("run_id", "").c_str(),
                m.value("split", "").c_str(), static_cast<long long>(m.value("n", 0)),
                m.value("task", "").c_str());
  s << buf;
  std::snprintf(buf, sizeof(buf), "  accuracy  %.2f%%  (95%% CI %.2f-%.2f)\n  macro F1  %.2f%%  (95%% CI %.2f-%.2f)\n",
                100 * num(m, {"metrics", "accuracy"}), 100 * num(m, {"uncertainty", "accuracy", "low"}),
                100 * num(m, {"uncertainty", "accuracy", "high"}), 100 * num(m, {"metrics", "macro_f1"}),
                100 * num(m, {"uncertainty", "macro_f1", "low"}), 100 * num(m, {"uncertainty", "macro_f1", "high"}));
  s << buf;
  if (!std::isnan(num(m, {"metrics", "weighted_f1"}))) {
    std::snprintf(buf, sizeof(buf), "  weighted F1 %.2f%%, top-%lld accuracy %.2f%%, ECE %.4f\n",
                  100 * num(m, {"metrics", "weighted_f1"}), static_cast<long long>(num(m, {"metrics", "top_k"})),
                  100 * num(m, {"metrics", "top_k_accuracy"}), num(m, {"metrics", "calibration", "ece"}));
    s << buf;
  }
  if (!std::isnan(num(m, {"teacher_agreement", "agreement"}))) {
    std::snprintf(buf, sizeof(buf), "  agreement with the teacher %.2f%%\n", 100 * num(m, {"teacher_agreement", "agreement"}));
    s << buf;
  }
  if (!std::isnan(num(m, {"transfer", "accuracy"}))) {
    std::snprintf(buf, sizeof(buf), "  accuracy on its %lld transfer rows (labels never seen) %.2f%%\n",
                  static_cast<long long>(num(m, {"transfer", "n"})), 100 * num(m, {"transfer", "accuracy"}));
    s << buf;
  }
  if (m.contains("comparison") && m["comparison"].is_object()) {
    const json& c = m["comparison"];
    std::snprintf(buf, sizeof(buf), "  vs %s: accuracy %.2f%%; McNemar b=%lld c=%lld p=%.4g (%s)\n",
                  c.value("run_id", "").c_str(), 100 * num(c, {"accuracy"}),
                  static_cast<long long>(num(c, {"mcnemar", "b_this_right_other_wrong"})),
                  static_cast<long long>(num(c, {"mcnemar", "c_this_wrong_other_right"})),
                  num(c, {"mcnemar", "p_value"}), c["mcnemar"].value("method", "").c_str());
    s << buf;
  }
  if (m.contains("robustness") && m["robustness"].is_object()) {
    for (const json& p : m["robustness"]["noisy"]) {
      std::snprintf(buf, sizeof(buf), "  under noise %s (%s): accuracy %.2f%% (%+.2f points), macro-F1 %.2f%%\n",
                    p.value("noise", "").c_str(), p.value("split", "").c_str(), 100 * num(p, {"accuracy"}),
                    -num(p, {"accuracy_drop_points"}), 100 * num(p, {"macro_f1"}));
      s << buf;
    }
  }
  if (m.contains("cost") && m["cost"].is_object()) {
    std::snprintf(buf, sizeof(buf),
                  "  parameters %.0f (non-embedding %.0f); size fp32 %.2f MB, fp16 %.2f MB, int8 %.2f MB\n"
                  "  CPU latency (batch 1, %lld thread): p50 %.3f ms, p95 %.3f ms, p99 %.3f ms over %lld runs; "
                  "throughput (batch 64) %.0f/s\n",
                  num(m, {"cost", "params", "total"}), num(m, {"cost", "params", "non_embedding"}),
                  num(m, {"cost", "file_size_bytes", "fp32"}) / 1e6, num(m, {"cost", "file_size_bytes", "fp16"}) / 1e6,
                  num(m, {"cost", "file_size_bytes", "int8"}) / 1e6,
                  static_cast<long long>(num(m, {"cost", "cpu", "threads"})), num(m, {"cost", "cpu", "latency_ms", "p50"}),
                  num(m, {"cost", "cpu", "latency_ms", "p95"}), num(m, {"cost", "cpu", "latency_ms", "p99"}),
                  static_cast<long long>(num(m, {"cost", "cpu", "runs"})),
                  num(m, {"cost", "cpu", "throughput", "examples_per_s"}));
    s << buf;
    if (!std::isnan(num(m, {"cost", "gpu", "latency_ms", "p50"}))) {
      std::snprintf(buf, sizeof(buf), "  GPU latency p50 %.3f ms, p99 %.3f ms; throughput %.0f/s\n",
                    num(m, {"cost", "gpu", "latency_ms", "p50"}), num(m, {"cost", "gpu", "latency_ms", "p99"}),
                    num(m, {"cost", "gpu", "throughput", "examples_per_s"}));
      s << buf;
    }
  }
  return s.str();
}

}  // namespace zl
