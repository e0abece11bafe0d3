#include "report_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "error.h"
#include "json_reader.h"
#include "report_html.h"
#include "report_robustness.h"

namespace zl::report {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string fmt(const char* pattern, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern, v);
  return buf;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Rounds for summary.json so the golden file is stable across compilers.
json r4(double v) { return std::isfinite(v) ? json(std::round(v * 1e4) / 1e4) : json(nullptr); }
// p-values span many decades: 4 significant digits.
json sig4(double v) { return std::isfinite(v) ? json(std::stod(fmt("%.4g", v))) : json(nullptr); }
template <class T>
json opt4(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_integral_v<T>) return *v;
  else return r4(*v);
}

std::string group_id(const RunInfo& r) {
  if (r.kind == "teacher") return r.name;
  return r.name + (r.with_distillation ? "+kd" : "") + "@" + share_label(r.gold_label_share);
}

// The ratio teacher/student as "1/20" (or "1/3.5" below 10).
std::string ratio_text(double teacher, double student) {
  double r = teacher / student;
  if (r < 1) return fmt("%.1fx", 1 / r);  // a student larger than its teacher
  if (r >= 10) return "1/" + fmt("%.0f", r);
  return "1/" + fmt("%.1f", r);
}

bool has_latency(const Group& g) { return g.latency_p50_ms.has_value(); }

}  // namespace

ReportMetric parse_report_metric(const std::string& name, const std::string& where) {
  if (name == "accuracy") return ReportMetric::kAccuracy;
  if (name == "macro_f1") return ReportMetric::kMacroF1;
  throw UserError(where + " is '" + name + "'; use accuracy or macro_f1");
}

const char* report_metric_name(ReportMetric m) { return m == ReportMetric::kMacroF1 ? "macro_f1" : "accuracy"; }

double score(const Group& g, ReportMetric m) { return m == ReportMetric::kMacroF1 ? g.macro_f1 : g.accuracy; }

metrics::Interval score_ci(const Group& g, ReportMetric m) {
  return m == ReportMetric::kMacroF1 ? g.macro_f1_ci : g.accuracy_ci;
}

std::string metric_title(ReportMetric m) { return m == ReportMetric::kMacroF1 ? "macro-F1 宏平均F1" : "accuracy 准确率"; }

std::string percent(double share, int decimals) {
  return fmt(decimals == 0 ? "%.0f%%" : decimals == 2 ? "%.2f%%" : "%.1f%%", share * 100);
}

std::string format_params(int64_t n) {
  double v = static_cast<double>(n);
  if (v >= 1e9) return fmt("%.2fB", v / 1e9);
  if (v >= 1e6) return fmt(v >= 1e8 ? "%.0fM" : "%.1fM", v / 1e6);
  if (v >= 1e3) return fmt("%.0fK", v / 1e3);
  return std::to_string(n);
}

std::string format_bytes(int64_t n) {
  double v = static_cast<double>(n);
  if (v >= 1e9) return fmt("%.2f GB", v / 1e9);
  if (v >= 1e6) return fmt("%.1f MB", v / 1e6);
  if (v >= 1e3) return fmt("%.0f KB", v / 1e3);
  return std::to_string(n) + " B";
}

std::string format_p(double p) {
  if (p < 0.001) return "< 0.001";
  return fmt(p < 0.01 ? "%.3f" : "%.2f", p);
}

std::string share_label(double share) {
  double p = share * 100;
  return std::fabs(p - std::round(p)) < 1e-9 ? fmt("%.0f%%", p) : fmt("%.1f%%", p);
}

// ---- reading ------------------------------------------------------------------

