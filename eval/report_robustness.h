// The report's robustness section: every model's accuracy (and macro-F1) on the clean split and
// on its noised copies (kd eval's `robustness` field, from `kd data augment --noisy-eval`), means
// over seeds, with the drop in points, so a manager sees which small model survives a voice
// channel. Read from each run's eval/<split>/metrics.json; absent (empty output) when no run has it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report_builder.h"

namespace zl::report {

struct RobustnessCell {
  double accuracy = 0, macro_f1 = 0, drop_points = 0;  // means over the group's seeds
  int64_t seeds = 0;
};

struct RobustnessRow {
  size_t group = 0;
  double clean_accuracy = 0, clean_macro_f1 = 0;
  std::vector<std::optional<RobustnessCell>> cells;  // per noise, in RobustnessTable::noises order
};

struct RobustnessTable {
  std::vector<std::string> noises;  // the noise specs, in order of first appearance
  std::vector<RobustnessRow> rows;  // groups with robustness numbers, in the report's order
  std::optional<size_t> most_robust_student;  // row: smallest drop at the strongest (last) noise
};

// Reads the robustness fields of the runs' metrics.json; nullopt when none has one. Throws
// UserError naming the file for a damaged field.
std::optional<RobustnessTable> robustness_table(const ReportData& data);

std::string robustness_html(const ReportData& data);      // "" without robustness numbers
std::string robustness_markdown(const ReportData& data);  // ""  "
nlohmann::json robustness_summary(const ReportData& data);  // null  "

}  // namespace zl::report
