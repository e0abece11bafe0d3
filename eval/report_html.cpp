#include "report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "report_robustness.h"
#include "svg_chart.h"

namespace zl::report {

namespace {

const char* kBlue = "#1f6fd1";     // with distillation
const char* kOrange = "#e07b00";   // without distillation
const char* kTeacher = "#2b2f36";  // the teacher
const char* kGreen = "#2a9d4b";    // Pareto front, recommendation

std::string fmt(const char* pattern, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern, v);
  return buf;
}

std::string pct_label(double v) { return fmt("%.0f%%", v); }  // axis ticks in percent units

std::string color_of(const Group& g) {
  if (g.kind == "teacher") return kTeacher;
  return g.with_distillation ? kBlue : kOrange;
}
std::string fill_of(const Group& g) {
  if (g.kind == "teacher") return kTeacher;
  return g.with_distillation ? kBlue : "#ffffff";
}

// Marker shape per student architecture (in order of first appearance); the teacher is a diamond.
std::map<std::string, std::string> arch_shapes(const ReportData& d) {
  static const char* shapes[] = {"circle", "square", "triangle"};
  std::map<std::string, std::string> m;
  for (const Group& g : d.groups)
    if (g.kind == "student" && !m.count(g.architecture)) m[g.architecture] = shapes[std::min<size_t>(m.size(), 2)];
  return m;
}

std::string shape_of(const Group& g, const std::map<std::string, std::string>& shapes) {
  return g.kind == "teacher" ? "diamond" : shapes.at(g.architecture);
}

std::string kd_word(const Group& g) {
  if (g.kind == "teacher") return "teacher";
  return g.with_distillation ? "with KD" : "without KD";
}

std::string point_title(const Group& g) {
  std::string s = g.id + " (" + g.architecture + ", " + kd_word(g) + "): accuracy " + percent(g.accuracy, 2) +
                  " [" + fmt("%.2f", g.accuracy_ci.low * 100) + ", " + fmt("%.2f", g.accuracy_ci.high * 100) +
                  "], macro-F1 " + percent(g.macro_f1, 2) + ", " + format_params(g.params_total) + " parameters";
  if (g.latency_p50_ms) s += ", " + fmt("%.2f ms", *g.latency_p50_ms);
  return s;
}

bool deployable(const ReportData& d, const Group& g) {
  return g.kind == "teacher" || g.gold_label_share == d.full_share;
}

std::vector<SvgChart::LegendItem> model_legend(const ReportData& d, const std::map<std::string, std::string>& shapes,
                                               bool pareto, bool threshold) {
  std::vector<SvgChart::LegendItem> items;
  items.push_back({"diamond", kTeacher, kTeacher, "", "teacher 教师"});
  for (const auto& [arch, shape] : shapes)
    for (bool kd : {true, false}) {
      bool present = std::any_of(d.groups.begin(), d.groups.end(), [&](const Group& g) {
        return g.kind == "student" && g.architecture == arch && g.with_distillation == kd && deployable(d, g);
      });
      if (present)
        items.push_back({shape, kd ? kBlue : "#ffffff", kd ? kBlue : kOrange, "",
                         arch + (kd ? " with KD 蒸馏" : " without KD 未蒸馏")});
    }
  if (pareto) items.push_back({"line", "", kGreen, "", "Pareto front 最优边界"});
  if (threshold) items.push_back({"line", "", "#8a8f98", "2 4", "teacher − max drop 推荐门槛"});
  return items;
}

// ---- charts -------------------------------------------------------------------

// Charts plot the report's metric (report.metric), in percent.
double y_of(const ReportData& d, const Group& g) { return score(g, d.options.metric) * 100; }
std::string y_title(const ReportData& d, const std::string& suffix = " (%)") {
  return metric_title(d.options.metric) + suffix;
}

std::string accuracy_vs_params(const ReportData& d) {
  const Group& t = d.groups[d.teacher];
  const double floor = y_of(d, t) - d.options.max_drop_points;
  std::vector<double> xs, ys{y_of(d, t), floor};
  for (const Group& g : d.groups)
    if (deployable(d, g)) xs.push_back(static_cast<double>(g.params_total)), ys.push_back(y_of(d, g));
  Axis x = log_axis(xs, "parameters (log scale) 参数量（对数刻度）");
  x.hi *= 1.3;  // room for the labels on the right
  x.label = [](double v) { return format_params(static_cast<int64_t>(v)); };
  Axis y = linear_axis(ys, y_title(d), 0.15);
  y.label = [](double v) { return fmt("%.1f", v); };
  SvgChart c(940, 460, x, y, "chart-accuracy-params",
             d.options.metric == ReportMetric::kMacroF1 ? "Macro-F1 versus parameters" : "Accuracy versus parameters");
  c.right = 230;  // the legend sits right of the plot, never over a point
  auto shapes = arch_shapes(d);

  c.line(x.lo, y_of(d, t), x.hi, y_of(d, t), kTeacher, 1.2, "6 4");
  c.text(x.lo, y_of(d, t), "teacher 教师 " + percent(y_of(d, t) / 100), "start", 6, -6, 11, kTeacher);
  c.line(x.lo, floor, x.hi, floor, "#8a8f98", 1.2, "2 4");
  c.text(x.lo, floor, "teacher −" + fmt("%.1f", d.options.max_drop_points) + " pt 推荐门槛", "start", 6, 14, 11,
         "#6b7079");

  std::vector<std::pair<double, double>> front;
  for (const Group& g : d.groups)
    if (g.pareto) front.emplace_back(static_cast<double>(g.params_total), y_of(d, g));
  std::sort(front.begin(), front.end());
  c.polyline(front, kGreen, 2.5);

  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    if (!deployable(d, g)) continue;
    double gx = static_cast<double>(g.params_total), gy = y_of(d, g);
    if (d.recommended && *d.recommended == i) {
      c.marker("circle", gx, gy, 13, "none", kGreen, "recommended", 2.5);
      c.text(gx, gy, "★ 推荐 recommended", "middle", 0, 30, 12, kGreen, "bold");
    }
    c.marker(shape_of(g, shapes), gx, gy, g.kind == "teacher" ? 7 : 6, fill_of(g), color_of(g), point_title(g), 2);
    if (g.kind == "teacher")
      c.text(gx, gy, g.name, "end", -12, -8, 11, color_of(g));
    else
      c.text(gx, gy, g.name, "start", d.recommended && *d.recommended == i ? 16 : 10, 4, 11, color_of(g));
  }
  c.legend(model_legend(d, shapes, !front.empty(), true), c.plot_right() + 12, c.plot_top());
  c.axes();
  return c.str();
}