RunInfo parse_run_json(const std::string& text, const std::string& source) {
  JsonReader r{source};
  json j = r.parse(text);
  RunInfo info;
  info.run_id = r.str(j, "run_id", "");
  info.name = r.str(j, "name", "");
  if (info.name.empty()) r.fail("name", "is empty");
  info.kind = r.str(j, "kind", "");
  if (info.kind != "teacher" && info.kind != "student") r.fail("kind", "is '" + info.kind + "'; use teacher or student");
  info.architecture = r.str(j, "architecture", "");
  info.with_distillation = r.boolean(j, "with_distillation", "");
  info.seed = r.integer(j, "seed", "");
  info.gold_label_share = r.number(j, "gold_label_share", "");
  if (!(info.gold_label_share > 0 && info.gold_label_share <= 1))
    r.fail("gold_label_share", "must be in (0, 1] (the share of gold labels the model was trained with)");
  const json& params = r.object(j, "params", "");
  info.params_total = r.integer(params, "total", "params");
  info.params_non_embedding = r.integer(params, "non_embedding", "params");
  if (info.params_total <= 0 || info.params_non_embedding < 0 || info.params_non_embedding > info.params_total)
    r.fail("params", "must satisfy 0 <= non_embedding <= total, total > 0");
  return info;
}

std::vector<std::string> find_run_dirs(const std::vector<std::string>& inputs) {
  if (inputs.empty()) throw UserError("kd report: give a sweep directory or run directories");
  std::set<std::string> found;
  for (const std::string& in : inputs) {
    if (!fs::is_directory(in)) throw UserError(in + ": not a directory (give a sweep directory or run directories)");
    if (fs::exists(fs::path(in) / "run.json")) {
      found.insert(fs::path(in).lexically_normal().string());
      continue;
    }
    size_t before = found.size();
    for (const fs::path& base : {fs::path(in), fs::path(in) / "runs"}) {
      if (!fs::is_directory(base)) continue;
      for (const auto& e : fs::directory_iterator(base))
        if (e.is_directory() && fs::exists(e.path() / "run.json")) found.insert(e.path().lexically_normal().string());
    }
    if (found.size() == before)
      throw UserError(in + ": no run directories found (expected " + in + "/<run>/run.json or " + in +
                      "/runs/<run>/run.json; is this the sweep's output directory?)");
  }
  return {found.begin(), found.end()};
}

