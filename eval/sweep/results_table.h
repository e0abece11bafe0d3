// The accuracy-versus-size table `kd sweep` prints at the end, read from the
// metrics.json files its evaluations wrote (schema: docs/evaluation.md).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace zl::sweep {

// One line per run in the manifest (sweep.json "runs"): role, model, KD, label share,
// seed, parameters, accuracy with its 95% CI, macro F1, agreement with the teacher,
// CPU p50 latency, and for teachers the accuracy on their transfer rows.
// Runs without a metrics.json are listed as "not evaluated".
std::string results_table(const nlohmann::json& manifest);

}  // namespace zl::sweep
