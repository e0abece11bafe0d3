// The TextCNN student as an ONNX graph, as TextCnnClassifierImpl::forward
// (train/models/textcnn.cpp) in eval mode: inputs shorter than the widest kernel are
// padded (input_ids with [PAD], the rest with 0); embeddings (+ segment); per
// kernel width k a Conv1d and ReLU, then the max over windows t that end inside
// the sequence (t + k <= length) or are the first window (t = 0); concatenation;
// classifier.
#include <algorithm>
#include <stdexcept>

#include "export_parts.h"
#include "textcnn.h"

namespace zl::onnx_export {

onnx_graph::Model textcnn_graph(ClassifierImpl& model_base, Task task, int64_t pad_id) {
  auto* model = dynamic_cast<TextCnnClassifierImpl*>(&model_base);
  if (model == nullptr) throw std::logic_error("textcnn_graph: the model is not a TextCnnClassifierImpl");
  const auto& ks = model->config().kernel_sizes;
  if (ks.empty() || ks.size() != model->convs->size())
    throw std::logic_error("textcnn exporter: kernel_sizes do not match the model's convolutions");
  const int64_t kmax = *std::max_element(ks.begin(), ks.end());
  onnx_graph::Model m;
  GraphBuilder g(m);
  Params p(*model);
  auto in = declare_io(m, task, model->num_labels());

  // pads = [0, 0, 0, max(kmax - T, 0)]: right-pad the sequence axis only.
  auto T = dim_of(g, in.input_ids, 1);
  auto extra = g.op("Max", {g.op("Sub", {g.scalar_int(kmax), T}), g.scalar_int(0)});
  auto pads = g.op("Concat", {g.ints("pads_head", {3}, {0, 0, 0}), unsqueeze(g, extra, {0})},
                   {Attribute::of("axis", int64_t{0})}, "pads");
  auto ids = g.op("Pad", {in.input_ids, pads, g.scalar_int(pad_id)}, {}, "ids_padded");
  auto x = embedding(g, p, model->embeddings->word, ids, "embeddings.word");  // [B,T',E]
  if (model->embeddings->segment) {
    auto tt = g.op("Pad", {in.token_type_ids, pads, g.scalar_int(0)}, {}, "token_types_padded");
    x = g.op("Add", {x, embedding(g, p, model->embeddings->segment, tt, "embeddings.segment")});
  }
  x = g.op("Transpose", {x}, {Attribute::of("perm", std::vector<int64_t>{0, 2, 1})});  // [B,E,T']
  auto lengths = reduce_sum(g, in.attention_mask, {1}, true);                         // [B,1] real tokens

  std::vector<std::string> pooled;
  for (size_t i = 0; i < ks.size(); ++i) {
    const int64_t k = ks[i];
    auto conv = model->convs[i]->as<torch::nn::Conv1d>();
    if (conv == nullptr) throw std::logic_error("textcnn exporter: convs[" + std::to_string(i) + "] is not a Conv1d");
    const auto& w = conv->weight;
    if (w.size(2) != k) throw std::logic_error("textcnn exporter: conv width does not match kernel_sizes");
    const std::string hname = "convs." + std::to_string(i);
    auto wt = g.floats(hname + ".weight", {w.size(0), w.size(1), w.size(2)}, p.take(w));
    auto b = g.floats(hname + ".bias", {w.size(0)}, p.take(conv->bias));
    auto h = g.op("Relu", {g.op("Conv", {x, wt, b}, {Attribute::of("kernel_shape", std::vector<int64_t>{k})}, hname)});
    auto t = unsqueeze(g, g.op("Range", {g.scalar_int(0), dim_of(g, h, 2), g.scalar_int(1)}), {0});  // [1,T'-k+1]
    auto inside = g.op("LessOrEqual", {g.op("Add", {t, g.scalar_int(k)}), lengths});               // [B,T'-k+1]
    auto ok = g.op("Or", {inside, g.op("Equal", {t, g.scalar_int(0)})});
    auto masked = g.op("Where", {unsqueeze(g, ok, {1}), h, neg_inf(g)});
    pooled.push_back(g.op("ReduceMax", {masked},
                          {Attribute::of("axes", std::vector<int64_t>{2}), Attribute::of("keepdims", int64_t{0})},
                          hname + ".max"));
  }
  auto features = g.op("Concat", pooled, {Attribute::of("axis", int64_t{1})}, "features");
  emit_head(g, task, linear(g, p, model->classifier, features, "classifier"));
  p.check_all_taken("textcnn");
  return m;
}

}  // namespace zl::onnx_export
