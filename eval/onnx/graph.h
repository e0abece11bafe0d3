// A plain description of an ONNX model: inputs and outputs with symbolic dims,
// nodes with attributes, initializers as float / int64 buffers, metadata.
//
// No ONNX, protobuf or LibTorch header appears here: the exporters (which read
// LibTorch weights) build this description, and the writer (onnx_writer.h, the
// only code that includes the ONNX protobuf headers) turns it into a ModelProto.
// See docs/export.md for why the two never share headers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zl::onnx_graph {

// Element types, numbered as onnx.TensorProto.DataType.
enum class DType : int32_t { kFloat = 1, kInt32 = 6, kInt64 = 7, kBool = 9 };

// A dimension: a fixed size, or a symbolic name ("batch", "sequence").
struct Dim {
  int64_t size = -1;
  std::string symbol;
  static Dim fixed(int64_t n) { return Dim{n, ""}; }
  static Dim named(std::string s) { return Dim{-1, std::move(s)}; }
};

struct ValueInfo {
  std::string name;
  DType type = DType::kFloat;
  std::vector<Dim> dims;
};

struct Attribute {
  enum class Kind { kInt, kFloat, kInts, kFloats, kString };
  std::string name;
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0.0f;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::string s;

  static Attribute of(std::string n, int64_t v);
  static Attribute of(std::string n, float v);
  static Attribute of(std::string n, std::vector<int64_t> v);
  static Attribute of(std::string n, std::vector<float> v);
  static Attribute of(std::string n, std::string v);
};

struct Node {
  std::string op_type;
  std::string name;
  std::vector<std::string> inputs;  // "" = an omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;
};

// A constant tensor. Exactly one of `floats` / `ints` is used, by `type`.
struct Initializer {
  std::string name;
  DType type = DType::kFloat;
  std::vector<int64_t> dims;  // {} = scalar
  std::vector<float> floats;
  std::vector<int64_t> ints;
};

struct Model {
  std::string graph_name = "zhengliu";
  std::string producer_version;
  std::string doc;
  int64_t opset = 17;
  std::vector<ValueInfo> inputs, outputs;
  std::vector<Node> nodes;
  std::vector<Initializer> initializers;
  std::vector<std::pair<std::string, std::string>> metadata;  // metadata_props, in order

  int64_t num_weights() const;  // elements in float initializers
};

// Appends nodes with unique names; small helpers for the patterns every
// exporter needs (linear layers, scalar constants).
class GraphBuilder {
 public:
  explicit GraphBuilder(Model& model) : m_(model) {}

  // One node with one output; returns the output's (generated, unique) name.
  std::string op(const std::string& op_type, std::vector<std::string> inputs,
                 std::vector<Attribute> attributes = {}, const std::string& hint = "");
  // A node with the given output names (e.g. to produce a graph output).
  void op_to(const std::string& op_type, std::vector<std::string> inputs, std::vector<std::string> outputs,
             std::vector<Attribute> attributes = {});

  std::string floats(const std::string& hint, std::vector<int64_t> dims, std::vector<float> data);
  std::string ints(const std::string& hint, std::vector<int64_t> dims, std::vector<int64_t> data);
  std::string scalar_float(float v);
  std::string scalar_int(int64_t v);

  // y = x W^T + b for a PyTorch Linear weight W [out, in] (row-major) and bias b [out]:
  // stored as W^T [in, out] for MatMul, which broadcasts over leading axes.
  std::string linear(const std::string& x, const std::string& hint, int64_t out_features, int64_t in_features,
                     const std::vector<float>& weight, const std::vector<float>& bias);

  std::string unique(const std::string& hint);

 private:
  Model& m_;
  int64_t counter_ = 0;
};

}  // namespace zl::onnx_graph