std::string latency_vs_accuracy(const ReportData& d) {
  std::vector<double> xs, ys;
  for (const Group& g : d.groups)
    if (deployable(d, g) && g.latency_p50_ms) xs.push_back(*g.latency_p50_ms), ys.push_back(y_of(d, g));
  if (xs.size() < 2) return "";
  double mx = *std::max_element(xs.begin(), xs.end()), mn = *std::min_element(xs.begin(), xs.end());
  Axis x = mn > 0 && mx / mn > 4 ? log_axis(xs, "CPU latency per message, p50 (ms, log scale) 单条延迟")
                                 : linear_axis(xs, "CPU latency per message, p50 (ms) 单条延迟");
  x.label = [](double v) { return fmt(v < 1 ? "%.2g" : "%g", v); };
  Axis y = linear_axis(ys, y_title(d), 0.15);
  y.label = [](double v) { return fmt("%.1f", v); };
  SvgChart c(940, 420, x, y, "chart-latency",
             d.options.metric == ReportMetric::kMacroF1 ? "Latency versus macro-F1" : "Latency versus accuracy");
  c.right = 230;
  auto shapes = arch_shapes(d);
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    if (!deployable(d, g) || !g.latency_p50_ms) continue;
    double gx = *g.latency_p50_ms, gy = y_of(d, g);
    if (d.recommended && *d.recommended == i) c.marker("circle", gx, gy, 13, "none", kGreen, "recommended", 2.5);
    c.marker(shape_of(g, shapes), gx, gy, g.kind == "teacher" ? 7 : 6, fill_of(g), color_of(g), point_title(g), 2);
    if (g.kind == "teacher")
      c.text(gx, gy, g.name, "end", -12, -8, 11, color_of(g));
    else
      c.text(gx, gy, g.name, "start", d.recommended && *d.recommended == i ? 16 : 10, 4, 11, color_of(g));
  }
  c.legend(model_legend(d, shapes, false, false), c.plot_right() + 12, c.plot_top());
  c.axes();
  return c.str();
}

// Students that exist with and without distillation at the full share.
std::vector<std::pair<size_t, size_t>> kd_pairs(const ReportData& d) {
  std::vector<std::pair<size_t, size_t>> pairs;  // (without, with)
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& a = d.groups[i];
    if (a.kind != "student" || a.with_distillation || a.gold_label_share != d.full_share) continue;
    for (size_t j = 0; j < d.groups.size(); ++j) {
      const Group& b = d.groups[j];
      if (b.kind == "student" && b.with_distillation && b.name == a.name && b.gold_label_share == a.gold_label_share)
        pairs.emplace_back(i, j);
    }
  }
  return pairs;
}

