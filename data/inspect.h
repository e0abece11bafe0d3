// `kd data inspect FILE.h5`: what a prepared dataset holds and where it came
// from. Reads only zl_core's dataset format (no tokenizer needed).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace zl {

// Splits, counts, label distribution, token-length percentiles, unknown-token
// rate and the provenance attributes. Throws UserError for a missing or foreign file.
nlohmann::json inspect_dataset(const std::string& path);
std::string format_inspection(const nlohmann::json& report);

}  // namespace zl
