// The export directory's README.md: what the model was trained on, how well it
// does, its size and latency (all from the measured export summary), and how to
// run it with ONNX Runtime in Python and C++ with the exact preprocessing.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace zl {

// `summary` is export.json's content (see export_pipeline.cpp for its fields).
std::string model_card(const nlohmann::json& summary);

// The Python snippet alone (it is also the card's first code block), with the
// export's constants filled in; run from the export directory it prints the
// label of summary["example"].
std::string python_snippet(const nlohmann::json& summary);

}  // namespace zl
