#include "graph.h"

#include <stdexcept>

namespace zl::onnx_graph {

Attribute Attribute::of(std::string n, int64_t v) {
  Attribute a;
  a.name = std::move(n);
  a.kind = Kind::kInt;
  a.i = v;
  return a;
}
Attribute Attribute::of(std::string n, float v) {
  Attribute a;
  a.name = std::move(n);
  a.kind = Kind::kFloat;
  a.f = v;
  return a;
}
Attribute Attribute::of(std::string n, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(n);
  a.kind = Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute Attribute::of(std::string n, std::vector<float> v) {
  Attribute a;
  a.name = std::move(n);
  a.kind = Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
Attribute Attribute::of(std::string n, std::string v) {
  Attribute a;
  a.name = std::move(n);
  a.kind = Kind::kString;
  a.s = std::move(v);
  return a;
}

int64_t Model::num_weights() const {
  int64_t n = 0;
  for (const auto& init : initializers)
    if (init.type == DType::kFloat) n += static_cast<int64_t>(init.floats.size());
  return n;
}

std::string GraphBuilder::unique(const std::string& hint) {
  return (hint.empty() ? std::string("t") : hint) + "_" + std::to_string(counter_++);
}

std::string GraphBuilder::op(const std::string& op_type, std::vector<std::string> inputs,
                             std::vector<Attribute> attributes, const std::string& hint) {
  std::string out = unique(hint.empty() ? op_type : hint);
  op_to(op_type, std::move(inputs), {out}, std::move(attributes));
  return out;
}

void GraphBuilder::op_to(const std::string& op_type, std::vector<std::string> inputs,
                         std::vector<std::string> outputs, std::vector<Attribute> attributes) {
  Node n;
  n.op_type = op_type;
  n.name = op_type + "_" + std::to_string(counter_++);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attributes);
  m_.nodes.push_back(std::move(n));
}

static int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

std::string GraphBuilder::floats(const std::string& hint, std::vector<int64_t> dims, std::vector<float> data) {
  if (element_count(dims) != static_cast<int64_t>(data.size()))
    throw std::logic_error("initializer " + hint + ": shape does not match " + std::to_string(data.size()) +
                           " values");
  Initializer init;
  init.name = unique(hint);
  init.type = DType::kFloat;
  init.dims = std::move(dims);
  init.floats = std::move(data);
  m_.initializers.push_back(std::move(init));
  return m_.initializers.back().name;
}

std::string GraphBuilder::ints(const std::string& hint, std::vector<int64_t> dims, std::vector<int64_t> data) {
  if (element_count(dims) != static_cast<int64_t>(data.size()))
    throw std::logic_error("initializer " + hint + ": shape does not match " + std::to_string(data.size()) +
                           " values");
  Initializer init;
  init.name = unique(hint);
  init.type = DType::kInt64;
  init.dims = std::move(dims);
  init.ints = std::move(data);
  m_.initializers.push_back(std::move(init));
  return m_.initializers.back().name;
}

std::string GraphBuilder::scalar_float(float v) { return floats("const_f", {}, {v}); }
std::string GraphBuilder::scalar_int(int64_t v) { return ints("const_i", {}, {v}); }

std::string GraphBuilder::linear(const std::string& x, const std::string& hint, int64_t out_features,
                                 int64_t in_features, const std::vector<float>& weight,
                                 const std::vector<float>& bias) {
  if (static_cast<int64_t>(weight.size()) != out_features * in_features ||
      static_cast<int64_t>(bias.size()) != out_features)
    throw std::logic_error("linear " + hint + ": weight/bias sizes do not match " + std::to_string(out_features) +
                           "x" + std::to_string(in_features));
  std::vector<float> wt(weight.size());
  for (int64_t o = 0; o < out_features; ++o)
    for (int64_t i = 0; i < in_features; ++i) wt[i * out_features + o] = weight[o * in_features + i];
  auto w = floats(hint + ".weight_t", {in_features, out_features}, std::move(wt));
  auto b = floats(hint + ".bias", {out_features}, bias);
  return op("Add", {op("MatMul", {x, w}, {}, hint + "_mm"), b}, {}, hint);
}

}  // namespace zl::onnx_graph
