// Pieces shared by the per-architecture exporters (transformer_graph.cpp,
// bilstm_graph.cpp, textcnn_graph.cpp). Internal to zl_onnx_export.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "graph.h"
#include "model.h"

namespace zl::onnx_export {

using onnx_graph::Attribute;
using onnx_graph::GraphBuilder;

// Copies parameters out of the model as float vectors and counts what it copied,
// so that a parameter the exporter forgot (new model code) fails the export.
class Params {
 public:
  explicit Params(const ClassifierImpl& model);
  std::vector<float> take(const torch::Tensor& t);
  void check_all_taken(const std::string& architecture) const;

 private:
  int64_t total_ = 0, taken_ = 0;
};

struct Inputs {
  std::string input_ids, attention_mask, token_type_ids;  // token_type_ids "" unless pair
};

// Declares the graph inputs and outputs for `task`, with dynamic batch / sequence.
Inputs declare_io(onnx_graph::Model& m, Task task, int64_t num_labels);
// logits -> graph outputs "logits" and "probs" (Softmax, or Sigmoid for multi-label).
void emit_head(GraphBuilder& g, Task task, const std::string& logits);

// Gather rows of an embedding table [rows, dim].
std::string embedding(GraphBuilder& g, Params& p, const torch::nn::Embedding& e, const std::string& ids,
                      const std::string& hint);
std::string linear(GraphBuilder& g, Params& p, const torch::nn::Linear& l, const std::string& x,
                   const std::string& hint);
// A scalar int64 holding dimension `axis` of `x`'s shape.
std::string dim_of(GraphBuilder& g, const std::string& x, int64_t axis);
// Unsqueeze / ReduceSum take their axes as an input since opset 13.
std::string unsqueeze(GraphBuilder& g, const std::string& x, std::vector<int64_t> axes);
std::string reduce_sum(GraphBuilder& g, const std::string& x, std::vector<int64_t> axes, bool keepdims);
std::string neg_inf(GraphBuilder& g);
// softmax(q k^T / sqrt(d)) v with q, k, v [B,h,T,d], padding keys set to -inf by
// Where(key_mask, scores, -inf) (what the boolean mask of scaled_dot_product_attention
// does; every row keeps its first token), heads merged back to [B,T,hidden].
std::string masked_attention(GraphBuilder& g, const std::string& q, const std::string& k, const std::string& v,
                             const std::string& key_mask, int64_t d, int64_t hidden);
// Masked mean pooling of x [B,T,H] over the tokens with attention_mask 1:
// sum(x * mask) / max(sum(mask), 1), as masked_mean in train/models/transformer.cpp.
std::string masked_mean(GraphBuilder& g, const std::string& x, const std::string& attention_mask);
// LayerNormalization over the last axis with the module's epsilon.
std::string layer_norm(GraphBuilder& g, Params& p, const torch::nn::LayerNorm& ln, const std::string& x,
                       const std::string& hint);
// GELU, exact (erf) form as torch::gelu's default: 0.5 x (1 + erf(x / sqrt 2)).
// (The Gelu operator only exists from opset 20.)
std::string gelu(GraphBuilder& g, const std::string& x);

onnx_graph::Model transformer_graph(ClassifierImpl& model, Task task);
onnx_graph::Model bilstm_graph(ClassifierImpl& model, Task task);
onnx_graph::Model textcnn_graph(ClassifierImpl& model, Task task, int64_t pad_id);
onnx_graph::Model pretrained_graph(ClassifierImpl& model, Task task);

}  // namespace zl::onnx_export