std::vector<LoadedRun> load_runs(const std::vector<std::string>& run_dirs, const std::string& split) {
  std::vector<LoadedRun> runs;
  for (const std::string& dir : run_dirs) {
    std::string run_path = (fs::path(dir) / "run.json").string();
    LoadedRun run;
    run.info = parse_run_json(read_file(run_path), run_path);
    run.info.dir = dir;
    std::string metrics_path = (fs::path(dir) / "eval" / split / "metrics.json").string();
    run.metrics = metrics::read_metrics_json(metrics_path);
    if (run.metrics.split != split)
      throw UserError(metrics_path + ": key 'split' is '" + run.metrics.split + "', expected '" + split + "'");
    if (run.metrics.run_id != run.info.run_id)
      throw UserError(metrics_path + ": key 'run_id' is '" + run.metrics.run_id + "' but " + run_path + " says '" +
                      run.info.run_id + "' (metrics copied from another run? re-run kd eval)");
    if (run.metrics.cost && (run.metrics.cost->params_total != run.info.params_total ||
                             run.metrics.cost->params_non_embedding != run.info.params_non_embedding))
      throw UserError(metrics_path + ": key 'cost.params' disagrees with 'params' in " + run_path);
    if (!runs.empty()) {
      const LoadedRun& first = runs.front();
      if (run.metrics.task != first.metrics.task || run.metrics.label_names != first.metrics.label_names) {
        auto names = [](const std::vector<std::string>& v) {
          std::string s;
          for (size_t i = 0; i < v.size() && i < 6; ++i) s += (i ? ", " : "") + v[i];
          return s + (v.size() > 6 ? ", ..." : "");
        };
        throw UserError(metrics_path + ": task/label set (" + task_name(run.metrics.task) + ": " +
                        names(run.metrics.label_names) + ") differs from " + first.metrics.source + " (" +
                        task_name(first.metrics.task) + ": " + names(first.metrics.label_names) +
                        "); a report compares models of one dataset only");
      }
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

// ---- analysis -----------------------------------------------------------------

ReportData build_report_data(std::vector<LoadedRun> runs, const ReportOptions& options) {
  if (runs.empty()) throw UserError("kd report: no runs to report on");
  if (!(options.max_drop_points >= 0)) throw UserError("kd report: --max-drop must be >= 0 (percentage points)");
  ReportData d;
  d.options = options;
  d.runs = std::move(runs);
  d.task = d.runs[0].metrics.task;
  d.label_names = d.runs[0].metrics.label_names;

  // Group runs that differ only by seed.
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < d.runs.size(); ++i) {
    const RunInfo& r = d.runs[i].info;
    std::string id = group_id(r);
    auto it = index.find(id);
    if (it == index.end()) {
      Group g;
      g.id = id;
      g.name = r.name, g.kind = r.kind, g.architecture = r.architecture;
      g.with_distillation = r.with_distillation;
      g.gold_label_share = r.gold_label_share;
      g.params_total = r.params_total, g.params_non_embedding = r.params_non_embedding;
      it = index.emplace(id, d.groups.size()).first;
      d.groups.push_back(g);
    }
    Group& g = d.groups[it->second];
    const std::string src = r.dir + "/run.json";
    if (g.kind != r.kind || g.architecture != r.architecture || g.params_total != r.params_total)
      throw UserError(src + ": run '" + r.run_id + "' is named '" + r.name +
                      "' like another run but differs in kind, architecture or parameter count; give each model its own name");
    if (std::find(g.seeds.begin(), g.seeds.end(), r.seed) != g.seeds.end())
      throw UserError(src + ": key 'seed' " + std::to_string(r.seed) + " repeats another run of model '" + g.id +
                      "' (the same run given twice?)");
    g.runs.push_back(i);
    g.seeds.push_back(r.seed);
  }

  std::set<std::string> teachers;
  for (const Group& g : d.groups)
    if (g.kind == "teacher") teachers.insert(g.name);
  if (teachers.empty())
    throw UserError("kd report: none of the " + std::to_string(d.runs.size()) +
                    " runs is a teacher (run.json kind: teacher); the report compares students with their teacher");
  if (teachers.size() > 1)
    throw UserError("kd report: more than one teacher (" + *teachers.begin() + ", " + *std::next(teachers.begin()) +
                    "); report one teacher's students at a time");
  if (std::none_of(d.groups.begin(), d.groups.end(), [](const Group& g) { return g.kind == "student"; }))
    throw UserError("kd report: no student runs (run.json kind: student) besides the teacher");

  // Seed averages.
  for (Group& g : d.groups) {
    std::sort(g.runs.begin(), g.runs.end(),
              [&](size_t a, size_t b) { return d.runs[a].info.seed < d.runs[b].info.seed; });
    std::sort(g.seeds.begin(), g.seeds.end());
    std::vector<double> acc, lo, hi, f1, f1lo, f1hi, agree, p50, p95, p99, tput;
    for (size_t i : g.runs) {
      const metrics::MetricsFile& m = d.runs[i].metrics;
      acc.push_back(m.accuracy), lo.push_back(m.accuracy_ci.low), hi.push_back(m.accuracy_ci.high);
      f1.push_back(m.macro_f1), f1lo.push_back(m.macro_f1_ci.low), f1hi.push_back(m.macro_f1_ci.high);
      if (m.teacher_agreement) agree.push_back(*m.teacher_agreement);
      if (m.cost) {
        p50.push_back(m.cost->cpu.p50_ms), p95.push_back(m.cost->cpu.p95_ms), p99.push_back(m.cost->cpu.p99_ms);
        tput.push_back(m.cost->cpu.throughput_per_s);
        g.cpu_threads = m.cost->cpu.threads;
        g.bytes_fp32 = m.cost->bytes_fp32, g.bytes_fp16 = m.cost->bytes_fp16, g.bytes_int8 = m.cost->bytes_int8;
      }
    }
    g.accuracy = mean(acc);
    g.accuracy_min = *std::min_element(acc.begin(), acc.end());
    g.accuracy_max = *std::max_element(acc.begin(), acc.end());
    g.accuracy_ci = {mean(lo), mean(hi)};
    g.macro_f1 = mean(f1);
    g.macro_f1_ci = {mean(f1lo), mean(f1hi)};
    if (agree.size() == g.runs.size()) g.teacher_agreement = mean(agree);
    if (p50.size() == g.runs.size()) {  // only when every seed was measured
      g.latency_p50_ms = mean(p50), g.latency_p95_ms = mean(p95), g.latency_p99_ms = mean(p99);
      g.throughput_per_s = mean(tput);
    } else {
      g.cpu_threads.reset(), g.bytes_fp32.reset(), g.bytes_fp16.reset(), g.bytes_int8.reset();
    }
  }

  // Order: teacher, then students by size, name, without before with distillation, larger share first.
  std::sort(d.groups.begin(), d.groups.end(), [](const Group& a, const Group& b) {
    if ((a.kind == "teacher") != (b.kind == "teacher")) return a.kind == "teacher";
    if (a.params_total != b.params_total) return a.params_total < b.params_total;
    if (a.name != b.name) return a.name < b.name;
    if (a.with_distillation != b.with_distillation) return !a.with_distillation;
    return a.gold_label_share > b.gold_label_share;
  });
  d.teacher = 0;
  d.full_share = 0;
  for (const Group& g : d.groups)
    if (g.kind == "student") d.full_share = std::max(d.full_share, g.gold_label_share);

  const ReportMetric m = options.metric;
  // Pareto front over the teacher and the full-share students (the deployable models), on the chosen metric.
  for (size_t i = 0; i < d.groups.size(); ++i) {
    Group& g = d.groups[i];
    if (g.kind == "student" && g.gold_label_share != d.full_share) continue;
    bool dominated = false;
    for (const Group& o : d.groups) {
      if (&o == &g || (o.kind == "student" && o.gold_label_share != d.full_share)) continue;
      if (o.params_total <= g.params_total && score(o, m) >= score(g, m) &&
          (o.params_total < g.params_total || score(o, m) > score(g, m)))
        dominated = true;
    }
    g.pareto = !dominated;
  }

  // The recommendation: smallest full-share student within max_drop points of the teacher (chosen metric).
  const Group& t = d.groups[d.teacher];
  const double floor = score(t, m) - options.max_drop_points / 100.0;
  std::optional<size_t> best;  // best full-share student on the metric, the fallback focus
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    if (g.kind != "student" || g.gold_label_share != d.full_share) continue;
    if (!best || score(g, m) > score(d.groups[*best], m)) best = i;
    if (score(g, m) + 1e-12 < floor) continue;
    if (!d.recommended) {
      d.recommended = i;
      continue;
    }
    const Group& r = d.groups[*d.recommended];
    if (g.params_total < r.params_total || (g.params_total == r.params_total && score(g, m) > score(r, m)))
      d.recommended = i;
  }
  // McNemar tests recorded by kd eval: distilled run against its twin without the teacher.
  for (Group& g : d.groups) {
    if (g.kind != "student" || !g.with_distillation) continue;
    for (const Group& twin : d.groups) {
      if (twin.kind != "student" || twin.with_distillation || twin.name != g.name ||
          twin.gold_label_share != g.gold_label_share)
        continue;
      for (size_t r : g.runs)
        for (const auto& c : d.runs[r].metrics.comparisons)
          for (size_t o : twin.runs)
            if (d.runs[o].info.run_id == c.other_run_id)
              g.kd_tests.push_back({d.runs[r].info.seed, d.runs[r].info.run_id, c.other_run_id, c.result});
    }
  }

  d.focus = d.recommended ? *d.recommended : *best;
  const Group& f = d.groups[d.focus];
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    if (g.kind == "student" && g.name == f.name && g.gold_label_share == f.gold_label_share &&
        g.with_distillation != f.with_distillation)
      d.counterpart = i;
  }

  // The label distribution of the evaluation split: per-class support in the
  // teacher's metrics.json (every run was evaluated on the same split).
  const metrics::MetricsFile& tmf = d.runs[t.runs.front()].metrics;
  for (size_t j = 0; j < tmf.per_class.size() && tmf.n > 0; ++j) {
    double share = static_cast<double>(tmf.per_class[j].support) / static_cast<double>(tmf.n);
    if (share > d.majority_share) d.majority_share = share, d.majority_label = tmf.per_class[j].label;
  }

  // Plain-language summary.
  const bool f1 = m == ReportMetric::kMacroF1;
  const std::string m_en = f1 ? "macro-F1" : "accuracy";
  const std::string m_zh_w = f1 ? "宏平均 F1 " : "准确率";  // before a Chinese character
  const std::string split_zh = options.split == "test" ? std::string("测试集") : options.split + " ";
  const std::string drop = fmt("%.1f", options.max_drop_points);
  const std::string share_note_en =
      d.full_share < 1 ? " trained with " + share_label(d.full_share) + " of the gold labels" : "";
  const std::string share_note_zh = d.full_share < 1 ? "（使用 " + share_label(d.full_share) + " 人工标注）" : "";
  d.rule_en = "Rule: recommend the smallest student" + share_note_en + " whose mean " + options.split + " " + m_en +
              " over seeds is at most " + drop + " percentage points below the teacher's (" +
              percent(score(t, m), 2) + ", so at least " + percent(floor, 2) + ").";
  d.rule_zh = "推荐规则：在学生模型" + share_note_zh + "中，选参数量最小、且多个随机种子的平均" + split_zh + m_zh_w +
              "比教师（" + percent(score(t, m), 2) + "）低不超过 " + drop + " 个百分点（即不低于 " +
              percent(floor, 2) + "）的模型。";
  if (d.majority_share > kImbalanceWarnShare) {
    const bool multi = d.task == Task::kMultiLabel;
    const std::string share = percent(d.majority_share);
    d.warning_en = "Imbalanced data: " +
                   (multi ? "the label '" + d.majority_label + "' is on " + share + " of the rows of the " +
                                options.split + " split"
                          : "the majority class '" + d.majority_label + "' is " + share + " of the " +
                                options.split + " split") +
                   ". Accuracy flatters a model that mostly predicts it; macro-F1 weighs every class alike. " +
                   (f1 ? "This report ranks by macro-F1."
                       : "This report ranks by accuracy: judge by macro-F1 too, or choose it (kd report --metric "
                         "macro_f1, sweep config report.metric: macro_f1).");
    d.warning_zh = std::string("数据不均衡：") +
                   (multi ? "标签「" + d.majority_label + "」出现在" + split_zh + " " + share + " 的样本中"
                          : "多数类别「" + d.majority_label + "」占" + split_zh + "的 " + share) +
                   "。主要预测这一类的模型也能得到很高的准确率；宏平均 F1 对每个类别一视同仁。" +
                   (f1 ? "本报告按宏平均 F1 推荐。"
                       : "本报告按准确率推荐：请同时参考宏平均 F1，或改用它（kd report --metric macro_f1，"
                         "sweep 配置 report.metric: macro_f1）。");
  }
  auto latency_en = [&](const Group& g) {
    return g.latency_p50_ms ? fmt("%.2f ms", *g.latency_p50_ms) : std::string("not measured");
  };
  auto latency_zh = [&](const Group& g) {
    return g.latency_p50_ms ? fmt("%.2f ms", *g.latency_p50_ms) : std::string("未测量");
  };
  // Both measures side by side, the chosen one first.
  auto both_en = [&](const Group& a, const Group& b) {
    std::string acc = "accuracy " + percent(a.accuracy) + " vs " + percent(b.accuracy);
    std::string mf = "macro-F1 " + percent(a.macro_f1) + " vs " + percent(b.macro_f1);
    return f1 ? mf + "; " + acc : acc + "; " + mf;
  };
  auto both_zh = [&](const Group& a, const Group& b) {
    std::string acc = "准确率 " + percent(a.accuracy) + " 对 " + percent(b.accuracy);
    std::string mf = "宏平均 F1 " + percent(a.macro_f1) + " 对 " + percent(b.macro_f1);
    return f1 ? mf + "，" + acc : acc + "，" + mf;
  };
  std::string retention = fmt("%.1f%%", score(f, m) / score(t, m) * 100);
  std::string ratio = ratio_text(static_cast<double>(t.params_total), static_cast<double>(f.params_total));
  std::string threads = f.cpu_threads ? std::to_string(*f.cpu_threads) : "?";
  if (d.recommended) {
    d.summary_zh = "推荐学生模型 " + f.name + (f.with_distillation ? "（蒸馏）" : "（未蒸馏）") + "：参数量为教师的 " +
                   ratio + "，" + m_zh_w + "保持在教师的 " + retention + "（" + both_zh(f, t) + "），CPU 单条延迟 " +
                   latency_zh(f) + (has_latency(t) ? "（教师 " + latency_zh(t) + "）" : std::string()) + "。";
    d.summary_en = "Recommended student: " + f.name + (f.with_distillation ? " (distilled)" : " (not distilled)") +
                   " - " + ratio + " of the teacher's parameters, keeps " + retention + " of the teacher's " + m_en +
                   " (" + both_en(f, t) + "), CPU latency " + latency_en(f) + " per message" +
                   (has_latency(t) ? " (teacher " + latency_en(t) + ")" : std::string()) + ".";
  } else {
    d.summary_zh = "没有学生模型的" + m_zh_w + "在教师（" + percent(score(t, m)) + "）的 " + drop +
                   " 个百分点以内；最好的学生模型是 " + f.name + "：" + m_zh_w + "为教师的 " + retention + "（" +
                   both_zh(f, t) + "），参数量为教师的 " + ratio + "。";
    d.summary_en = "No student comes within " + drop + " points of the teacher's " + m_en + " (" +
                   percent(score(t, m)) + "); the best student is " + f.name + ": " + retention +
                   " of the teacher's " + m_en + " (" + both_en(f, t) + ") with " + ratio + " of its parameters.";
  }
  if (d.counterpart) {
    const Group& c = d.groups[*d.counterpart];
    const Group& kd = f.with_distillation ? f : c;
    const Group& plain = f.with_distillation ? c : f;
    double gain = (score(kd, m) - score(plain, m)) * 100;
    d.summary_zh += "同尺寸模型使用教师蒸馏后" + m_zh_w + "为 " + percent(score(kd, m)) + "，不蒸馏为 " +
                    percent(score(plain, m)) + "（" + (gain >= 0 ? "提高 " : "降低 ") + fmt("%.1f", std::fabs(gain)) +
                    " 个百分点）。";
    d.summary_en += " At this size, distillation gives " + (f1 ? "a macro-F1 of " : std::string()) +
                    percent(score(kd, m)) + " against " + percent(score(plain, m)) + " without the teacher (" +
                    (gain >= 0 ? "+" : "-") + fmt("%.1f", std::fabs(gain)) + " points).";
    if (!kd.kd_tests.empty()) {
      std::string en, zh;
      for (size_t i = 0; i < kd.kd_tests.size(); ++i) {
        const KdTest& k = kd.kd_tests[i];
        en += (i ? ", " : "") + std::string("p = ") + format_p(k.result.p_value) + " (seed " + std::to_string(k.seed) + ")";
        zh += (i ? "、" : "") + std::string("p = ") + format_p(k.result.p_value) + "（种子 " + std::to_string(k.seed) + "）";
      }
      // McNemar compares per-message correctness, i.e. accuracy, whatever the chosen metric.
      d.summary_en += std::string(" Paired McNemar test of ") + (f1 ? "the accuracy gain" : "this gain") + ": " + en +
                      "; p < 0.05 means it is unlikely to be chance.";
      d.summary_zh += std::string(f1 ? "准确率提升" : "该提升") + "的 McNemar 配对检验：" + zh +
                      "；p < 0.05 表示提升不太可能是偶然。";
    }
  }
  if (f.latency_p50_ms) {
    d.summary_en += " Latency: median (p50) of single-message calls on CPU with " + threads + " thread(s).";
    d.summary_zh += "延迟为 CPU（" + threads + " 线程）单条请求的中位数（p50）。";
  }
  return d;
}