std::string kd_gain_chart(const ReportData& d) {
  auto pairs = kd_pairs(d);
  if (pairs.empty()) return "";
  const Group& t = d.groups[d.teacher];
  const ReportMetric m = d.options.metric;
  std::vector<double> ys{y_of(d, t)};
  Axis x;
  x.lo = 0, x.hi = static_cast<double>(pairs.size());
  x.title = "student 学生模型 (left: without KD 未蒸馏 · right: with KD 蒸馏)";
  for (auto [a, b] : pairs) {
    x.categories.push_back(d.groups[a].name + " (" + format_params(d.groups[a].params_total) + ")");
    for (size_t k : {a, b})
      ys.push_back(score_ci(d.groups[k], m).low * 100), ys.push_back(score_ci(d.groups[k], m).high * 100);
  }
  Axis y = linear_axis(ys, y_title(d, " (%), 95% CI"), 0.2);
  y.label = [](double v) { return fmt("%.1f", v); };
  int width = std::min(940, std::max(560, 170 * static_cast<int>(pairs.size()) + 72 + 190));
  SvgChart c(width, 400, x, y, "chart-kd-gain", "Distillation gain per student");
  c.right = 190;  // legend outside the plot
  c.line(x.lo, y_of(d, t), x.hi, y_of(d, t), kTeacher, 1.2, "6 4");
  c.text(x.hi, y_of(d, t), "teacher 教师 " + percent(y_of(d, t) / 100), "start", 6, 4, 11, kTeacher);
  for (size_t i = 0; i < pairs.size(); ++i) {
    const Group& a = d.groups[pairs[i].first];
    const Group& b = d.groups[pairs[i].second];
    double xa = i + 0.33, xb = i + 0.67;
    c.error_bar(xa, score_ci(a, m).low * 100, score_ci(a, m).high * 100, kOrange);
    c.error_bar(xb, score_ci(b, m).low * 100, score_ci(b, m).high * 100, kBlue);
    c.marker("circle", xa, y_of(d, a), 6, "#ffffff", kOrange, point_title(a), 2);
    c.marker("circle", xb, y_of(d, b), 6, kBlue, kBlue, point_title(b), 2);
    double gain = y_of(d, b) - y_of(d, a);
    double top = std::max(score_ci(a, m).high, score_ci(b, m).high) * 100;
    c.text(i + 0.5, top, (gain >= 0 ? "+" : "−") + fmt("%.1f", std::fabs(gain)) + " pt", "middle", 0, -22, 12,
           gain >= 0 ? kGreen : "#c0392b", "bold");
    if (!b.kd_tests.empty()) {
      std::string ps;
      for (size_t k = 0; k < b.kd_tests.size(); ++k) ps += (k ? ", " : "") + format_p(b.kd_tests[k].result.p_value);
      c.text(i + 0.5, top, "p = " + ps, "middle", 0, -8, 10, "#4a5059");
    }
  }
  c.legend({{"circle", "#ffffff", kOrange, "", "without KD 未蒸馏"}, {"circle", kBlue, kBlue, "", "with KD 蒸馏"}},
           c.plot_right() + 12, c.plot_top() + 24);
  c.axes();
  return c.str();
}

