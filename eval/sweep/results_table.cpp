#include "results_table.h"

#include <cstdio>
#include <sstream>
#include <vector>

#include "atomic_file.h"

namespace zl::sweep {
namespace {

using nlohmann::json;

// Follows a path of keys; null when any is missing.
const json* dig(const json& j, std::initializer_list<const char*> keys) {
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object() || !cur->contains(k) || (*cur)[k].is_null()) return nullptr;
    cur = &(*cur)[k];
  }
  return cur;
}

std::string pct(const json* v) {
  if (!v || !v->is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", 100.0 * v->get<double>());
  return buf;
}

std::string params(const json* v) {
  if (!v || !v->is_number()) return "-";
  double p = v->get<double>();
  char buf[32];
  if (p >= 1e6)
    std::snprintf(buf, sizeof(buf), "%.2fM", p / 1e6);
  else
    std::snprintf(buf, sizeof(buf), "%.0fk", p / 1e3);
  return buf;
}

std::string ms(const json* v) {
  if (!v || !v->is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v->get<double>());
  return buf;
}

}  // namespace

std::string results_table(const json& manifest) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"run", "KD", "share", "seed", "params", "acc %", "95% CI", "macro-F1 %", "agree %", "p50 ms",
                  "transfer acc %"});
  for (const auto& r : manifest.value("runs", json::array())) {
    std::vector<std::string> row;
    const bool teacher = r.value("role", "") == "teacher";
    row.push_back(teacher ? r.value("name", "") : r.value("model", ""));
    row.push_back(teacher ? "teacher" : (r.value("distillation", false) ? "yes" : "no"));
    char share[16];
    std::snprintf(share, sizeof(share), "%g", r.value("label_share", 1.0));
    row.push_back(share);
    row.push_back(std::to_string(r.value("seed", 0)));
    const std::string path = r.value("metrics", "");
    json m;
    bool have = !path.empty() && file_exists(path);
    if (have) {
      try {
        m = json::parse(read_file(path));
      } catch (const std::exception&) {
        have = false;
      }
    }
    if (!have) {
      row.insert(row.end(), {"-", "not evaluated", "", "", "", "", ""});
      rows.push_back(row);
      continue;
    }
    row.push_back(params(dig(m, {"cost", "params", "total"})));
    row.push_back(pct(dig(m, {"metrics", "accuracy"})));
    const json* lo = dig(m, {"uncertainty", "accuracy", "low"});
    const json* hi = dig(m, {"uncertainty", "accuracy", "high"});
    row.push_back(lo && hi ? pct(lo) + "-" + pct(hi) : "-");
    row.push_back(pct(dig(m, {"metrics", "macro_f1"})));
    row.push_back(pct(dig(m, {"teacher_agreement", "agreement"})));
    row.push_back(ms(dig(m, {"cost", "cpu", "latency_ms", "p50"})));
    row.push_back(teacher ? pct(dig(m, {"transfer", "accuracy"})) : "");
    rows.push_back(row);
  }
  // Column widths in characters (UTF-8 aware enough: names here are ASCII).
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::ostringstream out;
  for (size_t k = 0; k < rows.size(); ++k) {
    for (size_t i = 0; i < rows[k].size(); ++i) {
      out << rows[k][i] << std::string(width[i] - rows[k][i].size() + (i + 1 < rows[k].size() ? 2 : 0), ' ');
    }
    out << "\n";
    if (k == 0) {
      size_t total = 0;
      for (size_t w : width) total += w + 2;
      out << std::string(total - 2, '-') << "\n";
    }
  }
  return out.str();
}

}  // namespace zl::sweep