// ---- outputs ------------------------------------------------------------------

json summary_json(const ReportData& d) {
  json models = json::array();
  for (const Group& g : d.groups) {
    json kd_tests = json::array();
    for (const KdTest& k : g.kd_tests)
      kd_tests.push_back({{"seed", k.seed},
                          {"run_id", k.run_id},
                          {"other_run_id", k.other_run_id},
                          {"b", k.result.b},
                          {"c", k.result.c},
                          {"method", k.result.method},
                          {"p_value", sig4(k.result.p_value)}});
    json run_ids = json::array();
    for (size_t i : g.runs) run_ids.push_back(d.runs[i].info.run_id);
    models.push_back({{"id", g.id},
                      {"name", g.name},
                      {"kind", g.kind},
                      {"architecture", g.architecture},
                      {"with_distillation", g.with_distillation},
                      {"gold_label_share", r4(g.gold_label_share)},
                      {"seeds", g.seeds},
                      {"run_ids", run_ids},
                      {"params_total", g.params_total},
                      {"params_non_embedding", g.params_non_embedding},
                      {"accuracy_mean", r4(g.accuracy)},
                      {"accuracy_ci_low", r4(g.accuracy_ci.low)},
                      {"accuracy_ci_high", r4(g.accuracy_ci.high)},
                      {"accuracy_seed_min", r4(g.accuracy_min)},
                      {"accuracy_seed_max", r4(g.accuracy_max)},
                      {"macro_f1_mean", r4(g.macro_f1)},
                      {"macro_f1_ci_low", r4(g.macro_f1_ci.low)},
                      {"macro_f1_ci_high", r4(g.macro_f1_ci.high)},
                      {"teacher_agreement", opt4(g.teacher_agreement)},
                      {"latency_p50_ms", opt4(g.latency_p50_ms)},
                      {"latency_p95_ms", opt4(g.latency_p95_ms)},
                      {"latency_p99_ms", opt4(g.latency_p99_ms)},
                      {"throughput_per_s", opt4(g.throughput_per_s)},
                      {"cpu_threads", opt4(g.cpu_threads)},
                      {"size_bytes_fp32", opt4(g.bytes_fp32)},
                      {"size_bytes_fp16", opt4(g.bytes_fp16)},
                      {"size_bytes_int8", opt4(g.bytes_int8)},
                      {"pareto", g.pareto},
                      {"mcnemar_vs_no_kd", kd_tests}});
  }
  const Group& t = d.groups[d.teacher];
  json transfer = nullptr;
  const metrics::MetricsFile& tm = d.runs[t.runs.front()].metrics;
  if (tm.transfer)
    transfer = {{"n", tm.transfer->n}, {"accuracy", r4(tm.transfer->accuracy)}, {"test_accuracy", r4(t.accuracy)}};
  json out = {{"format", "zhengliu.report_summary"},
          {"format_version", 1},
          {"split", d.options.split},
          {"task", task_name(d.task)},
          {"label_names", d.label_names},
          {"rule", {{"metric", report_metric_name(d.options.metric)},
                    {"max_drop_points", r4(d.options.max_drop_points)},
                    {"max_accuracy_drop_points", r4(d.options.max_drop_points)},  // format 1 name, kept for readers
                    {"en", d.rule_en},
                    {"zh", d.rule_zh}}},
          {"majority_class", d.majority_label.empty() ? json(nullptr)
                                                       : json{{"label", d.majority_label}, {"share", r4(d.majority_share)}}},
          {"warnings", d.warning_en.empty() ? json::array()
                                            : json::array({{{"kind", "imbalance"}, {"en", d.warning_en}, {"zh", d.warning_zh}}})},
          {"teacher", t.id},
          {"recommended", d.recommended ? json(d.groups[*d.recommended].id) : json(nullptr)},
          {"summary", {{"en", d.summary_en}, {"zh", d.summary_zh}}},
          {"teacher_transfer", transfer},
          {"models", models}};
  json robust = robustness_summary(d);  // eval/report_robustness.h; only when the runs were evaluated under noise
  if (!robust.is_null()) out["robustness"] = robust;
  return out;
}

