// From a trained run (LibTorch weights) to the plain ONNX model description
// (graph.h) for every architecture the toolkit trains. Includes LibTorch, never
// ONNX or protobuf headers: onnx_writer.h turns the description into a file.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "graph.h"
#include "run_dir.h"

namespace zl {

// Architectures with an exporter.
const std::vector<std::string>& exportable_architectures();

// Builds the graph: inputs input_ids / attention_mask (/ token_type_ids for pairs),
// int64 [batch, sequence]; outputs logits and probs, float [batch, num_labels].
// `metadata` becomes metadata_props. Throws UserError for an architecture without
// an exporter, std::logic_error when the model holds parameters the exporter did
// not translate (the model code changed: the exporter must follow).
onnx_graph::Model build_onnx_graph(const LoadedRun& run,
                                   std::vector<std::pair<std::string, std::string>> metadata);

}  // namespace zl
