// The BiLSTM student as an ONNX graph, as BiLstmClassifierImpl::forward
// (train/models/bilstm.cpp) in eval mode: embeddings (+ segment), a bidirectional LSTM
// per layer that sees each sequence only up to its length (ONNX LSTM with
// sequence_lens = attention_mask row sums, as PyTorch's packed sequences: the
// backward direction starts at the last real token), max-pooling over real
// tokens, ReLU(fc), classifier.
//
// Gate order: PyTorch stores the four gate blocks as i, f, g, o; ONNX as
// i, o, f, c (c = PyTorch's g). Biases: ONNX B = [Wb (4H), Rb (4H)] per direction.
#include <stdexcept>

#include "bilstm.h"
#include "export_parts.h"

namespace zl::onnx_export {

namespace {

// Rows of a [4H, n] PyTorch gate block reordered from i,f,g,o to i,o,f,c.
std::vector<float> to_onnx_gates(const std::vector<float>& w, int64_t H, int64_t n) {
  static const int64_t from[4] = {0, 3, 1, 2};  // ONNX gate j takes PyTorch gate from[j]
  std::vector<float> out(w.size());
  for (int64_t j = 0; j < 4; ++j)
    std::copy(w.begin() + from[j] * H * n, w.begin() + (from[j] + 1) * H * n, out.begin() + j * H * n);
  return out;
}

}  // namespace

onnx_graph::Model bilstm_graph(ClassifierImpl& model_base, Task task) {
  auto* model = dynamic_cast<BiLstmClassifierImpl*>(&model_base);
  if (model == nullptr) throw std::logic_error("bilstm_graph: the model is not a BiLstmClassifierImpl");
  const auto& opts = model->lstm->options;
  if (!opts.bidirectional() || !opts.batch_first() || opts.proj_size() != 0 || !opts.bias())
    throw std::logic_error("bilstm exporter: expects a batch-first bidirectional LSTM with biases, no projection");
  const int64_t H = opts.hidden_size();
  onnx_graph::Model m;
  GraphBuilder g(m);
  Params p(*model);
  auto in = declare_io(m, task, model->num_labels());

  auto x = embedding(g, p, model->embeddings->word, in.input_ids, "embeddings.word");  // [B,T,E]
  if (model->embeddings->segment)
    x = g.op("Add", {x, embedding(g, p, model->embeddings->segment, in.token_type_ids, "embeddings.segment")});
  auto lengths = g.op("Cast", {reduce_sum(g, in.attention_mask, {1}, false)}, {Attribute::of("to", int64_t{6})},
                      "sequence_lens");  // int32 [B]
  x = g.op("Transpose", {x}, {Attribute::of("perm", std::vector<int64_t>{1, 0, 2})});  // [T,B,E] (layout 0)

  auto params = model->lstm->named_parameters(/*recurse=*/false);
  auto get = [&](const std::string& name) {
    auto* t = params.find(name);
    if (t == nullptr) throw std::logic_error("bilstm exporter: the LSTM has no parameter " + name);
    return *t;
  };
  int64_t in_size = opts.input_size();
  for (int64_t l = 0; l < opts.num_layers(); ++l) {
    std::vector<float> W, R, B;
    for (const std::string suffix : {"", "_reverse"}) {
      const std::string s = std::to_string(l) + suffix;
      auto w = to_onnx_gates(p.take(get("weight_ih_l" + s)), H, in_size);
      auto r = to_onnx_gates(p.take(get("weight_hh_l" + s)), H, H);
      auto wb = to_onnx_gates(p.take(get("bias_ih_l" + s)), H, 1);
      auto rb = to_onnx_gates(p.take(get("bias_hh_l" + s)), H, 1);
      W.insert(W.end(), w.begin(), w.end());
      R.insert(R.end(), r.begin(), r.end());
      B.insert(B.end(), wb.begin(), wb.end());
      B.insert(B.end(), rb.begin(), rb.end());
    }
    const std::string h = "lstm.l" + std::to_string(l);
    auto w = g.floats(h + ".W", {2, 4 * H, in_size}, std::move(W));
    auto r = g.floats(h + ".R", {2, 4 * H, H}, std::move(R));
    auto b = g.floats(h + ".B", {2, 8 * H}, std::move(B));
    auto y = g.op("LSTM", {x, w, r, b, lengths},
                  {Attribute::of("direction", std::string("bidirectional")), Attribute::of("hidden_size", H)}, h);
    // Y [T,2,B,H] -> [T,B,2,H] -> [T,B,2H]: forward then backward features, as PyTorch concatenates them.
    auto yt = g.op("Transpose", {y}, {Attribute::of("perm", std::vector<int64_t>{0, 2, 1, 3})});
    x = g.op("Reshape", {yt, g.ints("shape", {3}, {0, 0, 2 * H})});
    in_size = 2 * H;
  }
  auto h = g.op("Transpose", {x}, {Attribute::of("perm", std::vector<int64_t>{1, 0, 2})});  // [B,T,2H]
  auto valid = unsqueeze(g, g.op("Cast", {in.attention_mask}, {Attribute::of("to", int64_t{9})}), {2});
  auto pooled = g.op("ReduceMax", {g.op("Where", {valid, h, neg_inf(g)})},
                     {Attribute::of("axes", std::vector<int64_t>{1}), Attribute::of("keepdims", int64_t{0})},
                     "max_pool");  // [B,2H]
  auto hidden = g.op("Relu", {linear(g, p, model->fc, pooled, "fc")});
  emit_head(g, task, linear(g, p, model->classifier, hidden, "classifier"));
  p.check_all_taken("bilstm");
  return m;
}

}  // namespace zl::onnx_export