std::string label_share_chart(const ReportData& d) {
  std::set<double> shares;
  for (const Group& g : d.groups)
    if (g.kind == "student") shares.insert(g.gold_label_share);
  if (shares.size() < 2) return "";
  // One line per (name, distillation) that has at least two shares.
  std::map<std::pair<std::string, bool>, std::vector<const Group*>> lines;
  for (const Group& g : d.groups)
    if (g.kind == "student") lines[{g.name, g.with_distillation}].push_back(&g);
  std::vector<double> xs(shares.begin(), shares.end()), ys{y_of(d, d.groups[d.teacher])};
  for (const auto& [key, gs] : lines)
    if (gs.size() >= 2)
      for (const Group* g : gs) ys.push_back(y_of(d, *g));
  Axis x = log_axis(xs, "share of gold labels the student saw (log scale) 学生可见的人工标注比例");
  x.lo = xs.front() / 1.4, x.hi = xs.back() * 1.25;
  x.label = [](double v) { return share_label(v); };
  Axis y = linear_axis(ys, y_title(d), 0.12);
  y.label = [](double v) { return fmt("%.1f", v); };
  SvgChart c(940, 400, x, y, "chart-label-share",
             d.options.metric == ReportMetric::kMacroF1 ? "Macro-F1 versus share of gold labels"
                                                         : "Accuracy versus share of gold labels");
  c.right = 230;
  const Group& t = d.groups[d.teacher];
  c.line(x.lo, y_of(d, t), x.hi, y_of(d, t), kTeacher, 1.2, "6 4");
  c.text(x.lo, y_of(d, t), "teacher 教师 " + percent(y_of(d, t) / 100), "start", 6, -6, 11, kTeacher);
  for (auto& [key, gs] : lines) {
    if (gs.size() < 2) continue;
    std::sort(gs.begin(), gs.end(), [](const Group* a, const Group* b) { return a->gold_label_share < b->gold_label_share; });
    std::vector<std::pair<double, double>> pts;
    for (const Group* g : gs) pts.emplace_back(g->gold_label_share, y_of(d, *g));
    std::string col = key.second ? kBlue : kOrange;
    c.polyline(pts, col, 2, key.second ? "" : "6 3");
    for (const Group* g : gs) c.marker("circle", g->gold_label_share, y_of(d, *g), 5, fill_of(*g), col, point_title(*g), 2);
    c.text(pts.front().first, pts.front().second, key.first + (key.second ? " +KD" : ""), "start", 8, key.second ? -8 : 16, 11, col);
  }
  c.legend({{"line", "", kBlue, "", "with teacher (KD) 有教师蒸馏"}, {"line", "", kOrange, "6 3", "gold labels only 仅人工标注"}},
           c.plot_right() + 12, c.plot_top());
  c.axes();
  return c.str();
}

// Mean per-class F1 of a group over its seeds.
std::vector<double> class_f1(const ReportData& d, const Group& g) {
  std::vector<double> f1(d.label_names.size(), 0);
  for (size_t r : g.runs)
    for (size_t j = 0; j < f1.size(); ++j) f1[j] += d.runs[r].metrics.per_class[j].f1 / g.runs.size();
  return f1;
}

std::string per_class_chart(const ReportData& d) {
  const Group& t = d.groups[d.teacher];
  const Group& f = d.groups[d.focus];
  std::vector<double> tf = class_f1(d, t), ff = class_f1(d, f);
  const size_t L = d.label_names.size();
  Axis x;
  x.lo = 0, x.hi = 1, x.title = "F1 (per class 各类别)";
  x.label = [](double v) { return fmt("%.1f", v); };
  // Category axis: slot i spans [i, i+1] from the bottom, so class j sits in slot L-1-j (first class on top).
  Axis y;
  y.lo = 0, y.hi = static_cast<double>(L);
  y.categories.assign(d.label_names.rbegin(), d.label_names.rend());
  SvgChart c(940, 90 + 30 * static_cast<int>(L), x, y, "chart-per-class", "Per-class F1, teacher and student");
  double widest = 0;
  for (const auto& n : d.label_names) widest = std::max(widest, text_width(n, 11));
  c.left = static_cast<int>(std::clamp(widest + 24, 80.0, 320.0));  // room for the class names
  c.right = 230;  // legend outside the plot
  for (size_t j = 0; j < L; ++j) {
    double slot = static_cast<double>(L - 1 - j);  // class j drawn from the top
    c.rect(0, slot + 0.52, tf[j], slot + 0.88, "#8a8f98", t.name + " " + d.label_names[j] + ": F1 " + fmt("%.3f", tf[j]));
    c.rect(0, slot + 0.12, ff[j], slot + 0.48, kBlue, f.name + " " + d.label_names[j] + ": F1 " + fmt("%.3f", ff[j]));
    c.text(ff[j], slot + 0.3, fmt("%.2f", ff[j]), "start", 4, 4, 10, "#333");
  }
  c.legend({{"square", "#8a8f98", "#8a8f98", "", "teacher 教师" + (t.name == "teacher" ? "" : " " + t.name)}, {"square", kBlue, kBlue, "", "student 学生 " + f.id}},
           c.plot_right() + 12, c.plot_top());
  c.axes();
  return c.str();
}

