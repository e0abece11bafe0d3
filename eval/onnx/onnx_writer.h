// Turns a plain model description (graph.h) into an ONNX ModelProto through the
// official protobuf definitions (Debian libonnx), checks it with the ONNX
// checker and strict shape inference, and serializes it.
//
// This is the only code in the toolkit that includes ONNX / protobuf headers. It
// must never include LibTorch or sentencepiece headers (their protobuf runtimes
// and headers differ; docs/design.md).
#pragma once

#include <cstdint>
#include <string>

#include "graph.h"

namespace zl::onnx_graph {

// The IR version we write: ONNX 1.12's (8), which ONNX Runtime >= 1.12 loads.
constexpr int64_t kIrVersion = 8;

// Builds the ModelProto, runs onnx::checker::check_model and strict shape
// inference (type checks on, node errors thrown); returns the serialized bytes.
// Throws std::runtime_error naming the failing node when the model is invalid.
std::string serialize_model(const Model& model);

// serialize_model, then writes the bytes to `path` atomically.
void write_model(const Model& model, const std::string& path);

}  // namespace zl::onnx_graph
