#include "bert_encoder.h"

#include "transformer.h"  // masked_attention

#include <cmath>
#include <limits>
#include <regex>

namespace zl {

namespace {
torch::nn::LayerNorm layer_norm(int64_t hidden, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden}).eps(eps));
}
}  // namespace

BertSelfAttentionImpl::BertSelfAttentionImpl(int64_t hidden, int64_t heads_, double attention_dropout_)
    : heads(heads_), attention_dropout(attention_dropout_) {
  query = register_module("query", torch::nn::Linear(hidden, hidden));
  key = register_module("key", torch::nn::Linear(hidden, hidden));
  value = register_module("value", torch::nn::Linear(hidden, hidden));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs) {
  const auto B = x.size(0), T = x.size(1), H = x.size(2);
  const auto d = H / heads;
  auto split = [&](const torch::Tensor& t) { return t.view({B, T, heads, d}).transpose(1, 2); };  // [B,heads,T,d]
  auto q = split(query(x)), k = split(key(x)), v = split(value(x));
  auto ctx = masked_attention(q, k, v, key_mask, attention_dropout, is_training(), probs);
  return ctx.transpose(1, 2).reshape({B, T, H});
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in, int64_t hidden, double dropout_p, double eps) {
  dense = register_module("dense", torch::nn::Linear(in, hidden));
  LayerNorm = register_module("LayerNorm", layer_norm(hidden, eps));
  dropout = register_module("dropout", torch::nn::Dropout(dropout_p));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& h, const torch::Tensor& residual) {
  return LayerNorm(dropout(dense(h)) + residual);
}

BertAttentionImpl::BertAttentionImpl(const ModelConfig& cfg) {
  self = register_module("self", BertSelfAttention(cfg.hidden, cfg.heads, cfg.attention_dropout));
  output = register_module("output", BertResidualOutput(cfg.hidden, cfg.hidden, cfg.dropout, cfg.hf.layer_norm_eps));
}

BertIntermediateImpl::BertIntermediateImpl(int64_t hidden, int64_t ffn) {
  dense = register_module("dense", torch::nn::Linear(hidden, ffn));
}

BertLayerImpl::BertLayerImpl(const ModelConfig& cfg) {
  attention = register_module("attention", BertAttention(cfg));
  intermediate = register_module("intermediate", BertIntermediate(cfg.hidden, cfg.ffn));
  output = register_module("output", BertResidualOutput(cfg.ffn, cfg.hidden, cfg.dropout, cfg.hf.layer_norm_eps));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs) {
  auto a = attention->output(attention->self(x, key_mask, probs), x);
  // torch::gelu's default is the exact erf form, transformers' "gelu".
  return output(torch::gelu(intermediate->dense(a)), a);
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const ModelConfig& cfg, int64_t vocab_rows) : hf(cfg.hf) {
  word_embeddings = register_module("word_embeddings", torch::nn::Embedding(vocab_rows, hf.hidden_size));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(hf.max_position_embeddings, hf.hidden_size));
  token_type_embeddings = register_module("token_type_embeddings", torch::nn::Embedding(hf.type_vocab_size, hf.hidden_size));
  LayerNorm = register_module("LayerNorm", layer_norm(hf.hidden_size, hf.layer_norm_eps));
  dropout = register_module("dropout", torch::nn::Dropout(cfg.dropout));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask,
                                          const torch::Tensor& token_type_ids) {
  const auto T = ids.size(1);
  torch::Tensor pos;
  if (hf.roberta_positions()) {
    // transformers' create_position_ids_from_input_ids: real tokens count from
    // pad_token_id + 1, padding keeps pad_token_id. The attention mask marks the
    // same tokens as "input id != pad" (our batches pad with the pad id only).
    auto m = attention_mask.to(torch::kLong);
    pos = torch::cumsum(m, 1) * m + hf.pad_token_id;
  } else {
    pos = torch::arange(T, ids.options()).unsqueeze(0);
  }
  // Segment ids as transformers' tokenizers give them: BERT's WordPiece tokenizer
  // marks the second text of a pair with type 1; XLM-R's (also when the model is a
  // BERT with XLM-R's tokenizer, like e5, whose second type row was never trained)
  // gives type 0 everywhere, as does a checkpoint with a single type.
  const bool segments = hf.type_vocab_size > 1 && hf.tokenizer_family == "bert";
  auto tt = segments && token_type_ids.defined() ? token_type_ids : torch::zeros_like(ids);
  auto x = word_embeddings(ids) + token_type_embeddings(tt);
  x = x + position_embeddings(pos);
  return dropout(LayerNorm(x));
}