std::string confusion_table(const ReportData& d) {
  const Group& f = d.groups[d.focus];
  const size_t L = d.label_names.size();
  std::vector<std::vector<int64_t>> sum(L, std::vector<int64_t>(L, 0));
  for (size_t r : f.runs)
    for (size_t i = 0; i < L; ++i)
      for (size_t j = 0; j < L; ++j) sum[i][j] += d.runs[r].metrics.confusion[i][j];
  // Many classes: numbered columns (names in the row headers and tooltips) so the table stays narrow.
  const bool compact = L > 10;
  std::ostringstream s;
  s << "<div class=\"scroll\"><table class=\"confusion" << (compact ? " compact" : "")
    << "\"><thead><tr><th class=\"corner\">true ↓ / predicted →<br>真实 ↓ / 预测 →</th>";
  for (size_t j = 0; j < L; ++j)
    s << "<th class=\"col\" title=\"" << html_escape(d.label_names[j]) << "\">"
      << (compact ? std::to_string(j + 1) : "<span>" + html_escape(d.label_names[j]) + "</span>") << "</th>";
  s << "<th>n</th></tr></thead><tbody>";
  for (size_t i = 0; i < L; ++i) {
    int64_t row = 0;
    for (int64_t v : sum[i]) row += v;
    s << "<tr><th>" << (compact ? std::to_string(i + 1) + ". " : "") << html_escape(d.label_names[i]) << "</th>";
    for (size_t j = 0; j < L; ++j) {
      double share = row ? static_cast<double>(sum[i][j]) / row : 0;
      std::string bg = i == j ? "rgba(42,157,75," + fmt("%.2f", 0.1 + 0.8 * share) + ")"
                              : "rgba(192,57,43," + fmt("%.2f", std::min(0.9, 2.5 * share)) + ")";
      s << "<td style=\"background:" << (sum[i][j] ? bg : "transparent") << "\" title=\""
        << html_escape(d.label_names[i] + " → " + d.label_names[j]) << ": " << sum[i][j] << " ("
        << percent(share) << ")\">" << (sum[i][j] == 0 ? "·"
          : share < 0.005 ? (compact ? "&lt;1" : "&lt;1%")
          : compact ? fmt("%.0f", share * 100)  // the % sign is in the caption
                    : percent(share, 0))
      << "</td>";
    }
    s << "<td class=\"n\">" << row << "</td></tr>";
  }
  s << "</tbody></table></div>";
  return s.str();
}

struct SliceKey {
  std::string field, value;
  bool operator<(const SliceKey& o) const { return std::tie(field, value) < std::tie(o.field, o.value); }
};

std::map<SliceKey, std::pair<int64_t, double>> slice_means(const ReportData& d, const Group& g) {
  std::map<SliceKey, std::pair<int64_t, double>> m;  // n, mean accuracy
  std::map<SliceKey, int> count;
  for (size_t r : g.runs)
    for (const auto& s : d.runs[r].metrics.slices) {
      auto& e = m[{s.field, s.value}];
      e.first = s.n;
      e.second += s.accuracy;
      ++count[{s.field, s.value}];
    }
  for (auto& [k, v] : m) v.second /= count[k];
  return m;
}

std::string slices_table(const ReportData& d) {
  const Group& t = d.groups[d.teacher];
  const Group& f = d.groups[d.focus];
  auto ts = slice_means(d, t), fs = slice_means(d, f);
  std::map<SliceKey, std::pair<int64_t, double>> cs;
  if (d.counterpart) cs = slice_means(d, d.groups[*d.counterpart]);
  if (ts.empty() && fs.empty()) return "<p>No slices in the metrics files (kd eval writes them when the data has metadata fields).</p>";
  // Rows in the teacher's order (fields, then length buckets as kd eval wrote them).
  std::vector<SliceKey> keys;
  std::set<SliceKey> seen;
  for (size_t r : t.runs)
    for (const auto& s : d.runs[r].metrics.slices)
      if (seen.insert({s.field, s.value}).second) keys.push_back({s.field, s.value});
  for (size_t r : f.runs)
    for (const auto& s : d.runs[r].metrics.slices)
      if (seen.insert({s.field, s.value}).second) keys.push_back({s.field, s.value});
  std::ostringstream s;
  s << "<table class=\"slices\"><thead><tr><th>slice 切片</th><th>value 取值</th><th>n</th><th>teacher 教师<br>"
    << html_escape(t.name) << "</th><th>student 学生<br>" << html_escape(f.id) << "</th>";
  if (d.counterpart) s << "<th>" << html_escape(d.groups[*d.counterpart].id) << "</th>";
  s << "<th>student − teacher<br>学生 − 教师</th></tr></thead><tbody>";
  for (const auto& k : keys) {
    auto ti = ts.find(k), fi = fs.find(k);
    std::string field = k.field == "length" ? "length (tokens) 长度" : k.field;
    s << "<tr><td>" << html_escape(field) << "</td><td>" << html_escape(k.value) << "</td><td class=\"num\">"
      << (ti != ts.end() ? std::to_string(ti->second.first) : fi != fs.end() ? std::to_string(fi->second.first) : "")
      << "</td><td class=\"num\">" << (ti != ts.end() ? percent(ti->second.second) : "—") << "</td><td class=\"num\">"
      << (fi != fs.end() ? percent(fi->second.second) : "—") << "</td>";
    if (d.counterpart) {
      auto ci = cs.find(k);
      s << "<td class=\"num\">" << (ci != cs.end() ? percent(ci->second.second) : "—") << "</td>";
    }
    if (ti != ts.end() && fi != fs.end()) {
      double diff = (fi->second.second - ti->second.second) * 100;
      bool bad = diff < -2 * d.options.max_drop_points;
      s << "<td class=\"num" << (bad ? " bad" : "") << "\">" << (diff >= 0 ? "+" : "−") << fmt("%.1f", std::fabs(diff))
        << " pt</td>";
    } else {
      s << "<td class=\"num\">—</td>";
    }
    s << "</tr>";
  }
  s << "</tbody></table><p class=\"note\">Red: the student is more than " << fmt("%.1f", 2 * d.options.max_drop_points)
    << " points below the teacher on this slice. 红色：该切片上学生比教师低 " << fmt("%.1f", 2 * d.options.max_drop_points)
    << " 个百分点以上。Small slices (small n) vary a lot. 样本少的切片波动大。</p>";
  return s.str();
}

