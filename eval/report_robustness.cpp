#include "report_robustness.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.h"
#include "svg_chart.h"

namespace fs = std::filesystem;

namespace zl::report {

namespace {

std::string fmt(const char* pattern, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern, v);
  return buf;
}

std::string model_label(const Group& g) {
  std::string s = g.name;
  if (g.kind != "teacher") s += g.with_distillation ? " +KD" : " (no KD)";
  return s;
}

}  // namespace

std::optional<RobustnessTable> robustness_table(const ReportData& d) {
  RobustnessTable t;
  struct Sum {
    double acc = 0, f1 = 0, drop = 0;
    int64_t n = 0;
  };
  std::vector<std::pair<RobustnessRow, std::vector<Sum>>> rows;
  bool any = false;
  for (size_t gi = 0; gi < d.groups.size(); ++gi) {
    const Group& g = d.groups[gi];
    RobustnessRow row;
    row.group = gi;
    std::vector<Sum> sums;
    int64_t with = 0;
    for (size_t ri : g.runs) {
      const std::string path = (fs::path(d.runs[ri].info.dir) / "eval" / d.options.split / "metrics.json").string();
      std::ifstream in(path);
      nlohmann::json m;
      try {
        m = nlohmann::json::parse(in);
      } catch (const std::exception& e) {
        throw UserError(path + ": not JSON (" + e.what() + ")");
      }
      if (!m.contains("robustness") || !m["robustness"].is_object()) continue;
      try {
        const auto& r = m["robustness"];
        row.clean_accuracy += r.at("clean").at("accuracy").get<double>();
        row.clean_macro_f1 += r.at("clean").at("macro_f1").get<double>();
        ++with;
        for (const auto& p : r.at("noisy")) {
          const std::string noise = p.at("noise").get<std::string>();
          auto it = std::find(t.noises.begin(), t.noises.end(), noise);
          const size_t k = static_cast<size_t>(it - t.noises.begin());
          if (it == t.noises.end()) t.noises.push_back(noise);
          if (sums.size() <= k) sums.resize(k + 1);
          sums[k].acc += p.at("accuracy").get<double>();
          sums[k].f1 += p.at("macro_f1").get<double>();
          sums[k].drop += p.at("accuracy_drop_points").get<double>();
          ++sums[k].n;
        }
      } catch (const nlohmann::json::exception& e) {
        throw UserError(path + ": field 'robustness' is damaged (" + e.what() + "): run kd eval again");
      }
    }
    if (with == 0) continue;
    any = true;
    row.clean_accuracy /= static_cast<double>(with);
    row.clean_macro_f1 /= static_cast<double>(with);
    rows.emplace_back(row, sums);
  }
  if (!any) return std::nullopt;
  for (auto& [row, sums] : rows) {
    sums.resize(t.noises.size());
    for (const Sum& s : sums) {
      if (s.n == 0) {
        row.cells.push_back(std::nullopt);
        continue;
      }
      const double n = static_cast<double>(s.n);
      row.cells.push_back(RobustnessCell{s.acc / n, s.f1 / n, s.drop / n, s.n});
    }
    t.rows.push_back(row);
  }
  // The strongest noise: the last in order of appearance (kd sweep writes them in eval.noise order).
  double best = 1e9;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const Group& g = d.groups[t.rows[i].group];
    if (g.kind == "teacher" || t.rows[i].cells.empty() || !t.rows[i].cells.back()) continue;
    if (t.rows[i].cells.back()->drop_points < best) best = t.rows[i].cells.back()->drop_points, t.most_robust_student = i;
  }
  return t;
}

