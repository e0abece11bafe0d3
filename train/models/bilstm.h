// BiLSTM student (Tang et al. 2019, "Distilling Task-Specific Knowledge from BERT
// into Simple Neural Networks"): embeddings, a bidirectional LSTM over the packed
// (unpadded) sequences, max-pooling over real tokens, a ReLU layer, the classifier.
#pragma once

#include <torch/torch.h>

#include "model.h"

namespace zl {

struct TokenEmbeddingsImpl : torch::nn::Module {
  TokenEmbeddingsImpl(int64_t vocab, int64_t dim, bool segments);
  torch::Tensor forward(const Batch& batch);
  torch::nn::Embedding word{nullptr}, segment{nullptr};
};
TORCH_MODULE(TokenEmbeddings);

class BiLstmClassifierImpl : public ClassifierImpl {
 public:
  BiLstmClassifierImpl(const ModelConfig& cfg, const DatasetInfo& info);
  ModelOutput forward(const Batch& batch, bool want_attentions = false) override;
  std::string describe() const override;

  TokenEmbeddings embeddings{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::Linear fc{nullptr}, classifier{nullptr};
  torch::nn::Dropout drop{nullptr};
};
TORCH_MODULE(BiLstmClassifier);

}  // namespace zl