std::string results_table(const ReportData& d) {
  bool shares = false;
  for (const Group& g : d.groups) shares = shares || g.gold_label_share != d.full_share;
  std::ostringstream s;
  s << "<div class=\"scroll\"><table class=\"results\"><thead><tr><th>model 模型</th><th>arch 结构</th><th>params 参数量</th>"
       "<th>non-emb params 非嵌入参数</th><th>with KD? 蒸馏</th>"
    << (shares ? "<th>gold labels 人工标注</th>" : "")
    << "<th>seeds</th><th>accuracy 准确率<br>mean [95% CI]</th><th>macro-F1</th><th>agreement with teacher 与教师一致</th>"
       "<th>latency p50 延迟</th><th>size fp32 / int8 大小</th></tr></thead><tbody>";
  for (size_t i = 0; i < d.groups.size(); ++i) {
    const Group& g = d.groups[i];
    bool rec = d.recommended && *d.recommended == i;
    s << "<tr class=\"" << (g.kind == "teacher" ? "teacher" : "") << (rec ? " recommended" : "") << "\"><td>"
      << html_escape(g.name) << (g.kind == "teacher" ? " <span class=\"tag\">teacher 教师</span>" : "")
      << (rec ? " <span class=\"tag rec\">★ recommended 推荐</span>" : "") << "</td><td>" << html_escape(g.architecture)
      << "</td><td class=\"num\">" << format_params(g.params_total) << "</td><td class=\"num\">"
      << format_params(g.params_non_embedding) << "</td><td>"
      << (g.kind == "teacher" ? "—" : g.with_distillation ? "yes 是" : "no 否") << "</td>";
    if (shares) s << "<td class=\"num\">" << share_label(g.gold_label_share) << "</td>";
    s << "<td class=\"num\">" << g.seeds.size() << "</td><td class=\"num\"><b>" << percent(g.accuracy) << "</b> ["
      << fmt("%.1f", g.accuracy_ci.low * 100) << ", " << fmt("%.1f", g.accuracy_ci.high * 100) << "]</td><td class=\"num\">"
      << fmt("%.3f", g.macro_f1) << "</td><td class=\"num\">"
      << (g.kind == "teacher" ? "—" : g.teacher_agreement ? percent(*g.teacher_agreement) : "n/a")
      << "</td><td class=\"num\">" << (g.latency_p50_ms ? fmt("%.2f ms", *g.latency_p50_ms) : "n/a")
      << "</td><td class=\"num\">" << (g.bytes_fp32 ? format_bytes(*g.bytes_fp32) + " / " + format_bytes(*g.bytes_int8) : "n/a")
      << "</td></tr>";
  }
  s << "</tbody></table></div>";
  return s.str();
}

