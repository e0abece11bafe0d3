// A pretrained encoder (architecture: pretrained — BERT / XLM-R, whole or cut down
// to some of its layers) as an ONNX graph, op for op as
// PretrainedEncoderClassifierImpl::forward (train/models/pretrained/bert_encoder.cpp)
// in eval mode:
//   x = LayerNorm(word[ids] + token_type[tt] + position[pos])
//   per layer (post-LN): a = LN(x + out(attention(q(x), k(x), v(x))))
//                        x = LN(a + dense_out(GELU(dense_in(a))))
//   sentence = tanh(pooler(x[:, 0])) | masked mean | x[:, 0];  logits = classifier(sentence)
// Positions: 0..T-1 (BERT), or XLM-R's cumsum(mask) * mask + pad_token_id.
#include <cmath>
#include <stdexcept>

#include "bert_encoder.h"
#include "export_parts.h"

namespace zl::onnx_export {

namespace {

// [B,T,H] -> [B,heads,T,d]
std::string split_heads(GraphBuilder& g, const std::string& x, int64_t heads, int64_t d) {
  auto r = g.op("Reshape", {x, g.ints("shape", {4}, {0, 0, heads, d})});
  return g.op("Transpose", {r}, {Attribute::of("perm", std::vector<int64_t>{0, 2, 1, 3})});
}

std::string self_attention(GraphBuilder& g, Params& p, BertSelfAttentionImpl& attn, const std::string& x,
                           const std::string& key_mask, int64_t hidden, const std::string& hint) {
  const int64_t heads = attn.heads, d = hidden / heads;
  auto q = split_heads(g, linear(g, p, attn.query, x, hint + ".query"), heads, d);
  auto k = split_heads(g, linear(g, p, attn.key, x, hint + ".key"), heads, d);
  auto v = split_heads(g, linear(g, p, attn.value, x, hint + ".value"), heads, d);
  return masked_attention(g, q, k, v, key_mask, d, hidden);
}

// dense -> (dropout: identity) -> LayerNorm(. + residual)
std::string residual_output(GraphBuilder& g, Params& p, BertResidualOutputImpl& o, const std::string& h,
                            const std::string& residual, const std::string& hint) {
  auto y = g.op("Add", {linear(g, p, o.dense, h, hint + ".dense"), residual});
  return layer_norm(g, p, o.LayerNorm, y, hint + ".LayerNorm");
}

}  // namespace

onnx_graph::Model pretrained_graph(ClassifierImpl& model_base, Task task) {
  auto* model = dynamic_cast<PretrainedEncoderClassifierImpl*>(&model_base);
  if (model == nullptr) throw std::logic_error("pretrained_graph: the model is not a PretrainedEncoderClassifierImpl");
  const auto& cfg = model->config();
  const int64_t hidden = cfg.hidden;
  onnx_graph::Model m;
  GraphBuilder g(m);
  Params p(*model);
  auto in = declare_io(m, task, model->num_labels());
  auto& emb = *model->embeddings;

  auto x = embedding(g, p, emb.word_embeddings, in.input_ids, "embeddings.word_embeddings");  // [B,T,H]
  if (emb.hf.type_vocab_size > 1 && !in.token_type_ids.empty()) {
    x = g.op("Add", {x, embedding(g, p, emb.token_type_embeddings, in.token_type_ids, "embeddings.token_type")});
  } else {
    // Token type 0 everywhere: its row, broadcast over [B,T].
    x = g.op("Add", {x, embedding(g, p, emb.token_type_embeddings, g.scalar_int(0), "embeddings.token_type")});
  }
  std::string positions;
  if (emb.hf.roberta_positions()) {
    auto mask = in.attention_mask;  // int64 [B,T]
    auto counted = g.op("CumSum", {mask, g.scalar_int(1)});
    positions = g.op("Add", {g.op("Mul", {counted, mask}), g.scalar_int(emb.hf.pad_token_id)}, {}, "positions");
  } else {
    positions = g.op("Range", {g.scalar_int(0), dim_of(g, in.input_ids, 1), g.scalar_int(1)}, {}, "positions");
  }
  x = g.op("Add", {x, embedding(g, p, emb.position_embeddings, positions, "embeddings.position_embeddings")});
  x = layer_norm(g, p, emb.LayerNorm, x, "embeddings.LayerNorm");

  auto valid = g.op("Cast", {in.attention_mask}, {Attribute::of("to", int64_t{9})}, "valid");  // bool [B,T]
  auto key_mask = unsqueeze(g, valid, {1, 2});                                                // [B,1,1,T]
  int64_t i = 0;
  for (const auto& mod : *model->encoder->layer) {
    auto layer = mod->as<BertLayer>();
    if (layer == nullptr) throw std::logic_error("encoder layer " + std::to_string(i) + " is not a BertLayer");
    const std::string h = "encoder.layer." + std::to_string(i);
    auto ctx = self_attention(g, p, *layer->attention->self, x, key_mask, hidden, h + ".attention.self");
    auto a = residual_output(g, p, *layer->attention->output, ctx, x, h + ".attention.output");
    auto f = gelu(g, linear(g, p, layer->intermediate->dense, a, h + ".intermediate.dense"));
    x = residual_output(g, p, *layer->output, f, a, h + ".output");
    ++i;
  }

  std::string sentence;
  if (cfg.pooling == "mean") {
    sentence = masked_mean(g, x, in.attention_mask);
  } else if (cfg.pooling == "cls" || cfg.pooling == "pooler") {
    sentence = g.op("Gather", {x, g.scalar_int(0)}, {Attribute::of("axis", int64_t{1})}, "first_token");
    if (cfg.pooling == "pooler") sentence = g.op("Tanh", {linear(g, p, model->pooler->dense, sentence, "pooler.dense")});
  } else {
    throw std::logic_error("pretrained pooling '" + cfg.pooling + "' has no exporter");
  }
  emit_head(g, task, linear(g, p, model->classifier, sentence, "classifier"));
  p.check_all_taken("pretrained");
  return m;
}

}  // namespace zl::onnx_export