std::string report_markdown(const ReportData& d) {
  std::ostringstream md;
  md << "# " << (d.options.title.empty() ? "Distillation report" : d.options.title) << "\n\n";
  if (!d.warning_en.empty()) md << "> **" << d.warning_zh << "**\n>\n> **" << d.warning_en << "**\n\n";
  md << d.summary_zh << "\n\n" << d.summary_en << "\n\n";
  md << "_" << d.rule_en << "_\n\n";
  md << "| model | arch | params | non-emb params | with KD? | gold labels | seeds | accuracy (mean, 95% CI) | "
        "macro-F1 | latency p50 | size fp32 / int8 |\n";
  md << "|---|---|---:|---:|---|---:|---:|---|---:|---:|---:|\n";
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    std::string name = g.name + (g.kind == "teacher" && g.name != "teacher" ? " (teacher)" : "") +
                       (d.recommended && *d.recommended == i ? " **recommended**" : "");
    md << "| " << name << " | " << g.architecture << " | " << format_params(g.params_total) << " | "
       << format_params(g.params_non_embedding) << " | "
       << (g.kind == "teacher" ? "-" : g.with_distillation ? "yes" : "no") << " | " << share_label(g.gold_label_share)
       << " | " << g.seeds.size() << " | " << percent(g.accuracy) << " [" << fmt("%.1f", g.accuracy_ci.low * 100)
       << ", " << fmt("%.1f", g.accuracy_ci.high * 100) << "] | " << fmt("%.3f", g.macro_f1) << " | "
       << (g.latency_p50_ms ? fmt("%.2f ms", *g.latency_p50_ms) : "n/a") << " | "
       << (g.bytes_fp32 ? format_bytes(*g.bytes_fp32) + " / " + format_bytes(*g.bytes_int8) : "n/a") << " |\n";
  }
  md << "\nAccuracy: mean over seeds; the interval is the per-seed bootstrap 95% interval (1 000 resamples of the "
        "test rows), averaged over seeds. Latency: CPU, batch 1, median.\n";
  const metrics::MetricsFile& tm = d.runs[d.groups[d.teacher].runs.front()].metrics;
  if (tm.transfer)
    md << "\nTeacher accuracy on the transfer rows it labelled: " << percent(tm.transfer->accuracy) << " (n = "
       << tm.transfer->n << ") against " << percent(d.groups[d.teacher].accuracy) << " on " << d.options.split
       << ".\n";
  const std::string robust = robustness_markdown(d);  // eval/report_robustness.h
  if (!robust.empty()) md << "\n" << robust;
  return md.str();
}

void write_report(const ReportData& d, const std::string& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw UserError(out_dir + ": cannot create the report directory (" + ec.message() + ")");
  // Render everything first, so an error leaves no partial set of files.
  std::string html = report_html(d);
  std::string md = report_markdown(d);
  std::string summary = summary_json(d).dump(2) + "\n";
  // All three or none: a full disk part-way leaves the previous report's files as they were.
  const fs::path dir(out_dir);
  write_files_atomic({{(dir / "summary.json").string(), summary},
                      {(dir / "report.md").string(), md},
                      {(dir / "report.html").string(), html}});
}

}  // namespace zl::report
