// The transformer student as an ONNX graph, op for op as
// TransformerClassifierImpl::forward (train/models/transformer.cpp) in eval mode:
// word + position (+ segment) embeddings; pre-LN blocks
//   x = x + out(attention(LN1(x)));  x = x + fc2(GELU(fc1(LN2(x))))
// attention = softmax(q k^T / sqrt(d), keys masked by attention_mask) v;
// final LayerNorm; [CLS] (position 0) or masked mean pooling; classifier.
#include <cmath>
#include <stdexcept>

#include "export_parts.h"
#include "transformer.h"

namespace zl::onnx_export {

namespace {

std::string attention(GraphBuilder& g, Params& p, SelfAttentionImpl& attn, const std::string& x,
                      const std::string& key_mask, int64_t hidden, const std::string& hint) {
  const int64_t heads = attn.heads, d = hidden / heads;
  auto qkv = linear(g, p, attn.qkv, x, hint + ".qkv");                                   // [B,T,3H]
  auto split = g.op("Reshape", {qkv, g.ints("shape", {5}, {0, 0, 3, heads, d})});        // [B,T,3,h,d]
  auto per = g.op("Transpose", {split}, {Attribute::of("perm", std::vector<int64_t>{2, 0, 3, 1, 4})});  // [3,B,h,T,d]
  auto pick = [&](int64_t i) {
    return g.op("Gather", {per, g.scalar_int(i)}, {Attribute::of("axis", int64_t{0})});  // [B,h,T,d]
  };
  auto q = pick(0), k = pick(1), v = pick(2);
  auto flat = masked_attention(g, q, k, v, key_mask, d, hidden);                         // [B,T,H]
  return linear(g, p, attn.out, flat, hint + ".out");
}

}  // namespace

onnx_graph::Model transformer_graph(ClassifierImpl& model_base, Task task) {
  auto* model = dynamic_cast<TransformerClassifierImpl*>(&model_base);
  if (model == nullptr) throw std::logic_error("transformer_graph: the model is not a TransformerClassifierImpl");
  const auto& cfg = model->config();
  const int64_t hidden = cfg.hidden;
  onnx_graph::Model m;
  GraphBuilder g(m);
  Params p(*model);
  auto in = declare_io(m, task, model->num_labels());

  auto x = embedding(g, p, model->embeddings->word, in.input_ids, "embeddings.word");      // [B,T,H]
  auto T = dim_of(g, in.input_ids, 1);
  auto positions = g.op("Range", {g.scalar_int(0), T, g.scalar_int(1)}, {}, "positions");  // [T]
  x = g.op("Add", {x, embedding(g, p, model->embeddings->position, positions, "embeddings.position")});
  if (model->embeddings->segment) {
    if (in.token_type_ids.empty()) throw std::logic_error("segment embeddings without a token_type_ids input");
    x = g.op("Add", {x, embedding(g, p, model->embeddings->segment, in.token_type_ids, "embeddings.segment")});
  }
  auto valid = g.op("Cast", {in.attention_mask}, {Attribute::of("to", int64_t{9})}, "valid");  // bool [B,T]
  auto key_mask = unsqueeze(g, valid, {1, 2});                                                // [B,1,1,T]

  int64_t i = 0;
  for (const auto& mod : *model->layers) {
    auto layer = mod->as<EncoderLayer>();
    if (layer == nullptr) throw std::logic_error("transformer layer " + std::to_string(i) + " is not an EncoderLayer");
    const std::string h = "layers." + std::to_string(i);
    auto a = attention(g, p, *layer->attn, layer_norm(g, p, layer->ln1, x, h + ".ln1"), key_mask, hidden, h + ".attn");
    x = g.op("Add", {x, a}, {}, h + ".res1");
    auto f = linear(g, p, layer->fc1, layer_norm(g, p, layer->ln2, x, h + ".ln2"), h + ".fc1");
    x = g.op("Add", {x, linear(g, p, layer->fc2, gelu(g, f), h + ".fc2")}, {}, h + ".res2");
    ++i;
  }
  x = layer_norm(g, p, model->final_ln, x, "final_ln");

  std::string pooled;
  if (cfg.pooling == "mean") {
    pooled = masked_mean(g, x, in.attention_mask);
  } else if (cfg.pooling == "cls") {
    pooled = g.op("Gather", {x, g.scalar_int(0)}, {Attribute::of("axis", int64_t{1})}, "cls_pool");
  } else {
    throw std::logic_error("transformer pooling '" + cfg.pooling + "' has no exporter");
  }
  emit_head(g, task, linear(g, p, model->classifier, pooled, "classifier"));
  p.check_all_taken("transformer");
  return m;
}

}  // namespace zl::onnx_export
