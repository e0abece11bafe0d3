#include "export_graph.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include "error.h"
#include "export_parts.h"

namespace zl {

namespace onnx_export {

using onnx_graph::Dim;
using onnx_graph::DType;

Params::Params(const ClassifierImpl& model) {
  for (const auto& t : model.parameters()) total_ += t.numel();
  for (const auto& t : model.buffers()) total_ += t.numel();
}

std::vector<float> Params::take(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  taken_ += c.numel();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void Params::check_all_taken(const std::string& architecture) const {
  if (taken_ != total_)
    throw std::logic_error("the " + architecture + " exporter translated " + std::to_string(taken_) + " of the model's " +
                           std::to_string(total_) +
                           " parameter values: the model code has changed and eval/onnx must follow it");
}

Inputs declare_io(onnx_graph::Model& m, Task task, int64_t num_labels) {
  const std::vector<Dim> bt{Dim::named("batch"), Dim::named("sequence")};
  Inputs in{"input_ids", "attention_mask", ""};
  m.inputs.push_back({in.input_ids, DType::kInt64, bt});
  m.inputs.push_back({in.attention_mask, DType::kInt64, bt});
  if (task == Task::kPair) {
    in.token_type_ids = "token_type_ids";
    m.inputs.push_back({in.token_type_ids, DType::kInt64, bt});
  }
  const std::vector<Dim> bl{Dim::named("batch"), Dim::fixed(num_labels)};
  m.outputs.push_back({"logits", DType::kFloat, bl});
  m.outputs.push_back({"probs", DType::kFloat, bl});
  return in;
}

void emit_head(GraphBuilder& g, Task task, const std::string& logits) {
  g.op_to("Identity", {logits}, {"logits"});
  if (task == Task::kMultiLabel)
    g.op_to("Sigmoid", {logits}, {"probs"});
  else
    g.op_to("Softmax", {logits}, {"probs"}, {Attribute::of("axis", int64_t{-1})});
}

std::string embedding(GraphBuilder& g, Params& p, const torch::nn::Embedding& e, const std::string& ids,
                      const std::string& hint) {
  const auto& w = e->weight;
  auto table = g.floats(hint + ".weight", {w.size(0), w.size(1)}, p.take(w));
  return g.op("Gather", {table, ids}, {Attribute::of("axis", int64_t{0})}, hint);
}

std::string linear(GraphBuilder& g, Params& p, const torch::nn::Linear& l, const std::string& x,
                   const std::string& hint) {
  const auto& w = l->weight;
  if (!l->bias.defined()) throw std::logic_error("linear " + hint + " without bias is not exported");
  return g.linear(x, hint, w.size(0), w.size(1), p.take(w), p.take(l->bias));
}

std::string dim_of(GraphBuilder& g, const std::string& x, int64_t axis) {
  auto shape = g.op("Shape", {x});
  return g.op("Gather", {shape, g.scalar_int(axis)}, {Attribute::of("axis", int64_t{0})}, "dim");
}

std::string unsqueeze(GraphBuilder& g, const std::string& x, std::vector<int64_t> axes) {
  const auto n = static_cast<int64_t>(axes.size());
  return g.op("Unsqueeze", {x, g.ints("axes", {n}, std::move(axes))});
}

std::string reduce_sum(GraphBuilder& g, const std::string& x, std::vector<int64_t> axes, bool keepdims) {
  const auto n = static_cast<int64_t>(axes.size());
  return g.op("ReduceSum", {x, g.ints("axes", {n}, std::move(axes))},
              {Attribute::of("keepdims", int64_t{keepdims ? 1 : 0})});
}

std::string layer_norm(GraphBuilder& g, Params& p, const torch::nn::LayerNorm& ln, const std::string& x,
                       const std::string& hint) {
  const auto& w = ln->weight;
  auto scale = g.floats(hint + ".weight", {w.size(0)}, p.take(w));
  auto bias = g.floats(hint + ".bias", {w.size(0)}, p.take(ln->bias));
  return g.op("LayerNormalization", {x, scale, bias},
              {Attribute::of("axis", int64_t{-1}), Attribute::of("epsilon", static_cast<float>(ln->options.eps()))},
              hint);
}

// GELU, exact (erf) form as torch::gelu's default: 0.5 x (1 + erf(x / sqrt 2)).
// (The Gelu operator only exists from opset 20.)
std::string gelu(GraphBuilder& g, const std::string& x) {
  auto e = g.op("Erf", {g.op("Div", {x, g.scalar_float(static_cast<float>(std::sqrt(2.0)))})});
  auto one_plus = g.op("Add", {e, g.scalar_float(1.0f)});
  return g.op("Mul", {g.op("Mul", {x, one_plus}), g.scalar_float(0.5f)}, {}, "gelu");
}

std::string masked_attention(GraphBuilder& g, const std::string& q, const std::string& k, const std::string& v,
                             const std::string& key_mask, int64_t d, int64_t hidden) {
  auto kt = g.op("Transpose", {k}, {Attribute::of("perm", std::vector<int64_t>{0, 1, 3, 2})});
  auto scores = g.op("Div", {g.op("MatMul", {q, kt}), g.scalar_float(static_cast<float>(std::sqrt(double(d))))});
  auto masked = g.op("Where", {key_mask, scores, neg_inf(g)});
  auto probs = g.op("Softmax", {masked}, {Attribute::of("axis", int64_t{-1})});
  auto ctx = g.op("MatMul", {probs, v});  // [B,h,T,d]
  auto merged = g.op("Transpose", {ctx}, {Attribute::of("perm", std::vector<int64_t>{0, 2, 1, 3})});
  return g.op("Reshape", {merged, g.ints("shape", {3}, {0, 0, hidden})});
}

std::string masked_mean(GraphBuilder& g, const std::string& x, const std::string& attention_mask) {
  auto mf = unsqueeze(g, g.op("Cast", {attention_mask}, {Attribute::of("to", int64_t{1})}), {2});  // [B,T,1]
  auto sum = reduce_sum(g, g.op("Mul", {x, mf}), {1}, false);                                   // [B,H]
  auto count = g.op("Max", {reduce_sum(g, mf, {1}, false), g.scalar_float(1.0f)});              // [B,1]
  return g.op("Div", {sum, count}, {}, "mean_pool");
}

std::string neg_inf(GraphBuilder& g) { return g.scalar_float(-std::numeric_limits<float>::infinity()); }

}  // namespace onnx_export

const std::vector<std::string>& exportable_architectures() {
  static const std::vector<std::string> a{"transformer", "bilstm", "textcnn", "pretrained"};
  return a;
}

onnx_graph::Model build_onnx_graph(const LoadedRun& run,
                                   std::vector<std::pair<std::string, std::string>> metadata) {
  const auto& arch = run.model_config.architecture;
  torch::NoGradGuard no_grad;
  onnx_graph::Model m;
  if (arch == "transformer")
    m = onnx_export::transformer_graph(*run.model, run.info.task);
  else if (arch == "bilstm")
    m = onnx_export::bilstm_graph(*run.model, run.info.task);
  else if (arch == "textcnn")
    m = onnx_export::textcnn_graph(*run.model, run.info.task, run.info.pad_id);
  else if (arch == "pretrained")
    m = onnx_export::pretrained_graph(*run.model, run.info.task);
  else
    throw UserError(run.run_dir + "/config.yaml: model.architecture '" + arch +
                    "' has no ONNX exporter (exportable: transformer, bilstm, textcnn, pretrained)");
  m.graph_name = "zhengliu_" + arch;
  m.producer_version = ZL_VERSION;
  m.doc = run.model->describe();
  m.metadata = std::move(metadata);
  return m;
}

}  // namespace zl