BertEncoderImpl::BertEncoderImpl(const ModelConfig& cfg) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < cfg.layers; ++i) layer->push_back(BertLayer(cfg));
}

BertPoolerImpl::BertPoolerImpl(int64_t hidden) { dense = register_module("dense", torch::nn::Linear(hidden, hidden)); }

PretrainedEncoderClassifierImpl::PretrainedEncoderClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info)
    : ClassifierImpl(cfg, static_cast<int64_t>(info.label_names.size())) {
  embeddings = register_module("embeddings", BertEmbeddings(cfg, info.vocab_size));
  encoder = register_module("encoder", BertEncoder(cfg));
  if (cfg.pooling == "pooler") pooler = register_module("pooler", BertPooler(cfg.hidden));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
  classifier = register_module("classifier", torch::nn::Linear(cfg.hidden, num_labels_));
  // BERT's initialisation (N(0, 0.02) weights, zero biases, unit LayerNorm): the
  // head keeps it, everything else is overwritten by the checkpoint on a new run.
  torch::NoGradGuard g;
  for (auto& kv : named_parameters()) {
    const std::string& n = kv.key();
    auto& p = kv.value();
    if (n.find("LayerNorm.weight") != std::string::npos) p.fill_(1.0);
    else if (p.dim() == 1) p.zero_();
    else p.normal_(0.0, 0.02);
  }
}

ModelOutput PretrainedEncoderClassifierImpl::forward(const Batch& batch, bool want_attentions) {
  const auto& ids = batch.input_ids;
  TORCH_CHECK(ids.size(1) <= cfg_.max_length, "batch length ", ids.size(1), " exceeds max_length ", cfg_.max_length);
  auto valid = batch.attention_mask.to(torch::kBool);  // [B,T]
  auto key_mask = valid.unsqueeze(1).unsqueeze(2);     // [B,1,1,T]
  auto x = embeddings->forward(ids, batch.attention_mask, batch.token_type_ids);
  ModelOutput out;
  out.hidden_states.push_back(x);
  for (const auto& m : *encoder->layer) {
    torch::Tensor probs;
    x = m->as<BertLayer>()->forward(x, key_mask, want_attentions ? &probs : nullptr);
    out.hidden_states.push_back(x);
    if (want_attentions) out.attention_probs.push_back(probs);
  }
  if (cfg_.pooling == "pooler") {
    out.sentence = pooler->forward(x.select(1, 0));
  } else if (cfg_.pooling == "mean") {
    out.sentence = masked_mean(x, valid);
  } else {
    out.sentence = x.select(1, 0);
  }
  out.logits = classifier(drop(out.sentence));
  return out;
}

std::string PretrainedEncoderClassifierImpl::describe() const {
  std::string layers;
  const bool first_k = cfg_.layer_ids.back() == cfg_.layers - 1;
  if (cfg_.layers != cfg_.hf.num_hidden_layers) {
    if (first_k) {
      layers = "first " + std::to_string(cfg_.layers) + " of " + std::to_string(cfg_.hf.num_hidden_layers) + " layers; ";
    } else {
      for (auto l : cfg_.layer_ids) layers += (layers.empty() ? "layers " : ",") + std::to_string(l);
      layers += " of " + std::to_string(cfg_.hf.num_hidden_layers) + "; ";
    }
  }
  return "pretrained " + cfg_.hf.model_type + " L" + std::to_string(cfg_.layers) + "-H" + std::to_string(cfg_.hidden) +
         "-A" + std::to_string(cfg_.heads) + "-F" + std::to_string(cfg_.ffn) + " (" + layers + cfg_.pooling + " pooling)";
}

int64_t PretrainedEncoderClassifierImpl::parameter_depth(const std::string& name) const {
  if (name.rfind("embeddings.", 0) == 0) return 0;
  static const std::regex layer_re("^encoder\\.layer\\.([0-9]+)\\..*$");
  std::smatch m;
  if (std::regex_match(name, m, layer_re)) return std::stoll(m[1].str()) + 1;
  return top_depth();
}

}  // namespace zl