const char* kCss = R"css(
:root { color-scheme: light; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif;
  color: #1d2127; background: #f4f5f7; margin: 0; line-height: 1.5; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 36px 0 6px; border-bottom: 2px solid #e3e6ea; padding-bottom: 4px; }
.meta { color: #5b616b; font-size: 13px; }
.summary { background: #eef5ff; border-left: 5px solid #1f6fd1; padding: 14px 18px; margin: 18px 0; border-radius: 4px; }
.summary p { margin: 6px 0; }
.summary .zh { font-size: 18px; font-weight: 600; }
.summary .en { font-size: 16px; }
.summary .rule { font-size: 13px; color: #4a5059; }
.summary.none { background: #fff6e8; border-left-color: #e07b00; }
.explain { color: #4a5059; font-size: 13.5px; margin: 4px 0 10px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; font-family: inherit; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border: 1px solid #dde1e6; padding: 4px 8px; }
th { background: #f3f5f8; font-weight: 600; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.teacher td { background: #f7f7f9; }
tr.recommended td { background: #eaf7ee; }
.tag { font-size: 11px; background: #e3e6ea; border-radius: 3px; padding: 1px 5px; white-space: nowrap; }
.tag.rec { background: #2a9d4b; color: #fff; }
td.bad { color: #c0392b; font-weight: 600; }
.scroll { overflow-x: auto; }
table.results td { white-space: nowrap; }
table.confusion td { text-align: center; min-width: 34px; font-size: 12px; }
table.confusion th.col { writing-mode: vertical-rl; white-space: nowrap; vertical-align: bottom; font-size: 12px; }
table.confusion th.corner { font-size: 11px; font-weight: normal; color: #5b616b; }
table.confusion td.n { color: #5b616b; }
table.confusion tbody th { white-space: nowrap; font-weight: normal; }
table.confusion.compact th.col { writing-mode: horizontal-tb; text-align: center; }
table.confusion.compact td { min-width: 18px; padding: 3px 1px; font-size: 10px; }
table.confusion.compact th.col { padding: 3px 1px; font-size: 10px; }
.note { color: #5b616b; font-size: 12.5px; }
.warn { background: #fff1f0; border-left: 5px solid #c0392b; padding: 8px 14px; }
.warn.imbalance { margin: 18px 0 0; border-radius: 4px; }
.warn.imbalance p { margin: 4px 0; }
.warn.imbalance .zh { font-weight: 600; }
footer { color: #7a808a; font-size: 12px; margin-top: 36px; }
)css";

}  // namespace

std::string report_html(const ReportData& d) {
  const Group& t = d.groups[d.teacher];
  const Group& f = d.groups[d.focus];
  std::ostringstream h;
  std::string title = d.options.title.empty() ? "蒸馏报告 · Distillation report" : d.options.title;
  h << "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    << "<title>" << html_escape(title) << "</title><style>" << kCss << "</style></head><body><main>";
  h << "<h1>" << html_escape(title) << "</h1><div class=\"meta\">" << d.runs.size() << " runs · " << d.groups.size()
    << " models · " << d.label_names.size() << " classes · task " << task_name(d.task) << " · evaluated on the "
    << html_escape(d.options.split) << " split (" << d.runs[t.runs.front()].metrics.n << " messages)</div>";

  if (!d.warning_en.empty())
    h << "<section class=\"warn imbalance\" id=\"imbalance-warning\" role=\"alert\"><p class=\"zh\">⚠ "
      << html_escape(d.warning_zh) << "</p><p class=\"en\">⚠ " << html_escape(d.warning_en) << "</p></section>";
  h << "<section class=\"summary" << (d.recommended ? "" : " none") << "\" id=\"summary\"><p class=\"zh\">"
    << html_escape(d.summary_zh) << "</p><p class=\"en\">" << html_escape(d.summary_en) << "</p><p class=\"rule\">"
    << html_escape(d.rule_zh) << "<br>" << html_escape(d.rule_en) << "</p></section>";

  const bool f1 = d.options.metric == ReportMetric::kMacroF1;
  h << (f1 ? "<h2>宏平均 F1 与模型大小 · Macro-F1 versus model size</h2>" : "<h2>准确率与模型大小 · Accuracy versus model size</h2>")
    << "<p class=\"explain\">Each point is one model (mean of its "
       "seeds). Further left = smaller and cheaper; higher = better " << (f1 ? "macro-F1" : "accuracy") << ". The green line joins the models that no other "
       "model beats on both size and " << (f1 ? "macro-F1" : "accuracy") << " (the Pareto front). 每个点是一个模型；越靠左越小，越靠上越好；绿线连接在大小和"
    << (f1 ? "宏平均 F1" : "准确率") << "上都无法被超越的模型。</p>"
    << accuracy_vs_params(d);

  std::string lat = latency_vs_accuracy(d);
  h << (f1 ? "<h2>延迟与宏平均 F1 · Latency versus macro-F1</h2>" : "<h2>延迟与准确率 · Latency versus accuracy</h2>");
  if (lat.empty())
    h << "<p>Latency was not measured for these runs (kd eval writes it in the cost section). 这些模型未测量延迟。</p>";
  else
    h << "<p class=\"explain\">CPU time for one message (median, batch 1, " << (f.cpu_threads ? std::to_string(*f.cpu_threads) : "?")
      << " thread(s)). Further left = faster. 单条消息的 CPU 处理时间（中位数），越靠左越快。</p>" << lat;

  std::string kd = kd_gain_chart(d);
  if (!kd.empty())
    h << "<h2>蒸馏的收益 · What distillation adds</h2><p class=\"explain\">The same student trained on the gold labels "
         "only (left, hollow) and with the teacher's outputs (right, filled). Bars: 95% confidence interval from resampling "
         "the test messages. When the intervals overlap a lot, the difference may be chance; p: paired McNemar test per seed on the same messages, "
         "p &lt; 0.05 means the gain is unlikely to be chance. 同一学生模型不蒸馏（左）与蒸馏（右）的准确率；竖线为 95% 置信区间，区间重叠较多时差异可能只是偶然；"
         "p 为每个随机种子的 McNemar 配对检验，p &lt; 0.05 表示提升不太可能是偶然。</p>"
      << kd;

  std::string share = label_share_chart(d);
  if (!share.empty())
    h << "<h2>人工标注比例 · How many gold labels are needed</h2><p class=\"explain\">Students trained with a part of the "
         "gold labels; with the teacher, the rest of the messages are labelled by the teacher. 学生只使用部分人工标注；有教师时，其余消息由教师标注。</p>"
      << share;

  const metrics::MetricsFile& tm = d.runs[t.runs.front()].metrics;
  if (tm.transfer) {
    double gap = (tm.transfer->accuracy - t.accuracy) * 100;
    h << "<h2>教师在迁移数据上的准确率 · Teacher on the transfer rows</h2><p>Teacher accuracy on the " << tm.transfer->n
      << " transfer messages it labelled for the students: <b>" << percent(tm.transfer->accuracy) << "</b>, on the "
      << html_escape(d.options.split) << " split: <b>" << percent(t.accuracy) << "</b>. 教师在为学生标注的迁移数据上的准确率为 "
      << percent(tm.transfer->accuracy) << "，测试集上为 " << percent(t.accuracy) << "。</p>";
    if (gap > 3)
      h << "<p class=\"warn\">The teacher is " << fmt("%.1f", gap)
        << " points better on the transfer rows than on the test split: it may have seen them in training, which makes "
           "distillation look better than it will be in real use. 教师在迁移数据上明显好于测试集，可能在训练中见过这些数据，蒸馏效果可能被高估。</p>";
  }

  h << robustness_html(d);  // eval/report_robustness.h; nothing without noised evaluation splits

  h << "<h2>各类别 F1 · Per-class F1: teacher and " << (d.recommended ? "recommended" : "best") << " student</h2>"
    << "<p class=\"explain\">Which kinds of messages the student handles worse than the teacher. 学生在哪些类别上不如教师。</p>"
    << per_class_chart(d);

  if (d.task != Task::kMultiLabel)
    h << "<h2>混淆矩阵 · Confusion matrix of " << html_escape(f.id) << "</h2><p class=\"explain\">Rows: the true class; "
         "columns: what the student predicted; cells: share of the row in % (summed over "
      << f.runs.size() << " seed(s)). Green diagonal = correct; red = mistakes. 行为真实类别，列为预测类别；绿色对角线为正确，红色为错误。</p>"
      << confusion_table(d);

  h << "<h2>切片 · Where the student fails (slices)</h2><p class=\"explain\">Accuracy per channel, source or message length. "
       "按渠道、来源、消息长度分别统计的准确率。</p>"
    << slices_table(d);

  h << "<h2>全部结果 · All results</h2>" << results_table(d)
    << "<p class=\"note\">Accuracy: mean over seeds; interval: bootstrap 95% interval over the test messages (averaged over "
       "seeds). Agreement: share of messages where the student predicts the same class as the teacher. 准确率为各随机种子的平均值；区间为测试集自助法 95% 置信区间。</p>";
  h << "<footer>Generated by Zhengliu (蒸馏) kd report " << ZL_VERSION << " from " << d.runs.size()
    << " runs. Tables for scripts: summary.json, report.md.</footer>";
  h << "</main></body></html>\n";
  return h.str();
}

}  // namespace zl::report