std::string robustness_html(const ReportData& d) {
  auto t = robustness_table(d);
  if (!t) return "";
  std::ostringstream s;
  s << "<h2 id=\"robustness\">抗噪声能力 · Robustness to typing and speech-recognition errors</h2><p class=\"explain\">"
       "Accuracy on the clean " << html_escape(d.options.split) << " messages and on copies with customer-service noise "
       "(homophones 同音字, near-homophones 近音字 such as zh/z and n/l, pinyin-IME words, dropped or repeated characters, "
       "lost punctuation; at level r a share r of the characters becomes a homophone and r/2 a near-homophone: kd data augment --noisy-eval). The drop is in "
       "accuracy points; a small drop means the model survives a voice channel (智能语音). 在干净测试集和加入同音字、近音字、"
       "拼音输入法错字、漏字重复字、缺失标点等噪声的副本上的准确率；下降越少，模型越能承受语音渠道的识别错误。</p>";
  if (t->most_robust_student) {
    const RobustnessRow& r = t->rows[*t->most_robust_student];
    const Group& g = d.groups[r.group];
    s << "<p class=\"explain\"><b>Most robust student at noise " << html_escape(t->noises.back()) << ": "
      << html_escape(model_label(g)) << "</b> (" << fmt("%.1f", r.cells.back()->accuracy * 100) << "%, "
      << fmt("%.1f", r.cells.back()->drop_points) << " points below its clean accuracy). 在最强噪声下最稳健的学生模型："
      << html_escape(model_label(g)) << "。</p>";
  }
  s << "<div class=\"scroll\"><table class=\"results robustness\"><thead><tr><th>model 模型</th><th>seeds</th>"
       "<th>clean 干净<br>accuracy / macro-F1</th>";
  for (const auto& n : t->noises)
    s << "<th>noise 噪声 " << html_escape(n) << "<br>accuracy (drop) / macro-F1</th>";
  s << "</tr></thead><tbody>";
  for (size_t i = 0; i < t->rows.size(); ++i) {
    const RobustnessRow& r = t->rows[i];
    const Group& g = d.groups[r.group];
    const bool best = t->most_robust_student && *t->most_robust_student == i;
    s << "<tr class=\"" << (g.kind == "teacher" ? "teacher" : "") << (best ? " recommended" : "") << "\"><td>"
      << html_escape(model_label(g)) << (g.kind == "teacher" ? " <span class=\"tag\">teacher 教师</span>" : "")
      << (g.gold_label_share != d.full_share ? " @" + share_label(g.gold_label_share) : "") << "</td><td class=\"num\">"
      << g.seeds.size() << "</td><td class=\"num\"><b>" << fmt("%.1f%%", r.clean_accuracy * 100) << "</b> / "
      << fmt("%.3f", r.clean_macro_f1) << "</td>";
    for (const auto& c : r.cells) {
      if (!c) {
        s << "<td class=\"num\">n/a</td>";
        continue;
      }
      const char* color = c->drop_points > 5 ? "#c0392b" : c->drop_points > 2 ? "#b9770e" : "#1e8449";
      s << "<td class=\"num\">" << fmt("%.1f%%", c->accuracy * 100) << " <span style=\"color:" << color << "\">("
        << fmt("%+.1f", -c->drop_points) << ")</span> / " << fmt("%.3f", c->macro_f1) << "</td>";
    }
    s << "</tr>";
  }
  s << "</tbody></table></div><p class=\"note\">Means over seeds; drop = clean accuracy minus noisy accuracy, in points "
       "(green: under 2, amber: 2-5, red: over 5). 各随机种子的平均值；括号内为相对干净数据的准确率变化（百分点）。</p>";
  return s.str();
}

std::string robustness_markdown(const ReportData& d) {
  auto t = robustness_table(d);
  if (!t) return "";
  std::ostringstream s;
  s << "## Robustness to noise\n\n| model | seeds | clean acc | clean macro-F1 |";
  for (const auto& n : t->noises) s << " acc @ " << n << " | drop (points) | macro-F1 @ " << n << " |";
  s << "\n|---|---|---|---|";
  for (size_t k = 0; k < t->noises.size(); ++k) s << "---|---|---|";
  s << "\n";
  for (const auto& r : t->rows) {
    const Group& g = d.groups[r.group];
    s << "| " << model_label(g) << (g.gold_label_share != d.full_share ? " @" + share_label(g.gold_label_share) : "")
      << " | " << g.seeds.size() << " | " << fmt("%.2f%%", r.clean_accuracy * 100) << " | "
      << fmt("%.3f", r.clean_macro_f1) << " |";
    for (const auto& c : r.cells) {
      if (!c) s << " n/a | n/a | n/a |";
      else
        s << " " << fmt("%.2f%%", c->accuracy * 100) << " | " << fmt("%.2f", c->drop_points) << " | "
          << fmt("%.3f", c->macro_f1) << " |";
    }
    s << "\n";
  }
  s << "\n";
  return s.str();
}

nlohmann::json robustness_summary(const ReportData& d) {
  auto t = robustness_table(d);
  if (!t) return nullptr;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : t->rows) {
    nlohmann::json cells = nlohmann::json::array();
    for (size_t k = 0; k < r.cells.size(); ++k) {
      if (!r.cells[k]) continue;
      cells.push_back({{"noise", t->noises[k]},
                       {"accuracy", r.cells[k]->accuracy},
                       {"macro_f1", r.cells[k]->macro_f1},
                       {"accuracy_drop_points", r.cells[k]->drop_points},
                       {"seeds", r.cells[k]->seeds}});
    }
    rows.push_back({{"model", d.groups[r.group].id}, {"clean_accuracy", r.clean_accuracy},
                    {"clean_macro_f1", r.clean_macro_f1}, {"noisy", cells}});
  }
  nlohmann::json out = {{"noises", t->noises}, {"models", rows}};
  if (t->most_robust_student) out["most_robust_student"] = d.groups[t->rows[*t->most_robust_student].group].id;
  return out;
}

}  // namespace zl::report
