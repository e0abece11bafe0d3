// Pre-LayerNorm transformer encoder classifier (BERT-like, trained from scratch):
// learned positions, segment embeddings for sentence pairs, GELU, [CLS] or mean
// pooling. Attention runs through at::scaled_dot_product_attention (fused) unless
// attention probabilities are requested (attention distillation), which takes an
// explicit softmax path computing the same function.
#pragma once

#include <torch/torch.h>

#include "model.h"

namespace zl {

// softmax(q k^T / sqrt(d)) v over the keys that key_mask (bool [B,1,1,T], true = attend)
// allows, q/k/v [B,heads,T,d]: fused (scaled_dot_product_attention) unless the
// probabilities are wanted in `probs` (attention distillation), which takes an explicit
// softmax path computing the same function. Shared by every attention module.
torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& key_mask, double dropout, bool training, torch::Tensor* probs);

// Mean of x [B,T,H] over the positions where valid (bool [B,T]) is true: mean pooling.
torch::Tensor masked_mean(const torch::Tensor& x, const torch::Tensor& valid);

struct SelfAttentionImpl : torch::nn::Module {
  SelfAttentionImpl(int64_t hidden, int64_t heads, double attention_dropout);
  // x [B,T,H]; key_mask bool [B,1,1,T], true = attend. `probs` receives [B,heads,T,T] when not null.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs);
  int64_t heads;
  double attention_dropout;
  torch::nn::Linear qkv{nullptr}, out{nullptr};
};
TORCH_MODULE(SelfAttention);

struct EncoderLayerImpl : torch::nn::Module {
  EncoderLayerImpl(int64_t hidden, int64_t heads, int64_t ffn, double dropout, double attention_dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask, torch::Tensor* probs);
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  SelfAttention attn{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(EncoderLayer);

struct TransformerEmbeddingsImpl : torch::nn::Module {
  TransformerEmbeddingsImpl(int64_t vocab, int64_t hidden, int64_t max_length, bool segments);
  torch::nn::Embedding word{nullptr}, position{nullptr}, segment{nullptr};
};
TORCH_MODULE(TransformerEmbeddings);

class TransformerClassifierImpl : public ClassifierImpl {
 public:
  TransformerClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info);
  ModelOutput forward(const Batch& batch, bool want_attentions = false) override;
  std::string describe() const override;
  int64_t parameter_depth(const std::string& name) const override;  // layers.N. -> N + 1
  int64_t top_depth() const override { return cfg_.layers + 1; }

  TransformerEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};
  torch::nn::LayerNorm final_ln{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(TransformerClassifier);

}  // namespace zl
