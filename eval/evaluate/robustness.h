// kd eval's robustness field: the evaluated split against its noised copies in the same file
// (splits "<split>@noise-<spec>" written by `kd data augment --noisy-eval`), accuracy and
// macro-F1 on each and the drop in points. Schema in docs/eval-command.md; the report's
// robustness section (eval/report_robustness.h) reads it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zl {

struct RobustnessPoint {
  std::string split;  // "test@noise-0.1" (the clean split: "test")
  std::string noise;  // "0.1" (the spec after "@noise-", "+" read as ","); "" for the clean split
  int64_t n = 0;
  double accuracy = 0, macro_f1 = 0;
};

// The noised copies of `split` among `split_names`, in the order given.
std::vector<std::string> noisy_splits_of(const std::vector<std::string>& split_names, const std::string& split);
// "test@noise-homophone=0.1+drop=0.02" -> "homophone=0.1,drop=0.02".
std::string noise_of_split(const std::string& noisy_split);

// {"clean": {split, n, accuracy, macro_f1}, "noisy": [{split, noise, n, accuracy, macro_f1,
//  accuracy_drop_points, macro_f1_drop_points}], "max_accuracy_drop_points"}; drop = (clean - noisy) * 100.
nlohmann::json robustness_json(const RobustnessPoint& clean, const std::vector<RobustnessPoint>& noisy);

}  // namespace zl
