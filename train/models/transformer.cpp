#include "transformer.h"

#include <cmath>
#include <regex>

namespace zl {

SelfAttentionImpl::SelfAttentionImpl(int64_t hidden, int64_t heads_, double attention_dropout_)
    : heads(heads_), attention_dropout(attention_dropout_) {
  qkv = register_module("qkv", torch::nn::Linear(hidden, 3 * hidden));
  out = register_module("out", torch::nn::Linear(hidden, hidden));
}

torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& key_mask, double dropout, bool training, torch::Tensor* probs) {
  const double p = training ? dropout : 0.0;
  if (probs == nullptr) return at::scaled_dot_product_attention(q, k, v, key_mask, p);
  const auto d = q.size(-1);
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));
  scores = scores.masked_fill(key_mask.logical_not(), -std::numeric_limits<float>::infinity());
  auto a = torch::softmax(scores, -1);
  *probs = a;
  return torch::matmul(torch::dropout(a, p, training), v);
}

torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& valid) {
  auto m = valid.unsqueeze(-1).to(x.dtype());
  return (x * m).sum(1) / m.sum(1).clamp_min(1.0);
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs) {
  const auto B = x.size(0), T = x.size(1), H = x.size(2);
  const auto d = H / heads;
  // [B,T,3,heads,d] -> 3 x [B,heads,T,d]
  auto parts = qkv(x).view({B, T, 3, heads, d}).permute({2, 0, 3, 1, 4}).unbind(0);
  const auto& q = parts[0];
  const auto& k = parts[1];
  const auto& v = parts[2];
  auto ctx = masked_attention(q, k, v, key_mask, attention_dropout, is_training(), probs);
  return out(ctx.transpose(1, 2).reshape({B, T, H}));
}

EncoderLayerImpl::EncoderLayerImpl(int64_t hidden, int64_t heads, int64_t ffn, double dropout,
                                   double attention_dropout) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
  attn = register_module("attn", SelfAttention(hidden, heads, attention_dropout));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
  fc1 = register_module("fc1", torch::nn::Linear(hidden, ffn));
  fc2 = register_module("fc2", torch::nn::Linear(ffn, hidden));
  drop = register_module("drop", torch::nn::Dropout(dropout));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs) {
  // Pre-LN: normalise before each sublayer, add the residual after (stable without warmup tricks).
  auto h = x + drop(attn(ln1(x), key_mask, probs));
  return h + drop(fc2(torch::gelu(fc1(ln2(h)))));
}

TransformerEmbeddingsImpl::TransformerEmbeddingsImpl(int64_t vocab, int64_t hidden, int64_t max_length,
                                                     bool segments) {
  word = register_module("word", torch::nn::Embedding(vocab, hidden));
  position = register_module("position", torch::nn::Embedding(max_length, hidden));
  if (segments) segment = register_module("segment", torch::nn::Embedding(2, hidden));
  // BERT's initialisation (N(0, 0.02)) instead of LibTorch's N(0, 1) for embeddings.
  torch::NoGradGuard g;
  for (auto& p : parameters()) p.normal_(0.0, 0.02);
}

TransformerClassifierImpl::TransformerClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info)
    : ClassifierImpl(cfg, static_cast<int64_t>(info.label_names.size())) {
  embeddings = register_module(
      "embeddings", TransformerEmbeddings(info.vocab_size, cfg.hidden, cfg.max_length, info.task == Task::kPair));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < cfg.layers; ++i)
    layers->push_back(EncoderLayer(cfg.hidden, cfg.heads, cfg.ffn, cfg.dropout, cfg.attention_dropout));
  final_ln = register_module("final_ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.hidden})));
  drop = register_module("drop", torch::nn::Dropout(cfg.dropout));
  classifier = register_module("classifier", torch::nn::Linear(cfg.hidden, num_labels_));
}

ModelOutput TransformerClassifierImpl::forward(const Batch& batch, bool want_attentions) {
  const auto& ids = batch.input_ids;
  const auto T = ids.size(1);
  TORCH_CHECK(T <= cfg_.max_length, "batch length ", T, " exceeds max_length ", cfg_.max_length);
  auto pos = torch::arange(T, ids.options());
  auto x = embeddings->word(ids) + embeddings->position(pos).unsqueeze(0);
  if (embeddings->segment && batch.token_type_ids.defined()) x = x + embeddings->segment(batch.token_type_ids);
  x = drop(x);
  auto valid = batch.attention_mask.to(torch::kBool);  // [B,T]
  auto key_mask = valid.unsqueeze(1).unsqueeze(2);     // [B,1,1,T]
  ModelOutput out;
  out.hidden_states.push_back(x);
  for (const auto& m : *layers) {
    torch::Tensor probs;
    x = m->as<EncoderLayer>()->forward(x, key_mask, want_attentions ? &probs : nullptr);
    out.hidden_states.push_back(x);
    if (want_attentions) out.attention_probs.push_back(probs);
  }
  x = final_ln(x);
  torch::Tensor pooled;
  if (cfg_.pooling == "mean") {
    pooled = masked_mean(x, valid);
  } else {
    pooled = x.select(1, 0);
  }
  out.sentence = pooled;
  out.logits = classifier(drop(pooled));
  return out;
}

std::string TransformerClassifierImpl::describe() const {
  return "transformer L" + std::to_string(cfg_.layers) + "-H" + std::to_string(cfg_.hidden) + "-A" +
         std::to_string(cfg_.heads) + "-F" + std::to_string(cfg_.ffn) + " (" + cfg_.pooling + " pooling)";
}

int64_t TransformerClassifierImpl::parameter_depth(const std::string& name) const {
  if (name.rfind("embeddings.", 0) == 0) return 0;
  static const std::regex layer_re("^layers\\.([0-9]+)\\..*$");
  std::smatch m;
  if (std::regex_match(name, m, layer_re)) return std::stoll(m[1].str()) + 1;
  return top_depth();  // final LayerNorm, head
}

}  // namespace zl
