#include "robustness.h"

#include <algorithm>

namespace zl {

std::vector<std::string> noisy_splits_of(const std::vector<std::string>& names, const std::string& split) {
  std::vector<std::string> out;
  const std::string prefix = split + "@noise-";
  for (const auto& n : names)
    if (n.size() > prefix.size() && n.compare(0, prefix.size(), prefix) == 0) out.push_back(n);
  return out;
}

std::string noise_of_split(const std::string& s) {
  const size_t at = s.find("@noise-");
  std::string n = at == std::string::npos ? "" : s.substr(at + 7);
  std::replace(n.begin(), n.end(), '+', ',');
  return n;
}

nlohmann::json robustness_json(const RobustnessPoint& clean, const std::vector<RobustnessPoint>& noisy) {
  nlohmann::json rows = nlohmann::json::array();
  double worst = 0;
  for (const auto& p : noisy) {
    const double drop = (clean.accuracy - p.accuracy) * 100.0;
    worst = std::max(worst, drop);
    rows.push_back({{"split", p.split},
                    {"noise", p.noise},
                    {"n", p.n},
                    {"accuracy", p.accuracy},
                    {"macro_f1", p.macro_f1},
                    {"accuracy_drop_points", drop},
                    {"macro_f1_drop_points", (clean.macro_f1 - p.macro_f1) * 100.0}});
  }
  return {{"clean", {{"split", clean.split}, {"n", clean.n}, {"accuracy", clean.accuracy}, {"macro_f1", clean.macro_f1}}},
          {"noisy", rows},
          {"max_accuracy_drop_points", worst}};
}

}  // namespace zl
