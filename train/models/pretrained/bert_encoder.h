// architecture: pretrained — a post-LayerNorm BERT / XLM-R encoder computed exactly
// as transformers computes BertModel / XLMRobertaModel, plus our classification
// head. The submodules are named after transformers' modules, so every parameter
// name is the checkpoint's name without its prefix ("embeddings.word_embeddings.weight",
// "encoder.layer.3.attention.self.query.weight", "pooler.dense.bias"): loading the
// checkpoint is a name lookup (pretrained_init.cpp), and the "embeddings." names
// are what num_non_embedding_parameters leaves out.
//
// Per layer: separate query/key/value projections, softmax(QK^T/sqrt(d)) over the
// real (non-padding) keys, attention output dense -> dropout -> LayerNorm(x + .),
// intermediate dense + exact (erf) GELU, output dense -> dropout -> LayerNorm(h + .).
// XLM-R differs only in its position ids (from pad_token_id + 1, counting real tokens).
#pragma once

#include <torch/torch.h>

#include "model.h"

namespace zl {

struct BertSelfAttentionImpl : torch::nn::Module {
  BertSelfAttentionImpl(int64_t hidden, int64_t heads, double attention_dropout);
  // x [B,T,H]; key_mask bool [B,1,1,T], true = attend. `probs` receives [B,heads,T,T] when not null.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs);
  int64_t heads;
  double attention_dropout;
  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
};
TORCH_MODULE(BertSelfAttention);

// BertSelfOutput and BertOutput: dense -> dropout -> LayerNorm(. + residual).
struct BertResidualOutputImpl : torch::nn::Module {
  BertResidualOutputImpl(int64_t in, int64_t hidden, double dropout, double eps);
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& residual);
  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertResidualOutput);

struct BertAttentionImpl : torch::nn::Module {
  BertAttentionImpl(const ModelConfig& cfg);
  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  BertIntermediateImpl(int64_t hidden, int64_t ffn);
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const ModelConfig& cfg);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs);
  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

struct BertEmbeddingsImpl : torch::nn::Module {
  BertEmbeddingsImpl(const ModelConfig& cfg, int64_t vocab_rows);
  // word + token type + position -> LayerNorm -> dropout.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& attention_mask, const torch::Tensor& token_type_ids);
  HfEncoderConfig hf;
  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(BertEmbeddings);

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const ModelConfig& cfg);
  torch::nn::ModuleList layer{nullptr};
};
TORCH_MODULE(BertEncoder);

struct BertPoolerImpl : torch::nn::Module {
  explicit BertPoolerImpl(int64_t hidden);
  torch::Tensor forward(const torch::Tensor& first_token) { return torch::tanh(dense(first_token)); }
  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertPooler);

class PretrainedEncoderClassifierImpl : public ClassifierImpl {
 public:
  // The word embedding has info.vocab_size rows (the dataset's ids); the pooler
  // exists only with pooling: pooler. Weights start as BERT's initialisation;
  // load_pretrained_weights copies the checkpoint in.
  PretrainedEncoderClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info);
  ModelOutput forward(const Batch& batch, bool want_attentions = false) override;
  std::string describe() const override;
  int64_t parameter_depth(const std::string& name) const override;
  int64_t top_depth() const override { return cfg_.layers + 1; }

  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
  BertPooler pooler{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(PretrainedEncoderClassifier);

}  // namespace zl
